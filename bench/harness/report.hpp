// bench/harness/report.hpp: llmio-bench's outputs for one run or a sweep: a plain-text table,
// JSON, CSV and SVG charts, all written by hand with the standard library only.
//
// JSON field names follow genai-perf's profile export (profile_export_genai_perf.json) where
// they mean the same thing. genai-perf's names and their shape, from its source
// (triton-inference-server/perf_analyzer, genai-perf/genai_perf/metrics/llm_metrics.py,
// metrics.py and statistics.py): per-request metrics "time_to_first_token",
// "inter_token_latency", "request_latency", "output_sequence_length", each an object
// {"unit": "ms" | "tokens", "avg", "p1" .. "p99", "min", "max", "std"} (std is np.std, the
// population deviation); system metrics "request_throughput" {"unit": "requests/sec", "avg"},
// "output_token_throughput" {"unit": "tokens/sec", "avg"}, "request_goodput"
// {"unit": "requests/sec", "avg"}; and "request_count" {"unit": "count", "avg"}.
// We write p50, p90, p95, p99 and p99_9 (not p1..p25), plus "count" (samples) and
// "overflow" (samples above the histogram's range, never folded into the percentiles), and a
// "definition" string, because the same names do not always mean the same thing:
// - "inter_token_latency" here is the pooled gap between consecutive chunks (vLLM's ITL);
//   genai-perf's is per request (request_latency - ttft) / (output tokens - 1), which is
//   closest to our "time_per_output_token" (per chunk rather than per token).
// Our own fields: "time_per_output_token", "goodput" (the limits and the count behind
// request_goodput), "errors" ({"total", "by_kind": {kind: count}}), "retries",
// "dispatch_delay", "limiter_wait", "client_cpu_percent", "client_cpu_warning",
// "measured_seconds", "warmup_excluded", and "settings" (the caller's flat key/value list).
// A sweep is {"runs": [run, ...]}.
//
// Charts: a sweep plots throughput (x) against TTFT and end-to-end latency percentiles (y,
// p50/p90/p99, two panels, one polyline per series with a marker per run, in sweep order so a
// throughput collapse past the knee shows as a line bending back); one run plots the latency
// CDF of TTFT, ITL and e2e on a logarithmic time axis (one point per non-empty bucket).
#ifndef LLMIO_BENCH_HARNESS_REPORT_HPP
#define LLMIO_BENCH_HARNESS_REPORT_HPP

#include "cpu.hpp"
#include "histogram.hpp"
#include "metrics.hpp"

#include <array>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <ostream>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace llmio::bench {

/// One entry of the run's settings, written in the given order.
struct setting {
    std::string key{};
    std::string value{};
    /// Written unquoted in JSON: set only through number_setting, which guarantees the syntax.
    bool number = false;
};

[[nodiscard]] inline setting text_setting(std::string key, std::string value)
{
    return setting{std::move(key), std::move(value), false};
}
/// A finite number is written as a JSON number; anything else as the string "nan"/"inf".
[[nodiscard]] inline setting number_setting(std::string key, double value);

/// One run as the writers see it.
struct run_report {
    /// Short name of the run in charts and tables ("concurrency 64"); may be empty.
    std::string label{};
    std::vector<setting> settings{};
    /// The run's metrics; must outlive the writer call. A null result is written as a run
    /// with no measurements.
    const metrics* result = nullptr;
    /// The harness's CPU % over the measured window (cpu_usage::percent); < 0: not measured.
    double client_cpu_percent = -1;
    /// Busy threads of the harness, for the warning level (cpu_warning).
    int client_threads = 1;
};

enum class sweep_axis {
    requests_per_s,
    output_tokens_per_s,
};

/// The final table: latency rows (metric, p50, p90, p95, p99, p99.9, mean, max, n), then
/// requests, rates, goodput, errors by kind, client CPU % (with the 70% warning).
inline void write_table(std::ostream& out, const run_report& run);

/// One JSON object (see above); a sweep as {"runs": [...]}. Ends with a newline.
inline void write_json(std::ostream& out, const run_report& run);
inline void write_json(std::ostream& out, std::span<const run_report> runs);

