// llmio/net/detail/ip_address.hpp: IPv4 and IPv6 literals parsed from text, and prefix
// (CIDR) comparison, without the socket headers (the proxy rules are sans-I/O). Not API.
#ifndef LLMIO_NET_DETAIL_IP_ADDRESS_HPP
#define LLMIO_NET_DETAIL_IP_ADDRESS_HPP

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace llmio::net::detail {

using ipv4_bytes = std::array<std::uint8_t, 4>;
using ipv6_bytes = std::array<std::uint8_t, 16>;

/// Dotted-quad only ("10.0.0.1"): four decimal parts of at most 255, no leading zeros. The
/// shorthand forms inet_aton accepts ("10.1", "0x0a.0.0.1", "010.0.0.1") are refused, as
/// inet_pton refuses them: they are how "10.0.0.1" gets past a list that names it.
[[nodiscard]] constexpr bool parse_ipv4(std::string_view s, ipv4_bytes& out) noexcept
{
    std::size_t i = 0;
    for (std::size_t part = 0; part < 4; ++part) {
        if (part > 0) {
            if (i >= s.size() || s[i] != '.') {
                return false;
            }
            ++i;
        }
        const std::size_t begin = i;
        unsigned value = 0;
        while (i < s.size() && s[i] >= '0' && s[i] <= '9' && i - begin < 3) {
            value = value * 10 + static_cast<unsigned>(s[i] - '0');
            ++i;
        }
        const std::size_t digits = i - begin;
        if (digits == 0 || value > 255 || (digits > 1 && s[begin] == '0')) {
            return false;
        }
        out[part] = static_cast<std::uint8_t>(value);
    }
    return i == s.size();
}

[[nodiscard]] constexpr int hex_value(char c) noexcept
{
    return c >= '0' && c <= '9'   ? c - '0'
           : c >= 'a' && c <= 'f' ? c - 'a' + 10
           : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                  : -1;
}

/// The text forms of RFC 4291 §2.2: eight groups of 1-4 hex digits, one "::" standing for one
/// or more zero groups, and an optional dotted-quad tail. Zone identifiers ("%eth0") are
/// refused: they name an interface of this machine, not an address.
[[nodiscard]] constexpr bool parse_ipv6(std::string_view s, ipv6_bytes& out) noexcept
{
    std::array<std::uint16_t, 8> groups{};
    std::size_t count = 0;
    std::size_t gap = 8;   // index of the group "::" stands before; 8 when there is none
    std::size_t i = 0;
    if (s.size() >= 2 && s[0] == ':' && s[1] == ':') {
        gap = 0;
        i = 2;
    }
    else if (s.empty() || s[0] == ':') {
        return false;
    }
    while (i < s.size()) {
        if (count == 8) {
            return false;
        }
        std::size_t end = s.find(':', i);
        const std::string_view token = s.substr(i, end == std::string_view::npos ? s.size() - i : end - i);
        if (end == std::string_view::npos && token.find('.') != std::string_view::npos) {
            ipv4_bytes v4{};
            if (count > 6 || !parse_ipv4(token, v4)) {
                return false;
            }
            groups[count++] = static_cast<std::uint16_t>(v4[0] << 8 | v4[1]);
            groups[count++] = static_cast<std::uint16_t>(v4[2] << 8 | v4[3]);
            break;
        }
        if (token.empty() || token.size() > 4) {
            return false;
        }
        unsigned value = 0;
        for (const char c : token) {
            const int h = hex_value(c);
            if (h < 0) {
                return false;
            }
            value = value << 4 | static_cast<unsigned>(h);
        }
        groups[count++] = static_cast<std::uint16_t>(value);
        if (end == std::string_view::npos) {
            break;
        }
        i = end + 1;
        if (i < s.size() && s[i] == ':') {
            if (gap != 8) {
                return false;   // a second "::"
            }
            gap = count;
            ++i;
        }
        else if (i == s.size()) {
            return false;       // a single trailing ':'
        }
    }
    if (gap == 8 ? count != 8 : count == 8) {
        return false;
    }
    // Groups after the gap move to the end; the gap is zeros.
    std::array<std::uint16_t, 8> full{};
    const std::size_t tail = gap == 8 ? 0 : count - gap;
    for (std::size_t k = 0; k < count - tail; ++k) {
        full[k] = groups[k];
    }
    for (std::size_t k = 0; k < tail; ++k) {
        full[8 - tail + k] = groups[gap + k];
    }
    for (std::size_t k = 0; k < 8; ++k) {
        out[2 * k] = static_cast<std::uint8_t>(full[k] >> 8);
        out[2 * k + 1] = static_cast<std::uint8_t>(full[k] & 0xff);
    }
    return true;
}

/// True when the first `bits` bits of `a` and `b` are equal (`bits` <= 8 * N).
template <std::size_t N>
[[nodiscard]] constexpr bool same_prefix(const std::array<std::uint8_t, N>& a,
                                         const std::array<std::uint8_t, N>& b, std::size_t bits) noexcept
{
    std::size_t k = 0;
    for (; bits >= 8; bits -= 8, ++k) {
        if (a[k] != b[k]) {
            return false;
        }
    }
    if (bits == 0) {
        return true;
    }
    const auto mask = static_cast<std::uint8_t>(0xff << (8 - bits));
    return ((a[k] ^ b[k]) & mask) == 0;
}

} // namespace llmio::net::detail

#endif // LLMIO_NET_DETAIL_IP_ADDRESS_HPP
