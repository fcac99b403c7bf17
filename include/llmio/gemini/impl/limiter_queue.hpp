// The queue side of llmio/gemini/rate_limiter.hpp: a waiting ticket's shared state, the
// per-model queue (intrusive, priority then FIFO), and the executor helpers that keep
// completions off Asio's type-erased path. Not API.
#ifndef LLMIO_GEMINI_IMPL_LIMITER_QUEUE_HPP
#define LLMIO_GEMINI_IMPL_LIMITER_QUEUE_HPP

#include <llmio/clock.hpp>
#include <llmio/detail/io_executor.hpp>
#include <llmio/gemini/impl/limiter_bucket.hpp>

#include <asio/any_io_executor.hpp>
#include <asio/associated_executor.hpp>
#include <asio/bind_executor.hpp>
#include <asio/io_context.hpp>
#include <asio/post.hpp>
#include <asio/steady_timer.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

namespace llmio::gemini::detail {

struct limiter_state;
struct limiter_model;

inline constexpr std::size_t limiter_any_project = static_cast<std::size_t>(-1);

[[nodiscard]] inline limiter_ns limiter_to_ns(clock_source::time_point t) noexcept
{
    return std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
}

[[nodiscard]] inline clock_source::time_point limiter_from_ns(limiter_ns ns) noexcept
{
    return clock_source::time_point(std::chrono::duration_cast<clock_source::duration>(std::chrono::nanoseconds(ns)));
}

/// timer.async_wait(handler), with the handler bound to the concrete io_context executor when
/// the timer's any_io_executor holds one and the handler would run there anyway: the
/// completion is then invoked directly instead of through Asio's type-erased execute(), which
/// wraps it in a function object from a two-block per-thread cache that misses (HACKING.md,
/// "Hard rules"). Handlers with another executor (a strand, ...) keep the generic path.
template <class Handler>
void limiter_wait(asio::steady_timer& timer, Handler&& handler)
{
    const asio::any_io_executor ex = timer.get_executor();
    const auto* io = llmio::detail::io_executor_of(ex);
    if (io != nullptr && llmio::detail::runs_on(handler, *io)) {
        timer.async_wait(asio::bind_executor(*io, std::forward<Handler>(handler)));
    }
    else {
        timer.async_wait(std::forward<Handler>(handler));
    }
}

/// asio::post(ex, handler), likewise through the concrete io_context executor when possible.
template <class Handler>
void limiter_post(const asio::any_io_executor& ex, Handler&& handler)
{
    const auto* io = llmio::detail::io_executor_of(ex);
    if (io != nullptr && llmio::detail::runs_on(handler, *io)) {
        asio::post(*io, asio::bind_executor(*io, std::forward<Handler>(handler)));
    }
    else {
        asio::post(ex, std::forward<Handler>(handler));
    }
}

struct ticket_core {
    explicit ticket_core(asio::any_io_executor ex) : timer(std::move(ex)) {}

    enum class phase : unsigned char { idle, queued, admitted, failed };

    asio::steady_timer timer;
    phase at = phase::idle;
    std::error_code result{};
    /// The limiter of the current or last operation; cleared when it is destroyed while this
    /// ticket waits. Only dereferenced while queued.
    limiter_state* owner = nullptr;
    limiter_model* model = nullptr;   ///< while queued
    ticket_core* prev = nullptr;
    ticket_core* next = nullptr;

    // Copied from the ticket when the operation starts.
    std::uint64_t tokens = 0;
    int priority = 0;
    clock_source::time_point deadline{};
    std::size_t only = limiter_any_project;
    clock_source::time_point started{};

    // The last admission.
    std::size_t project = 0;
    clock_source::duration waited{};
    limiter_bucket* bucket = nullptr;      ///< for settle(); null unless the last operation was admitted
    limiter_model* admitted_model = nullptr;
    limiter_ns charged = 0;
};

struct limiter_project {
    std::string name;
    rate_limits defaults{};
};

/// One model: its buckets (one per project, made on first use) and its queue of waiters.
struct limiter_model {
    std::string name;
    std::vector<std::unique_ptr<limiter_bucket>> buckets{};
    ticket_core* head = nullptr;
    ticket_core* tail = nullptr;
    std::size_t next_project = 0;   ///< round robin
    limiter_ns wake_at = limiter_never;

    /// After the last waiter of at least its priority: priority order, FIFO within one.
    void insert(ticket_core* t) noexcept
    {
        ticket_core* after = tail;
        while (after != nullptr && after->priority < t->priority) {
            after = after->prev;
        }
        t->prev = after;
        t->next = after != nullptr ? after->next : head;
        (t->next != nullptr ? t->next->prev : tail) = t;
        (after != nullptr ? after->next : head) = t;
    }

    void unlink(ticket_core* t) noexcept
    {
        (t->prev != nullptr ? t->prev->next : head) = t->next;
        (t->next != nullptr ? t->next->prev : tail) = t->prev;
        t->prev = t->next = nullptr;
    }
};

} // namespace llmio::gemini::detail

#endif // LLMIO_GEMINI_IMPL_LIMITER_QUEUE_HPP
