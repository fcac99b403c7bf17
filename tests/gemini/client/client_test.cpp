// The Gemini client end to end against the embedded mock server on loopback: streaming and
// the one-shot operations, every error kind the service sends, retries and their timing on a
// manual clock, the retry budget, the rate limiter against the mock's enforced quota, keys and
// projects, cancellation, the observer.
#include "client_support.hpp"

#include <asio/bind_executor.hpp>
#include <asio/strand.hpp>

#include <cstdlib>

using namespace client_test;

TEST_CASE("streams a reply chunk by chunk, plaintext and TLS", "[client][stream]")
{
    const bool tls = GENERATE(false, true);
    CAPTURE(tls);
    asio::io_context io;
    mock_options mo;
    mo.events = 5;
    mo.tls = tls;
    mock_server server(io.get_executor(), mo);
    (void)server.start();
    gemini::client c(io.get_executor(), options_for(server));

    const auto request = prompt();
    const outcome out = stream_once(io, c, request);
    CHECK_FALSE(out.ec);
    CHECK(out.chunks == 5);
    CHECK(out.text == expected_text(server, request));
    CHECK(out.finish == gemini::finish_reason::stop);
    REQUIRE(out.usage);
    CHECK(out.usage->prompt == mock_server::prompt_tokens(R"({"contents":[{"role":"user","parts":[{"text":"Write a haiku about sockets."}]}]})"));
    CHECK(out.attempts == 1);

    // The same stream object again: its buffers are reused, the connection too.
    const outcome again = stream_once(io, c, request);
    CHECK_FALSE(again.ec);
    CHECK(again.text == out.text);
    CHECK(c.pool().stats().connects == 1);
    c.shutdown();
    server.stop();
    io.run_for(100ms);
}

TEST_CASE("the stream object is reusable and reports misuse", "[client][stream]")
{
    asio::io_context io;
    mock_options mo;
    mo.events = 3;
    mock_server server(io.get_executor(), mo);
    (void)server.start();
    gemini::client c(io.get_executor(), options_for(server));
    gemini::stream s(c);

    std::error_code not_started;
    bool called = false;
    s.async_next([&](std::error_code ec, const gemini::response*) {
        not_started = ec;
        called = true;
    });
    CHECK_FALSE(called);   // never inline
    REQUIRE(pump(io, [&] { return called; }));
    CHECK(not_started == gemini::client_error::not_started);

    CHECK(s.start("bad model/name", prompt()) == gemini::client_error::invalid_model);
    CHECK(s.start("gemini-2.0-flash", gemini::generate_content_request{}) == llmio::condition::invalid_input);
    CHECK(s.start("models/gemini-2.0-flash", prompt()) == std::error_code());

    for (int round = 0; round < 3; ++round) {
        REQUIRE_FALSE(s.start(model, prompt("round " + std::to_string(round))));
        outcome out;
        spawn_drain(io, s, out);
        REQUIRE(pump(io, [&] { return out.done; }));
        CHECK_FALSE(out.ec);
        CHECK(out.chunks == 3);
        CHECK(s.text() == out.text);
    }
    c.shutdown();
    server.stop();
    io.run_for(100ms);
}

