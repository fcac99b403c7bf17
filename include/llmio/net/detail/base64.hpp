// llmio/net/detail/base64.hpp: the base64 encoding of RFC 4648 §4 (standard alphabet, '='
// padding), which Basic authentication uses for "user:password" (RFC 7617 §2). Not API.
#ifndef LLMIO_NET_DETAIL_BASE64_HPP
#define LLMIO_NET_DETAIL_BASE64_HPP

#include <cstddef>
#include <string>
#include <string_view>

namespace llmio::net::detail {

/// The length of the encoding of `n` bytes: 4 characters per started group of 3.
[[nodiscard]] constexpr std::size_t base64_size(std::size_t n) noexcept
{
    return (n + 2) / 3 * 4;
}

/// Appends the base64 encoding of `in` to `out`.
inline void append_base64(std::string& out, std::string_view in)
{
    static constexpr char alphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    out.reserve(out.size() + base64_size(in.size()));
    std::size_t i = 0;
    const auto byte = [&](std::size_t at) { return static_cast<unsigned>(static_cast<unsigned char>(in[at])); };
    for (; i + 3 <= in.size(); i += 3) {
        const unsigned v = byte(i) << 16 | byte(i + 1) << 8 | byte(i + 2);
        out.push_back(alphabet[v >> 18 & 63]);
        out.push_back(alphabet[v >> 12 & 63]);
        out.push_back(alphabet[v >> 6 & 63]);
        out.push_back(alphabet[v & 63]);
    }
    const std::size_t rest = in.size() - i;
    if (rest == 0) {
        return;
    }
    const unsigned v = byte(i) << 16 | (rest == 2 ? byte(i + 1) << 8 : 0u);
    out.push_back(alphabet[v >> 18 & 63]);
    out.push_back(alphabet[v >> 12 & 63]);
    out.push_back(rest == 2 ? alphabet[v >> 6 & 63] : '=');
    out.push_back('=');
}

} // namespace llmio::net::detail

#endif // LLMIO_NET_DETAIL_BASE64_HPP
