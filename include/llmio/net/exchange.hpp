// llmio/net/exchange.hpp: one HTTP/1.1 request and its response over a pooled connection.
//
//     net::connection_pool pool(io.get_executor());
//     net::exchange ex(pool);                         // reuse it: its buffer stays warm
//     co_await ex.async_send(origin, request_bytes, {.deadline = t0 + 30s}, asio::use_awaitable);
//     // ex.response().status(), .header("content-type") ...
//     for (;;) {
//         std::string_view body = co_await ex.async_read_body(asio::use_awaitable);
//         if (body.empty()) break;                    // the response is complete
//         feed(body);                                 // valid until the next async_read_body
//     }
//
// What it does for the caller:
//   - takes a connection from the pool (waiting in FIFO order when the origin is at its limit)
//     or opens one: resolve (cached), TCP connect, CONNECT through a proxy, TLS handshake;
//   - writes the request, reads the head (interim 1xx responses are skipped), then hands the
//     body out as views into its own buffer, de-chunked;
//   - gives the connection back to the pool when the response was read completely and allows
//     keep-alive with no byte left over; closes it otherwise (an error, a cancellation, an
//     abandoned response, `Connection: close`, HTTP/1.0 without keep-alive, a body that ends with
//     the close).
//
// Time limits, each its own error (condition::timeout): connect (resolve + TCP, also to the
// proxy), handshake (proxy CONNECT + TLS), head (from the first byte written until the head is
// read), idle (the longest gap between body bytes), and the total deadline over everything,
// waiting for a pooled connection included.
//
// The stale-connection rule. A reused idle connection may have been closed by the server just
// as it was taken (the race every keep-alive client has). When the request fails on a *reused*
// connection before any byte of a response arrived, it is sent once more on a *new* connection
// if nothing of it had been written, or if the caller marked it `replayable`. Never on a new
// connection's failure, never after a response byte, never twice. Gemini's POSTs do not change
// server state, so the client marks them replayable; a caller with side effects leaves it off.
//
// Memory: the exchange owns the read buffer (not the connection), so idle pooled connections
// hold no buffer. Steady state allocates nothing: reuse the exchange object.
//
// Thread safety: none. One operation at a time per exchange; the pool's executor (or strand).
#ifndef LLMIO_NET_EXCHANGE_HPP
#define LLMIO_NET_EXCHANGE_HPP

#include <llmio/http/response_parser.hpp>
#include <llmio/net/connection_pool.hpp>

#include <asio/ip/tcp.hpp>
#include <asio/steady_timer.hpp>

#include <chrono>
#include <cstddef>
#include <memory>
#include <string_view>
#include <system_error>

namespace llmio::net {

struct exchange_options {
    using duration = std::chrono::steady_clock::duration;
    /// Resolve and TCP connect (to the origin, or to the proxy). 0: no limit.
    duration connect_timeout = std::chrono::seconds(10);
    /// The proxy's CONNECT answer and the TLS handshake. 0: no limit.
    duration handshake_timeout = std::chrono::seconds(10);
    /// From the first byte of the request written until the response head is read. Generation
    /// with long thinking can take minutes before the head: 0 means no limit.
    duration head_timeout = std::chrono::seconds(120);
    /// The longest gap between body bytes. 0: no limit.
    duration idle_timeout = std::chrono::seconds(60);
    /// Over everything (pool wait included). max(): none.
    std::chrono::steady_clock::time_point deadline = std::chrono::steady_clock::time_point::max();
    /// The request may be sent again after it was written, under the stale-connection rule.
    bool replayable = false;
    /// The request is a HEAD: the response has no body whatever its fields say.
    bool head_request = false;
};

struct exchange_buffer_options {
    /// Bytes read from the connection at a time; also the read buffer's size.
    std::size_t read_size = 16 * 1024;
    http::response_parser_options parser{};
};

namespace detail {
struct exchange_core;
}

class exchange {
public:
    using executor_type = asio::any_io_executor;
    using clock = std::chrono::steady_clock;

    /// Bytes readable after the end of every body view (for SIMD scanners such as the SSE
    /// parser's): the buffer is that much larger than what is read into it.
    static constexpr std::size_t padding = 64;

    explicit exchange(connection_pool& pool, exchange_buffer_options options = {});
    /// Abandons a response in progress: its connection is closed, never pooled.
    ~exchange();
    exchange(const exchange&) = delete;
    exchange& operator=(const exchange&) = delete;