TEST_CASE("a burst read at once is handed out chunk by chunk, never inline, on any executor", "[client][stream]")
{
    // Unpaced, the mock writes the whole answer at once: after the first read every chunk is
    // decoded from bytes already buffered (stream::async_next's post-only path).
    asio::io_context io;
    mock_options mo;
    mo.events = 20;
    mock_server server(io.get_executor(), mo);
    (void)server.start();
    gemini::client c(io.get_executor(), options_for(server));
    const auto request = prompt();
    const std::string expected = expected_text(server, request);

    const bool on_strand = GENERATE(false, true);
    CAPTURE(on_strand);
    auto strand = asio::make_strand(io);
    gemini::stream s(c);
    REQUIRE_FALSE(s.start(model, request));

    std::string text;
    std::size_t chunks = 0;
    bool ended = false;
    bool inline_completion = false;
    bool off_strand = false;
    std::error_code end_ec;
    std::error_code second_ec;
    int issued = 0;     // async_next calls made
    int returned = 0;   // of them, those that have returned
    std::function<void()> next = [&] {
        const int call = ++issued;
        auto handler = [&, call](std::error_code ec, const gemini::response* chunk) {
            inline_completion = inline_completion || returned < call;
            if (on_strand && !strand.running_in_this_thread()) {
                off_strand = true;
            }
            if (ec || chunk == nullptr) {
                end_ec = ec;
                ended = true;
                return;
            }
            ++chunks;
            text.append(s.chunk_text());
            next();
        };
        if (on_strand) {
            s.async_next(asio::bind_executor(strand, handler));
        }
        else {
            s.async_next(handler);
        }
        if (chunks == 5 && second_ec == std::error_code()) {
            // One operation at a time, also while a chunk from the buffer is on its way.
            s.async_next([&](std::error_code ec, const gemini::response*) { second_ec = ec; });
        }
        returned = call;
    };
    next();
    REQUIRE(pump(io, [&] { return ended && second_ec; }));
    CHECK_FALSE(end_ec);
    CHECK(chunks == 20);
    CHECK(text == expected);
    CHECK(s.text() == expected);
    CHECK(s.chunks() == 20);
    CHECK_FALSE(inline_completion);
    CHECK_FALSE(off_strand);
    CHECK(second_ec == gemini::client_error::busy);
    c.shutdown();
    server.stop();
    io.run_for(100ms);
}

TEST_CASE("one-shot operations: generate, count tokens, embed, batch embed, models", "[client][unary]")
{
    asio::io_context io;
    mock_options mo;
    mo.events = 4;
    mo.embedding_dimensions = 8;
    mock_server server(io.get_executor(), mo);
    (void)server.start();
    gemini::client c(io.get_executor(), options_for(server));
    const auto request = prompt();
    bool finished = false;
    // Everything an awaited call takes is named first: g++ 12 destroys temporaries inside a
    // co_await expression twice.
    const gemini::call_options call{};
    const gemini::embed_content_config plain{};
    gemini::embed_content_config four{};
    four.output_dimensionality = 4;

    asio::co_spawn(io, [&]() -> asio::awaitable<void> {
        auto [ec, r] = co_await c.async_generate_content(model, request, call, tuple_awaitable);
        CHECK_FALSE(ec);
        CHECK(r.text == expected_text(server, request));
        CHECK(r.finish == gemini::finish_reason::stop);
        CHECK(r.usage.has_value());
        CHECK(r.turn.role == gemini::role::model);
        CHECK_FALSE(r.turn.parts.empty());

        auto [tec, tokens] = co_await c.async_count_tokens(model, request, call, tuple_awaitable);
        CHECK_FALSE(tec);
        CHECK(tokens.total_tokens > 0);

        auto [eec, values] = co_await c.async_embed_content("text-embedding-004", "hello world", plain, call, tuple_awaitable);
        CHECK_FALSE(eec);
        CHECK(values.size() == 8);

        const std::vector<std::string> texts{"a", "b", "c"};
        auto [bec, many] = co_await c.async_batch_embed_contents("text-embedding-004", texts, four, call,
                                                                 tuple_awaitable);
        CHECK_FALSE(bec);
        REQUIRE(many.size() == 3);
        CHECK(many[0].size() == 4);
        CHECK(many[0] != many[1]);

        auto [lec, models] = co_await c.async_list_models(call, tuple_awaitable);
        CHECK_FALSE(lec);
        CHECK(models.size() == server.options().known_models.size());

        auto [gec, info] = co_await c.async_get_model("gemini-2.5-flash", call, tuple_awaitable);
        CHECK_FALSE(gec);
        CHECK(info.name == "models/gemini-2.5-flash");

        auto [nec, none] = co_await c.async_get_model("gemini-0-nonexistent", call, tuple_awaitable);
        CHECK(nec == gemini::error::not_found);
        finished = true;
    }, asio::detached);
    REQUIRE(pump(io, [&] { return finished; }));
    c.shutdown();
    server.stop();
    io.run_for(100ms);
}

namespace {

struct error_case {
    std::string_view fault;
    std::error_code expected;
    llmio::condition condition;
    std::string_view message_has;
    bool partial;   // text was handed out before the error
};

} // namespace

