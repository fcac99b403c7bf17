// llmio::testing::scripted_server: every step observed from the client side, with a plain
// asio::ip::tcp::socket and, for TLS, an asio::ssl::stream that trusts ca_certificate_pem().
#include <llmio/testing/scripted_server.hpp>

#include "support/catch.hpp"

#include <asio/co_spawn.hpp>
#include <asio/experimental/as_tuple.hpp>
#include <asio/experimental/awaitable_operators.hpp>
#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/read.hpp>
#include <asio/read_until.hpp>
#include <asio/ssl.hpp>
#include <asio/steady_timer.hpp>
#include <asio/use_awaitable.hpp>
#include <asio/write.hpp>

#include <openssl/ssl.h>

#include <array>
#include <chrono>
#include <exception>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>

namespace {

using namespace std::chrono_literals;
using namespace asio::experimental::awaitable_operators;
using llmio::testing::connection_script;
using llmio::testing::scripted_server;
using llmio::testing::scripted_server_options;
using tcp = asio::ip::tcp;
using tls_stream = asio::ssl::stream<tcp::socket>;
using clock_type = std::chrono::steady_clock;

constexpr auto tuple_awaitable = asio::experimental::as_tuple(asio::use_awaitable);

constexpr std::string_view ok_response = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi";

/// Runs `make()` (a coroutine) on `io` against `server`; stops the server when it ends so
/// io.run_for() returns; rethrows what the coroutine threw. 20 s only catches a hang.
template <class Make>
void run(asio::io_context& io, scripted_server& server, Make make)
{
    std::exception_ptr failure;
    bool finished = false;
    asio::co_spawn(io, make(), [&](std::exception_ptr e) {
        failure = e;
        finished = true;
        server.stop();
    });
    io.run_for(20s);
    REQUIRE(finished);
    if (failure) {
        std::rethrow_exception(failure);
    }
}

struct received {
    std::string bytes;
    std::error_code ec;   ///< what ended the stream
};

/// Reads until the stream ends.
template <class Stream>
asio::awaitable<received> read_all(Stream& s)
{
    received r;
    std::array<char, 4096> buf;
    for (;;) {
        auto [ec, n] = co_await s.async_read_some(asio::buffer(buf), tuple_awaitable);
        r.bytes.append(buf.data(), n);
        if (ec) {
            r.ec = ec;
            co_return r;
        }
    }
}

asio::awaitable<void> connect(tcp::socket& s, tcp::endpoint at)
{
    co_await s.async_connect(at, asio::use_awaitable);
}

asio::awaitable<void> write(tcp::socket& s, std::string_view bytes)
{
    co_await asio::async_write(s, asio::buffer(bytes), asio::use_awaitable);
}

bool contains(const std::string& haystack, std::string_view needle)
{
    return haystack.find(needle) != std::string::npos;
}

// ---- TLS client ------------------------------------------------------------------------------

asio::ssl::context client_context(const std::string& ca_pem)
{
    asio::ssl::context ctx(asio::ssl::context::tls_client);
    ctx.set_verify_mode(asio::ssl::verify_peer);
    if (!ca_pem.empty()) {
        ctx.add_certificate_authority(asio::buffer(ca_pem));
    }
    return ctx;
}

/// Connects to `at` and starts the handshake as `localhost`, offering ALPN http/1.1; the
/// handshake's result.
asio::awaitable<std::error_code> tls_connect(tls_stream& s, tcp::endpoint at)
{
    co_await s.next_layer().async_connect(at, asio::use_awaitable);
    SSL_set_tlsext_host_name(s.native_handle(), "localhost");
    static constexpr unsigned char alpn[] = {8, 'h', 't', 't', 'p', '/', '1', '.', '1'};
    SSL_set_alpn_protos(s.native_handle(), alpn, sizeof alpn);
    s.set_verify_callback(asio::ssl::host_name_verification("localhost"));
    auto [ec] = co_await s.async_handshake(asio::ssl::stream_base::client, tuple_awaitable);
    co_return ec;
}

std::string alpn_of(tls_stream& s)
{
    const unsigned char* p = nullptr;
    unsigned int n = 0;
    SSL_get0_alpn_selected(s.native_handle(), &p, &n);
    return p == nullptr ? std::string() : std::string(reinterpret_cast<const char*>(p), n);
}

} // namespace

