// llmio/testing/impl/scripted_server.hpp: bodies of llmio/testing/scripted_server.hpp. Not
// included directly.
//
// One coroutine accepts; one per connection plays its script. Every coroutine holds the shared
// state, so a server destroyed while they are still suspended leaves them nothing dangling:
// they see closed sockets and end. The request framing here is deliberately small (find the
// empty line, read Content-Length and Transfer-Encoding, walk the chunks): the scripts are
// written by tests for clients under test, and only need to know where a request ends.
#ifndef LLMIO_TESTING_IMPL_SCRIPTED_SERVER_HPP
#define LLMIO_TESTING_IMPL_SCRIPTED_SERVER_HPP

#include <llmio/testing/detail/listener.hpp>
#include <llmio/testing/detail/mock_certificate.hpp>

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/experimental/as_tuple.hpp>
#include <asio/experimental/awaitable_operators.hpp>
#include <asio/ssl.hpp>
#include <asio/steady_timer.hpp>
#include <asio/use_awaitable.hpp>
#include <asio/write.hpp>

#include <openssl/ssl.h>

#include <array>
#include <deque>
#include <optional>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <unordered_set>
#include <utility>
#include <variant>

// g++ 12 with -fsanitize=address reports a false -Wmismatched-new-delete at the end of every
// coroutine (asio issue #1391); silenced for this file's coroutines only, as in mock_server.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif

namespace llmio::testing {

namespace detail::scripted_io {

inline constexpr std::array<std::string_view, 13> step_names{
    "read_request", "read_head", "read_body", "write", "write_slowly", "pause", "drain", "stall",
    "close", "close_without_notify", "reset", "await_eof", "stall_handshake"};

[[nodiscard]] inline std::string_view name(step_kind k) noexcept
{
    return step_names[static_cast<std::size_t>(k)];
}

/// Steps after which the connection is gone: nothing can follow them.
[[nodiscard]] inline bool ends_script(step_kind k) noexcept
{
    return k == step_kind::close || k == step_kind::close_without_notify || k == step_kind::reset ||
           k == step_kind::stall_handshake;
}

// ---- Request framing (RFC 9112 §6.3, §7.1) ---------------------------------------------------

enum class frame : std::uint8_t { need_more, complete, bad };

/// Where a request head ends and how its body is framed.
struct head_info {
    std::size_t size = 0;   ///< the head's bytes, the empty line included
    bool chunked = false;   ///< Transfer-Encoding ends in chunked (wins over Content-Length)
    std::uint64_t content_length = 0;
};

/// Reads past this fail the step: a test double needs a bound, not a large one.
inline constexpr std::size_t max_request = 64 * 1024 * 1024;

[[nodiscard]] inline char lower(char c) noexcept
{
    return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

[[nodiscard]] inline bool iequals(std::string_view a, std::string_view b) noexcept
{
    if (a.size() != b.size()) {
        return false;
    }
    for (std::size_t i = 0; i < a.size(); ++i) {
        if (lower(a[i]) != lower(b[i])) {
            return false;
        }
    }
    return true;
}

[[nodiscard]] inline std::string_view trim(std::string_view s) noexcept
{
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) {
        s.remove_prefix(1);
    }
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) {
        s.remove_suffix(1);
    }
    return s;
}

/// The head at the start of `in`: need_more until its empty line has arrived; bad (with `why`)
/// for a Content-Length that is not a decimal number. Other fields are not looked at.
[[nodiscard]] inline frame parse_head(std::string_view in, head_info& h, std::string& why)
{
    const std::size_t end = in.find("\r\n\r\n");
    if (end == std::string_view::npos) {
        return frame::need_more;
    }
    h = head_info{};
    h.size = end + 4;
    std::size_t pos = in.find("\r\n") + 2;   // past the request line
    while (pos < end + 2) {
        const std::size_t eol = in.find("\r\n", pos);
        const std::string_view line = in.substr(pos, eol - pos);
        pos = eol + 2;
        const std::size_t colon = line.find(':');
        if (colon == std::string_view::npos) {
            continue;
        }
        const std::string_view field = line.substr(0, colon);
        const std::string_view value = trim(line.substr(colon + 1));
        if (iequals(field, "content-length")) {
            if (value.empty() || value.size() > 19) {
                why = "Content-Length is not a number: " + std::string(value);
                return frame::bad;
            }
            std::uint64_t n = 0;
            for (const char c : value) {
                if (c < '0' || c > '9') {
                    why = "Content-Length is not a number: " + std::string(value);
                    return frame::bad;
                }
                n = n * 10 + static_cast<std::uint64_t>(c - '0');
            }
            h.content_length = n;
        } else if (iequals(field, "transfer-encoding")) {
            const std::size_t comma = value.rfind(',');
            const std::string_view last = trim(comma == std::string_view::npos ? value : value.substr(comma + 1));
            h.chunked = iequals(last, "chunked");
        }
    }
    return frame::complete;
}

[[nodiscard]] inline int hex_digit(char c) noexcept
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    const char l = lower(c);
    return l >= 'a' && l <= 'f' ? l - 'a' + 10 : -1;
}

