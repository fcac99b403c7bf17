// Helpers for the transport tests: run a coroutine against a server, read a whole response
// through an exchange.
#pragma once

#include "testing/mock_client.hpp"

#include <llmio/net.hpp>

namespace net_test {

using namespace mock_test;
namespace net = llmio::net;

/// What one exchange produced.
struct result {
    std::error_code send_ec;   ///< from async_send
    std::error_code body_ec;   ///< from the async_read_body that failed, if one did
    int status = 0;
    std::string body;          ///< every body byte handed out (the partial body on error)
    bool keep_alive = false;
    bool reused = false;
    bool retried = false;
};

inline asio::awaitable<result> exchange_all(net::exchange& ex, const net::origin& to, std::string_view request,
                                            net::exchange_options options = {})
{
    result r;
    auto [ec] = co_await ex.async_send(to, request, options, tuple_awaitable);
    r.send_ec = ec;
    r.reused = ex.reused_connection();
    r.retried = ex.retried();
    if (ec) {
        co_return r;
    }
    r.status = ex.response().status();
    r.keep_alive = ex.response().keep_alive();
    for (;;) {
        auto [bec, view] = co_await ex.async_read_body(tuple_awaitable);
        if (bec) {
            r.body_ec = bec;
            break;
        }
        if (view.empty()) {
            break;
        }
        r.body.append(view);
    }
    co_return r;
}

/// Runs `make()` on `io` until it ends, then `stop()`; rethrows what it threw.
template <class Make, class Stop>
void run_until_done(asio::io_context& io, Make make, Stop stop, std::chrono::seconds bound = std::chrono::seconds(30))
{
    std::exception_ptr failure;
    bool finished = false;
    asio::co_spawn(io, make(), [&](std::exception_ptr e) {
        failure = e;
        finished = true;
        stop();
    });
    io.run_for(bound);
    REQUIRE(finished);
    if (failure) {
        std::rethrow_exception(failure);
    }
}

inline net::origin origin_of(const asio::ip::tcp::endpoint& at, bool tls)
{
    return net::origin{.tls = tls, .host = at.address().to_string(), .port = at.port()};
}

/// No proxy, whatever the environment says.
inline net::pool_options direct(net::pool_options o = {})
{
    o.proxy = net::proxy_settings{};
    return o;
}

} // namespace net_test
