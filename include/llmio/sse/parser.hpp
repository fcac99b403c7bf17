// llmio/sse/parser.hpp: a sans-I/O parser for Server-Sent Events (text/event-stream).
//
// It implements WHATWG HTML "Interpreting an event stream" (Server-sent events) on bytes: give it
// whatever arrived, get events one at a time.
//
//     llmio::sse::parser p;
//     std::error_code ec;
//     while (!in.empty()) {
//         const auto r = p.put(in, ec);
//         in.remove_prefix(r.consumed);
//         if (ec) break;                                   // a limit was exceeded (sticky)
//         if (r.event == llmio::sse::parse_event::event) use(p.current());
//         else if (r.event == llmio::sse::parse_event::need_more) break;   // read more bytes
//     }
//     // at the end of the body: finish(ec, ...) until it returns need_more
//
// Conformance notes (what it does beyond or short of the browser algorithm):
// - Bytes, not decoded text. The browser decodes UTF-8 first, turning invalid sequences into
//   U+FFFD; this parser passes every byte through unchanged (data is usually JSON, which the
//   JSON parser validates). Field names, colons, spaces and line ends are ASCII, so splitting
//   is the same. Only one leading UTF-8 BOM (EF BB BF) is removed, at the start of the stream.
// - `last_event_id()` and `event::id` are the EventSource's "last event ID string", which the
//   algorithm sets from the last event ID buffer at each blank line; an `id:` that no blank line
//   followed does not count (wpt format-data-before-final-empty-line).
// - Two opt-in extensions for Gemini (GEMINI_API.md): `finish(ec, true)` delivers a last event
//   the body did not end with a blank line, and `report_other_lines` hands over the lines that
//   are not SSE fields instead of ignoring them.
// - Limits (`max_line`, `max_event`) fail the stream with a sticky error; browsers have none.
//
// Memory: the parser owns a few std::string buffers (the data of the event being assembled,
// a non-data line begun in an earlier `put`, type, id). They grow to the largest event and the
// largest non-data line seen, whether those arrived whole or cut, and keep their capacity, also
// across reset(): once the largest have passed, parsing allocates nothing, however later input
// is cut. The limits bound them: a carried line by `max_line`, the data by `max_event +
// max_line` plus the padding (a cut data line is checked when it ends). Views into the caller's
// input are handed out where possible (see `event::data`).
//
// Thread safety: one parser per stream; distinct parsers share nothing.
#ifndef LLMIO_SSE_PARSER_HPP
#define LLMIO_SSE_PARSER_HPP

#include <llmio/sse/error.hpp>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>

namespace llmio::sse {

/// The padding the parser's own data buffer always has: at least this many bytes may be read
/// after `event::data.end()` when the data was assembled by the parser (simdjson's
/// SIMDJSON_PADDING is 64, so a JSON payload can be parsed in place without a copy).
inline constexpr std::size_t data_padding_guarantee = 64;

struct parser_options {
    /// Longest line accepted, terminator excluded (the whole line, field name included).
    /// A longer line fails with `error::line_too_long` as soon as its length is known to exceed.
    std::size_t max_line = 16 * 1024 * 1024;
    /// Largest event data accepted: the `data` values of one event joined with LF, as
    /// dispatched. More fails with `error::event_too_large`, checked when each line ends.
    std::size_t max_event = 16 * 1024 * 1024;
    /// Off (browser rules): lines whose field name is not `data`, `event`, `id` or `retry` are
    /// ignored. On: each such line is handed over whole, as `parse_event::other_line` (Gemini
    /// sends a raw, pretty-printed `{"error": ...}` object inside a 200 stream: its lines must
    /// reach the caller instead of being dropped). Comments (lines starting with ':') are
    /// never reported.
    bool report_other_lines = false;
};

/// One dispatched event. The views stay valid until the next `put`, `finish` or `reset` on the
/// parser that produced it (or the destruction of the parser), and `data` when it points into
/// the caller's input also only as long as that input: see `data`.
struct event {
    /// The event type: "message" when the event named none (or named "").
    std::string_view type;
    /// The `data` lines joined with LF (WHATWG: each line appends value + LF, and the last LF
    /// is removed at dispatch). Empty for an event that had only `data:` with no value.
    /// Zero copy: when the event had exactly one data line and its value lay wholly inside the
    /// input of the `put` that dispatched it, this views that input (its bytes, not a copy);
    /// otherwise it views the parser's data buffer.
    std::string_view data;
    /// The last event ID in force when the event was dispatched ("" when none was ever set).
    std::string_view id;
    /// Bytes that may be read (never written) right after `data.end()`: for a view into the
    /// input, the input bytes after it plus the `input_padding` given to `put`; for the
    /// parser's buffer, `data_padding_guarantee` (zero bytes). Lets simdjson parse in place.
    std::size_t data_padding = 0;
};

enum class parse_event {
    need_more,    ///< every byte given was consumed and no event is complete: give more bytes
    event,        ///< `current()` holds an event
    other_line,   ///< `line()` holds a line that is not an SSE field (report_other_lines only)
};

struct parse_result {
    /// Bytes of the input consumed (all of them with `need_more`). Pass the rest on next time.
    std::size_t consumed = 0;
    parse_event event = parse_event::need_more;
};

/// The event-stream parser. Sans-I/O: it never reads a socket, it takes bytes and says how many
/// it consumed (Beast `basic_parser::put`).
class parser {
public:
    explicit parser(parser_options options = {});

    /// Ready for a new stream: clears every buffer (keeping capacity), the last event ID, the
    /// retry value, and the error; a leading BOM is stripped again. To resume an EventSource
    /// after a reconnection, read `last_event_id()` and `retry()` before calling it.
    void reset() noexcept;