TEST_CASE("scripted_server: read_request, write, then the implicit graceful close", "[testing][scripted]")
{
    asio::io_context io;
    scripted_server server(io.get_executor());
    server.add(connection_script().read_request().write(std::string(ok_response)));
    const tcp::endpoint at = server.start();
    CHECK(at.address().is_loopback());
    CHECK(at.port() != 0);
    const std::string request = "POST /v1 HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello";
    received r;
    run(io, server, [&]() -> asio::awaitable<void> {
        tcp::socket s(io);
        co_await connect(s, at);
        co_await write(s, request);
        r = co_await read_all(s);
    });
    CHECK(r.bytes == ok_response);
    CHECK(r.ec == asio::error::eof);
    REQUIRE(server.requests().size() == 1);
    CHECK(server.requests()[0] == request);
    CHECK(server.accepted() == 1);
    CHECK(server.finished_scripts() == 1);
    CHECK(server.errors().empty());
}

TEST_CASE("scripted_server: read_request records Content-Length and chunked requests exactly", "[testing][scripted]")
{
    asio::io_context io;
    scripted_server server(io.get_executor());
    server.add(connection_script().read_request().read_request().read_request().read_request().write("done"));
    const tcp::endpoint at = server.start();
    // Pipelined in one write: the reads must split them where HTTP/1.1 framing does.
    const std::string get = "GET /a HTTP/1.1\r\nHost: x\r\n\r\n";
    const std::string chunked = "POST /b HTTP/1.1\r\nHost: x\r\ntransfer-encoding: gzip, Chunked\r\n\r\n"
                                "5;ext=1\r\nhello\r\n"
                                "A\r\n0123456789\r\n"
                                "0\r\nX-Trailer: t\r\n\r\n";
    const std::string length = "POST /c HTTP/1.1\r\ncontent-length:  3 \r\n\r\nabc";
    const std::string chunked_empty = "POST /d HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n";
    received r;
    run(io, server, [&]() -> asio::awaitable<void> {
        tcp::socket s(io);
        co_await connect(s, at);
        co_await write(s, get + chunked + length + chunked_empty);
        r = co_await read_all(s);
    });
    CHECK(r.bytes == "done");
    CHECK(r.ec == asio::error::eof);
    REQUIRE(server.requests().size() == 4);
    CHECK(server.requests()[0] == get);
    CHECK(server.requests()[1] == chunked);
    CHECK(server.requests()[2] == length);
    CHECK(server.requests()[3] == chunked_empty);
    CHECK(server.finished_scripts() == 1);
    CHECK(server.errors().empty());
}

TEST_CASE("scripted_server: the Nth connection runs the Nth script; one more is closed at once", "[testing][scripted]")
{
    asio::io_context io;
    scripted_server server(io.get_executor());
    server.add(connection_script().write("first"));
    server.add(connection_script().write("second"));
    CHECK(server.pending_scripts() == 2);
    const tcp::endpoint at = server.start();
    std::array<received, 3> r;
    run(io, server, [&]() -> asio::awaitable<void> {
        for (received& each : r) {
            tcp::socket s(io);
            co_await connect(s, at);
            each = co_await read_all(s);
        }
    });
    CHECK(r[0].bytes == "first");
    CHECK(r[1].bytes == "second");
    CHECK(r[2].bytes.empty());
    CHECK(r[2].ec == asio::error::eof);
    CHECK(server.accepted() == 3);
    CHECK(server.unscripted() == 1);
    CHECK(server.pending_scripts() == 0);
    CHECK(server.finished_scripts() == 2);
    CHECK(server.errors().empty());
}

