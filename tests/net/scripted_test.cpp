// The transport against a scripted server: framings that only a misbehaving or unusual server
// produces, the stale-connection rule, early answers, TLS truncation, handshake stalls, and
// proxies.
#include "net_support.hpp"

#include <llmio/testing/scripted_server.hpp>

using namespace net_test;
using llmio::testing::connection_script;
using llmio::testing::scripted_server;

namespace {

constexpr std::string_view ok_hello = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello";

struct scripted_fixture {
    explicit scripted_fixture(bool tls, net::pool_options p = {})
        : server(io.get_executor(), {.tls = tls}),
          at(server.start()),
          context({.system_trust = false, .ca_pem = tls ? server.ca_certificate_pem() : std::string()}),
          pool(io.get_executor(), direct(p), tls ? &context : nullptr),
          to(origin_of(at, tls))
    {
    }

    template <class Make>
    void run(Make make)
    {
        run_until_done(io, make, [this] {
            server.stop();
            pool.shutdown();
        });
    }

    asio::io_context io;
    scripted_server server;
    asio::ip::tcp::endpoint at;
    net::tls_context context;
    net::connection_pool pool;
    net::origin to;
};

std::string get(std::string_view target = "/v1beta/models")
{
    return request("GET", target, {}, {}, {});
}

// Requests are named objects: g++ 12 mishandles temporaries inside a co_await expression.
const std::string get_request = get();

} // namespace

TEST_CASE("204 and 304 with Content-Length have no body: the next response follows on the same connection",
          "[net][scripted]")
{
    const bool tls = GENERATE(false, true);
    CAPTURE(tls);
    scripted_fixture f(tls);
    f.server.add(connection_script()
                     .read_request()
                     .write("HTTP/1.1 204 No Content\r\nContent-Length: 10\r\n\r\n")
                     .read_request()
                     .write("HTTP/1.1 304 Not Modified\r\nContent-Length: 7\r\n\r\n")
                     .read_request()
                     .write(std::string(ok_hello))
                     .await_eof(2s));
    result a, b, c;
    f.run([&]() -> asio::awaitable<void> {
        net::exchange ex(f.pool);
        a = co_await exchange_all(ex, f.to, get_request);
        b = co_await exchange_all(ex, f.to, get_request);
        c = co_await exchange_all(ex, f.to, get_request);
    });
    CHECK(a.status == 204);
    CHECK(a.body.empty());
    CHECK(b.status == 304);
    CHECK(b.body.empty());
    CHECK(b.reused);
    CHECK(c.status == 200);
    CHECK(c.body == "hello");
    CHECK(c.reused);
    CHECK(f.server.accepted() == 1);
}

TEST_CASE("read_body_buffered hands out what was read, stops where a read is needed, and ends the body",
          "[net][scripted]")
{
    const bool tls = GENERATE(false, true);
    CAPTURE(tls);
    scripted_fixture f(tls);
    // Two chunks and the start of a third in one write; the rest, with a malformed chunk size
    // on the next response, later.
    f.server.add(connection_script()
                     .read_request()
                     .write("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n4\r\nfg")
                     .pause(50ms)
                     .write("hi\r\n0\r\n\r\n")
                     .read_request()
                     .write("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n")
                     .await_eof(2s));
    std::vector<std::string> buffered, read;
    std::error_code end_ec, bad_ec, send_ec;
    bool ended_buffered = false;
    bool stopped_for_read = false;
    bool reused = false;
    f.run([&]() -> asio::awaitable<void> {
        net::exchange ex(f.pool);
        const net::exchange_options options{};
        auto [sec] = co_await ex.async_send(f.to, get_request, options, tuple_awaitable);
        send_ec = sec;
        for (;;) {
            std::string_view piece;
            std::error_code ec;
            if (ex.read_body_buffered(piece, ec)) {
                if (ec) {
                    end_ec = ec;
                    break;
                }
                if (piece.empty()) {
                    ended_buffered = true;
                    break;
                }
                buffered.emplace_back(piece);
                continue;
            }
            stopped_for_read = true;
            auto [rec, got] = co_await ex.async_read_body(tuple_awaitable);
            if (rec || got.empty()) {
                end_ec = rec;
                break;
            }
            read.emplace_back(got);
        }
        auto [sec2] = co_await ex.async_send(f.to, get_request, options, tuple_awaitable);
        CHECK_FALSE(sec2);
        reused = ex.reused_connection();
        std::string_view piece;
        while (ex.read_body_buffered(piece, bad_ec) && !bad_ec && !piece.empty()) {
        }
        if (!bad_ec) {
            auto [rec, got] = co_await ex.async_read_body(tuple_awaitable);
            bad_ec = rec;
        }
    });
    CHECK_FALSE(send_ec);
    CHECK_FALSE(end_ec);
    CHECK(stopped_for_read);
    REQUIRE(buffered.size() >= 2);
    CHECK(buffered[0] == "abc");
    CHECK(buffered[1] == "de");
    std::string all;
    for (const auto* v : {&buffered, &read}) {
        for (const std::string& piece : *v) {
            all += piece;
        }
    }
    CHECK(all == "abcdefghi");
    CHECK(ended_buffered);   // the end came with the last piece: no read for it
    CHECK(reused);
    CHECK(bad_ec == llmio::condition::protocol_error);
}