/// The size of the body at the start of `body` as `h` frames it: need_more until it is all
/// there; chunked bodies end after the last-chunk and the trailer section.
[[nodiscard]] inline frame body_size(std::string_view body, const head_info& h, std::size_t& size, std::string& why)
{
    if (!h.chunked) {
        if (h.content_length > max_request) {
            why = "Content-Length past the 64 MiB limit";
            return frame::bad;
        }
        size = static_cast<std::size_t>(h.content_length);
        return body.size() >= size ? frame::complete : frame::need_more;
    }
    std::size_t pos = 0;
    for (;;) {
        const std::size_t eol = body.find("\r\n", pos);
        if (eol == std::string_view::npos) {
            return frame::need_more;
        }
        std::uint64_t n = 0;
        std::size_t digits = 0;
        for (std::size_t i = pos; i < eol && hex_digit(body[i]) >= 0; ++i, ++digits) {
            n = n * 16 + static_cast<std::uint64_t>(hex_digit(body[i]));
        }
        const char after = pos + digits < eol ? body[pos + digits] : ';';
        if (digits == 0 || digits > 15 || (after != ';' && after != ' ' && after != '\t')) {
            why = "bad chunk-size line: " + std::string(body.substr(pos, eol - pos));
            return frame::bad;
        }
        pos = eol + 2;
        if (n == 0) {   // the last-chunk: trailer fields, then the empty line
            for (;;) {
                const std::size_t end = body.find("\r\n", pos);
                if (end == std::string_view::npos) {
                    return frame::need_more;
                }
                if (end == pos) {
                    size = pos + 2;
                    return frame::complete;
                }
                pos = end + 2;
            }
        }
        if (n > max_request) {
            why = "chunk past the 64 MiB limit";
            return frame::bad;
        }
        if (body.size() < pos + n + 2) {
            return frame::need_more;
        }
        if (body.substr(pos + n, 2) != "\r\n") {
            why = "chunk data not followed by CRLF";
            return frame::bad;
        }
        pos += n + 2;
    }
}

// ---- Connections -----------------------------------------------------------------------------

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
    connection(asio::ip::tcp::socket socket, std::size_t n, Args&... args)
        : stream(std::move(socket), args...), timer(stream.get_executor()), number(n)
    {
    }

    /// Closes the socket (no TLS close_notify) and cancels the timer: every pending operation
    /// of the connection completes with operation_aborted.
    void close() noexcept override
    {
        std::error_code ec;
        mock_io::tcp_socket(stream).close(ec);
        timer.cancel();
    }

    Stream stream;
    asio::steady_timer timer;
    std::size_t number;                      ///< 1 for the first connection accepted
    std::string in;                          ///< bytes read and not yet used by a step
    head_info last_head;                     ///< of the last read_head(), for read_body()
    std::optional<std::size_t> head_record;  ///< its index in scripted_state::requests
};

