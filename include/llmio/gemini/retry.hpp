// llmio/gemini/retry.hpp: when to try a failed Gemini request again, and after how long.
//
// The official SDKs retry (when asked to) 5 attempts in all, 1 s initial delay doubling up to
// 60 s, on 408/429/500/502/503/504 and connection errors, but none of them honours the
// server's `RetryInfo.retryDelay` (python-genai issue #1875: all 5 attempts burnt in ~33 s
// while the server said to wait 53 s). Here the server's delay wins: a RetryInfo delay or a
// `Retry-After` field replaces the computed backoff, even above `max_delay`, and when it would
// pass the request's deadline the request fails now instead of retrying into a certain 429.
//
// Two pieces, both sans-I/O (no Asio, no clock of their own: the caller passes `now`):
//   - `retry_state`, one per request, decides after each failed attempt: retry after a delay,
//     or stop and say why (`retry_verdict`);
//   - `retry_budget`, one per client, shared by all its requests: gRPC's retry throttling
//     (proposal A6) that stops retries when most attempts fail, so a client does not multiply
//     the load on a service that is already down.
//
// Thread safety: a `retry_state` belongs to one request (not thread-safe). A `retry_budget` may
// be shared across threads (its counter is atomic).
#ifndef LLMIO_GEMINI_RETRY_HPP
#define LLMIO_GEMINI_RETRY_HPP

#include <llmio/error.hpp>
#include <llmio/gemini/error.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string_view>
#include <system_error>

namespace llmio::gemini {

/// How the computed backoff is randomised (AWS Architecture Blog, "Exponential Backoff And
/// Jitter", 2015). Random delays keep clients that failed together from retrying together.
enum class jitter_kind {
    /// random * min(max_delay, initial_delay * multiplier^n): the default, the widest spread.
    full,
    /// min(max_delay, random between initial_delay and 3 * the previous delay).
    decorrelated,
    /// min(max_delay, initial_delay * multiplier^n), no randomness (tests, single clients).
    none,
};

/// gRPC retry throttling (A6): `max_tokens` 10 and `token_ratio` 0.1 are gRPC's example values.
/// Retries stop while more than about token_ratio / (1 + token_ratio) of attempts fail (~9 %).
struct retry_budget_options {
    /// false: the budget never refuses a retry.
    bool enabled = true;
    /// Tokens at the start and at most. 0 or less: no retry is ever allowed while enabled.
    double max_tokens = 10;
    /// Tokens a success gives back (kept to 3 decimal places, as gRPC does).
    double token_ratio = 0.1;
};

struct retry_options {
    /// Retries after the first attempt (the SDKs' 5 attempts in all); 0 turns retries off.
    int max_retries = 4;
    /// The computed delay before the first retry (before jitter).
    std::chrono::nanoseconds initial_delay = std::chrono::seconds(1);
    /// The factor between one computed delay and the next.
    double multiplier = 2.0;
    /// The largest computed delay. A server's delay may be larger (see honor_server_delay).
    std::chrono::nanoseconds max_delay = std::chrono::seconds(60);
    jitter_kind jitter = jitter_kind::full;
    /// RetryInfo.retryDelay / Retry-After, when the response has one, replace the computed
    /// delay, even above max_delay. false: they are ignored.
    bool honor_server_delay = true;
    /// The client's shared budget (gRPC retry throttling).
    retry_budget_options budget{};
    /// Uniform in [0, 1) (values outside are clamped). Empty: a small generator of the state's
    /// own, seeded from std::random_device the first time a delay is randomised.
    std::function<double()> random{};
};

/// The budget shared by all requests of a client (gRPC retry throttling, A6): starts full at
/// max_tokens; each failed attempt takes 1 token (not below 0), each success adds token_ratio
/// (not above max); a retry is allowed only while tokens > max_tokens / 2.
///
/// As in A6, only failures that would be retried count (`retry_state::on_failure` calls
/// `on_failure()` for those alone): a 400 for a malformed request says nothing about the
/// service's health. Tokens are kept in thousandths in an integer (as gRPC does), so long runs
/// do not drift. Thread-safe; copying copies the current count.
class retry_budget {
public:
    explicit retry_budget(retry_budget_options o = {}) noexcept;
    retry_budget(const retry_budget& other) noexcept;
    retry_budget& operator=(const retry_budget& other) noexcept;

