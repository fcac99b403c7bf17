// llmio/testing/impl/mock_server.hpp: bodies of llmio/testing/mock_server.hpp. Not included
// directly.
//
// The Asio side only: accepting, reading requests, carrying out the response plans the handler
// (detail/mock_handler.hpp) writes, and closing. One coroutine accepts; one per connection
// serves its requests in order (HTTP/1.1 keep-alive, pipelined requests answered in turn).
// Every coroutine holds the shared state, so a server destroyed while they are still
// suspended leaves them nothing dangling: they see closed sockets and end.
#ifndef LLMIO_TESTING_IMPL_MOCK_SERVER_HPP
#define LLMIO_TESTING_IMPL_MOCK_SERVER_HPP

#include <llmio/testing/detail/listener.hpp>
#include <llmio/testing/detail/mock_certificate.hpp>
#include <llmio/testing/detail/mock_handler.hpp>

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/experimental/as_tuple.hpp>
#include <asio/experimental/awaitable_operators.hpp>
#include <asio/ssl.hpp>
#include <asio/steady_timer.hpp>
#include <asio/use_awaitable.hpp>
#include <asio/write.hpp>

#include <array>
#include <cstring>
#include <optional>
#include <string>
#include <type_traits>
#include <unordered_set>
#include <utility>

// g++ 12 with -fsanitize=address inlines Asio's recycling frame allocator and then reports a
// false -Wmismatched-new-delete at the end of every coroutine (asio issue #1391; silkworm
// turns it off globally). Silenced for this file's coroutines only, so users building with
// -Werror under ASan are not broken by them.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif

namespace llmio::testing {

// The Asio side in a namespace of its own: its helpers have short, common names.
namespace detail::mock_io {

inline constexpr std::array<std::string_view, mock_fault_count> fault_names{
    "none", "quota_per_minute", "quota_per_day", "quota_input_tokens", "internal", "unavailable",
    "api_key_invalid", "location", "error_mid_stream_raw", "error_mid_stream_data", "error_status_sse",
    "disconnect", "truncated_chunked", "slow_head", "stall", "malformed_json", "close_after",
    "permission_denied", "api_not_enabled", "invalid_argument", "gateway_timeout", "bad_gateway",
    "retry_after", "prompt_blocked", "finish_safety", "finish_recitation", "function_call"};

/// The TCP socket under a stream: itself, or a TLS stream's next layer.
template <class Stream>
[[nodiscard]] asio::ip::tcp::socket& tcp_socket(Stream& s) noexcept
{
    if constexpr (std::is_same_v<Stream, asio::ip::tcp::socket>) {
        return s;
    } else {
        return s.next_layer();
    }
}

/// What stop() reaches: every open connection, whatever its stream type.
struct connection_base {
    connection_base() = default;
    connection_base(const connection_base&) = delete;
    connection_base& operator=(const connection_base&) = delete;
    virtual void close() noexcept = 0;

protected:
    ~connection_base() = default;
};

template <class Stream>
struct connection final : connection_base {
    template <class... Args>
    explicit connection(asio::ip::tcp::socket socket, Args&... args)
        : stream(std::move(socket), args...), timer(stream.get_executor())
    {
    }

    /// Closes the socket (no TLS close_notify) and cancels the pacing timer: every pending
    /// operation of the connection completes with operation_aborted.
    void close() noexcept override
    {
        closed = true;
        std::error_code ec;
        tcp_socket(stream).close(ec);
        timer.cancel();
    }

    Stream stream;
    asio::steady_timer timer;
    bool closed = false;
};

struct mock_state {
    mock_state(asio::any_io_executor ex, mock_options o)
        : executor(std::move(ex)), core(std::move(o)), acceptor(executor)
    {
    }

