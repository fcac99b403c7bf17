// llmio/net/origin.hpp: where requests go. An origin (scheme, host, port) is what the pool keys
// connections by; a base URL adds the path prefix a relay endpoint puts in front of the API's
// paths (`https://relay.example.com/gemini` + `/v1beta/models/...`). Sans-I/O.
#ifndef LLMIO_NET_ORIGIN_HPP
#define LLMIO_NET_ORIGIN_HPP

#include <llmio/net/error.hpp>

#include <cstdint>
#include <string>
#include <string_view>
#include <system_error>

namespace llmio::net {

/// Scheme, host and port (RFC 6454). `host` is a DNS name, an IPv4 address, or an IPv6 address
/// without brackets; names compare as given (the caller lower-cases if it must).
struct origin {
    bool tls = true;
    std::string host{};
    std::uint16_t port = 443;

    /// `host[:port]` as the Host field and a CONNECT target write it: the port only when it is
    /// not the scheme's default, IPv6 bracketed.
    [[nodiscard]] std::string authority() const;

    friend bool operator==(const origin&, const origin&) = default;
};

/// A base URL taken apart: the origin, and the path prefix ("" or "/something", no trailing
/// '/') that goes before each request's path.
struct base_url {
    net::origin origin{};
    std::string path_prefix{};
};

/// Parses `http[s]://host[:port][/prefix[/]]`. No userinfo, query or fragment (a key in a URL
/// ends up in logs: keys go in headers). error::bad_url, or error::bad_port.
[[nodiscard]] inline std::error_code parse_base_url(std::string_view url, base_url& out);

} // namespace llmio::net

#include <llmio/net/impl/origin.hpp>

#endif // LLMIO_NET_ORIGIN_HPP
