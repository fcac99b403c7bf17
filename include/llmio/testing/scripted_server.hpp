// llmio/testing/scripted_server.hpp: a raw loopback server for transport fault tests. Each
// accepted connection plays the next script from a queue, step by step, at the byte level.
//
// The Gemini mock server (mock_server.hpp) misbehaves the way the service does; the transport
// must also survive servers that misbehave in exact ways at the HTTP and TLS level: a 204 with
// Content-Length followed by another response, 1xx before the final response, HTTP/1.0
// answers, an idle connection closed, a reset after the request was read, a 401 answered
// while the request body is still being written, a TLS handshake that never completes, a TLS
// close without close_notify. Scripts say exactly that and nothing more:
//
//     asio::io_context io;
//     llmio::testing::scripted_server server(io.get_executor());
//     server.add(llmio::testing::connection_script()
//                    .read_head()
//                    .write("HTTP/1.1 401 Unauthorized\r\nContent-Length: 0\r\n\r\n")
//                    .drain(1s)      // a lingering close: the client's body write completes
//                    .close());
//     const asio::ip::tcp::endpoint at = server.start();   // 127.0.0.1, a free port
//     // ... the client under test connects to `at` ...
//     // server.requests()[0] is the request head as received; server.errors() is empty.
//
// Threads: none of its own. Everything runs on the executor given to the constructor; nothing
// blocks (the TLS certificate is made once, in start()). The server is not thread-safe: call
// its members from the executor's thread, or when the executor is not running.
#ifndef LLMIO_TESTING_SCRIPTED_SERVER_HPP
#define LLMIO_TESTING_SCRIPTED_SERVER_HPP

#include <llmio/testing/mock_server.hpp>   // certificate_options

#include <asio/any_io_executor.hpp>
#include <asio/ip/tcp.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

namespace llmio::testing {

namespace detail::scripted_io {

enum class step_kind : std::uint8_t {
    read_request,
    read_head,
    read_body,
    write,
    write_slowly,
    pause,
    drain,
    stall,
    close,
    close_without_notify,
    reset,
    await_eof,
    stall_handshake,
};

/// One step of a script: what to do, the bytes to write, the time it takes or may take.
struct step {
    step_kind kind = step_kind::pause;
    std::string bytes;
    std::chrono::steady_clock::duration time{0};
};

struct scripted_state;

} // namespace detail::scripted_io

/// What one connection does, in order. Built with the chained members below, then handed to
/// scripted_server::add(); nothing happens until a connection runs it. Each step starts when
/// the previous one has completed; a step that fails (the peer closed or reset too early, a
/// malformed request, ...) ends the connection at once (the socket is closed, no close_notify)
/// and is recorded in scripted_server::errors(). When the last step is not one of close(),
/// close_without_notify(), reset() or stall_handshake(), close() follows it.
///
/// Reads share one buffer per connection: bytes read past what a step needed (a pipelined
/// request, the body after read_head()) stay there for the next reading step.
///
/// A step added after close(), close_without_notify(), reset() or stall_handshake(), and a
/// stall_handshake() that is not the first step, are mistakes in the test: the member throws
/// std::logic_error.
class connection_script {
public:
    /// Reads one HTTP/1.1 request: the head up to the empty line, then the body framed by
    /// Content-Length or by `Transfer-Encoding: chunked` (chunks, last-chunk, trailers; RFC
    /// 9112 §7.1), none when neither is present. Records the raw bytes (head and body exactly
    /// as received) in scripted_server::requests(). Completes when the request is complete.
    /// Fails when the stream ends first, when the framing is malformed (a Content-Length that
    /// is not a number, a bad chunk-size line), or past 64 MiB.
    connection_script& read_request();
    /// Reads only the request head (up to and including the empty line) and records it; the
    /// body stays unread. Completes when the empty line has arrived.
    connection_script& read_head();
    /// Reads the body that the head of the last read_head() announces (as read_request()
    /// would) and appends it to that head's record in scripted_server::requests(): with
    /// read_head() and a write of "HTTP/1.1 100 Continue\r\n\r\n" between, it answers
    /// `Expect: 100-continue`. Fails when no read_head() came before on this connection.
    connection_script& read_body();
    /// Writes `bytes` (whatever they are: no framing is added). Completes when all are
    /// written to the socket (TLS: encrypted and written).
    connection_script& write(std::string bytes);
    /// Writes `bytes` one at a time, waiting `per_byte` before each (one TLS record each):
    /// the last byte leaves at least size() * per_byte after the step started.
    connection_script& write_slowly(std::string bytes, std::chrono::steady_clock::duration per_byte);
    /// Does nothing for `d`, reading nothing.
    connection_script& pause(std::chrono::steady_clock::duration d);
    /// Reads and discards (the buffered bytes too) until the peer closes or `at_most` has
    /// passed, whichever comes first; neither is an error. Before a close, this is the
    /// lingering close of RFC 9112 §9.6: the client's write completes and the kernel does not
    /// answer its unread bytes with a reset. A reset from the peer fails the step.
    connection_script& drain(std::chrono::steady_clock::duration at_most);
    /// Does nothing visible until the peer closes or the server stops; what the peer sends is
    /// read and discarded (so its writes never block). Completes, without error, either way.
    connection_script& stall();
    /// A graceful close: TLS close_notify (not waiting for the peer's), then FIN and close.
    /// Bytes the peer sent that were never read make the kernel send a reset instead of the
    /// FIN: drain() first when the peer may still be writing. Ends the script.
    connection_script& close();
    /// TLS: closes the TCP socket without close_notify, which a TLS client must report as a
    /// truncation (asio::ssl::error::stream_truncated). Plaintext: the same as close(). Ends
    /// the script.
    connection_script& close_without_notify();
    /// Sets SO_LINGER {on, 0 s} and closes: the kernel sends RST and the peer's next read or
    /// write fails with ECONNRESET (asio::error::connection_reset). Ends the script.
    connection_script& reset();
    /// Reads and discards until the peer closes (end of stream; for TLS also a close without
    /// close_notify). Fails when `at_most` passes first: the test expected the client to close.
    connection_script& await_eof(std::chrono::steady_clock::duration at_most);
    /// TLS servers only (scripted_server::add() throws std::invalid_argument otherwise), and
    /// only as the first step: accepts TCP but never answers the ClientHello. What the client
    /// sends is read and discarded until it closes or the server stops. Ends the script.
    connection_script& stall_handshake();

