// llmio::testing::mock_stream: short reads, EOF, injected failures, delays, resets,
// cancellation, pairs, and a recorded Gemini stream read through it in tiny pieces.
//
// Every test drives an io_context with run_for(a generous guard) rather than run(): a bug that
// leaves an operation waiting then fails the test instead of hanging it. No test bounds how
// long anything takes from above.
#include <llmio/gemini/http_stream.hpp>
#include <llmio/testing/chunked_response.hpp>
#include <llmio/testing/mock_stream.hpp>

#include "support/catch.hpp"
#include "support/conformance.hpp"

#include <asio/bind_cancellation_slot.hpp>
#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/experimental/as_tuple.hpp>
#include <asio/experimental/awaitable_operators.hpp>
#include <asio/io_context.hpp>
#include <asio/read.hpp>
#include <asio/steady_timer.hpp>
#include <asio/use_awaitable.hpp>
#include <asio/write.hpp>

#include <chrono>
#include <exception>
#include <optional>
#include <string>
#include <vector>

using llmio::testing::mock_stream;
using namespace std::chrono_literals;
using asio::awaitable;
using asio::use_awaitable;
constexpr auto as_tuple = asio::experimental::as_tuple(asio::use_awaitable);

namespace {

constexpr auto guard = 20s;

// Runs `co` to completion on `ctx`; rethrows what it threw; fails if it did not finish.
void run(asio::io_context& ctx, awaitable<void> co)
{
    bool finished = false;
    std::exception_ptr error;
    asio::co_spawn(ctx, std::move(co), [&](std::exception_ptr e) {
        finished = true;
        error = e;
    });
    ctx.run_for(guard);
    REQUIRE(finished);
    if (error) {
        std::rethrow_exception(error);
    }
}

struct read_result {
    std::error_code ec;
    std::size_t n = 0;
};

awaitable<read_result> read_some(mock_stream& s, std::string& into, std::size_t size)
{
    std::string buf(size, '\0');
    auto [ec, n] = co_await s.async_read_some(asio::buffer(buf), as_tuple);
    into.append(buf, 0, n);
    co_return read_result{ec, n};
}

} // namespace

TEST_CASE("mock_stream: async_read with short reads gets everything, then EOF", "[testing][mock_stream]")
{
    asio::io_context ctx;
    mock_stream s(ctx.get_executor());
    const std::string data = "The quick brown fox jumps over the lazy dog";
    s.append_input(data);
    s.close_input();
    s.max_read_size(3);
    run(ctx, [&]() -> awaitable<void> {
        std::string got(data.size(), '\0');
        auto [ec, n] = co_await asio::async_read(s, asio::buffer(got), as_tuple);
        CHECK_FALSE(ec);
        CHECK(n == data.size());
        CHECK(got == data);
        // ceil(43 / 3) reads of at most 3 bytes each.
        CHECK(s.reads() == (data.size() + 2) / 3);
        std::string rest;
        const read_result eof = co_await read_some(s, rest, 16);
        CHECK(eof.ec == asio::error::eof);
        CHECK(eof.n == 0);
    }());
    CHECK(s.bytes_read() == data.size());
}

TEST_CASE("mock_stream: EOF after the buffered bytes, and reading past the end", "[testing][mock_stream]")
{
    asio::io_context ctx;
    mock_stream s(ctx.get_executor());
    s.append_input("abc");
    s.close_input();
    run(ctx, [&]() -> awaitable<void> {
        std::string got(10, '\0');
        auto [ec, n] = co_await asio::async_read(s, asio::buffer(got), as_tuple);
        CHECK(ec == asio::error::eof);
        CHECK(n == 3);
        CHECK(got.substr(0, 3) == "abc");
        std::string more;
        CHECK((co_await read_some(s, more, 4)).ec == asio::error::eof);
        // An empty buffer completes at once with nothing, even at EOF.
        auto [ec0, n0] = co_await s.async_read_some(asio::mutable_buffer(), as_tuple);
        CHECK_FALSE(ec0);
        CHECK(n0 == 0);
    }());
}

TEST_CASE("mock_stream: a read waits for input appended later", "[testing][mock_stream]")
{
    asio::io_context ctx;
    mock_stream s(ctx.get_executor());
    asio::steady_timer later(ctx, 5ms);
    later.async_wait([&](std::error_code) {
        s.append_input("late");
        s.close_input();
    });
    run(ctx, [&]() -> awaitable<void> {
        std::string got;
        const read_result r = co_await read_some(s, got, 16);
        CHECK_FALSE(r.ec);
        CHECK(got == "late");
    }());
}