struct scripted_state {
    scripted_state(asio::any_io_executor ex, scripted_server_options o)
        : executor(std::move(ex)), options(std::move(o)), acceptor(executor)
    {
    }

    asio::any_io_executor executor;
    scripted_server_options options;
    asio::ip::tcp::acceptor acceptor;
    std::optional<asio::ssl::context> tls;
    certificate_pem pem;
    std::deque<connection_script> scripts;
    std::unordered_set<connection_base*> live;
    std::vector<std::string> requests;
    std::vector<std::string> errors;
    std::size_t accepted = 0;
    std::size_t unscripted = 0;
    std::size_t finished = 0;
    asio::ip::tcp::endpoint bound;
    bool started = false;
    bool stopped = false;
};

/// Keeps a connection in `live` for as long as its coroutine frame exists, including when the
/// frame is destroyed with the io_context rather than finishing.
class registration {
public:
    registration(std::shared_ptr<scripted_state> state, connection_base& c) : state_(std::move(state)), c_(&c)
    {
        state_->live.insert(c_);
    }
    registration(const registration&) = delete;
    registration& operator=(const registration&) = delete;
    ~registration() { state_->live.erase(c_); }

private:
    std::shared_ptr<scripted_state> state_;
    connection_base* c_;
};

// ---- Steps -----------------------------------------------------------------------------------

enum class outcome : std::uint8_t {
    next,      ///< the step is done: go on
    ended,     ///< the step closed the connection as the script asked: the script is finished
    stopped,   ///< stop() interrupted the step
    failed,    ///< the step failed: `why`
};

struct step_result {
    outcome what = outcome::next;
    std::string why;
};

using mock_io::as_tuple_awaitable;

template <class Stream>
inline constexpr bool is_tls = !std::is_same_v<Stream, asio::ip::tcp::socket>;

/// End of stream as the peer closing: a FIN, or (TLS) close_notify or a FIN without it.
[[nodiscard]] inline bool peer_closed(const std::error_code& ec) noexcept
{
    return ec == asio::error::eof || ec == asio::ssl::error::stream_truncated;
}

[[nodiscard]] inline std::string describe(const std::error_code& ec)
{
    if (ec == asio::error::eof) {
        return "the peer closed the connection";
    }
    if (ec == asio::ssl::error::stream_truncated) {
        return "the peer closed the connection without TLS close_notify";
    }
    return ec.message();
}

[[nodiscard]] inline std::string as_ms(std::chrono::steady_clock::duration d)
{
    return std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(d).count()) + " ms";
}

/// A read or write error: stop() at work, or the step's failure.
[[nodiscard]] inline step_result io_failed(const scripted_state& state, const std::error_code& ec, std::string_view when)
{
    if (state.stopped) {
        return {outcome::stopped, {}};
    }
    return {outcome::failed, describe(ec).append(" ").append(when)};
}

/// Appends what one read_some brings to `c.in`.
template <class Stream>
[[nodiscard]] asio::awaitable<std::error_code> read_more(connection<Stream>& c)
{
    constexpr std::size_t read_size = 16 * 1024;
    const std::size_t old = c.in.size();
    c.in.resize(old + read_size);
    auto [ec, n] = co_await c.stream.async_read_some(asio::buffer(c.in.data() + old, read_size), as_tuple_awaitable);
    c.in.resize(old + n);
    co_return ec;
}

/// Reads and drops everything until the stream ends; the error that ended it.
template <class AsyncReadStream>
[[nodiscard]] asio::awaitable<std::error_code> discard(AsyncReadStream& s)
{
    std::array<char, 16 * 1024> sink;
    for (;;) {
        auto [ec, n] = co_await s.async_read_some(asio::buffer(sink), as_tuple_awaitable);
        if (ec) {
            co_return ec;
        }
    }
}