    asio::any_io_executor executor;
    mock_core core;
    asio::ip::tcp::acceptor acceptor;
    std::optional<asio::ssl::context> tls;
    certificate_pem pem;
    std::unordered_set<connection_base*> live;
    asio::ip::tcp::endpoint bound;
    bool started = false;
    bool stopped = false;
};

/// Keeps a connection in `live` for as long as its coroutine frame exists, including when the
/// frame is destroyed with the io_context rather than finishing.
class registration {
public:
    registration(std::shared_ptr<mock_state> state, connection_base& c) : state_(std::move(state)), c_(&c)
    {
        state_->live.insert(c_);
    }
    registration(const registration&) = delete;
    registration& operator=(const registration&) = delete;
    ~registration() { state_->live.erase(c_); }

private:
    std::shared_ptr<mock_state> state_;
    connection_base* c_;
};

inline constexpr auto as_tuple_awaitable = asio::experimental::as_tuple(asio::use_awaitable);

template <class Stream>
[[nodiscard]] asio::awaitable<bool> write_all(connection<Stream>& c, std::string_view a, std::string_view b = {})
{
    const std::array<asio::const_buffer, 2> buffers{asio::buffer(a), asio::buffer(b)};
    auto [ec, n] = co_await asio::async_write(c.stream, buffers, as_tuple_awaitable);
    co_return !ec && !c.closed;
}

template <class Stream>
[[nodiscard]] asio::awaitable<bool> pause(connection<Stream>& c, std::chrono::steady_clock::duration d)
{
    if (d <= std::chrono::steady_clock::duration::zero()) {
        co_return !c.closed;
    }
    c.timer.expires_after(d);
    auto [ec] = co_await c.timer.async_wait(as_tuple_awaitable);
    co_return !ec && !c.closed;
}

template <class Stream>
[[nodiscard]] asio::awaitable<bool> pause_until(connection<Stream>& c, std::chrono::steady_clock::time_point t)
{
    if (t <= std::chrono::steady_clock::now()) {
        co_return !c.closed;
    }
    c.timer.expires_at(t);
    auto [ec] = co_await c.timer.async_wait(as_tuple_awaitable);
    co_return !ec && !c.closed;
}

// Carries out a plan: the head (at once, a byte at a time, or with the first piece after the
// time to first event), then the pieces `gap` apart. The pieces keep to a schedule counted
// from the request (first_delay, then every gap), not "gap after the last write ended", so a
// busy server does not stretch every gap by its own delays and a load harness measures the
// pacing it asked for. With no pacing at all the whole response goes out in one write, as a
// server that has the answer ready sends it. False when the connection failed.
template <class Stream>
[[nodiscard]] asio::awaitable<bool> execute(connection<Stream>& c, const response_plan& plan)
{
    const auto start = std::chrono::steady_clock::now();
    if (!plan.slow_head && plan.first_delay == std::chrono::steady_clock::duration::zero() &&
        plan.gap == std::chrono::steady_clock::duration::zero() && plan.piece_count > 1) {
        std::string whole;
        for (std::size_t i = 0; i < plan.piece_count; ++i) {
            whole += plan.pieces[i];
        }
        co_return co_await write_all(c, plan.head, whole);
    }
    bool head_sent = false;
    if (plan.slow_head) {
        for (std::size_t i = 0; i < plan.head.size(); ++i) {
            if (!co_await write_all(c, std::string_view(plan.head).substr(i, 1))) {
                co_return false;
            }
            if (!co_await pause(c, plan.slow_delay)) {
                co_return false;
            }
        }
        head_sent = true;
    } else if (plan.head_first || plan.piece_count == 0) {
        if (!co_await write_all(c, plan.head)) {
            co_return false;
        }
        head_sent = true;
    }
    auto due = start;
    for (std::size_t i = 0; i < plan.piece_count; ++i) {
        due += i == 0 ? plan.first_delay : plan.gap;
        if (!co_await pause_until(c, due)) {
            co_return false;
        }
        // The head goes out with the first piece (one write, as the service sends it). Not a
        // conditional expression: g++ 12 miscompiles co_await inside one.
        const std::string_view head = head_sent ? std::string_view{} : std::string_view(plan.head);
        const bool ok = co_await write_all(c, head, plan.pieces[i]);
        head_sent = true;
        if (!ok) {
            co_return false;
        }
    }
    co_return true;
}

// Reads and drops whatever the peer sends until it closes or the connection is closed.
template <class AsyncReadStream>
asio::awaitable<void> drain(AsyncReadStream& s)
{
    std::array<char, 1024> sink;
    for (;;) {
        auto [ec, n] = co_await s.async_read_some(asio::buffer(sink), as_tuple_awaitable);
        if (ec) {
            co_return;
        }
    }
}

// After a `Connection: close` response: TLS close_notify, then FIN, then read until the peer
// closes (RFC 9112 §9.6: a server that closes at once while the client's bytes are unread
// makes the kernel send a reset, which can destroy the response in flight). Each step waits
// one second at most.
template <class Stream>
asio::awaitable<void> close_gracefully(connection<Stream>& c)
{
    using namespace asio::experimental::awaitable_operators;
    if constexpr (!std::is_same_v<Stream, asio::ip::tcp::socket>) {
        c.timer.expires_after(std::chrono::seconds(1));
        co_await (c.stream.async_shutdown(as_tuple_awaitable) || c.timer.async_wait(as_tuple_awaitable));
    }
    if (!c.closed) {
        std::error_code ec;
        tcp_socket(c.stream).shutdown(asio::socket_base::shutdown_send, ec);
        c.timer.expires_after(std::chrono::seconds(1));
        co_await (drain(tcp_socket(c.stream)) || c.timer.async_wait(as_tuple_awaitable));
    }
    c.close();
}

// The requests of one connection, answered in order until it closes.
template <class Stream>
asio::awaitable<void> serve_requests(std::shared_ptr<mock_state> state, connection<Stream>& c)
{
    const mock_options& o = state->core.options;
    const request_limits limits{o.max_head, o.max_fields, o.max_body};
    constexpr std::size_t read_size = 16 * 1024;
    handler_context h;
    mock_request req;
    response_plan plan;
    std::string in;   // request bytes read and not yet answered
    for (;;) {
        read_result r;
        bool continued = false;
        for (;;) {
            r = parse_request_head(in, limits, req);
            if (r.status == read_status::bad ||
                (r.status == read_status::head && in.size() - req.head_size >= req.content_length)) {
                break;
            }
            if (r.status == read_status::head && req.expect_continue && !continued) {
                continued = true;   // RFC 9110 §10.1.1: the client waits for this before its body
                if (!co_await write_all(c, "HTTP/1.1 100 Continue\r\n\r\n")) {
                    co_return;
                }
            }
            const std::size_t old = in.size();
            in.resize(old + read_size);
            auto [ec, n] = co_await c.stream.async_read_some(asio::buffer(in.data() + old, read_size), as_tuple_awaitable);
            in.resize(old + n);
            if (ec || c.closed) {
                c.close();   // the peer went away, between requests or inside one
                co_return;
            }
        }
        if (r.status == read_status::bad) {
            ++state->core.counters.bad_requests;
            plan.clear();
            begin_head(plan.head, r.http_status, "text/plain; charset=UTF-8");
            end_head_length(plan.head, r.reason.size() + 1, true);
            plan.add_piece().assign(r.reason).push_back('\n');
            if (co_await execute(c, plan)) {
                co_await close_gracefully(c);
            }
            c.close();
            co_return;
        }
        req.body = std::string_view(in).substr(req.head_size, req.content_length);
        request_handler(state->core, h, req, plan).run();
        in.erase(0, req.head_size + req.content_length);
        if (!co_await execute(c, plan)) {
            c.close();
            co_return;
        }
        switch (plan.end) {
        case plan_end::keep_alive: continue;
        case plan_end::close: co_await close_gracefully(c); break;
        case plan_end::abort: break;
        case plan_end::stall: co_await drain(c.stream); break;
        }
        c.close();
        co_return;
    }
}

inline asio::awaitable<void> serve_plain(std::shared_ptr<mock_state> state, asio::ip::tcp::socket socket)
{
    connection<asio::ip::tcp::socket> c(std::move(socket));
    const registration reg(state, c);
    if (state->stopped) {
        co_return;   // accepted just as stop() ran
    }
    ++state->core.counters.connections;
    co_await serve_requests(state, c);
}

inline asio::awaitable<void> serve_tls(std::shared_ptr<mock_state> state, asio::ip::tcp::socket socket)
{
    connection<asio::ssl::stream<asio::ip::tcp::socket>> c(std::move(socket), *state->tls);
    const registration reg(state, c);
    if (state->stopped) {
        co_return;
    }
    auto [ec] = co_await c.stream.async_handshake(asio::ssl::stream_base::server, as_tuple_awaitable);
    if (ec) {
        ++state->core.counters.tls_handshake_failures;   // e.g. the client refused the certificate
        c.close();
        co_return;
    }
    ++state->core.counters.connections;
    co_await serve_requests(state, c);
}

inline asio::awaitable<void> accept_loop(std::shared_ptr<mock_state> state)
{
    for (;;) {
        auto [ec, socket] = co_await state->acceptor.async_accept(as_tuple_awaitable);
        if (state->stopped || !state->acceptor.is_open()) {
            co_return;
        }
        if (ec) {
            // Out of descriptors or memory: pause rather than spin, then try again.
            asio::steady_timer pause_timer(state->executor, std::chrono::milliseconds(10));
            co_await pause_timer.async_wait(as_tuple_awaitable);
            continue;
        }
        std::error_code ignored;
        socket.set_option(asio::ip::tcp::no_delay(true), ignored);   // events must not wait for Nagle
        if (state->tls) {
            asio::co_spawn(state->executor, serve_tls(state, std::move(socket)), asio::detached);
        } else {
            asio::co_spawn(state->executor, serve_plain(state, std::move(socket)), asio::detached);
        }
    }
}

// ALPN (RFC 7301): http/1.1 when the client offers it; without it the handshake goes on
// without ALPN rather than failing, as HTTP/1.1 is all the mock speaks either way.
inline int select_alpn(SSL*, const unsigned char** out, unsigned char* out_size, const unsigned char* in,
                       unsigned int in_size, void*)
{
    constexpr std::string_view http11 = "http/1.1";
    for (unsigned int i = 0; i < in_size;) {
        const unsigned int n = in[i];
        if (i + 1 + n > in_size) {
            break;
        }
        if (n == http11.size() && std::memcmp(in + i + 1, http11.data(), n) == 0) {
            *out = in + i + 1;
            *out_size = static_cast<unsigned char>(n);
            return SSL_TLSEXT_ERR_OK;
        }
        i += 1 + n;
    }
    return SSL_TLSEXT_ERR_NOACK;
}

[[nodiscard]] inline std::error_code make_tls_context(mock_state& state)
{
    if (const std::error_code ec = make_certificate(state.core.options.certificate, state.pem)) {
        return ec;
    }
    asio::ssl::context& ctx = state.tls.emplace(asio::ssl::context::tls_server);
    std::error_code ec;
    ctx.set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                        asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 |
                        asio::ssl::context::no_tlsv1_1,
                    ec);
    if (!ec) {
        ctx.use_certificate(asio::buffer(state.pem.certificate), asio::ssl::context::pem, ec);
    }
    if (!ec) {
        ctx.use_private_key(asio::buffer(state.pem.private_key), asio::ssl::context::pem, ec);
    }
    if (!ec) {
        SSL_CTX_set_alpn_select_cb(ctx.native_handle(), &select_alpn, nullptr);
    }
    return ec;
}

} // namespace detail::mock_io

