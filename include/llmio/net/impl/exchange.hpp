#ifndef LLMIO_NET_IMPL_EXCHANGE_HPP
#define LLMIO_NET_IMPL_EXCHANGE_HPP

#include <asio/associated_allocator.hpp>
#include <asio/bind_allocator.hpp>
#include <asio/bind_executor.hpp>
#include <asio/connect.hpp>
#include <asio/io_context.hpp>
#include <asio/coroutine.hpp>
#include <asio/post.hpp>
#include <asio/ssl/error.hpp>
#include <asio/write.hpp>

#include <netinet/in.h>
#include <netinet/tcp.h>

#include <algorithm>
#include <charconv>
#include <cstring>

namespace llmio::net {
namespace detail {

enum class phase : std::uint8_t { none, connect, handshake, head, body };

struct exchange_core : std::enable_shared_from_this<exchange_core> {
    using clock = std::chrono::steady_clock;

    exchange_core(std::shared_ptr<pool_state> p, const exchange_buffer_options& o)
        : pool(std::move(p)),
          parser(o.parser),
          read_size(o.read_size < 512 ? 512 : o.read_size),
          buffer(new char[read_size + exchange::padding]),
          resolver(pool->ex),
          timer(pool->ex)
    {
        std::fill_n(buffer.get() + read_size, exchange::padding, '\0');
    }

    std::shared_ptr<pool_state> pool;
    http::response_parser parser;
    std::size_t read_size;
    std::unique_ptr<char[]> buffer;
    std::size_t pos = 0;   // unparsed bytes are [pos, end)
    std::size_t end = 0;
    asio::ip::tcp::resolver resolver;
    resolver_cache::endpoints endpoints{};
    std::string scratch{};   // the CONNECT request

    pooled_connection* conn = nullptr;
    bool reused = false;
    bool retried = false;
    bool done = true;
    bool put_again = false;   // the parser's last event was not need_more
    bool resumed = false;     // the last TLS handshake resumed a session
    int proxy_status = 0;

    // The watchdog: one timer, re-armed lazily (a later deadline is picked up when it fires).
    asio::steady_timer timer;
    phase current = phase::none;
    clock::time_point phase_deadline = clock::time_point::max();
    clock::time_point total_deadline = clock::time_point::max();
    clock::duration idle_limit{};
    clock::time_point armed_at = clock::time_point::max();
    bool armed = false;
    std::uint64_t generation = 0;
    std::error_code timed_out{};

    [[nodiscard]] static clock::time_point after(clock::time_point now, clock::duration d) noexcept
    {
        if (d <= clock::duration::zero() || d >= clock::time_point::max() - now) {
            return clock::time_point::max();
        }
        return now + d;
    }

    void arm(phase p, clock::duration limit)
    {
        current = p;
        const auto now = clock::now();
        phase_deadline = after(now, limit);
        const auto due = std::min(phase_deadline, total_deadline);
        if (due == clock::time_point::max() || (armed && armed_at <= due)) {
            return;   // nothing to watch, or the timer fires first and re-arms for `due`
        }
        wait_until(due);
    }

    /// The body's idle limit restarts with every read.
    void touch() noexcept
    {
        if (current == phase::body) {
            phase_deadline = after(clock::now(), idle_limit);
        }
    }

    void wait_until(clock::time_point due)
    {
        armed = true;
        armed_at = due;
        const std::uint64_t g = ++generation;
        timer.expires_at(due);
        timer.async_wait([self = shared_from_this(), g](std::error_code ec) { self->on_timer(ec, g); });
    }

    void on_timer(std::error_code ec, std::uint64_t g)
    {
        if (g != generation) {
            return;   // superseded by a later arm() or disarm()
        }
        armed = false;
        if (ec || current == phase::none) {
            return;
        }
        const auto due = std::min(phase_deadline, total_deadline);
        if (clock::now() < due) {
            if (due != clock::time_point::max()) {
                wait_until(due);
            }
            return;
        }
        if (total_deadline <= phase_deadline) {
            timed_out = error::deadline_exceeded;
        }
        else {
            switch (current) {
            case phase::connect: timed_out = error::connect_timeout; break;
            case phase::handshake: timed_out = error::handshake_timeout; break;
            case phase::head: timed_out = error::head_timeout; break;
            case phase::body: timed_out = error::idle_timeout; break;
            case phase::none: break;
            }
        }
        std::error_code ignored;
        resolver.cancel();
        if (conn != nullptr) {
            conn->conn.socket().cancel(ignored);
        }
    }

