// Bodies of llmio/http/chunk_extensions.hpp.
#ifndef LLMIO_HTTP_IMPL_CHUNK_EXTENSIONS_HPP
#define LLMIO_HTTP_IMPL_CHUNK_EXTENSIONS_HPP

namespace llmio::http {

namespace detail {

/// The length of the quoted-string at the start of `s` (RFC 9110 §5.6.4), 0 when there is
/// none or it is unterminated.
[[nodiscard]] constexpr std::size_t quoted_string_length(std::string_view s) noexcept
{
    if (s.empty() || s.front() != '"') {
        return 0;
    }
    for (std::size_t i = 1; i < s.size(); ++i) {
        const char c = s[i];
        if (c == '"') {
            return i + 1;
        }
        if (c == '\\') {
            // quoted-pair = "\" ( HTAB / SP / VCHAR / obs-text ): the field class exactly.
            if (i + 1 >= s.size() || !is(s[i + 1], cc_field)) {
                return 0;
            }
            ++i;
        } else if (!is(c, cc_qdtext)) {
            return 0;
        }
    }
    return 0;
}

/// The length of the token at the start of `s`.
[[nodiscard]] constexpr std::size_t token_length(std::string_view s) noexcept
{
    std::size_t i = 0;
    while (i < s.size() && is(s[i], cc_tchar)) {
        ++i;
    }
    return i;
}

} // namespace detail

template <class F>
std::error_code for_each_chunk_extension(std::string_view raw, F&& f) noexcept(
    std::is_nothrow_invocable_v<F&, std::string_view, std::string_view>)
{
    while (!raw.empty()) {
        if (raw.front() != ';') {
            return error::bad_chunk_extension;
        }
        raw.remove_prefix(1);
        const std::size_t name_length = detail::token_length(raw);
        if (name_length == 0) {
            return error::bad_chunk_extension;   // ";" alone, as in "2;\r\n"
        }
        const std::string_view name = raw.substr(0, name_length);
        raw.remove_prefix(name_length);
        std::string_view value;
        if (!raw.empty() && raw.front() == '=') {
            raw.remove_prefix(1);
            const std::size_t value_length =
                !raw.empty() && raw.front() == '"' ? detail::quoted_string_length(raw) : detail::token_length(raw);
            if (value_length == 0) {
                return error::bad_chunk_extension;
            }
            value = raw.substr(0, value_length);
            raw.remove_prefix(value_length);
        }
        f(name, value);
    }
    return {};
}

} // namespace llmio::http

#endif // LLMIO_HTTP_IMPL_CHUNK_EXTENSIONS_HPP