TEST_CASE("scripted_server: write_slowly takes at least N * per_byte, pause holds the next write", "[testing][scripted]")
{
    asio::io_context io;
    scripted_server server(io.get_executor());
    const std::string slow = "0123456789";
    server.add(connection_script().write_slowly(slow, 15ms).pause(100ms).write("!"));
    const tcp::endpoint at = server.start();
    clock_type::duration to_slow_end{};
    clock_type::duration to_end{};
    clock_type::duration gap{};
    std::string first;
    received rest;
    std::size_t reads = 0;
    run(io, server, [&]() -> asio::awaitable<void> {
        tcp::socket s(io);
        co_await connect(s, at);
        // The script starts after the connection is accepted, so after this point.
        const clock_type::time_point t0 = clock_type::now();
        std::array<char, 64> buf;
        while (first.size() < slow.size()) {
            const std::size_t n = co_await s.async_read_some(asio::buffer(buf.data(), slow.size() - first.size()),
                                                             asio::use_awaitable);
            first.append(buf.data(), n);
            ++reads;
        }
        const clock_type::time_point t1 = clock_type::now();
        rest = co_await read_all(s);
        const clock_type::time_point t2 = clock_type::now();
        to_slow_end = t1 - t0;
        to_end = t2 - t0;
        gap = t2 - t1;
    });
    CHECK(first == slow);
    CHECK(reads >= 2);   // the bytes came in pieces, not in one segment
    CHECK(to_slow_end >= 10 * 15ms);
    CHECK(to_end >= 10 * 15ms + 100ms);
    CHECK(gap >= 90ms);   // the last slow byte reached the client a little after it left
    CHECK(rest.bytes == "!");
    CHECK(rest.ec == asio::error::eof);
    CHECK(server.finished_scripts() == 1);
    CHECK(server.errors().empty());
}

TEST_CASE("scripted_server: reset after the request gives the client ECONNRESET", "[testing][scripted]")
{
    asio::io_context io;
    scripted_server server(io.get_executor());
    server.add(connection_script().read_request().reset());
    const tcp::endpoint at = server.start();
    const std::string request = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
    received r;
    run(io, server, [&]() -> asio::awaitable<void> {
        tcp::socket s(io);
        co_await connect(s, at);
        co_await write(s, request);
        r = co_await read_all(s);
    });
    CHECK(r.bytes.empty());
    CHECK(r.ec == asio::error::connection_reset);
    REQUIRE(server.requests().size() == 1);
    CHECK(server.requests()[0] == request);
    CHECK(server.finished_scripts() == 1);
    CHECK(server.errors().empty());
}

TEST_CASE("scripted_server: read_head, an early 401 and drain let a large body write complete", "[testing][scripted]")
{
    asio::io_context io;
    scripted_server server(io.get_executor());
    const std::string answer = "HTTP/1.1 401 Unauthorized\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
    server.add(connection_script().read_head().write(answer).drain(10s).close());
    const tcp::endpoint at = server.start();
    constexpr std::size_t body_size = 8 * 1024 * 1024;   // far past the socket buffers
    const std::string head = "POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: " + std::to_string(body_size) + "\r\n\r\n";
    const std::string request = head + std::string(body_size, 'b');
    std::error_code write_ec;
    std::size_t written = 0;
    received r;
    run(io, server, [&]() -> asio::awaitable<void> {
        tcp::socket s(io);
        co_await connect(s, at);
        auto [ec, n] = co_await asio::async_write(s, asio::buffer(request), tuple_awaitable);
        write_ec = ec;
        written = n;
        s.shutdown(tcp::socket::shutdown_send);   // the end of the drain
        r = co_await read_all(s);
    });
    CHECK(!write_ec);
    CHECK(written == request.size());
    CHECK(r.bytes == answer);
    CHECK(r.ec == asio::error::eof);
    REQUIRE(server.requests().size() == 1);
    CHECK(server.requests()[0] == head);   // read_head records the head only
    CHECK(server.finished_scripts() == 1);
    CHECK(server.errors().empty());
}

TEST_CASE("scripted_server: read_body after read_head answers Expect: 100-continue", "[testing][scripted]")
{
    asio::io_context io;
    scripted_server server(io.get_executor());
    const std::string interim = "HTTP/1.1 100 Continue\r\n\r\n";
    server.add(connection_script().read_head().write(interim).read_body().write(std::string(ok_response)));
    const tcp::endpoint at = server.start();
    const std::string head = "POST / HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n";
    std::string first;
    received r;
    run(io, server, [&]() -> asio::awaitable<void> {
        tcp::socket s(io);
        co_await connect(s, at);
        co_await write(s, head);
        const std::size_t n = co_await asio::async_read_until(s, asio::dynamic_buffer(first), "\r\n\r\n",
                                                              asio::use_awaitable);
        first.resize(n);
        co_await write(s, "hello");
        r = co_await read_all(s);
    });
    CHECK(first == interim);
    CHECK(r.bytes == ok_response);
    REQUIRE(server.requests().size() == 1);
    CHECK(server.requests()[0] == head + "hello");
    CHECK(server.finished_scripts() == 1);
    CHECK(server.errors().empty());
}

