// stream::async_next as one async_compose state machine over call_core (impl/call_core.hpp),
// and `launch`, which binds every handler it starts to the stream's operation memory and the
// concrete io_context executor. Not API.
#ifndef LLMIO_GEMINI_IMPL_NEXT_OP_HPP
#define LLMIO_GEMINI_IMPL_NEXT_OP_HPP

#include <llmio/detail/io_executor.hpp>
#include <llmio/gemini/impl/call_core.hpp>

#include <asio/associated_executor.hpp>
#include <asio/async_result.hpp>
#include <asio/io_context.hpp>
#include <asio/post.hpp>

#include <memory>
#include <system_error>
#include <type_traits>
#include <utility>

namespace llmio::gemini::detail {

/// Binds a handler to the stream's operation memory, and to the concrete io_context executor
/// when the client's executor holds one and the handler runs there anyway (see HACKING.md,
/// "Hard rules": Asio 1.22's type-erased path allocates per completion). A handler on a strand
/// keeps its strand.
template <class Self, class Start>
void launch(call_core& c, Self&& self, Start&& start)
{
    auto bound = asio::bind_allocator(op_allocator<void>(&c.memory), std::forward<Self>(self));
    const auto* io = llmio::detail::io_executor_of(c.c.ex);
    if (io != nullptr && llmio::detail::runs_on(bound, *io)) {
        start(asio::bind_executor(*io, std::move(bound)));
    }
    else {
        start(std::move(bound));
    }
}

struct next_op {
    enum class st : std::uint8_t { begin, acquired, sent, body, more, backoff, posted };

    // Shared with the stream: an operation still pending when the stream is destroyed keeps
    // its state (and the memory its Asio operations live in) until it has completed.
    std::shared_ptr<call_core> x;
    st s = st::begin;
    bool initiating = true;   // nothing asynchronous has run yet: completing now would be inline
    bool owner = false;       // this operation set x->busy
    std::error_code out_ec{};
    const response* out_chunk = nullptr;

    template <class Self>
    void operator()(Self& self)
    {
        step(self, {}, {});
    }
    template <class Self>
    void operator()(Self& self, std::error_code ec)
    {
        step(self, ec, {});
    }
    template <class Self>
    void operator()(Self& self, std::error_code ec, std::string_view b)
    {
        step(self, ec, b);
    }
    template <class Self>
    void operator()(Self& self, std::error_code ec, std::size_t n)
    {
        on_more(self, ec, n);   // st::more: a read from the connection into the exchange
    }

private:
    template <class Self>
    void step(Self& self, std::error_code ec, std::string_view b)
    {
        call_core& c = *x;
        switch (s) {
        case st::begin:
            if (c.busy) {
                return complete(self, client_error::busy, nullptr);
            }
            if (c.phase == call_phase::idle) {
                return complete(self, client_error::not_started, nullptr);
            }
            c.busy = true;
            owner = true;
            if (c.phase == call_phase::done) {
                return complete(self, c.result, nullptr);
            }
            if (c.phase == call_phase::streaming) {
                if (c.prefetched) {
                    c.prefetched = false;
                    return resume(self, c.prefetch, c.prefetch_ec);
                }
                return decode(self);
            }
            c.started = c.c.clock->now();
            c.deadline = c.opts.deadline;
            {
                const auto t = c.opts.timeout.count() != 0 ? c.opts.timeout : c.c.options.timeout;
                if (t.count() != 0) {
                    c.deadline = std::min(c.deadline, c.started + t);
                }
            }
            return acquire(self);
        case st::acquired: return on_acquired(self, ec);
        case st::sent: return on_sent(self, ec);
        case st::body: return on_body(self, ec, b);
        case st::more: return on_more(self, ec, 0);
        case st::backoff: return on_backoff(self);
        case st::posted:
            if (owner) {
                c.busy = false;
            }
            return self.complete(out_ec, out_chunk);
        }
    }

    template <class Self>
    void complete(Self& self, std::error_code ec, const response* r)
    {
        if (initiating) {
            s = st::posted;
            out_ec = ec;
            out_chunk = r;
            launch(*x, std::move(self), [](auto&& h) { asio::post(std::move(h)); });
            return;
        }
        if (owner) {
            x->busy = false;
        }
        self.complete(ec, r);
    }

    // ---- One attempt ---------------------------------------------------------------------------

