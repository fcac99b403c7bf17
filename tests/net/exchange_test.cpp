// llmio::net::exchange over the pool against the embedded mock Gemini server: streaming,
// keep-alive reuse, TLS, and the conditions under which a connection goes back to the pool.
#include "net_support.hpp"

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
    CAPTURE(tls);
    asio::io_context io;
    const mock_options o = stream_options(tls);
    mock_server server(io.get_executor(), o);
    const auto at = server.start();
    net::tls_context context({.system_trust = false, .ca_pem = std::string(server.ca_certificate_pem())});
    net::connection_pool pool(io.get_executor(), direct(), &context);
    const net::origin to = origin_of(at, tls);
    const std::string req = stream_request();
    result first, second;
    run_until_done(io, [&]() -> asio::awaitable<void> {
        net::exchange ex(pool);
        first = co_await exchange_all(ex, to, req);
        second = co_await exchange_all(ex, to, req);
    }, [&] { server.stop(); pool.shutdown(); });
    for (const result* r : {&first, &second}) {
        CHECK_FALSE(r->send_ec);
        CHECK_FALSE(r->body_ec);
        CHECK(r->status == 200);
        CHECK(r->keep_alive);
        CHECK(r->body.find("\"finishReason\":\"STOP\"") != std::string::npos);
        CHECK(count(r->body, "data: ") == 5);
    }
    CHECK_FALSE(first.reused);
    CHECK(second.reused);
    CHECK(pool.stats().connects == 1);
    CHECK(server.counters().connections == 1);
    CHECK(server.counters().requests == 2);
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
