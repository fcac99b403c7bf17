#ifndef LLMIO_NET_IMPL_CONNECTION_POOL_HPP
#define LLMIO_NET_IMPL_CONNECTION_POOL_HPP

#include <asio/compose.hpp>
#include <asio/post.hpp>

#include <algorithm>
#include <system_error>

namespace llmio::net {
namespace detail {

struct pooled_connection {
    explicit pooled_connection(asio::any_io_executor ex) : conn(std::move(ex)) {}
    connection conn;
    origin_slot* slot = nullptr;
    bool in_use = false;
};

/// One acquisition waiting for a slot. Its timer is both the deadline and the wake-up: a
/// release grants the connection and cancels the wait.
struct waiter {
    explicit waiter(asio::any_io_executor ex) : timer(std::move(ex)) {}
    asio::steady_timer timer;
    pooled_connection* granted = nullptr;
    bool fresh = false;
    bool closed = false;
    waiter* prev = nullptr;
    waiter* next = nullptr;
};

struct origin_slot {
    net::origin at{};
    std::string key{};   // "https://host:port": the TLS session cache's key
    std::optional<proxy_config> proxy{};
    std::size_t open = 0;
    std::vector<pooled_connection*> idle{};   // oldest first; reuse takes the back
    waiter* head = nullptr;
    waiter* tail = nullptr;
    std::size_t waiting = 0;

    void push(waiter* w) noexcept
    {
        w->prev = tail;
        w->next = nullptr;
        (tail != nullptr ? tail->next : head) = w;
        tail = w;
        ++waiting;
    }
    void unlink(waiter* w) noexcept
    {
        (w->prev != nullptr ? w->prev->next : head) = w->next;
        (w->next != nullptr ? w->next->prev : tail) = w->prev;
        w->prev = w->next = nullptr;
        --waiting;
    }
};

struct pool_state : std::enable_shared_from_this<pool_state> {
    using clock = std::chrono::steady_clock;

    pool_state(asio::any_io_executor e, pool_options o, const tls_context* t)
        : ex(std::move(e)), options(std::move(o)), tls(t), resolver(options.resolver), sweeper(ex)
    {
        if (options.max_connections == 0) {
            options.max_connections = 1;
        }
        if (options.proxy) {
            proxies = *options.proxy;
        }
        else {
            std::error_code ec;
            proxies = from_environment(ec);
            if (ec) {
                throw std::system_error(ec, "llmio: proxy environment variable");
            }
        }
    }

    asio::any_io_executor ex;
    pool_options options;
    const tls_context* tls;
    std::unique_ptr<tls_context> own_tls{};
    proxy_settings proxies{};
    resolver_cache resolver;
    asio::steady_timer sweeper;
    bool sweeping = false;
    bool closed = false;
    std::vector<std::unique_ptr<origin_slot>> origins{};
    std::vector<std::unique_ptr<pooled_connection>> connections{};
    std::vector<pooled_connection*> spare_connections{};
    std::vector<std::unique_ptr<waiter>> waiters{};
    std::vector<waiter*> spare_waiters{};
    pool_stats counters{};

    [[nodiscard]] const tls_context& tls_for_use()
    {
        if (tls == nullptr) {
            own_tls = std::make_unique<tls_context>();
            tls = own_tls.get();
        }
        return *tls;
    }

    [[nodiscard]] origin_slot& slot_for(const origin& at)
    {
        for (const auto& s : origins) {
            if (s->at == at) {
                return *s;
            }
        }
        auto s = std::make_unique<origin_slot>();
        s->at = at;
        s->key = (at.tls ? "https://" : "http://") + at.host + ':' + std::to_string(at.port);
        const std::optional<proxy_config>& p = at.tls ? proxies.https : proxies.http;
        if (p && !bypass(proxies, at.host, at.port)) {
            s->proxy = p;
        }
        s->idle.reserve(options.max_connections);
        origins.push_back(std::move(s));
        return *origins.back();
    }

    [[nodiscard]] bool retired(const pooled_connection& c, clock::time_point now) const noexcept
    {
        return (options.max_lifetime.count() > 0 && now - c.conn.created >= options.max_lifetime) ||
               (options.max_requests > 0 && c.conn.requests >= options.max_requests);
    }

