// Tests of bench/harness/load.hpp: constant schedules exact, Poisson mean gap and spread,
// seeds, the sweep syntax and its errors.
#include "harness/load.hpp"

#include "support/catch.hpp"

#include <chrono>
#include <cmath>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <system_error>
#include <vector>

namespace {

using namespace std::chrono_literals;
using llmio::bench::arrival;
using llmio::bench::arrival_schedule;

} // namespace

TEST_CASE("load: a constant schedule is exact and does not drift", "[bench][load]")
{
    arrival_schedule s(100, arrival::constant);
    for (std::int64_t k = 0; k < 100'000; ++k)
        REQUIRE(s.next() == k * 10ms);
    CHECK(s.issued() == 100'000);

    arrival_schedule third(3, arrival::constant);
    std::chrono::nanoseconds last{};
    for (int k = 0; k <= 1'000'000; ++k)
        last = third.next();
    CHECK(last == std::chrono::nanoseconds(333'333'333'333'333));   // 10^6 / 3 s, rounded
}

TEST_CASE("load: Poisson arrivals have mean gap 1/rate", "[bench][load]")
{
    constexpr double rate = 250;
    constexpr int n = 100'000;
    arrival_schedule s(rate, arrival::poisson, 42);
    CHECK(s.next() == 0ns);   // the first request goes at the start
    std::vector<double> gaps;
    std::chrono::nanoseconds previous{};
    for (int i = 0; i < n; ++i) {
        const auto t = s.next();
        REQUIRE(t >= previous);
        gaps.push_back(std::chrono::duration<double>(t - previous).count());
        previous = t;
    }
    double sum = 0;
    for (const double g : gaps)
        sum += g;
    const double mean = sum / n;
    CHECK(std::abs(mean - 1 / rate) <= 0.02 / rate);
    // Exponential, not merely the right mean: P(gap > mean) = 1/e, standard deviation = mean.
    double above = 0, sq = 0;
    for (const double g : gaps) {
        above += g > 1 / rate ? 1 : 0;
        sq += (g - mean) * (g - mean);
    }
    CHECK(std::abs(above / n - std::exp(-1.0)) <= 0.01);
    CHECK(std::abs(std::sqrt(sq / n) - 1 / rate) <= 0.03 / rate);

    arrival_schedule same(rate, arrival::poisson, 42), other(rate, arrival::poisson, 43);
    std::vector<std::chrono::nanoseconds> a, b, c;
    for (int i = 0; i < 100; ++i) {
        a.push_back(same.next());
        c.push_back(other.next());
    }
    arrival_schedule again(rate, arrival::poisson, 42);
    for (int i = 0; i < 100; ++i)
        b.push_back(again.next());
    CHECK(a == b);
    CHECK(a != c);
}

TEST_CASE("load: rates and arrival names are checked", "[bench][load]")
{
    CHECK_THROWS_AS(arrival_schedule(0, arrival::poisson), std::invalid_argument);
    CHECK_THROWS_AS(arrival_schedule(-1, arrival::constant), std::invalid_argument);
    CHECK_THROWS_AS(arrival_schedule(std::nan(""), arrival::constant), std::invalid_argument);
    CHECK_THROWS_AS(arrival_schedule(HUGE_VAL, arrival::constant), std::invalid_argument);
    CHECK(llmio::bench::parse_arrival("poisson") == arrival::poisson);
    CHECK(llmio::bench::parse_arrival("constant") == arrival::constant);
    CHECK_FALSE(llmio::bench::parse_arrival("Poisson").has_value());
}

TEST_CASE("load: sweep lists and ranges", "[bench][load]")
{
    std::vector<double> v;
    REQUIRE_FALSE(llmio::bench::parse_sweep("1,8,64,512", v));
    CHECK(v == std::vector<double>{1, 8, 64, 512});
    CHECK(llmio::bench::all_integral(v));

    REQUIRE_FALSE(llmio::bench::parse_sweep("10:100:10", v));
    CHECK(v == std::vector<double>{10, 20, 30, 40, 50, 60, 70, 80, 90, 100});

    REQUIRE_FALSE(llmio::bench::parse_sweep(" 0.1:0.5:0.1 ", v));
    REQUIRE(v.size() == 5);
    CHECK(v.back() == Approx(0.5));
    CHECK_FALSE(llmio::bench::all_integral(v));

    REQUIRE_FALSE(llmio::bench::parse_sweep("5:12:5", v));   // stop not reached exactly
    CHECK(v == std::vector<double>{5, 10});
    REQUIRE_FALSE(llmio::bench::parse_sweep("7", v));
    CHECK(v == std::vector<double>{7});
    REQUIRE_FALSE(llmio::bench::parse_sweep(" 2.5 , 5 ", v));
    CHECK(v == std::vector<double>{2.5, 5});
    REQUIRE_FALSE(llmio::bench::parse_sweep("3:3:1", v));
    CHECK(v == std::vector<double>{3});
}

TEST_CASE("load: sweep errors", "[bench][load]")
{
    std::vector<double> v{1};
    for (const std::string bad : {"", ",", "1,,2", "a", "1,x", "0", "1,-4", "1:10", "10:1:1", "1:10:0", "1:10:-1",
                                  "1:2:3:4", "0:10:5", "1e400", "nan", "inf", "1;2"}) {
        CAPTURE(bad);
        CHECK(llmio::bench::parse_sweep(bad, v) == std::errc::invalid_argument);
        CHECK(v.empty());
    }
    CHECK(llmio::bench::parse_sweep("1:100000:1", v) == std::errc::result_out_of_range);
    std::string long_list = "1";
    for (int i = 0; i < 1000; ++i)
        long_list += ",1";
    CHECK(llmio::bench::parse_sweep(long_list, v) == std::errc::result_out_of_range);
    CHECK(v.empty());
}
