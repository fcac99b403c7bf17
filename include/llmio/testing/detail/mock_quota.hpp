// llmio/testing/detail/mock_quota.hpp: the mock server's quota windows. Not API.
//
// The service applies its limits per project and per model (GEMINI_API.md, "Rate limits"):
// every key of a project shares them, and each model counts on its own. The mock keeps one
// set of windows per (project, model) it has admitted a request for -- or a single set for
// everything when no projects are configured, as before projects existed -- and decides per
// content request, sans-I/O, from the time it is given. The minute windows roll (an admitted
// request leaves 60 s after it came): whether the service's do is not documented, and clients
// must rely on retryDelay either way, which is what the mock computes from them.
#ifndef LLMIO_TESTING_DETAIL_MOCK_QUOTA_HPP
#define LLMIO_TESTING_DETAIL_MOCK_QUOTA_HPP

#include <llmio/testing/detail/mock_json.hpp>

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace llmio::testing::detail {

struct quota_limits {
    std::uint32_t rpm = 0;   ///< requests per 60 s; 0: off
    std::uint32_t rpd = 0;   ///< requests in all; 0: off
    std::uint64_t tpm = 0;   ///< input tokens per 60 s; 0: off
    /// The length of the rpm and tpm windows: the service's minute, shorter in tests.
    std::chrono::steady_clock::duration window = std::chrono::minutes(1);
};

/// Which limit refused a request, for the 429.
struct quota_refusal {
    quota_kind kind = quota_kind::per_minute;
    std::int64_t limit = 0;   ///< quotaValue
    /// The per-minute kinds: the time until the request would fit, rounded up to whole seconds,
    /// at least 1 s. Not set for per_day (the caller's fault_retry_delay applies).
    std::chrono::seconds retry_delay{1};
};

class quota_windows {
public:
    using time_point = std::chrono::steady_clock::time_point;
    static constexpr std::size_t no_project = static_cast<std::size_t>(-1);

    /// Admits a content request of `tokens` input tokens for (`project`, `model`) at `now` and
    /// records it, or returns the limit that refuses it (then nothing is recorded). Checked in
    /// the order per day, requests per minute, tokens per minute.
    [[nodiscard]] std::optional<quota_refusal> admit(std::size_t project, std::string_view model, std::int64_t tokens,
                                                     time_point now, const quota_limits& limits)
    {
        window& w = find(project, model);
        while (!w.minute.empty() && now - w.minute.front().at >= limits.window) {
            w.minute_tokens -= w.minute.front().tokens;
            w.minute.pop_front();
        }
        if (limits.rpd != 0 && w.day >= limits.rpd) {
            return quota_refusal{quota_kind::per_day, limits.rpd, {}};
        }
        if (limits.rpm != 0 && w.minute.size() >= limits.rpm) {
            // A slot frees when the oldest admitted request leaves the window.
            return quota_refusal{quota_kind::per_minute, limits.rpm, delay(w.minute.front().at + limits.window, now)};
        }
        constexpr auto most = static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max());
        const auto tpm = static_cast<std::int64_t>(std::min(limits.tpm, most));
        if (tpm != 0 && w.minute_tokens + tokens > tpm) {
            quota_refusal r{quota_kind::input_tokens, tpm, delay(now + limits.window, now)};
            if (tokens <= tpm) {
                // The request fits once enough of the oldest ones have left.
                std::int64_t left = w.minute_tokens;
                for (const entry& e : w.minute) {
                    left -= e.tokens;
                    if (left + tokens <= tpm) {
                        r.retry_delay = delay(e.at + limits.window, now);
                        break;
                    }
                }
            }
            return r;
        }
        w.minute.push_back({now, tokens});
        w.minute_tokens += tokens;
        ++w.day;
        return std::nullopt;
    }

private:
    struct entry {
        time_point at{};
        std::int64_t tokens = 0;
    };
    struct window {
        std::size_t project = no_project;
        std::string model{};
        std::deque<entry> minute{};     ///< admitted in the last window, oldest first
        std::int64_t minute_tokens = 0;  ///< the sum of their tokens
        std::uint64_t day = 0;           ///< admitted since start()
    };

    // Until `free`: whole seconds rounded up, at least one.
    [[nodiscard]] static std::chrono::seconds delay(time_point free, time_point now) noexcept
    {
        return std::max(std::chrono::ceil<std::chrono::seconds>(free - now), std::chrono::seconds(1));
    }

    [[nodiscard]] window& find(std::size_t project, std::string_view model)
    {
        // Few windows (projects times the models they use): a linear search allocates nothing.
        for (window& w : windows_) {
            if (w.project == project && w.model == model) {
                return w;
            }
        }
        window& w = windows_.emplace_back();
        w.project = project;
        w.model.assign(model);
        return w;
    }

    std::vector<window> windows_;
};

} // namespace llmio::testing::detail

#endif // LLMIO_TESTING_DETAIL_MOCK_QUOTA_HPP
