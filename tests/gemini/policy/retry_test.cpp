// gemini::retry_state, retry_budget and is_retryable: backoff sequences with a seeded random,
// caps, the server's delay, deadlines, the shared budget under failure, and which errors retry.
#include <llmio/clock.hpp>
#include <llmio/gemini/retry.hpp>
#include <llmio/net/error.hpp>

#include <asio/error.hpp>

#include "support/catch.hpp"

#include <chrono>
#include <cmath>
#include <limits>
#include <random>
#include <type_traits>
#include <vector>

namespace gemini = llmio::gemini;
using namespace std::chrono_literals;
using gemini::retry_verdict;
using std::chrono::nanoseconds;

static_assert(std::is_same_v<gemini::retry_state::time_point, llmio::clock_source::time_point>,
    "retry_state takes the clock_source's time points");

namespace {

using time_point = gemini::retry_state::time_point;
constexpr time_point no_deadline = time_point::max();
const time_point t0 = time_point{} + std::chrono::hours(1000);

const std::error_code unavailable = gemini::error::unavailable;

/// uniform [0, 1) from a seeded std::mt19937_64, shared by copies (std::function copies it).
struct seeded_random {
    explicit seeded_random(std::uint64_t seed) : engine(std::make_shared<std::mt19937_64>(seed)) {}
    double operator()() const { return std::uniform_real_distribution<double>(0.0, 1.0)(*engine); }
    std::shared_ptr<std::mt19937_64> engine;
};

std::vector<nanoseconds> delays_until_stop(gemini::retry_state& s, int max)
{
    std::vector<nanoseconds> out;
    for (int i = 0; i < max; ++i) {
        const auto d = s.on_failure(unavailable, 503, std::nullopt, t0, no_deadline, nullptr);
        if (d.verdict != retry_verdict::retry) {
            break;
        }
        out.push_back(d.delay);
    }
    return out;
}

} // namespace

TEST_CASE("no jitter: the exponential sequence, capped at max_delay", "[gemini][retry]")
{
    gemini::retry_options o;
    o.jitter = gemini::jitter_kind::none;
    o.max_retries = 9;
    gemini::retry_state s(o);
    const std::vector<nanoseconds> expected = {1s, 2s, 4s, 8s, 16s, 32s, 60s, 60s, 60s};
    CHECK(delays_until_stop(s, 20) == expected);
    CHECK(s.attempt() == 10);   // 9 retries, then the 10th failure exhausted them

    SECTION("a multiplier that overflows stays at the cap")
    {
        o.multiplier = 1e300;
        o.max_retries = 5;
        s.reset();
        const std::vector<nanoseconds> capped = {1s, 60s, 60s, 60s, 60s};
        CHECK(delays_until_stop(s, 20) == capped);
    }
    SECTION("max_delay below initial_delay caps the first delay too")
    {
        o.max_delay = 500ms;
        s.reset();
        for (const nanoseconds d : delays_until_stop(s, 20)) {
            CHECK(d == 500ms);
        }
    }
}

TEST_CASE("full jitter: random * min(max, initial * mult^n), deterministic with a seed", "[gemini][retry]")
{
    gemini::retry_options o;
    o.max_retries = 10;

    SECTION("a constant random gives the scaled sequence exactly")
    {
        o.random = [] { return 0.5; };
        gemini::retry_state s(o);
        const std::vector<nanoseconds> expected = {500ms, 1s, 2s, 4s, 8s, 16s, 30s, 30s, 30s, 30s};
        CHECK(delays_until_stop(s, 20) == expected);
    }
    SECTION("a seeded mt19937_64: the same seed, the same sequence; each within its bound")
    {
        o.random = seeded_random(42);
        gemini::retry_state a(o);
        const auto first = delays_until_stop(a, 20);
        o.random = seeded_random(42);
        gemini::retry_state b(o);
        CHECK(delays_until_stop(b, 20) == first);
        REQUIRE(first.size() == 10);

        // The sequence the formula gives for the same draws.
        seeded_random again(42);
        for (std::size_t n = 0; n < first.size(); ++n) {
            const double bound = std::min(60e9, 1e9 * std::pow(2.0, static_cast<double>(n)));
            const double r = again();
            CHECK(first[n] == nanoseconds(static_cast<std::int64_t>(bound * r)));
            CHECK(first[n] >= 0ns);
            CHECK(first[n] <= nanoseconds(static_cast<std::int64_t>(bound)));
        }
        o.random = seeded_random(43);
        gemini::retry_state c(o);
        CHECK(delays_until_stop(c, 20) != first);
    }
    SECTION("random values outside [0, 1) are clamped")
    {
        for (const double bad : {-1.0, 1.0, 7.5, std::numeric_limits<double>::quiet_NaN(),
                 std::numeric_limits<double>::infinity()}) {
            o.random = [bad] { return bad; };
            gemini::retry_state s(o);
            for (const nanoseconds d : delays_until_stop(s, 20)) {
                CHECK(d >= 0ns);
                CHECK(d <= 60s);
            }
        }
    }
    SECTION("the default random source stays within the bounds")
    {
        gemini::retry_state s(o);
        for (int round = 0; round < 50; ++round) {
            s.reset();
            const auto ds = delays_until_stop(s, 20);
            REQUIRE(ds.size() == 10);
            for (std::size_t n = 0; n < ds.size(); ++n) {
                CHECK(ds[n] >= 0ns);
                CHECK(ds[n] <= std::min<nanoseconds>(60s, nanoseconds(1s) * (1LL << std::min<std::size_t>(n, 6))));
            }
        }
    }
}

