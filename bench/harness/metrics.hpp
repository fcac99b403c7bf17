// bench/harness/metrics.hpp: what one llmio-bench run measured, with each number defined.
//
// Load generators disagree on what "ITL" means and some count their own queueing as server
// latency (vLLM issue 54101: time waiting for a concurrency slot was left out of TTFT). Here
// every number has one definition, written below, and the harness's own delays (rate limiter,
// late dispatch in open loop) are reported as their own metrics.
//
// What each number is (all times in nanoseconds in the histograms; reports print ms):
// - origin: the instant a request's latencies count from. With `latency_origin::intended`
//   (the default) it is the request's `intended_start` when the driver set one (open loop:
//   the scheduled send time, so a harness that falls behind cannot hide it: no coordinated
//   omission), else its `start`. With `latency_origin::actual` it is always `start`.
// - TTFT: first_chunk - origin. The first chunk is the first one holding output.
// - ITL: the gap between two consecutive chunks of the same request, every gap of every
//   measured request pooled into one distribution (vLLM benchmark_serving's ITL). The driver
//   reports gaps as they happen with add_chunk_gap(); add() records none.
// - TPOT: per request, (e2e - TTFT) / (chunks - 1): the mean gap of that request. A request
//   with one chunk has no TPOT and does not contribute. (genai-perf calls this per-token value
//   "inter_token_latency"; ours is per chunk, and ITL above is the pooled gap.)
// - e2e: last_chunk - origin.
// - output tokens: per request, as the driver counted them (usage metadata when the service
//   sends it).
// - TTFT, TPOT, e2e and output tokens cover successful requests only (error empty) that had
//   at least one chunk; a failure is counted in errors by kind instead.
// - requests/s: successful measured requests / measured interval. output tokens/s: output
//   tokens of all measured requests (failed ones included: the server produced them) / the
//   same interval.
// - measured interval: from the window's beginning (options().window_begin, else the
//   earliest origin of a measured request) to its end (the time given to end_window(), else
//   the last chunk of any measured request).
// - goodput: successful requests meeting every limit given (TTFT, TPOT, e2e; zero = no
//   limit; a request without TPOT passes that limit, one without a first chunk fails a TTFT
//   limit) per second of the measured interval. Without limits it equals requests/s.
// - errors by kind: the driver's short key ("timeout", "http_429", ...) -> count; at most
//   `max_error_kinds` distinct keys, later ones counted under "other".
// - retries: attempts beyond the first, summed over measured requests.
// - limiter wait: time each measured request spent waiting in the client's rate limiter
//   (zero included: the distribution shows how many waited at all).
// - dispatch delay (open loop only: requests with an intended_start): start - intended_start,
//   how late the harness handed the request over (0 when early).
// - warm-up exclusion: a request whose origin is before the window's beginning is dropped
//   entirely (counted in warmup_excluded()); so are chunk gaps reported with such an origin.
//
// Thread safety: none; one metrics per thread or target, merge() afterwards.
#ifndef LLMIO_BENCH_HARNESS_METRICS_HPP
#define LLMIO_BENCH_HARNESS_METRICS_HPP

#include "histogram.hpp"

#include <algorithm>
#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace llmio::bench {

using steady_time = std::chrono::steady_clock::time_point;

/// One finished request, as the driver saw it. A default (epoch) time point means "none".
struct request_record {
    /// Open loop: when the schedule meant to send it. Closed loop: leave unset.
    steady_time intended_start{};
    /// When the driver handed the request to the client (before any rate-limiter wait).
    steady_time start{};
    /// Arrival of the first chunk holding output / of the last one.
    steady_time first_chunk{};
    steady_time last_chunk{};
    /// Chunks that held output.
    std::uint64_t chunks = 0;
    std::uint64_t output_tokens = 0;
    /// Empty: success. Otherwise a short key naming the kind of failure ("timeout",
    /// "http_429"); only read during metrics::add, which copies it the first time it is seen.
    std::string_view error{};
    /// Attempts beyond the first.
    std::uint32_t retries = 0;
    /// Time spent waiting in the client's rate limiter.
    std::chrono::nanoseconds limiter_wait{};
};

enum class latency_origin {
    intended,   // intended_start when set, else start (the default: no coordinated omission)
    actual,     // always start
};

/// Goodput limits; zero means no limit on that metric.
struct goodput_limits {
    std::chrono::nanoseconds ttft{};
    std::chrono::nanoseconds tpot{};
    std::chrono::nanoseconds e2e{};

    [[nodiscard]] bool any() const noexcept { return ttft.count() > 0 || tpot.count() > 0 || e2e.count() > 0; }
};

