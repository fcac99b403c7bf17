// llmio/sse/impl/parser.hpp: inline bodies of llmio/sse/parser.hpp. Not included directly.
//
// Rule references are to WHATWG HTML "Interpreting an event stream" unless said otherwise.
//
// Invariants between calls:
// - `data_lines_ == 0` implies `data_` is empty and `data_is_view_` is false.
// - `data_is_view_` only during a `put` (own_data() runs before every return that keeps the
//   event pending), so no view into an input outlives the call that received it.
// - `partial_ == raw`: `carry_` holds the bytes of the cut line; `partial_ == data`: the cut
//   line is a data field and its value so far ends `data_` (`space_pending_`: its first value
//   byte has not arrived, so whether to drop a space is still open). Either way `line_length_`
//   counts the bytes of that line seen so far and never exceeds `options_.max_line`.
// - `carry_` never holds five bytes or more that begin with "data:".
#ifndef LLMIO_SSE_IMPL_PARSER_HPP
#define LLMIO_SSE_IMPL_PARSER_HPP

#include <llmio/sse/detail/scan.hpp>

#include <cstring>
#include <limits>
#include <system_error>
#include <utility>

namespace llmio::sse {

inline parser::parser(parser_options options) : options_(options) {}

inline void parser::reset() noexcept
{
    data_.clear();
    data_lines_ = 0;
    data_view_ = {};
    data_is_view_ = false;
    type_.clear();
    id_buffer_.clear();
    id_changed_ = false;
    last_id_.clear();
    retry_.reset();
    carry_.clear();
    partial_ = partial::none;
    space_pending_ = false;
    line_length_ = 0;
    skip_lf_ = false;
    bom_seen_ = 0;
    bom_done_ = false;
    input_end_ = nullptr;
    input_padding_ = 0;
    current_ = {};
    line_ = {};
    dispatched_ = false;
    reported_ = false;
    error_ = {};
}

inline parse_result parser::put(std::string_view input, std::error_code& ec,
                                std::size_t input_padding) noexcept
{
    if (ec) {
        ec.clear();   // only when set: building an empty error_code calls system_category()
    }
    release();
    if (error_) {
        ec = error_;
        return {};
    }
    input_end_ = input.data() + input.size();
    input_padding_ = input_padding;
    try {
        return put_bytes(input, ec);
    }
    catch (...) {
        // Only growing a std::string can throw here (bad_alloc, length_error). The hot-path rule
        // is no exception out of a parser: the stream fails instead, sticky like any error.
        error_ = std::make_error_code(std::errc::not_enough_memory);
        ec = error_;
        return {};
    }
}

inline parse_result parser::finish(std::error_code& ec, bool flush_pending) noexcept
{
    if (ec) {
        ec.clear();   // only when set: building an empty error_code calls system_category()
    }
    release();
    if (error_) {
        ec = error_;
        return {};
    }
    try {
        return finish_stream(ec, flush_pending);
    }
    catch (...) {
        error_ = std::make_error_code(std::errc::not_enough_memory);
        ec = error_;
        return {};
    }
}

inline parse_result parser::put_bytes(std::string_view input, std::error_code& ec)
{
    const char* const first = input.data();
    const char* const last = first + input.size();
    const char* p = first;
    const auto done = [&](parse_event what) {
        return parse_result{static_cast<std::size_t>(p - first), what};
    };

    if (!bom_done_) {
        p = skip_bom(p, last);
        if (error_) {
            ec = error_;
            return done(parse_event::need_more);
        }
    }
    if (skip_lf_ && p != last) {
        // The previous input ended with a CR: an LF first in this one completes that CR LF
        // ("end-of-line = ( cr lf / cr / lf )"). The line itself already ended at the CR.
        skip_lf_ = false;
        if (*p == '\n') {
            ++p;
        }
    }

    while (p != last) {
        // Scan no further than the line may reach: a hostile line costs max_line + 1 bytes of
        // scanning before it fails, never the whole input.
        const std::size_t room = options_.max_line - line_length_;
        const auto left = static_cast<std::size_t>(last - p);
        const std::size_t span = left <= room ? left : room + 1;
        const std::size_t length = detail::find_line_end(p, p + span);
        if (length == span) {
            if (span > room) {
                fail(error::line_too_long);
                ec = error_;
                return done(parse_event::need_more);
            }
            keep_partial({p, left});   // the line goes on in the next input
            p = last;
            break;
        }
        const char* const eol = p + length;
        const char* next = eol + 1;
        if (*eol == '\r') {
            if (next == last) {
                skip_lf_ = true;
            }
            else if (*next == '\n') {
                ++next;
            }
        }
        const outcome o = end_line({p, length});
        p = next;
        switch (o) {
        case outcome::none:
            break;
        case outcome::dispatched:
            return done(parse_event::event);
        case outcome::other_line:
            own_data();   // the caller may drop the consumed input before the next call
            reported_ = true;
            return done(parse_event::other_line);
        case outcome::failed:
            ec = error_;
            return done(parse_event::need_more);
        }
    }
    own_data();   // the input may be gone at the next call
    return done(parse_event::need_more);
}

inline parse_result parser::finish_stream(std::error_code& ec, bool flush_pending)
{
    if (!flush_pending) {
        // Browser rules: "Once the end of the file is reached, any pending data must be
        // discarded. (If the file ends in the middle of an event, before the final empty
        // line, the incomplete event is not dispatched.)" An unterminated line is not a line.
        discard_pending();
        return {};
    }
    if (!bom_done_ && !keep_bom_prefix()) {
        ec = error_;
        return {};
    }
    bom_done_ = true;
    skip_lf_ = false;
    if (partial_ != partial::none) {
        // Gemini: the body may end without a line end; the last bytes are still a line.
        switch (end_line({})) {
        case outcome::none:
        case outcome::dispatched:   // cannot happen: a cut line is never empty
            break;
        case outcome::other_line:
            reported_ = true;
            return {0, parse_event::other_line};
        case outcome::failed:
            ec = error_;
            return {};
        }
    }
    if (data_lines_ > 0) {
        // Gemini: the body may end without the blank line; dispatch as if it followed.
        static_cast<void>(dispatch());
        return {0, parse_event::event};
    }
    discard_pending();
    return {};
}

inline const char* parser::skip_bom(const char* p, const char* last)
{
    while (p != last) {
        if (*p != detail::utf8_bom[bom_seen_]) {
            // Not a BOM: the bytes matched so far are the start of the first line. A failure
            // (max_line below 3) is left in error_ for the caller.
            static_cast<void>(keep_bom_prefix());
            return p;
        }
        ++p;
        if (++bom_seen_ == detail::utf8_bom.size()) {
            bom_done_ = true;
            break;
        }
    }
    return p;
}

inline bool parser::keep_bom_prefix()
{
    bom_done_ = true;
    if (bom_seen_ == 0) {
        return true;
    }
    if (bom_seen_ > options_.max_line) {
        fail(error::line_too_long);
        return false;
    }
    keep_partial(detail::utf8_bom.substr(0, bom_seen_));
    return true;
}

inline void parser::keep_partial(std::string_view piece)
{
    // The caller checked that the line still fits max_line with `piece`.
    line_length_ += piece.size();
    if (partial_ == partial::data) {
        extend_data(piece);
        return;
    }
    const std::size_t tag = detail::data_tag_end(carry_, piece);
    if (tag != std::string_view::npos) {
        // A data line cut by the input: its value goes straight to the data buffer, so a large
        // event arriving in many reads is copied once, and carry_ never holds more than the
        // first four bytes of a data line.
        carry_.clear();
        open_data_line({});
        partial_ = partial::data;
        space_pending_ = true;
        extend_data(piece.substr(tag));
        return;
    }
    carry_.append(piece);
    partial_ = partial::raw;
}

inline void parser::extend_data(std::string_view piece)
{
    // The data line's length is checked against max_event when the line ends, as for a line that
    // came whole, so the error does not depend on where the input was cut. Until then the buffer
    // holds at most max_event + max_line bytes.
    data_.append(strip_pending_space(piece));
}

inline std::string_view parser::strip_pending_space(std::string_view value) noexcept
{
    // "If value starts with a U+0020 SPACE character, remove it from value": the first byte of a
    // cut data value may arrive in a later input than the colon.
    if (space_pending_ && !value.empty()) {
        space_pending_ = false;
        if (value.front() == ' ') {
            value.remove_prefix(1);
        }
    }
    return value;
}

inline parser::outcome parser::end_line(std::string_view rest)
{
    const partial cut = std::exchange(partial_, partial::none);
    line_length_ = 0;
    if (cut == partial::none) {
        return take_line(rest, true);
    }
    if (cut == partial::data) {
        rest = strip_pending_space(rest);
        space_pending_ = false;
        if (data_.size() + rest.size() > options_.max_event) {
            return fail(error::event_too_large);
        }
        data_.append(rest);
        return outcome::none;
    }
    const std::size_t tag = detail::data_tag_end(carry_, rest);
    if (tag != std::string_view::npos) {
        // "dat" carried, "a: value" here: the value lies in this input, a view can take it.
        carry_.clear();
        std::string_view value = rest.substr(tag);
        if (!value.empty() && value.front() == ' ') {
            value.remove_prefix(1);
        }
        return append_data(value, true) ? outcome::none : outcome::failed;
    }
    carry_.append(rest);
    const outcome o = take_line(carry_, false);
    if (o != outcome::other_line) {
        carry_.clear();   // else line_ views it until the next call (release())
    }
    return o;
}

inline parser::outcome parser::take_line(std::string_view line, bool in_input)
{
    // "If the line is empty (a blank line): Dispatch the event."
    if (line.empty()) {
        return dispatch();
    }
    // Nearly every line of a Gemini stream is a data line: its colon is byte 4, so the value
    // is known without looking for the colon (split_field would find the same one).
    if (line.size() >= 5 && std::memcmp(line.data(), "data:", 5) == 0) {
        std::string_view value = line.substr(5);
        if (!value.empty() && value.front() == ' ') {
            value.remove_prefix(1);
        }
        return append_data(value, in_input) ? outcome::none : outcome::failed;
    }
    // Field names are compared exactly: "Data" is an unknown field (wpt format-field-parsing).
    // A comment has an empty name here, so it is never taken for a field.
    const detail::field f = detail::split_field(line);
    if (f.name == "data") {
        return append_data(f.value, in_input) ? outcome::none : outcome::failed;
    }
    if (in_input && carry_.capacity() < line.size()) {
        // As for the data buffer (dispatch()): the next line this long may arrive cut and need
        // carrying. Data lines are never carried (keep_partial), so only the others count.
        carry_.reserve(line.size());
    }
    // "If the line starts with a U+003A COLON character (:): Ignore the line."
    if (line.front() == ':') {
        return outcome::none;
    }
    if (f.name == "event") {
        type_.assign(f.value);
        return outcome::none;
    }
    if (f.name == "id") {
        // "If the field value does not contain U+0000 NULL, then set the last event ID buffer
        // to the field value. Otherwise, ignore the field."
        if (std::memchr(f.value.data(), '\0', f.value.size()) == nullptr) {
            id_buffer_.assign(f.value);
            id_changed_ = true;
        }
        return outcome::none;
    }
    if (f.name == "retry") {
        if (const auto ms = detail::parse_retry(f.value)) {
            retry_ = ms;
        }
        return outcome::none;
    }
    // "Otherwise: The field is ignored." Unless the caller asked to see it (Gemini's raw
    // error object, GEMINI_API.md "Errors", form 2).
    if (options_.report_other_lines) {
        line_ = line;
        return outcome::other_line;
    }
    return outcome::none;
}

inline bool parser::append_data(std::string_view value, bool in_input)
{
    // "Append the field value to the data buffer, then append a single U+000A LINE FEED (LF)
    // character to the data buffer." Kept joined instead: the LF goes before every line but
    // the first, which is the buffer the dispatch step produces after removing the last LF.
    const std::size_t joined = (data_is_view_ ? data_view_.size() : data_.size()) +
                               (data_lines_ > 0 ? 1 : 0) + value.size();
    if (joined > options_.max_event) {
        fail(error::event_too_large);
        return false;
    }
    if (data_lines_ == 0 && in_input) {
        data_view_ = value;   // zero copy, unless another line or the end of the input follows
        data_is_view_ = true;
        data_lines_ = 1;
        return true;
    }
    open_data_line(value);
    return true;
}

inline void parser::open_data_line(std::string_view value)
{
    own_data();
    if (data_lines_ > 0) {
        data_.push_back('\n');
    }
    data_.append(value);
    ++data_lines_;
}

inline void parser::own_data()
{
    if (data_is_view_) {
        data_.assign(data_view_);
        data_view_ = {};
        data_is_view_ = false;
    }
}

inline parser::outcome parser::dispatch()
{
    // Dispatch step 1: "Set the last event ID string of the event source to the value of the
    // last event ID buffer." It happens at every blank line, before the empty-data check.
    if (id_changed_) {
        last_id_.assign(id_buffer_);
        id_changed_ = false;
    }
    // Step 2: "If the data buffer is an empty string, set the data buffer and the event type
    // buffer to the empty string and return."
    if (data_lines_ == 0) {
        type_.clear();
        return outcome::none;
    }
    // Steps 3-6. The buffers are cleared at the next call (release()): the event views them.
    current_.type = type_.empty() ? std::string_view("message") : std::string_view(type_);
    current_.id = last_id_;
    if (data_is_view_) {
        // Size the buffer for this event now, although the view needs none: the next event of
        // this size may arrive cut, and "warm" must mean "has seen the largest event", not "has
        // seen it cut at the wrong place" (the hot-path rule).
        if (data_.capacity() < data_view_.size() + data_padding_guarantee) {
            data_.reserve(data_view_.size() + data_padding_guarantee);
        }
        current_.data = data_view_;
        const auto tail =
            static_cast<std::size_t>(input_end_ - (data_view_.data() + data_view_.size()));
        constexpr std::size_t most = std::numeric_limits<std::size_t>::max();
        current_.data_padding = input_padding_ > most - tail ? most : tail + input_padding_;
    }
    else {
        const std::size_t size = data_.size();
        data_.append(data_padding_guarantee, '\0');   // capacity kept: no allocation once warm
        current_.data = std::string_view(data_.data(), size);
        current_.data_padding = data_padding_guarantee;
    }
    dispatched_ = true;
    return outcome::dispatched;
}

inline void parser::release() noexcept
{
    if (dispatched_) {
        data_.clear();
        data_lines_ = 0;
        data_view_ = {};
        data_is_view_ = false;
        type_.clear();
        dispatched_ = false;
    }
    if (reported_) {
        carry_.clear();
        reported_ = false;
    }
    current_ = {};
    line_ = {};
}

inline void parser::discard_pending() noexcept
{
    data_.clear();
    data_lines_ = 0;
    data_view_ = {};
    data_is_view_ = false;
    type_.clear();
    carry_.clear();
    partial_ = partial::none;
    space_pending_ = false;
    line_length_ = 0;
    skip_lf_ = false;
    bom_done_ = true;
}

inline parser::outcome parser::fail(error e) noexcept
{
    error_ = make_error_code(e);
    return outcome::failed;
}

} // namespace llmio::sse

#endif // LLMIO_SSE_IMPL_PARSER_HPP
