// The quota state of one (project, model) of llmio/gemini/rate_limiter.hpp: the minute window's
// ring, the token bucket (GCRA), the day's counter and a pause. Pure arithmetic on integer
// nanoseconds of the steady clock; no I/O, no waiting. Not API.
#ifndef LLMIO_GEMINI_IMPL_LIMITER_BUCKET_HPP
#define LLMIO_GEMINI_IMPL_LIMITER_BUCKET_HPP

#include <llmio/gemini/daily_reset.hpp>
#include <llmio/gemini/rate_limits.hpp>

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <vector>

namespace llmio::gemini::detail {

/// Nanoseconds of the steady clock since its epoch.
using limiter_ns = std::int64_t;
inline constexpr limiter_ns limiter_never = std::numeric_limits<limiter_ns>::max();
inline constexpr limiter_ns limiter_past = std::numeric_limits<limiter_ns>::min();

__extension__ typedef unsigned __int128 limiter_u128;

[[nodiscard]] constexpr limiter_ns limiter_add(limiter_ns a, limiter_ns b) noexcept
{
    if (b > 0 && a > limiter_never - b) {
        return limiter_never;
    }
    if (b < 0 && a < limiter_past - b) {
        return limiter_past;
    }
    return a + b;
}

/// What a bucket says about admitting a request now.
struct limiter_verdict {
    enum kind_t : unsigned char {
        now,           ///< admissible now
        later,         ///< admissible at `at` if nothing else is admitted meanwhile
        never_today,   ///< the day's quota is spent (or exhausted by a 429)
        too_large,     ///< the token estimate is above the per-minute token limit
    };
    kind_t kind = now;
    limiter_ns at = 0;
};

struct limiter_bucket {
    rate_limits limits{};

    // Requests per minute: the admissions still inside the window, oldest at `head`. The ring
    // holds at most `requests_per_minute` of them, so it is full exactly when the limit binds.
    std::vector<limiter_ns> ring{};
    std::size_t head = 0;
    std::size_t count = 0;

    // Input tokens per minute, GCRA: each token costs window/limit of "time"; the theoretical
    // arrival time `tat` runs ahead of now by the tokens charged and not yet earned back, and a
    // request fits when the backlog after it is at most one window.
    limiter_ns tat = limiter_past;

    // Requests per day, until `day_ends` (a Pacific midnight).
    std::uint64_t today = 0;
    std::chrono::system_clock::time_point day_ends = std::chrono::system_clock::time_point::min();
    bool day_exhausted = false;

    /// A 429's retry delay: nothing before this.
    limiter_ns paused_until = limiter_past;

    /// Per dimension (usage_event::dimension), the usage thresholds currently at or above.
    std::uint64_t above[3] = {};

    /// Sets the limits; a changed minute limit keeps the newest admissions that fit.
    void set_limits(const rate_limits& l)
    {
        if (l.requests_per_minute != limits.requests_per_minute) {
            const std::size_t cap = l.requests_per_minute;
            if (cap == 0) {
                std::vector<limiter_ns>().swap(ring);
                head = count = 0;
            }
            else {
                std::vector<limiter_ns> next(cap);
                const std::size_t keep = std::min(count, cap);
                for (std::size_t i = 0; i < keep; ++i) {
                    next[i] = ring[(head + count - keep + i) % ring.size()];
                }
                ring.swap(next);
                head = 0;
                count = keep;
            }
        }
        limits = l;
    }

    /// Starts a new day when `sys` has reached the end of the current one.
    void roll_day(std::chrono::system_clock::time_point sys) noexcept
    {
        if (sys >= day_ends) {
            today = 0;
            day_exhausted = false;
            above[2] = 0;
            day_ends = next_pacific_midnight(sys);
        }
    }

    [[nodiscard]] bool has_day(std::chrono::system_clock::time_point sys) const noexcept
    {
        if (sys >= day_ends) {
            return true;
        }
        return !day_exhausted && (limits.requests_per_day == 0 || today < limits.requests_per_day);
    }