    void discard(pooled_connection* c, bool graceful) noexcept
    {
        c->conn.close(graceful);
        c->in_use = false;
        --c->slot->open;
        --counters.open;
        c->slot = nullptr;
        spare_connections.push_back(c);
    }

    [[nodiscard]] pooled_connection* take_idle(origin_slot& slot, clock::time_point now)
    {
        while (!slot.idle.empty()) {
            pooled_connection* c = slot.idle.back();
            slot.idle.pop_back();
            --counters.idle;
            if (now - c->conn.last_used >= options.idle_timeout || retired(*c, now)) {
                discard(c, true);
                continue;
            }
            if (!c->conn.usable_after_idle()) {
                ++counters.stale_discards;
                discard(c, false);
                continue;
            }
            c->in_use = true;
            ++counters.reuses;
            return c;
        }
        return nullptr;
    }

    /// A closed connection object for `slot`, counted as open: the exchange connects it.
    [[nodiscard]] pooled_connection* new_connection(origin_slot& slot)
    {
        pooled_connection* c = nullptr;
        if (!spare_connections.empty()) {
            c = spare_connections.back();
            spare_connections.pop_back();
        }
        else {
            connections.push_back(std::make_unique<pooled_connection>(ex));
            c = connections.back().get();
        }
        c->slot = &slot;
        c->in_use = true;
        c->conn.requests = 0;
        ++slot.open;
        ++counters.open;
        return c;
    }

    [[nodiscard]] waiter* new_waiter()
    {
        if (spare_waiters.empty()) {
            waiters.push_back(std::make_unique<waiter>(ex));
            return waiters.back().get();
        }
        waiter* w = spare_waiters.back();
        spare_waiters.pop_back();
        return w;
    }

    void recycle(waiter* w) noexcept
    {
        w->granted = nullptr;
        w->fresh = false;
        w->closed = false;
        spare_waiters.push_back(w);
    }

    /// Hands `c` (or, when null, a new slot) to the first waiter of `slot`. False: none waits.
    bool grant(origin_slot& slot, pooled_connection* c)
    {
        waiter* w = slot.head;
        if (w == nullptr) {
            return false;
        }
        slot.unlink(w);
        --counters.waiting;
        if (c != nullptr) {
            c->in_use = true;
            ++counters.reuses;
            w->granted = c;
            w->fresh = false;
        }
        else {
            w->granted = new_connection(slot);
            w->fresh = true;
        }
        w->timer.cancel();
        return true;
    }

    /// The exchange is done with `c`. `reusable`: the response was read completely and allows
    /// keep-alive, and nothing is left unread.
    void release(pooled_connection* c, bool reusable)
    {
        origin_slot& slot = *c->slot;
        const auto now = clock::now();
        if (reusable && !closed && c->conn.is_open() && !retired(*c, now)) {
            c->conn.last_used = now;
            if (grant(slot, c)) {
                return;
            }
            c->in_use = false;
            if (options.release_idle_tls_buffers) {
                c->conn.shrink_idle_buffers();
            }
            slot.idle.push_back(c);
            ++counters.idle;
            arm_sweeper(now);
            return;
        }
        discard(c, reusable);
        if (!closed) {
            (void)grant(slot, nullptr);
        }
    }

    void arm_sweeper(clock::time_point now)
    {
        if (sweeping || closed) {
            return;
        }
        sweep_at(now + options.idle_timeout);
    }

    void sweep_at(clock::time_point when)
    {
        sweeping = true;
        sweeper.expires_at(when);
        sweeper.async_wait([self = shared_from_this()](std::error_code ec) {
            self->sweeping = false;
            if (!ec) {
                self->sweep();
            }
        });
    }

    void sweep()
    {
        const auto now = clock::now();
        bool any = false;
        for (const auto& s : origins) {
            auto& idle = s->idle;
            std::size_t expired = 0;
            while (expired < idle.size() && now - idle[expired]->conn.last_used >= options.idle_timeout) {
                ++expired;
            }
            for (std::size_t i = 0; i < expired; ++i) {
                --counters.idle;
                discard(idle[i], true);
            }
            idle.erase(idle.begin(), idle.begin() + static_cast<std::ptrdiff_t>(expired));
            any = any || !idle.empty();
        }
        if (any) {
            // The next check when the oldest remaining one expires (at most idle_timeout away).
            clock::time_point oldest = clock::time_point::max();
            for (const auto& s : origins) {
                if (!s->idle.empty()) {
                    oldest = std::min(oldest, s->idle.front()->conn.last_used);
                }
            }
            sweep_at(oldest + options.idle_timeout);
        }
    }

