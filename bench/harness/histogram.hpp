// bench/harness/histogram.hpp: a log-linear histogram of integer values (nanoseconds, tokens)
// in the manner of HdrHistogram (Gil Tene; the C and Java implementations), for llmio-bench.
//
// Why: a load run at 1,000 streams produces millions of inter-chunk gaps. Storing them to sort
// at the end costs memory proportional to the run and a pause at the end; averaging buckets
// of fixed width loses the tail. A log-linear histogram keeps every value within a fixed
// *relative* error (0.1% at the default 3 significant digits) in memory fixed at construction,
// records in O(1) without allocating, and two histograms of the same configuration merge
// exactly (one per thread or per target, summed at the end).
//
// Layout (as HdrHistogram with a lowest discernible value of 1): values below 2 * 10^d (d the
// significant digits, rounded up to a power of two, 2048 for d = 3) have a bucket each; above
// that, each power of two [2^k, 2^(k+1)) is cut into 1024 equal sub-buckets, so the width of a
// bucket is at most 1/1024 of its lowest value. For d = 3 and a highest value of one hour in
// nanoseconds that is 33 * 1024 counters (264 KiB).
//
// What each statistic is:
// - count(), min(), max(): exact, over the values recorded in range.
// - mean(): exact (the sum is kept in 128 bits).
// - stddev(): population standard deviation (numpy's np.std, as genai-perf reports "std"),
//   computed from the buckets (each counted at its middle) around the exact mean.
// - value_at_percentile(p): HdrHistogram's definition: the sample of rank ceil(p/100 * count)
//   (at least 1) in sorted order lies in some bucket; the answer is that bucket's highest
//   equivalent value (p = 0: its lowest). The answer is therefore never below the true ranked
//   sample and above it by less than the relative error, and may exceed max() by as much.
// - overflow_count(): values above `highest_trackable`. They are counted there and nowhere
//   else (not in count(), the percentiles or the mean): never clamped into the top bucket,
//   where they would pass for a measured latency. Reports print the count beside the metric.
//
// Thread safety: none; one histogram per thread, merged afterwards.
#ifndef LLMIO_BENCH_HARNESS_HISTOGRAM_HPP
#define LLMIO_BENCH_HARNESS_HISTOGRAM_HPP

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <stdexcept>
#include <vector>

namespace llmio::bench {

struct histogram_options {
    /// Decimal digits of precision, 1 to 5: values are kept within a relative error of
    /// 10^-digits (3: 0.1%). Memory grows tenfold per digit.
    int significant_digits = 3;
    /// Largest value recorded in range (default: one hour in nanoseconds). Larger values go
    /// to overflow_count(). At least 2.
    std::uint64_t highest_trackable = 3'600'000'000'000ULL;

    [[nodiscard]] friend bool operator==(const histogram_options&, const histogram_options&) = default;
};

class histogram {
public:
    /// One bucket: the values [lowest, highest] it stands for and how many fell in it.
    struct bucket {
        std::uint64_t lowest = 0;
        std::uint64_t highest = 0;
        std::uint64_t count = 0;
    };

    /// Allocates all counters. Throws std::invalid_argument for digits outside 1..5 or a
    /// highest_trackable below 2 (configuration, never the recording path).
    explicit histogram(histogram_options options = {});

    /// Counts `value` once / `n` times. O(1), no allocation, never fails: a value above
    /// highest_trackable is added to overflow_count().
    void record(std::uint64_t value) noexcept { record_n(value, 1); }
    void record_n(std::uint64_t value, std::uint64_t n) noexcept;

    /// Adds everything `other` recorded. Same options: exact (the result is what recording
    /// both sets of values into one histogram gives). Different options: each of other's
    /// buckets is recorded at its lowest value, so precision is the coarser of the two.
    void merge(const histogram& other) noexcept;

    /// Forgets every value; keeps the memory.
    void reset() noexcept;

    [[nodiscard]] std::uint64_t count() const noexcept { return count_; }
    [[nodiscard]] std::uint64_t overflow_count() const noexcept { return overflow_; }
    [[nodiscard]] bool empty() const noexcept { return count_ == 0; }
    /// Exact smallest / largest value recorded in range; 0 when empty.
    [[nodiscard]] std::uint64_t min() const noexcept { return count_ ? min_ : 0; }
    [[nodiscard]] std::uint64_t max() const noexcept { return count_ ? max_ : 0; }
    /// Exact arithmetic mean; 0 when empty.
    [[nodiscard]] double mean() const noexcept;
    /// Population standard deviation from the buckets; 0 when empty.
    [[nodiscard]] double stddev() const noexcept;
    /// `p` in [0, 100] (clamped). 0 when empty. See the header comment for the definition.
    [[nodiscard]] std::uint64_t value_at_percentile(double p) const noexcept;

