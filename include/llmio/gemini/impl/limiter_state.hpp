// The state of a llmio/gemini/rate_limiter.hpp limiter: projects, models and their buckets,
// the pump that admits waiters, the usage events. See impl/rate_limiter.hpp for how a wait
// works. Not API.
#ifndef LLMIO_GEMINI_IMPL_LIMITER_STATE_HPP
#define LLMIO_GEMINI_IMPL_LIMITER_STATE_HPP

#include <llmio/gemini/impl/limiter_bucket.hpp>
#include <llmio/gemini/impl/limiter_queue.hpp>

#include <asio/error.hpp>

#include <algorithm>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace llmio::gemini::detail {

struct limiter_state : std::enable_shared_from_this<limiter_state> {
    using phase = ticket_core::phase;

    limiter_state(asio::any_io_executor e, limiter_options o)
        : ex(std::move(e)),
          options(std::move(o)),
          clock(options.clock != nullptr ? options.clock : &clock_source::system()),
          window(std::chrono::duration_cast<std::chrono::nanoseconds>(
                     std::max(options.window, std::chrono::nanoseconds(1)) + std::max(options.window_margin, std::chrono::nanoseconds(0)))
                     .count()),
          pump_timer(ex)
    {
        if (options.usage_thresholds.size() > 64) {
            options.usage_thresholds.resize(64);
        }
        events.reserve(8);
    }

    asio::any_io_executor ex;
    limiter_options options;
    clock_source* clock;
    limiter_ns window;   // 60 s + margin
    std::vector<std::unique_ptr<limiter_project>> project_list{};
    std::vector<std::unique_ptr<limiter_model>> models{};
    asio::steady_timer pump_timer;
    bool pump_waiting = false;   // a wait on pump_timer is outstanding
    limiter_ns pump_at = limiter_never;
    bool closed = false;
    std::size_t waiting = 0;
    // Per scan of a queue: the projects an earlier waiter waits for (== scan: closed to later
    // ones), and each candidate's verdict for the current waiter. Sized in add_project.
    std::vector<std::uint32_t> blocked{};
    std::vector<limiter_verdict::kind_t> kinds{};
    std::uint32_t scan = 0;
    std::vector<usage_event> events{};
    bool firing = false;

    [[nodiscard]] limiter_ns now_ns() const noexcept { return limiter_to_ns(clock->now()); }

    [[nodiscard]] limiter_model* find_model(std::string_view name) const noexcept
    {
        for (const auto& m : models) {
            if (m->name == name) {
                return m.get();
            }
        }
        return nullptr;
    }

    [[nodiscard]] limiter_model& model_for(std::string_view name)
    {
        if (limiter_model* m = find_model(name)) {
            return *m;
        }
        models.push_back(std::make_unique<limiter_model>());
        models.back()->name.assign(name);
        return *models.back();
    }

    [[nodiscard]] const limiter_bucket* find_bucket(std::size_t project, std::string_view name) const noexcept
    {
        const limiter_model* m = find_model(name);
        return m != nullptr && project < m->buckets.size() ? m->buckets[project].get() : nullptr;
    }

    [[nodiscard]] limiter_bucket& bucket_for(limiter_model& m, std::size_t project)
    {
        if (m.buckets.size() <= project) {
            m.buckets.resize(project_list.size());
        }
        auto& b = m.buckets[project];
        if (!b) {
            b = std::make_unique<limiter_bucket>();
            b->set_limits(project_list[project]->defaults);
        }
        return *b;
    }

    std::size_t add_project(std::string name, rate_limits limits)
    {
        project_list.push_back(std::make_unique<limiter_project>(limiter_project{std::move(name), limits}));
        blocked.resize(project_list.size(), 0);
        kinds.resize(project_list.size(), limiter_verdict::now);
        // New capacity: unrestricted waiters may go there at once.
        for (const auto& m : models) {
            pump(*m);
        }
        arm_pump();
        flush();
        return project_list.size() - 1;
    }

