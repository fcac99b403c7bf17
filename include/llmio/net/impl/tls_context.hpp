#ifndef LLMIO_NET_IMPL_TLS_CONTEXT_HPP
#define LLMIO_NET_IMPL_TLS_CONTEXT_HPP

#include <llmio/net/detail/ip_address.hpp>

#include <asio/ssl/error.hpp>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include <climits>

namespace llmio::net {
namespace detail {

class tls_verify_category_impl final : public std::error_category {
public:
    [[nodiscard]] const char* name() const noexcept override { return "llmio.tls.verify"; }
    [[nodiscard]] std::string message(int ev) const override
    {
        return std::string("certificate verification failed: ") + X509_verify_cert_error_string(ev);
    }
    [[nodiscard]] bool equivalent(int, const std::error_condition& cond) const noexcept override
    {
        return cond == condition::network;
    }
};

/// The newest OpenSSL error of this thread as an error code in Asio's ssl category (whose
/// message is OpenSSL's text), or `fallback` when the queue is empty.
[[nodiscard]] inline std::error_code last_ssl_error(std::error_code fallback = asio::error::no_recovery)
{
    const unsigned long e = ERR_get_error();
    ERR_clear_error();
    if (e == 0) {
        return fallback;
    }
    return {static_cast<int>(e), asio::error::get_ssl_category()};
}

/// Index of the SSL ex_data slot that points at the session key (a std::string of the pool's).
inline int session_key_index()
{
    static const int index = SSL_get_ex_new_index(0, nullptr, nullptr, nullptr, nullptr);
    return index;
}

inline int context_index()
{
    static const int index = SSL_CTX_get_ex_new_index(0, nullptr, nullptr, nullptr, nullptr);
    return index;
}

} // namespace detail

inline const std::error_category& tls_verify_category() noexcept
{
    static const detail::tls_verify_category_impl category;
    return category;
}

inline tls_context::tls_context(const tls_options& options)
    : options_(options)
{
    if (const std::error_code ec = init()) {
        SSL_CTX_free(ctx_);   // no destructor runs for a constructor that throws
        throw std::system_error(ec, "llmio::net::tls_context");
    }
}

inline tls_context::tls_context(const tls_options& options, std::error_code& ec)
    : options_(options)
{
    ec = init();
}

inline tls_context::~tls_context()
{
    for (auto& [key, session] : sessions_) {
        SSL_SESSION_free(session);
    }
    SSL_CTX_free(ctx_);
}

inline std::error_code tls_context::init()
{
    ERR_clear_error();
    ctx_ = SSL_CTX_new(TLS_client_method());
    if (ctx_ == nullptr) {
        return detail::last_ssl_error();
    }
    SSL_CTX_set_ex_data(ctx_, detail::context_index(), this);
    if (SSL_CTX_set_min_proto_version(ctx_, TLS1_2_VERSION) != 1) {
        return detail::last_ssl_error();
    }
    // Renegotiation is off by default in OpenSSL 3; compression too. Partial writes let a write
    // return after each record, as async_write_some must; the buffer may move between retries.
    SSL_CTX_set_mode(ctx_, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
    std::size_t fragment = options_.max_send_fragment;
    fragment = fragment < 512 ? 512 : (fragment > 16384 ? 16384 : fragment);
    SSL_CTX_set_max_send_fragment(ctx_, static_cast<long>(fragment));
    static constexpr unsigned char alpn[] = {8, 'h', 't', 't', 'p', '/', '1', '.', '1'};
    if (SSL_CTX_set_alpn_protos(ctx_, alpn, sizeof alpn) != 0) {
        return detail::last_ssl_error();
    }
    if (options_.dangerously_skip_verification) {
        SSL_CTX_set_verify(ctx_, SSL_VERIFY_NONE, nullptr);
    }
    else {
        SSL_CTX_set_verify(ctx_, SSL_VERIFY_PEER, nullptr);
        if (options_.system_trust && SSL_CTX_set_default_verify_paths(ctx_) != 1) {
            return detail::last_ssl_error();
        }
        if (!options_.ca_file.empty() || !options_.ca_dir.empty()) {
            const char* file = options_.ca_file.empty() ? nullptr : options_.ca_file.c_str();
            const char* dir = options_.ca_dir.empty() ? nullptr : options_.ca_dir.c_str();
            if (SSL_CTX_load_verify_locations(ctx_, file, dir) != 1) {
                return detail::last_ssl_error(std::make_error_code(std::errc::no_such_file_or_directory));
            }
        }
        if (!options_.ca_pem.empty()) {
            if (options_.ca_pem.size() > INT_MAX) {
                return std::make_error_code(std::errc::invalid_argument);
            }
            BIO* bio = BIO_new_mem_buf(options_.ca_pem.data(), static_cast<int>(options_.ca_pem.size()));
            if (bio == nullptr) {
                return detail::last_ssl_error();
            }
            X509_STORE* store = SSL_CTX_get_cert_store(ctx_);
            int added = 0;
            while (X509* cert = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr)) {
                const int ok = X509_STORE_add_cert(store, cert);
                X509_free(cert);
                if (ok != 1) {
                    BIO_free(bio);
                    return detail::last_ssl_error();
                }
                ++added;
            }
            BIO_free(bio);
            ERR_clear_error();   // the loop ends on "no start line"
            if (added == 0) {
                return std::make_error_code(std::errc::invalid_argument);
            }
        }
    }
    if (options_.session_resumption) {
        // The client keeps its own cache (one session per origin): OpenSSL's internal client
        // cache cannot be looked up by origin.
        SSL_CTX_set_session_cache_mode(ctx_, SSL_SESS_CACHE_CLIENT | SSL_SESS_CACHE_NO_INTERNAL_STORE);
        SSL_CTX_sess_set_new_cb(ctx_, &tls_context::on_new_session);
    }
    else {
        SSL_CTX_set_session_cache_mode(ctx_, SSL_SESS_CACHE_OFF);
        SSL_CTX_set_options(ctx_, SSL_OP_NO_TICKET);
    }
    return {};
}

inline int tls_context::on_new_session(SSL* ssl, SSL_SESSION* session)
{
    auto* self = static_cast<tls_context*>(SSL_CTX_get_ex_data(SSL_get_SSL_CTX(ssl), detail::context_index()));
    const auto* key = static_cast<const std::string*>(SSL_get_ex_data(ssl, detail::session_key_index()));
    if (self == nullptr || key == nullptr) {
        return 0;
    }
    auto it = self->sessions_.find(*key);
    if (it == self->sessions_.end()) {
        self->sessions_.emplace(*key, session);
    }
    else {
        SSL_SESSION_free(it->second);
        it->second = session;
    }
    return 1;   // we keep the reference
}

inline SSL* tls_context::new_session(std::string_view host, const std::string* session_key,
                                     std::error_code& ec) const
{
    ERR_clear_error();
    SSL* ssl = SSL_new(ctx_);
    if (ssl == nullptr) {
        ec = detail::last_ssl_error();
        return nullptr;
    }
    const std::string name(host);
    detail::ipv4_bytes v4{};
    detail::ipv6_bytes v6{};
    const bool ip = detail::parse_ipv4(host, v4) || detail::parse_ipv6(host, v6);
    bool ok = true;
    if (!ip) {
        ok = SSL_set_tlsext_host_name(ssl, name.c_str()) == 1;   // SNI: names only (RFC 6066 §3)
    }
    if (ok && !options_.dangerously_skip_verification) {
        if (ip) {
            ok = X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), name.c_str()) == 1;
        }
        else {
            SSL_set_hostflags(ssl, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
            ok = SSL_set1_host(ssl, name.c_str()) == 1;
        }
    }
    if (ok && session_key != nullptr && options_.session_resumption) {
        SSL_set_ex_data(ssl, detail::session_key_index(), const_cast<std::string*>(session_key));
        if (auto it = sessions_.find(*session_key); it != sessions_.end()) {
            ok = SSL_set_session(ssl, it->second) == 1;
        }
    }
    if (!ok) {
        ec = detail::last_ssl_error();
        SSL_free(ssl);
        return nullptr;
    }
    ec = {};
    return ssl;
}

} // namespace llmio::net

#endif // LLMIO_NET_IMPL_TLS_CONTEXT_HPP
