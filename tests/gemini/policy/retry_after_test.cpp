// gemini::parse_retry_after: delay-seconds and the three HTTP-date forms of RFC 9110 §5.6.7.
#include <llmio/gemini/retry.hpp>

#include "support/catch.hpp"

#include <chrono>
#include <string>

namespace gemini = llmio::gemini;
using namespace std::chrono_literals;
using std::chrono::nanoseconds;

namespace {

using sys_time = std::chrono::system_clock::time_point;

sys_time at(int y, unsigned mo, unsigned d, int h, int mi, int s)
{
    using namespace std::chrono;
    return sys_time(sys_days(year(y) / month(mo) / day(d)) + hours(h) + minutes(mi) + seconds(s));
}

// The RFC's example instant, 37 seconds later than `now`.
const sys_time now = at(1994, 11, 6, 8, 49, 0);

std::optional<nanoseconds> parse(std::string_view v, sys_time t = now)
{
    return gemini::parse_retry_after(v, t);
}

const nanoseconds cap = std::chrono::seconds(std::int64_t{1} << 31);

} // namespace

TEST_CASE("Retry-After: delay-seconds", "[gemini][retry-after]")
{
    CHECK(parse("120") == nanoseconds(120s));
    CHECK(parse("0") == nanoseconds(0));
    CHECK(parse("007") == nanoseconds(7s));
    CHECK(parse(" 5\t") == nanoseconds(5s));   // OWS around a field value
    CHECK(parse("2147483647") == nanoseconds(std::chrono::seconds(2147483647)));
    SECTION("huge values saturate at 2^31 s without overflow")
    {
        CHECK(parse("2147483648") == cap);
        CHECK(parse("99999999999999999999999999999999999999") == cap);
        CHECK(parse(std::string(5000, '9')) == cap);
        // Added to a steady time, the cap still fits.
        CHECK(std::chrono::steady_clock::now() + *parse("99999999999999999999") > std::chrono::steady_clock::now());
    }
}

TEST_CASE("Retry-After: the three HTTP-date forms", "[gemini][retry-after]")
{
    CHECK(parse("Sun, 06 Nov 1994 08:49:37 GMT") == nanoseconds(37s));      // IMF-fixdate
    CHECK(parse("Sunday, 06-Nov-94 08:49:37 GMT") == nanoseconds(37s));     // RFC 850
    CHECK(parse("Sun Nov  6 08:49:37 1994") == nanoseconds(37s));           // asctime
    CHECK(parse("  Sun, 06 Nov 1994 08:49:37 GMT  ") == nanoseconds(37s));
    CHECK(parse("sun, 06 nov 1994 08:49:37 gmt") == nanoseconds(37s));      // names in any case

    SECTION("later dates, two-digit asctime days, leap seconds, the weekday unchecked")
    {
        CHECK(parse("Wed, 16 Nov 1994 08:49:00 GMT") == nanoseconds(std::chrono::hours(240)));
        CHECK(parse("Wed Nov 16 08:49:00 1994") == nanoseconds(std::chrono::hours(240)));
        CHECK(parse("Mon, 06 Nov 1994 08:49:37 GMT") == nanoseconds(37s));   // 6 Nov 1994 was a Sunday
        CHECK(parse("Sun, 06 Nov 1994 08:49:60 GMT") == nanoseconds(60s));
        CHECK(parse("Sat, 31 Dec 1994 23:59:59 GMT", at(1994, 12, 31, 23, 59, 0)) == nanoseconds(59s));
        CHECK(parse("Thu, 29 Feb 1996 00:00:00 GMT", at(1996, 2, 28, 23, 59, 0)) == nanoseconds(60s));
    }
    SECTION("sub-second now: the remaining time to the nanosecond")
    {
        CHECK(parse("Sun, 06 Nov 1994 08:49:37 GMT", now + 36s + 750ms) == nanoseconds(250ms));
    }
    SECTION("a date in the past (or now) gives 0")
    {
        CHECK(parse("Sun, 06 Nov 1994 08:48:00 GMT") == nanoseconds(0));
        CHECK(parse("Sun, 06 Nov 1994 08:49:00 GMT") == nanoseconds(0));
        CHECK(parse("Sun, 06 Nov 1994 08:49:37 GMT", now + 36s + 1500ms) == nanoseconds(0));
        CHECK(parse("Thu, 01 Jan 1970 00:00:00 GMT") == nanoseconds(0));
        CHECK(parse("Sat, 01 Jan 0000 00:00:00 GMT") == nanoseconds(0));
    }
    SECTION("a date far ahead saturates at 2^31 s")
    {
        CHECK(parse("Fri, 31 Dec 9999 23:59:59 GMT") == cap);
        CHECK(parse("Fri Dec 31 23:59:59 9999") == cap);
    }
    SECTION("RFC 850 two-digit years: more than 50 years ahead means the past century")
    {
        const sys_time late_2025 = at(2025, 12, 31, 23, 59, 0);
        CHECK(parse("Thursday, 01-Jan-26 00:00:00 GMT", late_2025) == nanoseconds(60s));
        CHECK(parse("Sunday, 06-Nov-94 08:49:37 GMT", late_2025) == nanoseconds(0));   // 1994
        CHECK(parse("Saturday, 01-Jan-75 00:00:00 GMT", late_2025) > nanoseconds(std::chrono::hours(24 * 365 * 49)));   // 2075
        CHECK(parse("Monday, 01-Jan-76 00:00:00 GMT", late_2025) == nanoseconds(0));   // 1976
    }
}

