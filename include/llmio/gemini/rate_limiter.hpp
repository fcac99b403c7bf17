// llmio/gemini/rate_limiter.hpp: the client-side rate limiter, per project and model.
//
// Gemini enforces its quotas per project and model, whichever key of the project a request
// carries (GEMINI_API.md, "Rate limits"). A client that only reacts to 429s wastes the round
// trip, and a 429 for the day arrives only after the day's last request. So the client asks this
// limiter before every content request, and it keeps, per (project, model):
//
// - requests per minute: an exact sliding window. The times of the last `rpm` admissions sit in
//   a ring (allocated when the limit is set); a request is admitted when fewer than `rpm` of them
//   lie within the last 60 s + `window_margin`. The margin (1 s by default) absorbs the time
//   between admission here and arrival at the server, so that a server counting a 60 s sliding
//   window never sees one request too many (whether the service's window slides or is fixed is
//   not documented; a sliding one is the stricter of the two).
// - input tokens per minute: GCRA (the generic cell rate algorithm) on tokens over the same
//   window: a burst of up to the whole limit, then `limit` tokens per window. The ticket's
//   estimate is charged at admission; settle() corrects it with the response's
//   usageMetadata.promptTokenCount, up or down. An estimate above the per-minute limit can never
//   pass and fails at once (limiter_error::request_too_large).
// - requests per day: a counter that resets at the next Pacific midnight (daily_reset.hpp).
//   Waiting hours is never what a caller wants: when the day is spent the request fails at once
//   with limiter_error::daily_quota_exhausted, unless another project can take it.
//
// Several projects (several keys from different projects) multiply the quota: an unrestricted
// request goes to the projects that can admit it now in round robin, and falls back to the
// others when one's day is spent. Waiting requests queue per model: higher priority first, FIFO
// within a priority, and no request overtakes an earlier one of at least its priority on a
// project that the earlier one waits for.
//
// The server has the last word: pause() after a 429 with a retry delay, learn() with the
// QuotaFailure's quotaValue (lowers a configured limit, never raises it), exhaust_day() after a
// per-day 429.
//
// Time comes from a clock_source (llmio/clock.hpp): steady time for the windows, pauses and
// deadlines, wall time for the day. With llmio::testing::manual_clock the limiter is tested
// without sleeping.
//
// Allocation: the per-(project, model) state is created on first use and the minute ring when a
// limit is set; after that, a request allocates nothing of its own (the queue is intrusive, each
// ticket keeps its timer), beyond what Asio's operation itself does.
//
// Thread safety: none. Use the limiter and its tickets from the executor's one thread.
#ifndef LLMIO_GEMINI_RATE_LIMITER_HPP
#define LLMIO_GEMINI_RATE_LIMITER_HPP

#include <llmio/clock.hpp>
#include <llmio/error.hpp>
#include <llmio/gemini/api_error.hpp>
#include <llmio/gemini/daily_reset.hpp>
#include <llmio/gemini/rate_limits.hpp>

#include <asio/any_io_executor.hpp>
#include <asio/async_result.hpp>
#include <asio/steady_timer.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

namespace llmio::gemini {

/// Why the limiter refused a request. Every code answers `condition::rate_limited`.
enum class limiter_error {
    /// The earliest admission the limits allow is after the ticket's deadline (checked at once,
    /// as if the ticket were first in line), or the deadline passed while it waited.
    would_exceed_deadline = 1,
    /// Every project the ticket may use has spent its requests-per-day quota for the model (or
    /// was told so by exhaust_day()). Nothing is admitted there before midnight Pacific time.
    daily_quota_exhausted,
    /// The ticket's input-token estimate is above the input-tokens-per-minute limit of every
    /// project it may use: it could never be admitted.
    request_too_large,
    /// No project is registered, or the ticket names a project index that does not exist.
    no_project,
};

namespace detail {

class limiter_error_category_impl final : public std::error_category {
public:
    [[nodiscard]] const char* name() const noexcept override { return "llmio.gemini.limiter"; }

    [[nodiscard]] std::string message(int ev) const override
    {
        switch (static_cast<limiter_error>(ev)) {
        case limiter_error::would_exceed_deadline:
            return "waiting for the client-side rate limit would pass the request's deadline";
        case limiter_error::daily_quota_exhausted:
            return "the requests-per-day quota of every usable project is spent for this model: it resets at "
                   "midnight Pacific time (add a key of another project, or wait)";
        case limiter_error::request_too_large:
            return "the request's input-token estimate is above the input-tokens-per-minute limit: it can never "
                   "be sent (shorten the prompt or raise the limit)";
        case limiter_error::no_project:
            return "no such project in the rate limiter (register one with add_project)";
        }
        return "unknown llmio.gemini.limiter error";
    }