TEST_CASE("every error the service sends is typed, with an actionable message", "[client][errors]")
{
    using gemini::error;
    using llmio::condition;
    const error_case cases[] = {
        {"api_key_invalid", error::api_key_invalid, condition::auth, "GEMINI_API_KEY", false},
        {"permission_denied", error::permission_denied, condition::auth, "permission denied", false},
        {"api_not_enabled", error::api_not_enabled, condition::auth, "enable it", false},
        {"invalid_argument", error::invalid_argument, condition::bad_request, "invalid", false},
        {"location", error::location_not_supported, condition::bad_request, "relay endpoint", false},
        {"quota_per_minute", error::quota_requests_per_minute, condition::rate_limited, "retry after 2 s", false},
        {"quota_input_tokens", error::quota_input_tokens_per_minute, condition::rate_limited, "input token", false},
        {"quota_per_day", error::quota_requests_per_day, condition::rate_limited, "midnight Pacific", false},
        {"unavailable", error::unavailable, condition::server_error, "overloaded", false},
        {"internal", error::internal, condition::server_error, "HTTP 500", false},
        {"gateway_timeout", error::deadline_exceeded, condition::retryable, "HTTP 504", false},
        {"bad_gateway", error::internal, condition::server_error, "HTTP 502", false},
        {"prompt_blocked", error::prompt_blocked, condition::blocked, "blocked", false},
        {"finish_safety", error::finish_safety, condition::blocked, "partial output", true},
        {"finish_recitation", error::finish_recitation, condition::blocked, "recitation", true},
        {"error_mid_stream_raw", error::cancelled, condition::retryable, "partial output", true},
        {"error_mid_stream_data", error::unavailable, condition::server_error, "partial output", true},
        {"disconnect", {}, condition::truncated, "partial output", true},
        {"malformed_json", error::malformed_response, condition::protocol_error, "malformed", true},
    };
    const error_case& e = GENERATE_REF(from_range(std::begin(cases), std::end(cases)));
    CAPTURE(e.fault);

    asio::io_context io;
    mock_options mo;
    mo.events = 4;
    mo.fault = *llmio::testing::parse_mock_fault(e.fault);
    mock_server server(io.get_executor(), mo);
    (void)server.start();
    auto o = options_for(server);
    o.retry.max_retries = 0;
    gemini::client c(io.get_executor(), o);

    const outcome out = stream_once(io, c, prompt());
    REQUIRE(out.ec);
    if (e.expected) {
        CHECK(out.ec == e.expected);
    }
    CHECK(out.ec == e.condition);
    CHECK(out.message.find(e.message_has) != std::string::npos);
    CHECK(out.message.find(test_key) == std::string::npos);
    CHECK(out.text.empty() != e.partial);
    INFO(out.message);
    c.shutdown();
    server.stop();
    io.run_for(100ms);
}

TEST_CASE("an invalid key's message names the key only as AIza... and its last four", "[client][errors][keys]")
{
    asio::io_context io;
    mock_options mo;
    mo.api_key = "AIzaSyTheRightKeyTheRightKeyTheRight00";
    mock_server server(io.get_executor(), mo);
    (void)server.start();
    gemini::client c(io.get_executor(), options_for(server));
    const outcome out = stream_once(io, c, prompt());
    CHECK(out.ec == gemini::error::api_key_invalid);
    CHECK(out.message.find("AIza...WXYZ") != std::string::npos);
    CHECK(out.message.find(test_key) == std::string::npos);
    CHECK(out.message.find("check GEMINI_API_KEY") != std::string::npos);
    CHECK(out.attempts == 1);   // the only key left rotation: no second attempt
    CHECK(c.keys().usable_keys() == 0);
    c.shutdown();
    server.stop();
    io.run_for(100ms);
}

