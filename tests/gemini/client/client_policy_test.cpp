// The client's quota and key policies against the mock server's enforcement: the limiter keeps
// the enforced rate without a single 429, two projects double it, a waiting request can be
// cancelled or refused for its deadline, invalid keys leave rotation, a spent daily quota fails
// over; the environment's keys and base URL; the observer; a client whose executor is a strand.
#include "client_support.hpp"

#include <asio/strand.hpp>

#include <algorithm>
#include <cstdlib>

using namespace client_test;

namespace {

/// Starts `n` streams at once on their own stream objects and waits for all.
std::vector<outcome> burst(asio::io_context& io, gemini::client& c, std::size_t n, gemini::call_options call = {},
                           std::vector<std::unique_ptr<gemini::stream>>* keep = nullptr)
{
    std::vector<std::unique_ptr<gemini::stream>> streams;
    std::vector<outcome> outs(n);
    const auto request = prompt();
    for (std::size_t i = 0; i < n; ++i) {
        streams.push_back(std::make_unique<gemini::stream>(c));
        REQUIRE_FALSE(streams.back()->start(model, request, call));
        spawn_drain(io, *streams.back(), outs[i]);
    }
    REQUIRE(pump(io, [&] {
        for (const outcome& o : outs) {
            if (!o.done) {
                return false;
            }
        }
        return true;
    }, 60s));
    if (keep != nullptr) {
        *keep = std::move(streams);
    }
    return outs;
}

} // namespace

TEST_CASE("the limiter keeps the mock's enforced RPM without a 429 at 3x offered load", "[client][limiter]")
{
    asio::io_context io;
    mock_options mo;
    mo.rpm = 5;
    mo.quota_window = 1s;   // a short "minute", so the test takes seconds
    mock_server server(io.get_executor(), mo);
    (void)server.start();
    auto o = options_for(server);
    o.limits = {.requests_per_minute = 5};
    o.limiter.window = 1s;
    o.limiter.window_margin = 100ms;
    o.retry.max_retries = 0;   // a 429 would show as a failure
    gemini::client c(io.get_executor(), o);

    const auto outs = burst(io, c, 15);
    for (const outcome& out : outs) {
        CHECK_FALSE(out.ec);
    }
    CHECK(server.counters().rate_limited == 0);
    CHECK(server.counters().requests == 15);
    c.shutdown();
    server.stop();
    io.run_for(100ms);
}

TEST_CASE("key rotation across two projects doubles the admitted rate", "[client][limiter][keys]")
{
    asio::io_context io;
    mock_options mo;
    mo.rpm = 4;
    mo.quota_window = 1s;
    mo.projects = {{.name = "p1", .keys = {"AIzaProjectOneKeyProjectOneKeyAAAA"}},
                   {.name = "p2", .keys = {"AIzaProjectTwoKeyProjectTwoKeyBBBB"}}};
    mock_server server(io.get_executor(), mo);
    (void)server.start();
    auto o = options_for(server);
    o.api_key.clear();
    o.projects = {{.name = "p1", .keys = {"AIzaProjectOneKeyProjectOneKeyAAAA"}, .limits = {.requests_per_minute = 4}},
                  {.name = "p2", .keys = {"AIzaProjectTwoKeyProjectTwoKeyBBBB"}, .limits = {.requests_per_minute = 4}}};
    o.limiter.window = 1s;
    o.limiter.window_margin = 100ms;
    o.retry.max_retries = 0;
    gemini::client c(io.get_executor(), o);

    std::vector<std::unique_ptr<gemini::stream>> streams;
    const auto outs = burst(io, c, 16, {}, &streams);
    std::size_t admitted_at_once = 0;
    for (std::size_t i = 0; i < outs.size(); ++i) {
        CHECK_FALSE(outs[i].ec);
        if (streams[i]->limiter_wait() < 300ms) {   // the window is 1 s
            ++admitted_at_once;
        }
    }
    CHECK(admitted_at_once == 8);   // 2 projects x 4 per window, where one project gives 4
    CHECK(server.counters().rate_limited == 0);
    REQUIRE(server.counters().project_requests.size() == 2);
    CHECK(server.counters().project_requests[0] == 8);
    CHECK(server.counters().project_requests[1] == 8);
    c.shutdown();
    server.stop();
    io.run_for(100ms);
}