/// read_request (`head_only` false), read_head (true).
template <class Stream>
[[nodiscard]] asio::awaitable<step_result> read_request(scripted_state& state, connection<Stream>& c, bool head_only)
{
    for (;;) {
        head_info h;
        std::string why;
        std::size_t body = 0;
        frame f = parse_head(c.in, h, why);
        if (f == frame::complete && !head_only) {
            f = body_size(std::string_view(c.in).substr(h.size), h, body, why);
        }
        if (f == frame::bad) {
            co_return step_result{outcome::failed, why};
        }
        if (f == frame::complete) {
            state.requests.emplace_back(c.in, 0, h.size + body);
            c.in.erase(0, h.size + body);
            if (head_only) {
                c.last_head = h;
                c.head_record = state.requests.size() - 1;
            }
            co_return step_result{};
        }
        if (c.in.size() > max_request) {
            co_return step_result{outcome::failed, "the request is larger than 64 MiB"};
        }
        if (const std::error_code ec = co_await read_more(c)) {
            co_return io_failed(state, ec, head_only ? "before the end of the head" : "before the end of the request");
        }
    }
}

template <class Stream>
[[nodiscard]] asio::awaitable<step_result> read_body(scripted_state& state, connection<Stream>& c)
{
    if (!c.head_record) {
        co_return step_result{outcome::failed, "no read_head() before it on this connection"};
    }
    for (;;) {
        std::string why;
        std::size_t body = 0;
        const frame f = body_size(c.in, c.last_head, body, why);
        if (f == frame::bad) {
            co_return step_result{outcome::failed, why};
        }
        if (f == frame::complete) {
            state.requests[*c.head_record].append(c.in, 0, body);
            c.in.erase(0, body);
            c.head_record.reset();
            co_return step_result{};
        }
        if (const std::error_code ec = co_await read_more(c)) {
            co_return io_failed(state, ec, "before the end of the body");
        }
    }
}

template <class Stream>
[[nodiscard]] asio::awaitable<std::error_code> wait(connection<Stream>& c, std::chrono::steady_clock::duration d)
{
    c.timer.expires_after(d);
    auto [ec] = co_await c.timer.async_wait(as_tuple_awaitable);
    co_return ec;
}

template <class Stream>
[[nodiscard]] asio::awaitable<std::error_code> write_bytes(connection<Stream>& c, std::string_view bytes)
{
    auto [ec, n] = co_await asio::async_write(c.stream, asio::buffer(bytes), as_tuple_awaitable);
    co_return ec;
}

/// drain (`must_close` false) and await_eof (true): read and drop until the peer closes or
/// `at_most` passes.
template <class Stream>
[[nodiscard]] asio::awaitable<step_result> until_eof(scripted_state& state, connection<Stream>& c,
                                                     std::chrono::steady_clock::duration at_most, bool must_close)
{
    using namespace asio::experimental::awaitable_operators;
    c.in.clear();
    c.timer.expires_after(at_most);
    const auto first = co_await (discard(c.stream) || c.timer.async_wait(as_tuple_awaitable));
    if (state.stopped) {
        co_return step_result{outcome::stopped, {}};
    }
    if (first.index() == 0) {
        const std::error_code ec = std::get<0>(first);
        if (peer_closed(ec)) {
            co_return step_result{};
        }
        co_return io_failed(state, ec, "while reading until the peer closed");
    }
    if (must_close) {
        co_return step_result{outcome::failed, "the peer did not close within " + as_ms(at_most)};
    }
    co_return step_result{};
}

