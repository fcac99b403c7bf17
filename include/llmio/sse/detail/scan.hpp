// llmio/sse/detail/scan.hpp: the byte-level pieces of the event-stream parser. Not API.
#ifndef LLMIO_SSE_DETAIL_SCAN_HPP
#define LLMIO_SSE_DETAIL_SCAN_HPP

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>
#include <optional>
#include <string_view>

namespace llmio::sse::detail {

/// The UTF-8 byte order mark; the decoder the WHATWG algorithm runs first removes one at the
/// start of the stream ("UTF-8 decode" strips a leading BOM), and only there.
inline constexpr std::string_view utf8_bom = "\xEF\xBB\xBF";

/// The offset of the first CR or LF in [first, last), or `last - first` when there is none
/// (WHATWG "end-of-line = ( cr lf / cr / lf )").
///
/// memchr is the fastest scan the C library has (vectorised in glibc), but it looks for one
/// byte. Searching LF over the whole rest of the input and then CR before it would rescan the
/// rest for every line of a CR-only stream (quadratic on hostile input). So the rest is searched
/// in windows that double in size: inside a window, LF first, then CR only before the LF found.
/// Every byte is read at most twice, and the bytes read past the terminator are bounded by the
/// window, which is at most the bytes already scanned plus 256: linear time in every case.
[[nodiscard]] inline std::size_t find_line_end(const char* first, const char* last) noexcept
{
    std::size_t window = 256;
    const char* p = first;
    while (p != last) {
        const std::size_t left = static_cast<std::size_t>(last - p);
        const std::size_t span = left < window ? left : window;
        const void* lf = std::memchr(p, '\n', span);
        const std::size_t before_lf =
            lf != nullptr ? static_cast<std::size_t>(static_cast<const char*>(lf) - p) : span;
        if (const void* cr = std::memchr(p, '\r', before_lf)) {
            return static_cast<std::size_t>(static_cast<const char*>(cr) - first);
        }
        if (lf != nullptr) {
            return static_cast<std::size_t>(static_cast<const char*>(lf) - first);
        }
        p += span;
        window *= 2;
    }
    return static_cast<std::size_t>(last - first);
}

/// One line split into field name and value (WHATWG "Interpreting an event stream": the name
/// runs to the first U+003A COLON, or is the whole line when there is none, then the value is
/// empty; a single U+0020 SPACE after the colon is removed, a TAB is not).
struct field {
    std::string_view name;
    std::string_view value;
};

[[nodiscard]] inline field split_field(std::string_view line) noexcept
{
    const void* colon = std::memchr(line.data(), ':', line.size());
    if (colon == nullptr) {
        return {line, line.substr(line.size())};   // empty, but still pointing into the line
    }
    const auto at = static_cast<std::size_t>(static_cast<const char*>(colon) - line.data());
    std::string_view value = line.substr(at + 1);
    if (!value.empty() && value.front() == ' ') {
        value.remove_prefix(1);
    }
    return {line.substr(0, at), value};
}

/// Data lines are recognised by their first five bytes, "data:", as soon as those have arrived,
/// so that their value can go straight to the data buffer. `head` is the start of a line seen
/// in earlier inputs, `more` the bytes that follow it. Returns how many bytes of `more` complete
/// "data:" when `head` is shorter than that and `head + more` begins with it; else npos.
[[nodiscard]] inline std::size_t data_tag_end(std::string_view head, std::string_view more) noexcept
{
    constexpr std::string_view tag = "data:";
    if (head.size() >= tag.size() || tag.substr(0, head.size()) != head) {
        return std::string_view::npos;
    }
    const std::size_t need = tag.size() - head.size();
    if (more.size() < need || more.substr(0, need) != tag.substr(head.size())) {
        return std::string_view::npos;
    }
    return need;
}

/// The `retry` field (WHATWG): "If the field value consists of only ASCII digits, then interpret
/// the field value as an integer in base ten ... Otherwise, ignore the field." An empty value and
/// one too large for 64 bits are ignored too (browsers parse it as an unsigned 64-bit integer
/// and drop it when that fails).
[[nodiscard]] inline std::optional<std::uint64_t> parse_retry(std::string_view value) noexcept
{
    if (value.empty()) {
        return std::nullopt;
    }
    std::uint64_t result = 0;
    constexpr std::uint64_t max = std::numeric_limits<std::uint64_t>::max();
    for (const char c : value) {
        if (c < '0' || c > '9') {
            return std::nullopt;
        }
        const auto digit = static_cast<std::uint64_t>(c - '0');
        if (result > (max - digit) / 10) {
            return std::nullopt;
        }
        result = result * 10 + digit;
    }
    return result;
}

} // namespace llmio::sse::detail

#endif // LLMIO_SSE_DETAIL_SCAN_HPP