    void close_idle() noexcept
    {
        for (const auto& s : origins) {
            for (pooled_connection* c : s->idle) {
                --counters.idle;
                discard(c, true);
            }
            s->idle.clear();
        }
    }

    void shutdown() noexcept
    {
        if (closed) {
            return;
        }
        closed = true;
        close_idle();
        sweeper.cancel();
        for (const auto& s : origins) {
            while (waiter* w = s->head) {
                s->unlink(w);
                --counters.waiting;
                w->closed = true;
                w->timer.cancel();
            }
        }
    }

    struct acquire_op;

    /// Completes with `void(std::error_code, pooled_connection*, bool fresh)`: an idle connection
    /// (fresh false), a new one to connect (fresh true), or error::pool_timeout at `deadline`,
    /// error::pool_closed, operation_aborted on cancellation (the waiter leaves the queue).
    template <class CompletionToken>
    auto async_acquire(origin_slot& slot, clock::time_point deadline, CompletionToken&& token);
};

struct pool_state::acquire_op {
    std::shared_ptr<pool_state> pool;
    origin_slot* slot;
    clock::time_point deadline;
    waiter* w = nullptr;
    bool deliver = false;
    std::error_code result{};
    pooled_connection* conn = nullptr;
    bool fresh = false;

    template <class Self>
    void operator()(Self& self, std::error_code ec = {})
    {
        if (deliver) {
            return self.complete(result, conn, fresh);
        }
        if (w == nullptr) {
            if (pool->closed) {
                return post_complete(self, error::pool_closed, nullptr, false);
            }
            if (slot->head == nullptr) {   // FIFO: nobody may overtake a waiter
                if (pooled_connection* c = pool->take_idle(*slot, clock::now())) {
                    return post_complete(self, {}, c, false);
                }
                if (slot->open < pool->options.max_connections) {
                    return post_complete(self, {}, pool->new_connection(*slot), true);
                }
            }
            w = pool->new_waiter();
            slot->push(w);
            ++pool->counters.waiting;
            w->timer.expires_at(deadline);
            return w->timer.async_wait(std::move(self));
        }
        waiter* const mine = w;
        if (mine->granted != nullptr) {
            pooled_connection* c = mine->granted;
            const bool f = mine->fresh;
            pool->recycle(mine);
            return self.complete({}, c, f);
        }
        if (!mine->closed) {
            slot->unlink(mine);
            --pool->counters.waiting;
        }
        const bool closed = mine->closed;
        pool->recycle(mine);
        if (closed) {
            return self.complete(error::pool_closed, nullptr, false);
        }
        self.complete(ec ? ec : std::error_code(error::pool_timeout), nullptr, false);
    }

    template <class Self>
    void post_complete(Self& self, std::error_code ec, pooled_connection* c, bool f)
    {
        deliver = true;
        result = ec;
        conn = c;
        fresh = f;
        post_to(pool->ex, std::move(self));
    }
};

template <class CompletionToken>
auto pool_state::async_acquire(origin_slot& slot, clock::time_point deadline, CompletionToken&& token)
{
    return asio::async_compose<CompletionToken, void(std::error_code, pooled_connection*, bool)>(
        acquire_op{shared_from_this(), &slot, deadline}, token, ex);
}

} // namespace detail

inline connection_pool::connection_pool(executor_type ex, pool_options options, const tls_context* tls)
    : state_(std::make_shared<detail::pool_state>(std::move(ex), std::move(options), tls))
{
}

inline connection_pool::~connection_pool()
{
    shutdown();
}

inline connection_pool::executor_type connection_pool::get_executor() const noexcept
{
    return state_->ex;
}

inline const pool_options& connection_pool::options() const noexcept
{
    return state_->options;
}

inline pool_stats connection_pool::stats() const noexcept
{
    return state_->counters;
}

inline void connection_pool::shutdown() noexcept
{
    state_->shutdown();
}

inline void connection_pool::close_idle() noexcept
{
    state_->close_idle();
}

} // namespace llmio::net

#endif // LLMIO_NET_IMPL_CONNECTION_POOL_HPP
