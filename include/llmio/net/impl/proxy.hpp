// Bodies of llmio/net/proxy.hpp.
#ifndef LLMIO_NET_IMPL_PROXY_HPP
#define LLMIO_NET_IMPL_PROXY_HPP

#include <llmio/http/request_writer.hpp>
#include <llmio/net/detail/base64.hpp>
#include <llmio/net/detail/ip_address.hpp>

#include <charconv>
#include <llmio/http/detail/chars.hpp>

#include <cstdlib>
#include <initializer_list>
#include <utility>

namespace llmio::net {
namespace detail {

// Host names and schemes compare case-insensitively in ASCII, as HTTP field names do.
using llmio::http::detail::iequals;

[[nodiscard]] constexpr bool is_ctl(char c) noexcept
{
    const auto u = static_cast<unsigned char>(c);
    return u < 0x20 || u == 0x7f;
}

/// A host name as it may appear in a URL authority and a CONNECT target: RFC 3986 unreserved
/// characters only (letters, digits, '-', '.', '_', '~'). No percent-escapes and no
/// sub-delims: DNS names need neither, and each is a way to make the proxy and us disagree
/// about which host is meant.
[[nodiscard]] constexpr bool is_host_name(std::string_view s) noexcept
{
    if (s.empty()) {
        return false;
    }
    for (const char c : s) {
        const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                        c == '-' || c == '.' || c == '_' || c == '~';
        if (!ok) {
            return false;
        }
    }
    return true;
}

/// 1-65535 in decimal (at most five digits, so "000443" is refused rather than read as 443).
[[nodiscard]] inline bool parse_port(std::string_view s, std::uint16_t& out) noexcept
{
    unsigned value = 0;
    if (s.empty() || s.size() > 5) {
        return false;
    }
    const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
    if (ec != std::errc{} || end != s.data() + s.size() || value == 0 || value > 65535) {
        return false;
    }
    out = static_cast<std::uint16_t>(value);
    return true;
}

/// Appends the percent-decoding of `in` (RFC 3986 §2.1) to `out`; false on a '%' not followed
/// by two hex digits.
[[nodiscard]] inline bool percent_decode(std::string_view in, std::string& out)
{
    for (std::size_t i = 0; i < in.size(); ++i) {
        if (in[i] != '%') {
            out.push_back(in[i]);
            continue;
        }
        if (i + 2 >= in.size()) {
            return false;
        }
        const int hi = hex_value(in[i + 1]);
        const int lo = hex_value(in[i + 2]);
        if (hi < 0 || lo < 0) {
            return false;
        }
        out.push_back(static_cast<char>(hi << 4 | lo));
        i += 2;
    }
    return true;
}

/// RFC 7617 §2: the user-id cannot contain ':' (the password starts at the first one) and
/// neither part may contain control characters.
[[nodiscard]] constexpr bool sendable_credentials(std::string_view user, std::string_view password) noexcept
{
    for (const char c : user) {
        if (c == ':' || is_ctl(c)) {
            return false;
        }
    }
    for (const char c : password) {
        if (is_ctl(c)) {
            return false;
        }
    }
    return true;
}

/// `host[:port]` or `[ipv6][:port]` of a URL, split (views into `authority`). False when the
/// host is not a DNS name or a bracketed IPv6 literal, or the text after it is not `:port`.
struct authority_parts {
    std::string_view host{};
    std::string_view port{};
    bool has_port = false;
};

[[nodiscard]] inline bool split_authority(std::string_view authority, authority_parts& out) noexcept
{
    out = {};
    if (authority.starts_with('[')) {
        const std::size_t close = authority.find(']');
        ipv6_bytes v6{};
        if (close == std::string_view::npos || !parse_ipv6(authority.substr(1, close - 1), v6)) {
            return false;
        }
        out.host = authority.substr(1, close - 1);
        const std::string_view after = authority.substr(close + 1);
        if (!after.empty()) {
            if (after.front() != ':') {
                return false;
            }
            out.has_port = true;
            out.port = after.substr(1);
        }
        return true;
    }
    out.host = authority;
    if (const std::size_t colon = authority.find(':'); colon != std::string_view::npos) {
        out.host = authority.substr(0, colon);
        out.has_port = true;
        out.port = authority.substr(colon + 1);
        if (out.port.find(':') != std::string_view::npos) {
            return false;   // an IPv6 literal without brackets
        }
    }
    return is_host_name(out.host);
}

/// The host of a no_proxy comparison or a CONNECT target, classified once.
struct host_literal {
    enum class kind { name, ipv4, ipv6 } what = kind::name;
    std::string_view name{};   // for kind::name, without one trailing '.'
    ipv4_bytes v4{};
    ipv6_bytes v6{};
};

[[nodiscard]] inline host_literal classify_host(std::string_view host) noexcept
{
    host_literal h;
    if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
        host = host.substr(1, host.size() - 2);
    }
    if (parse_ipv6(host, h.v6)) {
        h.what = host_literal::kind::ipv6;
    }
    else if (parse_ipv4(host, h.v4)) {
        h.what = host_literal::kind::ipv4;
    }
    else {
        if (!host.empty() && host.back() == '.') {
            host.remove_suffix(1);
        }
        h.name = host;
    }
    return h;
}

/// One NO_PROXY entry against a classified host (see net::bypass for the rules).
[[nodiscard]] inline bool no_proxy_entry_matches(std::string_view entry, const host_literal& host,
                                                 std::uint16_t port) noexcept
{
    if (entry == "*") {
        return true;
    }
    // Split off ":port": after a bracketed literal, or after a name or IPv4 (one ':' only;
    // several mean an unbracketed IPv6 literal, which cannot carry a port).
    std::string_view pattern = entry;
    std::string_view port_text{};
    bool has_port = false;
    if (entry.front() == '[') {
        const std::size_t close = entry.find(']');
        if (close == std::string_view::npos) {
            return false;
        }
        pattern = entry.substr(1, close - 1);
        const std::string_view rest = entry.substr(close + 1);
        if (!rest.empty()) {
            if (rest.front() != ':') {
                return false;
            }
            has_port = true;
            port_text = rest.substr(1);
        }
    }
    else if (const std::size_t colon = entry.find(':');
             colon != std::string_view::npos && entry.find(':', colon + 1) == std::string_view::npos) {
        pattern = entry.substr(0, colon);
        has_port = true;
        port_text = entry.substr(colon + 1);
    }
    if (has_port) {
        std::uint16_t want = 0;
        if (!parse_port(port_text, want) || want != port) {
            return false;
        }
    }
    // An address, optionally with a prefix length.
    std::string_view address = pattern;
    std::size_t bits = std::string_view::npos;
    if (const std::size_t slash = pattern.find('/'); slash != std::string_view::npos) {
        address = pattern.substr(0, slash);
        const std::string_view digits = pattern.substr(slash + 1);
        unsigned value = 0;
        const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
        if (digits.empty() || digits.size() > 3 || ec != std::errc{} || end != digits.data() + digits.size()) {
            return false;
        }
        bits = value;
    }
    if (ipv6_bytes v6{}; parse_ipv6(address, v6)) {
        const std::size_t n = bits == std::string_view::npos ? 128 : bits;
        return host.what == host_literal::kind::ipv6 && n <= 128 && same_prefix(host.v6, v6, n);
    }
    if (ipv4_bytes v4{}; parse_ipv4(address, v4)) {
        const std::size_t n = bits == std::string_view::npos ? 32 : bits;
        return host.what == host_literal::kind::ipv4 && n <= 32 && same_prefix(host.v4, v4, n);
    }
    if (bits != std::string_view::npos || host.what != host_literal::kind::name) {
        return false;
    }
    // A domain: the host itself or a subdomain (curl's tail match on a label boundary).
    if (pattern.starts_with("*.")) {
        pattern.remove_prefix(2);
    }
    else if (pattern.starts_with('.')) {
        pattern.remove_prefix(1);
    }
    if (pattern.ends_with('.')) {
        pattern.remove_suffix(1);
    }
    const std::string_view name = host.name;
    if (pattern.empty() || pattern.size() > name.size()) {
        return false;
    }
    if (pattern.size() == name.size()) {
        return iequals(pattern, name);
    }
    return name[name.size() - pattern.size() - 1] == '.' &&
           iequals(pattern, name.substr(name.size() - pattern.size()));
}

/// Calls `f(entry)` for each entry of a NO_PROXY list (separated by commas and blanks).
template <class F>
void for_each_no_proxy_entry(std::string_view list, F&& f)
{
    std::size_t at = 0;
    while (at < list.size()) {
        const std::size_t begin = list.find_first_not_of(", \t", at);
        if (begin == std::string_view::npos) {
            return;
        }
        std::size_t end = list.find_first_of(", \t", begin);
        if (end == std::string_view::npos) {
            end = list.size();
        }
        if (f(list.substr(begin, end - begin))) {
            return;
        }
        at = end;
    }
}

} // namespace detail

