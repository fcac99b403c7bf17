// Bodies of the functions declared in llmio/gemini/daily_reset.hpp.
#ifndef LLMIO_GEMINI_IMPL_DAILY_RESET_HPP
#define LLMIO_GEMINI_IMPL_DAILY_RESET_HPP

#include <cstdint>

namespace llmio::gemini {
namespace detail {

/// Days since 1970-01-01 of the proleptic Gregorian date y-m-d (Hinnant, "chrono-Compatible
/// Low-Level Date Algorithms").
[[nodiscard]] constexpr std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) noexcept
{
    y -= m <= 2 ? 1 : 0;
    const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
    const auto yoe = static_cast<unsigned>(y - era * 400);                        // [0, 399]
    const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;        // [0, 365]
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;                   // [0, 146096]
    return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

/// The year of day `z` (days since 1970-01-01); the inverse of days_from_civil, year only.
[[nodiscard]] constexpr std::int64_t year_from_days(std::int64_t z) noexcept
{
    z += 719468;
    const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    const auto doe = static_cast<unsigned>(z - era * 146097);
    const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const unsigned mp = (5 * doy + 2) / 153;
    const std::int64_t y = static_cast<std::int64_t>(yoe) + era * 400;
    return mp >= 10 ? y + 1 : y;   // months March..February: January and February end the year
}

/// Day of the week of day `z`, 0 = Sunday (1970-01-01 was a Thursday).
[[nodiscard]] constexpr unsigned weekday_from_days(std::int64_t z) noexcept
{
    return static_cast<unsigned>(z >= -4 ? (z + 4) % 7 : (z + 5) % 7 + 6);
}

/// The day (since 1970-01-01) of the n-th Sunday of month m of year y.
[[nodiscard]] constexpr std::int64_t nth_sunday(std::int64_t y, unsigned m, unsigned n) noexcept
{
    const std::int64_t first = days_from_civil(y, m, 1);
    return first + (7 - weekday_from_days(first)) % 7 + 7 * (n - 1);
}

/// Pacific daylight time runs from the second Sunday of March 02:00 PST (10:00 UTC) to the
/// first Sunday of November 02:00 PDT (09:00 UTC).
[[nodiscard]] constexpr bool pacific_dst_at(std::int64_t utc_seconds) noexcept
{
    constexpr std::int64_t day = 86400;
    // The year is read in standard time; the transitions are months away from New Year.
    const std::int64_t local = utc_seconds - 8 * 3600;
    const std::int64_t y = year_from_days(local >= 0 ? local / day : (local - day + 1) / day);
    const std::int64_t begins = nth_sunday(y, 3, 2) * day + 10 * 3600;
    const std::int64_t ends = nth_sunday(y, 11, 1) * day + 9 * 3600;
    return utc_seconds >= begins && utc_seconds < ends;
}

/// Midnight that begins the Pacific day `local_day` (days since 1970-01-01, local calendar),
/// in UTC seconds. It is on daylight time from the day after the March transition up to and
/// including the November transition day.
[[nodiscard]] constexpr std::int64_t pacific_midnight_utc(std::int64_t local_day) noexcept
{
    const std::int64_t y = year_from_days(local_day);
    const bool dst = local_day > nth_sunday(y, 3, 2) && local_day <= nth_sunday(y, 11, 1);
    return local_day * 86400 + (dst ? 7 : 8) * 3600;
}

/// The Pacific calendar day (days since 1970-01-01) that contains `t`.
[[nodiscard]] inline std::int64_t pacific_day(std::chrono::system_clock::time_point t) noexcept
{
    const std::int64_t s = std::chrono::floor<std::chrono::seconds>(t.time_since_epoch()).count();
    const std::int64_t local = s + (pacific_dst_at(s) ? -7 : -8) * 3600;
    return local >= 0 ? local / 86400 : (local - 86399) / 86400;
}

} // namespace detail

inline std::chrono::seconds pacific_utc_offset(std::chrono::system_clock::time_point now) noexcept
{
    const std::int64_t s = std::chrono::floor<std::chrono::seconds>(now.time_since_epoch()).count();
    return std::chrono::hours(detail::pacific_dst_at(s) ? -7 : -8);
}

inline std::chrono::system_clock::time_point pacific_day_start(std::chrono::system_clock::time_point now) noexcept
{
    return std::chrono::system_clock::time_point(
        std::chrono::seconds(detail::pacific_midnight_utc(detail::pacific_day(now))));
}

inline std::chrono::system_clock::time_point next_pacific_midnight(std::chrono::system_clock::time_point now) noexcept
{
    return std::chrono::system_clock::time_point(
        std::chrono::seconds(detail::pacific_midnight_utc(detail::pacific_day(now) + 1)));
}

} // namespace llmio::gemini

#endif // LLMIO_GEMINI_IMPL_DAILY_RESET_HPP