TEST_CASE("read_body_more and read_body_commit drive a body as async_read_body does, to its end or its error",
          "[net][scripted]")
{
    const bool tls = GENERATE(false, true);
    // 0: ends with the close (no framing); 1: chunked, cut inside a chunk; 2: chunked, complete.
    const int how = GENERATE(0, 1, 2);
    CAPTURE(tls, how);
    scripted_fixture f(tls);
    connection_script s;
    s.read_request();
    if (how == 0) {
        s.write("HTTP/1.1 200 OK\r\n\r\nuntil").pause(30ms).write(" the close").close();
    }
    else {
        s.write("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n").pause(30ms).write("6\r\n world");
        if (how == 1) {
            s.pause(30ms).close();
        }
        else {
            s.write("\r\n0\r\n\r\n").await_eof(2s);
        }
    }
    f.server.add(std::move(s));
    std::string body;
    std::error_code send_ec, end_ec;
    bool ended = false;
    int reads = 0;
    std::size_t idle = 0;
    f.run([&]() -> asio::awaitable<void> {
        net::exchange ex(f.pool);
        const net::exchange_options options{};
        auto [sec] = co_await ex.async_send(f.to, get_request, options, tuple_awaitable);
        send_ec = sec;
        const auto more = [&ex](auto token) {
            return asio::async_initiate<decltype(token), void(std::error_code, std::size_t)>(
                [&ex](auto handler) { ex.read_body_more(std::move(handler)); }, token);
        };
        while (!sec) {
            std::string_view piece;
            std::error_code ec;
            if (ex.read_body_buffered(piece, ec)) {
                if (ec || piece.empty()) {
                    end_ec = ec;
                    ended = !ec;
                    break;
                }
                body += piece;
                continue;
            }
            ++reads;
            auto [rec, n] = co_await more(tuple_awaitable);
            if (const std::error_code cec = ex.read_body_commit(rec, n)) {
                end_ec = cec;
                break;
            }
        }
        idle = f.pool.stats().idle;
        // Nothing left to read from: completes (through a post) as a read on a closed connection.
        auto [after, n] = co_await more(tuple_awaitable);
        CHECK(after == asio::error::operation_aborted);
        CHECK(n == 0);
    });
    CHECK_FALSE(send_ec);
    CHECK(reads >= 1);
    if (how == 0) {
        CHECK(ended);
        CHECK_FALSE(end_ec);
        CHECK(body == "until the close");
        CHECK(idle == 0);   // a body ended by the close leaves nothing to reuse
    }
    else if (how == 1) {
        CHECK_FALSE(ended);
        CHECK(end_ec == llmio::http::error::eof_in_chunked);
        CHECK(body.substr(0, 5) == "hello");
    }
    else {
        CHECK(ended);
        CHECK_FALSE(end_ec);
        CHECK(body == "hello world");
        CHECK(idle == 1);   // the connection went back to the pool
    }
}

TEST_CASE("interim 1xx responses before the final one are skipped", "[net][scripted]")
{
    scripted_fixture f(false);
    f.server.add(connection_script()
                     .read_request()
                     .write("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\n")
                     .pause(20ms)
                     .write(std::string(ok_hello))
                     .await_eof(2s));
    result r;
    f.run([&]() -> asio::awaitable<void> {
        net::exchange ex(f.pool);
        r = co_await exchange_all(ex, f.to, get_request);
    });
    CHECK_FALSE(r.send_ec);
    CHECK(r.status == 200);
    CHECK(r.body == "hello");
}