TEST_CASE("an unknown model, a timeout and a refused connection are typed", "[client][errors]")
{
    asio::io_context io;
    mock_options mo;
    mo.events = 3;
    mock_server server(io.get_executor(), mo);
    (void)server.start();
    auto o = options_for(server);
    o.retry.max_retries = 0;
    o.idle_timeout = 200ms;
    gemini::client c(io.get_executor(), o);

    const outcome unknown = stream_once(io, c, prompt(), {}, "gemini-0-nonexistent");
    CHECK(unknown.ec == gemini::error::not_found);
    CHECK(unknown.message.find("model name") != std::string::npos);

    // A stall after the first event: the idle limit ends it, with the partial output.
    mock_options stall = mo;
    stall.fault = mock_fault::stall;
    mock_server stalled(io.get_executor(), stall);
    (void)stalled.start();
    auto so = options_for(stalled);
    so.retry.max_retries = 0;
    so.idle_timeout = 200ms;
    gemini::client sc(io.get_executor(), so);
    const outcome timed_out = stream_once(io, sc, prompt());
    CHECK(timed_out.ec == net::error::idle_timeout);
    CHECK(timed_out.ec == llmio::condition::timeout);
    CHECK(timed_out.chunks == 1);

    // Nothing listens there.
    auto ro = options_for(server);
    ro.base_url = "http://127.0.0.1:1";
    ro.retry.max_retries = 0;
    gemini::client rc(io.get_executor(), ro);
    const outcome refused = stream_once(io, rc, prompt());
    CHECK(refused.ec == llmio::condition::network);

    c.shutdown();
    sc.shutdown();
    rc.shutdown();
    server.stop();
    stalled.stop();
    io.run_for(100ms);
}

TEST_CASE("a 429 with retryDelay 2s waits 2 s, not the computed backoff", "[client][retry]")
{
    asio::io_context io;
    mock_options mo;
    mo.events = 3;
    mo.fault = mock_fault::quota_per_minute;
    mo.fault_limit = 1;   // the first request only
    mock_server server(io.get_executor(), mo);
    (void)server.start();
    manual_clock clock;
    auto o = options_for(server);
    o.clock = &clock;
    o.retry.initial_delay = 10s;   // the computed backoff would be 5 s with random() = 0.5
    gemini::client c(io.get_executor(), o);

    gemini::stream s(c);
    REQUIRE_FALSE(s.start(model, prompt()));
    outcome out;
    spawn_drain(io, s, out);
    REQUIRE(pump(io, [&] { return server.counters().requests == 1 && clock.armed() > 0; }));
    settle(io);
    CHECK(server.counters().requests == 1);
    CHECK(clock.next_expiry() == clock.now() + 2s);
    clock.advance(1999ms);
    settle(io);
    CHECK(server.counters().requests == 1);
    CHECK_FALSE(out.done);
    clock.advance(1ms);
    REQUIRE(pump(io, [&] { return out.done; }));
    CHECK_FALSE(out.ec);
    CHECK(out.attempts == 2);
    CHECK(server.counters().requests == 2);
    c.shutdown();
    server.stop();
    io.run_for(100ms);
}

TEST_CASE("Retry-After on a 503 is honoured", "[client][retry]")
{
    asio::io_context io;
    mock_options mo;
    mo.fault = mock_fault::retry_after;
    mo.retry_after = std::chrono::seconds(3);
    mo.fault_limit = 1;
    mock_server server(io.get_executor(), mo);
    (void)server.start();
    manual_clock clock;
    auto o = options_for(server);
    o.clock = &clock;
    gemini::client c(io.get_executor(), o);
    gemini::stream s(c);
    REQUIRE_FALSE(s.start(model, prompt()));
    outcome out;
    spawn_drain(io, s, out);
    REQUIRE(pump(io, [&] { return clock.armed() > 0; }));
    CHECK(clock.next_expiry() == clock.now() + 3s);
    clock.advance(3s);
    REQUIRE(pump(io, [&] { return out.done; }));
    CHECK_FALSE(out.ec);
    CHECK(out.attempts == 2);
    c.shutdown();
    server.stop();
    io.run_for(100ms);
}

