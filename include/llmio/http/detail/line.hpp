// llmio/http/detail/line.hpp: the checks every line of a response gets before its content is
// looked at (bare CR, length, the size of its head or trailer section, folding). Not API.
//
// Why a separate, position-ordered check: a line may arrive whole in one read or in pieces
// over many, and the parser must report the same error either way (the grind tests and the
// fuzzer hold it to that). Each check here is decided by a prefix of the line: the error is the
// one whose deciding byte comes first, and the same function runs on every prefix the parser
// holds. The content of a line (tokens, digits) is checked only once the line is whole, so it
// is decided "at the LF", after all of these.
#ifndef LLMIO_HTTP_DETAIL_LINE_HPP
#define LLMIO_HTTP_DETAIL_LINE_HPP

#include <llmio/http/error.hpp>

#include <cstddef>
#include <cstring>
#include <limits>
#include <string_view>

namespace llmio::http::detail {

inline constexpr std::size_t no_limit = std::numeric_limits<std::size_t>::max();

[[nodiscard]] constexpr std::size_t saturating_add(std::size_t a, std::size_t b) noexcept
{
    return a > no_limit - b ? no_limit : a + b;
}

struct line_rules {
    /// The longest line content (CRLF excluded) allowed.
    std::size_t max_line = no_limit;
    /// Bytes this line may still take in its section, its LF included.
    std::size_t room = no_limit;
    /// The error for a line that starts with SP or HTAB (obs-fold, RFC 9112 §5.2), or error{}
    /// when such a line is not a field line and its content check decides.
    error fold = error{};

    /// The most bytes of one line worth holding when `have` are held already: past this a
    /// prefix always decides an error, so the parser never buffers more than a limit allows.
    [[nodiscard]] constexpr std::size_t take_at_most(std::size_t have) const noexcept
    {
        const std::size_t line_cap = saturating_add(max_line, 2);
        const std::size_t room_cap = saturating_add(room, 1);
        const std::size_t cap = line_cap < room_cap ? line_cap : room_cap;
        return cap > have ? cap - have : 0;
    }
};

/// The error that `raw` (the bytes of one line before its LF, CR included) already decides,
/// or error{} for none. `complete` says the LF follows `raw` (it then counts against `room`);
/// `checked` bytes at the start of `raw` were passed by an earlier call on a shorter prefix.
[[nodiscard]] inline error first_line_error(std::string_view raw, std::size_t checked, bool complete,
                                            const line_rules& rules) noexcept
{
    std::size_t at = no_limit;
    error what{};
    const auto consider = [&](std::size_t position, error e) noexcept {
        if (position < at) {
            at = position;
            what = e;
        }
    };
    if (rules.fold != error{} && !raw.empty() && (raw.front() == ' ' || raw.front() == '\t')) {
        consider(0, rules.fold);
    }
    // A CR followed by anything but LF (inside `raw` nothing is an LF) is a bare CR
    // (RFC 9112 §2.2); the byte after it decides. Bytes before `checked - 1` were clean.
    const std::size_t from = checked > 0 ? checked - 1 : 0;
    if (raw.size() >= 2 && from < raw.size() - 1) {
        if (const void* cr = std::memchr(raw.data() + from, '\r', raw.size() - 1 - from)) {
            consider(static_cast<std::size_t>(static_cast<const char*>(cr) - raw.data()) + 1, error::bad_line_ending);
        }
    }
    // Content longer than max_line: byte max_line decides unless it may be the CR of the CRLF.
    if (raw.size() > rules.max_line) {
        if (raw[rules.max_line] != '\r') {
            consider(rules.max_line, error::line_too_long);
        } else if (raw.size() - 1 > rules.max_line) {
            consider(rules.max_line + 1, error::line_too_long);
        }
    }
    if (raw.size() + (complete ? 1 : 0) > rules.room) {
        consider(rules.room, error::header_block_too_large);
    }
    return what;
}

} // namespace llmio::http::detail

#endif // LLMIO_HTTP_DETAIL_LINE_HPP