TEST_CASE("scripted_server: await_eof and stall wait for the client", "[testing][scripted]")
{
    asio::io_context io;
    scripted_server server(io.get_executor());

    SECTION("await_eof: the client closes in time")
    {
        server.add(connection_script().write("x").await_eof(10s));
        const tcp::endpoint at = server.start();
        std::string x(1, '\0');
        received r;
        run(io, server, [&]() -> asio::awaitable<void> {
            tcp::socket s(io);
            co_await connect(s, at);
            co_await asio::async_read(s, asio::buffer(x), asio::use_awaitable);
            s.shutdown(tcp::socket::shutdown_send);
            r = co_await read_all(s);   // the server closes once it has seen ours
        });
        CHECK(x == "x");
        CHECK(r.bytes.empty());
        CHECK(r.ec == asio::error::eof);
        CHECK(server.finished_scripts() == 1);
        CHECK(server.errors().empty());
    }

    SECTION("await_eof: the client stays, the script fails and the connection closes")
    {
        server.add(connection_script().await_eof(100ms).write("never"));
        const tcp::endpoint at = server.start();
        received r;
        clock_type::duration took{};
        run(io, server, [&]() -> asio::awaitable<void> {
            tcp::socket s(io);
            co_await connect(s, at);
            const clock_type::time_point t0 = clock_type::now();
            r = co_await read_all(s);
            took = clock_type::now() - t0;
        });
        CHECK(r.bytes.empty());
        CHECK(r.ec == asio::error::eof);
        CHECK(took >= 100ms);
        CHECK(server.finished_scripts() == 0);
        const std::vector<std::string> errors = server.errors();
        REQUIRE(errors.size() == 1);
        CHECK(errors[0] == "connection 1, step 1 (await_eof): the peer did not close within 100 ms");
    }

    SECTION("stall: nothing arrives until the client gives up")
    {
        server.add(connection_script().stall());
        const tcp::endpoint at = server.start();
        std::size_t winner = 99;
        std::error_code after;
        run(io, server, [&]() -> asio::awaitable<void> {
            tcp::socket s(io);
            co_await connect(s, at);
            co_await write(s, "GET / HTTP/1.1\r\n\r\n");   // read and dropped
            std::array<char, 16> buf;
            asio::steady_timer timer(io, 200ms);
            const auto first = co_await (s.async_read_some(asio::buffer(buf), tuple_awaitable) ||
                                         timer.async_wait(tuple_awaitable));
            winner = first.index();
            s.shutdown(tcp::socket::shutdown_send);   // the stall ends, then the implicit close
            after = (co_await read_all(s)).ec;
        });
        CHECK(winner == 1);   // the timer: no byte came in 200 ms
        CHECK(after == asio::error::eof);
        CHECK(server.finished_scripts() == 1);
        CHECK(server.errors().empty());
    }
}