    /// Wakes `c`'s pending wait (or makes its next one complete at once).
    void wake(ticket_core& c) noexcept
    {
        clock->disarm(c.timer);
        c.timer.expires_at(clock_source::time_point::min());
    }

    /// `c` leaves the queue it is in (its phase is the caller's to set).
    void dequeue(ticket_core& c) noexcept
    {
        c.model->unlink(&c);
        c.model = nullptr;
        --waiting;
    }

    /// Ends `c`'s wait with `ec` (taking it out of its queue if it is in one).
    void finish(ticket_core& c, std::error_code ec) noexcept
    {
        if (c.at == phase::queued) {
            dequeue(c);
        }
        c.at = phase::failed;
        c.result = ec;
        c.waited = clock->now() - c.started;
        wake(c);
    }

    void admit(limiter_model& m, ticket_core& c, std::size_t p, limiter_ns now)
    {
        limiter_bucket& b = *m.buckets[p];
        c.charged = b.admit(c.tokens, now, window);
        c.bucket = &b;
        c.admitted_model = &m;
        c.project = p;
        dequeue(c);
        c.at = phase::admitted;
        c.waited = clock->now() - c.started;
        wake(c);
        if (options.on_usage) {
            using dim = usage_event::dimension;
            usage(m, p, b, dim::requests_per_minute, b.count, b.limits.requests_per_minute);
            usage(m, p, b, dim::input_tokens_per_minute, b.tokens_in_window(now, window),
                  b.limits.input_tokens_per_minute);
            usage(m, p, b, dim::requests_per_day, b.today, b.limits.requests_per_day);
        }
    }

    /// Notes threshold crossings of one dimension; the events go out in flush().
    void usage(const limiter_model& m, std::size_t p, limiter_bucket& b, usage_event::dimension d,
               std::uint64_t used, std::uint64_t limit)
    {
        if (limit == 0) {
            return;
        }
        std::uint64_t& above = b.above[static_cast<int>(d)];
        for (std::size_t i = 0; i < options.usage_thresholds.size(); ++i) {
            const double th = options.usage_thresholds[i];
            const std::uint64_t bit = std::uint64_t(1) << i;
            // A hair of tolerance: 0.8 * 10 must be reached by 8.
            const bool reached = static_cast<double>(used) >= th * static_cast<double>(limit) * (1 - 1e-12);
            if (reached && (above & bit) == 0) {
                above |= bit;
                events.push_back(usage_event{.project = p,
                                             .project_name = project_list[p]->name,
                                             .model = m.name,
                                             .which = d,
                                             .used = used,
                                             .limit = limit,
                                             .threshold = th});
            }
            else if (!reached) {
                above &= ~bit;
            }
        }
    }

    /// Calls on_usage for the events gathered; re-entrant calls add to the same batch.
    void flush()
    {
        if (firing || events.empty()) {
            return;
        }
        firing = true;
        struct reset {
            limiter_state* s;
            ~reset()
            {
                s->events.clear();
                s->firing = false;
            }
        } guard{this};
        for (std::size_t i = 0; i < events.size(); ++i) {
            const usage_event e = events[i];   // a copy: the callback may add events
            options.on_usage(e);
        }
    }