    /// A failed attempt: one token less (not below 0).
    void on_failure() noexcept;
    /// A successful request: token_ratio more (not above max_tokens).
    void on_success() noexcept;
    /// true while tokens > max_tokens / 2, or when the budget is disabled.
    [[nodiscard]] bool allows_retry() const noexcept;
    [[nodiscard]] double tokens() const noexcept;

private:
    bool enabled_ = true;
    std::int64_t max_milli_ = 0;
    std::int64_t ratio_milli_ = 0;
    std::atomic<std::int64_t> milli_{0};
};

/// Is this failure worth another attempt? `http_status` 0 when no response head arrived.
///
/// Yes: HTTP 408/429/500/502/503/504, gemini::error codes that are `condition::retryable`
/// (per-minute quotas, resource_exhausted, cancelled, internal, unavailable, deadline_exceeded),
/// net connect/handshake/head/idle timeouts, connection_closed, tls_truncated, and the system's
/// connection errors (`condition::network`: ECONNRESET, ECONNREFUSED, ETIMEDOUT, ...; Asio's
/// "asio.system" codes are read as the errno values they are).
/// No, whatever the status: cancellation (asio::error::operation_aborted, ECANCELED), a
/// per-day quota (gemini::error::quota_requests_per_day: it resets at midnight Pacific, fail
/// over instead), the request's total deadline (net::error::deadline_exceeded, pool_timeout),
/// auth, bad_request, blocked and truncated errors (a truncated stream is the caller's call:
/// it may have delivered output), invalid input, the other net errors (proxy configuration,
/// pool closed), and errors of other categories (the client-side limiter's) unless the status
/// is one of the above.
[[nodiscard]] bool is_retryable(std::error_code ec, int http_status) noexcept;

/// Retry-After (RFC 9110 §10.2.3): delay-seconds or an HTTP-date (IMF-fixdate, and the
/// obsolete RFC 850 and asctime forms, §5.6.7), relative to `now`; a date in the past gives 0;
/// nullopt for garbage. Surrounding spaces and tabs are ignored; day and month names are
/// matched without regard to case; the weekday is not checked against the date. Values are
/// capped at 2^31 seconds (RFC 9111 §1.2.2's rule for delta-seconds that overflow), so adding
/// the result to a steady-clock time cannot overflow. A two-digit RFC 850 year more than 50
/// years ahead of `now` is the most recent past year with those digits.
[[nodiscard]] std::optional<std::chrono::nanoseconds> parse_retry_after(
    std::string_view value, std::chrono::system_clock::time_point now) noexcept;

enum class retry_verdict {
    /// Wait `delay`, then try again.
    retry,
    /// The failure is not worth another attempt (is_retryable said no).
    not_retryable,
    /// max_retries retries were made already.
    attempts_exhausted,
    /// The client's retry budget refuses: most recent attempts failed.
    budget_exhausted,
    /// The wait would pass the request's deadline (a server delay, which is not cut), or the
    /// deadline has passed.
    deadline,
};

struct retry_decision {
    retry_verdict verdict = retry_verdict::not_retryable;
    /// The wait before the next attempt (for `deadline`: the server delay that did not fit).
    std::chrono::nanoseconds delay{};
    /// true when `delay` is the server's (RetryInfo / Retry-After), not the computed backoff.
    bool server_delay = false;
};

/// Per request: decides after each failed attempt. Times are steady-clock times
/// (`llmio::clock_source::time_point` is this type: read them from the client's clock).
class retry_state {
public:
    using time_point = std::chrono::steady_clock::time_point;

    /// `o` must outlive the state (the client owns both): it is read, not copied.
    explicit retry_state(const retry_options& o) noexcept;
    retry_state(retry_options&&) = delete;

    /// A new request: attempts and the decorrelated jitter's memory start again.
    void reset() noexcept;
    /// Attempts made so far (the failures reported through on_failure since reset).
    [[nodiscard]] int attempt() const noexcept;

    /// `server_delay`: RetryInfo.retryDelay or Retry-After, when the response had one.
    /// `now`/`deadline`: steady time and the request's total deadline (time_point::max(): none).
    /// Rules, in order: not retryable -> not_retryable; max_retries used -> attempts_exhausted;
    /// budget says no -> budget_exhausted (budget may be null); delay = the server delay when
    /// given and honoured (it wins over the computed one, even if larger than max_delay), else
    /// the backoff of `jitter`; if now + delay would pass the deadline: a computed delay is cut
    /// to what is left (the last wait), a server delay is not cut -> deadline (do not retry into
    /// a certain 429); a deadline already passed -> deadline. Calls budget->on_failure() for
    /// every retryable failed attempt, the last one included.
    /// Throws only what `retry_options::random` throws.
    [[nodiscard]] retry_decision on_failure(std::error_code ec, int http_status,
        std::optional<std::chrono::nanoseconds> server_delay, time_point now, time_point deadline,
        retry_budget* budget);

private:
    [[nodiscard]] double next_random();
    [[nodiscard]] std::chrono::nanoseconds computed_delay(int retry_index);

    const retry_options* options_;
    int attempts_ = 0;
    double previous_ns_ = 0;       ///< decorrelated jitter: the last computed delay
    std::uint64_t rng_ = 0;        ///< splitmix64 state when options_->random is empty
    bool seeded_ = false;
};

} // namespace llmio::gemini

#include <llmio/gemini/impl/retry.hpp>

#endif // LLMIO_GEMINI_RETRY_HPP
