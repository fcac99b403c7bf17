// The transport against the mock server's faults, time limits, certificates, cancellation, and
// a crowd contending for a small pool.
#include "net_support.hpp"

#include <asio/bind_cancellation_slot.hpp>
#include <asio/cancellation_signal.hpp>
#include <asio/experimental/awaitable_operators.hpp>

using namespace net_test;

namespace {

struct fixture {
    explicit fixture(mock_options o, net::pool_options p = {})
        : server(io.get_executor(), std::move(o)),
          at(server.start()),
          context({.system_trust = false, .ca_pem = std::string(server.ca_certificate_pem())}),
          pool(io.get_executor(), direct(p), &context),
          to(origin_of(at, server_tls()))
    {
    }
    bool server_tls() const { return !server.ca_certificate_pem().empty(); }

    template <class Make>
    void run(Make make)
    {
        run_until_done(io, make, [this] {
            server.stop();
            pool.shutdown();
        });
    }

    asio::io_context io;
    mock_server server;
    asio::ip::tcp::endpoint at;
    net::tls_context context;
    net::connection_pool pool;
    net::origin to;
};

// Named, not a temporary inside a co_await expression: g++ 12 mishandles those.
const std::string stream_req = stream_request();

mock_options with(bool tls, mock_fault f = mock_fault::none)
{
    mock_options o;
    o.api_key = std::string(test_key);
    o.tls = tls;
    o.events = 4;
    o.fault = f;
    return o;
}

} // namespace

TEST_CASE("a body cut short is a truncation error that carries the bytes that came", "[net][fault]")
{
    const bool tls = GENERATE(false, true);
    const auto fault = GENERATE(mock_fault::disconnect, mock_fault::truncated_chunked);
    CAPTURE(tls, llmio::testing::to_string(fault));
    fixture f(with(tls, fault));
    result r;
    f.run([&]() -> asio::awaitable<void> {
        net::exchange ex(f.pool);
        r = co_await exchange_all(ex, f.to, stream_req);
    });
    CHECK_FALSE(r.send_ec);
    CHECK(r.status == 200);
    CHECK(r.body_ec == llmio::condition::truncated);
    CHECK(r.body.find("data: ") == 0);   // the partial output is there
    CHECK(f.pool.stats().open == 0);     // and the connection is gone
    CHECK(f.pool.stats().idle == 0);
}

TEST_CASE("Connection: close responses are never pooled", "[net][fault]")
{
    const bool tls = GENERATE(false, true);
    CAPTURE(tls);
    fixture f(with(tls, mock_fault::close_after));
    result a, b;
    f.run([&]() -> asio::awaitable<void> {
        net::exchange ex(f.pool);
        a = co_await exchange_all(ex, f.to, stream_req);
        b = co_await exchange_all(ex, f.to, stream_req);
    });
    CHECK_FALSE(a.body_ec);
    CHECK_FALSE(a.keep_alive);
    CHECK_FALSE(b.body_ec);
    CHECK_FALSE(b.reused);
    CHECK(f.pool.stats().connects == 2);
    CHECK(f.server.counters().connections == 2);
}

TEST_CASE("a head slower than head_timeout fails with head_timeout and frees the slot", "[net][timeout]")
{
    mock_options o = with(false, mock_fault::slow_head);
    o.slow_head_delay = 20ms;   // ~100 head bytes: about 2 s for the whole head
    fixture f(o);
    result r;
    clock_type::duration took{};
    f.run([&]() -> asio::awaitable<void> {
        net::exchange ex(f.pool);
        const auto t0 = clock_type::now();
        r = co_await exchange_all(ex, f.to, stream_req, {.head_timeout = 150ms});
        took = clock_type::now() - t0;
    });
    CHECK(r.send_ec == net::error::head_timeout);
    CHECK(r.send_ec == llmio::condition::timeout);
    CHECK(took < 1500ms);   // not a timing assertion: it must not wait for the whole head
    CHECK(f.pool.stats().open == 0);
}

