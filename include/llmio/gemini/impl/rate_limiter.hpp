// Bodies of llmio/gemini/rate_limiter.hpp.
//
// How a wait works: each ticket owns a steady_timer (in its shared `ticket_core`, which the
// pending operation also holds, so the timer outlives a ticket destroyed mid-wait). A queued
// ticket's timer is armed through the clock for its deadline. The limiter never calls a handler:
// to admit or fail a ticket it sets the ticket's phase, then wakes the timer (disarm, expiry
// min); the operation looks at the phase on every completion of its timer (clock.hpp: a
// completion means "look again"). An answer known when the operation starts is posted to the
// executor instead (never inside async_acquire, and in the order of the calls: expired timers
// complete in no particular order). Waking a pending wait cancels it, which queues its
// completion at once, so tickets admitted by one pump complete in admission order.
//
// The limiter's own "pump" timer is armed for the earliest time at which the first waiter of
// some model could be admitted (a pause ending, a window slot freeing, token credit); the pump
// then walks the queues. Everything that frees or changes capacity (a waiter leaving, settle,
// set_limits, learn, pause, exhaust_day) pumps the model it concerns at once.
//
// Invariant: a ticket's timer is armed in the clock only while the ticket is queued.
#ifndef LLMIO_GEMINI_IMPL_RATE_LIMITER_HPP
#define LLMIO_GEMINI_IMPL_RATE_LIMITER_HPP

#include <llmio/gemini/impl/limiter_state.hpp>

#include <asio/cancellation_type.hpp>
#include <asio/compose.hpp>
#include <asio/error.hpp>

#include <algorithm>
#include <limits>
#include <type_traits>
#include <utility>

namespace llmio::gemini {
namespace detail {

/// async_acquire's operation. `state` and `ticket` are used only when it starts.
struct limiter_acquire_op {
    limiter_state* state;
    const limiter_ticket* ticket;
    std::shared_ptr<ticket_core> core;
    bool started = false;
    bool busy = false;