template <class Stream>
[[nodiscard]] asio::awaitable<step_result> close_gracefully(scripted_state& state, connection<Stream>& c)
{
    using namespace asio::experimental::awaitable_operators;
    if constexpr (is_tls<Stream>) {
        // SSL_shutdown sends close_notify and then waits for the peer's; marking the peer's as
        // received makes it complete once ours is written. At most one second: a peer that
        // does not read cannot hold the close up.
        SSL* ssl = c.stream.native_handle();
        SSL_set_shutdown(ssl, SSL_get_shutdown(ssl) | SSL_RECEIVED_SHUTDOWN);
        c.timer.expires_after(std::chrono::seconds(1));
        co_await (c.stream.async_shutdown(as_tuple_awaitable) || c.timer.async_wait(as_tuple_awaitable));
    }
    if (state.stopped) {
        co_return step_result{outcome::stopped, {}};
    }
    // A close is not a failure when the peer has gone already: errors are ignored.
    std::error_code ignored;
    mock_io::tcp_socket(c.stream).shutdown(asio::socket_base::shutdown_send, ignored);
    c.close();
    co_return step_result{outcome::ended, {}};
}

template <class Stream>
[[nodiscard]] asio::awaitable<step_result> run_step(scripted_state& state, connection<Stream>& c, const step& s)
{
    switch (s.kind) {
    case step_kind::read_request: co_return co_await read_request(state, c, false);
    case step_kind::read_head: co_return co_await read_request(state, c, true);
    case step_kind::read_body: co_return co_await read_body(state, c);
    case step_kind::write:
        if (const std::error_code ec = co_await write_bytes(c, s.bytes)) {
            co_return io_failed(state, ec, "while writing");
        }
        co_return step_result{};
    case step_kind::write_slowly:
        for (std::size_t i = 0; i < s.bytes.size(); ++i) {
            if (const std::error_code ec = co_await wait(c, s.time)) {
                co_return io_failed(state, ec, "while waiting");
            }
            if (const std::error_code ec = co_await write_bytes(c, std::string_view(s.bytes).substr(i, 1))) {
                co_return io_failed(state, ec, "after " + std::to_string(i) + " bytes");
            }
        }
        co_return step_result{};
    case step_kind::pause:
        if (const std::error_code ec = co_await wait(c, s.time)) {
            co_return io_failed(state, ec, "while waiting");
        }
        co_return step_result{};
    case step_kind::drain: co_return co_await until_eof(state, c, s.time, false);
    case step_kind::await_eof: co_return co_await until_eof(state, c, s.time, true);
    case step_kind::stall: {
        c.in.clear();
        const std::error_code ec = co_await discard(c.stream);
        static_cast<void>(ec);   // whatever ended it, the stall is over
        co_return step_result{state.stopped ? outcome::ended : outcome::next, {}};
    }
    case step_kind::close: co_return co_await close_gracefully(state, c);
    case step_kind::close_without_notify:
        if constexpr (is_tls<Stream>) {
            c.close();
            co_return step_result{outcome::ended, {}};
        } else {
            co_return co_await close_gracefully(state, c);
        }
    case step_kind::reset: {
        std::error_code ignored;
        mock_io::tcp_socket(c.stream).set_option(asio::socket_base::linger(true, 0), ignored);
        c.close();
        co_return step_result{outcome::ended, {}};
    }
    case step_kind::stall_handshake: {
        // The ClientHello and whatever follows are read below TLS and dropped, unanswered.
        const std::error_code ec = co_await discard(mock_io::tcp_socket(c.stream));
        static_cast<void>(ec);
        c.close();
        co_return step_result{outcome::ended, {}};
    }
    }
    co_return step_result{outcome::failed, "unknown step"};
}

/// Plays `script` on `c`, then the closing step it did not end with; records the outcome.
template <class Stream>
asio::awaitable<void> play(std::shared_ptr<scripted_state> state, connection<Stream>& c, const connection_script& script)
{
    const std::vector<step>& steps = script.steps();
    const step implicit_close{step_kind::close, {}, {}};
    for (std::size_t i = 0; i <= steps.size(); ++i) {
        const step& s = i < steps.size() ? steps[i] : implicit_close;
        const step_result r = co_await run_step(*state, c, s);
        switch (r.what) {
        case outcome::next: continue;
        case outcome::ended: ++state->finished; break;
        case outcome::stopped: break;
        case outcome::failed:
            state->errors.push_back("connection " + std::to_string(c.number) + ", step " + std::to_string(i + 1) +
                                    " (" + std::string(name(s.kind)) + "): " + r.why);
            break;
        }
        c.close();
        co_return;
    }
}