TEST_CASE("a waiting request can be cancelled, and a wait past the deadline fails at once", "[client][limiter]")
{
    asio::io_context io;
    mock_server server(io.get_executor(), {});
    (void)server.start();
    manual_clock clock;
    auto o = options_for(server);
    o.clock = &clock;
    o.limits = {.requests_per_minute = 1};
    gemini::client c(io.get_executor(), o);

    const outcome first = stream_once(io, c, prompt());
    CHECK_FALSE(first.ec);

    // The second waits for the window; cancel it: its place is freed.
    gemini::stream waiting(c);
    REQUIRE_FALSE(waiting.start(model, prompt()));
    asio::cancellation_signal cancel;
    std::error_code cancelled_ec;
    bool cancelled_done = false;
    waiting.async_next(asio::bind_cancellation_slot(cancel.slot(), [&](std::error_code ec, const gemini::response*) {
        cancelled_ec = ec;
        cancelled_done = true;
    }));
    settle(io);
    CHECK(c.limiter().waiting() == 1);
    cancel.emit(asio::cancellation_type::terminal);
    REQUIRE(pump(io, [&] { return cancelled_done; }));
    CHECK(cancelled_ec == asio::error::operation_aborted);
    CHECK(c.limiter().waiting() == 0);
    CHECK(server.counters().requests == 1);

    // A deadline that comes before the window frees: refused at once, distinctly.
    const outcome refused = stream_once(io, c, prompt(), {.timeout = 5s});
    CHECK(refused.ec == gemini::limiter_error::would_exceed_deadline);
    CHECK(refused.ec == llmio::condition::rate_limited);
    CHECK(server.counters().requests == 1);

    // After the window (and the margin), the next one goes through.
    clock.advance(61s);
    const outcome later = stream_once(io, c, prompt());
    CHECK_FALSE(later.ec);
    c.shutdown();
    server.stop();
    io.run_for(100ms);
}

TEST_CASE("an invalid key leaves rotation and the request goes on with the next", "[client][keys]")
{
    asio::io_context io;
    mock_options mo;
    mo.api_key = "AIzaGoodGoodGoodGoodGoodGoodGoodGood22";
    mock_server server(io.get_executor(), mo);
    (void)server.start();
    auto o = options_for(server);
    o.api_key.clear();
    o.projects = {{.name = "p", .keys = {"AIzaBadBadBadBadBadBadBadBadBadBad11", "AIzaGoodGoodGoodGoodGoodGoodGoodGood22"}}};
    gemini::client c(io.get_executor(), o);
    const outcome out = stream_once(io, c, prompt());
    CHECK_FALSE(out.ec);
    CHECK(out.attempts == 2);
    CHECK(c.keys().usable_keys() == 1);
    const outcome next = stream_once(io, c, prompt());
    CHECK_FALSE(next.ec);
    CHECK(next.attempts == 1);
    c.shutdown();
    server.stop();
    io.run_for(100ms);
}

TEST_CASE("a spent daily quota fails over to another project", "[client][keys][limiter]")
{
    asio::io_context io;
    mock_options mo;
    mo.rpd = 1;
    mo.projects = {{.name = "p1", .keys = {"AIzaProjectOneKeyProjectOneKeyAAAA"}},
                   {.name = "p2", .keys = {"AIzaProjectTwoKeyProjectTwoKeyBBBB"}}};
    mock_server server(io.get_executor(), mo);
    (void)server.start();
    auto o = options_for(server);
    o.api_key.clear();
    o.projects = {{.name = "p1", .keys = {"AIzaProjectOneKeyProjectOneKeyAAAA"}},
                  {.name = "p2", .keys = {"AIzaProjectTwoKeyProjectTwoKeyBBBB"}}};
    gemini::client c(io.get_executor(), o);
    CHECK_FALSE(stream_once(io, c, prompt(), {.project = 0}).ec);   // p1's one request of the day
    const outcome moved = stream_once(io, c, prompt());
    CHECK_FALSE(moved.ec);
    CHECK(server.counters().project_requests[1] == 1);
    CHECK_FALSE((c.limiter().has_daily_quota(0, model) && c.limiter().has_daily_quota(1, model)));
    c.shutdown();
    server.stop();
    io.run_for(100ms);
}

TEST_CASE("keys and base URL from the environment, with the SDKs' precedence", "[client][keys]")
{
    asio::io_context io;
    mock_options mo;
    mo.api_key = "AIzaGoogleGoogleGoogleGoogleGoogle333";
    mock_server server(io.get_executor(), mo);
    (void)server.start();
    const std::string url = server.base_url();
    ::setenv("GOOGLE_GEMINI_BASE_URL", url.c_str(), 1);
    ::setenv("GEMINI_API_KEY", "AIzaGeminiGeminiGeminiGeminiGemini444", 1);
    ::setenv("GOOGLE_API_KEY", "AIzaGoogleGoogleGoogleGoogleGoogle333", 1);
    gemini::client_options o;
    o.pool.proxy = net::proxy_settings{};
    gemini::client c(io.get_executor(), o);
    ::unsetenv("GOOGLE_GEMINI_BASE_URL");
    ::unsetenv("GEMINI_API_KEY");
    ::unsetenv("GOOGLE_API_KEY");
    REQUIRE(c.warnings().size() == 1);
    CHECK(c.warnings()[0].find("GOOGLE_API_KEY") != std::string::npos);
    const outcome out = stream_once(io, c, prompt());
    CHECK_FALSE(out.ec);

    std::error_code ec;
    gemini::client_options nothing;   // named: g++ 12 -O3 warns falsely on the temporary's std::function
    nothing.pool.proxy = net::proxy_settings{};
    gemini::client none(io.get_executor(), nothing, ec);
    CHECK(ec == gemini::client_error::no_api_key);
    CHECK(ec == llmio::condition::auth);
    c.shutdown();
    server.stop();
    io.run_for(100ms);
}