    /// Between requests the timer stays armed: the next request usually needs a deadline no
    /// earlier than the pending one, so it costs nothing then (a cancel and a new wait per
    /// request would be two handler allocations). When it fires with no phase it just ends.
    void idle() noexcept { current = phase::none; }

    /// Stops the watchdog (the exchange is closed or destroyed).
    void disarm() noexcept
    {
        current = phase::none;
        if (armed) {
            armed = false;
            ++generation;
            timer.cancel();
        }
    }

    /// What an operation that failed with `ec` reports: the watchdog's reason when it cut it.
    [[nodiscard]] std::error_code reason(std::error_code ec) const noexcept;

    void release(bool reusable)
    {
        idle();
        if (conn != nullptr) {
            pooled_connection* c = conn;
            conn = nullptr;
            pool->release(c, reusable);
        }
        done = true;
    }

    void abandon() noexcept
    {
        try {
            release(false);
        }
        catch (...) {
        }
    }

    /// Starts an operation with `self` as its handler, bound to the concrete io_context
    /// executor when the pool's any_io_executor holds one and `self` runs there anyway.
    /// Completions then run directly instead of through Asio's type-erased execute(), which
    /// allocates a wrapper per completion from a two-block per-thread cache (misses pile up with
    /// many exchanges in flight). Other executors (a caller's strand) keep the generic path.
    template <class Self, class Start>
    void launch(Self&& self, Start&& start) const
    {
        const auto* io = llmio::detail::io_executor_of(pool->ex);
        if (io != nullptr && llmio::detail::runs_on(self, *io)) {
            start(asio::bind_executor(*io, std::forward<Self>(self)));
        }
        else {
            start(std::forward<Self>(self));
        }
    }

    /// What async_read_body completes with when that needs no I/O: the next body piece from
    /// bytes already read, the end of the body (an empty piece; the connection is released),
    /// or an error. False: nothing more can be had without reading from the connection.
    bool take_buffered(std::string_view& piece, std::error_code& ec)
    {
        piece = {};
        if (done) {
            return true;
        }
        if (conn == nullptr) {
            ec = asio::error::operation_aborted;
            return true;
        }
        // After head, body and chunk_header the parser is asked again even with no input: a
        // message can end without more bytes (response_parser::put).
        while (pos < end || put_again) {
            const auto r = parser.put({buffer.get() + pos, end - pos}, ec);
            if (ec) {
                release(false);
                return true;
            }
            pos += r.consumed;
            put_again = r.event != http::parse_event::need_more;
            if (r.event == http::parse_event::body) {
                piece = parser.body();
                return true;
            }
            if (r.event == http::parse_event::message_done) {
                release(parser.keep_alive() && pos == end && !parser.upgraded());
                return true;
            }
            if (r.event == http::parse_event::need_more) {
                compact();
                return false;
            }
        }
        return false;
    }

    /// Takes in what a body read from the connection completed with. Returns the error the
    /// body read ends with (the connection is then released), or none: the bytes are in, or the
    /// connection ended a body that may end so (released; take_buffered gives the end).
    std::error_code commit_read(std::error_code ec, std::size_t n);

    void compact() noexcept
    {
        if (pos == end) {
            pos = end = 0;
        }
    }