TEST_CASE("scripted_server: a failed step is recorded and ends the connection", "[testing][scripted]")
{
    asio::io_context io;
    scripted_server server(io.get_executor());
    std::string sent;
    std::string expected;

    SECTION("the peer closes inside the body")
    {
        server.add(connection_script().read_request().write("never"));
        sent = "POST / HTTP/1.1\r\nContent-Length: 10\r\n\r\nabc";
        expected = "connection 1, step 1 (read_request): the peer closed the connection before the end of the request";
    }
    SECTION("a bad chunk-size line")
    {
        server.add(connection_script().read_request().write("never"));
        sent = "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n";
        expected = "connection 1, step 1 (read_request): bad chunk-size line: zz";
    }
    SECTION("a Content-Length that is not a number")
    {
        server.add(connection_script().read_head().write("never"));
        sent = "POST / HTTP/1.1\r\nContent-Length: 1x\r\n\r\n";
        expected = "connection 1, step 1 (read_head): Content-Length is not a number: 1x";
    }
    SECTION("read_body without read_head")
    {
        server.add(connection_script().write("a").read_body().write("never"));
        expected = "connection 1, step 2 (read_body): no read_head() before it on this connection";
    }
    const tcp::endpoint at = server.start();
    received r;
    run(io, server, [&]() -> asio::awaitable<void> {
        tcp::socket s(io);
        co_await connect(s, at);
        if (!sent.empty()) {
            co_await write(s, sent);
        }
        s.shutdown(tcp::socket::shutdown_send);
        r = co_await read_all(s);
    });
    CHECK(!contains(r.bytes, "never"));
    CHECK(server.finished_scripts() == 0);
    CHECK(server.requests().empty());
    const std::vector<std::string> errors = server.errors();
    REQUIRE(errors.size() == 1);
    CHECK(errors[0] == expected);
}

TEST_CASE("scripted_server: stop() interrupts a pause without an error", "[testing][scripted]")
{
    asio::io_context io;
    scripted_server server(io.get_executor());
    server.add(connection_script().pause(10s).write("late"));
    const tcp::endpoint at = server.start();
    received r;
    std::size_t open_before = 0;
    clock_type::duration took{};
    run(io, server, [&]() -> asio::awaitable<void> {
        const clock_type::time_point t0 = clock_type::now();
        tcp::socket s(io);
        co_await connect(s, at);
        asio::steady_timer timer(io, 50ms);
        co_await timer.async_wait(asio::use_awaitable);
        open_before = server.open_connections();
        server.stop();
        r = co_await read_all(s);
        took = clock_type::now() - t0;
    });
    CHECK(open_before == 1);
    CHECK(r.bytes.empty());
    CHECK(took < 5s);
    CHECK(server.open_connections() == 0);
    CHECK(server.finished_scripts() == 0);
    CHECK(server.errors().empty());
}

TEST_CASE("scripted_server: mistakes in a script are refused when it is built", "[testing][scripted]")
{
    asio::io_context io;
    connection_script closed;
    closed.close();
    CHECK_THROWS_AS(closed.write("x"), std::logic_error);
    connection_script reset;
    reset.write("x").reset();
    CHECK_THROWS_AS(reset.pause(1ms), std::logic_error);
    connection_script late;
    late.write("x");
    CHECK_THROWS_AS(late.stall_handshake(), std::logic_error);
    CHECK(late.steps().size() == 1);

    scripted_server plain(io.get_executor());
    CHECK_THROWS_AS(plain.add(connection_script().stall_handshake()), std::invalid_argument);
    CHECK(plain.pending_scripts() == 0);
    CHECK(plain.ca_certificate_pem().empty());
    const tcp::endpoint at = plain.start();
    CHECK(at.port() != 0);
    std::error_code ec;
    const tcp::endpoint again = plain.start(ec);
    CHECK(ec == asio::error::already_started);
    static_cast<void>(again);
}

// ---- TLS -------------------------------------------------------------------------------------

TEST_CASE("scripted_server TLS: requests read, close sends close_notify without waiting for the client's",
          "[testing][scripted][tls]")
{
    asio::io_context io;
    scripted_server server(io.get_executor(), {.tls = true});
    server.add(connection_script().read_request().write(std::string(ok_response)).close());
    const tcp::endpoint at = server.start();
    const std::string ca = server.ca_certificate_pem();
    REQUIRE(contains(ca, "-----BEGIN CERTIFICATE-----"));
    const std::string request = "POST / HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\n"
                                "3\r\nabc\r\n0\r\n\r\n";
    asio::ssl::context ctx = client_context(ca);
    std::error_code handshake;
    std::string alpn;
    received r;
    std::size_t finished_while_open = 0;
    run(io, server, [&]() -> asio::awaitable<void> {
        tls_stream s(io, ctx);
        handshake = co_await tls_connect(s, at);
        if (handshake) {
            co_return;
        }
        alpn = alpn_of(s);
        co_await asio::async_write(s, asio::buffer(request), asio::use_awaitable);
        r = co_await read_all(s);
        // Our socket is still open and we sent no close_notify: the server must be done anyway.
        asio::steady_timer timer(io, 50ms);
        co_await timer.async_wait(asio::use_awaitable);
        finished_while_open = server.finished_scripts();
    });
    REQUIRE(!handshake);
    CHECK(alpn == "http/1.1");
    CHECK(r.bytes == ok_response);
    CHECK(r.ec == asio::error::eof);   // close_notify received: a clean end
    CHECK(finished_while_open == 1);
    REQUIRE(server.requests().size() == 1);
    CHECK(server.requests()[0] == request);
    CHECK(server.errors().empty());
}

