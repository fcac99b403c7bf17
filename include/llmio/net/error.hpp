// llmio/net/error.hpp: what can go wrong in the transport layer's own checks, as error codes.
//
// Today these are all about proxy configuration: the caller (or the environment) handed us
// something that cannot be used, so every code answers `llmio::condition::invalid_input`
// (error.hpp). Socket and TLS failures keep Asio's and OpenSSL's own codes.
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
        }
        return "unknown llmio.net error";
    }

    [[nodiscard]] bool equivalent(int code, const std::error_condition& cond) const noexcept override
    {
        if (cond.category() != condition_category()) {
            return false;
        }
        switch (static_cast<error>(code)) {
        case error::bad_proxy_url:
        case error::unsupported_proxy_scheme:
        case error::bad_port:
        case error::bad_connect_host:
        case error::bad_proxy_credentials:
            return static_cast<condition>(cond.value()) == condition::invalid_input;
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