TEST_CASE("HTTP/1.0 responses are not pooled; a body delimited by the close is complete at the close",
          "[net][scripted]")
{
    scripted_fixture f(false);
    f.server.add(connection_script().read_request().write("HTTP/1.0 200 OK\r\nContent-Length: 5\r\n\r\nhello").await_eof(2s));
    f.server.add(connection_script().read_request().write("HTTP/1.1 200 OK\r\n\r\nuntil the close").close());
    result a, b;
    f.run([&]() -> asio::awaitable<void> {
        net::exchange ex(f.pool);
        a = co_await exchange_all(ex, f.to, get_request);
        b = co_await exchange_all(ex, f.to, get_request);
    });
    CHECK(a.body == "hello");
    CHECK_FALSE(a.keep_alive);
    CHECK_FALSE(b.reused);
    CHECK_FALSE(b.body_ec);
    CHECK(b.body == "until the close");
    CHECK(f.server.accepted() == 2);
    CHECK(f.pool.stats().idle == 0);
}

TEST_CASE("a body shorter than its Content-Length is a truncation with the bytes that came", "[net][scripted]")
{
    const bool tls = GENERATE(false, true);
    CAPTURE(tls);
    scripted_fixture f(tls);
    f.server.add(connection_script().read_request().write("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nabc").close());
    result r;
    f.run([&]() -> asio::awaitable<void> {
        net::exchange ex(f.pool);
        r = co_await exchange_all(ex, f.to, get_request);
    });
    CHECK(r.body == "abc");
    CHECK(r.body_ec == llmio::http::error::short_body);
    CHECK(r.body_ec == llmio::condition::truncated);
}

TEST_CASE("over TLS, a close-delimited body cut without close_notify is an error, with it complete",
          "[net][scripted][tls]")
{
    const bool notify = GENERATE(false, true);
    CAPTURE(notify);
    scripted_fixture f(true);
    connection_script s;
    s.read_request().write("HTTP/1.1 200 OK\r\n\r\nuntil the close");
    if (notify) {
        s.close();
    }
    else {
        s.close_without_notify();
    }
    f.server.add(std::move(s));
    result r;
    f.run([&]() -> asio::awaitable<void> {
        net::exchange ex(f.pool);
        r = co_await exchange_all(ex, f.to, get_request);
    });
    CHECK(r.body == "until the close");
    if (notify) {
        CHECK_FALSE(r.body_ec);
    }
    else {
        CHECK(r.body_ec == net::error::tls_truncated);
        CHECK(r.body_ec == llmio::condition::truncated);
    }
}

TEST_CASE("an idle connection the server closed is noticed before use: no request is lost", "[net][scripted][stale]")
{
    scripted_fixture f(false);
    f.server.add(connection_script().read_request().write(std::string(ok_hello)).close());
    f.server.add(connection_script().read_request().write(std::string(ok_hello)).await_eof(2s));
    result a, b;
    f.run([&]() -> asio::awaitable<void> {
        net::exchange ex(f.pool);
        a = co_await exchange_all(ex, f.to, get_request);
        asio::steady_timer t(co_await asio::this_coro::executor, 50ms);   // the FIN arrives
        co_await t.async_wait(asio::use_awaitable);
        b = co_await exchange_all(ex, f.to, get_request);
    });
    CHECK(a.body == "hello");
    CHECK(b.body == "hello");
    CHECK_FALSE(b.reused);
    CHECK_FALSE(b.retried);
    CHECK(f.pool.stats().stale_discards == 1);
}

TEST_CASE("the server closing a reused connection as the request arrives: one retry, only if replayable",
          "[net][scripted][stale]")
{
    const bool tls = GENERATE(false, true);
    const bool replayable = GENERATE(false, true);
    CAPTURE(tls, replayable);
    scripted_fixture f(tls);
    // It answers the first request, takes the second one's head and hangs up without a byte.
    f.server.add(connection_script().read_request().write(std::string(ok_hello)).read_head().close_without_notify());
    f.server.add(connection_script().read_request().write(std::string(ok_hello)).await_eof(2s));
    result a, b;
    f.run([&]() -> asio::awaitable<void> {
        net::exchange ex(f.pool);
        a = co_await exchange_all(ex, f.to, get_request);
        b = co_await exchange_all(ex, f.to, get_request, {.replayable = replayable});
    });
    CHECK(a.body == "hello");
    if (replayable) {
        CHECK_FALSE(b.send_ec);
        CHECK(b.body == "hello");
        CHECK(b.retried);
        CHECK(f.server.accepted() == 2);
    }
    else {
        CHECK(b.send_ec == net::error::connection_closed);
        CHECK(b.send_ec == llmio::condition::retryable);   // the caller's policy may retry
        CHECK_FALSE(b.retried);
        CHECK(f.server.accepted() == 1);
    }
}

