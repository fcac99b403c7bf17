// bench/harness/load.hpp: when llmio-bench sends requests in open loop, and which loads a
// sweep visits.
//
// Open loop sends on a schedule that does not wait for answers, so a slow server cannot slow
// the arrivals down (closed loop, a fixed number of streams each sending its next request when
// the last ends, needs no schedule). The schedule gives *intended* send times as offsets from
// the run's start; latencies count from them (metrics.hpp, latency_origin::intended), and the
// difference between intended and actual send is reported as dispatch delay.
//
// - constant: request k (from 0) at k / rate, computed from k each time (no drift however
//   long the run).
// - poisson: exponential gaps of mean 1 / rate (a Poisson process, as vLLM's
//   benchmark_serving and genai-perf's request-rate mode), drawn by inversion from a seeded
//   std::mt19937_64 so a seed gives the same schedule on every standard library
//   (std::exponential_distribution's algorithm is not specified).
//
// Sweeps: "1,8,64,512" (a list) or "10:100:10" (start:stop:step, stop included when reached).
#ifndef LLMIO_BENCH_HARNESS_LOAD_HPP
#define LLMIO_BENCH_HARNESS_LOAD_HPP

#include <charconv>
#include <chrono>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <random>
#include <stdexcept>
#include <string_view>
#include <system_error>
#include <vector>

namespace llmio::bench {

enum class arrival { constant, poisson };

/// "constant" or "poisson"; nullopt otherwise.
[[nodiscard]] inline std::optional<arrival> parse_arrival(std::string_view s) noexcept
{
    if (s == "constant")
        return arrival::constant;
    if (s == "poisson")
        return arrival::poisson;
    return std::nullopt;
}

/// The intended send times of an open-loop run. Not thread-safe; one per driver.
class arrival_schedule {
public:
    /// `rate_per_s` > 0 and finite, else std::invalid_argument (configuration time).
    arrival_schedule(double rate_per_s, arrival kind, std::uint64_t seed = 0x6c6c6d696fULL);

    /// The offset from the run's start at which the next request is meant to be sent.
    /// Non-decreasing. O(1), no allocation.
    [[nodiscard]] std::chrono::nanoseconds next() noexcept;

    /// How many offsets next() has returned.
    [[nodiscard]] std::uint64_t issued() const noexcept { return issued_; }
    [[nodiscard]] double rate() const noexcept { return rate_; }
    [[nodiscard]] arrival kind() const noexcept { return kind_; }

private:
    double rate_;
    arrival kind_;
    std::mt19937_64 random_;
    std::uint64_t issued_ = 0;
    double seconds_ = 0;   // poisson: the running sum of gaps
};

/// Largest number of points a sweep may have.
inline constexpr std::size_t max_sweep_points = 1000;

/// Parses a sweep into `out` (replaced). Every value must be a finite number > 0.
/// Errors (std::errc): invalid_argument for syntax, a value <= 0, a step <= 0 or stop < start;
/// result_out_of_range for more than max_sweep_points values. `out` is cleared on error.
[[nodiscard]] std::error_code parse_sweep(std::string_view text, std::vector<double>& out);

/// True when every value is a whole number (a concurrency sweep needs that).
[[nodiscard]] inline bool all_integral(const std::vector<double>& values) noexcept
{
    for (const double v : values)
        if (v != std::floor(v))
            return false;
    return true;
}

// ---------------------------------------------------------------------------------------------

inline arrival_schedule::arrival_schedule(double rate_per_s, arrival kind, std::uint64_t seed)
    : rate_(rate_per_s), kind_(kind), random_(seed)
{
    if (!(rate_per_s > 0) || !std::isfinite(rate_per_s))
        throw std::invalid_argument("arrival_schedule: rate must be finite and > 0");
}

inline std::chrono::nanoseconds arrival_schedule::next() noexcept
{
    const std::uint64_t k = issued_++;
    double seconds = 0;
    if (kind_ == arrival::constant) {
        seconds = static_cast<double>(k) / rate_;
    } else {
        if (k > 0) {
            // u uniform in [0, 1) from the top 53 bits; -log(1 - u) is exponential of mean 1.
            const double u = static_cast<double>(random_() >> 11) * 0x1.0p-53;
            seconds_ += -std::log1p(-u) / rate_;
        }
        seconds = seconds_;
    }
    return std::chrono::nanoseconds(std::llround(seconds * 1e9));
}

namespace detail {

[[nodiscard]] inline std::string_view trim(std::string_view s) noexcept
{
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
        s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t'))
        s.remove_suffix(1);
    return s;
}

/// A whole field as a finite double, or nullopt.
[[nodiscard]] inline std::optional<double> parse_number(std::string_view s) noexcept
{
    s = trim(s);
    double v = 0;
    const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (s.empty() || ec != std::errc{} || end != s.data() + s.size() || !std::isfinite(v))
        return std::nullopt;
    return v;
}

[[nodiscard]] inline std::error_code parse_range(std::string_view text, std::vector<double>& out)
{
    const std::size_t c1 = text.find(':');
    const std::size_t c2 = text.find(':', c1 + 1);
    if (c2 == std::string_view::npos || text.find(':', c2 + 1) != std::string_view::npos)
        return std::make_error_code(std::errc::invalid_argument);
    const auto start = parse_number(text.substr(0, c1));
    const auto stop = parse_number(text.substr(c1 + 1, c2 - c1 - 1));
    const auto step = parse_number(text.substr(c2 + 1));
    if (!start || !stop || !step || *step <= 0 || *stop < *start)
        return std::make_error_code(std::errc::invalid_argument);
    // start + i * step, not a running sum: 0.1 steps do not drift. The stop is included when
    // a point lands on it within rounding.
    const double points = std::floor((*stop - *start) / *step * (1 + 1e-12)) + 1;
    if (points > static_cast<double>(max_sweep_points))
        return std::make_error_code(std::errc::result_out_of_range);
    for (std::size_t i = 0; i < static_cast<std::size_t>(points); ++i)
        out.push_back(*start + static_cast<double>(i) * *step);
    return {};
}

[[nodiscard]] inline std::error_code parse_list(std::string_view text, std::vector<double>& out)
{
    while (true) {
        const std::size_t comma = text.find(',');
        const auto v = parse_number(text.substr(0, comma));
        if (!v)
            return std::make_error_code(std::errc::invalid_argument);
        if (out.size() == max_sweep_points)
            return std::make_error_code(std::errc::result_out_of_range);
        out.push_back(*v);
        if (comma == std::string_view::npos)
            return {};
        text.remove_prefix(comma + 1);
    }
}

} // namespace detail

inline std::error_code parse_sweep(std::string_view text, std::vector<double>& out)
{
    out.clear();
    text = detail::trim(text);
    const std::error_code ec = text.find(':') != std::string_view::npos ? detail::parse_range(text, out)
                                                                        : detail::parse_list(text, out);
    if (!ec) {
        for (const double v : out)
            if (!(v > 0)) {
                out.clear();
                return std::make_error_code(std::errc::invalid_argument);
            }
        return {};
    }
    out.clear();
    return ec;
}

} // namespace llmio::bench

#endif