    /// Calls f(bucket) for every non-empty bucket, lowest values first.
    template <class F>
    void for_each_bucket(F&& f) const;

    /// The range of values that share `value`'s bucket (value must be <= highest_trackable).
    [[nodiscard]] std::uint64_t lowest_equivalent(std::uint64_t value) const noexcept;
    [[nodiscard]] std::uint64_t highest_equivalent(std::uint64_t value) const noexcept;

    [[nodiscard]] const histogram_options& options() const noexcept { return options_; }
    /// Number of counters (memory is 8 bytes each).
    [[nodiscard]] std::size_t counter_count() const noexcept { return counts_.size(); }

private:
    [[nodiscard]] int bucket_index(std::uint64_t value) const noexcept;
    [[nodiscard]] std::size_t counts_index(std::uint64_t value) const noexcept;
    [[nodiscard]] int bucket_of_index(std::size_t index) const noexcept;
    [[nodiscard]] std::uint64_t value_from_index(std::size_t index) const noexcept;
    [[nodiscard]] std::uint64_t highest_from_index(std::size_t index) const noexcept;

    __extension__ using uint128 = unsigned __int128;

    histogram_options options_;
    int sub_bucket_half_count_magnitude_ = 0;
    std::uint64_t sub_bucket_half_count_ = 0;
    std::uint64_t sub_bucket_mask_ = 0;
    std::vector<std::uint64_t> counts_;
    std::uint64_t count_ = 0;
    std::uint64_t overflow_ = 0;
    std::uint64_t min_ = std::numeric_limits<std::uint64_t>::max();
    std::uint64_t max_ = 0;
    uint128 sum_ = 0;
};

// ---------------------------------------------------------------------------------------------

inline histogram::histogram(histogram_options options) : options_(options)
{
    if (options.significant_digits < 1 || options.significant_digits > 5)
        throw std::invalid_argument("histogram: significant_digits must be 1..5");
    if (options.highest_trackable < 2 || options.highest_trackable > (std::uint64_t{1} << 62))
        throw std::invalid_argument("histogram: highest_trackable must be 2..2^62");

    // Values below 2 * 10^d get a bucket of width 1: that is what makes the relative error
    // 10^-d at the top of the linear range, and everywhere above it.
    std::uint64_t single_unit = 2;
    for (int i = 0; i < options.significant_digits; ++i)
        single_unit *= 10;
    const int sub_bucket_count_magnitude = std::bit_width(single_unit - 1);   // ceil(log2)
    sub_bucket_half_count_magnitude_ = sub_bucket_count_magnitude - 1;
    const std::uint64_t sub_bucket_count = std::uint64_t{1} << sub_bucket_count_magnitude;
    sub_bucket_half_count_ = sub_bucket_count / 2;
    sub_bucket_mask_ = sub_bucket_count - 1;

    // Buckets until one cannot hold highest_trackable: each doubles the range covered.
    std::size_t buckets = 1;
    for (std::uint64_t smallest_untrackable = sub_bucket_count;
         smallest_untrackable <= options.highest_trackable; smallest_untrackable <<= 1)
        ++buckets;
    counts_.assign((buckets + 1) * sub_bucket_half_count_, 0);
}

inline int histogram::bucket_index(std::uint64_t value) const noexcept
{
    // The power of two at or above value, less the bits the linear range covers.
    const int pow2ceiling = 64 - std::countl_zero(value | sub_bucket_mask_);
    return pow2ceiling - (sub_bucket_half_count_magnitude_ + 1);
}

inline std::size_t histogram::counts_index(std::uint64_t value) const noexcept
{
    const int b = bucket_index(value);
    const std::uint64_t sub = value >> b;   // in [half_count, 2 * half_count) except bucket 0
    return (static_cast<std::size_t>(b + 1) << sub_bucket_half_count_magnitude_)
        + static_cast<std::size_t>(sub - sub_bucket_half_count_);
}

inline int histogram::bucket_of_index(std::size_t index) const noexcept
{
    const int b = static_cast<int>(index >> sub_bucket_half_count_magnitude_) - 1;
    return b < 0 ? 0 : b;
}

inline std::uint64_t histogram::value_from_index(std::size_t index) const noexcept
{
    const int b = static_cast<int>(index >> sub_bucket_half_count_magnitude_) - 1;
    std::uint64_t sub = (index & (sub_bucket_half_count_ - 1)) + sub_bucket_half_count_;
    if (b < 0)
        return sub - sub_bucket_half_count_;   // the first half of bucket 0: width 1
    return sub << b;
}

inline std::uint64_t histogram::highest_from_index(std::size_t index) const noexcept
{
    return value_from_index(index) + (std::uint64_t{1} << bucket_of_index(index)) - 1;
}

inline std::uint64_t histogram::lowest_equivalent(std::uint64_t value) const noexcept
{
    return value_from_index(counts_index(value));
}

inline std::uint64_t histogram::highest_equivalent(std::uint64_t value) const noexcept
{
    return highest_from_index(counts_index(value));
}

inline void histogram::record_n(std::uint64_t value, std::uint64_t n) noexcept
{
    if (n == 0)
        return;
    if (value > options_.highest_trackable) {
        overflow_ += n;
        return;
    }
    counts_[counts_index(value)] += n;
    count_ += n;
    sum_ += static_cast<uint128>(value) * n;
    min_ = std::min(min_, value);
    max_ = std::max(max_, value);
}

inline void histogram::merge(const histogram& other) noexcept
{
    overflow_ += other.overflow_;
    if (other.count_ == 0)
        return;
    if (options_ == other.options_) {
        for (std::size_t i = 0; i < counts_.size(); ++i)
            counts_[i] += other.counts_[i];
        count_ += other.count_;
        sum_ += other.sum_;
        min_ = std::min(min_, other.min_);
        max_ = std::max(max_, other.max_);
        return;
    }
    for (std::size_t i = 0; i < other.counts_.size(); ++i)
        if (other.counts_[i] != 0)
            record_n(other.value_from_index(i), other.counts_[i]);
}

inline void histogram::reset() noexcept
{
    std::fill(counts_.begin(), counts_.end(), 0);
    count_ = 0;
    overflow_ = 0;
    min_ = std::numeric_limits<std::uint64_t>::max();
    max_ = 0;
    sum_ = 0;
}

inline double histogram::mean() const noexcept
{
    if (count_ == 0)
        return 0;
    // Divide in integers first so that the double keeps the fraction's precision.
    const uint128 whole = sum_ / count_;
    const uint128 rest = sum_ % count_;
    return static_cast<double>(whole) + static_cast<double>(rest) / static_cast<double>(count_);
}

inline double histogram::stddev() const noexcept
{
    if (count_ == 0)
        return 0;
    const double m = mean();
    double squares = 0;
    for_each_bucket([&](const bucket& b) {
        const double middle = static_cast<double>(b.lowest) + static_cast<double>(b.highest - b.lowest) / 2;
        const double d = middle - m;
        squares += d * d * static_cast<double>(b.count);
    });
    return std::sqrt(squares / static_cast<double>(count_));
}

inline std::uint64_t histogram::value_at_percentile(double p) const noexcept
{
    if (count_ == 0)
        return 0;
    if (!(p >= 0))
        p = 0;   // NaN too
    // As HdrHistogram (Java): step p down by one ulp so that 99.9% of 1000 is rank 999 even
    // when 99.9 / 100 * 1000 comes out as 999.0000000000001.
    const double requested = std::clamp(std::nextafter(p, -1.0), 0.0, 100.0);
    const double rank_fp = std::ceil(requested / 100.0 * static_cast<double>(count_));
    const std::uint64_t rank = std::max<std::uint64_t>(1, static_cast<std::uint64_t>(rank_fp));
    std::uint64_t seen = 0;
    for (std::size_t i = 0; i < counts_.size(); ++i) {
        seen += counts_[i];
        if (seen >= rank)
            return p <= 0 ? value_from_index(i) : highest_from_index(i);
    }
    return max_;   // not reached: the counters sum to count_
}

template <class F>
void histogram::for_each_bucket(F&& f) const
{
    for (std::size_t i = 0; i < counts_.size(); ++i)
        if (counts_[i] != 0)
            f(bucket{value_from_index(i), highest_from_index(i), counts_[i]});
}

} // namespace llmio::bench

#endif