TEST_CASE("a reset after the whole request was read is an error, never retried on a new connection",
          "[net][scripted][stale]")
{
    scripted_fixture f(false);
    f.server.add(connection_script().read_request().reset());
    f.server.add(connection_script().read_request().write(std::string(ok_hello)));
    result r;
    f.run([&]() -> asio::awaitable<void> {
        net::exchange ex(f.pool);
        r = co_await exchange_all(ex, f.to, get_request, {.replayable = true});
    });
    CHECK(r.send_ec == std::errc::connection_reset);
    CHECK(r.send_ec == llmio::condition::network);
    CHECK_FALSE(r.retried);
    CHECK(f.server.accepted() == 1);
    CHECK(f.pool.stats().open == 0);
}

TEST_CASE("an early 401 while the body is still being written: the response wins", "[net][scripted]")
{
    scripted_fixture f(false);
    f.server.add(connection_script()
                     .read_head()
                     .write("HTTP/1.1 401 Unauthorized\r\nContent-Length: 6\r\nConnection: close\r\n\r\ndenied")
                     .drain(5s)
                     .close());
    const std::string big(8 << 20, 'x');
    const std::string req = request("POST", "/v1beta/models/m:generateContent", big, {}, {});
    result r;
    f.run([&]() -> asio::awaitable<void> {
        net::exchange ex(f.pool);
        r = co_await exchange_all(ex, f.to, req);
    });
    CHECK_FALSE(r.send_ec);
    CHECK(r.status == 401);
    CHECK(r.body == "denied");
    CHECK(f.pool.stats().open == 0);
}

TEST_CASE("a TLS handshake that never starts fails with handshake_timeout", "[net][scripted][tls]")
{
    scripted_fixture f(true);
    f.server.add(connection_script().stall_handshake());
    result r;
    f.run([&]() -> asio::awaitable<void> {
        net::exchange ex(f.pool);
        r = co_await exchange_all(ex, f.to, get_request, {.handshake_timeout = 150ms});
    });
    CHECK(r.send_ec == net::error::handshake_timeout);
    CHECK(f.pool.stats().open == 0);
}

TEST_CASE("the proxy's answer to CONNECT: 407 and refusals are typed, credentials are sent", "[net][scripted][proxy]")
{
    const int status = GENERATE(407, 403);
    CAPTURE(status);
    asio::io_context io;
    scripted_server proxy(io.get_executor());
    const auto at = proxy.start();
    proxy.add(connection_script()
                  .read_head()
                  .write("HTTP/1.1 " + std::to_string(status) + " No\r\nContent-Length: 0\r\n\r\n")
                  .await_eof(2s));
    net::proxy_settings settings;
    settings.https = net::proxy_config{.host = "127.0.0.1", .port = at.port(), .username = "u", .password = "p w"};
    net::connection_pool pool(io.get_executor(), {.proxy = settings});
    result r;
    int seen = 0;
    run_until_done(io, [&]() -> asio::awaitable<void> {
        net::exchange ex(pool);
        // Named, not temporaries in the co_await expression: g++ 12 destroys those twice.
        const net::origin to{.tls = true, .host = "generativelanguage.googleapis.com", .port = 443};
        const std::string& req = get_request;
        r = co_await exchange_all(ex, to, req);
        seen = ex.proxy_status();
    }, [&] { proxy.stop(); pool.shutdown(); });
    CHECK(seen == status);
    CHECK(r.send_ec == (status == 407 ? net::error::proxy_auth_required : net::error::proxy_refused));
    REQUIRE(proxy.requests().size() == 1);
    const std::string& sent = proxy.requests()[0];
    CHECK(sent.rfind("CONNECT generativelanguage.googleapis.com:443 HTTP/1.1\r\n", 0) == 0);
    CHECK(sent.find("Proxy-Authorization: Basic dTpwIHc=\r\n") != std::string::npos);
}