    [[nodiscard]] bool equivalent(int, const std::error_condition& cond) const noexcept override
    {
        return cond == condition::rate_limited;
    }
};

struct limiter_state;
struct ticket_core;

} // namespace detail

/// The category of `limiter_error` ("llmio.gemini.limiter").
[[nodiscard]] inline const std::error_category& limiter_error_category() noexcept
{
    static const detail::limiter_error_category_impl category;
    return category;
}

[[nodiscard]] inline std::error_code make_error_code(limiter_error e) noexcept
{
    return {static_cast<int>(e), limiter_error_category()};
}

/// What on_usage reports: a dimension's use reached a threshold fraction of its limit.
struct usage_event {
    std::size_t project = 0;
    /// The project's and the model's names: valid during the callback only.
    std::string_view project_name{};
    std::string_view model{};
    enum class dimension { requests_per_minute, input_tokens_per_minute, requests_per_day } which{};
    /// Requests within the window (per minute), tokens charged within the window (GCRA's
    /// backlog in tokens), or requests admitted today; counted with the admission that crossed.
    std::uint64_t used = 0;
    std::uint64_t limit = 0;
    double threshold = 0;   ///< the fraction crossed, e.g. 0.8
};

struct limiter_options {
    /// Where time comes from; nullptr: clock_source::system(). Must outlive the limiter.
    clock_source* clock = nullptr;
    /// The length of the "minute" of both per-minute limits. Only tests and services with
    /// another window change it (the mock server's `quota_window` is the same knob).
    std::chrono::nanoseconds window = std::chrono::seconds(60);
    /// Added to the window of both per-minute limits: the slack for the time between
    /// admission here and the request's arrival at the server.
    std::chrono::nanoseconds window_margin = std::chrono::seconds(1);
    /// Fractions of a limit (in (0, 1]) at which on_usage fires; at most 64 are used.
    std::vector<double> usage_thresholds{0.8};
    /// Called when an admission (or a settle()) takes a dimension's use from below a threshold
    /// to at or above it: once per crossing, so once per window for the per-minute limits
    /// while use stays high, once per day for requests per day. Called synchronously from the
    /// limiter's member functions, after their work is done; it may call them in turn (but must
    /// not destroy the limiter).
    std::function<void(const usage_event&)> on_usage{};
};

class rate_limiter;

/// One request's place with the limiter: set the public members, then async_acquire(). Owned by
/// the caller and reused across requests (the model string keeps its capacity, the timer is
/// reused). Neither copyable nor movable: a waiting ticket is linked into the limiter's queue.
class limiter_ticket {
public:
    /// `ex`: the executor its waits complete on (the caller's).
    explicit limiter_ticket(asio::any_io_executor ex);
    /// Leaves the queue if it waits (the pending async_acquire completes with
    /// asio::error::operation_aborted, and its place goes to the next waiter).
    ~limiter_ticket();
    limiter_ticket(const limiter_ticket&) = delete;
    limiter_ticket& operator=(const limiter_ticket&) = delete;

    // -- set before async_acquire (read when the operation starts) -------------------------------
    /// The model name, as in the request path ("gemini-2.5-flash"): quotas are per model.
    std::string model{};
    /// The estimate of the request's input tokens, charged at admission (settle() corrects it).
    std::uint64_t input_tokens = 0;
    /// Higher first; FIFO among equal priorities.
    int priority = 0;
    /// Admission after this time is refused (limiter_error::would_exceed_deadline).
    clock_source::time_point deadline = clock_source::time_point::max();
    /// Only this project; nullopt: any project that can admit it.
    std::optional<std::size_t> project{};

    // -- read after a successful completion ---------------------------------------------------
    /// The project it was admitted on (its keys are the ones to use).
    [[nodiscard]] std::size_t admitted_project() const noexcept;
    /// How long the last async_acquire spent in the limiter (until admission or failure).
    [[nodiscard]] clock_source::duration waited() const noexcept;

private:
    friend class rate_limiter;
    std::shared_ptr<detail::ticket_core> core_;
};

class rate_limiter {
public:
    using executor_type = asio::any_io_executor;

    /// A limiter on `ex` (its internal timer runs there). No project yet: add_project().
    explicit rate_limiter(executor_type ex, limiter_options options = {});
    /// Pending async_acquire operations complete with asio::error::operation_aborted.
    ~rate_limiter();
    rate_limiter(const rate_limiter&) = delete;
    rate_limiter& operator=(const rate_limiter&) = delete;

