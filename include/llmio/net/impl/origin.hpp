#ifndef LLMIO_NET_IMPL_ORIGIN_HPP
#define LLMIO_NET_IMPL_ORIGIN_HPP

#include <llmio/net/detail/ip_address.hpp>
#include <llmio/net/proxy.hpp>

namespace llmio::net {

inline std::string origin::authority() const
{
    std::string out;
    const bool v6 = host.find(':') != std::string::npos;
    out.reserve(host.size() + 8);
    if (v6) {
        out += '[';
    }
    out += host;
    if (v6) {
        out += ']';
    }
    if (port != (tls ? 443 : 80)) {
        out += ':';
        out += std::to_string(port);
    }
    return out;
}

inline std::error_code parse_base_url(std::string_view url, base_url& out)
{
    for (const char c : url) {
        if (c == ' ' || detail::is_ctl(c) || c == '?' || c == '#' || c == '@' || c == '\\') {
            return error::bad_url;
        }
    }
    base_url result;
    std::string_view rest;
    if (url.size() > 8 && detail::iequals(url.substr(0, 8), "https://")) {
        result.origin.tls = true;
        result.origin.port = 443;
        rest = url.substr(8);
    }
    else if (url.size() > 7 && detail::iequals(url.substr(0, 7), "http://")) {
        result.origin.tls = false;
        result.origin.port = 80;
        rest = url.substr(7);
    }
    else {
        return error::bad_url;
    }
    const std::size_t slash = rest.find('/');
    std::string_view authority = rest.substr(0, slash);
    std::string_view path = slash == std::string_view::npos ? std::string_view{} : rest.substr(slash);
    while (path.ends_with('/')) {
        path.remove_suffix(1);
    }
    if (path.find("//") != std::string_view::npos || path.find("/../") != std::string_view::npos ||
        path.ends_with("/..") || path.find("/./") != std::string_view::npos || path.ends_with("/.")) {
        return error::bad_url;   // a prefix that a server would normalise into another path
    }
    detail::authority_parts a;
    if (!detail::split_authority(authority, a)) {
        return error::bad_url;
    }
    if (a.has_port && !detail::parse_port(a.port, result.origin.port)) {
        return error::bad_port;
    }
    const std::string_view host = a.host;
    result.origin.host.assign(host);
    result.path_prefix.assign(path);
    out = std::move(result);
    return {};
}

} // namespace llmio::net

#endif // LLMIO_NET_IMPL_ORIGIN_HPP