TEST_CASE("a stream that stalls fails with idle_timeout after the events that came", "[net][timeout]")
{
    const bool tls = GENERATE(false, true);
    CAPTURE(tls);
    fixture f(with(tls, mock_fault::stall));
    result r;
    f.run([&]() -> asio::awaitable<void> {
        net::exchange ex(f.pool);
        r = co_await exchange_all(ex, f.to, stream_req, {.idle_timeout = 150ms});
    });
    CHECK_FALSE(r.send_ec);
    CHECK(r.body_ec == net::error::idle_timeout);
    CHECK(r.body.find("data: ") == 0);
    CHECK(f.pool.stats().open == 0);
}

TEST_CASE("the total deadline covers the whole exchange", "[net][timeout]")
{
    mock_options o = with(false);
    o.events = 50;
    o.itl = 20ms;   // a second in all
    fixture f(o);
    result r;
    f.run([&]() -> asio::awaitable<void> {
        net::exchange ex(f.pool);
        r = co_await exchange_all(ex, f.to, stream_req, {.deadline = clock_type::now() + 200ms});
    });
    CHECK_FALSE(r.send_ec);
    CHECK(r.body_ec == net::error::deadline_exceeded);
    CHECK(f.pool.stats().open == 0);
}

TEST_CASE("certificates: expired, wrong host and untrusted self-signed are refused", "[net][tls]")
{
    const int which = GENERATE(0, 1, 2);
    CAPTURE(which);
    mock_options o = with(true);
    if (which == 0) {
        o.certificate = llmio::testing::certificate_options::expired();
    }
    else if (which == 1) {
        o.certificate = llmio::testing::certificate_options::wrong_host();
    }
    asio::io_context io;
    mock_server server(io.get_executor(), o);
    const auto at = server.start();
    // Case 2 trusts only the system store, which does not know the mock's self-signed CA.
    net::tls_context context(which == 2 ? net::tls_options{}
                                        : net::tls_options{.system_trust = false,
                                                           .ca_pem = std::string(server.ca_certificate_pem())});
    net::connection_pool pool(io.get_executor(), direct(), &context);
    result r;
    run_until_done(io, [&]() -> asio::awaitable<void> {
        net::exchange ex(pool);
        net::origin to = origin_of(at, true);
        if (which == 1) {
            to.host = "localhost";   // a name: resolved, sent as SNI, checked against the DNS entries
        }
        r = co_await exchange_all(ex, to, stream_req);
    }, [&] { server.stop(); pool.shutdown(); });
    REQUIRE(r.send_ec);
    CHECK(r.send_ec.category() == net::tls_verify_category());
    CHECK(r.send_ec == llmio::condition::network);
    const int expected[] = {X509_V_ERR_CERT_HAS_EXPIRED, X509_V_ERR_HOSTNAME_MISMATCH,
                            X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT};
    CHECK(r.send_ec.value() == expected[which]);
    CHECK(server.counters().requests == 0);
    CHECK(pool.stats().open == 0);
}

TEST_CASE("the loudly named option accepts an untrusted certificate", "[net][tls]")
{
    asio::io_context io;
    mock_server server(io.get_executor(), with(true));
    const auto at = server.start();
    net::tls_context context({.dangerously_skip_verification = true});
    net::connection_pool pool(io.get_executor(), direct(), &context);
    result r;
    run_until_done(io, [&]() -> asio::awaitable<void> {
        net::exchange ex(pool);
        r = co_await exchange_all(ex, origin_of(at, true), stream_req);
    }, [&] { server.stop(); pool.shutdown(); });
    CHECK_FALSE(r.send_ec);
    CHECK(r.status == 200);
}