TEST_CASE("mock_stream: handlers are posted, never run inside the initiating call", "[testing][mock_stream]")
{
    asio::io_context ctx;
    mock_stream s(ctx.get_executor());
    s.append_input("x");
    char c = 0;
    bool read_done = false;
    bool write_done = false;
    s.async_read_some(asio::buffer(&c, 1), [&](std::error_code ec, std::size_t n) {
        CHECK_FALSE(ec);
        CHECK(n == 1);
        read_done = true;
    });
    s.async_write_some(asio::buffer("y", 1), [&](std::error_code ec, std::size_t n) {
        CHECK_FALSE(ec);
        CHECK(n == 1);
        write_done = true;
    });
    CHECK_FALSE(read_done);
    CHECK_FALSE(write_done);
    ctx.run_for(guard);
    CHECK(read_done);
    CHECK(write_done);
    CHECK(c == 'x');
    CHECK(s.written() == "y");
}

TEST_CASE("mock_stream: the Nth read and the Nth write fail with the given codes", "[testing][mock_stream]")
{
    asio::io_context ctx;
    mock_stream s(ctx.get_executor());
    s.append_input("0123456789");
    s.max_read_size(2);
    s.fail_nth_read(3, asio::error::connection_aborted);
    s.fail_nth_read(5, std::make_error_code(std::errc::io_error));
    s.fail_nth_write(2, asio::error::timed_out);
    run(ctx, [&]() -> awaitable<void> {
        std::string got;
        std::vector<std::error_code> codes;
        for (int i = 0; i < 6; ++i) {
            codes.push_back((co_await read_some(s, got, 8)).ec);
        }
        CHECK(codes == std::vector<std::error_code>{{}, {}, asio::error::connection_aborted, {},
                                                    std::make_error_code(std::errc::io_error), {}});
        CHECK(got == "01234567");   // failed reads consume nothing

        std::vector<std::error_code> wcodes;
        for (const char* piece : {"a", "b", "c"}) {
            auto [ec, n] = co_await s.async_write_some(asio::buffer(piece, 1), as_tuple);
            wcodes.push_back(ec);
            CHECK(n == (ec ? 0u : 1u));
        }
        CHECK(wcodes == std::vector<std::error_code>{{}, asio::error::timed_out, {}});
        CHECK(s.written() == "ac");
    }());
    CHECK(s.reads() == 6);
    CHECK(s.writes() == 3);
}

TEST_CASE("mock_stream: async_write with short writes writes everything", "[testing][mock_stream]")
{
    asio::io_context ctx;
    mock_stream s(ctx.get_executor());
    s.max_write_size(4);
    const std::string request = "POST /v1beta/models/x:streamGenerateContent?alt=sse HTTP/1.1\r\n\r\n";
    run(ctx, [&]() -> awaitable<void> {
        auto [ec, n] = co_await asio::async_write(s, asio::buffer(request), as_tuple);
        CHECK_FALSE(ec);
        CHECK(n == request.size());
    }());
    CHECK(s.written() == request);
    CHECK(s.writes() == (request.size() + 3) / 4);
    s.clear_written();
    CHECK(s.written().empty());
}

TEST_CASE("mock_stream: read and write delays wait at least as long as asked", "[testing][mock_stream]")
{
    asio::io_context ctx;
    mock_stream s(ctx.get_executor());
    s.append_input("data");
    s.read_delay(30ms);
    s.write_delay(20ms);
    run(ctx, [&]() -> awaitable<void> {
        auto start = std::chrono::steady_clock::now();
        std::string got;
        const read_result r = co_await read_some(s, got, 16);
        CHECK(std::chrono::steady_clock::now() - start >= 30ms);
        CHECK_FALSE(r.ec);
        CHECK(got == "data");

        start = std::chrono::steady_clock::now();
        auto [ec, n] = co_await s.async_write_some(asio::buffer("out", 3), as_tuple);
        CHECK(std::chrono::steady_clock::now() - start >= 20ms);
        CHECK_FALSE(ec);
        CHECK(n == 3);
    }());
    CHECK(s.written() == "out");
}

