// llmio/net/tls_context.hpp: the client's TLS configuration (OpenSSL), made once and shared by
// every connection of a pool: trust, protocol floor, ALPN, and the session cache that lets a
// reconnect skip the full handshake.
//
// Secure by default: the peer's certificate chain and its name (DNS name, or IP address for an
// IP literal) are verified, SNI is sent, TLS 1.2 is the minimum, ALPN offers only `http/1.1`.
// Trust comes from the system store (OpenSSL's default paths, which honour the `SSL_CERT_FILE`
// and `SSL_CERT_DIR` environment variables), plus any CA file, directory or in-memory PEM the
// options add. Turning verification off takes `dangerously_skip_verification`, named so that it
// cannot pass review unnoticed.
//
//     net::tls_context tls({.ca_pem = server.ca_certificate_pem()});  // trust a test CA as well
//
// Thread safety: the context may be shared by pools on several threads after construction;
// its session cache is not synchronised, so share one context per thread (or per strand).
#ifndef LLMIO_NET_TLS_CONTEXT_HPP
#define LLMIO_NET_TLS_CONTEXT_HPP

#include <llmio/net/error.hpp>

#include <openssl/ssl.h>

#include <cstddef>
#include <map>
#include <string>
#include <string_view>
#include <system_error>

namespace llmio::net {

struct tls_options {
    /// Trust the system's CA store (OpenSSL's default verify paths; `SSL_CERT_FILE` and
    /// `SSL_CERT_DIR` replace them when set).
    bool system_trust = true;
    /// Also trust the CA certificates in this PEM file / this hashed directory ("" = none).
    std::string ca_file{};
    std::string ca_dir{};
    /// Also trust the CA certificates in this PEM text (one or more certificates).
    std::string ca_pem{};
    /// DANGER: accept any certificate for any name. Whoever sits between the client and the
    /// server then reads and changes everything, API keys included. Only for a throw-away local
    /// test server; never for a real endpoint. Off by default.
    bool dangerously_skip_verification = false;
    /// Resume TLS sessions (tickets) when reconnecting to the same origin.
    bool session_resumption = true;
    /// Largest TLS record the client sends, which is also the size of OpenSSL's write buffer
    /// per connection (512-16384). Requests are small; 4 KiB keeps an idle connection small.
    std::size_t max_send_fragment = 4096;
};

/// Failures of certificate verification: the X509_V_ERR_* value, with OpenSSL's text as the
/// message ("certificate has expired", "Hostname mismatch", ...). Matches condition::network.
[[nodiscard]] const std::error_category& tls_verify_category() noexcept;

class tls_context {
public:
    /// Builds the OpenSSL context. Throws std::system_error when a trust source cannot be read
    /// (a missing ca_file, an unparsable ca_pem): a client that silently trusted less than asked
    /// would fail later with a confusing certificate error.
    explicit tls_context(const tls_options& options = {});
    /// The same, reporting through `ec` instead (the context is then unusable).
    tls_context(const tls_options& options, std::error_code& ec);
    ~tls_context();
    tls_context(const tls_context&) = delete;
    tls_context& operator=(const tls_context&) = delete;

    [[nodiscard]] SSL_CTX* native_handle() const noexcept { return ctx_; }
    [[nodiscard]] const tls_options& options() const noexcept { return options_; }

    /// Creates the SSL object for a connection to `host` (SNI for a DNS name; the name or IP
    /// address to verify), offering a cached session for `session_key` when there is one.
    /// Returns nullptr and sets `ec` on failure.
    [[nodiscard]] SSL* new_session(std::string_view host, const std::string* session_key,
                                   std::error_code& ec) const;

    /// Sessions remembered for resumption (one per origin, the newest ticket).
    [[nodiscard]] std::size_t cached_sessions() const noexcept { return sessions_.size(); }

private:
    std::error_code init();
    static int on_new_session(SSL* ssl, SSL_SESSION* session);

    tls_options options_;
    SSL_CTX* ctx_ = nullptr;
    mutable std::map<std::string, SSL_SESSION*, std::less<>> sessions_;
};

} // namespace llmio::net

#include <llmio/net/impl/tls_context.hpp>

#endif // LLMIO_NET_TLS_CONTEXT_HPP