/// CSV (RFC 4180 quoting): a header line, then one line per run. The setting columns are the
/// first run's keys, in its order; later runs fill them by key.
inline void write_csv(std::ostream& out, std::span<const run_report> runs);

/// SVG of a sweep: throughput (x) against TTFT and e2e p50/p90/p99 (y).
inline void write_sweep_svg(std::ostream& out, std::span<const run_report> runs, std::string_view title,
                     sweep_axis x = sweep_axis::requests_per_s);

/// SVG of one run: the CDFs of TTFT, ITL and e2e, time on a log axis.
inline void write_cdf_svg(std::ostream& out, const run_report& run, std::string_view title);

/// The warning printed when the harness's CPU is past cpu_warning_percent.
inline constexpr std::string_view cpu_warning_text =
    "client CPU above 70% of a core: latencies may describe the harness, not the server";

// ---------------------------------------------------------------------------------------------

namespace detail {

/// The latency-like metrics every writer lists, in report order.
struct metric_info {
    std::string_view json;     // genai-perf's name where it means the same
    std::string_view table;    // the table's row name
    std::string_view csv;      // CSV column prefix
    const histogram& (metrics::*get)() const noexcept;
    bool time;                 // ns shown as ms; else a plain count (tokens)
    std::string_view definition;
};

inline constexpr std::array<metric_info, 7> metric_list{{
    {"time_to_first_token", "TTFT (ms)", "ttft", &metrics::ttft, true,
     "request origin (intended send time in open loop) to the first chunk holding output"},
    {"inter_token_latency", "ITL (ms)", "itl", &metrics::itl, true,
     "gap between consecutive chunks of a request, pooled over all requests"},
    {"time_per_output_token", "TPOT (ms)", "tpot", &metrics::tpot, true,
     "per request (e2e - TTFT) / (chunks - 1); requests with one chunk excluded"},
    {"request_latency", "e2e latency (ms)", "e2e", &metrics::e2e, true,
     "request origin to the last chunk"},
    {"output_sequence_length", "output tokens/request", "output_tokens", &metrics::output_tokens, false,
     "output tokens per successful request"},
    {"limiter_wait", "limiter wait (ms)", "limiter_wait", &metrics::limiter_wait, true,
     "time each request waited in the client's rate limiter"},
    {"dispatch_delay", "dispatch delay (ms)", "dispatch_delay", &metrics::dispatch_delay, true,
     "open loop: actual send minus intended send"},
}};

/// The percentiles every writer reports, with their JSON/CSV and table names.
struct percentile_info {
    double p;
    std::string_view key;
    std::string_view table;
};
inline constexpr std::array<percentile_info, 5> percentile_list{{
    {50, "p50", "p50"}, {90, "p90", "p90"}, {95, "p95", "p95"}, {99, "p99", "p99"}, {99.9, "p99_9", "p99.9"},
}};

/// Shortest round-trip text of a finite double; "null" otherwise (JSON has no NaN).
[[nodiscard]] inline std::string number(double v)
{
    if (!std::isfinite(v))
        return "null";
    std::array<char, 64> buf{};
    const auto r = std::to_chars(buf.data(), buf.data() + buf.size(), v);
    return std::string(buf.data(), r.ptr);
}

/// Fixed-point text with `decimals` digits.
[[nodiscard]] inline std::string fixed(double v, int decimals)
{
    if (!std::isfinite(v))
        return "-";
    std::array<char, 64> buf{};
    const auto r = std::to_chars(buf.data(), buf.data() + buf.size(), v, std::chars_format::fixed, decimals);
    return r.ec == std::errc{} ? std::string(buf.data(), r.ptr) : std::string("-");
}

/// A histogram value in the unit the reports use (ms for times).
[[nodiscard]] inline double in_unit(double v, bool time) noexcept { return time ? v / 1e6 : v; }

} // namespace detail

inline setting number_setting(std::string key, double value)
{
    if (!std::isfinite(value))
        return setting{std::move(key), std::isnan(value) ? "nan" : "inf", false};
    return setting{std::move(key), detail::number(value), true};
}

} // namespace llmio::bench

#include "impl/report_text.hpp"
#include "impl/report_svg.hpp"

#endif
