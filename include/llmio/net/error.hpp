// llmio/net/error.hpp: what can go wrong in the transport layer's own checks, as error codes.
//
// Two kinds: configuration the caller (or the environment) handed us that cannot be used
// (`condition::invalid_input`), and what happened to a connection or an exchange: time limits
// (`condition::timeout`), a peer or proxy that closed or refused (`condition::network`).
// Socket errors keep the system's codes (ECONNREFUSED, ECONNRESET... also match
// `condition::network`), OpenSSL's keep Asio's ssl category, certificate verification failures
// have their own category (tls_verify_category(): the X509_V_ERR_* value and OpenSSL's text).
#ifndef LLMIO_NET_ERROR_HPP
#define LLMIO_NET_ERROR_HPP

#include <llmio/error.hpp>

#include <string>
#include <system_error>

namespace llmio::net {

enum class error {
    /// A proxy URL is not `[scheme://][user[:password]@]host[:port][/]`: empty, no host, a
    /// path, query or fragment, a malformed percent-escape, whitespace or a control byte, an
    /// unclosed or invalid IPv6 literal.
    bad_proxy_url = 1,
    /// The proxy URL's scheme is neither `http` nor `https` (socks4, socks5, socks5h, ... are
    /// not spoken by this client).
    unsupported_proxy_scheme,
    /// A port is empty, not decimal, 0, or above 65535.
    bad_port,
    /// The host to CONNECT to is not a DNS name, an IPv4 address or an IPv6 literal: it would
    /// be written into the request line and the Host field, so anything that could change
    /// their meaning ('@', '/', whitespace, CR, LF, ...) is refused.
    bad_connect_host,
    /// Proxy credentials that Basic authentication cannot carry (RFC 7617 §2): a user-id with
    /// ':' or a control byte in the user-id or the password.
    bad_proxy_credentials,
    /// A base URL is not `http[s]://host[:port][/prefix]`.
    bad_url,

    // ---- Time limits (condition::timeout) --------------------------------------------------
    /// The TCP connection (to the origin or the proxy) was not made within connect_timeout.
    connect_timeout = 100,
    /// The TLS handshake (or the proxy's CONNECT answer) did not finish within handshake_timeout.
    handshake_timeout,
    /// The response head did not arrive within head_timeout of the request being written.
    head_timeout,
    /// No body byte arrived for idle_timeout.
    idle_timeout,
    /// The exchange's total deadline passed.
    deadline_exceeded,
    /// No pooled connection became free before the deadline (all max_connections busy).
    pool_timeout,

    // ---- The peer (condition::network) -----------------------------------------------------
    /// The server closed the connection before sending any byte of a response.
    connection_closed = 200,
    /// The proxy answered the CONNECT request with a status other than 2xx (not 407).
    proxy_refused,
    /// The proxy answered 407: its credentials are missing or wrong (also condition::auth).
    proxy_auth_required,
    /// The proxy's answer to CONNECT is not HTTP (also condition::protocol_error).
    bad_proxy_response,
    /// The pool was shut down while the operation waited.
    pool_closed,
    /// A TLS connection ended without close_notify where only the close marks the end of the
    /// body (RFC 8446 §6.1): the body may have been cut by an attacker. Also condition::truncated.
    tls_truncated,
    /// An HTTPS proxy (TLS to the proxy itself) was configured: this client speaks plain HTTP
    /// to its proxy, then TLS through the tunnel.
    unsupported_proxy,
};

namespace detail {

class error_category_impl final : public std::error_category {
public:
    [[nodiscard]] const char* name() const noexcept override { return "llmio.net"; }

    [[nodiscard]] std::string message(int ev) const override
    {
        switch (static_cast<error>(ev)) {
        case error::bad_proxy_url: return "malformed proxy URL";
        case error::unsupported_proxy_scheme: return "unsupported proxy scheme (only http and https)";
        case error::bad_port: return "invalid port";
        case error::bad_connect_host: return "invalid host for a CONNECT request";
        case error::bad_proxy_credentials: return "proxy credentials cannot be sent with Basic authentication";
        case error::bad_url: return "malformed base URL (expected http[s]://host[:port][/prefix])";
        case error::connect_timeout: return "connect timed out";
        case error::handshake_timeout: return "TLS handshake (or proxy CONNECT) timed out";
        case error::head_timeout: return "timed out waiting for the response head";
        case error::idle_timeout: return "the response stalled (no bytes within the idle timeout)";
        case error::deadline_exceeded: return "the request's total deadline passed";
        case error::pool_timeout: return "timed out waiting for a free connection in the pool";
        case error::connection_closed: return "the server closed the connection before responding";
        case error::proxy_refused: return "the proxy refused the CONNECT tunnel";
        case error::proxy_auth_required: return "the proxy requires authentication (407): check the proxy credentials";
        case error::bad_proxy_response: return "the proxy's answer to CONNECT is not HTTP";
        case error::pool_closed: return "the connection pool was shut down";
        case error::tls_truncated: return "the TLS connection closed without close_notify before the body was complete";
        case error::unsupported_proxy: return "HTTPS proxies are not supported: use an http:// proxy URL (the tunnel is still TLS end to end)";
        }
        return "unknown llmio.net error";
    }

    [[nodiscard]] bool equivalent(int code, const std::error_condition& cond) const noexcept override
    {
        if (cond.category() != condition_category()) {
            return false;
        }
        const auto c = static_cast<condition>(cond.value());
        switch (static_cast<error>(code)) {
        case error::bad_proxy_url:
        case error::unsupported_proxy_scheme:
        case error::bad_port:
        case error::bad_connect_host:
        case error::bad_proxy_credentials:
        case error::bad_url:
            return c == condition::invalid_input;
        case error::connect_timeout:
        case error::handshake_timeout:
        case error::head_timeout:
        case error::idle_timeout:
        case error::pool_timeout:
            return c == condition::timeout || c == condition::retryable;
        case error::deadline_exceeded:
            return c == condition::timeout;
        case error::connection_closed:
            return c == condition::network || c == condition::retryable;
        case error::proxy_refused:
        case error::pool_closed:
            return c == condition::network;
        case error::tls_truncated:
            return c == condition::network || c == condition::truncated;
        case error::unsupported_proxy:
            return c == condition::invalid_input;
        case error::proxy_auth_required:
            return c == condition::network || c == condition::auth;
        case error::bad_proxy_response:
            return c == condition::network || c == condition::protocol_error;
        }
        return false;
    }
};

} // namespace detail

/// The category of `llmio::net::error` ("llmio.net").
[[nodiscard]] inline const std::error_category& error_category() noexcept
{
    static const detail::error_category_impl category;
    return category;
}

[[nodiscard]] inline std::error_code make_error_code(error e) noexcept
{
    return {static_cast<int>(e), error_category()};
}

} // namespace llmio::net

template <>
struct std::is_error_code_enum<llmio::net::error> : std::true_type {};

#endif // LLMIO_NET_ERROR_HPP