    [[nodiscard]] asio::mutable_buffer free_space() noexcept
    {
        if (end == read_size && pos > 0) {
            std::memmove(buffer.get(), buffer.get() + pos, end - pos);
            end -= pos;
            pos = 0;
        }
        return asio::buffer(buffer.get() + end, read_size - end);
    }
};

/// Asio reports socket errors in its own "asio.system" category, which compares equal to
/// neither std::errc values nor llmio::condition::network. The exchange hands them out in
/// std::system_category() (same errno value), except operation_aborted, which callers compare
/// against asio::error::operation_aborted.
[[nodiscard]] inline std::error_code normalize(std::error_code ec) noexcept
{
    if (ec && ec.category() == asio::error::get_system_category() && ec != asio::error::operation_aborted) {
        return {ec.value(), std::system_category()};
    }
    return ec;
}

/// Whether a write failure may still leave a response to read (the server answered early and
/// closed, or reset after answering): then the response wins over the write error.
[[nodiscard]] inline bool peer_stopped_reading(std::error_code ec) noexcept
{
    return ec == asio::error::broken_pipe || ec == asio::error::connection_reset;
}

[[nodiscard]] inline bool is_end_of_stream(std::error_code ec) noexcept
{
    return ec == asio::error::eof || ec == asio::ssl::error::stream_truncated;
}

inline std::error_code exchange_core::reason(std::error_code ec) const noexcept
{
    return (timed_out && ec == asio::error::operation_aborted) ? timed_out : normalize(ec);
}

inline std::error_code exchange_core::commit_read(std::error_code ec, std::size_t n)
{
    if (conn == nullptr) {
        return asio::error::operation_aborted;
    }
    if (!ec) {
        end += n;
        touch();
        return {};
    }
    if (is_end_of_stream(ec) && !timed_out) {
        const bool truncated_tls = ec == asio::ssl::error::stream_truncated;
        std::error_code eof = parser.put_eof();
        if (!eof && truncated_tls && parser.body_framing() == http::framing::until_close) {
            eof = error::tls_truncated;
        }
        release(false);
        return eof;
    }
    ec = reason(ec);   // (normalised)
    release(false);
    return ec;
}

struct send_op : asio::coroutine {
    std::shared_ptr<exchange_core> core;
    const origin* to;
    std::string_view request;
    exchange_options options;
    origin_slot* slot = nullptr;
    bool fresh = false;
    std::size_t written = 0;
    std::size_t response_bytes = 0;
    std::error_code write_error{};

    template <class Self>
    void operator()(Self& self, std::error_code ec, pooled_connection* c, bool is_fresh)
    {
        if (!ec) {
            core->conn = c;
            fresh = is_fresh;
        }
        step(self, ec, 0);
    }
    template <class Self>
    void operator()(Self& self, std::error_code ec, const asio::ip::tcp::resolver::results_type& results)
    {
        if (!ec) {
            core->pool->resolver.store(endpoint_host(), results, exchange_core::clock::now());
            core->endpoints.clear();
            for (const auto& r : results) {
                core->endpoints.push_back(r.endpoint());
            }
        }
        step(self, ec, 0);
    }
    template <class Self>
    void operator()(Self& self, std::error_code ec, const asio::ip::tcp::endpoint&)
    {
        step(self, ec, 0);
    }
    template <class Self>
    void operator()(Self& self, std::error_code ec = {}, std::size_t n = 0)
    {
        step(self, ec, n);
    }

    [[nodiscard]] std::string_view endpoint_host() const noexcept
    {
        return slot->proxy ? std::string_view(slot->proxy->host) : std::string_view(to->host);
    }
    [[nodiscard]] std::uint16_t endpoint_port() const noexcept
    {
        return slot->proxy ? slot->proxy->port : to->port;
    }

    template <class Self>
    void fail(Self& self, std::error_code ec)
    {
        ec = core->reason(ec);
        core->release(false);
        self.complete(ec);
    }

    /// The stale-connection rule (exchange.hpp): may this failure be retried on a new connection?
    [[nodiscard]] bool may_retry(std::error_code ec) const noexcept
    {
        return core->reused && !core->retried && response_bytes == 0 && !core->timed_out &&
               ec != asio::error::operation_aborted && (written == 0 || options.replayable);
    }

