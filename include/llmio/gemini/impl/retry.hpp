// Bodies of the functions declared in llmio/gemini/retry.hpp.
#ifndef LLMIO_GEMINI_IMPL_RETRY_HPP
#define LLMIO_GEMINI_IMPL_RETRY_HPP

#include <llmio/net/error.hpp>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstring>
#include <limits>
#include <random>

namespace llmio::gemini {

namespace detail {

/// Tokens to thousandths, clamped to [0, 10^12] (NaN: 0).
[[nodiscard]] inline std::int64_t to_milli_tokens(double tokens) noexcept
{
    if (!(tokens > 0)) {
        return 0;
    }
    if (tokens >= 1e9) {
        return 1'000'000'000'000;
    }
    return static_cast<std::int64_t>(std::llround(tokens * 1000.0));
}

/// A double count of nanoseconds to a duration in [0, cap] (NaN: cap).
[[nodiscard]] inline std::chrono::nanoseconds clamp_ns(double ns, std::chrono::nanoseconds cap) noexcept
{
    if (cap.count() <= 0) {
        return std::chrono::nanoseconds(0);
    }
    if (!(ns < static_cast<double>(cap.count()))) {
        return cap;
    }
    if (!(ns > 0)) {
        return std::chrono::nanoseconds(0);
    }
    return std::chrono::nanoseconds(static_cast<std::int64_t>(ns));
}

/// splitmix64 (Steele, Lea, Flood 2014): eight bytes of state, enough for jitter.
[[nodiscard]] inline std::uint64_t splitmix64(std::uint64_t& state) noexcept
{
    std::uint64_t z = (state += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

/// Asio's own "asio.system" category (standalone Asio's socket errors, operation_aborted)
/// compares equal to nothing in std::errc nor to condition::network: its codes are errno
/// values, so they are read as system errors. By name, so that this header needs no Asio.
[[nodiscard]] inline std::error_code as_system_error(std::error_code ec) noexcept
{
    if (ec && std::strcmp(ec.category().name(), "asio.system") == 0) {
        return {ec.value(), std::system_category()};
    }
    return ec;
}

[[nodiscard]] inline bool is_cancellation(const std::error_code& ec) noexcept
{
    return ec.value() == ECANCELED
        && (ec.category() == std::system_category() || ec.category() == std::generic_category());
}

[[nodiscard]] inline bool is_retryable_status(int http_status) noexcept
{
    switch (http_status) {
    case 408: case 429: case 500: case 502: case 503: case 504:
        return true;
    default:
        return false;
    }
}

// ---- Retry-After -----------------------------------------------------------------------------

/// Cap on every Retry-After value: 2^31 seconds (RFC 9111 §1.2.2).
inline constexpr std::int64_t retry_after_cap_s = std::int64_t{1} << 31;

class date_cursor {
public:
    explicit date_cursor(std::string_view s) noexcept : s_(s) {}

    [[nodiscard]] bool done() const noexcept { return i_ == s_.size(); }

    [[nodiscard]] bool literal(char c) noexcept
    {
        if (i_ < s_.size() && s_[i_] == c) {
            ++i_;
            return true;
        }
        return false;
    }

    /// Exactly `n` digits.
    [[nodiscard]] bool digits(std::size_t n, int& out) noexcept
    {
        if (s_.size() - i_ < n) {
            return false;
        }
        int v = 0;
        for (std::size_t k = 0; k < n; ++k) {
            const char c = s_[i_ + k];
            if (c < '0' || c > '9') {
                return false;
            }
            v = v * 10 + (c - '0');
        }
        i_ += n;
        out = v;
        return true;
    }

    /// One of `names` (case-insensitive); its index.
    template <std::size_t N>
    [[nodiscard]] bool name(const std::string_view (&names)[N], int& index) noexcept
    {
        for (std::size_t k = 0; k < N; ++k) {
            const std::string_view n = names[k];
            if (s_.size() - i_ >= n.size() && equal_ci(s_.substr(i_, n.size()), n)) {
                i_ += n.size();
                index = static_cast<int>(k);
                return true;
            }
        }
        return false;
    }

    /// time-of-day = hour ":" minute ":" second (second 60 is a leap second).
    [[nodiscard]] bool time_of_day(int& seconds_of_day) noexcept
    {
        int h = 0;
        int m = 0;
        int s = 0;
        if (!digits(2, h) || !literal(':') || !digits(2, m) || !literal(':') || !digits(2, s)) {
            return false;
        }
        if (h > 23 || m > 59 || s > 60) {
            return false;
        }
        seconds_of_day = h * 3600 + m * 60 + s;
        return true;
    }

    [[nodiscard]] bool word_gmt() noexcept
    {
        static constexpr std::string_view gmt[] = {"GMT"};
        int ignored = 0;
        return name(gmt, ignored);
    }

private:
    [[nodiscard]] static bool equal_ci(std::string_view a, std::string_view b) noexcept
    {
        for (std::size_t k = 0; k < a.size(); ++k) {
            char x = a[k];
            char y = b[k];
            if (x >= 'A' && x <= 'Z') {
                x = static_cast<char>(x - 'A' + 'a');
            }
            if (y >= 'A' && y <= 'Z') {
                y = static_cast<char>(y - 'A' + 'a');
            }
            if (x != y) {
                return false;
            }
        }
        return true;
    }

    std::string_view s_;
    std::size_t i_ = 0;
};

inline constexpr std::string_view short_days[] = {"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"};
inline constexpr std::string_view long_days[] = {
    "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"};
inline constexpr std::string_view months[] = {
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

/// Seconds since the Unix epoch of a valid civil date and time; nullopt for 31 Feb and such.
[[nodiscard]] inline std::optional<std::int64_t> epoch_seconds(int year, int month, int day, int seconds_of_day) noexcept
{
    const std::chrono::year_month_day ymd{std::chrono::year(year),
        std::chrono::month(static_cast<unsigned>(month)), std::chrono::day(static_cast<unsigned>(day))};
    if (!ymd.ok()) {
        return std::nullopt;
    }
    const std::int64_t days = std::chrono::sys_days(ymd).time_since_epoch().count();
    return days * 86400 + seconds_of_day;
}

/// An HTTP-date (RFC 9110 §5.6.7) to seconds since the epoch.
[[nodiscard]] inline std::optional<std::int64_t> parse_http_date(std::string_view v,
    std::chrono::system_clock::time_point now) noexcept
{
    int wday = 0;
    int day = 0;
    int month = 0;
    int year = 0;
    int tod = 0;
    {
        // IMF-fixdate: "Sun, 06 Nov 1994 08:49:37 GMT"
        date_cursor c(v);
        if (c.name(short_days, wday) && c.literal(',') && c.literal(' ') && c.digits(2, day)
            && c.literal(' ') && c.name(months, month) && c.literal(' ') && c.digits(4, year)
            && c.literal(' ') && c.time_of_day(tod) && c.literal(' ') && c.word_gmt() && c.done()) {
            return epoch_seconds(year, month + 1, day, tod);
        }
    }
    {
        // RFC 850: "Sunday, 06-Nov-94 08:49:37 GMT"
        date_cursor c(v);
        int yy = 0;
        if (c.name(long_days, wday) && c.literal(',') && c.literal(' ') && c.digits(2, day)
            && c.literal('-') && c.name(months, month) && c.literal('-') && c.digits(2, yy)
            && c.literal(' ') && c.time_of_day(tod) && c.literal(' ') && c.word_gmt() && c.done()) {
            const std::chrono::year_month_day today{std::chrono::floor<std::chrono::days>(now)};
            const int this_year = static_cast<int>(today.year());
            year = this_year - this_year % 100 + yy;
            if (year > this_year + 50) {
                year -= 100;
            }
            return epoch_seconds(year, month + 1, day, tod);
        }
    }
    {
        // asctime: "Sun Nov  6 08:49:37 1994" (the day is two digits or a space and a digit)
        date_cursor c(v);
        if (c.name(short_days, wday) && c.literal(' ') && c.name(months, month) && c.literal(' ')) {
            const bool one_digit = c.literal(' ');
            if (c.digits(one_digit ? 1 : 2, day) && c.literal(' ') && c.time_of_day(tod)
                && c.literal(' ') && c.digits(4, year) && c.done()) {
                return epoch_seconds(year, month + 1, day, tod);
            }
        }
    }
    return std::nullopt;
}

} // namespace detail

// ---- retry_budget ------------------------------------------------------------------------------

inline retry_budget::retry_budget(retry_budget_options o) noexcept
    : enabled_(o.enabled)
    , max_milli_(detail::to_milli_tokens(o.max_tokens))
    , ratio_milli_(detail::to_milli_tokens(o.token_ratio))
    , milli_(max_milli_)
{
}

inline retry_budget::retry_budget(const retry_budget& other) noexcept
    : enabled_(other.enabled_)
    , max_milli_(other.max_milli_)
    , ratio_milli_(other.ratio_milli_)
    , milli_(other.milli_.load(std::memory_order_relaxed))
{
}

inline retry_budget& retry_budget::operator=(const retry_budget& other) noexcept
{
    enabled_ = other.enabled_;
    max_milli_ = other.max_milli_;
    ratio_milli_ = other.ratio_milli_;
    milli_.store(other.milli_.load(std::memory_order_relaxed), std::memory_order_relaxed);
    return *this;
}

inline void retry_budget::on_failure() noexcept
{
    if (!enabled_) {
        return;
    }
    std::int64_t cur = milli_.load(std::memory_order_relaxed);
    while (!milli_.compare_exchange_weak(cur, std::max<std::int64_t>(0, cur - 1000),
        std::memory_order_relaxed)) {
    }
}

inline void retry_budget::on_success() noexcept
{
    if (!enabled_) {
        return;
    }
    std::int64_t cur = milli_.load(std::memory_order_relaxed);
    while (!milli_.compare_exchange_weak(cur, std::min(max_milli_, cur + ratio_milli_),
        std::memory_order_relaxed)) {
    }
}

inline bool retry_budget::allows_retry() const noexcept
{
    return !enabled_ || milli_.load(std::memory_order_relaxed) > max_milli_ / 2;
}

inline double retry_budget::tokens() const noexcept
{
    return static_cast<double>(milli_.load(std::memory_order_relaxed)) / 1000.0;
}

// ---- is_retryable ------------------------------------------------------------------------------

inline bool is_retryable(std::error_code ec, int http_status) noexcept
{
    ec = detail::as_system_error(ec);
    if (ec) {
        if (detail::is_cancellation(ec)) {
            return false;
        }
        const std::error_category& cat = ec.category();
        if (cat == net::error_category()) {
            switch (static_cast<net::error>(ec.value())) {
            case net::error::connect_timeout:
            case net::error::handshake_timeout:
            case net::error::head_timeout:
            case net::error::idle_timeout:
            case net::error::connection_closed:
            case net::error::tls_truncated:
                return true;
            default:
                // deadline_exceeded and pool_timeout are the total deadline; the rest is
                // configuration or a pool shut down: no status makes them worth retrying.
                return false;
            }
        }
        if (cat == gemini::error_category()) {
            if (static_cast<gemini::error>(ec.value()) == gemini::error::quota_requests_per_day) {
                return false;
            }
            if (ec == condition::retryable) {
                return true;
            }
        }
        if (ec == condition::auth || ec == condition::bad_request || ec == condition::blocked
            || ec == condition::truncated || ec == condition::invalid_input) {
            return false;
        }
        if (ec == condition::network) {
            return true;
        }
    }
    // No error code that decides: the status does (an unknown_api_error or a body that is not
    // JSON on a 503 is still a 503).
    return detail::is_retryable_status(http_status);
}

// ---- parse_retry_after -------------------------------------------------------------------------

inline std::optional<std::chrono::nanoseconds> parse_retry_after(std::string_view value,
    std::chrono::system_clock::time_point now) noexcept
{
    while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) {
        value.remove_prefix(1);
    }
    while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) {
        value.remove_suffix(1);
    }
    if (value.empty()) {
        return std::nullopt;
    }
    if (value.find_first_not_of("0123456789") == std::string_view::npos) {
        // delay-seconds = 1*DIGIT
        std::int64_t s = 0;
        for (const char c : value) {
            s = s * 10 + (c - '0');
            if (s >= detail::retry_after_cap_s) {
                s = detail::retry_after_cap_s;
                break;
            }
        }
        return std::chrono::seconds(s);
    }
    const std::optional<std::int64_t> date = detail::parse_http_date(value, now);
    if (!date) {
        return std::nullopt;
    }
    // In seconds first: an HTTP-date may be thousands of years away, past nanoseconds' range.
    const auto since_epoch = std::chrono::duration_cast<std::chrono::nanoseconds>(now.time_since_epoch());
    const auto now_s = std::chrono::floor<std::chrono::seconds>(since_epoch);
    std::int64_t diff_s = *date - now_s.count();
    if (diff_s <= 0) {
        return std::chrono::nanoseconds(0);
    }
    diff_s = std::min(diff_s, detail::retry_after_cap_s);
    const std::chrono::nanoseconds d = std::chrono::seconds(diff_s) - (since_epoch - now_s);
    return std::max(d, std::chrono::nanoseconds(0));
}

// ---- retry_state -------------------------------------------------------------------------------

inline retry_state::retry_state(const retry_options& o) noexcept : options_(&o) {}

inline void retry_state::reset() noexcept
{
    attempts_ = 0;
    previous_ns_ = 0;
}

inline int retry_state::attempt() const noexcept
{
    return attempts_;
}

inline double retry_state::next_random()
{
    double r = 0;
    if (options_->random) {
        r = options_->random();
    } else {
        if (!seeded_) {
            // Seeded on the first randomised delay only: a request that never retries never
            // pays for std::random_device. The address keeps states seeded in the same
            // nanosecond apart should random_device fail.
            std::uint64_t seed = static_cast<std::uint64_t>(
                std::chrono::steady_clock::now().time_since_epoch().count());
            seed ^= static_cast<std::uint64_t>(reinterpret_cast<std::uintptr_t>(this)) << 17;
            try {
                std::random_device rd;
                seed ^= (static_cast<std::uint64_t>(rd()) << 32) ^ rd();
            } catch (...) {
            }
            rng_ = seed;
            seeded_ = true;
        }
        r = static_cast<double>(detail::splitmix64(rng_) >> 11) * 0x1.0p-53;
    }
    if (!(r >= 0)) {
        return 0;
    }
    return r < 1 ? r : std::nextafter(1.0, 0.0);
}

inline std::chrono::nanoseconds retry_state::computed_delay(int retry_index)
{
    const retry_options& o = *options_;
    const double initial = static_cast<double>(std::max<std::int64_t>(0, o.initial_delay.count()));
    const double cap = static_cast<double>(o.max_delay.count());
    switch (o.jitter) {
    case jitter_kind::decorrelated: {
        // AWS: sleep = min(cap, random_between(base, sleep * 3)), sleep starting at base.
        const double previous = previous_ns_ > 0 ? previous_ns_ : initial;
        const double high = std::max(initial, previous * 3);
        const std::chrono::nanoseconds d = detail::clamp_ns(initial + next_random() * (high - initial), o.max_delay);
        previous_ns_ = static_cast<double>(d.count());
        return d;
    }
    case jitter_kind::full:
    case jitter_kind::none:
        break;
    }
    double exponential = initial * std::pow(o.multiplier, retry_index);
    if (!(exponential < cap)) {   // also inf and NaN
        exponential = cap;
    }
    if (o.jitter == jitter_kind::full) {
        exponential *= next_random();
    }
    return detail::clamp_ns(exponential, o.max_delay);
}

inline retry_decision retry_state::on_failure(std::error_code ec, int http_status,
    std::optional<std::chrono::nanoseconds> server_delay, time_point now, time_point deadline,
    retry_budget* budget)
{
    ++attempts_;
    if (!is_retryable(ec, http_status)) {
        return {retry_verdict::not_retryable, {}, false};
    }
    if (budget != nullptr) {
        budget->on_failure();
    }
    if (attempts_ - 1 >= std::max(0, options_->max_retries)) {
        return {retry_verdict::attempts_exhausted, {}, false};
    }
    if (budget != nullptr && !budget->allows_retry()) {
        return {retry_verdict::budget_exhausted, {}, false};
    }
    retry_decision d{retry_verdict::retry, {}, false};
    if (server_delay && options_->honor_server_delay) {
        d.delay = std::max(*server_delay, std::chrono::nanoseconds(0));
        d.server_delay = true;
    } else {
        d.delay = computed_delay(attempts_ - 1);
    }
    if (deadline != time_point::max()) {
        if (now >= deadline) {
            d.verdict = retry_verdict::deadline;
            return d;
        }
        const auto left = std::chrono::duration_cast<std::chrono::nanoseconds>(deadline - now);
        if (d.delay > left) {
            if (d.server_delay) {
                d.verdict = retry_verdict::deadline;
            } else {
                d.delay = left;
            }
        }
    }
    return d;
}

} // namespace llmio::gemini

#endif // LLMIO_GEMINI_IMPL_RETRY_HPP