TEST_CASE("connection refused is a network error, not retried on its own", "[net]")
{
    asio::io_context io;
    asio::ip::tcp::endpoint closed;
    {
        asio::ip::tcp::acceptor a(io, asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
        closed = a.local_endpoint();
    }
    net::connection_pool pool(io.get_executor(), direct());
    result r;
    run_until_done(io, [&]() -> asio::awaitable<void> {
        net::exchange ex(pool);
        r = co_await exchange_all(ex, origin_of(closed, false), stream_req);
    }, [&] { pool.shutdown(); });
    CHECK(r.send_ec == std::errc::connection_refused);
    CHECK(r.send_ec == llmio::condition::network);
    CHECK_FALSE(r.retried);
    CHECK(pool.stats().open == 0);
}

TEST_CASE("cancelling mid-stream completes promptly, closes the connection and frees the slot", "[net][cancel]")
{
    const bool tls = GENERATE(false, true);
    CAPTURE(tls);
    mock_options o = with(tls);
    o.events = 100;
    o.itl = 50ms;
    fixture f(o, {.max_connections = 1});
    std::error_code cancelled;
    std::size_t pieces = 0;
    result after;
    f.run([&]() -> asio::awaitable<void> {
        net::exchange ex(f.pool);
        auto [ec] = co_await ex.async_send(f.to, stream_req, {}, tuple_awaitable);
        REQUIRE_FALSE(ec);
        asio::cancellation_signal signal;
        asio::steady_timer t(co_await asio::this_coro::executor, 120ms);
        t.async_wait([&](std::error_code) { signal.emit(asio::cancellation_type::terminal); });
        for (;;) {
            auto [bec, view] = co_await ex.async_read_body(
                asio::bind_cancellation_slot(signal.slot(), tuple_awaitable));
            if (bec || view.empty()) {
                cancelled = bec;
                break;
            }
            ++pieces;
        }
        // The only slot is free again: the next exchange gets a connection at once.
        net::exchange next(f.pool);
        auto [next_ec] = co_await next.async_send(f.to, stream_req, {.deadline = clock_type::now() + 5s},
                                                  tuple_awaitable);
        after.send_ec = next_ec;
        after.reused = next.reused_connection();
        next.close();
    });
    CHECK(cancelled == asio::error::operation_aborted);
    CHECK(pieces >= 1);
    CHECK(pieces < 100);
    CHECK_FALSE(after.send_ec);
    CHECK_FALSE(after.reused);
    CHECK(f.pool.stats().connects == 2);
}

TEST_CASE("1,000 coroutines on a pool of 8: no deadlock, FIFO hand-over, all served", "[net][pool]")
{
    mock_options o = with(false);
    o.events = 2;
    fixture f(o, {.max_connections = 8});
    constexpr int crowd = 1000;
    std::vector<int> granted;   // the order in which waiting coroutines got a connection
    int completed = 0;
    int failures = 0;
    f.run([&]() -> asio::awaitable<void> {
        auto ex = co_await asio::this_coro::executor;
        auto& state = *f.pool.state();
        auto& slot = state.slot_for(f.to);
        // First hold all 8 slots, queue everybody, then release: the queue must drain in order.
        std::vector<net::detail::pooled_connection*> held;
        for (int i = 0; i < 8; ++i) {
            auto [ec, c, fresh] = co_await state.async_acquire(slot, clock_type::time_point::max(), tuple_awaitable);
            REQUIRE_FALSE(ec);
            held.push_back(c);
        }
        for (int i = 0; i < crowd; ++i) {
            asio::co_spawn(ex, [&, i]() -> asio::awaitable<void> {
                auto [ec, c, fresh] = co_await state.async_acquire(slot, clock_type::time_point::max(), tuple_awaitable);
                if (ec) {
                    ++failures;
                    co_return;
                }
                granted.push_back(i);
                state.release(c, false);
                ++completed;
            }, asio::detached);
        }
        asio::steady_timer t(ex, 10ms);
        co_await t.async_wait(asio::use_awaitable);
        CHECK(f.pool.stats().waiting == crowd);
        for (auto* c : held) {
            state.release(c, false);
        }
        while (completed + failures < crowd) {
            t.expires_after(5ms);
            co_await t.async_wait(asio::use_awaitable);
        }
        // And 1,000 real exchanges through the 8 connections.
        int ok = 0;
        for (int i = 0; i < crowd; ++i) {
            asio::co_spawn(ex, [&]() -> asio::awaitable<void> {
                net::exchange e(f.pool);
                const result r = co_await exchange_all(e, f.to, stream_req);
                ok += (!r.send_ec && !r.body_ec && r.status == 200) ? 1 : 0;
                ++completed;
            }, asio::detached);
        }
        while (completed < 2 * crowd) {
            t.expires_after(5ms);
            co_await t.async_wait(asio::use_awaitable);
        }
        CHECK(ok == crowd);
    });
    CHECK(failures == 0);
    REQUIRE(granted.size() == crowd);
    CHECK(std::is_sorted(granted.begin(), granted.end()));
    CHECK(f.server.counters().connections <= 8 + 8);   // 8 held ones were closed, then at most 8
    CHECK(f.pool.stats().waiting == 0);
}

TEST_CASE("waiting for a slot past the deadline fails with pool_timeout and leaves the queue", "[net][pool]")
{
    fixture f(with(false), {.max_connections = 1});
    std::error_code late;
    f.run([&]() -> asio::awaitable<void> {
        auto& state = *f.pool.state();
        auto& slot = state.slot_for(f.to);
        auto [ec, c, fresh] = co_await state.async_acquire(slot, clock_type::time_point::max(), tuple_awaitable);
        REQUIRE_FALSE(ec);
        net::exchange ex(f.pool);
        const result r = co_await exchange_all(ex, f.to, stream_req, {.deadline = clock_type::now() + 50ms});
        late = r.send_ec;
        CHECK(f.pool.stats().waiting == 0);
        state.release(c, false);
    });
    CHECK(late == net::error::pool_timeout);
    CHECK(late == llmio::condition::timeout);
}

namespace {

/// A minimal CONNECT proxy: reads the request head, connects to the target it names, answers
/// 200 and relays both ways. Records the request heads it saw.
asio::awaitable<void> relay(asio::ip::tcp::socket& from, asio::ip::tcp::socket& to)
{
    char buf[16384];
    for (;;) {
        auto [ec, n] = co_await from.async_read_some(asio::buffer(buf), tuple_awaitable);
        if (ec) {
            std::error_code ignored;
            to.shutdown(asio::socket_base::shutdown_send, ignored);
            co_return;
        }
        auto [wec, m] = co_await asio::async_write(to, asio::buffer(buf, n), tuple_awaitable);
        if (wec) {
            co_return;
        }
    }
}

asio::awaitable<void> connect_proxy(asio::ip::tcp::acceptor& acceptor, std::vector<std::string>& heads)
{
    auto ex = co_await asio::this_coro::executor;
    for (;;) {
        auto [aec, client] = co_await acceptor.async_accept(tuple_awaitable);
        if (aec) {
            co_return;
        }
        asio::co_spawn(ex, [&heads, c = std::move(client)]() mutable -> asio::awaitable<void> {
            std::string head;
            char ch = 0;
            while (head.find("\r\n\r\n") == std::string::npos) {   // byte by byte: nothing read past the head
                auto [ec, n] = co_await c.async_read_some(asio::buffer(&ch, 1), tuple_awaitable);
                if (ec) {
                    co_return;
                }
                head += ch;
            }
            heads.push_back(head);
            const auto sp = head.find(' ');
            const auto colon = head.find(':', sp);
            const auto port = std::stoi(head.substr(colon + 1, head.find(' ', colon) - colon - 1));
            asio::ip::tcp::socket upstream(c.get_executor());
            auto [cec] = co_await upstream.async_connect(
                {asio::ip::make_address(head.substr(sp + 1, colon - sp - 1)), static_cast<std::uint16_t>(port)},
                tuple_awaitable);
            if (cec) {
                co_return;
            }
            co_await asio::async_write(c, asio::buffer(std::string_view("HTTP/1.1 200 Connection established\r\n\r\n")),
                                       tuple_awaitable);
            using namespace asio::experimental::awaitable_operators;
            co_await (relay(c, upstream) && relay(upstream, c));
        }, asio::detached);
    }
}

} // namespace

TEST_CASE("through an HTTP CONNECT proxy: TLS end to end inside the tunnel, and keep-alive", "[net][proxy]")
{
    asio::io_context io;
    mock_server server(io.get_executor(), with(true));
    const auto at = server.start();
    asio::ip::tcp::acceptor acceptor(io, {asio::ip::make_address("127.0.0.1"), 0});
    std::vector<std::string> heads;
    asio::co_spawn(io, connect_proxy(acceptor, heads), asio::detached);
    net::proxy_settings settings;
    settings.https = net::proxy_config{.host = "127.0.0.1", .port = acceptor.local_endpoint().port()};
    net::tls_context context({.system_trust = false, .ca_pem = std::string(server.ca_certificate_pem())});
    net::connection_pool pool(io.get_executor(), {.proxy = settings}, &context);
    result a, b;
    int status = 0;
    run_until_done(io, [&]() -> asio::awaitable<void> {
        net::exchange ex(pool);
        const net::origin to = origin_of(at, true);
        a = co_await exchange_all(ex, to, stream_req);
        status = ex.proxy_status();
        b = co_await exchange_all(ex, to, stream_req);
    }, [&] { server.stop(); pool.shutdown(); acceptor.close(); });
    CHECK(status == 200);
    CHECK_FALSE(a.body_ec);
    CHECK(a.status == 200);
    CHECK_FALSE(b.body_ec);
    CHECK(b.reused);
    REQUIRE(heads.size() == 1);
    CHECK(heads[0].rfind("CONNECT 127.0.0.1:" + std::to_string(at.port()) + " HTTP/1.1\r\n", 0) == 0);
    CHECK(server.counters().requests == 2);
}

TEST_CASE("NO_PROXY keeps a host off the proxy", "[net][proxy]")
{
    asio::io_context io;
    mock_server server(io.get_executor(), with(false));
    const auto at = server.start();
    net::proxy_settings settings;
    settings.http = net::proxy_config{.host = "127.0.0.1", .port = 9};   // nobody listens there
    settings.no_proxy = {"127.0.0.1"};
    net::connection_pool pool(io.get_executor(), {.proxy = settings});
    result r;
    run_until_done(io, [&]() -> asio::awaitable<void> {
        net::exchange ex(pool);
        const net::origin to = origin_of(at, false);
        r = co_await exchange_all(ex, to, stream_req);
    }, [&] { server.stop(); pool.shutdown(); });
    CHECK_FALSE(r.send_ec);
    CHECK(r.status == 200);
}

TEST_CASE("connections retire after max_requests and close after idle_timeout", "[net][pool]")
{
    fixture f(with(false), {.idle_timeout = 100ms, .max_requests = 2});
    result r[4];
    std::size_t idle_before_sweep = 0;
    std::size_t idle_after_sweep = 0;
    f.run([&]() -> asio::awaitable<void> {
        net::exchange ex(f.pool);
        r[0] = co_await exchange_all(ex, f.to, stream_req);
        r[1] = co_await exchange_all(ex, f.to, stream_req);   // the second and last on connection 1
        r[2] = co_await exchange_all(ex, f.to, stream_req);   // connection 2
        idle_before_sweep = f.pool.stats().idle;
        asio::steady_timer t(co_await asio::this_coro::executor, 300ms);
        co_await t.async_wait(asio::use_awaitable);            // the sweeper closes it
        idle_after_sweep = f.pool.stats().idle;
        r[3] = co_await exchange_all(ex, f.to, stream_req);   // connection 3
    });
    for (const result& x : r) {
        CHECK_FALSE(x.body_ec);
    }
    CHECK_FALSE(r[0].reused);
    CHECK(r[1].reused);
    CHECK_FALSE(r[2].reused);
    CHECK_FALSE(r[3].reused);
    CHECK(idle_before_sweep == 1);
    CHECK(idle_after_sweep == 0);
    CHECK(f.pool.stats().connects == 3);
    CHECK(f.server.counters().connections == 3);
}
