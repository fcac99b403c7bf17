// Tests of bench/harness/metrics.hpp: each number as its definition says, on requests with
// known times: TTFT/TPOT/e2e from the origin, open loop (intended start, dispatch delay),
// warm-up exclusion, rates over the measured interval, goodput limits, errors by kind, merge.
#include "harness/metrics.hpp"

#include "support/catch.hpp"

#include <chrono>
#include <cstdint>
#include <string>

namespace {

using namespace std::chrono_literals;
using llmio::bench::metrics;
using llmio::bench::request_record;
using llmio::bench::steady_time;

// A fixed instant well away from the epoch (the epoch means "unset" in a record).
const steady_time t0 = steady_time{} + 1h;

// A successful streamed request: sent at `at`, first chunk after `ttft`, then `chunks - 1`
// gaps of `gap`.
request_record streamed(steady_time at, std::chrono::nanoseconds ttft, std::uint64_t chunks,
                        std::chrono::nanoseconds gap, std::uint64_t tokens = 0)
{
    request_record r;
    r.start = at;
    r.first_chunk = at + ttft;
    r.last_chunk = r.first_chunk + gap * static_cast<std::int64_t>(chunks - 1);
    r.chunks = chunks;
    r.output_tokens = tokens;
    return r;
}

std::uint64_t ns(std::chrono::nanoseconds d) { return static_cast<std::uint64_t>(d.count()); }

} // namespace

TEST_CASE("metrics: TTFT, TPOT and e2e of one request", "[bench][metrics]")
{
    metrics m;
    m.add(streamed(t0, 50ms, 10, 10ms, 20));
    CHECK(m.succeeded() == 1);
    CHECK(m.ttft().min() == ns(50ms));
    CHECK(m.e2e().min() == ns(140ms));
    CHECK(m.tpot().min() == ns(10ms));   // (140 - 50) / (10 - 1)
    CHECK(m.output_tokens().min() == 20);
    CHECK(m.total_output_tokens() == 20);
    CHECK(m.itl().count() == 0);         // gaps come from add_chunk_gap only
    CHECK(m.dispatch_delay().count() == 0);
    CHECK(m.limiter_wait().count() == 1);
    CHECK(m.limiter_wait().max() == 0);

    SECTION("one chunk: no TPOT")
    {
        m.add(streamed(t0, 30ms, 1, 0ms));
        CHECK(m.ttft().count() == 2);
        CHECK(m.tpot().count() == 1);
    }
    SECTION("ITL: every gap reported, pooled")
    {
        for (int i = 0; i < 9; ++i)
            m.add_chunk_gap(10ms);
        m.add_chunk_gap(30ms);
        CHECK(m.itl().count() == 10);
        CHECK(m.itl().value_at_percentile(50) == m.itl().highest_equivalent(ns(10ms)));
        CHECK(m.itl().max() == ns(30ms));
    }
}

TEST_CASE("metrics: open loop counts from the intended send time", "[bench][metrics]")
{
    request_record r = streamed(t0 + 5ms, 50ms, 3, 10ms);
    r.intended_start = t0;   // the harness sent 5 ms late
    r.limiter_wait = 2ms;
    r.retries = 2;

    metrics intended;
    intended.add(r);
    CHECK(intended.ttft().min() == ns(55ms));
    CHECK(intended.e2e().min() == ns(75ms));
    CHECK(intended.tpot().min() == ns(10ms));
    CHECK(intended.dispatch_delay().min() == ns(5ms));
    CHECK(intended.limiter_wait().min() == ns(2ms));
    CHECK(intended.retries() == 2);

    metrics actual({.origin = llmio::bench::latency_origin::actual});
    actual.add(r);
    CHECK(actual.ttft().min() == ns(50ms));
    CHECK(actual.dispatch_delay().min() == ns(5ms));   // reported either way

    request_record early = r;
    early.start = t0 - 1ms;   // sent before its time: delay 0, never negative
    metrics e;
    e.add(early);
    CHECK(e.dispatch_delay().max() == 0);
}

TEST_CASE("metrics: warm-up requests and their gaps are dropped", "[bench][metrics]")
{
    metrics m({.window_begin = t0 + 1s});
    m.add(streamed(t0, 10ms, 2, 10ms));               // warm-up
    m.add(streamed(t0 + 2s, 10ms, 2, 10ms, 7));
    m.add_chunk_gap(10ms, t0);                        // a warm-up request's gap
    m.add_chunk_gap(20ms, t0 + 2s);
    request_record late_intended = streamed(t0 + 1s + 1ms, 10ms, 2, 10ms);
    late_intended.intended_start = t0 + 999ms;        // intended inside warm-up: dropped
    m.add(late_intended);
    request_record failed_warm;
    failed_warm.start = t0;
    failed_warm.error = "timeout";
    m.add(failed_warm);

    CHECK(m.warmup_excluded() == 3);
    CHECK(m.requests() == 1);
    CHECK(m.failed() == 0);
    CHECK(m.errors().empty());
    CHECK(m.total_output_tokens() == 7);
    CHECK(m.itl().count() == 1);
    CHECK(m.itl().min() == ns(20ms));
}