    /// Admits what can be admitted from `m`'s queue, in order, and computes when to look again.
    /// A waiter that cannot be admitted closes the projects it waits for to those behind it (no
    /// overtaking); the walk stops once every project is closed.
    void pump(limiter_model& m)
    {
        m.wake_at = limiter_never;
        if (m.head == nullptr) {
            return;
        }
        const limiter_ns now = now_ns();
        const auto sys = clock->system_now();
        const std::size_t np = project_list.size();
        if (++scan == 0) {
            std::fill(blocked.begin(), blocked.end(), 0);
            scan = 1;
        }
        std::size_t closed_projects = 0;
        for (ticket_core* c = m.head; c != nullptr && closed_projects < np;) {
            ticket_core* const next = c->next;
            if (limiter_to_ns(c->deadline) < now) {
                finish(*c, limiter_error::would_exceed_deadline);
                c = next;
                continue;
            }
            const bool any = c->only == limiter_any_project;
            const std::size_t first = any ? m.next_project % np : c->only;
            const std::size_t n = any ? np : 1;
            std::size_t chosen = limiter_any_project;
            bool waitable = false;
            bool never = false;
            limiter_ns earliest = limiter_never;
            for (std::size_t i = 0; i < n && chosen == limiter_any_project; ++i) {
                const std::size_t p = (first + i) % np;
                const limiter_verdict v = bucket_for(m, p).evaluate(c->tokens, now, sys, window);
                kinds[p] = v.kind;
                const bool open = blocked[p] != scan;
                switch (v.kind) {
                case limiter_verdict::now:
                    waitable = true;
                    if (open) {
                        chosen = p;
                    }
                    break;
                case limiter_verdict::later:
                    waitable = true;
                    if (open) {
                        earliest = std::min(earliest, v.at);
                    }
                    break;
                case limiter_verdict::never_today: never = true; break;
                case limiter_verdict::too_large: break;
                }
            }
            if (chosen != limiter_any_project) {
                admit(m, *c, chosen, now);
                if (any) {
                    m.next_project = chosen + 1;
                }
            }
            else if (!waitable) {
                finish(*c, never ? limiter_error::daily_quota_exhausted : limiter_error::request_too_large);
            }
            else {
                for (std::size_t i = 0; i < n; ++i) {
                    const std::size_t p = (first + i) % np;
                    const bool waits_for = kinds[p] == limiter_verdict::now || kinds[p] == limiter_verdict::later;
                    if (waits_for && blocked[p] != scan) {
                        blocked[p] = scan;
                        ++closed_projects;
                    }
                }
                m.wake_at = std::min(m.wake_at, earliest);
            }
            c = next;
        }
    }

    /// Arms the pump timer for the earliest wake-up any queue needs; leaves nothing pending when
    /// none does (io_context::run() may then return).
    void arm_pump()
    {
        if (closed) {
            return;
        }
        limiter_ns t = limiter_never;
        for (const auto& m : models) {
            if (m->head != nullptr) {
                t = std::min(t, m->wake_at);
            }
        }
        if (t == limiter_never) {
            pump_at = limiter_never;
            if (pump_waiting) {
                clock->disarm(pump_timer);
                pump_timer.cancel();
            }
            return;
        }
        if (t == pump_at && pump_waiting) {
            return;
        }
        pump_at = t;
        clock->arm(pump_timer, limiter_from_ns(t));   // an outstanding wait completes, then re-arms
        if (!pump_waiting) {
            pump_waiting = true;
            limiter_wait(pump_timer, [self = shared_from_this()](std::error_code) { self->on_pump(); });
        }
    }

    void on_pump()
    {
        pump_waiting = false;
        if (closed) {
            return;
        }
        const limiter_ns now = now_ns();
        if (now >= pump_at) {
            pump_at = limiter_never;
            for (const auto& m : models) {
                if (m->head != nullptr && m->wake_at <= now) {   // the others' plans still hold
                    pump(*m);
                }
            }
        }
        arm_pump();
        flush();
    }

    /// After capacity of `m` changed: admit what fits now and re-plan.
    void refresh(limiter_model& m)
    {
        pump(m);
        arm_pump();
        flush();
    }

    /// Starts `t`'s operation: fails it at once, or queues it and lets the pump decide.
    void begin(const limiter_ticket& t, ticket_core& c)
    {
        if (limiter_model* m = prepare(t, c, nullptr)) {
            c.at = phase::queued;
            clock->arm(c.timer, c.deadline);
            enqueue(*m, c);
            return;
        }
        flush();
    }

    /// begin() when its answer is known now: `c` is failed, or admitted because nobody waits
    /// for its model and a project can take it now (the pump then admits it at once, as it
    /// would after begin(); no timer is armed, none is needed). Returns false when it would have
    /// to wait; `c` is then still idle, nothing is queued or charged, and begin() is the way.
    bool begin_now(const limiter_ticket& t, ticket_core& c)
    {
        bool ready = false;
        limiter_model* m = prepare(t, c, &ready);
        if (m == nullptr) {
            flush();
            return true;
        }
        if (!ready || m->head != nullptr) {
            return false;
        }
        c.at = phase::queued;
        enqueue(*m, c);
        if (c.at == phase::queued) {
            // First in line with a project open a moment ago, yet not admitted: only a wall
            // clock stepped back over a day's end could do that. Out again, as if never in.
            dequeue(c);
            c.at = phase::idle;
            arm_pump();
            return false;
        }
        return true;
    }