TEST_CASE("mock_stream: the connection resets after n bytes were read", "[testing][mock_stream]")
{
    asio::io_context ctx;
    mock_stream s(ctx.get_executor());
    s.append_input(std::string(100, 'x'));
    s.max_read_size(4);
    s.reset_after_bytes(10);
    run(ctx, [&]() -> awaitable<void> {
        std::string got;
        std::vector<std::size_t> sizes;
        std::error_code ec;
        while (!ec) {
            const read_result r = co_await read_some(s, got, 64);
            ec = r.ec;
            sizes.push_back(r.n);
        }
        CHECK(ec == asio::error::connection_reset);
        CHECK(sizes == std::vector<std::size_t>{4, 4, 2, 0});
        CHECK(got.size() == 10);
        CHECK((co_await read_some(s, got, 64)).ec == asio::error::connection_reset);
        auto [wec, n] = co_await s.async_write_some(asio::buffer("z", 1), as_tuple);
        CHECK(wec == asio::error::connection_reset);
        CHECK(n == 0);
    }());
}

TEST_CASE("mock_stream: a cancellation signal aborts a waiting read promptly", "[testing][mock_stream]")
{
    asio::io_context ctx;
    mock_stream s(ctx.get_executor());
    asio::cancellation_signal signal;
    char buf[8];
    std::optional<std::error_code> result;
    s.async_read_some(asio::buffer(buf), asio::bind_cancellation_slot(signal.slot(),
        [&](std::error_code ec, std::size_t n) {
            CHECK(n == 0);
            result = ec;
        }));
    ctx.poll();
    CHECK_FALSE(result);   // waiting: no input, no EOF
    signal.emit(asio::cancellation_type::terminal);
    CHECK_FALSE(result);   // posted, not run inside emit()
    ctx.run_for(guard);
    REQUIRE(result);
    CHECK(*result == asio::error::operation_aborted);

    // The stream is usable afterwards, and a stale emission does nothing.
    signal.emit(asio::cancellation_type::terminal);
    s.append_input("ok");
    std::string got;
    ctx.restart();
    run(ctx, [&]() -> awaitable<void> {
        const read_result r = co_await read_some(s, got, 8);
        CHECK_FALSE(r.ec);
    }());
    CHECK(got == "ok");
}

TEST_CASE("mock_stream: cancellation during a delay, and through awaitable operators", "[testing][mock_stream]")
{
    using namespace asio::experimental::awaitable_operators;
    asio::io_context ctx;
    mock_stream s(ctx.get_executor());
    SECTION("|| with a timer: the read loses and completes")
    {
        run(ctx, [&]() -> awaitable<void> {
            std::string buf(8, '\0');
            asio::steady_timer timer(co_await asio::this_coro::executor, 10ms);
            auto winner = co_await (s.async_read_some(asio::buffer(buf), use_awaitable) ||
                                    timer.async_wait(use_awaitable));
            CHECK(winner.index() == 1);
            // The aborted read is no longer pending: a new one may start and gets data.
            s.append_input("after");
            std::string got;
            const read_result r = co_await read_some(s, got, 8);
            CHECK_FALSE(r.ec);
            CHECK(got == "after");
        }());
    }
    SECTION("a read in its delay is cancelled before it looks for data")
    {
        s.read_delay(std::chrono::hours(1));
        s.append_input("never read");
        asio::cancellation_signal signal;
        std::optional<std::error_code> result;
        char buf[4];
        s.async_read_some(asio::buffer(buf), asio::bind_cancellation_slot(signal.slot(),
            [&](std::error_code ec, std::size_t) { result = ec; }));
        asio::steady_timer soon(ctx, 5ms);
        soon.async_wait([&](std::error_code) { signal.emit(asio::cancellation_type::total); });
        ctx.run_for(guard);
        REQUIRE(result);
        CHECK(*result == asio::error::operation_aborted);
        CHECK(s.bytes_read() == 0);
    }
    SECTION("partial cancellation is honoured too (nothing was transferred)")
    {
        asio::cancellation_signal signal;
        std::optional<std::error_code> result;
        char buf[4];
        s.async_read_some(asio::buffer(buf), asio::bind_cancellation_slot(signal.slot(),
            [&](std::error_code ec, std::size_t) { result = ec; }));
        ctx.poll();
        signal.emit(asio::cancellation_type::partial);
        ctx.run_for(guard);
        REQUIRE(result);
        CHECK(*result == asio::error::operation_aborted);
    }
}

