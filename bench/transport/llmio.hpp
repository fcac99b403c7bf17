// llmio's side of the transport scenarios: net::connection_pool + net::exchange, one coroutine
// per connection, each reusing one exchange (its read buffer stays warm), on one thread.
#ifndef LLMIO_BENCH_TRANSPORT_LLMIO_HPP
#define LLMIO_BENCH_TRANSPORT_LLMIO_HPP

#include "heap_tracking.hpp"
#include "scenario.hpp"

#include <llmio/gemini/stream_decoder.hpp>
#include <llmio/net.hpp>

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/experimental/as_tuple.hpp>
#include <asio/io_context.hpp>
#include <asio/steady_timer.hpp>
#include <asio/this_coro.hpp>
#include <asio/use_awaitable.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <optional>
#include <string>
#include <system_error>

namespace bench::transport::llmio_client {

namespace net = llmio::net;
namespace gemini = llmio::gemini;
using clock_type = std::chrono::steady_clock;
inline constexpr auto tuple_awaitable = asio::experimental::as_tuple(asio::use_awaitable);

/// Where and what one scenario's requests go.
struct target {
    net::origin origin{};
    std::string request{};
    bool stream = false;   // decode the body as a Gemini stream (else read and drop it)
};

[[nodiscard]] inline target make_target(const mock_process& server, bool stream)
{
    return {net::origin{.tls = server.tls, .host = "127.0.0.1", .port = server.port},
            stream ? stream_request(server) : unary_request(server), stream};
}

/// The pool as the benchmark uses it: direct (no proxy from the environment), `connections`
/// slots, everything else at its default unless `max_requests` is given (by default connections
/// are retired after 1000 requests, which a real client pays too: runs report how many they
/// opened; wrk never reconnects).
[[nodiscard]] inline net::pool_options pool_for(std::size_t connections, bool release_idle_tls_buffers = false,
                                                std::optional<std::uint32_t> max_requests = std::nullopt)
{
    net::pool_options o;
    o.max_connections = connections;
    if (max_requests) {
        o.max_requests = *max_requests;
    }
    o.release_idle_tls_buffers = release_idle_tls_buffers;
    o.proxy = net::proxy_settings{};
    return o;
}

// ---- One request ----------------------------------------------------------------------------

/// Feeds a body piece to the decoder. `body` has exchange::padding readable bytes after it, so
/// simdjson parses events in place, as a real client's would.
[[nodiscard]] inline std::error_code decode(gemini::stream_decoder& d, std::string_view body, std::uint64_t& events)
{
    std::error_code ec;
    while (!body.empty()) {
        const auto r = d.put(body, ec, net::exchange::padding);
        if (ec) {
            return ec;
        }
        body.remove_prefix(r.consumed);
        events += r.what == gemini::stream_decoder::step::chunk;
    }
    return {};
}

[[nodiscard]] inline std::error_code finish(gemini::stream_decoder& d, std::uint64_t& events)
{
    std::error_code ec;
    for (;;) {
        const auto r = d.finish(ec);
        if (ec || r.what == gemini::stream_decoder::step::done) {
            return ec;
        }
        events += r.what == gemini::stream_decoder::step::chunk;
    }
}

/// Sends the request and reads the whole response (decoding it for streams).
inline asio::awaitable<std::error_code> one_request(net::exchange& ex, const target& t, gemini::stream_decoder& d,
                                                    std::uint64_t& events)
{
    auto [ec] = co_await ex.async_send(t.origin, t.request, net::exchange_options{}, tuple_awaitable);
    if (ec) {
        co_return ec;
    }
    if (ex.response().status() != 200) {
        co_return std::make_error_code(std::errc::protocol_error);
    }
    d.reset();
    for (;;) {
        auto [bec, body] = co_await ex.async_read_body(tuple_awaitable);
        if (bec) {
            co_return bec;
        }
        if (body.empty()) {
            break;
        }
        if (t.stream) {
            if (const std::error_code dec = decode(d, body, events)) {
                co_return dec;
            }
        }
    }
    co_return t.stream ? finish(d, events) : std::error_code{};
}

// ---- Load: N connections for a while --------------------------------------------------------

/// What is read at the start and at the end of the measurement window.
struct mark {
    clock_type::time_point at{};
    double cpu = 0;
    double server_cpu = 0;
    heap_snapshot heap{};
    std::uint64_t requests = 0;
    std::uint64_t events = 0;
    std::uint64_t connects = 0;
};

struct load_state {
    std::uint64_t requests = 0;
    std::uint64_t events = 0;
    std::uint64_t errors = 0;
    std::string first_error{};
    bool stopping = false;
    std::size_t workers_left = 0;
    mark begin{};
    mark end{};