inline std::string_view to_string(mock_fault f) noexcept
{
    const auto i = static_cast<std::size_t>(f);
    return i < detail::mock_io::fault_names.size() ? detail::mock_io::fault_names[i] : std::string_view("unknown");
}

inline std::optional<mock_fault> parse_mock_fault(std::string_view name) noexcept
{
    for (std::size_t i = 0; i < detail::mock_io::fault_names.size(); ++i) {
        if (detail::mock_io::fault_names[i] == name) {
            return static_cast<mock_fault>(i);
        }
    }
    return std::nullopt;
}

inline certificate_options certificate_options::expired()
{
    certificate_options o;
    o.not_before = -std::chrono::hours(48);
    o.not_after = -std::chrono::hours(24);
    return o;
}

inline certificate_options certificate_options::wrong_host()
{
    certificate_options o;
    o.dns_names = {"wrong.invalid"};
    o.ip_addresses = {};
    return o;
}

inline mock_server::mock_server(executor_type ex, mock_options options)
    : state_(std::make_shared<detail::mock_io::mock_state>(std::move(ex), std::move(options)))
{
}

inline mock_server::~mock_server() { stop(); }

inline asio::ip::tcp::endpoint mock_server::start(std::error_code& ec)
{
    detail::mock_io::mock_state& s = *state_;
    ec.clear();
    if (s.started) {
        ec = asio::error::already_started;
        return {};
    }
    s.started = true;
    const mock_options& o = s.core.options;
    if (o.tls) {
        ec = detail::mock_io::make_tls_context(s);
        if (ec) {
            return {};
        }
    }
    s.bound = detail::open_listener(s.acceptor, o.address, o.port, ec);
    if (ec) {
        return {};
    }
    asio::co_spawn(s.executor, detail::mock_io::accept_loop(state_), asio::detached);
    return s.bound;
}