struct metrics_options {
    /// Start of the measured window: requests whose origin is earlier are warm-up. Unset: no
    /// warm-up, and the interval starts at the earliest origin seen.
    steady_time window_begin{};
    latency_origin origin = latency_origin::intended;
    goodput_limits limits{};
    /// For the time histograms (default: 3 digits, up to one hour).
    histogram_options latency{};
    /// For output tokens per request.
    histogram_options tokens{.significant_digits = 3, .highest_trackable = 1ULL << 40};
};

/// Failures of one kind.
struct error_count {
    std::string kind{};
    std::uint64_t count = 0;
};

inline constexpr std::size_t max_error_kinds = 16;

class metrics {
public:
    explicit metrics(metrics_options options = {});

    /// Adds one finished request (see the header comment for what is taken from it).
    /// Allocates only the first time an error kind longer than the small-string buffer is seen.
    void add(const request_record& r);

    /// One gap between consecutive chunks of a request, for ITL. The first form trusts the
    /// caller to report measured requests only; the second drops the gap when
    /// `request_origin` (the request's origin as defined above) is before the window.
    void add_chunk_gap(std::chrono::nanoseconds gap) noexcept;
    void add_chunk_gap(std::chrono::nanoseconds gap, steady_time request_origin) noexcept;

    /// Ends the measured interval at `end` (else it ends at the last chunk seen).
    void end_window(steady_time end) noexcept { window_end_ = end; }

    /// Adds another run's or thread's metrics: histograms merged (exact for equal options),
    /// counts summed, the window widened to cover both.
    void merge(const metrics& other);

    /// The origin of `r` as this collection defines it.
    [[nodiscard]] steady_time origin_of(const request_record& r) const noexcept;

    [[nodiscard]] const histogram& ttft() const noexcept { return ttft_; }
    [[nodiscard]] const histogram& itl() const noexcept { return itl_; }
    [[nodiscard]] const histogram& tpot() const noexcept { return tpot_; }
    [[nodiscard]] const histogram& e2e() const noexcept { return e2e_; }
    [[nodiscard]] const histogram& output_tokens() const noexcept { return tokens_; }
    [[nodiscard]] const histogram& limiter_wait() const noexcept { return limiter_; }
    [[nodiscard]] const histogram& dispatch_delay() const noexcept { return dispatch_; }

    /// Measured requests: succeeded + failed.
    [[nodiscard]] std::uint64_t requests() const noexcept { return succeeded_ + failed_; }
    [[nodiscard]] std::uint64_t succeeded() const noexcept { return succeeded_; }
    [[nodiscard]] std::uint64_t failed() const noexcept { return failed_; }
    [[nodiscard]] std::uint64_t good_requests() const noexcept { return good_; }
    [[nodiscard]] std::uint64_t retries() const noexcept { return retries_; }
    [[nodiscard]] std::uint64_t total_output_tokens() const noexcept { return total_tokens_; }
    [[nodiscard]] std::uint64_t warmup_excluded() const noexcept { return warmup_; }
    [[nodiscard]] std::span<const error_count> errors() const noexcept { return {errors_.data(), error_kinds_}; }

    [[nodiscard]] double measured_seconds() const noexcept;
    [[nodiscard]] double requests_per_s() const noexcept { return per_s(succeeded_); }
    [[nodiscard]] double output_tokens_per_s() const noexcept { return per_s(total_tokens_); }
    [[nodiscard]] double goodput_per_s() const noexcept { return per_s(good_); }

    [[nodiscard]] const metrics_options& options() const noexcept { return options_; }

private:
    [[nodiscard]] double per_s(std::uint64_t n) const noexcept;
    [[nodiscard]] bool good(std::chrono::nanoseconds ttft, std::chrono::nanoseconds e2e,
                            const std::chrono::nanoseconds* tpot, bool has_first) const noexcept;
    void count_error(std::string_view kind, std::uint64_t n);

    metrics_options options_;
    histogram ttft_, itl_, tpot_, e2e_, tokens_, limiter_, dispatch_;
    std::uint64_t succeeded_ = 0, failed_ = 0, good_ = 0, retries_ = 0, total_tokens_ = 0, warmup_ = 0;
    std::array<error_count, max_error_kinds> errors_{};
    std::size_t error_kinds_ = 0;
    steady_time window_end_{};
    steady_time last_chunk_{};
    steady_time first_origin_{};
};

// ---------------------------------------------------------------------------------------------

namespace detail {
[[nodiscard]] inline std::uint64_t nonnegative_ns(std::chrono::nanoseconds d) noexcept
{
    return d.count() > 0 ? static_cast<std::uint64_t>(d.count()) : 0;
}

/// The earlier of two time points where the epoch means "unset".
[[nodiscard]] inline steady_time earliest_set(steady_time a, steady_time b) noexcept
{
    if (a == steady_time{})
        return b;
    if (b == steady_time{})
        return a;
    return std::min(a, b);
}
} // namespace detail

inline metrics::metrics(metrics_options options)
    : options_(options), ttft_(options.latency), itl_(options.latency), tpot_(options.latency),
      e2e_(options.latency), tokens_(options.tokens), limiter_(options.latency), dispatch_(options.latency)
{
}