template <class Stream>
asio::awaitable<void> serve(std::shared_ptr<scripted_state> state, asio::ip::tcp::socket socket,
                            connection_script script, std::size_t number)
{
    std::optional<connection<Stream>> storage;
    if constexpr (is_tls<Stream>) {
        storage.emplace(std::move(socket), number, *state->tls);
    } else {
        storage.emplace(std::move(socket), number);
    }
    connection<Stream>& c = *storage;
    const registration reg(state, c);
    if (state->stopped) {
        co_return;   // accepted just as stop() ran
    }
    if constexpr (is_tls<Stream>) {
        const bool stall = !script.steps().empty() && script.steps().front().kind == step_kind::stall_handshake;
        if (!stall) {
            auto [ec] = co_await c.stream.async_handshake(asio::ssl::stream_base::server, as_tuple_awaitable);
            if (ec) {
                if (!state->stopped) {
                    state->errors.push_back("connection " + std::to_string(number) + ", TLS handshake: " + describe(ec));
                }
                c.close();
                co_return;
            }
        }
    }
    co_await play(state, c, script);
}

inline asio::awaitable<void> accept_loop(std::shared_ptr<scripted_state> state)
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
        const std::size_t number = ++state->accepted;
        if (state->scripts.empty()) {
            ++state->unscripted;
            std::error_code ignored;
            socket.close(ignored);
            continue;
        }
        connection_script script = std::move(state->scripts.front());
        state->scripts.pop_front();
        std::error_code ignored;
        socket.set_option(asio::ip::tcp::no_delay(true), ignored);   // slow writes leave at once
        if (state->tls) {
            asio::co_spawn(state->executor,
                           serve<asio::ssl::stream<asio::ip::tcp::socket>>(state, std::move(socket), std::move(script),
                                                                           number),
                           asio::detached);
        } else {
            asio::co_spawn(state->executor,
                           serve<asio::ip::tcp::socket>(state, std::move(socket), std::move(script), number),
                           asio::detached);
        }
    }
}

/// The mock server's TLS set-up: TLS 1.2+, the made certificate, ALPN http/1.1.
[[nodiscard]] inline std::error_code make_tls_context(scripted_state& state)
{
    if (const std::error_code ec = make_certificate(state.options.certificate, state.pem)) {
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
        SSL_CTX_set_alpn_select_cb(ctx.native_handle(), &mock_io::select_alpn, nullptr);
    }
    return ec;
}

} // namespace detail::scripted_io

// ---- connection_script -----------------------------------------------------------------------

inline connection_script& connection_script::add(detail::scripted_io::step s)
{
    if (!steps_.empty() && detail::scripted_io::ends_script(steps_.back().kind)) {
        throw std::logic_error("llmio::testing::connection_script: nothing can follow " +
                               std::string(detail::scripted_io::name(steps_.back().kind)) + "()");
    }
    if (s.kind == kind::stall_handshake && !steps_.empty()) {
        throw std::logic_error("llmio::testing::connection_script: stall_handshake() must be the first step");
    }
    steps_.push_back(std::move(s));
    return *this;
}

inline connection_script& connection_script::read_request() { return add({kind::read_request, {}, {}}); }
inline connection_script& connection_script::read_head() { return add({kind::read_head, {}, {}}); }
inline connection_script& connection_script::read_body() { return add({kind::read_body, {}, {}}); }
inline connection_script& connection_script::write(std::string bytes)
{
    return add({kind::write, std::move(bytes), {}});
}
inline connection_script& connection_script::write_slowly(std::string bytes, std::chrono::steady_clock::duration per_byte)
{
    return add({kind::write_slowly, std::move(bytes), per_byte});
}
inline connection_script& connection_script::pause(std::chrono::steady_clock::duration d)
{
    return add({kind::pause, {}, d});
}
inline connection_script& connection_script::drain(std::chrono::steady_clock::duration at_most)
{
    return add({kind::drain, {}, at_most});
}
inline connection_script& connection_script::stall() { return add({kind::stall, {}, {}}); }
inline connection_script& connection_script::close() { return add({kind::close, {}, {}}); }
inline connection_script& connection_script::close_without_notify()
{
    return add({kind::close_without_notify, {}, {}});
}
inline connection_script& connection_script::reset() { return add({kind::reset, {}, {}}); }
inline connection_script& connection_script::await_eof(std::chrono::steady_clock::duration at_most)
{
    return add({kind::await_eof, {}, at_most});
}
inline connection_script& connection_script::stall_handshake() { return add({kind::stall_handshake, {}, {}}); }