TEST_CASE("decorrelated jitter stays between initial_delay, 3x the previous delay and the cap", "[gemini][retry]")
{
    gemini::retry_options o;
    o.jitter = gemini::jitter_kind::decorrelated;
    o.max_retries = 20;
    o.random = seeded_random(7);
    gemini::retry_state s(o);
    bool reached_cap_region = false;
    for (int round = 0; round < 500; ++round) {
        s.reset();
        const auto ds = delays_until_stop(s, 30);
        REQUIRE(ds.size() == 20);
        nanoseconds previous = o.initial_delay;
        for (const nanoseconds d : ds) {
            CHECK(d >= o.initial_delay);
            CHECK(d <= o.max_delay);
            CHECK(d <= previous * 3);
            reached_cap_region = reached_cap_region || d > 30s;
            previous = d;
        }
    }
    CHECK(reached_cap_region);

    SECTION("random 0 stays at initial_delay, random near 1 triples up to the cap")
    {
        o.random = [] { return 0.0; };
        gemini::retry_state low(o);
        for (const nanoseconds d : delays_until_stop(low, 5)) {
            CHECK(d == 1s);
        }
        o.random = [] { return std::nextafter(1.0, 0.0); };
        gemini::retry_state high(o);
        const auto ds = delays_until_stop(high, 6);
        REQUIRE(ds.size() == 6);
        CHECK(ds[0] > 2900ms);
        CHECK(ds[0] <= 3s);
        CHECK(ds[1] > 8900ms);
        CHECK(ds[4] == 60s);   // 3^5 s > 60 s
        CHECK(ds[5] == 60s);
    }
}