    template <class Self>
    void acquire(Self& self)
    {
        call_core& c = *x;
        if (self.get_cancellation_state().cancelled() != asio::cancellation_type::none) {
            return fail(self, asio::error::operation_aborted);
        }
        ++c.attempts;
        c.status = 0;
        c.current = nullptr;
        c.decoder.reset();
        c.phase = call_phase::ready;
        if (c.mode == call_mode::raw) {
            // The other endpoints have quotas of their own: no generate limiter, plain rotation.
            c.project = c.opts.project ? *c.opts.project : c.c.keys.projects() == 0 ? 0
                                                                                  : c.id % c.c.keys.projects();
            return on_acquired(self, {});
        }
        c.ticket.model.assign(c.model);
        c.ticket.input_tokens = c.token_estimate;
        c.ticket.priority = c.opts.priority;
        c.ticket.deadline = c.deadline;
        c.ticket.project = c.opts.project;
        // Admitted (or refused) at once in the common case: no operation, no trip through the
        // executor (a composed operation and a post per request).
        if (std::error_code aec; c.c.limiter->try_acquire(c.ticket, aec)) {
            return on_acquired(self, aec);
        }
        s = st::acquired;
        initiating = false;
        launch(c, std::move(self), [&c](auto&& h) { c.c.limiter->async_acquire(c.ticket, std::move(h)); });
    }

    template <class Self>
    void on_acquired(Self& self, std::error_code ec)
    {
        call_core& c = *x;
        if (!ec && c.abandoned) {
            ec = asio::error::operation_aborted;
        }
        if (ec) {
            return fail(self, ec);
        }
        if (c.mode != call_mode::raw) {
            c.admitted = true;
            c.project = c.ticket.admitted_project();
            c.limiter_waited += c.ticket.waited();
        }
        c.key = c.c.keys.next_key(c.project);
        if (c.key == nullptr) {
            return fail(self, client_error::no_usable_key);
        }
        if (const std::error_code wec = c.write_request()) {
            return fail(self, wec);
        }
        if (observer* o = c.c.options.observer) {
            const request_info i = c.info();
            if (c.mode != call_mode::raw && c.ticket.waited() > call_core::duration::zero()) {
                o->on_limiter_wait(i, c.ticket.waited());
            }
            o->on_request_start(i);
        }
        const client_options& co = c.c.options;
        c.xopts.connect_timeout = co.connect_timeout;
        c.xopts.handshake_timeout = co.handshake_timeout;
        c.xopts.head_timeout = co.head_timeout;
        c.xopts.idle_timeout = co.idle_timeout;
        c.xopts.deadline = c.real_deadline();
        c.xopts.replayable = true;   // Gemini's requests change no server state
        s = st::sent;
        initiating = false;
        launch(c, std::move(self),
               [&c](auto&& h) { c.ex.async_send(c.c.base.origin, c.http_request, c.xopts, std::move(h)); });
    }

    template <class Self>
    void on_sent(Self& self, std::error_code ec)
    {
        call_core& c = *x;
        if (ec) {
            return attempt_failed(self, ec, 0);
        }
        c.status = c.ex.response().status();
        if (observer* o = c.c.options.observer) {
            o->on_first_byte(c.info(), c.status, c.c.clock->now() - c.started);
        }
        if (c.status < 200 || c.status > 299) {
            c.reading_error_body = true;
            c.whole_body.clear();
            return read(self, st::body);
        }
        c.c.budget->on_success();
        c.reading_error_body = false;
        if (c.mode == call_mode::stream) {
            c.phase = call_phase::streaming;
            c.pending = {};
            c.body_complete = false;
            return decode(self);
        }
        c.whole_body.clear();
        return read(self, st::body);
    }

    template <class Self>
    void read(Self& self, st next)
    {
        call_core& c = *x;
        s = next;
        initiating = false;
        launch(c, std::move(self), [&c](auto&& h) { c.ex.async_read_body(std::move(h)); });
    }

    /// A whole body (unary, raw, or an error) is being gathered.
    template <class Self>
    void on_body(Self& self, std::error_code ec, std::string_view b)
    {
        call_core& c = *x;
        if (ec) {
            return attempt_failed(self, ec, c.reading_error_body ? c.status : 0);
        }
        if (!b.empty()) {
            if (!c.reading_error_body) {
                c.whole_body.append(b);
            }
            else if (c.whole_body.size() < max_error_body) {
                c.whole_body.append(b.substr(0, max_error_body - c.whole_body.size()));
            }
            return read(self, st::body);
        }
        if (c.reading_error_body) {
            const std::error_code e = c.body_decoder.decode_error_body(c.status, c.whole_body);
            c.capture(c.body_decoder.api());
            c.details.http_status = c.status;
            if (!c.details.retry_delay) {
                const std::string_view ra = c.ex.response().header("retry-after");
                if (!ra.empty()) {
                    c.details.retry_delay = parse_retry_after(ra, c.c.clock->system_now());
                }
            }
            return attempt_failed(self, e, c.status);
        }
        if (c.mode == call_mode::raw) {
            return succeed(self);
        }
        // Unary generateContent: one document, one chunk.
        if (const std::error_code e = c.body_decoder.decode(c.whole_body)) {
            if (c.body_decoder.has_api_error()) {
                c.capture(c.body_decoder.api());
            }
            return attempt_failed(self, e, c.status);
        }
        const response& r = c.body_decoder.get();
        c.take(r);
        if (observer* o = c.c.options.observer) {
            o->on_event(c.info(), r);
        }
        if (const std::error_code ce = content_error(r)) {
            return fail(self, ce);
        }
        if (r.candidates.empty() || r.candidates.front().finish == gemini::finish_reason::none) {
            // A unary answer always names its finish reason; without one it is incomplete.
            return fail(self, error::truncated_stream);
        }
        c.phase = call_phase::done;
        c.result.clear();
        c.settle();
        if (observer* o = c.c.options.observer) {
            o->on_end(c.info(), {}, c.usage);
        }
        return complete(self, {}, &r);
    }