TEST_CASE("scripted_server TLS: close_without_notify is a truncation, reset a reset", "[testing][scripted][tls]")
{
    asio::io_context io;
    scripted_server server(io.get_executor(), {.tls = true});
    server.add(connection_script().write("partial").close_without_notify());
    server.add(connection_script().read_request().reset());
    const tcp::endpoint at = server.start();
    asio::ssl::context ctx = client_context(server.ca_certificate_pem());
    std::array<std::error_code, 2> handshake;
    std::array<received, 2> r;
    run(io, server, [&]() -> asio::awaitable<void> {
        {
            tls_stream s(io, ctx);
            handshake[0] = co_await tls_connect(s, at);
            r[0] = co_await read_all(s);
        }
        tls_stream s(io, ctx);
        handshake[1] = co_await tls_connect(s, at);
        co_await asio::async_write(s, asio::buffer(std::string_view("GET / HTTP/1.1\r\n\r\n")), asio::use_awaitable);
        r[1] = co_await read_all(s);
    });
    CHECK(!handshake[0]);
    CHECK(r[0].bytes == "partial");
    CHECK(r[0].ec == asio::ssl::error::stream_truncated);
    CHECK(!handshake[1]);
    CHECK(r[1].bytes.empty());
    CHECK(r[1].ec == asio::error::connection_reset);
    CHECK(server.finished_scripts() == 2);
    CHECK(server.errors().empty());
}

TEST_CASE("scripted_server TLS: stall_handshake leaves the client's handshake pending", "[testing][scripted][tls]")
{
    asio::io_context io;
    scripted_server server(io.get_executor(), {.tls = true});
    server.add(connection_script().stall_handshake());
    const tcp::endpoint at = server.start();
    asio::ssl::context ctx = client_context(server.ca_certificate_pem());
    std::size_t winner = 99;
    clock_type::duration waited{};
    run(io, server, [&]() -> asio::awaitable<void> {
        tls_stream s(io, ctx);
        co_await s.next_layer().async_connect(at, asio::use_awaitable);
        const clock_type::time_point t0 = clock_type::now();
        asio::steady_timer timer(io, 200ms);
        // The timer wins and cancels the handshake.
        const auto first = co_await (s.async_handshake(asio::ssl::stream_base::client, tuple_awaitable) ||
                                     timer.async_wait(tuple_awaitable));
        waited = clock_type::now() - t0;
        winner = first.index();
        s.next_layer().close();
    });
    CHECK(winner == 1);
    CHECK(waited >= 200ms);
    CHECK(server.accepted() == 1);
    CHECK(server.finished_scripts() == 1);   // the client's close (or stop()) ends the stall
    CHECK(server.errors().empty());
}

TEST_CASE("scripted_server TLS: a refused handshake is recorded", "[testing][scripted][tls]")
{
    asio::io_context io;
    scripted_server server(io.get_executor(), {.tls = true});
    server.add(connection_script().write("never"));
    const tcp::endpoint at = server.start();
    asio::ssl::context ctx = client_context("");   // trusts nothing: refuses the certificate
    std::error_code handshake;
    run(io, server, [&]() -> asio::awaitable<void> {
        tls_stream s(io, ctx);
        handshake = co_await tls_connect(s, at);
        s.next_layer().close();
        // Let the server see the alert before the test stops it.
        asio::steady_timer timer(io, 100ms);
        co_await timer.async_wait(asio::use_awaitable);
    });
    CHECK(handshake);
    CHECK(server.finished_scripts() == 0);
    const std::vector<std::string> errors = server.errors();
    REQUIRE(errors.size() == 1);
    CHECK(contains(errors[0], "connection 1, TLS handshake: "));
}
