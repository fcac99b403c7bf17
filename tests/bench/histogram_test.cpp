// Tests of bench/harness/histogram.hpp: percentiles against sorted samples (the exact ranked
// sample's bucket, within the relative error), merge == recording everything in one, edge
// values, p0 and p100, the error bound for every precision.
#include "harness/histogram.hpp"

#include "support/catch.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <functional>
#include <limits>
#include <random>
#include <stdexcept>
#include <vector>

namespace {

using llmio::bench::histogram;
using llmio::bench::histogram_options;

constexpr std::uint64_t ms = 1'000'000;

std::vector<std::uint64_t> draw(std::size_t n, std::uint64_t seed, const std::function<double(std::mt19937_64&)>& f)
{
    std::mt19937_64 rng(seed);
    std::vector<std::uint64_t> v(n);
    for (auto& x : v)
        x = static_cast<std::uint64_t>(std::max(0.0, std::round(f(rng))));
    return v;
}

// The rank HdrHistogram's definition picks for percentile p/1000 (p in thousandths of a
// percent), in integers: ceil(p / 100 / 1000 * n), at least 1.
std::size_t rank_of(std::uint64_t p_thousandths, std::size_t n)
{
    const std::uint64_t r = (p_thousandths * n + 100'000 - 1) / 100'000;
    return static_cast<std::size_t>(std::max<std::uint64_t>(r, 1));
}

void check_against_sorted(const std::vector<std::uint64_t>& samples)
{
    histogram h;
    for (const auto v : samples)
        h.record(v);
    std::vector<std::uint64_t> sorted = samples;
    std::sort(sorted.begin(), sorted.end());

    REQUIRE(h.count() == sorted.size());
    CHECK(h.min() == sorted.front());
    CHECK(h.max() == sorted.back());
    long double sum = 0;
    for (const auto v : sorted)
        sum += static_cast<long double>(v);
    const double mean = static_cast<double>(sum / static_cast<long double>(sorted.size()));
    CHECK(std::abs(h.mean() - mean) <= 1e-9 * mean);
    long double sq = 0;
    for (const auto v : sorted)
        sq += (static_cast<long double>(v) - mean) * (static_cast<long double>(v) - mean);
    const double sd = static_cast<double>(std::sqrt(sq / static_cast<long double>(sorted.size())));
    CHECK(std::abs(h.stddev() - sd) <= 0.01 * sd + 1);

    for (const std::uint64_t p : {50'000u, 90'000u, 99'000u, 99'900u, 99'990u, 25'000u, 1'000u}) {
        const std::uint64_t truth = sorted[rank_of(p, sorted.size()) - 1];
        const std::uint64_t got = h.value_at_percentile(static_cast<double>(p) / 1000.0);
        CAPTURE(p, truth, got);
        CHECK(got == h.highest_equivalent(truth));
        CHECK(got >= truth);
        CHECK(static_cast<double>(got - truth) <= 1e-3 * static_cast<double>(truth));
    }
    CHECK(h.value_at_percentile(0) == h.lowest_equivalent(sorted.front()));
    CHECK(h.value_at_percentile(100) == h.highest_equivalent(sorted.back()));
}

} // namespace

TEST_CASE("histogram: percentiles match sorted samples within 0.1%", "[bench][histogram]")
{
    constexpr std::size_t n = 100'000;
    SECTION("uniform 1 ns .. 1 s")
    {
        check_against_sorted(draw(n, 1, [](auto& r) { return std::uniform_real_distribution<double>(1, 1e9)(r); }));
    }
    SECTION("log-uniform 1 ns .. 1 hour")
    {
        check_against_sorted(draw(n, 2, [](auto& r) {
            return std::exp(std::uniform_real_distribution<double>(0, std::log(3.6e12))(r));
        }));
    }
    SECTION("exponential, mean 10 ms")
    {
        check_against_sorted(draw(n, 3, [](auto& r) { return std::exponential_distribution<double>(1.0 / 1e7)(r); }));
    }
    SECTION("normal 10 ms, sd 0.5 ms (a paced stream's gaps)")
    {
        check_against_sorted(draw(n, 4, [](auto& r) { return std::normal_distribution<double>(1e7, 5e5)(r); }));
    }
    SECTION("bimodal: 50 ms and a 3 s tail")
    {
        check_against_sorted(draw(n, 5, [](auto& r) {
            return std::bernoulli_distribution(0.02)(r) ? std::normal_distribution<double>(3e9, 2e8)(r)
                                                        : std::normal_distribution<double>(5e7, 1e6)(r);
        }));
    }
    SECTION("small integers (token counts), exact below 2048")
    {
        check_against_sorted(draw(n, 6, [](auto& r) { return std::uniform_int_distribution<int>(0, 3000)(r); }));
    }
}

TEST_CASE("histogram: merge equals recording everything in one", "[bench][histogram]")
{
    const auto samples = draw(60'000, 7, [](auto& r) {
        return std::exp(std::uniform_real_distribution<double>(std::log(1e5), std::log(1e10))(r));
    });
    histogram all, parts[3];
    std::mt19937_64 pick(8);
    for (const auto v : samples) {
        all.record(v);
        parts[pick() % 3].record(v);
    }
    parts[1].record(std::numeric_limits<std::uint64_t>::max());   // overflow merges too
    all.record(std::numeric_limits<std::uint64_t>::max());
    histogram merged;
    for (const auto& p : parts)
        merged.merge(p);

    CHECK(merged.count() == all.count());
    CHECK(merged.overflow_count() == all.overflow_count());
    CHECK(merged.min() == all.min());
    CHECK(merged.max() == all.max());
    CHECK(merged.mean() == all.mean());
    CHECK(merged.stddev() == all.stddev());
    for (int p10 = 0; p10 <= 1000; ++p10)
        CHECK(merged.value_at_percentile(p10 / 10.0) == all.value_at_percentile(p10 / 10.0));
    std::vector<histogram::bucket> a, b;
    all.for_each_bucket([&](const histogram::bucket& x) { a.push_back(x); });
    merged.for_each_bucket([&](const histogram::bucket& x) { b.push_back(x); });
    REQUIRE(a.size() == b.size());
    for (std::size_t i = 0; i < a.size(); ++i) {
        CHECK(a[i].lowest == b[i].lowest);
        CHECK(a[i].count == b[i].count);
    }
}

TEST_CASE("histogram: merge across precisions keeps every count", "[bench][histogram]")
{
    histogram fine, coarse({.significant_digits = 2, .highest_trackable = 1'000'000});
    for (std::uint64_t v = 1; v <= 5000; ++v)
        coarse.record(v * 100);
    coarse.record(2'000'000);   // overflow in coarse
    fine.merge(coarse);
    CHECK(fine.count() == 5000);
    CHECK(fine.overflow_count() == 1);
    CHECK(std::abs(static_cast<double>(fine.value_at_percentile(50)) - 250'000.0) <= 250'000.0 * 0.011);
}

TEST_CASE("histogram: edge values", "[bench][histogram]")
{
    histogram h({.significant_digits = 3, .highest_trackable = 3'600'000'000'000ULL});
    SECTION("empty")
    {
        CHECK(h.count() == 0);
        CHECK(h.min() == 0);
        CHECK(h.max() == 0);
        CHECK(h.mean() == 0);
        CHECK(h.stddev() == 0);
        CHECK(h.value_at_percentile(50) == 0);
        int buckets = 0;
        h.for_each_bucket([&](const histogram::bucket&) { ++buckets; });
        CHECK(buckets == 0);
    }
    SECTION("0 and 1 are exact")
    {
        h.record(0);
        h.record(1);
        CHECK(h.min() == 0);
        CHECK(h.value_at_percentile(0) == 0);
        CHECK(h.value_at_percentile(50) == 0);
        CHECK(h.value_at_percentile(100) == 1);
        CHECK(h.mean() == 0.5);
    }
    SECTION("the highest trackable value is in range; one above is overflow, not clamped")
    {
        const std::uint64_t top = h.options().highest_trackable;
        h.record(top);
        CHECK(h.count() == 1);
        CHECK(h.max() == top);
        CHECK(h.value_at_percentile(100) == h.highest_equivalent(top));
        CHECK(h.value_at_percentile(100) >= top);
        h.record(top + 1);
        h.record_n(std::numeric_limits<std::uint64_t>::max(), 5);
        CHECK(h.count() == 1);
        CHECK(h.overflow_count() == 6);
        CHECK(h.max() == top);
    }
    SECTION("p0 and p100 of one value: its bucket's ends; p50 of 10 ms within 0.1%")
    {
        h.record(10 * ms);
        CHECK(h.value_at_percentile(0) == h.lowest_equivalent(10 * ms));
        CHECK(h.value_at_percentile(0) <= 10 * ms);
        CHECK(h.value_at_percentile(100) == h.highest_equivalent(10 * ms));
        const auto p50 = h.value_at_percentile(50);
        CHECK(p50 >= 10 * ms);
        CHECK(static_cast<double>(p50 - 10 * ms) <= 1e-3 * 10.0 * ms);
        CHECK(h.value_at_percentile(-5) == h.value_at_percentile(0));   // clamped
        CHECK(h.value_at_percentile(150) == h.value_at_percentile(100));
        CHECK(h.value_at_percentile(std::nan("")) == h.value_at_percentile(0));
    }
    SECTION("record_n is n records; reset forgets everything")
    {
        histogram one;
        for (int i = 0; i < 1000; ++i)
            one.record(12345);
        h.record_n(12345, 1000);
        h.record_n(999, 0);
        CHECK(h.count() == one.count());
        CHECK(h.mean() == one.mean());
        CHECK(h.value_at_percentile(99) == one.value_at_percentile(99));
        h.reset();
        CHECK(h.count() == 0);
        CHECK(h.overflow_count() == 0);
        CHECK(h.max() == 0);
    }
}

TEST_CASE("histogram: relative error bound for 1 to 5 digits; fixed memory", "[bench][histogram]")
{
    std::mt19937_64 rng(9);
    for (int digits = 1; digits <= 5; ++digits) {
        const histogram h({.significant_digits = digits, .highest_trackable = 1ULL << 40});
        const double bound = std::pow(10.0, -digits);
        for (int i = 0; i < 20'000; ++i) {
            const auto v = static_cast<std::uint64_t>(
                std::exp(std::uniform_real_distribution<double>(0, std::log(static_cast<double>(1ULL << 40)))(rng)));
            const auto lo = h.lowest_equivalent(v), hi = h.highest_equivalent(v);
            CAPTURE(digits, v, lo, hi);
            REQUIRE(lo <= v);
            REQUIRE(v <= hi);
            REQUIRE(static_cast<double>(hi - lo) <= bound * static_cast<double>(std::max<std::uint64_t>(lo, 1)));
        }
    }
    CHECK(histogram().counter_count() == 33 * 1024);   // 3 digits, one hour: 264 KiB
    CHECK_THROWS_AS(histogram({.significant_digits = 0}), std::invalid_argument);
    CHECK_THROWS_AS(histogram({.significant_digits = 6}), std::invalid_argument);
    CHECK_THROWS_AS(histogram({.significant_digits = 3, .highest_trackable = 1}), std::invalid_argument);
}

TEST_CASE("histogram: buckets are ascending, disjoint and sum to the count", "[bench][histogram]")
{
    histogram h;
    const auto samples = draw(10'000, 10, [](auto& r) { return std::exponential_distribution<double>(1e-6)(r); });
    for (const auto v : samples)
        h.record(v);
    std::uint64_t total = 0, previous_high = 0;
    bool first = true;
    h.for_each_bucket([&](const histogram::bucket& b) {
        CHECK(b.lowest <= b.highest);
        if (!first)
            CHECK(b.lowest > previous_high);
        first = false;
        previous_high = b.highest;
        total += b.count;
    });
    CHECK(total == h.count());
}