    /// Registers a project; returns its index (0, 1, ...). `limits` apply to every model
    /// without limits of its own (set_limits); zero in a field means no client-side limit.
    /// Waiters that may use any project can be admitted there at once.
    std::size_t add_project(std::string name, rate_limits limits = {});
    /// The limits of one project and model, replacing the project's defaults for that model.
    /// The minute window's history is kept (when lowered, its newest entries). An unknown
    /// project index is ignored.
    void set_limits(std::size_t project, std::string_view model, rate_limits limits);
    /// The limits in force for a project and model ({} for an unknown project).
    [[nodiscard]] rate_limits limits(std::size_t project, std::string_view model) const;

    /// Waits for the limiter to admit `t`: on a project with quota (round robin over the
    /// projects that can admit it now, so two projects double the admitted rate), at once if it
    /// can, or after queueing (per model: priority, then FIFO) until the limits allow it.
    /// Admission charges one request to the minute window and the day, and `t.input_tokens` to
    /// the token bucket.
    ///
    /// Completes with:
    /// - success: admitted; `t.admitted_project()` says where;
    /// - limiter_error::would_exceed_deadline at once when the earliest admission the limits
    ///   allow (as if `t` were first in line) is after `t.deadline`, or when the deadline
    ///   passes while it waits;
    /// - limiter_error::daily_quota_exhausted at once (or as soon as it becomes true while
    ///   waiting) when no usable project has quota left today;
    /// - limiter_error::request_too_large when `t.input_tokens` is above every usable
    ///   project's input-tokens-per-minute limit; limiter_error::no_project;
    /// - asio::error::operation_aborted when cancelled, when `t` is destroyed, or when the
    ///   limiter is destroyed; asio::error::in_progress if `t` is already in an operation.
    ///
    /// Always through the ticket's executor, never inside this call, even when admitted at
    /// once. Signature: void(std::error_code). Lifetimes: `t` and the limiter must outlive the
    /// operation's start (for lazy tokens such as use_awaitable, until it is awaited); `t`'s
    /// members are read when it starts and may then change.
    ///
    /// Cancellation: terminal, partial and total (the handler's cancellation slot) all remove
    /// the ticket from the queue, nothing charged, and complete with operation_aborted; its
    /// place goes to the next waiter at once. A ticket already admitted completes successfully.
    ///
    /// Works with any completion token: use_awaitable, callbacks, use_future, ...
    template <class CompletionToken>
    auto async_acquire(limiter_ticket& t, CompletionToken&& token);

    /// async_acquire's answer when it is known now, without an operation: returns true with
    /// `ec` set as async_acquire would have completed (success: admitted; or one of the errors
    /// it gives at once) when `t` fails at once, or when nobody waits for its model and the
    /// limits admit it now. Returns false, having changed nothing, when `t` would have to wait
    /// (or is in an operation): async_acquire is then the way, and keeps its place in line.
    /// Calls no handler and posts nothing, so a caller that is already on its executor (a
    /// client starting a request) saves the round trip through the executor per request.
    [[nodiscard]] bool try_acquire(limiter_ticket& t, std::error_code& ec);

    /// Corrects the token charge of `t`'s last admission to `actual_input_tokens` (the
    /// response's promptTokenCount), up or down; calling it again replaces the correction. A
    /// ticket admitted by another limiter is ignored.
    void settle(const limiter_ticket& t, std::uint64_t actual_input_tokens);

    /// A 429 with a retry delay for this project and model: nothing is admitted there before
    /// now + d (waiters wait; an unrestricted waiter may go to another project meanwhile).
    void pause(std::size_t project, std::string_view model, clock_source::duration d);

    /// QuotaFailure.quotaValue of a 429: sets the dimension's limit to `value` when that is
    /// lower than the configured one or none is configured; never raises it. Values <= 0 and
    /// quota_kind::unknown are ignored.
    void learn(std::size_t project, std::string_view model, quota_kind kind, std::int64_t value);

    /// A per-day 429: that project and model admit nothing before the next Pacific midnight.
    void exhaust_day(std::size_t project, std::string_view model);

    /// True when the project could admit a request for `model` at some point today: its day is
    /// neither spent nor exhausted by exhaust_day(). False for an unknown project.
    [[nodiscard]] bool has_daily_quota(std::size_t project, std::string_view model) const;

    /// Tickets queued, all models.
    [[nodiscard]] std::size_t waiting() const noexcept;
    /// Projects registered.
    [[nodiscard]] std::size_t projects() const noexcept;

    [[nodiscard]] executor_type get_executor() const noexcept;

private:
    std::shared_ptr<detail::limiter_state> state_;
};

} // namespace llmio::gemini

template <>
struct std::is_error_code_enum<llmio::gemini::limiter_error> : std::true_type {};

#include <llmio/gemini/impl/rate_limiter.hpp>

#endif // LLMIO_GEMINI_RATE_LIMITER_HPP