TEST_CASE("metrics: rates over the measured interval", "[bench][metrics]")
{
    metrics m({.window_begin = t0});
    for (int i = 0; i < 100; ++i)
        m.add(streamed(t0 + i * 50ms, 20ms, 5, 10ms, 5));
    request_record failed = streamed(t0 + 1s, 20ms, 2, 10ms, 3);   // tokens counted, request not
    failed.error = "http_503";
    m.add(failed);

    SECTION("the end given")
    {
        m.end_window(t0 + 10s);
        CHECK(m.measured_seconds() == 10.0);
        CHECK(m.requests_per_s() == 10.0);
        CHECK(m.output_tokens_per_s() == 50.3);
        CHECK(m.goodput_per_s() == 10.0);   // no limits: every success
    }
    SECTION("else the last chunk")
    {
        // The last request starts at 4.95 s and ends 20 + 4 * 10 ms later.
        CHECK(m.measured_seconds() == Approx(5.01));
    }
    SECTION("without a window beginning, the earliest origin")
    {
        metrics open;
        open.add(streamed(t0 + 2s, 20ms, 1, 0ms));
        open.add(streamed(t0 + 1s, 20ms, 1, 0ms));
        open.end_window(t0 + 3s);
        CHECK(open.measured_seconds() == 2.0);
        CHECK(open.warmup_excluded() == 0);
    }
    SECTION("nothing measured: zero rates, no division by zero")
    {
        metrics empty;
        CHECK(empty.measured_seconds() == 0);
        CHECK(empty.requests_per_s() == 0);
    }
}

TEST_CASE("metrics: goodput under TTFT, TPOT and e2e limits", "[bench][metrics]")
{
    metrics m({.window_begin = t0, .limits = {.ttft = 100ms, .tpot = 20ms, .e2e = 0ms}});
    m.add(streamed(t0, 50ms, 10, 10ms));     // good
    m.add(streamed(t0, 150ms, 10, 10ms));    // TTFT too long
    m.add(streamed(t0, 50ms, 10, 30ms));     // TPOT too long
    m.add(streamed(t0, 100ms, 1, 0ms));      // one chunk: no TPOT, TTFT at the limit: good
    request_record no_output;                 // succeeded without output: fails a TTFT limit
    no_output.start = t0;
    m.add(no_output);
    request_record failed = streamed(t0, 10ms, 2, 1ms);
    failed.error = "timeout";
    m.add(failed);
    m.end_window(t0 + 2s);

    CHECK(m.succeeded() == 5);
    CHECK(m.good_requests() == 2);
    CHECK(m.goodput_per_s() == 1.0);

    metrics e2e({.window_begin = t0, .limits = {.ttft = 0ms, .tpot = 0ms, .e2e = 200ms}});
    e2e.add(streamed(t0, 50ms, 10, 10ms));   // 140 ms
    e2e.add(streamed(t0, 50ms, 10, 20ms));   // 230 ms
    CHECK(e2e.good_requests() == 1);
}

TEST_CASE("metrics: errors by kind, bounded", "[bench][metrics]")
{
    metrics m;
    const auto fail = [&](std::string kind, int n) {
        request_record r;
        r.start = t0;
        r.error = kind;   // a view: the metrics copies the key
        for (int i = 0; i < n; ++i)
            m.add(r);
    };
    fail("timeout", 2);
    fail("http_429", 3);
    fail("timeout", 1);
    REQUIRE(m.errors().size() == 2);
    CHECK(m.errors()[0].kind == "timeout");
    CHECK(m.errors()[0].count == 3);
    CHECK(m.errors()[1].count == 3);
    for (int i = 0; i < 30; ++i)
        fail("kind_" + std::to_string(i), 1);
    CHECK(m.errors().size() == llmio::bench::max_error_kinds);
    CHECK(m.errors().back().kind == "other");
    CHECK(m.errors().back().count == 30 - (llmio::bench::max_error_kinds - 3));
    CHECK(m.failed() == 36);
    CHECK(m.ttft().count() == 0);
}

TEST_CASE("metrics: merge equals collecting everything in one", "[bench][metrics]")
{
    const llmio::bench::metrics_options o{.window_begin = t0, .limits = {.ttft = 60ms}};
    metrics all(o), a(o), b(o);
    for (int i = 0; i < 400; ++i) {
        request_record r = streamed(t0 + i * 7ms, std::chrono::milliseconds(40 + i % 37), 3 + i % 5,
                                    std::chrono::microseconds(9000 + i * 13), 4 + i % 3);
        r.retries = i % 2;
        if (i % 50 == 0)
            r.error = i % 100 == 0 ? "timeout" : "http_500";
        all.add(r);
        (i % 3 == 0 ? a : b).add(r);
        all.add_chunk_gap(std::chrono::microseconds(9000 + i));
        (i % 2 == 0 ? a : b).add_chunk_gap(std::chrono::microseconds(9000 + i));
    }
    a.merge(b);
    CHECK(a.requests() == all.requests());
    CHECK(a.good_requests() == all.good_requests());
    CHECK(a.retries() == all.retries());
    CHECK(a.total_output_tokens() == all.total_output_tokens());
    CHECK(a.measured_seconds() == all.measured_seconds());
    CHECK(a.errors().size() == all.errors().size());
    for (const double p : {0.0, 50.0, 90.0, 99.0, 99.9, 100.0}) {
        CHECK(a.ttft().value_at_percentile(p) == all.ttft().value_at_percentile(p));
        CHECK(a.itl().value_at_percentile(p) == all.itl().value_at_percentile(p));
        CHECK(a.tpot().value_at_percentile(p) == all.tpot().value_at_percentile(p));
        CHECK(a.e2e().value_at_percentile(p) == all.e2e().value_at_percentile(p));
    }
    CHECK(a.ttft().mean() == all.ttft().mean());
}