inline steady_time metrics::origin_of(const request_record& r) const noexcept
{
    const bool intended = options_.origin == latency_origin::intended && r.intended_start != steady_time{};
    return intended ? r.intended_start : r.start;
}

inline void metrics::add(const request_record& r)
{
    using std::chrono::nanoseconds;
    const steady_time origin = origin_of(r);
    if (origin < options_.window_begin) {
        ++warmup_;
        return;
    }
    first_origin_ = detail::earliest_set(first_origin_, origin);
    retries_ += r.retries;
    total_tokens_ += r.output_tokens;
    limiter_.record(detail::nonnegative_ns(r.limiter_wait));
    if (r.intended_start != steady_time{})
        dispatch_.record(detail::nonnegative_ns(r.start - r.intended_start));
    if (r.chunks > 0)
        last_chunk_ = std::max(last_chunk_, r.last_chunk);

    if (!r.error.empty()) {
        ++failed_;
        count_error(r.error, 1);
        return;
    }
    ++succeeded_;
    const bool has_first = r.chunks > 0;
    nanoseconds ttft{}, e2e{}, tpot{};
    if (has_first) {
        ttft = r.first_chunk - origin;
        e2e = r.last_chunk - origin;
        ttft_.record(detail::nonnegative_ns(ttft));
        e2e_.record(detail::nonnegative_ns(e2e));
        tokens_.record(r.output_tokens);
        if (r.chunks > 1) {
            tpot = (e2e - ttft) / static_cast<std::int64_t>(r.chunks - 1);
            tpot_.record(detail::nonnegative_ns(tpot));
        }
    }
    if (good(ttft, e2e, r.chunks > 1 ? &tpot : nullptr, has_first))
        ++good_;
}

inline bool metrics::good(std::chrono::nanoseconds ttft, std::chrono::nanoseconds e2e,
                          const std::chrono::nanoseconds* tpot, bool has_first) const noexcept
{
    const goodput_limits& l = options_.limits;
    if (l.ttft.count() > 0 && (!has_first || ttft > l.ttft))
        return false;
    if (l.e2e.count() > 0 && (!has_first || e2e > l.e2e))
        return false;
    if (l.tpot.count() > 0 && tpot != nullptr && *tpot > l.tpot)
        return false;
    return true;
}

inline void metrics::add_chunk_gap(std::chrono::nanoseconds gap) noexcept
{
    itl_.record(detail::nonnegative_ns(gap));
}

inline void metrics::add_chunk_gap(std::chrono::nanoseconds gap, steady_time request_origin) noexcept
{
    if (request_origin >= options_.window_begin)
        itl_.record(detail::nonnegative_ns(gap));
}

inline void metrics::count_error(std::string_view kind, std::uint64_t n)
{
    for (std::size_t i = 0; i < error_kinds_; ++i)
        if (errors_[i].kind == kind) {
            errors_[i].count += n;
            return;
        }
    // The last slot is kept for "other" once the others are taken.
    if (error_kinds_ + 1 < max_error_kinds || (error_kinds_ + 1 == max_error_kinds && kind == "other")) {
        errors_[error_kinds_++] = error_count{std::string(kind), n};
        return;
    }
    count_error("other", n);
}

inline void metrics::merge(const metrics& other)
{
    ttft_.merge(other.ttft_);
    itl_.merge(other.itl_);
    tpot_.merge(other.tpot_);
    e2e_.merge(other.e2e_);
    tokens_.merge(other.tokens_);
    limiter_.merge(other.limiter_);
    dispatch_.merge(other.dispatch_);
    succeeded_ += other.succeeded_;
    failed_ += other.failed_;
    good_ += other.good_;
    retries_ += other.retries_;
    total_tokens_ += other.total_tokens_;
    warmup_ += other.warmup_;
    for (const error_count& e : other.errors())
        count_error(e.kind, e.count);
    options_.window_begin = detail::earliest_set(options_.window_begin, other.options_.window_begin);
    first_origin_ = detail::earliest_set(first_origin_, other.first_origin_);
    window_end_ = std::max(window_end_, other.window_end_);
    last_chunk_ = std::max(last_chunk_, other.last_chunk_);
}

inline double metrics::measured_seconds() const noexcept
{
    const steady_time begin = options_.window_begin != steady_time{} ? options_.window_begin : first_origin_;
    const steady_time end = window_end_ != steady_time{} ? window_end_ : last_chunk_;
    if (begin == steady_time{} || end <= begin)
        return 0;
    return std::chrono::duration<double>(end - begin).count();
}

inline double metrics::per_s(std::uint64_t n) const noexcept
{
    const double s = measured_seconds();
    return s > 0 ? static_cast<double>(n) / s : 0;
}

} // namespace llmio::bench

#endif