    template <class Self>
    void step(Self& self, std::error_code ec, std::size_t n)
    {
        auto& x = *core;
        ASIO_CORO_REENTER(this)
        {
            if (x.pool->closed) {
                ASIO_CORO_YIELD asio::post(x.pool->ex, std::move(self));
                return self.complete(error::pool_closed);
            }
            x.total_deadline = options.deadline;
            x.timed_out = {};
            x.retried = false;
            x.proxy_status = 0;
            x.pos = x.end = 0;
            slot = &x.pool->slot_for(*to);
            if (slot->proxy && slot->proxy->tls_to_proxy) {
                ASIO_CORO_YIELD asio::post(x.pool->ex, std::move(self));
                return self.complete(error::unsupported_proxy);
            }
            // Nobody waiting and a connection at hand (idle, or a free slot): take it here; the
            // pool's queue (and its post) only when the origin is at its limit.
            if (slot->head == nullptr) {
                if (pooled_connection* c = x.pool->take_idle(*slot, exchange_core::clock::now())) {
                    x.conn = c;
                    fresh = false;
                }
                else if (slot->open < x.pool->options.max_connections) {
                    x.conn = x.pool->new_connection(*slot);
                    fresh = true;
                }
            }
            if (x.conn == nullptr) {
                ASIO_CORO_YIELD x.pool->async_acquire(*slot, options.deadline, std::move(self));
                if (ec) {
                    return self.complete(ec);
                }
            }
            x.reused = !fresh;
            x.done = false;
            for (;;) {
                x.parser.reset();
                x.parser.set_head_request(options.head_request);
                written = 0;
                response_bytes = 0;
                write_error = {};
                if (fresh) {
                    // ---- Connect: resolve (cached), TCP, the proxy's tunnel, TLS ----
                    x.arm(phase::connect, options.connect_timeout);
                    x.conn->conn.close();
                    {
                        asio::ip::address literal;
                        if (resolver_cache::literal(endpoint_host(), literal)) {
                            x.endpoints.assign(1, asio::ip::tcp::endpoint(literal, endpoint_port()));
                        }
                        else if (const auto* hit = x.pool->resolver.find(endpoint_host(), endpoint_port(),
                                                                         exchange_core::clock::now())) {
                            x.endpoints = *hit;
                        }
                        else {
                            x.endpoints.clear();
                        }
                    }
                    if (x.endpoints.empty()) {
                        {
                            char port[8];
                            const auto r = std::to_chars(port, port + sizeof port, endpoint_port());
                            x.scratch.assign(port, r.ptr);
                        }
                        ASIO_CORO_YIELD x.resolver.async_resolve(endpoint_host(), x.scratch, std::move(self));
                        if (ec) {
                            return fail(self, ec);
                        }
                    }
                    ++x.pool->counters.connects;
                    ASIO_CORO_YIELD asio::async_connect(x.conn->conn.socket(), x.endpoints, std::move(self));
                    if (ec) {
                        return fail(self, ec);
                    }
                    {
                        std::error_code ignored;
                        x.conn->conn.socket().set_option(asio::ip::tcp::no_delay(true), ignored);
                    }
                    x.conn->conn.created = exchange_core::clock::now();
                    x.conn->conn.last_used = x.conn->conn.created;
                    if (slot->proxy) {
                        x.arm(phase::handshake, options.handshake_timeout);
                        ec = write_connect_request(x.scratch, to->host, to->port, *slot->proxy);
                        if (ec) {
                            return fail(self, ec);
                        }
                        ASIO_CORO_YIELD asio::async_write(x.conn->conn, asio::buffer(x.scratch), std::move(self));
                        if (ec) {
                            return fail(self, ec);
                        }
                        x.parser.set_head_request(true);   // a 2xx to CONNECT has no body
                        for (;;) {
                            ASIO_CORO_YIELD x.conn->conn.async_read_some(x.free_space(), std::move(self));
                            if (ec) {
                                return fail(self, is_end_of_stream(ec) ? std::error_code(error::bad_proxy_response) : ec);
                            }
                            x.end += n;
                            {
                                std::error_code perr;
                                const auto r = x.parser.put({x.buffer.get() + x.pos, x.end - x.pos}, perr);
                                if (perr) {
                                    return fail(self, error::bad_proxy_response);
                                }
                                x.pos += r.consumed;
                                x.compact();
                                if (r.event == http::parse_event::head) {
                                    break;
                                }
                            }
                        }
                        x.proxy_status = x.parser.status();
                        if (x.proxy_status == 407) {
                            return fail(self, error::proxy_auth_required);
                        }
                        if (x.proxy_status < 200 || x.proxy_status > 299) {
                            return fail(self, error::proxy_refused);
                        }
                        if (x.pos != x.end) {
                            return fail(self, error::bad_proxy_response);   // bytes before our TLS hello
                        }
                        x.parser.reset();
                        x.parser.set_head_request(options.head_request);
                    }
                    if (to->tls) {
                        x.arm(phase::handshake, options.handshake_timeout);
                        try {
                            ec = x.conn->conn.start_tls(x.pool->tls_for_use(), to->host, &slot->key);
                        }
                        catch (const std::system_error& e) {
                            ec = e.code();
                        }
                        if (ec) {
                            return fail(self, ec);
                        }
                        ASIO_CORO_YIELD x.conn->conn.async_handshake(std::move(self));
                        if (ec) {
                            return fail(self, ec);
                        }
                        x.resumed = SSL_session_reused(x.conn->conn.native_handle()) == 1;
                    }
                }
                // ---- The request ----
                x.arm(phase::head, options.head_timeout);
                ++x.conn->conn.requests;
                ASIO_CORO_YIELD
                {
                    const asio::const_buffer out(request.data(), request.size());
                    x.launch(std::move(self), [&x, out](auto&& h) { asio::async_write(x.conn->conn, out, std::move(h)); });
                }
                written = n;
                if (ec) {
                    if (!peer_stopped_reading(ec) || x.timed_out) {
                        if (may_retry(ec)) {
                            goto retry;
                        }
                        return fail(self, ec);
                    }
                    write_error = ec;   // the server may have answered before it stopped reading
                }
                // ---- The head ----
                for (;;) {
                    ASIO_CORO_YIELD x.launch(std::move(self), [&x](auto&& h) {
                        x.conn->conn.async_read_some(x.free_space(), std::move(h));
                    });
                    if (ec) {
                        if (response_bytes == 0 && is_end_of_stream(ec)) {
                            ec = write_error ? write_error : std::error_code(error::connection_closed);
                        }
                        else if (is_end_of_stream(ec)) {
                            ec = x.parser.put_eof();
                        }
                        if (may_retry(ec)) {
                            goto retry;
                        }
                        return fail(self, ec ? ec : std::error_code(http::error::eof_in_head));
                    }
                    response_bytes += n;
                    x.end += n;
                    {
                        std::error_code perr;
                        const auto r = x.parser.put({x.buffer.get() + x.pos, x.end - x.pos}, perr);
                        if (perr) {
                            return fail(self, perr);
                        }
                        x.pos += r.consumed;
                        x.compact();
                        if (r.event == http::parse_event::head) {
                            break;
                        }
                    }
                }
                if (write_error) {
                    // The response wins, but the connection is out of step: it will not be pooled.
                    x.conn->conn.requests = x.pool->options.max_requests == 0 ? ~0u : x.pool->options.max_requests;
                }
                x.put_again = true;
                x.arm(phase::body, options.idle_timeout);
                x.idle_limit = options.idle_timeout;
                return self.complete({});

            retry:
                x.retried = true;
                x.reused = false;
                x.conn->conn.requests = 0;
                fresh = true;
                x.pos = x.end = 0;
            }
        }
    }
};

struct read_body_op : asio::coroutine {
    std::shared_ptr<exchange_core> core;
    bool waited = false;

