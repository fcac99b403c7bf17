// llmio::net::exchange over the pool against the embedded mock Gemini server: streaming,
// keep-alive reuse, TLS, and the conditions under which a connection goes back to the pool.
#include "net_support.hpp"

#include <asio/strand.hpp>

#include <functional>

using namespace net_test;

namespace {

mock_options stream_options(bool tls)
{
    mock_options o;
    o.api_key = std::string(test_key);
    o.events = 5;
    o.tls = tls;
    return o;
}

std::size_t count(std::string_view text, std::string_view what)
{
    std::size_t n = 0;
    for (std::size_t at = text.find(what); at != std::string_view::npos; at = text.find(what, at + 1)) {
        ++n;
    }
    return n;
}

} // namespace

TEST_CASE("a streamed response through the pool, then a second one on the same connection", "[net][exchange]")
{
    const bool tls = GENERATE(false, true);
    // The pool's executor may be anything an any_io_executor holds: the io_context's own takes
    // the concrete fast paths, a strand over it the generic ones (and must not be mistaken for
    // the former: Asio 1.22's any_io_executor::target<T>() does not check the type).
    const bool on_strand = GENERATE(false, true);
    CAPTURE(tls, on_strand);
    asio::io_context io;
    const mock_options o = stream_options(tls);
    mock_server server(io.get_executor(), o);
    const auto at = server.start();
    net::tls_context context({.system_trust = false, .ca_pem = std::string(server.ca_certificate_pem())});
    const auto strand = asio::make_strand(io);
    const asio::any_io_executor pool_ex = on_strand ? asio::any_io_executor(strand) : asio::any_io_executor(io.get_executor());
    net::connection_pool pool(pool_ex, direct(), &context);
    const net::origin to = origin_of(at, tls);
    const std::string req = stream_request();
    result first, second;
    run_until_done(io, [&]() -> asio::awaitable<void> {
        net::exchange ex(pool);
        first = co_await exchange_all(ex, to, req);
        second = co_await exchange_all(ex, to, req);
    }, [&] { io.stop(); });

    // A third with plain callbacks, which have no executor of their own: they complete on the
    // pool's executor, so on the strand when that is one.
    result third;
    bool third_done = false;
    std::size_t completions = 0;
    std::size_t off_strand = 0;
    net::exchange cb(pool);
    const auto where = [&] {
        ++completions;
        off_strand += on_strand && !strand.running_in_this_thread() ? 1 : 0;
    };
    std::function<void()> read_next = [&] {
        cb.async_read_body([&](std::error_code ec, std::string_view piece) {
            where();
            if (ec || piece.empty()) {
                third.body_ec = ec;
                third_done = true;
                return;
            }
            third.body.append(piece);
            read_next();
        });
    };
    cb.async_send(to, req, {}, [&](std::error_code ec) {
        where();
        third.send_ec = ec;
        third.reused = cb.reused_connection();
        if (ec) {
            third_done = true;
            return;
        }
        third.status = cb.response().status();
        third.keep_alive = cb.response().keep_alive();
        read_next();
    });
    io.restart();
    for (int i = 0; i < 1000 && !third_done; ++i) {
        io.run_for(10ms);
    }
    REQUIRE(third_done);
    CHECK(completions > 2);
    CHECK(off_strand == 0);
    server.stop();
    pool.shutdown();
    io.restart();
    io.run_for(100ms);

    for (const result* r : {&first, &second, &third}) {
        CHECK_FALSE(r->send_ec);
        CHECK_FALSE(r->body_ec);
        CHECK(r->status == 200);
        CHECK(r->keep_alive);
        CHECK(r->body.find("\"finishReason\":\"STOP\"") != std::string::npos);
        CHECK(count(r->body, "data: ") == 5);
    }
    CHECK_FALSE(first.reused);
    CHECK(second.reused);
    CHECK(third.reused);
    CHECK(pool.stats().connects == 1);
    CHECK(server.counters().connections == 1);
    CHECK(server.counters().requests == 3);
    if (tls) {
        CHECK(context.cached_sessions() == 1);
    }
}

TEST_CASE("a reconnect to the same origin resumes the TLS session", "[net][tls]")
{
    asio::io_context io;
    mock_server server(io.get_executor(), stream_options(true));
    const auto at = server.start();
    net::tls_context context({.system_trust = false, .ca_pem = std::string(server.ca_certificate_pem())});
    net::connection_pool pool(io.get_executor(), direct({.max_requests = 1}), &context);   // a new connection each time
    const net::origin to = origin_of(at, true);
    const std::string req = stream_request();
    bool first_resumed = true;
    bool second_resumed = false;
    run_until_done(io, [&]() -> asio::awaitable<void> {
        net::exchange ex(pool);
        const result a = co_await exchange_all(ex, to, req);
        CHECK_FALSE(a.body_ec);
        first_resumed = ex.tls_session_resumed();
        const result b = co_await exchange_all(ex, to, req);
        CHECK_FALSE(b.body_ec);
        CHECK_FALSE(b.reused);
        second_resumed = ex.tls_session_resumed();
    }, [&] { server.stop(); pool.shutdown(); });
    CHECK_FALSE(first_resumed);
    CHECK(second_resumed);
    CHECK(server.counters().connections == 2);
}