    void fail(const std::string& what)
    {
        if (errors++ == 0) {
            first_error = what;
        }
    }
};

inline mark take_mark(const load_state& s, const net::connection_pool& pool, const mock_process& server)
{
    // CPU and the heap first: reading /proc for the server allocates.
    mark m{clock_type::now(), self_cpu_seconds(), 0, heap_now(), s.requests, s.events, pool.stats().connects};
    m.server_cpu = server.child.running_cpu_seconds();
    return m;
}

/// One connection's worth of load: requests back to back on one exchange until told to stop.
inline asio::awaitable<void> worker(net::connection_pool& pool, const target& t, load_state& s)
{
    net::exchange ex(pool);
    gemini::stream_decoder decoder;
    std::uint64_t events = 0;
    while (!s.stopping) {
        const std::error_code ec = co_await one_request(ex, t, decoder, events);
        if (ec) {
            s.fail(ec.message());
            co_return;   // the server is gone or broken: keep the report, stop the load
        }
        ++s.requests;
        s.events += events;
        events = 0;
    }
}

/// Warm-up (connections opened, buffers and handler memory grown), then the measured window.
inline asio::awaitable<void> timekeeper(const net::connection_pool& pool, const mock_process& server, load_state& s,
                                        clock_type::duration warmup, clock_type::duration window)
{
    asio::steady_timer timer(co_await asio::this_coro::executor);
    timer.expires_after(warmup);
    (void)co_await timer.async_wait(tuple_awaitable);
    s.begin = take_mark(s, pool, server);
    timer.expires_after(window);
    (void)co_await timer.async_wait(tuple_awaitable);
    s.end = take_mark(s, pool, server);
    s.stopping = true;
}

[[nodiscard]] inline load_result result_of(const load_state& s)
{
    load_result r;
    r.seconds = std::chrono::duration<double>(s.end.at - s.begin.at).count();
    r.requests = s.end.requests - s.begin.requests;
    r.events = s.end.events - s.begin.events;
    r.errors = s.errors;
    r.first_error = s.first_error;
    r.cpu_seconds = s.end.cpu - s.begin.cpu;
    r.server_cpu_seconds = s.end.server_cpu - s.begin.server_cpu;
    r.allocations = s.end.heap.cxx_allocs - s.begin.heap.cxx_allocs;
    r.openssl_allocations = s.end.heap.openssl_allocs - s.begin.heap.openssl_allocs;
    r.connects = s.end.connects - s.begin.connects;
    return r;
}

/// `connections` workers against `server` for `warmup` + `window`.
[[nodiscard]] inline load_result run_load(const mock_process& server, const net::tls_context* tls, const target& t,
                                          std::size_t connections, clock_type::duration warmup,
                                          clock_type::duration window, std::optional<std::uint32_t> max_requests)
{
    // One thread: concurrency hint 1 lets Asio skip its scheduler locking, as a
    // single-threaded client would configure it.
    asio::io_context io(1);
    net::connection_pool pool(io.get_executor(), pool_for(connections, false, max_requests), tls);
    load_state s;
    s.workers_left = connections;
    asio::co_spawn(io, timekeeper(pool, server, s, warmup, window), asio::detached);
    for (std::size_t i = 0; i < connections; ++i) {
        asio::co_spawn(io, worker(pool, t, s), [&](std::exception_ptr e) {
            if (e) {
                s.fail("exception in a worker");
            }
            if (--s.workers_left == 0) {
                pool.shutdown();   // else io.run() waits for the idle sweeper
            }
        });
    }
    io.run();
    return result_of(s);
}

// ---- Idle memory ----------------------------------------------------------------------------

/// Counts arrivals; wait() returns once `count` arrived (a timer that never fires, cancelled
/// by the last arrival).
struct latch {
    latch(asio::any_io_executor ex, std::size_t n) : timer(std::move(ex), clock_type::time_point::max()), count(n) {}
    void arrive()
    {
        if (--count == 0) {
            timer.cancel();
        }
    }
    asio::awaitable<void> wait()
    {
        if (count > 0) {
            (void)co_await timer.async_wait(tuple_awaitable);
        }
    }
    asio::steady_timer timer;
    std::size_t count;
};

/// Lets handlers already queued run (a cancelled watchdog holds its exchange's core until its
/// handler runs), so the heap is read in a settled state.
inline asio::awaitable<void> settle()
{
    asio::steady_timer t(co_await asio::this_coro::executor, std::chrono::milliseconds(20));
    (void)co_await t.async_wait(tuple_awaitable);
}

/// Reads a body to its end, dropping it.
inline asio::awaitable<std::error_code> drain(net::exchange& ex)
{
    for (;;) {
        auto [ec, body] = co_await ex.async_read_body(tuple_awaitable);
        if (ec || body.empty()) {
            co_return ec;
        }
    }
}

/// One of the N concurrent exchanges: sends, waits until all N hold a connection (so that none
/// is reused and N are opened), reads its body, and ends (its exchange is destroyed).
inline asio::awaitable<void> concurrent_exchange(net::connection_pool& pool, const target& t, latch& sent,
                                                 latch& done, load_state& s)
{
    {
        net::exchange ex(pool);
        auto [ec] = co_await ex.async_send(t.origin, t.request, net::exchange_options{}, tuple_awaitable);
        sent.arrive();
        co_await sent.wait();
        if (!ec) {
            ec = co_await drain(ex);
        }
        if (ec) {
            s.fail(ec.message());
        }
    }
    done.arrive();
}

struct idle_marks {
    heap_snapshot before{};   // the pool warm, no connection open
    heap_snapshot idle{};     // N idle connections in the pool, every exchange destroyed
    heap_snapshot closed{};   // after close_idle()
    std::size_t idle_connections = 0;
    std::uint64_t connects = 0;
    load_state status{};
};

inline asio::awaitable<void> idle_scenario(net::connection_pool& pool, const target& t, std::size_t n, idle_marks& m)
{
    const auto ex = co_await asio::this_coro::executor;
    {
        // One request first, so that one-time costs (the origin's record, OpenSSL's lazy
        // initialisation, the TLS session cache entry) are in `before` and not per connection.
        net::exchange warm(pool);
        gemini::stream_decoder d;
        std::uint64_t events = 0;
        if (const std::error_code ec = co_await one_request(warm, t, d, events)) {
            m.status.fail(ec.message());
        }
    }
    pool.close_idle();
    co_await settle();
    m.before = heap_now();
    const std::uint64_t connects = pool.stats().connects;
    latch sent(ex, n), done(ex, n);
    for (std::size_t i = 0; i < n; ++i) {
        asio::co_spawn(ex, concurrent_exchange(pool, t, sent, done, m.status), asio::detached);
    }
    co_await done.wait();
    co_await settle();
    m.idle = heap_now();
    m.idle_connections = pool.stats().idle;
    m.connects = pool.stats().connects - connects;
    pool.close_idle();
    co_await settle();
    m.closed = heap_now();
    pool.shutdown();
}

[[nodiscard]] inline idle_marks measure_idle(const mock_process& server, const net::tls_context* tls, std::size_t n,
                                             bool release_idle_tls_buffers)
{
    asio::io_context io(1);
    net::connection_pool pool(io.get_executor(), pool_for(n, release_idle_tls_buffers), tls);
    idle_marks m;
    const target t = make_target(server, false);   // outlives the coroutine, which holds a reference
    asio::co_spawn(io, idle_scenario(pool, t, n, m), [&](std::exception_ptr e) {
        if (e) {
            m.status.fail("exception in the idle scenario");
            pool.shutdown();
        }
    });
    io.run();
    return m;
}

} // namespace bench::transport::llmio_client

#endif // LLMIO_BENCH_TRANSPORT_LLMIO_HPP