    /// Consumes a prefix of `input`: up to and including the line that dispatched the first
    /// event (a blank line) or the first other line, else all of it (`need_more`). Any split
    /// of the stream into inputs gives the same events: a line cut between two inputs is
    /// carried over, and a CR ending one input followed by an LF starting the next is one line
    /// end. `input` need only live during the call, unless an event views it (see
    /// `event::data`): nothing of it is kept once `need_more` or `other_line` is returned.
    /// `input_padding`: how many bytes after `input.end()` may be read (the caller's buffer may
    /// extend further); it only feeds `event::data_padding`.
    /// Errors: `ec` is cleared, or set to `error::line_too_long` / `error::event_too_large`
    /// (or `std::errc::not_enough_memory` if a buffer could not grow); the error is sticky: every
    /// later `put` and `finish` returns it with nothing consumed, until `reset()`.
    [[nodiscard]] parse_result put(std::string_view input, std::error_code& ec,
                                   std::size_t input_padding = 0) noexcept;

    /// The stream ended. Call repeatedly until it returns `need_more`; then the stream is over
    /// (a later `put` continues as if a new line started, without BOM stripping: call `reset()`
    /// for a new stream).
    /// `flush_pending == false`: the browser rules: a last line without a line end and an event
    /// without its blank line are discarded; always `need_more`.
    /// `flush_pending == true` (Gemini, whose streams may end without a blank line): the
    /// unterminated last line is processed as a line (it may be an `other_line`), then an event
    /// with data is dispatched as if a blank line followed.
    /// `consumed` is always 0. Errors as for `put` (a flushed last line may exceed a limit).
    [[nodiscard]] parse_result finish(std::error_code& ec, bool flush_pending) noexcept;

    /// The event after `parse_event::event`; valid until the next `put`, `finish` or `reset`.
    [[nodiscard]] const event& current() const noexcept { return current_; }

    /// The whole line after `parse_event::other_line`, terminator excluded; it views the input
    /// or a parser buffer and is valid until the next `put`, `finish` or `reset` (and, when it
    /// views the input, as long as that input).
    [[nodiscard]] std::string_view line() const noexcept { return line_; }

    /// The last event ID string: the `id` of the last event dispatched (set at every blank
    /// line from the last valid `id:` field, even when no event was dispatched), for a
    /// reconnection's Last-Event-ID header. Valid until the next `put`, `finish` or `reset`.
    [[nodiscard]] std::string_view last_event_id() const noexcept { return last_id_; }

    /// The last reconnection time (milliseconds) a `retry:` field set, if any (WHATWG: digits
    /// only; it takes effect at once, not at dispatch).
    [[nodiscard]] std::optional<std::uint64_t> retry() const noexcept { return retry_; }

private:
    // What processing one complete line led to.
    enum class outcome : unsigned char { none, dispatched, other_line, failed };
    // A line cut at the end of an input: its bytes so far are in `carry_` (raw), or it is a
    // `data` field whose value so far was already appended to `data_` (data).
    enum class partial : unsigned char { none, raw, data };

    [[nodiscard]] parse_result put_bytes(std::string_view input, std::error_code& ec);
    [[nodiscard]] parse_result finish_stream(std::error_code& ec, bool flush_pending);
    [[nodiscard]] const char* skip_bom(const char* p, const char* last);
    [[nodiscard]] bool keep_bom_prefix();
    void keep_partial(std::string_view piece);
    void extend_data(std::string_view piece);
    [[nodiscard]] std::string_view strip_pending_space(std::string_view value) noexcept;
    [[nodiscard]] outcome end_line(std::string_view rest);
    [[nodiscard]] outcome take_line(std::string_view line, bool in_input);
    [[nodiscard]] bool append_data(std::string_view value, bool in_input);
    void open_data_line(std::string_view value);
    void own_data();
    [[nodiscard]] outcome dispatch();
    void release() noexcept;
    void discard_pending() noexcept;
    outcome fail(error e) noexcept;

    parser_options options_;

    // WHATWG buffers. The data buffer holds the values joined with LF, without the trailing LF
    // the algorithm appends and then removes; `data_lines_ > 0` stands for "not empty".
    std::string data_;
    std::size_t data_lines_ = 0;
    std::string_view data_view_;     // data_lines_ == 1 and the line lies in the current input
    bool data_is_view_ = false;
    std::string type_;
    std::string id_buffer_;          // the last event ID buffer (set by `id:`)
    bool id_changed_ = false;        // id_buffer_ differs from last_id_
    std::string last_id_;            // the last event ID string (set at each blank line)
    std::optional<std::uint64_t> retry_;

    // Line assembly across inputs.
    std::string carry_;
    partial partial_ = partial::none;
    bool space_pending_ = false;     // partial_ == data and no byte of its value seen yet
    std::size_t line_length_ = 0;    // bytes of the cut line seen so far (<= max_line)
    bool skip_lf_ = false;           // the last line ended with a CR at the end of an input
    unsigned char bom_seen_ = 0;     // BOM bytes matched at the start of the stream
    bool bom_done_ = false;

    // The current input of `put` (for event::data_padding of a view into it).
    const char* input_end_ = nullptr;
    std::size_t input_padding_ = 0;

    // Results, and what must be released at the next call.
    event current_;
    std::string_view line_;
    bool dispatched_ = false;        // current_ views data_/type_: clear them at the next call
    bool reported_ = false;          // line_ may view carry_: clear it at the next call
    std::error_code error_;
};

} // namespace llmio::sse

#include <llmio/sse/impl/parser.hpp>

#endif // LLMIO_SSE_PARSER_HPP