    // ---- A stream ------------------------------------------------------------------------------

    template <class Self>
    void decode(Self& self)
    {
        std::error_code ec;
        return resume(self, x->decode_buffered(ec), ec);
    }

    template <class Self>
    void resume(Self& self, call_core::decoded d, std::error_code ec)
    {
        switch (d) {
        case call_core::decoded::chunk: return complete(self, {}, x->current);
        case call_core::decoded::need_read: return read_more(self);
        case call_core::decoded::finished: return succeed(self);
        case call_core::decoded::failed: return stream_failed(self, ec);
        }
    }

    /// The stream's next bytes: one read from the connection straight into the exchange
    /// (exchange::read_body_more), not an async_read_body operation around it, whose work guard
    /// and extra completion were a measurable part of the cost of a paced event.
    template <class Self>
    void read_more(Self& self)
    {
        call_core& c = *x;
        s = st::more;
        initiating = false;
        launch(c, std::move(self), [&c](auto&& h) { c.ex.read_body_more(std::move(h)); });
    }

    template <class Self>
    void on_more(Self& self, std::error_code ec, std::size_t n)
    {
        if (const std::error_code e = x->ex.read_body_commit(ec, n)) {
            return stream_failed(self, e);
        }
        return decode(self);   // read_body_buffered takes the bytes, or the end, from there
    }

    template <class Self>
    void stream_failed(Self& self, std::error_code ec)
    {
        call_core& c = *x;
        if (ec.category() == error_category() && c.decoder.api().code != 0) {
            c.capture(c.decoder.api());   // an error inside the stream
        }
        if (c.delivered == 0) {
            return attempt_failed(self, ec, 0);   // nothing handed out: may be retried
        }
        return fail(self, ec);
    }

    // ---- Endings -------------------------------------------------------------------------------

    template <class Self>
    void attempt_failed(Self& self, std::error_code ec, int http_status)
    {
        call_core& c = *x;
        client_state& cs = c.c;
        const auto now = cs.clock->now();
        if (self.get_cancellation_state().cancelled() != asio::cancellation_type::none || c.abandoned ||
            ec == asio::error::operation_aborted) {
            return fail(self, asio::error::operation_aborted);
        }
        // What the failure teaches the limiter and the key ring.
        if (c.admitted && (ec == error::quota_requests_per_minute || ec == error::quota_input_tokens_per_minute ||
                           ec == error::resource_exhausted)) {
            if (c.details.retry_delay && *c.details.retry_delay > std::chrono::nanoseconds::zero()) {
                cs.limiter->pause(c.project, c.model,
                                  std::chrono::duration_cast<call_core::duration>(*c.details.retry_delay));
            }
        }
        bool switch_now = false;   // another project or key can take the request at once
        if (ec == error::quota_requests_per_day) {
            if (c.admitted) {
                cs.limiter->exhaust_day(c.project, c.model);
            }
            if (!c.opts.project) {
                for (std::size_t p = 0; p < cs.keys.projects(); ++p) {
                    if (p != c.project && cs.keys.usable(p) && cs.limiter->has_daily_quota(p, c.model)) {
                        switch_now = true;
                    }
                }
            }
            if (!switch_now) {
                return fail(self, ec);   // not retried before the daily reset
            }
        }
        if (ec == error::api_key_invalid && c.key != nullptr) {
            cs.keys.disable(*c.key);   // the string stays: the message still names it, redacted
            if (cs.keys.usable_keys() == 0) {
                return fail(self, ec);
            }
            switch_now = true;
        }
        if (switch_now) {
            if (c.attempts > cs.options.retry.max_retries + static_cast<int>(cs.keys.projects())) {
                return fail(self, ec);
            }
            if (observer* o = cs.options.observer) {
                o->on_retry(c.info(), ec, call_core::duration::zero(), false);
            }
            return acquire(self);
        }
        // A stream cut short before its first chunk is as good as a dropped connection.
        std::error_code judged = ec;
        if (c.delivered == 0 && ec == condition::truncated) {
            judged = net::error::connection_closed;
        }
        const retry_decision d = c.retry.on_failure(judged, http_status, c.details.retry_delay, now, c.deadline,
                                                    cs.budget.get());
        if (d.verdict != retry_verdict::retry) {
            c.gave_up = d.verdict;
            return fail(self, ec);
        }
        if (c.deadline != call_core::time_point::max() &&
            now + std::chrono::duration_cast<call_core::duration>(d.delay) >= c.deadline) {
            // The wait was cut to what is left: the next attempt could only meet the deadline.
            // End now with the error that caused it rather than later with a timeout.
            c.gave_up = retry_verdict::deadline;
            return fail(self, ec);
        }
        if (observer* o = cs.options.observer) {
            o->on_retry(c.info(), ec, std::chrono::duration_cast<call_core::duration>(d.delay), d.server_delay);
        }
        c.ex.close();   // a stream abandoned mid-way must not linger on its connection
        c.wake_at = now + std::chrono::duration_cast<call_core::duration>(d.delay);
        return wait(self);
    }