TEST_CASE("mock_stream: close, concurrent reads, and a closed end", "[testing][mock_stream]")
{
    asio::io_context ctx;
    mock_stream s(ctx.get_executor());
    std::vector<std::error_code> codes;
    char a[4];
    char b[4];
    s.async_read_some(asio::buffer(a), [&](std::error_code ec, std::size_t) { codes.push_back(ec); });
    s.async_read_some(asio::buffer(b), [&](std::error_code ec, std::size_t) { codes.push_back(ec); });
    ctx.poll();
    REQUIRE(codes.size() == 1);
    CHECK(codes[0] == asio::error::already_started);
    s.close();
    CHECK_FALSE(s.is_open());
    s.async_write_some(asio::buffer("x", 1), [&](std::error_code ec, std::size_t) { codes.push_back(ec); });
    ctx.run_for(guard);
    REQUIRE(codes.size() == 3);
    CHECK(codes[1] == asio::error::operation_aborted);
    CHECK(codes[2] == asio::error::bad_descriptor);
}

TEST_CASE("mock_stream: a pair carries bytes both ways; closing one end is EOF for the other", "[testing][mock_stream]")
{
    asio::io_context ctx;
    auto [client, server] = mock_stream::pair(ctx.get_executor());
    server.max_read_size(5);
    bool server_done = false;
    asio::co_spawn(ctx, [&]() -> awaitable<void> {
        std::string request;
        while (request.find("\r\n\r\n") == std::string::npos) {
            const read_result r = co_await read_some(server, request, 64);
            REQUIRE_FALSE(r.ec);
        }
        CHECK(request == "GET / HTTP/1.1\r\n\r\n");
        co_await asio::async_write(server, asio::buffer(std::string_view("HTTP/1.1 204 No Content\r\n\r\n")),
                                   use_awaitable);
        server.close();
        server_done = true;
    }, asio::detached);
    run(ctx, [&]() -> awaitable<void> {
        co_await asio::async_write(client, asio::buffer(std::string_view("GET / HTTP/1.1\r\n\r\n")), use_awaitable);
        std::string response;
        std::error_code ec;
        while (!ec) {
            ec = (co_await read_some(client, response, 7)).ec;
        }
        CHECK(ec == asio::error::eof);
        CHECK(response == "HTTP/1.1 204 No Content\r\n\r\n");
        auto [wec, n] = co_await client.async_write_some(asio::buffer("late", 4), as_tuple);
        CHECK(wec == asio::error::broken_pipe);
        CHECK(n == 0);
    }());
    CHECK(server_done);
    CHECK(client.written() == "GET / HTTP/1.1\r\n\r\n");
}

TEST_CASE("mock_stream: a recorded Gemini stream read in 1..7-byte pieces decodes", "[testing][mock_stream][gemini]")
{
    const auto body = llmio_test::read_conformance("gemini/googleai/streaming-success-basic-reply-short.txt");
    if (!body) {
        WARN("conformance data missing: skipped");
        return;
    }
    namespace gemini = llmio::gemini;
    // 0: the read size cycles through 1..7 on every read; 1..7: that size throughout.
    for (std::size_t fixed = 0; fixed <= 7; ++fixed) {
        INFO("read size " << (fixed == 0 ? std::string("1..7 cycling") : std::to_string(fixed)));
        asio::io_context ctx;
        mock_stream s(ctx.get_executor());
        s.append_input(llmio::testing::chunked_response(*body, 50));
        s.close_input();
        std::string text;
        std::error_code error;
        bool done = false;
        run(ctx, [&]() -> awaitable<void> {
            gemini::http_stream stream;
            std::string pending;
            char buf[64];
            std::size_t read_index = 0;
            bool eof = false;
            while (!done && !error) {
                // Consume what is buffered; read more only when the parser asks for it.
                const auto r = eof ? stream.put_eof(error) : stream.put(pending, error);
                if (!eof) {
                    pending.erase(0, r.consumed);
                }
                if (error) {
                    break;
                }
                if (r.what == gemini::http_stream::step::chunk) {
                    stream.chunk().for_each_text([&](std::string_view t) { text += t; });
                }
                else if (r.what == gemini::http_stream::step::done) {
                    done = true;
                }
                else if (r.what == gemini::http_stream::step::need_more && !eof) {
                    s.max_read_size(fixed == 0 ? 1 + read_index++ % 7 : fixed);
                    auto [ec, n] = co_await s.async_read_some(asio::buffer(buf), as_tuple);
                    pending.append(buf, n);
                    if (ec == asio::error::eof) {
                        eof = true;
                    }
                    else if (ec) {
                        error = ec;
                    }
                }
            }
            CHECK(stream.decoder().last_finish_reason() == gemini::finish_reason::stop);
        }());
        CHECK_FALSE(error);
        CHECK(done);
        CHECK(text == "The capital of Wyoming is **Cheyenne**.\n");
    }
}