TEST_CASE("Retry-After: garbage is nullopt", "[gemini][retry-after]")
{
    for (const char* bad : {
             "", "   ", "abc", "-1", "+3", "1.5", "1e3", "12 s", "0x10", "5,6",
             "Sun, 06 Nov 1994 08:49:37 UTC",       // not GMT
             "Sun, 06 Nov 1994 08:49:37",           // no zone
             "Sun, 06 Nov 1994 08:49:37 GMTx",      // trailing junk
             "Sun, 06 Nov 1994 08:49:37 GMT GMT",
             "Sun, 6 Nov 1994 08:49:37 GMT",        // IMF-fixdate days are two digits
             "Sun 06 Nov 1994 08:49:37 GMT",        // no comma
             "Sun,  06 Nov 1994 08:49:37 GMT",
             "Sun, 06 Nov 94 08:49:37 GMT",         // two-digit year in IMF-fixdate
             "Sun, 06 Foo 1994 08:49:37 GMT",
             "Xyz, 06 Nov 1994 08:49:37 GMT",
             "Sun, 31 Feb 1994 08:49:37 GMT",       // no such day
             "Sun, 00 Nov 1994 08:49:37 GMT",
             "Sun, 29 Feb 1995 08:49:37 GMT",
             "Sun, 06 Nov 1994 24:00:00 GMT",
             "Sun, 06 Nov 1994 08:60:00 GMT",
             "Sun, 06 Nov 1994 08:49:61 GMT",
             "Sun, 06 Nov 1994 8:49:37 GMT",
             "Sun, 06 Nov 1994 08:49 GMT",
             "Sun, 06 Nov 1994 08-49-37 GMT",
             "Sunday, 06-Nov-1994 08:49:37 GMT",    // RFC 850 years are two digits
             "Sun, 06-Nov-94 08:49:37 GMT",         // RFC 850 uses the long day name
             "Sunday, 06 Nov 1994 08:49:37 GMT",
             "Sun Nov 6 08:49:37 1994",             // asctime pads the day with a space
             "Sun Nov  6 08:49:37 94",
             "Sun Nov  6 08:49:37 1994 GMT",
             "Sun Nov   6 08:49:37 1994",
             "06 Nov 1994 08:49:37 GMT",
             "Sun, 06 Nov 1994\t08:49:37 GMT",
         }) {
        INFO("value: [" << bad << "]");
        CHECK_FALSE(parse(bad).has_value());
    }
    // Every prefix of a valid date is garbage too (no read past the end).
    const std::string good = "Sun, 06 Nov 1994 08:49:37 GMT";
    for (std::size_t n = 1; n < good.size(); ++n) {
        INFO("prefix " << n);
        CHECK_FALSE(parse(std::string_view(good).substr(0, n)).has_value());
    }
}