    template <class Self>
    void operator()(Self& self, std::error_code = {})
    {
        using phase = ticket_core::phase;
        ticket_core& c = *core;
        if (busy) {
            return self.complete(asio::error::in_progress);
        }
        if (!started) {
            started = true;
            if (c.at != phase::idle) {   // the ticket is in another operation
                busy = true;
                return limiter_post(c.timer.get_executor(), std::move(self));
            }
            self.reset_cancellation_state(asio::enable_total_cancellation());
            state->begin(*ticket, c);
            if (c.at == phase::queued) {
                return limiter_wait(c.timer, std::move(self));
            }
            // Answered at once: still through the executor, and in the order of the calls.
            return limiter_post(c.timer.get_executor(), std::move(self));
        }
        if (c.at == phase::queued) {
            limiter_state& s = *c.owner;
            if (self.get_cancellation_state().cancelled() != asio::cancellation_type::none) {
                s.leave(c, asio::error::operation_aborted);
            }
            else if (s.clock->now() >= c.deadline) {
                s.expire(c);
            }
            else {
                s.clock->arm(c.timer, c.deadline);   // woken early: wait on
                return limiter_wait(c.timer, std::move(self));
            }
        }
        const std::error_code ec = c.at == phase::admitted ? std::error_code() : c.result;
        c.at = phase::idle;
        self.complete(ec);
    }
};

} // namespace detail

// ---- limiter_ticket -------------------------------------------------------------------------

inline limiter_ticket::limiter_ticket(asio::any_io_executor ex)
    : core_(std::make_shared<detail::ticket_core>(std::move(ex)))
{
}

inline limiter_ticket::~limiter_ticket()
{
    if (core_->at == detail::ticket_core::phase::queued && core_->owner != nullptr) {
        core_->owner->leave(*core_, asio::error::operation_aborted);
    }
}

inline std::size_t limiter_ticket::admitted_project() const noexcept
{
    return core_->project;
}

inline clock_source::duration limiter_ticket::waited() const noexcept
{
    return core_->waited;
}

// ---- rate_limiter ---------------------------------------------------------------------------

inline rate_limiter::rate_limiter(executor_type ex, limiter_options options)
    : state_(std::make_shared<detail::limiter_state>(std::move(ex), std::move(options)))
{
}

inline rate_limiter::~rate_limiter()
{
    state_->close();
}

inline std::size_t rate_limiter::add_project(std::string name, rate_limits limits)
{
    return state_->add_project(std::move(name), limits);
}

inline void rate_limiter::set_limits(std::size_t project, std::string_view model, rate_limits limits)
{
    state_->change(project, model, [&](detail::limiter_bucket& b) { b.set_limits(limits); });
}

inline rate_limits rate_limiter::limits(std::size_t project, std::string_view model) const
{
    if (const detail::limiter_bucket* b = state_->find_bucket(project, model)) {
        return b->limits;
    }
    return project < state_->project_list.size() ? state_->project_list[project]->defaults : rate_limits{};
}

template <class CompletionToken>
auto rate_limiter::async_acquire(limiter_ticket& t, CompletionToken&& token)
{
    return asio::async_compose<CompletionToken, void(std::error_code)>(
        detail::limiter_acquire_op{state_.get(), &t, t.core_}, token, t.core_->timer);
}

inline bool rate_limiter::try_acquire(limiter_ticket& t, std::error_code& ec)
{
    using phase = detail::ticket_core::phase;
    detail::ticket_core& c = *t.core_;
    if (c.at != phase::idle || !state_->begin_now(t, c)) {
        return false;
    }
    ec = c.at == phase::admitted ? std::error_code() : c.result;
    c.at = phase::idle;
    return true;
}

inline void rate_limiter::settle(const limiter_ticket& t, std::uint64_t actual_input_tokens)
{
    detail::ticket_core& c = *t.core_;
    if (c.owner != state_.get() || c.bucket == nullptr) {
        return;
    }
    detail::limiter_state& s = *state_;
    const detail::limiter_ns now = s.now_ns();
    detail::limiter_bucket& b = *c.bucket;
    c.charged = b.settle(c.charged, actual_input_tokens, now, s.window);
    if (s.options.on_usage) {
        s.usage(*c.admitted_model, c.project, b, usage_event::dimension::input_tokens_per_minute,
                b.tokens_in_window(now, s.window), b.limits.input_tokens_per_minute);
    }
    s.refresh(*c.admitted_model);
}

inline void rate_limiter::pause(std::size_t project, std::string_view model, clock_source::duration d)
{
    const detail::limiter_ns until = detail::limiter_add(
        state_->now_ns(), std::chrono::duration_cast<std::chrono::nanoseconds>(d).count());
    state_->change(project, model, [&](detail::limiter_bucket& b) { b.paused_until = std::max(b.paused_until, until); });
}

inline void rate_limiter::learn(std::size_t project, std::string_view model, quota_kind kind, std::int64_t value)
{
    if (value <= 0 || kind == quota_kind::unknown) {
        return;
    }
    const auto v = static_cast<std::uint64_t>(value);
    state_->change(project, model, [&](detail::limiter_bucket& b) {
        rate_limits l = b.limits;
        const auto lower = [&](auto& field) {
            using field_t = std::remove_reference_t<decltype(field)>;
            const auto capped = static_cast<field_t>(std::min<std::uint64_t>(v, std::numeric_limits<field_t>::max()));
            if (field == 0 || capped < field) {
                field = capped;
            }
        };
        switch (kind) {
        case quota_kind::requests_per_minute: lower(l.requests_per_minute); break;
        case quota_kind::input_tokens_per_minute: lower(l.input_tokens_per_minute); break;
        case quota_kind::requests_per_day: lower(l.requests_per_day); break;
        case quota_kind::unknown: break;
        }
        b.set_limits(l);
    });
}

inline void rate_limiter::exhaust_day(std::size_t project, std::string_view model)
{
    const auto sys = state_->clock->system_now();
    state_->change(project, model, [&](detail::limiter_bucket& b) {
        b.roll_day(sys);
        b.day_exhausted = true;
    });
}

inline bool rate_limiter::has_daily_quota(std::size_t project, std::string_view model) const
{
    if (project >= state_->project_list.size()) {
        return false;
    }
    const detail::limiter_bucket* b = state_->find_bucket(project, model);
    return b == nullptr || b->has_day(state_->clock->system_now());
}

inline std::size_t rate_limiter::waiting() const noexcept
{
    return state_->waiting;
}

inline std::size_t rate_limiter::projects() const noexcept
{
    return state_->project_list.size();
}

inline rate_limiter::executor_type rate_limiter::get_executor() const noexcept
{
    return state_->ex;
}

} // namespace llmio::gemini

#endif // LLMIO_GEMINI_IMPL_RATE_LIMITER_HPP
