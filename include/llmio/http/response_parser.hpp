// llmio/http/response_parser.hpp: a sans-I/O, incremental parser of HTTP/1.1 responses
// (RFC 9112) for a client.
//
// It never sees a socket: the caller hands it bytes, it says how many it used and what they
// completed (Beast `basic_parser::put` style), one event at a time:
//
//     std::error_code ec;
//     while (true) {
//         const http::parse_result r = parser.put(input, ec);
//         input.remove_prefix(r.consumed);
//         if (ec) { /* broken response: close the connection */ }
//         if (r.event == http::parse_event::need_more) break;   // read more, or put_eof()
//         switch (r.event) { case http::parse_event::body: use(parser.body()); ... }
//     }
//
// Strict by default: it is a client's defence against response splitting and request
// smuggling through a proxy, so every ambiguity the RFC lets a recipient reject is rejected
// (bare CR or LF, obs-fold, whitespace before ':', Content-Length with Transfer-Encoding,
// differing Content-Lengths, bytes after a response that closes the connection). Body bytes
// are never copied: body() views the caller's input, chunked data de-framed in place.
//
// Memory: the head (and a trailer section) is copied into buffers the parser owns and reuses,
// because it may span many reads; they keep their capacity across messages and reset(), so a
// connection that has seen its largest head allocates nothing more. Every limit is in
// `parser_limits`.
#ifndef LLMIO_HTTP_RESPONSE_PARSER_HPP
#define LLMIO_HTTP_RESPONSE_PARSER_HPP

#include <llmio/http/chunk_extensions.hpp>
#include <llmio/http/detail/line.hpp>
#include <llmio/http/error.hpp>
#include <llmio/http/field.hpp>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

namespace llmio::http {

/// What a hostile or broken server may make the parser hold or accept. Each has its own error.
struct parser_limits {
    /// Bytes of a head: leading empty lines, status line, fields, the empty line that ends it,
    /// CRLFs included. Also the size of one trailer section. -> error::header_block_too_large
    std::size_t header_block = 64 * 1024;
    /// Fields in one head, and in one trailer section. -> error::too_many_headers
    std::size_t header_count = 128;
    /// Bytes of any one line, CRLF excluded: status line, field line, chunk-size line (with its
    /// extensions), trailer line. -> error::line_too_long
    std::size_t line = 16 * 1024;
    /// Hex digits of one chunk-size, leading zeros included (16 hold any 64-bit size).
    /// -> error::chunk_size_too_long
    std::size_t chunk_size_digits = 16;
    /// Body bytes of one message, after de-chunking. -> error::body_too_large
    std::uint64_t body = std::uint64_t(1) << 32;
};

struct response_parser_options {
    parser_limits limits{};
    /// Interim responses (1xx other than 101, RFC 9110 §15.2) are parsed and dropped without an
    /// event, so the caller sees only the final response. false: each is reported as a
    /// message of its own (head, then message_done) with is_interim() true.
    bool skip_interim = true;
};

/// How the body of the current message is delimited (RFC 9112 §6.3).
enum class framing {
    none,          ///< no body: a response to HEAD, 1xx, 204, 304 (rules 1-2), whatever the fields say
    length,        ///< Content-Length bytes (rule 6)
    chunked,       ///< the chunked transfer coding is the final one (rule 4)
    until_close,   ///< everything until the connection closes (rules 4 and 8)
};

enum class parse_event {
    need_more,      ///< all of the input was used (partial lines are kept) and more is needed
    head,           ///< the head is complete: status(), headers(), body_framing()... are valid
    chunk_header,   ///< a chunk-size line: chunk_size() (0 = the last-chunk), chunk_extensions()
    body,           ///< body() views the next bytes of the body
    message_done,   ///< the message is complete; trailers() are valid after a chunked one
};

struct parse_result {
    /// Bytes of the input used. The parser keeps what it needs of them (a partial line is
    /// copied), so the caller never presents them again.
    std::size_t consumed = 0;
    parse_event event = parse_event::need_more;
};

/// Parses the responses of one connection, one after the other (keep-alive), without copying
/// the body. Not thread-safe: one connection, one parser.
///
/// Lifetimes of the views it hands out:
///   - status line, headers(), header(), trailers(): valid until the first byte of the next
///     message is passed to put(), or reset(). They point into the parser's own buffers.
///   - body(): points into the input of the put() that returned `body`: valid as long as those
///     bytes are.
///   - chunk_extensions(): valid until the next put() or reset().
class response_parser {
public:
    explicit response_parser(response_parser_options options = {});

