#ifndef LLMIO_NET_IMPL_CONNECTION_HPP
#define LLMIO_NET_IMPL_CONNECTION_HPP

#include <llmio/detail/io_executor.hpp>

#include <asio/io_context.hpp>
#include <asio/ssl/error.hpp>

#include <openssl/bio.h>
#include <openssl/err.h>

#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <type_traits>

namespace llmio::net {
namespace detail {

// A BIO on a non-blocking socket: recv, and send with MSG_NOSIGNAL (OpenSSL's own socket BIO
// uses write(), which raises SIGPIPE on a closed connection). EAGAIN becomes a retry, which
// SSL_get_error() reports as WANT_READ / WANT_WRITE; other errors keep errno for the caller.
inline int socket_bio_write(BIO* bio, const char* data, int size)
{
    auto* state = static_cast<socket_bio_data*>(BIO_get_data(bio));
    BIO_clear_retry_flags(bio);
    const ssize_t n = ::send(state->fd, data, static_cast<std::size_t>(size), MSG_NOSIGNAL);
    if (n >= 0) {
        return static_cast<int>(n);
    }
    if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) {
        BIO_set_retry_write(bio);
    }
    else {
        state->last_errno = errno;
    }
    return -1;
}

inline int socket_bio_read(BIO* bio, char* data, int size)
{
    auto* state = static_cast<socket_bio_data*>(BIO_get_data(bio));
    BIO_clear_retry_flags(bio);
    const ssize_t n = ::recv(state->fd, data, static_cast<std::size_t>(size), 0);
    if (n >= 0) {
        return static_cast<int>(n);
    }
    if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) {
        BIO_set_retry_read(bio);
    }
    else {
        state->last_errno = errno;
    }
    return -1;
}

inline long socket_bio_ctrl(BIO*, int command, long, void*)
{
    return command == BIO_CTRL_FLUSH ? 1 : 0;
}

inline int socket_bio_create(BIO* bio)
{
    BIO_set_init(bio, 1);
    return 1;
}

/// asio::post, through the concrete io_context executor when `ex` holds one: Asio's
/// type-erased execute() would wrap the handler in a function object allocated from a small
/// per-thread cache, which misses when many operations are in flight.
template <class Handler>
void post_to(const asio::any_io_executor& ex, Handler&& handler)
{
    if (const auto* io = llmio::detail::io_executor_of(ex)) {
        asio::post(*io, std::forward<Handler>(handler));
    }
    else {
        asio::post(ex, std::forward<Handler>(handler));
    }
}

/// The method table, made once per process and never changed (not mutable global state).
inline BIO_METHOD* socket_bio_method()
{
    static BIO_METHOD* const method = [] {
        BIO_METHOD* m = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "llmio socket");
        if (m != nullptr) {
            BIO_meth_set_write(m, &socket_bio_write);
            BIO_meth_set_read(m, &socket_bio_read);
            BIO_meth_set_ctrl(m, &socket_bio_ctrl);
            BIO_meth_set_create(m, &socket_bio_create);
        }
        return m;
    }();
    return method;
}

} // namespace detail

inline connection::~connection()
{
    if (ssl_ != nullptr) {
        SSL_free(ssl_);
    }
}

inline std::error_code connection::start_tls(const tls_context& context, std::string_view host,
                                             const std::string* session_key)
{
    std::error_code ec;
    if (ssl_ != nullptr) {
        SSL_free(ssl_);
        ssl_ = nullptr;
    }
    socket_.non_blocking(true, ec);
    if (ec) {
        return ec;
    }
    SSL* ssl = context.new_session(host, session_key, ec);
    if (ssl == nullptr) {
        return ec;
    }
    BIO* bio = BIO_new(detail::socket_bio_method());
    if (bio == nullptr) {
        SSL_free(ssl);
        return detail::last_ssl_error();
    }
    bio_ = {socket_.native_handle(), 0};
    BIO_set_data(bio, &bio_);
    SSL_set_bio(ssl, bio, bio);   // the SSL owns the BIO
    ssl_ = ssl;
    return {};
}

inline std::error_code connection::classify_ssl_failure(int ret, int ssl_error) noexcept
{
    if (ssl_error == SSL_ERROR_ZERO_RETURN) {
        return asio::error::eof;   // close_notify: a clean end
    }
    if (ssl_error == SSL_ERROR_SSL) {
        if (const long verify = SSL_get_verify_result(ssl_); verify != X509_V_OK) {
            ERR_clear_error();
            return {static_cast<int>(verify), tls_verify_category()};
        }
        return detail::last_ssl_error();
    }
    if (ssl_error == SSL_ERROR_SYSCALL) {
        if (ERR_peek_error() != 0) {
            return detail::last_ssl_error();
        }
        if (bio_.last_errno != 0) {
            return {bio_.last_errno, std::system_category()};
        }
        (void)ret;
        // The TCP connection ended without close_notify (RFC 8446 §6.1: a truncation).
        return asio::ssl::error::stream_truncated;
    }
    return detail::last_ssl_error();
}

// Each TLS operation calls OpenSSL, and on WANT_READ / WANT_WRITE waits for the socket and
// tries again. An operation that finishes without waiting completes through a post, never
// inside its initiating function.
struct connection::handshake_op {
    connection& c;
    bool waited = false;
    bool deliver = false;
    std::error_code result{};

