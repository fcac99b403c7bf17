// llmio/net/proxy.hpp: which HTTP CONNECT proxy a connection goes through, and the CONNECT
// request that opens the tunnel. Sans-I/O: nothing here touches a socket.
//
// Users in regions where the API is blocked run a local proxy and point the usual variables
// at it; the client honours them as curl does (from_environment), or takes an explicit
// configuration:
//
//     std::error_code ec;
//     net::proxy_settings proxies = net::from_environment(ec);   // HTTPS_PROXY=http://127.0.0.1:7890
//     if (proxies.https && !net::bypass(proxies, host, 443)) {
//         std::string request;
//         ec = net::write_connect_request(request, host, 443, *proxies.https);
//         // connect to proxies.https->host:port, send `request`, expect a 2xx, then TLS to host
//     }
#ifndef LLMIO_NET_PROXY_HPP
#define LLMIO_NET_PROXY_HPP

#include <llmio/net/error.hpp>

#include <concepts>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

namespace llmio::net {

/// One proxy. `host` is a DNS name, an IPv4 address, or an IPv6 address without brackets.
struct proxy_config {
    std::string host{};
    std::uint16_t port = 0;
    /// Sent as `Proxy-Authorization: Basic` when either is non-empty. Plain text: kept only as
    /// long as the configuration lives.
    std::string username{};
    std::string password{};
    /// The connection to the proxy itself is TLS (an `https://` proxy URL). The tunnel inside
    /// carries the origin's own TLS either way.
    bool tls_to_proxy = false;
};

/// The proxies per target scheme, and the hosts that go direct.
struct proxy_settings {
    /// For https:// origins (the Gemini and OpenAI APIs).
    std::optional<proxy_config> https{};
    /// For plain http:// origins (a local mock server, a relay without TLS).
    std::optional<proxy_config> http{};
    /// NO_PROXY entries, one per element, as bypass() reads them (see there).
    std::vector<std::string> no_proxy{};
};

/// Parses `[scheme://][user[:password]@]host[:port][/]` into `out`.
///
/// - Schemes (case-insensitive): `http` (default port 80) and `https` (default port 443, sets
///   `tls_to_proxy`); no scheme means `http`, as in curl ("127.0.0.1:7890"). Any other scheme,
///   socks4/socks5/socks5h included, is error::unsupported_proxy_scheme.
/// - `user` and `password` are percent-decoded (`p%40ss` is "p@ss"); the userinfo ends at the
///   last '@' of the authority, so an unencoded '@' in a password still works.
/// - `host` is a DNS name, an IPv4 address or a bracketed IPv6 literal (`[::1]`, stored without
///   the brackets); the port is 1-65535 (error::bad_port otherwise, an empty port included).
/// - Nothing may follow but one '/': a path, query or fragment is error::bad_proxy_url rather
///   than silently dropped, and so are whitespace and control bytes anywhere.
///
/// On error `out` is left unchanged.
[[nodiscard]] inline std::error_code parse_proxy_url(std::string_view url, proxy_config& out);

/// A getenv-like function: the value of a variable, or nullptr when it is not set.
template <class F>
concept environment_lookup = requires(F& f, const char* name) {
    { f(name) } -> std::convertible_to<const char*>;
};

/// The proxy settings in the environment, read exactly as curl (lib/url.c detect_proxy,
/// lib/getenv.c) reads them:
///
/// - an empty variable counts as unset (curl_getenv returns NULL for "");
/// - https: `https_proxy`, else `HTTPS_PROXY`, else `all_proxy`, else `ALL_PROXY`;
/// - http:  `http_proxy`, else `all_proxy`, else `ALL_PROXY`. The upper-case `HTTP_PROXY` is
///   never read: a CGI program's environment gets `HTTP_PROXY` from the request's `Proxy:`
///   header, so a remote client could redirect the program's requests ("httpoxy",
///   CVE-2016-5385). curl refuses it for that reason and so do we;
/// - no_proxy: `no_proxy`, else `NO_PROXY`, split into entries at commas and blanks.
///
/// A value that does not parse (parse_proxy_url) sets `ec` and leaves that proxy unset; the
/// others are still read. Going direct when the user asked for a proxy (say a socks5:// URL,
/// which curl supports and we do not) must not go unnoticed, so check `ec`.
///
/// `lookup(name)` returns the variable's value or nullptr. The default reads std::getenv, which
/// races with a concurrent setenv: read the environment at start-up.
template <environment_lookup Lookup>
[[nodiscard]] proxy_settings from_environment(Lookup&& lookup, std::error_code& ec);

/// from_environment(std::getenv, ec).
[[nodiscard]] inline proxy_settings from_environment(std::error_code& ec);

/// True when a connection to `host`:`port` goes direct, by `settings.no_proxy`. Each entry is
/// matched as curl matches NO_PROXY (lib/noproxy.c), with extensions marked (+):
///
/// - `*` matches every host. (+) curl honours it only as the whole list; here any entry.
/// - A name, with or without a leading '.', matches the host itself and its subdomains:
///   `example.com` and `.example.com` both match `example.com` and `api.example.com`, never
///   `badexample.com`. Case-insensitive; one trailing '.' on either side is ignored.
///   (+) A leading `*.` counts as a leading '.' (other tools' NO_PROXY lists use it; in curl
///   such an entry never matches).
/// - An IPv4 or IPv6 literal matches the same address, only when the host is an address
///   literal too (no DNS lookups here); `10.0.0.0/8` and `fd00::/8` match by prefix. An IPv6
///   entry may be bracketed (`[::1]`), and so may the host.
/// - (+) `entry:port` (`[v6]:port` for IPv6) matches only connections to that port; curl
///   ignores entries with ports (they can never match there).
/// - (+) Entries may be separated by blanks as well as commas; curl stops reading the list at
///   the first blank that is not next to a comma.
///
/// Nothing is bypassed implicitly: `localhost`, `127.0.0.1` and `::1` go through the proxy
/// unless listed (curl's rule; some other clients skip the proxy for loopback on their own).
/// Malformed entries match nothing.
[[nodiscard]] inline bool bypass(const proxy_settings& settings, std::string_view host, std::uint16_t port);

/// Writes into `out` (cleared first, capacity kept) the request that asks `proxy` for a tunnel
/// to `host`:`port` (RFC 9110 §9.3.6, authority-form target of RFC 9112 §3.2.3):
///
///     CONNECT host:port HTTP/1.1\r\n
///     Host: host:port\r\n
///     Proxy-Authorization: Basic base64(user:password)\r\n     (when credentials exist)
///     \r\n
///
/// IPv6 hosts are bracketed (given with or without brackets). `host` must be a DNS name, an
/// IPv4 or an IPv6 literal (error::bad_connect_host: CR, LF, NUL, '@', '/', spaces... are
/// refused, never escaped), `port` not 0 (error::bad_port), and the credentials sendable by
/// RFC 7617 (error::bad_proxy_credentials). On error `out` is empty, so a half-written request
/// cannot be sent. Appending may throw std::bad_alloc.
[[nodiscard]] inline std::error_code write_connect_request(std::string& out, std::string_view host,
                                                          std::uint16_t port, const proxy_config& proxy);

} // namespace llmio::net

#include <llmio/net/impl/proxy.hpp>

#endif // LLMIO_NET_PROXY_HPP