namespace {

struct recorder final : gemini::observer {
    std::vector<std::string> seen;
    void on_request_start(const gemini::request_info& i) override
    {
        seen.push_back("start " + std::to_string(i.attempt));
    }
    void on_first_byte(const gemini::request_info&, int status, duration) override
    {
        seen.push_back("head " + std::to_string(status));
    }
    void on_event(const gemini::request_info&, const gemini::response&) override { seen.push_back("event"); }
    void on_retry(const gemini::request_info&, std::error_code, duration d, bool server) override
    {
        seen.push_back("retry " + std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(d).count()) +
                       (server ? " server" : ""));
    }
    void on_end(const gemini::request_info&, std::error_code ec, const std::optional<gemini::usage_metadata>& u) override
    {
        seen.push_back(std::string("end ") + (ec ? "error" : "ok") + (u ? " usage" : ""));
    }
};

} // namespace

TEST_CASE("the observer sees start, head, events, retries and the end", "[client][observer]")
{
    asio::io_context io;
    mock_options mo;
    mo.events = 2;
    mo.fault = mock_fault::quota_per_minute;
    mo.fault_limit = 1;
    mock_server server(io.get_executor(), mo);
    (void)server.start();
    manual_clock clock;
    recorder rec;
    auto o = options_for(server);
    o.clock = &clock;
    o.observer = &rec;
    gemini::client c(io.get_executor(), o);
    gemini::stream s(c);
    REQUIRE_FALSE(s.start(model, prompt()));
    outcome out;
    spawn_drain(io, s, out);
    REQUIRE(pump(io, [&] { return clock.armed() > 0; }));
    clock.advance(2s);
    REQUIRE(pump(io, [&] { return out.done; }));
    const std::vector<std::string> expected{"start 1",  "head 429", "retry 2000 server", "start 2", "head 200",
                                            "event",    "event",    "end ok usage"};
    CHECK(rec.seen == expected);
    c.shutdown();
    server.stop();
    io.run_for(100ms);
}

TEST_CASE("a client on a strand streams, waits in its limiter and completes on the strand", "[client][limiter][executor]")
{
    // The client's executor is whatever the caller gives: here a strand over the io_context, the
    // way a multi-threaded server keeps each client's state single-threaded. The concrete
    // io_context fast paths must not take it for the io_context's own executor (Asio 1.22's
    // any_io_executor::target<T>() does not check the type), and every completion runs on it.
    const bool tls = GENERATE(false, true);
    CAPTURE(tls);
    asio::io_context io;
    mock_options mo;
    mo.tls = tls;
    mo.rpm = 3;
    mo.quota_window = 1s;
    mock_server server(io.get_executor(), mo);
    (void)server.start();
    auto o = options_for(server);
    o.limits = {.requests_per_minute = 3};   // six requests: the last three wait a window
    o.limiter.window = 1s;
    o.limiter.window_margin = 100ms;
    o.retry.max_retries = 0;
    const auto strand = asio::make_strand(io);
    gemini::client c(strand, o);
    const auto request = prompt();
    const std::string expected = expected_text(server, request);

    constexpr std::size_t n = 6;
    std::vector<std::unique_ptr<gemini::stream>> streams;
    std::vector<outcome> outs(n);
    std::size_t off_strand = 0;
    for (std::size_t i = 0; i < n; ++i) {
        streams.push_back(std::make_unique<gemini::stream>(c));
        REQUIRE_FALSE(streams.back()->start(model, request));
        asio::co_spawn(strand, [&s = *streams.back(), &out = outs[i], &strand, &off_strand]() -> asio::awaitable<void> {
            for (;;) {
                auto [ec, chunk] = co_await s.async_next(tuple_awaitable);
                off_strand += strand.running_in_this_thread() ? 0 : 1;
                if (ec || chunk == nullptr) {
                    out.ec = ec;
                    break;
                }
                out.text.append(s.chunk_text());
                ++out.chunks;
            }
            out.done = true;
        }, asio::detached);
    }
    REQUIRE(pump(io, [&] {
        return std::all_of(outs.begin(), outs.end(), [](const outcome& out) { return out.done; });
    }, 60s));
    for (const outcome& out : outs) {
        CHECK_FALSE(out.ec);
        CHECK(out.text == expected);
        CHECK(out.chunks > 1);
    }
    CHECK(off_strand == 0);
    CHECK(server.counters().rate_limited == 0);
    CHECK(server.counters().requests == n);
    c.shutdown();
    server.stop();
    io.run_for(100ms);
}