    template <class Self>
    void operator()(Self& self, std::error_code ec = {})
    {
        if (deliver) {
            return self.complete(result);
        }
        if (ec) {
            return self.complete(ec);
        }
        if (c.ssl_ == nullptr) {
            return finish(self, asio::error::bad_descriptor);
        }
        ERR_clear_error();
        c.bio_.last_errno = 0;
        const int r = SSL_connect(c.ssl_);
        if (r == 1) {
            return finish(self, {});
        }
        const int e = SSL_get_error(c.ssl_, r);
        if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
            waited = true;
            return c.socket_.async_wait(e == SSL_ERROR_WANT_READ ? socket_type::wait_read : socket_type::wait_write,
                                        std::move(self));
        }
        std::error_code failure = c.classify_ssl_failure(r, e);
        if (failure == asio::ssl::error::stream_truncated || failure == asio::error::eof) {
            failure = error::connection_closed;   // the peer hung up during the handshake
        }
        finish(self, failure);
    }

    template <class Self>
    void finish(Self& self, std::error_code ec)
    {
        if (waited) {
            return self.complete(ec);
        }
        deliver = true;
        result = ec;
        detail::post_to(c.socket_.get_executor(), std::move(self));
    }
};

/// SSL_read (`Read`) or SSL_write: the same state machine, the same waits.
template <bool Read>
struct connection::io_op {
    using buffer_type = std::conditional_t<Read, asio::mutable_buffer, asio::const_buffer>;
    connection& c;
    buffer_type buffer;
    bool waited = false;
    bool deliver = false;
    std::error_code result{};
    std::size_t bytes = 0;

    template <class Self>
    void operator()(Self& self, std::error_code ec = {})
    {
        if (deliver) {
            return self.complete(result, bytes);
        }
        if (ec) {
            return self.complete(ec, 0);
        }
        if (c.ssl_ == nullptr) {
            return finish(self, asio::error::bad_descriptor, 0);
        }
        if (buffer.size() == 0) {
            return finish(self, {}, 0);
        }
        ERR_clear_error();
        c.bio_.last_errno = 0;
        const int size = static_cast<int>(std::min<std::size_t>(buffer.size(), INT_MAX));
        int r = 0;
        if constexpr (Read) {
            r = SSL_read(c.ssl_, buffer.data(), size);
        }
        else {
            r = SSL_write(c.ssl_, buffer.data(), size);
        }
        if (r > 0) {
            return finish(self, {}, static_cast<std::size_t>(r));
        }
        const int e = SSL_get_error(c.ssl_, r);
        if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
            waited = true;
            return c.socket_.async_wait(e == SSL_ERROR_WANT_READ ? socket_type::wait_read : socket_type::wait_write,
                                        std::move(self));
        }
        finish(self, c.classify_ssl_failure(r, e), 0);
    }

    template <class Self>
    void finish(Self& self, std::error_code ec, std::size_t n)
    {
        if (waited) {
            return self.complete(ec, n);
        }
        deliver = true;
        result = ec;
        bytes = n;
        detail::post_to(c.socket_.get_executor(), std::move(self));
    }
};

template <class CompletionToken>
auto connection::async_handshake(CompletionToken&& token)
{
    return asio::async_compose<CompletionToken, void(std::error_code)>(handshake_op{*this}, token, socket_);
}

template <class MutableBufferSequence, class CompletionToken>
auto connection::async_read_some(const MutableBufferSequence& buffers, CompletionToken&& token)
{
    if (ssl_ == nullptr) {
        return socket_.async_read_some(buffers, std::forward<CompletionToken>(token));
    }
    const asio::mutable_buffer first = *asio::buffer_sequence_begin(buffers);
    return asio::async_compose<CompletionToken, void(std::error_code, std::size_t)>(io_op<true>{*this, first}, token,
                                                                                    socket_);
}

template <class ConstBufferSequence, class CompletionToken>
auto connection::async_write_some(const ConstBufferSequence& buffers, CompletionToken&& token)
{
    if (ssl_ == nullptr) {
        return socket_.async_write_some(buffers, std::forward<CompletionToken>(token));
    }
    const asio::const_buffer first = *asio::buffer_sequence_begin(buffers);
    return asio::async_compose<CompletionToken, void(std::error_code, std::size_t)>(io_op<false>{*this, first}, token,
                                                                                    socket_);
}

inline bool connection::usable_after_idle()
{
    if (!socket_.is_open()) {
        return false;
    }
    char byte = 0;
    const ssize_t n = ::recv(socket_.native_handle(), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
    if (n == 0) {
        return false;   // the peer closed
    }
    if (n < 0) {
        return errno == EAGAIN || errno == EWOULDBLOCK;
    }
    if (ssl_ == nullptr) {
        return false;   // bytes nobody asked for: the connection is out of step
    }
    // TLS records arrived while idle: a session ticket or a key update is fine (it is consumed
    // here), a close_notify, an alert or application data is not.
    char sink[64];
    for (;;) {
        ERR_clear_error();
        bio_.last_errno = 0;
        const int r = SSL_read(ssl_, sink, sizeof sink);
        if (r > 0) {
            return false;
        }
        const int e = SSL_get_error(ssl_, r);
        ERR_clear_error();
        return e == SSL_ERROR_WANT_READ;
    }
}

inline bool connection::shrink_idle_buffers() noexcept
{
    return ssl_ != nullptr && SSL_free_buffers(ssl_) == 1;
}

inline void connection::close(bool graceful) noexcept
{
    if (ssl_ != nullptr) {
        if (graceful && socket_.is_open()) {
            ERR_clear_error();
            (void)SSL_shutdown(ssl_);   // queues close_notify; never waits for the peer's
            ERR_clear_error();
        }
        SSL_free(ssl_);
        ssl_ = nullptr;
    }
    std::error_code ignored;
    socket_.close(ignored);
}

} // namespace llmio::net

#endif // LLMIO_NET_IMPL_CONNECTION_HPP
