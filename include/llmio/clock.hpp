// llmio/clock.hpp: where llmio's policies read the time and wait for it.
//
// Retries, backoff, the rate limiter and the daily quota reset all need "now" and "wake me at
// T". They read both through a `clock_source`, so that tests can run them on a manual clock
// (llmio/testing/manual_clock.hpp) where a 60 s backoff takes no time at all, and so that the
// daily reset can be tested across both daylight-saving transitions without waiting for them.
//
// Waiting stays Asio's: the waiter owns an `asio::steady_timer` on its executor and asks the
// clock to arm it. The real clock sets the expiry; a manual clock leaves the timer pending and
// cancels it when advanced past the time. So a waiter must treat every completion of such a
// timer as "look at now() again": the time has come when `now() >= t`, whatever the error
// code says. Cancellation by the user is tracked by the waiter itself (a flag set from its
// cancellation slot), never inferred from operation_aborted.
#ifndef LLMIO_CLOCK_HPP
#define LLMIO_CLOCK_HPP

#include <asio/steady_timer.hpp>

#include <chrono>

namespace llmio {

class clock_source {
public:
    using time_point = std::chrono::steady_clock::time_point;
    using duration = std::chrono::steady_clock::duration;

    virtual ~clock_source() = default;

    /// Monotonic time, for every interval and deadline.
    [[nodiscard]] virtual time_point now() const noexcept = 0;
    /// Wall-clock time, only where the calendar matters (the daily quota reset at midnight
    /// America/Los_Angeles, `Retry-After` given as an HTTP date).
    [[nodiscard]] virtual std::chrono::system_clock::time_point system_now() const noexcept = 0;
    /// Makes `timer` complete (successfully or with operation_aborted) once `now() >= t`; call
    /// before `timer.async_wait`. Re-arming replaces the earlier time.
    virtual void arm(asio::steady_timer& timer, time_point t) = 0;
    /// Forgets `timer`: call before it is destroyed (a manual clock keeps a pointer to it).
    virtual void disarm(asio::steady_timer& timer) noexcept = 0;

    /// The process's real clocks (steady_clock, system_clock): a process-wide object.
    [[nodiscard]] static clock_source& system() noexcept;
};

namespace detail {

class system_clock_source final : public clock_source {
public:
    [[nodiscard]] time_point now() const noexcept override { return std::chrono::steady_clock::now(); }
    [[nodiscard]] std::chrono::system_clock::time_point system_now() const noexcept override
    {
        return std::chrono::system_clock::now();
    }
    void arm(asio::steady_timer& timer, time_point t) override { timer.expires_at(t); }
    void disarm(asio::steady_timer&) noexcept override {}
};

} // namespace detail

inline clock_source& clock_source::system() noexcept
{
    static detail::system_clock_source clock;
    return clock;
}

} // namespace llmio

#endif // LLMIO_CLOCK_HPP