    /// `c` joins `m`'s queue and the pump runs.
    void enqueue(limiter_model& m, ticket_core& c)
    {
        c.model = &m;
        m.insert(&c);
        ++waiting;
        refresh(m);
    }

    /// The common start of begin() and begin_now(): copies `t` into `c`, then fails `c` at once
    /// (returning null) when no project could ever admit it in time, or returns its model.
    /// `ready`, when given: some project can admit it now, if nobody is ahead of it.
    limiter_model* prepare(const limiter_ticket& t, ticket_core& c, bool* ready)
    {
        c.owner = this;
        c.started = clock->now();
        c.result = {};
        c.bucket = nullptr;
        c.admitted_model = nullptr;
        const std::size_t np = project_list.size();
        if (np == 0 || (t.project && *t.project >= np)) {
            finish(c, limiter_error::no_project);
            return nullptr;
        }
        c.tokens = t.input_tokens;
        c.priority = t.priority;
        c.deadline = t.deadline;
        c.only = t.project ? *t.project : limiter_any_project;
        limiter_model& m = model_for(t.model);

        // The earliest admission as if it were first in line.
        const limiter_ns now = now_ns();
        const auto sys = clock->system_now();
        const std::size_t first = t.project ? *t.project : 0;
        const std::size_t n = t.project ? 1 : np;
        limiter_ns earliest = limiter_never;
        bool waitable = false;
        bool never = false;
        bool at_once = false;
        for (std::size_t p = first; p < first + n; ++p) {
            const limiter_verdict v = bucket_for(m, p).evaluate(c.tokens, now, sys, window);
            if (v.kind == limiter_verdict::now || v.kind == limiter_verdict::later) {
                waitable = true;
                earliest = std::min(earliest, v.at);
            }
            at_once = at_once || v.kind == limiter_verdict::now;
            never = never || v.kind == limiter_verdict::never_today;
        }
        if (!waitable) {
            finish(c, never ? limiter_error::daily_quota_exhausted : limiter_error::request_too_large);
            return nullptr;
        }
        if (earliest > limiter_to_ns(c.deadline)) {
            finish(c, limiter_error::would_exceed_deadline);
            return nullptr;
        }
        if (ready != nullptr) {
            *ready = at_once;
        }
        return &m;
    }

    /// `c` leaves its queue (cancelled, or its ticket destroyed): its place goes to the next.
    void leave(ticket_core& c, std::error_code ec)
    {
        limiter_model& m = *c.model;
        finish(c, ec);
        refresh(m);
    }

    /// `c`'s deadline has come: admitted if the limits allow it now, else it fails.
    void expire(ticket_core& c)
    {
        limiter_model& m = *c.model;
        pump(m);
        if (c.at == phase::queued) {
            finish(c, limiter_error::would_exceed_deadline);
        }
        refresh(m);
    }

    /// The limiter goes away: every waiter fails with operation_aborted.
    void close() noexcept
    {
        closed = true;
        for (const auto& m : models) {
            while (ticket_core* c = m->head) {
                finish(*c, asio::error::operation_aborted);
                c->owner = nullptr;
            }
        }
        clock->disarm(pump_timer);
        pump_timer.cancel();
    }

    template <class Fn>
    void change(std::size_t project, std::string_view model, Fn&& fn)
    {
        if (project >= project_list.size()) {
            return;
        }
        limiter_model& m = model_for(model);
        limiter_bucket& b = bucket_for(m, project);
        fn(b);
        refresh(m);
    }
};

} // namespace llmio::gemini::detail

#endif // LLMIO_GEMINI_IMPL_LIMITER_STATE_HPP