TEST_CASE("failures before the first chunk are retried; after it, never", "[client][retry]")
{
    asio::io_context io;
    manual_clock clock;

    SECTION("a connection cut before any event is retried")
    {
        mock_options mo;
        mo.events = 1;   // disconnect: zero events, then the cut
        mo.fault = mock_fault::disconnect;
        mo.fault_limit = 1;
        mock_server server(io.get_executor(), mo);
        (void)server.start();
        auto o = options_for(server);
        o.clock = &clock;
        gemini::client c(io.get_executor(), o);
        gemini::stream s(c);
        REQUIRE_FALSE(s.start(model, prompt()));
        outcome out;
        spawn_drain(io, s, out);
        REQUIRE(pump(io, [&] { return clock.armed() > 0; }));
        clock.advance(1s);   // full jitter: random() = 0.5 of the 1 s initial delay
        REQUIRE(pump(io, [&] { return out.done; }));
        CHECK_FALSE(out.ec);
        CHECK(out.attempts == 2);
        CHECK(out.chunks == 1);
        c.shutdown();
        server.stop();
    }
    SECTION("a mid-stream error after chunks is not retried and carries the partial text")
    {
        mock_options mo;
        mo.events = 4;
        mo.fault = mock_fault::error_mid_stream_data;
        mock_server server(io.get_executor(), mo);
        (void)server.start();
        auto o = options_for(server);
        o.clock = &clock;
        gemini::client c(io.get_executor(), o);
        const outcome out = stream_once(io, c, prompt());
        CHECK(out.ec == gemini::error::unavailable);
        CHECK(out.attempts == 1);
        CHECK(out.chunks == 2);
        CHECK_FALSE(out.text.empty());
        CHECK(server.counters().requests == 1);
        c.shutdown();
        server.stop();
    }
    SECTION("a per-day 429 is not retried")
    {
        mock_options mo;
        mo.fault = mock_fault::quota_per_day;
        mock_server server(io.get_executor(), mo);
        (void)server.start();
        auto o = options_for(server);
        o.clock = &clock;
        gemini::client c(io.get_executor(), o);
        const outcome out = stream_once(io, c, prompt());
        CHECK(out.ec == gemini::error::quota_requests_per_day);
        CHECK(out.attempts == 1);
        CHECK(server.counters().requests == 1);
        CHECK_FALSE(c.limiter().has_daily_quota(0, model));
        // The next request fails at once, client side, without asking the server.
        const outcome next = stream_once(io, c, prompt());
        CHECK(next.ec == gemini::limiter_error::daily_quota_exhausted);
        CHECK(server.counters().requests == 1);
        c.shutdown();
        server.stop();
    }
    io.run_for(100ms);
}

TEST_CASE("the total deadline covers every attempt and wait", "[client][retry]")
{
    asio::io_context io;
    mock_options mo;
    mo.fault = mock_fault::quota_per_minute;   // always, retryDelay 2s
    mock_server server(io.get_executor(), mo);
    (void)server.start();
    manual_clock clock;
    auto o = options_for(server);
    o.clock = &clock;
    o.timeout = 3s;
    gemini::client c(io.get_executor(), o);
    gemini::stream s(c);
    REQUIRE_FALSE(s.start(model, prompt()));
    outcome out;
    spawn_drain(io, s, out);
    REQUIRE(pump(io, [&] { return clock.armed() > 0; }));
    clock.advance(2s);   // the second attempt, at 2 s; the next 2 s wait would end after 3 s
    REQUIRE(pump(io, [&] { return out.done; }));
    CHECK(out.ec == gemini::error::quota_requests_per_minute);
    CHECK(out.attempts == 2);
    CHECK(out.message.find("deadline") != std::string::npos);
    c.shutdown();
    server.stop();
    io.run_for(100ms);
}

TEST_CASE("the retry budget keeps retries a bounded fraction under total failure", "[client][retry]")
{
    asio::io_context io;
    mock_options mo;
    mo.fault = mock_fault::internal;
    mock_server server(io.get_executor(), mo);
    (void)server.start();
    auto o = options_for(server);
    o.retry.initial_delay = 1ms;
    o.retry.max_delay = 1ms;
    gemini::client c(io.get_executor(), o);
    constexpr int requests = 60;
    int attempts = 0;
    for (int i = 0; i < requests; ++i) {
        const outcome out = stream_once(io, c, prompt());
        CHECK(out.ec == gemini::error::internal);
        attempts += out.attempts;
    }
    INFO("attempts " << attempts << " for " << requests << " requests");
    CHECK(attempts - requests <= 10);   // the budget's max_tokens: a storm is not possible
    CHECK(server.counters().requests == static_cast<std::uint64_t>(attempts));
    c.shutdown();
    server.stop();
    io.run_for(100ms);
}