    template <class Self>
    void operator()(Self& self, std::error_code ec = {}, std::size_t n = 0)
    {
        auto& x = *core;
        ASIO_CORO_REENTER(this)
        {
            for (;;) {
                {
                    std::string_view piece;
                    std::error_code bec;
                    if (x.take_buffered(piece, bec)) {
                        return finish(self, bec, piece);
                    }
                }
                ASIO_CORO_YIELD
                {
                    waited = true;
                    x.launch(std::move(self), [&x](auto&& h) { x.conn->conn.async_read_some(x.free_space(), std::move(h)); });
                }
                if (const std::error_code cec = x.commit_read(ec, n)) {
                    return finish(self, cec, {});
                }
            }
        }
    }

    template <class Self>
    void finish(Self& self, std::error_code ec, std::string_view v)
    {
        if (waited) {
            return self.complete(ec, v);
        }
        waited = true;
        const asio::any_io_executor ex = core->pool->ex;   // before `self` (and `core` in it) moves
        // The lambda carries the handler's allocator: a caller that binds its own (the Gemini
        // client does, per stream) gets this post's memory from it, not from Asio's two-block
        // per-thread cache; and its executor, when that is not the pool's (a strand).
        const auto alloc = asio::get_associated_allocator(self);
        const auto* io = llmio::detail::io_executor_of(ex);
        if (io != nullptr && llmio::detail::runs_on(self, *io)) {
            asio::post(*io, asio::bind_allocator(alloc, [s = std::move(self), ec, v]() mutable { s.complete(ec, v); }));
            return;
        }
        const auto on = asio::get_associated_executor(self, ex);
        asio::post(ex, asio::bind_executor(on, asio::bind_allocator(alloc, [s = std::move(self), ec, v]() mutable {
                                               s.complete(ec, v);
                                           })));
    }
};

} // namespace detail

inline exchange::exchange(connection_pool& pool, exchange_buffer_options options)
    : core_(std::make_shared<detail::exchange_core>(pool.state(), options))
{
}

inline exchange::~exchange()
{
    close();
}

inline exchange::executor_type exchange::get_executor() const noexcept
{
    return core_->pool->ex;
}

template <class CompletionToken>
auto exchange::async_send(const origin& to, std::string_view request, const exchange_options& options,
                          CompletionToken&& token)
{
    if (!core_->done) {
        core_->abandon();
    }
    return asio::async_compose<CompletionToken, void(std::error_code)>(
        detail::send_op{{}, core_, &to, request, options}, token, core_->pool->ex);
}

template <class CompletionToken>
auto exchange::async_read_body(CompletionToken&& token)
{
    return asio::async_compose<CompletionToken, void(std::error_code, std::string_view)>(
        detail::read_body_op{{}, core_}, token, core_->pool->ex);
}

inline bool exchange::read_body_buffered(std::string_view& body, std::error_code& ec)
{
    ec.clear();
    return core_->take_buffered(body, ec);
}

template <class ReadHandler>
void exchange::read_body_more(ReadHandler&& handler)
{
    detail::exchange_core& x = *core_;
    if (x.conn == nullptr || x.done) {
        // Nothing to read from (read_body_buffered would have said so): complete as a read on
        // a closed connection would, through a post.
        const asio::any_io_executor ex = x.pool->ex;
        const auto on = asio::get_associated_executor(handler, ex);
        const auto alloc = asio::get_associated_allocator(handler);
        asio::post(ex, asio::bind_executor(on, asio::bind_allocator(alloc, [h = std::forward<ReadHandler>(handler)]() mutable {
                                               std::move(h)(std::error_code(asio::error::operation_aborted), std::size_t{0});
                                           })));
        return;
    }
    x.conn->conn.async_read_some(x.free_space(), std::forward<ReadHandler>(handler));
}

inline std::error_code exchange::read_body_commit(std::error_code ec, std::size_t bytes)
{
    return core_->commit_read(ec, bytes);
}

inline const http::response_parser& exchange::response() const noexcept
{
    return core_->parser;
}

inline bool exchange::complete() const noexcept
{
    return core_->done;
}

inline bool exchange::reused_connection() const noexcept
{
    return core_->reused;
}

inline bool exchange::retried() const noexcept
{
    return core_->retried;
}

inline bool exchange::tls_session_resumed() const noexcept
{
    return core_->resumed;
}

inline int exchange::proxy_status() const noexcept
{
    return core_->proxy_status;
}

inline void exchange::close() noexcept
{
    if (core_->conn != nullptr) {
        core_->conn->conn.close();
    }
    core_->abandon();
    core_->disarm();
    core_->resolver.cancel();
}

} // namespace llmio::net

#endif // LLMIO_NET_IMPL_EXCHANGE_HPP