inline std::error_code parse_proxy_url(std::string_view url, proxy_config& out)
{
    for (const char c : url) {
        if (c == ' ' || detail::is_ctl(c)) {
            return error::bad_proxy_url;
        }
    }
    proxy_config config;
    config.port = 80;
    std::string_view rest = url;
    if (const std::size_t sep = url.find("://"); sep != std::string_view::npos) {
        const std::string_view scheme = url.substr(0, sep);
        if (scheme.empty()) {
            return error::bad_proxy_url;
        }
        if (detail::iequals(scheme, "https")) {
            config.port = 443;
            config.tls_to_proxy = true;
        }
        else if (!detail::iequals(scheme, "http")) {
            return error::unsupported_proxy_scheme;
        }
        rest = url.substr(sep + 3);
    }
    // The userinfo ends at the last '@': paths are refused below, so any '@' is userinfo's,
    // and a password with an unencoded '@', '/' or '#' still reads as the user meant.
    if (const std::size_t at = rest.rfind('@'); at != std::string_view::npos) {
        const std::string_view userinfo = rest.substr(0, at);
        const std::size_t colon = userinfo.find(':');
        if (!detail::percent_decode(userinfo.substr(0, colon), config.username) ||
            (colon != std::string_view::npos &&
             !detail::percent_decode(userinfo.substr(colon + 1), config.password))) {
            return error::bad_proxy_url;
        }
        if (!detail::sendable_credentials(config.username, config.password)) {
            return error::bad_proxy_credentials;
        }
        rest = rest.substr(at + 1);
    }
    if (rest.ends_with('/')) {
        rest.remove_suffix(1);
    }
    detail::authority_parts a;
    if (!detail::split_authority(rest, a)) {
        return error::bad_proxy_url;   // empty, a path, query, fragment, odd byte, bare IPv6
    }
    const std::string_view host = a.host;
    if (a.has_port && !detail::parse_port(a.port, config.port)) {
        return error::bad_port;
    }
    config.host.assign(host);
    out = std::move(config);
    return {};
}

