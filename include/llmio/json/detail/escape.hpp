// llmio/json/detail/escape.hpp: JSON string escaping (RFC 8259 section 7). Not API.
#ifndef LLMIO_JSON_DETAIL_ESCAPE_HPP
#define LLMIO_JSON_DETAIL_ESCAPE_HPP

#include <array>
#include <cstddef>
#include <string>
#include <string_view>

namespace llmio::json::detail {

/// For each byte, the character after the backslash of its short escape; 'u' for the control
/// characters that only have the `\u00XX` form; 0 for bytes that pass through unchanged.
/// RFC 8259 section 7 requires escaping only `"`, `\` and U+0000..U+001F; everything else,
/// including U+007F and the JavaScript line terminators U+2028/U+2029, is legal as is.
inline constexpr std::array<char, 256> escape_table = [] {
    std::array<char, 256> t{};
    for (std::size_t c = 0; c < 0x20; ++c) {
        t[c] = 'u';
    }
    t['\b'] = 'b';
    t['\f'] = 'f';
    t['\n'] = 'n';
    t['\r'] = 'r';
    t['\t'] = 't';
    t['"'] = '"';
    t['\\'] = '\\';
    return t;
}();

/// Appends `s` to `out` as the inside of a JSON string (no quotes). `s` must already be valid
/// UTF-8: bytes >= 0x80 are copied unchanged. Runs of plain bytes are copied with one append
/// each, so typical text costs one append per escape plus one.
inline void append_escaped(std::string& out, std::string_view s)
{
    static constexpr char hex[] = "0123456789abcdef";
    const char* run = s.data();
    const char* const end = s.data() + s.size();
    for (const char* p = run; p != end; ++p) {
        const auto byte = static_cast<unsigned char>(*p);
        const char escape = escape_table[byte];
        if (escape == 0) {
            continue;
        }
        out.append(run, static_cast<std::size_t>(p - run));
        if (escape == 'u') {
            const char unicode[] = {'\\', 'u', '0', '0', hex[byte >> 4], hex[byte & 0xf]};
            out.append(unicode, sizeof unicode);
        } else {
            const char short_form[] = {'\\', escape};
            out.append(short_form, sizeof short_form);
        }
        run = p + 1;
    }
    out.append(run, static_cast<std::size_t>(end - run));
}

} // namespace llmio::json::detail

#endif // LLMIO_JSON_DETAIL_ESCAPE_HPP
