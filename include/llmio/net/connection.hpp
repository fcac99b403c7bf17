// llmio/net/connection.hpp: one TCP connection, plaintext or TLS, as an Asio AsyncStream on the
// caller's executor.
//
// TLS does not use asio::ssl::stream: that keeps four 17 KB buffers per connection (about 84 KB
// with OpenSSL's own), far over the 40 KiB budget of an idle pooled connection. Here OpenSSL
// reads and writes the non-blocking socket itself through a minimal BIO (send with
// MSG_NOSIGNAL, recv), and an operation that gets SSL_ERROR_WANT_READ / WANT_WRITE waits for
// readiness with `socket.async_wait`. The only buffers are OpenSSL's record buffers (the write
// buffer sized by tls_options::max_send_fragment). HACKING.md has the measured numbers.
//
// Thread safety: none; use it from one thread or strand. At most one read and one write
// operation may be outstanding at a time (as for asio::ssl::stream).
#ifndef LLMIO_NET_CONNECTION_HPP
#define LLMIO_NET_CONNECTION_HPP

#include <llmio/net/error.hpp>
#include <llmio/net/tls_context.hpp>

#include <asio/any_io_executor.hpp>
#include <asio/async_result.hpp>
#include <asio/buffer.hpp>
#include <asio/compose.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/post.hpp>

#include <openssl/ssl.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <system_error>

namespace llmio::net {
namespace detail {

/// What the socket BIO of a TLS connection needs: the descriptor, and the errno of its last
/// failed call (SSL_ERROR_SYSCALL leaves it to the BIO to know).
struct socket_bio_data {
    int fd = -1;
    int last_errno = 0;
};

} // namespace detail

class connection {
public:
    using executor_type = asio::any_io_executor;
    using socket_type = asio::ip::tcp::socket;
    using clock = std::chrono::steady_clock;

    explicit connection(executor_type ex) : socket_(std::move(ex)) {}
    ~connection();
    connection(const connection&) = delete;
    connection& operator=(const connection&) = delete;

    [[nodiscard]] executor_type get_executor() noexcept { return socket_.get_executor(); }
    [[nodiscard]] socket_type& socket() noexcept { return socket_; }
    /// The OpenSSL object once start_tls() succeeded; nullptr for plaintext.
    [[nodiscard]] SSL* native_handle() const noexcept { return ssl_; }
    [[nodiscard]] bool is_tls() const noexcept { return ssl_ != nullptr; }
    [[nodiscard]] bool is_open() const noexcept { return socket_.is_open(); }

    /// Prepares TLS on the connected socket: the SSL object for `host` (SNI and the name to
    /// verify), a cached session for `session_key` (which must outlive the connection), and
    /// the socket BIO. Call async_handshake() next.
    [[nodiscard]] std::error_code start_tls(const tls_context& context, std::string_view host,
                                            const std::string* session_key);

    /// Performs the TLS client handshake.
    ///
    /// Completes when the handshake is done or failed. Completion signature
    /// `void(std::error_code)`: a certificate refused by verification gives an error in
    /// tls_verify_category() (expired, self-signed, host name mismatch...), other failures
    /// Asio's ssl category or the socket's error. Cancellation: the slot of the handler is
    /// forwarded to the socket wait; a cancelled handshake leaves the connection unusable.
    template <class CompletionToken>
    auto async_handshake(CompletionToken&& token);

    /// Reads some bytes: AsyncReadStream. TLS: a clean close_notify gives asio::error::eof, a
    /// close without it asio::ssl::error::stream_truncated (the caller decides whether that
    /// truncated anything). Only the first buffer of the sequence is used.
    template <class MutableBufferSequence, class CompletionToken>
    auto async_read_some(const MutableBufferSequence& buffers, CompletionToken&& token);

    /// Writes some bytes: AsyncWriteStream (use asio::async_write for all of them).
    template <class ConstBufferSequence, class CompletionToken>
    auto async_write_some(const ConstBufferSequence& buffers, CompletionToken&& token);

    /// Whether a connection that sat idle is still fit to carry a request: the peer has not
    /// closed it (or reset it), and sent nothing unexpected. Non-blocking; TLS records that
    /// arrived meanwhile (a session ticket, a key update) are processed.
    [[nodiscard]] bool usable_after_idle();

    /// Closes at once; a pending operation completes with operation_aborted. `graceful`: send
    /// TLS close_notify first (best effort, never waits).
    void close(bool graceful = false) noexcept;

    /// Releases OpenSSL's record buffers while the connection is idle (they come back on the
    /// next read or write). Returns whether it did (not when bytes are pending inside).
    bool shrink_idle_buffers() noexcept;

    // ---- Bookkeeping for the pool ----------------------------------------------------------
    clock::time_point created{};
    clock::time_point last_used{};
    std::uint32_t requests = 0;

private:
    [[nodiscard]] std::error_code classify_ssl_failure(int ret, int ssl_error) noexcept;

    socket_type socket_;
    SSL* ssl_ = nullptr;
    detail::socket_bio_data bio_{};

public:
    // Internal: the state machines of the TLS operations (see impl/connection.hpp).
    struct handshake_op;
    template <bool Read>
    struct io_op;
};

} // namespace llmio::net

#include <llmio/net/impl/connection.hpp>

#endif // LLMIO_NET_CONNECTION_HPP