inline asio::ip::tcp::endpoint mock_server::start()
{
    std::error_code ec;
    const asio::ip::tcp::endpoint at = start(ec);
    if (ec) {
        throw std::system_error(ec, "llmio::testing::mock_server::start");
    }
    return at;
}

inline void mock_server::stop() noexcept
{
    detail::mock_io::mock_state& s = *state_;
    s.stopped = true;
    std::error_code ignored;
    s.acceptor.close(ignored);
    // A connection leaves `live` when its coroutine frame ends, never inside close(); the copy
    // keeps this loop correct should that change.
    const std::vector<detail::mock_io::connection_base*> open(s.live.begin(), s.live.end());
    for (detail::mock_io::connection_base* c : open) {
        c->close();
    }
}

inline asio::ip::tcp::endpoint mock_server::endpoint() const noexcept { return state_->bound; }

inline std::string mock_server::base_url() const
{
    const bool tls = state_->core.options.tls;
    std::string url = tls ? "https://localhost:" : "http://";
    if (!tls) {
        const asio::ip::address a = state_->bound.address();
        url.append(a.is_v6() ? "[" + a.to_string() + "]" : a.to_string()).append(":");
    }
    return url.append(std::to_string(port()));
}

inline std::string_view mock_server::ca_certificate_pem() const noexcept { return state_->pem.certificate; }

inline const mock_counters& mock_server::counters() const noexcept { return state_->core.counters; }

inline const mock_options& mock_server::options() const noexcept { return state_->core.options; }

inline std::size_t mock_server::open_connections() const noexcept { return state_->live.size(); }

inline mock_server::executor_type mock_server::get_executor() const noexcept { return state_->executor; }

inline std::string mock_server::expected_text(std::string_view request_body, const mock_options& options)
{
    std::string text;
    detail::append_words(text, detail::fnv1a(request_body), 0,
                         std::max<std::size_t>(options.events, 1) * std::max<std::size_t>(options.words_per_event, 1));
    return text;
}

inline std::int64_t mock_server::prompt_tokens(std::string_view request_body) noexcept
{
    return detail::estimate_tokens(request_body.size());
}

} // namespace llmio::testing

#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif

#endif // LLMIO_TESTING_IMPL_MOCK_SERVER_HPP