    template <class Self>
    void wait(Self& self)
    {
        call_core& c = *x;
        c.c.clock->arm(c.timer, c.wake_at);
        s = st::backoff;
        initiating = false;
        launch(c, std::move(self), [&c](auto&& h) { c.timer.async_wait(std::move(h)); });
    }

    template <class Self>
    void on_backoff(Self& self)
    {
        call_core& c = *x;
        if (self.get_cancellation_state().cancelled() != asio::cancellation_type::none || c.abandoned) {
            c.c.clock->disarm(c.timer);
            return fail(self, asio::error::operation_aborted);
        }
        if (c.c.clock->now() < c.wake_at) {
            return wait(self);   // a manual clock's wake-up for another timer, or a spurious one
        }
        return acquire(self);
    }

    template <class Self>
    void succeed(Self& self)
    {
        call_core& c = *x;
        c.phase = call_phase::done;
        c.result.clear();
        c.settle();
        if (observer* o = c.c.options.observer) {
            o->on_end(c.info(), {}, c.usage);
        }
        return complete(self, {}, nullptr);
    }

    template <class Self>
    void fail(Self& self, std::error_code ec)
    {
        call_core& c = *x;
        c.phase = call_phase::done;
        c.result = ec;
        c.settle();
        if (observer* o = c.c.options.observer) {
            o->on_end(c.info(), ec, c.usage);
        }
        return complete(self, ec, nullptr);
    }
};

/// A chunk decoded without I/O, handed over from a post (never inline, as every Asio
/// operation), in the stream's operation memory.
template <class Handler>
struct deliver_chunk {
    std::shared_ptr<call_core> x;
    Handler handler;

    using allocator_type = op_allocator<void>;
    [[nodiscard]] allocator_type get_allocator() const noexcept { return allocator_type(&x->memory); }

    void operator()()
    {
        call_core& c = *x;
        c.busy = false;
        std::move(handler)(std::error_code{}, c.current);
    }
};

/// stream::async_next's initiation. When the next chunk can be decoded from bytes already read
/// (a burst: many events in one read) and the handler runs on the client's io_context, the
/// chunk is handed over by one post: no composed operation, no work guard, no read operation
/// per event. Otherwise next_op runs. (Invoking the handler from deliver_chunk, posted to the
/// io_context it runs on, is what dispatching it through its own executor would do there.)
/// Each handler type instantiates next_op once: a second async_compose on another executor
/// type would double every composed operation under it, and the test programs' compile time
/// and memory with them.
struct initiate_next {
    template <class Handler>
    void operator()(Handler&& handler, std::shared_ptr<call_core> x) const
    {
        using handler_type = std::decay_t<Handler>;
        call_core& c = *x;
        next_op op{std::move(x)};
        const auto* io = llmio::detail::io_executor_of(c.c.ex);
        if (io != nullptr && llmio::detail::runs_on(handler, *io) && c.decode_ahead()) {
            c.busy = true;   // until the handler runs
            asio::post(*io, deliver_chunk<handler_type>{std::move(op.x), std::forward<Handler>(handler)});
            return;
        }
        asio::async_compose<handler_type, void(std::error_code, const response*)>(std::move(op), handler, c.c.ex);
    }
};

} // namespace llmio::gemini::detail

#endif // LLMIO_GEMINI_IMPL_NEXT_OP_HPP