    /// The steps so far, in order.
    [[nodiscard]] const std::vector<detail::scripted_io::step>& steps() const noexcept { return steps_; }

private:
    using kind = detail::scripted_io::step_kind;
    connection_script& add(detail::scripted_io::step s);

    std::vector<detail::scripted_io::step> steps_;
};

struct scripted_server_options {
    /// The address to bind; loopback by default so tests never listen on the network.
    std::string address = "127.0.0.1";
    /// 0: the system picks a free port.
    std::uint16_t port = 0;
    /// Serve TLS (1.2+, ALPN http/1.1 when the client offers it) with a certificate made at
    /// start(). Every script then begins with the server handshake, unless it begins with
    /// stall_handshake(); a failed handshake is recorded in errors().
    bool tls = false;
    /// The TLS certificate, made by the same code as the mock server's (its defaults are valid
    /// for `localhost` and 127.0.0.1).
    certificate_options certificate{};
};

class scripted_server {
public:
    using executor_type = asio::any_io_executor;

    /// A server that will run on `ex`. Nothing is bound before start().
    explicit scripted_server(executor_type ex, scripted_server_options options = {});
    /// stop(). Coroutines still pending on the executor hold the server's state and finish on
    /// their own (they see closed sockets).
    ~scripted_server();
    scripted_server(const scripted_server&) = delete;
    scripted_server& operator=(const scripted_server&) = delete;

    /// Makes the certificate (TLS), binds `options.address:options.port`, listens and starts
    /// accepting on the executor. Returns the bound endpoint (the real port when 0 was asked).
    /// Once per server: a second call fails with asio::error::already_started.
    [[nodiscard]] asio::ip::tcp::endpoint start(std::error_code& ec);
    /// The same; throws std::system_error.
    asio::ip::tcp::endpoint start();

    /// Queues `s`: the Nth connection accepted runs the Nth script added (scripts added before
    /// or after start() alike). A connection accepted when no script is left is closed at once
    /// and counted in unscripted(). Throws std::invalid_argument for stall_handshake() on a
    /// server without TLS.
    void add(connection_script s);

    /// Closes the acceptor and every connection and cancels their timers: every pending
    /// operation completes on the executor with operation_aborted, and `io_context::run()`
    /// returns when they have (and nothing else runs). A step interrupted this way is not an
    /// error, and its script is not counted as finished (except stall() and
    /// stall_handshake(), which end this way by design). Idempotent.
    void stop() noexcept;

    /// The endpoint start() bound; unspecified before.
    [[nodiscard]] asio::ip::tcp::endpoint endpoint() const noexcept;
    /// TLS: the certificate in PEM, to trust as a CA (asio::ssl::context::
    /// add_certificate_authority); made by start(), "" before and without TLS.
    [[nodiscard]] std::string ca_certificate_pem() const;
    /// TCP connections accepted since start(), scripted or not.
    [[nodiscard]] std::size_t accepted() const noexcept;
    /// Connections accepted when no script was left (closed at once).
    [[nodiscard]] std::size_t unscripted() const noexcept;
    /// Connections currently open.
    [[nodiscard]] std::size_t open_connections() const noexcept;
    /// The raw requests read by read_request() and read_head() (with read_body(): head and
    /// body), exactly as received, in the order they completed. The reference is valid for the
    /// server's lifetime; elements are appended (and a head grows by its body) as scripts run.
    [[nodiscard]] const std::vector<std::string>& requests() const noexcept;
    /// Scripts that ran every step to completion, the closing one included.
    [[nodiscard]] std::size_t finished_scripts() const noexcept;
    /// One line per failed script or TLS handshake: "connection N, step I (kind): what".
    [[nodiscard]] std::vector<std::string> errors() const;
    /// Scripts added and not yet taken by a connection.
    [[nodiscard]] std::size_t pending_scripts() const noexcept;
    [[nodiscard]] const scripted_server_options& options() const noexcept;
    [[nodiscard]] executor_type get_executor() const noexcept;

private:
    std::shared_ptr<detail::scripted_io::scripted_state> state_;
};

} // namespace llmio::testing

#include <llmio/testing/impl/scripted_server.hpp>

#endif // LLMIO_TESTING_SCRIPTED_SERVER_HPP