    /// Forgets everything for a new connection, set_head_request() included. The buffers keep
    /// their capacity.
    void reset() noexcept;

    /// The responses that follow answer HEAD: no body, whatever Content-Length or
    /// Transfer-Encoding say (RFC 9112 §6.3 rule 1). Stays until changed or reset(); set it
    /// before the head of the response it applies to is complete.
    void set_head_request(bool on) noexcept;

    /// Consumes a prefix of `input` and stops right after the first event (see parse_event).
    /// After `head`, `body` and `chunk_header`, call again with the rest of the input even when
    /// it is empty: a message that ends without more bytes (no body, Content-Length reached)
    /// reports `message_done` from an empty input.
    ///
    /// On error `ec` is set (it is cleared otherwise), `consumed` counts the bytes up to where
    /// the error was found, and every later put() and put_eof() fails the same way until
    /// reset(). Never throws, never allocates once its buffers have grown to the largest head.
    [[nodiscard]] parse_result put(std::string_view input, std::error_code& ec) noexcept;

    /// The connection closed. Returns {} when no message was in progress, or when the message in
    /// progress is complete by the close (framing::until_close, or a body already complete
    /// whose message_done was not yet collected): done() is then true. Otherwise eof_in_head,
    /// short_body or eof_in_chunked (condition::truncated), which also becomes the sticky
    /// error. Bytes passed to put() after it fail with data_after_close.
    [[nodiscard]] std::error_code put_eof() noexcept;

    // ---- The head of the current message (after parse_event::head) --------------------------

    [[nodiscard]] int status() const noexcept { return status_; }
    /// 10 * major + minor: 11 for HTTP/1.1, 10 for HTTP/1.0, 9 for HTTP/0.9.
    [[nodiscard]] int version() const noexcept { return version_; }
    /// May be empty, and may hold obs-text (it is not UTF-8 by contract).
    [[nodiscard]] std::string_view reason() const noexcept { return reason_; }
    /// In the order received, duplicates kept.
    [[nodiscard]] std::span<const field> headers() const noexcept { return fields_; }
    /// The value of the first field named `name` (ASCII case-insensitive), "" when absent.
    [[nodiscard]] std::string_view header(std::string_view name) const noexcept;
    [[nodiscard]] framing body_framing() const noexcept { return framing_; }
    /// The Content-Length received, even when it does not frame the body (HEAD, 204, 304).
    [[nodiscard]] std::optional<std::uint64_t> content_length() const noexcept { return content_length_; }
    /// The connection may carry another response after this one (RFC 9112 §9.3): no
    /// "Connection: close", and HTTP/1.1 or HTTP/1.0 with "Connection: keep-alive". Always
    /// false for a body delimited by the close, a 101, and HTTP/1.0 with Transfer-Encoding
    /// (RFC 9112 §6.1: close after such a message).
    [[nodiscard]] bool keep_alive() const noexcept { return keep_alive_; }
    /// The last head was an interim response (1xx other than 101), reported because
    /// skip_interim is false.
    [[nodiscard]] bool is_interim() const noexcept { return interim_; }
    /// A 101 was received: its message is done and the rest of the stream is not HTTP/1.1.
    [[nodiscard]] bool upgraded() const noexcept { return upgraded_; }
    /// The current message is complete (message_done reported, or put_eof() completed it).
    /// False again once the next message's first byte is put().
    [[nodiscard]] bool done() const noexcept { return done_; }

    // ---- The body ----------------------------------------------------------------------------

