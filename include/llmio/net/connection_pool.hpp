// llmio/net/connection_pool.hpp: keep-alive connections per origin, shared by the exchanges of
// one client.
//
// Per origin (scheme, host, port): at most `max_connections` open or opening; a request that
// finds them all busy waits in FIFO order until one is released or its deadline passes. Idle
// connections are reused newest first (the warmest), checked before reuse (the peer may have
// closed meanwhile), closed after `idle_timeout`, and retired after `max_lifetime` or
// `max_requests`. A connection comes back only after its response was read completely and the
// response allowed keep-alive; everything else closes it and frees its slot (exchange.hpp).
//
// Steady state allocates nothing: connection objects, waiter records and their timers are
// reused; the per-origin records are created once.
//
// While connections sit idle a timer watches their idle_timeout, so `io_context::run()` returns
// only once they have timed out, or after shutdown() (or the pool's destruction).
//
// Thread safety: none. Use the pool and its exchanges from one thread or one strand.
#ifndef LLMIO_NET_CONNECTION_POOL_HPP
#define LLMIO_NET_CONNECTION_POOL_HPP

#include <llmio/net/connection.hpp>
#include <llmio/net/origin.hpp>
#include <llmio/net/proxy.hpp>
#include <llmio/net/resolver_cache.hpp>
#include <llmio/net/tls_context.hpp>

#include <asio/any_io_executor.hpp>
#include <asio/steady_timer.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace llmio::net {

struct pool_options {
    /// Connections per origin, open or being opened.
    std::size_t max_connections = 64;
    /// An idle connection is closed after this long unused. Google's front ends close idle
    /// connections after a few minutes; closing first avoids most reuse races.
    std::chrono::steady_clock::duration idle_timeout = std::chrono::seconds(60);
    /// A connection is not reused once this old (0: no limit).
    std::chrono::steady_clock::duration max_lifetime = std::chrono::minutes(10);
    /// A connection is not reused after this many requests (0: no limit).
    std::uint32_t max_requests = 1000;
    /// Release OpenSSL's record buffers of idle TLS connections (about 21 KiB each; they are
    /// allocated again on reuse). Off: reuse allocates nothing; on: idle connections are smaller.
    bool release_idle_tls_buffers = false;
    /// Proxies: from the environment by default (HTTPS_PROXY, HTTP_PROXY, NO_PROXY, curl's
    /// rules); set `proxy` to use these instead (an empty proxy_settings means none).
    std::optional<proxy_settings> proxy{};
    resolver_options resolver{};
};

struct pool_stats {
    std::size_t open = 0;      ///< connections open or opening, all origins
    std::size_t idle = 0;      ///< of them, idle in the pool
    std::size_t waiting = 0;   ///< acquisitions waiting for a slot
    std::uint64_t connects = 0;      ///< connections opened (TCP connect started)
    std::uint64_t reuses = 0;        ///< idle connections handed out again
    std::uint64_t stale_discards = 0;   ///< idle connections found closed by the peer at reuse
};

namespace detail {
struct pool_state;
struct origin_slot;
struct pooled_connection;
} // namespace detail

class connection_pool {
public:
    using executor_type = asio::any_io_executor;
    using clock = std::chrono::steady_clock;

    /// A pool on `ex`. `tls` is used for https origins and must outlive the pool; nullptr: a
    /// tls_context with default options (system trust) is made when first needed. Reads the
    /// proxy environment now when options.proxy is unset (a malformed variable: throws
    /// std::system_error, rather than silently going direct).
    explicit connection_pool(executor_type ex, pool_options options = {}, const tls_context* tls = nullptr);
    /// shutdown().
    ~connection_pool();
    connection_pool(const connection_pool&) = delete;
    connection_pool& operator=(const connection_pool&) = delete;

    [[nodiscard]] executor_type get_executor() const noexcept;
    [[nodiscard]] const pool_options& options() const noexcept;
    [[nodiscard]] pool_stats stats() const noexcept;

    /// Closes idle connections and fails waiting acquisitions with error::pool_closed.
    /// Connections in use close when their exchange ends. Idempotent.
    void shutdown() noexcept;

    /// Closes idle connections now (they are opened again when needed).
    void close_idle() noexcept;

    [[nodiscard]] const std::shared_ptr<detail::pool_state>& state() const noexcept { return state_; }

private:
    std::shared_ptr<detail::pool_state> state_;
};

} // namespace llmio::net

#include <llmio/net/impl/connection_pool.hpp>

#endif // LLMIO_NET_CONNECTION_POOL_HPP