    /// Drops the admissions that have left the window.
    void prune(limiter_ns now, limiter_ns window) noexcept
    {
        while (count > 0 && ring[head] + window <= now) {
            head = head + 1 == ring.size() ? 0 : head + 1;
            --count;
        }
    }

    /// ceil(tokens * window / limit), saturated: the GCRA cost of `tokens`.
    [[nodiscard]] limiter_ns token_cost(std::uint64_t tokens, limiter_ns window) const noexcept
    {
        const std::uint64_t limit = limits.input_tokens_per_minute;
        if (limit == 0 || tokens == 0) {
            return 0;
        }
        const limiter_u128 product = limiter_u128(tokens) * limiter_u128(static_cast<std::uint64_t>(window));
        const limiter_u128 cost = (product + limit - 1) / limit;
        return cost > limiter_u128(limiter_never / 4) ? limiter_never / 4 : static_cast<limiter_ns>(cost);
    }

    /// Tokens charged within the window (the GCRA backlog, in tokens).
    [[nodiscard]] std::uint64_t tokens_in_window(limiter_ns now, limiter_ns window) const noexcept
    {
        if (tat <= now || limits.input_tokens_per_minute == 0) {
            return 0;
        }
        const limiter_u128 backlog = limiter_u128(static_cast<std::uint64_t>(tat - now));
        return static_cast<std::uint64_t>(
            (backlog * limits.input_tokens_per_minute + static_cast<std::uint64_t>(window) - 1) /
            static_cast<std::uint64_t>(window));
    }

    /// When a request of `tokens` could be admitted, if it were next. Each condition, once
    /// true, stays true as time passes (absent other admissions), so the earliest time is the
    /// latest of the dimensions' earliest times.
    [[nodiscard]] limiter_verdict evaluate(std::uint64_t tokens, limiter_ns now,
                                           std::chrono::system_clock::time_point sys, limiter_ns window)
    {
        roll_day(sys);
        if (limits.input_tokens_per_minute != 0 && tokens > limits.input_tokens_per_minute) {
            return {limiter_verdict::too_large, 0};
        }
        if (!has_day(sys)) {
            return {limiter_verdict::never_today, 0};
        }
        limiter_ns at = std::max(now, paused_until);
        if (limits.requests_per_minute != 0) {
            prune(now, window);
            if (count >= limits.requests_per_minute) {
                at = std::max(at, ring[head] + window);
            }
        }
        if (limits.input_tokens_per_minute != 0 && tat > now) {
            at = std::max(at, limiter_add(tat, token_cost(tokens, window) - window));
        }
        return at <= now ? limiter_verdict{limiter_verdict::now, now} : limiter_verdict{limiter_verdict::later, at};
    }

    /// Records an admission that evaluate() allowed at `now`; returns the token cost charged.
    limiter_ns admit(std::uint64_t tokens, limiter_ns now, limiter_ns window)
    {
        if (limits.requests_per_minute != 0) {
            ring[(head + count) % ring.size()] = now;
            ++count;
        }
        const limiter_ns cost = token_cost(tokens, window);
        if (limits.input_tokens_per_minute != 0) {
            tat = std::max(tat, now) + cost;
        }
        ++today;
        return cost;
    }

    /// Replaces a charge of `charged` by the cost of `tokens`; returns the new charge. A backlog
    /// that has aged out of the window counts as empty before the correction (it no longer
    /// constrains anything).
    limiter_ns settle(limiter_ns charged, std::uint64_t tokens, limiter_ns now, limiter_ns window)
    {
        const limiter_ns cost = token_cost(tokens, window);
        if (limits.input_tokens_per_minute != 0) {
            tat = limiter_add(std::max(tat, now - window), cost - charged);
        }
        return cost;
    }
};

} // namespace llmio::gemini::detail

#endif // LLMIO_GEMINI_IMPL_LIMITER_BUCKET_HPP