    [[nodiscard]] executor_type get_executor() const noexcept;

    /// Sends `request` (a complete HTTP/1.1 request: head and body, as http::request_writer
    /// makes it) to `to`, and reads the response head.
    ///
    /// Completes when the head is read (then response() holds it; read the body next), or on
    /// failure: a time limit (error::*_timeout, deadline_exceeded, pool_timeout), the server
    /// closing before answering (error::connection_closed), a refusal or reset (system codes,
    /// condition::network), a certificate refused (tls_verify_category()), a proxy refusing
    /// (proxy_refused, proxy_auth_required), malformed HTTP (http::error). Completion signature
    /// `void(std::error_code)`. A response in progress is abandoned first.
    ///
    /// `to` and `request` must stay valid until completion. Cancellation (terminal, through the
    /// handler's cancellation slot): completes with operation_aborted promptly, closes the
    /// connection and frees its pool slot, or leaves the pool's queue.
    template <class CompletionToken>
    auto async_send(const origin& to, std::string_view request, const exchange_options& options,
                    CompletionToken&& token);

    /// Reads the next piece of the body (de-chunked).
    ///
    /// Completes with a non-empty view of body bytes, or an empty view once the response is
    /// complete (the connection is then back in the pool or closed), or an error: a truncated
    /// body (http::error::short_body, eof_in_chunked; net::error::tls_truncated for a
    /// close-delimited body over TLS without close_notify), idle_timeout, deadline_exceeded,
    /// a reset. Completion signature `void(std::error_code, std::string_view)`. The view, and
    /// `padding` readable bytes after it, stay valid until the next operation on this exchange.
    /// Cancellation as for async_send.
    template <class CompletionToken>
    auto async_read_body(CompletionToken&& token);

    /// What async_read_body would complete with, when that needs no I/O: from bytes already
    /// read, the next piece of the body, or an empty view at its end, or an error (`ec` set).
    /// Returns false, having consumed nothing, when the next piece needs a read from the
    /// connection: then call async_read_body. Lets a consumer go through a body that arrived in
    /// one read without an asynchronous operation (and its completion post) per piece. The
    /// view is valid as async_read_body's is.
    bool read_body_buffered(std::string_view& body, std::error_code& ec);

    /// The read from the connection async_read_body makes when read_body_buffered returned
    /// false, without the operation around it, for a consumer that drives the body itself (the
    /// Gemini stream saves an operation per event so): `handler(std::error_code, std::size_t)`
    /// runs as a socket read's handler does, never inside this call, on its associated executor,
    /// with its allocator and cancellation slot. Pass what it gets to read_body_commit, then go on
    /// with read_body_buffered. async_read_body is these three steps in a loop.
    template <class ReadHandler>
    void read_body_more(ReadHandler&& handler);

    /// Takes in what read_body_more completed with. An error is the one async_read_body would
    /// have completed with (the connection is then released); none: the bytes are in, or the
    /// connection ended a body that may end so, and read_body_buffered gives what follows.
    [[nodiscard]] std::error_code read_body_commit(std::error_code ec, std::size_t bytes);

    /// The head of the response (after async_send), and the parser's state.
    [[nodiscard]] const http::response_parser& response() const noexcept;
    /// The response is complete (async_read_body gave its empty view).
    [[nodiscard]] bool complete() const noexcept;
    /// The connection of the last async_send was an idle pooled one.
    [[nodiscard]] bool reused_connection() const noexcept;
    /// async_send sent the request a second time on a new connection (the stale rule).
    [[nodiscard]] bool retried() const noexcept;
    /// The last new TLS connection resumed a cached session (an abbreviated handshake).
    [[nodiscard]] bool tls_session_resumed() const noexcept;
    /// Status of the proxy's answer to CONNECT on the last new connection (0: no proxy).
    [[nodiscard]] int proxy_status() const noexcept;

    /// Abandons the exchange now: a pending operation completes with operation_aborted, the
    /// connection is closed and its slot freed.
    void close() noexcept;

private:
    std::shared_ptr<detail::exchange_core> core_;
};

} // namespace llmio::net

#include <llmio/net/impl/exchange.hpp>

#endif // LLMIO_NET_EXCHANGE_HPP
