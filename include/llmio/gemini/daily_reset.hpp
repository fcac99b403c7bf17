// llmio/gemini/daily_reset.hpp: when Gemini's per-day quotas reset (midnight Pacific time).
//
// Requests-per-day quotas reset at midnight America/Los_Angeles, daylight saving included
// (GEMINI_API.md, "Rate limits"). libstdc++ 12 has no time-zone database (no
// std::chrono::locate_zone), and reading /usr/share/zoneinfo would make a header-only library
// depend on files that containers often lack. So the zone is computed by rule, with civil-date
// arithmetic (Howard Hinnant's days_from_civil): UTC-8 standard time, UTC-7 daylight time from
// the second Sunday of March 02:00 local to the first Sunday of November 02:00 local (the US
// rule since 2007; it is applied to every year, earlier ones included). Should the rule change,
// this is the one place to change; the tests cross-check it against the system's tzdata where
// installed.
//
// Local midnight is never inside a transition (they happen at 02:00), so every Pacific day
// starts at exactly one instant; days are 23 hours long in March and 25 in November.
#ifndef LLMIO_GEMINI_DAILY_RESET_HPP
#define LLMIO_GEMINI_DAILY_RESET_HPP

#include <chrono>

namespace llmio::gemini {

/// The first Pacific midnight strictly after `now`: the instant the day that contains `now`
/// ends. At exactly midnight it is the following midnight (a day has just begun).
[[nodiscard]] std::chrono::system_clock::time_point next_pacific_midnight(
    std::chrono::system_clock::time_point now) noexcept;

/// The Pacific midnight that began the day containing `now` (`<= now`).
[[nodiscard]] std::chrono::system_clock::time_point pacific_day_start(
    std::chrono::system_clock::time_point now) noexcept;

/// The offset of Pacific time from UTC at `now`: -8 h (PST) or -7 h (PDT).
[[nodiscard]] std::chrono::seconds pacific_utc_offset(std::chrono::system_clock::time_point now) noexcept;

} // namespace llmio::gemini

#include <llmio/gemini/impl/daily_reset.hpp>

#endif // LLMIO_GEMINI_DAILY_RESET_HPP
