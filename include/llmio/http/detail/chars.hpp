// llmio/http/detail/chars.hpp: the character classes of RFC 9110 / RFC 9112 as one 256-entry
// table, and the small string helpers the parser and the writer share. Not API.
#ifndef LLMIO_HTTP_DETAIL_CHARS_HPP
#define LLMIO_HTTP_DETAIL_CHARS_HPP

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace llmio::http::detail {

enum char_class : std::uint8_t {
    /// tchar (RFC 9110 §5.6.2): what tokens (field names, methods, codings) are made of.
    cc_tchar = 1,
    /// HTAB / SP / VCHAR / obs-text (RFC 9110 §5.5 field-content, RFC 9112 §4 reason-phrase).
    cc_field = 2,
    /// qdtext (RFC 9110 §5.6.4): HTAB / SP / %x21 / %x23-5B / %x5D-7E / obs-text.
    cc_qdtext = 4,
    /// HEXDIG.
    cc_hex = 8,
    /// VCHAR: the bytes a request-target may hold (RFC 9112 §3.2 forms are all VCHAR).
    cc_vchar = 16,
};

inline constexpr std::array<std::uint8_t, 256> char_table = [] {
    std::array<std::uint8_t, 256> t{};
    for (int c = 0; c < 256; ++c) {
        std::uint8_t v = 0;
        const bool vchar = c >= 0x21 && c <= 0x7e;
        const bool obs_text = c >= 0x80;
        const bool alnum = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
        if (alnum || std::string_view("!#$%&'*+-.^_`|~").find(static_cast<char>(c)) != std::string_view::npos) {
            v |= cc_tchar;
        }
        if (c == '\t' || c == ' ' || vchar || obs_text) {
            v |= cc_field;
        }
        if (c == '\t' || c == ' ' || c == 0x21 || (c >= 0x23 && c <= 0x5b) || (c >= 0x5d && c <= 0x7e) || obs_text) {
            v |= cc_qdtext;
        }
        if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')) {
            v |= cc_hex;
        }
        if (vchar) {
            v |= cc_vchar;
        }
        t[static_cast<std::size_t>(c)] = v;
    }
    return t;
}();

[[nodiscard]] constexpr bool is(char c, char_class k) noexcept
{
    return (char_table[static_cast<unsigned char>(c)] & k) != 0;
}

/// True when every byte of `s` is of class `k` (true for an empty `s`).
[[nodiscard]] constexpr bool all_of(std::string_view s, char_class k) noexcept
{
    for (const char c : s) {
        if (!is(c, k)) {
            return false;
        }
    }
    return true;
}

[[nodiscard]] constexpr bool is_token(std::string_view s) noexcept
{
    return !s.empty() && all_of(s, cc_tchar);
}

[[nodiscard]] constexpr bool is_ows(char c) noexcept
{
    return c == ' ' || c == '\t';
}

/// `s` without leading and trailing OWS (RFC 9110 §5.6.3).
[[nodiscard]] constexpr std::string_view trim_ows(std::string_view s) noexcept
{
    while (!s.empty() && is_ows(s.front())) {
        s.remove_prefix(1);
    }
    while (!s.empty() && is_ows(s.back())) {
        s.remove_suffix(1);
    }
    return s;
}

[[nodiscard]] constexpr char ascii_lower(char c) noexcept
{
    return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

/// ASCII case-insensitive equality: field names and codings are case-insensitive
/// (RFC 9110 §5.1, §10.1.4), and nothing else in them is.
[[nodiscard]] constexpr bool iequals(std::string_view a, std::string_view b) noexcept
{
    if (a.size() != b.size()) {
        return false;
    }
    for (std::size_t i = 0; i < a.size(); ++i) {
        if (ascii_lower(a[i]) != ascii_lower(b[i])) {
            return false;
        }
    }
    return true;
}

[[nodiscard]] constexpr unsigned hex_value(char c) noexcept
{
    if (c >= '0' && c <= '9') {
        return static_cast<unsigned>(c - '0');
    }
    return static_cast<unsigned>(ascii_lower(c) - 'a' + 10);
}

/// Calls `f(element)` for each non-empty element of a comma-separated list, trimmed of OWS
/// (RFC 9110 §5.6.1: recipients accept and ignore empty elements). Stops when `f` returns
/// false; returns false then.
template <class F>
constexpr bool for_each_list_element(std::string_view list, F&& f)
{
    while (!list.empty()) {
        const std::size_t comma = list.find(',');
        const std::string_view element = trim_ows(list.substr(0, comma));
        if (!element.empty() && !f(element)) {
            return false;
        }
        if (comma == std::string_view::npos) {
            break;
        }
        list.remove_prefix(comma + 1);
    }
    return true;
}

} // namespace llmio::http::detail

#endif // LLMIO_HTTP_DETAIL_CHARS_HPP
