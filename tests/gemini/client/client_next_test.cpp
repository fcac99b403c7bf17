// stream::try_next against the embedded mock server: chunks already read are handed out at
// once, and everything that needs an operation (the first send, a read, the ending, a retry)
// is declined and left to async_next, which goes on from where try_next stopped. Its own
// translation unit: each handler type instantiates the client's composed operations once, and
// the test program's compile time is spread over its files.
#include "client_support.hpp"

using namespace client_test;

namespace {

/// Drains `s` asking try_next first and async_next only when it declines, as a loop that wants
/// no operation per buffered event would.
struct eager_drain {
    gemini::stream& s;
    std::string text{};
    std::size_t chunks = 0;
    std::size_t at_once = 0;     // chunks try_next gave
    std::size_t declined = 0;    // try_next said false while the stream was running
    bool ended = false;
    std::error_code end_ec{};
    std::error_code busy_ec{};   // try_next while async_next was pending: must decline

    void next()
    {
        std::error_code ec;
        const gemini::response* chunk = nullptr;
        while (s.try_next(ec, chunk)) {
            REQUIRE_FALSE(ec);
            REQUIRE(chunk != nullptr);   // the end is async_next's to report first
            CHECK(chunk == &s.chunk());
            ++chunks;
            ++at_once;
            text.append(s.chunk_text());
        }
        ++declined;
        s.async_next([this](std::error_code e, const gemini::response* c) {
            if (e || c == nullptr) {
                end_ec = e;
                ended = true;
                return;
            }
            ++chunks;
            text.append(s.chunk_text());
            next();
        });
        std::error_code pending_ec;
        const gemini::response* pending_chunk = nullptr;
        if (s.try_next(pending_ec, pending_chunk)) {
            busy_ec = gemini::client_error::busy;   // it answered while an operation ran
        }
    }
};

} // namespace

TEST_CASE("try_next hands out what was read at once and declines whatever needs an operation", "[client][stream]")
{
    asio::io_context io;
    const bool paced = GENERATE(false, true);
    CAPTURE(paced);
    mock_options mo;
    mo.events = 20;
    if (paced) {
        mo.itl = 5ms;   // one event per read: try_next has nothing to give between reads
    }
    mock_server server(io.get_executor(), mo);
    (void)server.start();
    gemini::client c(io.get_executor(), options_for(server));
    const auto request = prompt();
    const std::string expected = expected_text(server, request);
    gemini::stream s(c);

    std::error_code ec;
    const gemini::response* chunk = nullptr;
    CHECK_FALSE(s.try_next(ec, chunk));   // never started
    REQUIRE_FALSE(s.start(model, request));
    CHECK_FALSE(s.try_next(ec, chunk));   // started, not sent: only async_next sends
    CHECK(server.counters().requests == 0);

    eager_drain d{s};
    d.next();
    REQUIRE(pump(io, [&] { return d.ended; }));
    CHECK_FALSE(d.end_ec);
    CHECK_FALSE(d.busy_ec);
    CHECK(d.chunks == 20);
    CHECK(d.text == expected);
    CHECK(s.text() == expected);
    CHECK(s.chunks() == 20);
    CHECK(s.finish_reason() == gemini::finish_reason::stop);
    if (!paced) {
        CHECK(d.at_once > 0);   // the whole answer comes in one or a few reads
    }
    // Ended: try_next now gives what every later async_next gives, at once.
    chunk = &s.chunk();
    ec = gemini::client_error::busy;
    REQUIRE(s.try_next(ec, chunk));
    CHECK_FALSE(ec);
    CHECK(chunk == nullptr);

    // The stream object is reused: a new request starts over.
    REQUIRE_FALSE(s.start(model, request));
    CHECK_FALSE(s.try_next(ec, chunk));
    eager_drain again{s};
    again.next();
    REQUIRE(pump(io, [&] { return again.ended; }));
    CHECK_FALSE(again.end_ec);
    CHECK(again.text == expected);
    CHECK(c.pool().stats().connects == 1);
    c.shutdown();
    server.stop();
    io.run_for(100ms);
}

TEST_CASE("try_next after a mid-stream error gives the error and keeps the partial output", "[client][stream]")
{
    asio::io_context io;
    mock_options mo;
    mo.events = 4;
    mo.fault = mock_fault::error_mid_stream_data;
    mock_server server(io.get_executor(), mo);
    (void)server.start();
    gemini::client c(io.get_executor(), options_for(server));
    gemini::stream s(c);
    REQUIRE_FALSE(s.start(model, prompt()));
    eager_drain d{s};
    d.next();
    REQUIRE(pump(io, [&] { return d.ended; }));
    CHECK(d.end_ec == gemini::error::unavailable);   // reported by async_next, not lost
    CHECK(d.chunks == 2);
    CHECK(s.text() == d.text);
    CHECK_FALSE(d.text.empty());
    std::error_code ec;
    const gemini::response* chunk = &s.chunk();
    REQUIRE(s.try_next(ec, chunk));
    CHECK(ec == gemini::error::unavailable);
    CHECK(chunk == nullptr);
    CHECK(s.attempts() == 1);
    c.shutdown();
    server.stop();
    io.run_for(100ms);
}
