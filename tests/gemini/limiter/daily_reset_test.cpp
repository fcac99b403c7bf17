// The daily quota reset: Pacific midnight computed by rule, checked at fixed instants around
// both 2026 daylight-saving transitions and against the system's tzdata for every hour of
// 2024-2030 where /usr/share/zoneinfo is installed.
#include "limiter_support.hpp"

#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <string>

using namespace limiter_test;
using std::chrono::system_clock;

namespace {

struct day_case {
    system_clock::time_point at;
    system_clock::time_point start;
    system_clock::time_point next;
};

void check_case(const day_case& c)
{
    CAPTURE(c.at.time_since_epoch().count());
    CHECK(gemini::pacific_day_start(c.at) == c.start);
    CHECK(gemini::next_pacific_midnight(c.at) == c.next);
}

} // namespace

TEST_CASE("civil date arithmetic", "[limiter][daily]")
{
    using namespace gemini::detail;
    CHECK(days_from_civil(1970, 1, 1) == 0);
    CHECK(days_from_civil(2000, 3, 1) == 11017);
    CHECK(days_from_civil(1969, 12, 31) == -1);
    CHECK(year_from_days(days_from_civil(2026, 1, 1)) == 2026);
    CHECK(year_from_days(days_from_civil(2025, 12, 31)) == 2025);
    CHECK(year_from_days(days_from_civil(2024, 2, 29)) == 2024);
    CHECK(year_from_days(-1) == 1969);
    CHECK(weekday_from_days(0) == 4);                               // Thursday
    CHECK(weekday_from_days(days_from_civil(2026, 3, 1)) == 0);     // Sunday
    CHECK(nth_sunday(2026, 3, 2) == days_from_civil(2026, 3, 8));
    CHECK(nth_sunday(2026, 11, 1) == days_from_civil(2026, 11, 1));
    CHECK(nth_sunday(2024, 3, 2) == days_from_civil(2024, 3, 10));
    CHECK(nth_sunday(2024, 11, 1) == days_from_civil(2024, 11, 3));
}

TEST_CASE("Pacific midnight around the March 2026 transition (23-hour day)", "[limiter][daily]")
{
    // 2026-03-08 02:00 PST (10:00 UTC) becomes 03:00 PDT.
    const auto mar7 = utc(2026, 3, 7, 8);    // 00:00 PST
    const auto mar8 = utc(2026, 3, 8, 8);    // 00:00 PST
    const auto mar9 = utc(2026, 3, 9, 7);    // 00:00 PDT
    const auto mar10 = utc(2026, 3, 10, 7);  // 00:00 PDT
    // The day before.
    check_case({utc(2026, 3, 7, 20), mar7, mar8});
    check_case({mar7, mar7, mar8});
    check_case({mar8 - 1ns, mar7, mar8});
    // The day of: before and after 02:00 local, the last instant.
    check_case({mar8, mar8, mar9});
    check_case({utc(2026, 3, 8, 9, 59, 59), mar8, mar9});   // 01:59:59 PST
    check_case({utc(2026, 3, 8, 10), mar8, mar9});           // 03:00:00 PDT
    check_case({utc(2026, 3, 8, 20), mar8, mar9});
    check_case({mar9 - 1ns, mar8, mar9});
    CHECK(mar9 - mar8 == 23h);
    // The day after.
    check_case({mar9, mar9, mar10});
    check_case({utc(2026, 3, 9, 19), mar9, mar10});
    check_case({mar10 - 1ns, mar9, mar10});

    CHECK(gemini::pacific_utc_offset(utc(2026, 3, 8, 9, 59, 59)) == -8h);
    CHECK(gemini::pacific_utc_offset(utc(2026, 3, 8, 10)) == -7h);
}