    /// After parse_event::body: the bytes, a non-empty view into the input of that put().
    [[nodiscard]] std::string_view body() const noexcept { return body_; }
    /// Body bytes of the current message so far (de-chunked).
    [[nodiscard]] std::uint64_t body_bytes() const noexcept { return body_bytes_; }
    /// After parse_event::chunk_header: the chunk's size; 0 for the last-chunk.
    [[nodiscard]] std::uint64_t chunk_size() const noexcept { return chunk_size_; }
    /// After parse_event::chunk_header: the raw text after the size from its first ';', ""
    /// when none. Already validated; walk it with for_each_chunk_extension().
    [[nodiscard]] std::string_view chunk_extensions() const noexcept { return chunk_extensions_; }
    /// After message_done of a chunked message: its trailer fields, in order (RFC 9112 §7.1.2).
    /// They are given as received and never change the framing.
    [[nodiscard]] std::span<const field> trailers() const noexcept { return trailers_; }

private:
    enum class state : std::uint8_t {
        start,              // before a status line: empty lines are skipped
        fields,             // field lines, until the empty line
        done_pending,       // the body is complete: message_done on the next put()
        body_length,        // Content-Length bytes left in remaining_
        body_until_close,   // everything until put_eof()
        chunk_size,         // a chunk-size line
        chunk_data,         // chunk data, remaining_ bytes left
        chunk_data_cr,      // the CRLF after chunk data
        chunk_data_lf,
        trailers,           // trailer field lines, until the empty line
        idle,               // message done; the next byte starts the next message
        closed,             // message done and the connection must close, or it did (put_eof)
        switched,           // a 101 was reported: nothing more is HTTP
        failed,             // failed_ holds the sticky error
    };

    /// Where a field's name and value lie in the buffer that holds its section. Offsets, not
    /// views: the buffer grows while the section is read.
    struct field_at {
        std::size_t name, name_size, value, value_size;
    };

    /// A line taken from the input: `complete` with its content (CRLF removed), or all of the
    /// input was kept as a partial line, or `failed`.
    struct line_take {
        std::size_t consumed = 0;
        bool complete = false;
        error failed{};
        std::string_view content;
    };

    parse_result parse(std::string_view input, std::error_code& ec);
    parse_result fail(std::size_t consumed, error e, std::error_code& ec) noexcept;
    void begin_message() noexcept;
    line_take take_line(std::string_view input, std::string& buffer, std::size_t line_start,
                        const detail::line_rules& rules);
    line_take take_chunk_line(std::string_view input);
    [[nodiscard]] error on_status_line(std::string_view line) noexcept;
    [[nodiscard]] error on_field_line(std::string_view line, std::size_t offset, std::vector<field_at>& out,
                                      bool trailer);
    [[nodiscard]] error on_content_length(std::string_view value) noexcept;
    [[nodiscard]] error on_transfer_encoding(std::string_view value) noexcept;
    void on_connection(std::string_view value) noexcept;
    [[nodiscard]] error on_head_complete();
    [[nodiscard]] error on_chunk_size_line(std::string_view line) noexcept;
    parse_result finish_message(std::size_t consumed) noexcept;

    response_parser_options options_;
    state state_ = state::start;
    error failed_{};
    bool head_request_ = false;

    // The head: raw lines (CR included) from the status line on; leading empty lines dropped.
    std::string head_;
    std::size_t line_start_ = 0;   // where the line being taken starts in head_ or trailer_
    std::size_t section_bytes_ = 0;   // bytes of the head or trailer section, for header_block
    std::vector<field_at> field_at_;
    std::vector<field> fields_;
    int status_ = 0;
    int version_ = 0;
    std::size_t reason_at_ = 0;
    std::size_t reason_size_ = 0;
    std::string_view reason_;

    // What the fields say about framing and persistence, gathered line by line so a conflict
    // is reported on the line that makes it.
    std::optional<std::uint64_t> content_length_;
    bool te_present_ = false;
    bool te_chunked_seen_ = false;
    bool te_chunked_final_ = false;
    bool connection_close_ = false;
    bool connection_keep_alive_ = false;

    framing framing_ = framing::none;
    bool keep_alive_ = false;
    bool interim_ = false;
    bool upgraded_ = false;
    bool done_ = false;

    std::uint64_t remaining_ = 0;   // of the Content-Length body, or of the current chunk
    std::uint64_t body_bytes_ = 0;
    std::string_view body_;

    std::string chunk_line_;   // a chunk-size line that arrived in pieces
    std::uint64_t chunk_size_ = 0;
    std::string_view chunk_extensions_;

    std::string trailer_;   // raw trailer lines, as head_ holds the head
    std::vector<field_at> trailer_at_;
    std::vector<field> trailers_;
};

} // namespace llmio::http

#include <llmio/http/impl/response_parser.hpp>
#include <llmio/http/impl/response_parser_head.hpp>

#endif // LLMIO_HTTP_RESPONSE_PARSER_HPP