// ---- scripted_server -------------------------------------------------------------------------

inline scripted_server::scripted_server(executor_type ex, scripted_server_options options)
    : state_(std::make_shared<detail::scripted_io::scripted_state>(std::move(ex), std::move(options)))
{
}

inline scripted_server::~scripted_server() { stop(); }

inline asio::ip::tcp::endpoint scripted_server::start(std::error_code& ec)
{
    detail::scripted_io::scripted_state& s = *state_;
    ec.clear();
    if (s.started) {
        ec = asio::error::already_started;
        return {};
    }
    s.started = true;
    if (s.options.tls) {
        ec = detail::scripted_io::make_tls_context(s);
        if (ec) {
            return {};
        }
    }
    s.bound = detail::open_listener(s.acceptor, s.options.address, s.options.port, ec);
    if (ec) {
        return {};
    }
    asio::co_spawn(s.executor, detail::scripted_io::accept_loop(state_), asio::detached);
    return s.bound;
}

inline asio::ip::tcp::endpoint scripted_server::start()
{
    std::error_code ec;
    const asio::ip::tcp::endpoint at = start(ec);
    if (ec) {
        throw std::system_error(ec, "llmio::testing::scripted_server::start");
    }
    return at;
}

inline void scripted_server::add(connection_script s)
{
    if (!state_->options.tls && !s.steps().empty() &&
        s.steps().front().kind == detail::scripted_io::step_kind::stall_handshake) {
        throw std::invalid_argument("llmio::testing::scripted_server::add: stall_handshake() needs a TLS server");
    }
    state_->scripts.push_back(std::move(s));
}

inline void scripted_server::stop() noexcept
{
    detail::scripted_io::scripted_state& s = *state_;
    s.stopped = true;
    std::error_code ignored;
    s.acceptor.close(ignored);
    // A connection leaves `live` when its coroutine frame ends, never inside close(); the copy
    // keeps this loop correct should that change.
    const std::vector<detail::scripted_io::connection_base*> open(s.live.begin(), s.live.end());
    for (detail::scripted_io::connection_base* c : open) {
        c->close();
    }
}

inline asio::ip::tcp::endpoint scripted_server::endpoint() const noexcept { return state_->bound; }

inline std::string scripted_server::ca_certificate_pem() const { return state_->pem.certificate; }

inline std::size_t scripted_server::accepted() const noexcept { return state_->accepted; }

inline std::size_t scripted_server::unscripted() const noexcept { return state_->unscripted; }

inline std::size_t scripted_server::open_connections() const noexcept { return state_->live.size(); }

inline const std::vector<std::string>& scripted_server::requests() const noexcept { return state_->requests; }

inline std::size_t scripted_server::finished_scripts() const noexcept { return state_->finished; }

inline std::vector<std::string> scripted_server::errors() const { return state_->errors; }

inline std::size_t scripted_server::pending_scripts() const noexcept { return state_->scripts.size(); }

inline const scripted_server_options& scripted_server::options() const noexcept { return state_->options; }

inline scripted_server::executor_type scripted_server::get_executor() const noexcept { return state_->executor; }

} // namespace llmio::testing

#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif

#endif // LLMIO_TESTING_IMPL_SCRIPTED_SERVER_HPP
