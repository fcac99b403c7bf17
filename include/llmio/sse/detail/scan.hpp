// llmio/sse/detail/scan.hpp: the byte-level pieces of the event-stream parser. Not API.
#ifndef LLMIO_SSE_DETAIL_SCAN_HPP
#define LLMIO_SSE_DETAIL_SCAN_HPP

#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>
#include <optional>
#include <string_view>

// SSE2 is part of x86-64 (and of MSVC's x64 target): no runtime dispatch is needed for it.
#if defined(__SSE2__) || defined(_M_X64) || defined(_M_AMD64)
#include <emmintrin.h>
#define LLMIO_SSE_DETAIL_SSE2 1
#else
#define LLMIO_SSE_DETAIL_SSE2 0
#endif

namespace llmio::sse::detail {

/// The UTF-8 byte order mark; the decoder the WHATWG algorithm runs first removes one at the
/// start of the stream ("UTF-8 decode" strips a leading BOM), and only there.
inline constexpr std::string_view utf8_bom = "\xEF\xBB\xBF";

/// The offset of the first CR or LF in [first, last), or `last - first` when there is none
/// (WHATWG "end-of-line = ( cr lf / cr / lf )").
///
/// Every line of the stream goes through here, so it is the parser's hottest loop. With SSE2
/// (every x86-64) both bytes are looked for in one pass, 64 bytes per step: no call, and no
/// byte read twice. Elsewhere, see find_line_end_memchr.
[[nodiscard]] inline std::size_t find_line_end(const char* first, const char* last) noexcept;

/// The portable scan. memchr is the fastest scan the C library has (vectorised in glibc), but
/// it looks for one byte. Searching LF over the whole rest of the input and then CR before it
/// would rescan the rest for every line of a CR-only stream (quadratic on hostile input). So
/// the rest is searched in windows that double in size: inside a window, LF first, then CR
/// only before the LF found. Every byte is read at most twice, and the bytes read past the
/// terminator are bounded by the window, which is at most the bytes already scanned plus 256:
/// linear time in every case.
[[nodiscard]] inline std::size_t find_line_end_memchr(const char* first, const char* last) noexcept
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

#if LLMIO_SSE_DETAIL_SSE2

/// 0xFF in each byte that is CR or LF.
[[nodiscard]] inline __m128i line_end_bytes(__m128i v) noexcept
{
    return _mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('\r')), _mm_cmpeq_epi8(v, _mm_set1_epi8('\n')));
}

/// Bit i set when byte i of the 16 at `p` is CR or LF.
[[nodiscard]] inline unsigned line_end_mask(const char* p) noexcept
{
    return static_cast<unsigned>(_mm_movemask_epi8(line_end_bytes(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)))));
}

inline std::size_t find_line_end(const char* first, const char* last) noexcept
{
    // Reads stay inside [first, last): the input has no padding the parser may count on.
    const auto size = static_cast<std::size_t>(last - first);
    if (size < 16) {
        for (std::size_t i = 0; i < size; ++i) {
            if (first[i] == '\r' || first[i] == '\n') {
                return i;
            }
        }
        return size;
    }
    // Short lines (the blank line that ends every event) are decided by the first 16 bytes.
    if (const unsigned m = line_end_mask(first); m != 0) {
        return static_cast<std::size_t>(std::countr_zero(m));
    }
    std::size_t i = 16;
    // Long lines (a data line is a whole JSON document) go 64 bytes a step with a cheaper test:
    // (byte | 7) == 15 holds for CR and LF, and also for the other bytes 08-0F (BS, TAB, VT,
    // FF, SO, SI), which JSON text never holds raw outside whitespace; when it fires, the exact
    // test decides, branch-free, where in the 64 bytes the line ends (or that it goes on).
    const __m128i seven = _mm_set1_epi8(0x07);
    const __m128i fifteen = _mm_set1_epi8(0x0F);
    for (; i + 64 <= size; i += 64) {
        const auto* q = reinterpret_cast<const __m128i*>(first + i);
        const __m128i v0 = _mm_loadu_si128(q);
        const __m128i v1 = _mm_loadu_si128(q + 1);
        const __m128i v2 = _mm_loadu_si128(q + 2);
        const __m128i v3 = _mm_loadu_si128(q + 3);
        const auto maybe = [&](__m128i v) noexcept { return _mm_cmpeq_epi8(_mm_or_si128(v, seven), fifteen); };
        const __m128i any = _mm_or_si128(_mm_or_si128(maybe(v0), maybe(v1)), _mm_or_si128(maybe(v2), maybe(v3)));
        if (_mm_movemask_epi8(any) == 0) {
            continue;
        }
        const auto bits = [](__m128i v) noexcept {
            return static_cast<std::uint64_t>(static_cast<unsigned>(_mm_movemask_epi8(line_end_bytes(v))));
        };
        const std::uint64_t m = bits(v0) | bits(v1) << 16 | bits(v2) << 32 | bits(v3) << 48;
        if (m != 0) {
            return i + static_cast<std::size_t>(std::countr_zero(m));
        }
    }
    for (; i + 16 <= size; i += 16) {
        if (const unsigned m = line_end_mask(first + i); m != 0) {
            return i + static_cast<std::size_t>(std::countr_zero(m));
        }
    }
    if (i < size) {
        // Fewer than 16 left: the last 16 bytes, overlapping bytes already known clean.
        if (const unsigned m = line_end_mask(last - 16); m != 0) {
            return size - 16 + static_cast<std::size_t>(std::countr_zero(m));
        }
    }
    return size;
}

#else

inline std::size_t find_line_end(const char* first, const char* last) noexcept
{
    return find_line_end_memchr(first, last);
}

#endif

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