template <environment_lookup Lookup>
proxy_settings from_environment(Lookup&& lookup, std::error_code& ec)
{
    ec = {};
    // curl_getenv: a variable set to "" is treated as unset, so the next name is tried.
    const auto first_set = [&](std::initializer_list<const char*> names) -> std::string_view {
        for (const char* name : names) {
            const char* value = lookup(name);
            if (value != nullptr && *value != '\0') {
                return value;
            }
        }
        return {};
    };
    proxy_settings settings;
    const auto take = [&](std::string_view value, std::optional<proxy_config>& slot) {
        if (value.empty()) {
            return;
        }
        proxy_config config;
        if (const std::error_code e = parse_proxy_url(value, config)) {
            if (!ec) {
                ec = e;
            }
            return;
        }
        slot = std::move(config);
    };
    take(first_set({"https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"}), settings.https);
    take(first_set({"http_proxy", "all_proxy", "ALL_PROXY"}), settings.http);
    detail::for_each_no_proxy_entry(first_set({"no_proxy", "NO_PROXY"}), [&](std::string_view entry) {
        settings.no_proxy.emplace_back(entry);
        return false;
    });
    return settings;
}

inline proxy_settings from_environment(std::error_code& ec)
{
    return from_environment([](const char* name) -> const char* { return std::getenv(name); }, ec);
}

inline bool bypass(const proxy_settings& settings, std::string_view host, std::uint16_t port)
{
    if (host.empty()) {
        return false;
    }
    const detail::host_literal h = detail::classify_host(host);
    bool matched = false;
    for (const std::string& list : settings.no_proxy) {
        detail::for_each_no_proxy_entry(list, [&](std::string_view entry) {
            matched = detail::no_proxy_entry_matches(entry, h, port);
            return matched;
        });
        if (matched) {
            return true;
        }
    }
    return false;
}

inline std::error_code write_connect_request(std::string& out, std::string_view host,
                                             std::uint16_t port, const proxy_config& proxy)
{
    out.clear();
    if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
        host = host.substr(1, host.size() - 2);
        if (detail::ipv6_bytes v6{}; !detail::parse_ipv6(host, v6)) {
            return error::bad_connect_host;
        }
    }
    detail::ipv6_bytes v6{};
    const bool ipv6 = detail::parse_ipv6(host, v6);
    if (!ipv6 && !detail::is_host_name(host)) {
        return error::bad_connect_host;
    }
    if (port == 0) {
        return error::bad_port;
    }
    const bool credentials = !proxy.username.empty() || !proxy.password.empty();
    if (credentials && !detail::sendable_credentials(proxy.username, proxy.password)) {
        return error::bad_proxy_credentials;
    }
    // The authority-form target (RFC 9112 §3.2.3) is also the Host value (RFC 9110 §9.3.6).
    // request_writer expresses all of it: the target is VCHAR, and finish_for_body(0) on a
    // method other than POST/PUT/PATCH writes no Content-Length (CONNECT has no content).
    std::string authority;
    char digits[8];
    const std::to_chars_result r = std::to_chars(digits, digits + sizeof digits, port);
    authority.reserve(host.size() + 8);
    if (ipv6) {
        authority.push_back('[');
    }
    authority.append(host);
    if (ipv6) {
        authority.push_back(']');
    }
    authority.push_back(':');
    authority.append(digits, static_cast<std::size_t>(r.ptr - digits));

    http::request_writer writer(out);
    writer.start("CONNECT", authority).header("Host", authority);
    if (credentials) {
        std::string value = "Basic ";
        std::string plain;
        plain.reserve(proxy.username.size() + 1 + proxy.password.size());
        plain.append(proxy.username).append(1, ':').append(proxy.password);
        detail::append_base64(value, plain);
        writer.header("Proxy-Authorization", value);
    }
    return writer.finish_for_body(0);
}

} // namespace llmio::net

#endif // LLMIO_NET_IMPL_PROXY_HPP