TEST_CASE("the server's delay wins over the computed one, even above max_delay", "[gemini][retry]")
{
    gemini::retry_options o;
    o.jitter = gemini::jitter_kind::none;
    gemini::retry_state s(o);

    auto d = s.on_failure(gemini::error::quota_requests_per_minute, 429, nanoseconds(2s), t0, no_deadline, nullptr);
    CHECK(d.verdict == retry_verdict::retry);
    CHECK(d.delay == 2s);   // computed would be 1 s
    CHECK(d.server_delay);

    d = s.on_failure(gemini::error::quota_requests_per_minute, 429, nanoseconds(90s), t0, no_deadline, nullptr);
    CHECK(d.verdict == retry_verdict::retry);
    CHECK(d.delay == 90s);   // above the 60 s cap
    CHECK(d.server_delay);

    d = s.on_failure(gemini::error::quota_requests_per_minute, 429, nanoseconds(500ms), t0, no_deadline, nullptr);
    CHECK(d.delay == 500ms);   // shorter than the computed 4 s: still the server's
    CHECK(d.server_delay);

    SECTION("a fractional RetryInfo delay is kept to the nanosecond")
    {
        s.reset();
        d = s.on_failure(gemini::error::quota_requests_per_minute, 429, nanoseconds(58'934'310'785), t0, no_deadline, nullptr);
        CHECK(d.delay == nanoseconds(58'934'310'785));
    }
    SECTION("honor_server_delay = false ignores it")
    {
        o.honor_server_delay = false;
        s.reset();
        d = s.on_failure(gemini::error::quota_requests_per_minute, 429, nanoseconds(90s), t0, no_deadline, nullptr);
        CHECK(d.delay == 1s);
        CHECK_FALSE(d.server_delay);
    }
    SECTION("a negative server delay means now")
    {
        s.reset();
        d = s.on_failure(unavailable, 503, nanoseconds(-5s), t0, no_deadline, nullptr);
        CHECK(d.verdict == retry_verdict::retry);
        CHECK(d.delay == 0ns);
    }
}

TEST_CASE("the deadline cuts a computed delay but refuses a server delay that does not fit", "[gemini][retry]")
{
    gemini::retry_options o;
    o.jitter = gemini::jitter_kind::none;
    gemini::retry_state s(o);

    SECTION("computed 1 s, 400 ms left: wait the 400 ms")
    {
        const auto d = s.on_failure(unavailable, 503, std::nullopt, t0, t0 + 400ms, nullptr);
        CHECK(d.verdict == retry_verdict::retry);
        CHECK(d.delay == 400ms);
        CHECK_FALSE(d.server_delay);
    }
    SECTION("computed 1 s, 5 s left: untouched")
    {
        const auto d = s.on_failure(unavailable, 503, std::nullopt, t0, t0 + 5s, nullptr);
        CHECK(d.verdict == retry_verdict::retry);
        CHECK(d.delay == 1s);
    }
    SECTION("server 26 s, 10 s left: no retry into a certain 429")
    {
        const auto d = s.on_failure(gemini::error::quota_requests_per_minute, 429, nanoseconds(26s), t0, t0 + 10s, nullptr);
        CHECK(d.verdict == retry_verdict::deadline);
        CHECK(d.delay == 26s);
        CHECK(d.server_delay);
    }
    SECTION("server 2 s, 10 s left: retry")
    {
        const auto d = s.on_failure(gemini::error::quota_requests_per_minute, 429, nanoseconds(2s), t0, t0 + 10s, nullptr);
        CHECK(d.verdict == retry_verdict::retry);
        CHECK(d.delay == 2s);
    }
    SECTION("server delay exactly what is left: retry")
    {
        const auto d = s.on_failure(unavailable, 503, nanoseconds(10s), t0, t0 + 10s, nullptr);
        CHECK(d.verdict == retry_verdict::retry);
    }
    SECTION("the deadline already passed")
    {
        CHECK(s.on_failure(unavailable, 503, std::nullopt, t0, t0, nullptr).verdict == retry_verdict::deadline);
        CHECK(s.on_failure(unavailable, 503, std::nullopt, t0 + 1s, t0, nullptr).verdict == retry_verdict::deadline);
    }
    SECTION("a huge server delay and a far deadline do not overflow")
    {
        const auto d = s.on_failure(unavailable, 503, nanoseconds(std::chrono::seconds(std::int64_t{1} << 31)), t0,
            t0 + std::chrono::hours(24), nullptr);
        CHECK(d.verdict == retry_verdict::deadline);
    }
}

TEST_CASE("verdicts in order: not retryable, attempts, budget", "[gemini][retry]")
{
    gemini::retry_options o;
    o.max_retries = 2;
    o.random = [] { return 0.25; };
    gemini::retry_state s(o);
    gemini::retry_budget budget;

    CHECK(s.attempt() == 0);
    CHECK(s.on_failure(unavailable, 503, std::nullopt, t0, no_deadline, &budget).verdict == retry_verdict::retry);
    CHECK(s.attempt() == 1);
    CHECK(s.on_failure(unavailable, 503, std::nullopt, t0, no_deadline, &budget).verdict == retry_verdict::retry);
    CHECK(s.on_failure(unavailable, 503, std::nullopt, t0, no_deadline, &budget).verdict == retry_verdict::attempts_exhausted);
    CHECK(s.attempt() == 3);
    CHECK(budget.tokens() == 7.0);   // the last, exhausted attempt counts too

    s.reset();
    CHECK(s.attempt() == 0);
    const auto bad = s.on_failure(gemini::error::invalid_argument, 400, std::nullopt, t0, no_deadline, &budget);
    CHECK(bad.verdict == retry_verdict::not_retryable);
    CHECK(bad.delay == 0ns);
    CHECK(budget.tokens() == 7.0);   // a malformed request says nothing of the service (A6)

    SECTION("not retryable wins over exhausted attempts")
    {
        o.max_retries = 0;
        s.reset();
        CHECK(s.on_failure(gemini::error::api_key_invalid, 400, std::nullopt, t0, no_deadline, nullptr).verdict
            == retry_verdict::not_retryable);
        CHECK(s.on_failure(unavailable, 503, std::nullopt, t0, no_deadline, nullptr).verdict == retry_verdict::attempts_exhausted);
    }
    SECTION("a negative max_retries is 0")
    {
        o.max_retries = -3;
        s.reset();
        CHECK(s.on_failure(unavailable, 503, std::nullopt, t0, no_deadline, nullptr).verdict == retry_verdict::attempts_exhausted);
    }
    SECTION("the budget refuses before the delay is computed")
    {
        gemini::retry_budget low(gemini::retry_budget_options{true, 2, 0.1});   // threshold 1
        s.reset();
        const auto d = s.on_failure(unavailable, 503, nanoseconds(1s), t0, t0 + 1h, &low);
        CHECK(d.verdict == retry_verdict::budget_exhausted);
        CHECK(d.delay == 0ns);
        CHECK_FALSE(d.server_delay);
    }
}

TEST_CASE("retry_budget: starts full, floors at 0, caps at max, strict threshold", "[gemini][retry][budget]")
{
    gemini::retry_budget b;
    CHECK(b.tokens() == 10.0);
    CHECK(b.allows_retry());
    for (int i = 0; i < 4; ++i) {
        b.on_failure();
    }
    CHECK(b.tokens() == 6.0);
    CHECK(b.allows_retry());
    b.on_failure();
    CHECK(b.tokens() == 5.0);
    CHECK_FALSE(b.allows_retry());   // tokens > max / 2, strictly
    b.on_success();
    CHECK(b.tokens() == 5.1);
    CHECK(b.allows_retry());
    for (int i = 0; i < 100; ++i) {
        b.on_failure();
    }
    CHECK(b.tokens() == 0.0);
    for (int i = 0; i < 1000; ++i) {
        b.on_success();
    }
    CHECK(b.tokens() == 10.0);   // thousandths in an integer: 1000 * 0.1 without drift

    gemini::retry_budget copy(b);
    copy.on_failure();
    CHECK(copy.tokens() == 9.0);
    CHECK(b.tokens() == 10.0);
    b = copy;
    CHECK(b.tokens() == 9.0);

    SECTION("disabled: always allows, never counts")
    {
        gemini::retry_budget off(gemini::retry_budget_options{false, 10, 0.1});
        for (int i = 0; i < 100; ++i) {
            off.on_failure();
        }
        CHECK(off.allows_retry());
        CHECK(off.tokens() == 10.0);
    }
    SECTION("max_tokens 0 or NaN: never allows while enabled")
    {
        CHECK_FALSE(gemini::retry_budget(gemini::retry_budget_options{true, 0, 0.1}).allows_retry());
        CHECK_FALSE(gemini::retry_budget(gemini::retry_budget_options{true, std::nan(""), 0.1}).allows_retry());
    }
}

namespace {

struct simulation {
    long requests = 0;
    long retries = 0;
    long retries_after_first_100 = 0;
    long budget_refusals = 0;
};

/// Requests one after another through one shared budget; `fails(attempt_number)` decides each
/// attempt. A success gives its token back, as the client does.
template <class Fails>
simulation simulate(long requests, gemini::retry_budget& budget, Fails fails)
{
    gemini::retry_options o;
    o.random = seeded_random(1);
    gemini::retry_state s(o);
    simulation sim;
    for (long r = 0; r < requests; ++r) {
        ++sim.requests;
        s.reset();
        for (;;) {
            if (!fails()) {
                budget.on_success();
                break;
            }
            const auto d = s.on_failure(unavailable, 503, std::nullopt, t0, no_deadline, &budget);
            if (d.verdict == retry_verdict::budget_exhausted) {
                ++sim.budget_refusals;
            }
            if (d.verdict != retry_verdict::retry) {
                break;
            }
            ++sim.retries;
            if (r >= 100) {
                ++sim.retries_after_first_100;
            }
        }
    }
    return sim;
}

} // namespace

TEST_CASE("budget under 100% failure: retries stop after about max_tokens / 2", "[gemini][retry][budget]")
{
    gemini::retry_budget budget;
    const simulation sim = simulate(10'000, budget, [] { return true; });
    INFO("retries " << sim.retries << " of " << sim.requests << " requests");
    // 10 tokens, threshold 5: four failures take it to 6 (retries allowed), the fifth to 5.
    CHECK(sim.retries == 4);
    CHECK(sim.retries <= 5 + 2);
    CHECK(static_cast<double>(sim.retries_after_first_100) / 9'900.0 < 0.01);
    CHECK(budget.tokens() == 0.0);
    CHECK(sim.budget_refusals > 9'000);

    SECTION("successes earn retries back")
    {
        for (int i = 0; i < 50; ++i) {
            budget.on_success();
        }
        CHECK(budget.tokens() == 5.0);
        CHECK_FALSE(budget.allows_retry());
        budget.on_success();
        CHECK(budget.allows_retry());
    }
}

TEST_CASE("budget under sustained partial failure", "[gemini][retry][budget]")
{
    SECTION("1 attempt in 11 fails (9.1%, the break-even of ratio 0.1): never blocks")
    {
        gemini::retry_budget budget;
        long n = 0;
        const simulation sim = simulate(10'000, budget, [&n] { return ++n % 11 == 0; });
        CHECK(sim.budget_refusals == 0);
        CHECK(sim.retries > 800);
        CHECK(budget.tokens() >= 9.0);
    }
    SECTION("1 attempt in 20 fails (5%): never blocks")
    {
        gemini::retry_budget budget;
        long n = 0;
        const simulation sim = simulate(10'000, budget, [&n] { return ++n % 20 == 0; });
        CHECK(sim.budget_refusals == 0);
        CHECK(budget.tokens() >= 9.0);
    }
    SECTION("5% of attempts fail at random: refusals are rare (a burst of ~5 close failures)")
    {
        // The budget sees a burst, not a rate: 5 failures among a few attempts cross the
        // threshold even at 5%. Over 10,000 requests that happens a handful of times at most.
        gemini::retry_budget budget;
        std::mt19937_64 g(2024);
        std::bernoulli_distribution fail(0.05);
        const simulation sim = simulate(10'000, budget, [&] { return fail(g); });
        INFO("refusals " << sim.budget_refusals << ", retries " << sim.retries);
        CHECK(sim.budget_refusals <= 10);
        CHECK(sim.retries > 300);
    }
    SECTION("exactly 10% of attempts fail: the tokens drain (10 x 0.1 < 1 per failure + 9 successes)")
    {
        gemini::retry_budget budget;
        long n = 0;
        const simulation sim = simulate(10'000, budget, [&n] { return ++n % 10 == 0; });
        // Nine successes give 0.9 back per failure: after ~50 failures the budget sits at its
        // threshold, and from then on refuses the retry of nearly every failure. gRPC's
        // "~10%" is the edge: below it (1 in 11 above) nothing is refused.
        CHECK(sim.budget_refusals > 500);
        CHECK(sim.retries < 100);
    }
    SECTION("30% of attempts fail at random: the budget throttles")
    {
        gemini::retry_budget budget;
        std::mt19937_64 g(99);
        std::bernoulli_distribution fail(0.3);
        const simulation sim = simulate(10'000, budget, [&] { return fail(g); });
        CHECK(sim.budget_refusals > 1'000);
        // Without a budget about 0.3 / 0.7 retries per request; with it far fewer.
        CHECK(static_cast<double>(sim.retries) / static_cast<double>(sim.requests) < 0.2);
    }
}

TEST_CASE("is_retryable: every gemini::error", "[gemini][retry]")
{
    using e = gemini::error;
    struct row {
        e code;
        int status;
        bool retryable;
    };
    const row rows[] = {
        {e::api_key_invalid, 400, false},
        {e::unauthenticated, 401, false},
        {e::permission_denied, 403, false},
        {e::api_not_enabled, 403, false},
        {e::not_found, 404, false},
        {e::invalid_argument, 400, false},
        {e::location_not_supported, 400, false},
        {e::failed_precondition, 400, false},
        {e::quota_requests_per_minute, 429, true},
        {e::quota_input_tokens_per_minute, 429, true},
        {e::quota_requests_per_day, 429, false},   // not before the daily reset, even on a 429
        {e::resource_exhausted, 429, true},
        {e::cancelled, 499, true},
        {e::internal, 500, true},
        {e::unavailable, 503, true},
        {e::deadline_exceeded, 504, true},
        {e::unknown_api_error, 0, false},
        {e::unknown_api_error, 418, false},
        {e::unknown_api_error, 502, true},   // the status decides
        {e::prompt_blocked, 200, false},
        {e::finish_safety, 200, false},
        {e::finish_recitation, 200, false},
        {e::finish_abnormal, 200, false},
        {e::truncated_stream, 200, false},   // the caller decides (output may have been delivered)
        {e::malformed_response, 200, false},
        {e::malformed_response, 503, true},   // an HTML 503 page from a proxy
    };
    for (const row& r : rows) {
        INFO(gemini::make_error_code(r.code).message() << " status " << r.status);
        CHECK(gemini::is_retryable(r.code, r.status) == r.retryable);
    }
    // In-stream errors (status 0) follow the category's retryable condition exactly.
    for (int v = static_cast<int>(e::api_key_invalid); v <= static_cast<int>(e::malformed_response); ++v) {
        const std::error_code ec = static_cast<e>(v);
        INFO(ec.message());
        CHECK(gemini::is_retryable(ec, 0) == (ec == llmio::condition::retryable));
    }
}

TEST_CASE("is_retryable: net errors, system errors, cancellation, statuses", "[gemini][retry]")
{
    using n = llmio::net::error;
    for (const n yes : {n::connect_timeout, n::handshake_timeout, n::head_timeout, n::idle_timeout,
             n::connection_closed, n::tls_truncated}) {
        INFO(llmio::net::make_error_code(yes).message());
        CHECK(gemini::is_retryable(yes, 0));
        CHECK(gemini::is_retryable(yes, 200));
    }
    for (const n no : {n::deadline_exceeded, n::pool_timeout, n::bad_proxy_url, n::unsupported_proxy_scheme,
             n::bad_port, n::bad_connect_host, n::bad_proxy_credentials, n::bad_url, n::proxy_refused,
             n::proxy_auth_required, n::bad_proxy_response, n::pool_closed, n::unsupported_proxy}) {
        INFO(llmio::net::make_error_code(no).message());
        CHECK_FALSE(gemini::is_retryable(no, 0));
        CHECK_FALSE(gemini::is_retryable(no, 503));   // the deadline is the deadline
    }

    for (const int errno_value : {ECONNREFUSED, ECONNRESET, ECONNABORTED, EPIPE, ENOTCONN, ENETUNREACH,
             ENETDOWN, EHOSTUNREACH, ETIMEDOUT, EADDRNOTAVAIL}) {
        CHECK(gemini::is_retryable(std::error_code(errno_value, std::system_category()), 0));
    }
    CHECK_FALSE(gemini::is_retryable(std::error_code(ENOENT, std::system_category()), 0));
    CHECK_FALSE(gemini::is_retryable(std::error_code(EACCES, std::system_category()), 0));

    // Cancellation never retries, whatever the status.
    CHECK_FALSE(gemini::is_retryable(asio::error::operation_aborted, 0));
    CHECK_FALSE(gemini::is_retryable(asio::error::operation_aborted, 503));
    CHECK_FALSE(gemini::is_retryable(std::make_error_code(std::errc::operation_canceled), 503));
    CHECK_FALSE(gemini::is_retryable(std::error_code(ECANCELED, std::system_category()), 503));
    // Asio's other socket errors come as system errors on POSIX.
    CHECK(gemini::is_retryable(asio::error::connection_reset, 0));

    // No error code: the status alone.
    for (int status = 100; status < 600; ++status) {
        const bool expected = status == 408 || status == 429 || status == 500 || status == 502
            || status == 503 || status == 504;
        INFO("status " << status);
        CHECK(gemini::is_retryable({}, status) == expected);
    }
    CHECK_FALSE(gemini::is_retryable({}, 0));

    // Another category (a client-side limiter, I/O): only the status can make it retryable.
    const std::error_code other = std::make_error_code(std::io_errc::stream);
    CHECK_FALSE(gemini::is_retryable(other, 0));
    CHECK(gemini::is_retryable(other, 503));
}