TEST_CASE("Pacific midnight around the November 2026 transition (25-hour day)", "[limiter][daily]")
{
    // 2026-11-01 02:00 PDT (09:00 UTC) becomes 01:00 PST: 01:xx happens twice.
    const auto oct31 = utc(2026, 10, 31, 7);  // 00:00 PDT
    const auto nov1 = utc(2026, 11, 1, 7);    // 00:00 PDT
    const auto nov2 = utc(2026, 11, 2, 8);    // 00:00 PST
    const auto nov3 = utc(2026, 11, 3, 8);    // 00:00 PST
    check_case({utc(2026, 10, 31, 19), oct31, nov1});
    check_case({nov1 - 1ns, oct31, nov1});
    check_case({nov1, nov1, nov2});
    check_case({utc(2026, 11, 1, 8, 30), nov1, nov2});   // 01:30 PDT
    check_case({utc(2026, 11, 1, 9), nov1, nov2});       // 01:00 PST
    check_case({utc(2026, 11, 1, 9, 30), nov1, nov2});   // 01:30 PST, the second time
    check_case({utc(2026, 11, 1, 23), nov1, nov2});
    check_case({nov2 - 1ns, nov1, nov2});
    CHECK(nov2 - nov1 == 25h);
    check_case({nov2, nov2, nov3});
    check_case({utc(2026, 11, 2, 20), nov2, nov3});
    check_case({nov3 - 1ns, nov2, nov3});

    CHECK(gemini::pacific_utc_offset(utc(2026, 11, 1, 8, 59, 59)) == -7h);
    CHECK(gemini::pacific_utc_offset(utc(2026, 11, 1, 9)) == -8h);
}

TEST_CASE("Pacific midnight matches the system's tzdata for every hour of 2024-2030", "[limiter][daily]")
{
    if (!std::filesystem::exists("/usr/share/zoneinfo/America/Los_Angeles")) {
        WARN("/usr/share/zoneinfo/America/Los_Angeles is absent: the tzdata cross-check is skipped");
        return;
    }
    const char* old = std::getenv("TZ");
    const std::string saved = old != nullptr ? old : "";
    ::setenv("TZ", "America/Los_Angeles", 1);
    ::tzset();

    const auto local_day = [](std::time_t t, std::tm& tm) {
        REQUIRE(::localtime_r(&t, &tm) != nullptr);
        return gemini::detail::days_from_civil(tm.tm_year + 1900, static_cast<unsigned>(tm.tm_mon + 1),
                                               static_cast<unsigned>(tm.tm_mday));
    };
    std::size_t checked = 0;
    std::size_t mismatches = 0;
    const auto end = utc(2031, 1, 1);
    for (auto t = utc(2024, 1, 1); t < end; t += 1h) {
        std::tm tm_t{};
        std::tm tm_next{};
        std::tm tm_start{};
        const std::int64_t day = local_day(system_clock::to_time_t(t), tm_t);
        const auto next = gemini::next_pacific_midnight(t);
        const auto start = gemini::pacific_day_start(t);
        const std::int64_t next_day = local_day(system_clock::to_time_t(next), tm_next);
        const std::int64_t start_day = local_day(system_clock::to_time_t(start), tm_start);
        const bool ok = tm_next.tm_hour == 0 && tm_next.tm_min == 0 && tm_next.tm_sec == 0 && next_day == day + 1 &&
                        tm_start.tm_hour == 0 && tm_start.tm_min == 0 && tm_start.tm_sec == 0 && start_day == day &&
                        start <= t && t < next &&
                        gemini::pacific_utc_offset(t) == std::chrono::seconds(tm_t.tm_gmtoff);
        if (!ok && mismatches++ < 5) {
            CAPTURE(system_clock::to_time_t(t));
            CHECK(ok);
        }
        ++checked;
    }
    if (saved.empty()) {
        ::unsetenv("TZ");
    }
    else {
        ::setenv("TZ", saved.c_str(), 1);
    }
    ::tzset();
    CHECK(mismatches == 0);
    CHECK(checked == 61368);   // 7 years, two of them leap: 2557 days
}
