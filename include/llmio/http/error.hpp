// llmio/http/error.hpp: what can go wrong while parsing an HTTP/1.1 response or writing a
// request, as error codes.
//
// Four families, each answering one `llmio::condition` (error.hpp), so policy code never keeps
// lists of these codes:
//   - the peer broke RFC 9112 syntax or framing          -> condition::protocol_error
//   - the peer exceeded a configured limit                -> condition::limit_exceeded
//   - the connection closed before the message was whole  -> condition::truncated
//   - the caller's own request cannot be written          -> condition::invalid_input
// `content_length_overflow` is both a limit and a protocol error. `need_more` is no failure and
// answers no condition.
#ifndef LLMIO_HTTP_ERROR_HPP
#define LLMIO_HTTP_ERROR_HPP

#include <llmio/error.hpp>

#include <string>
#include <system_error>

namespace llmio::http {

enum class error {
    /// Not a failure: the input ended inside a message and more bytes are needed. Reserved for
    /// callers that want to carry the state as an error code; the parser itself reports it as
    /// `parse_event::need_more`.
    need_more = 1,

    // ---- The peer broke the syntax or the framing rules (condition::protocol_error) --------

    /// The status line is not `HTTP-version SP status-code [SP reason-phrase]` (RFC 9112 §4):
    /// it does not start with "HTTP/", or something other than one SP follows the version.
    bad_status_line,
    /// The version is not `HTTP/DIGIT.DIGIT`, or is neither 1.x nor 0.9 (RFC 9112 §2.3).
    bad_version,
    /// The status code is not exactly three digits, or is below 100 (RFC 9110 §15).
    bad_status,
    /// The reason phrase holds a byte other than HTAB, SP, VCHAR or obs-text (RFC 9112 §4).
    bad_reason,
    /// A line does not end in CRLF: a bare CR, or an LF without the CR (RFC 9112 §2.2). Lenient
    /// parsers accept these; a client that does is open to response splitting.
    bad_line_ending,
    /// A field line has no ':', an empty name, or a name that is not a token, including
    /// whitespace before the ':' (RFC 9112 §5.1: MUST be rejected).
    bad_header_name,
    /// A field value holds a byte other than HTAB, SP, VCHAR or obs-text (RFC 9110 §5.5).
    bad_header_value,
    /// A line of the head starts with whitespace: obsolete line folding (RFC 9112 §5.2), or
    /// whitespace between the status line and the first field (RFC 9112 §2.2).
    obs_fold,
    /// Content-Length is not one decimal number (empty, a list such as "5, 5", a sign, a
    /// space between digits; RFC 9110 §8.6).
    bad_content_length,
    /// Two Content-Length fields with different values (RFC 9112 §6.3 rule 5).
    conflicting_content_length,
    /// Both Content-Length and Transfer-Encoding, in either order and even when the
    /// Transfer-Encoding is empty (RFC 9112 §6.3 rule 3: the classic smuggling vector).
    content_length_with_transfer_encoding,
    /// A transfer coding is not a token, or `chunked` is applied twice (RFC 9112 §6.1, §7).
    bad_transfer_encoding,
    /// A chunk-size line does not start with a hex digit, or something other than ';' follows
    /// the digits (whitespace included: RFC 9112 §7.1).
    bad_chunk_size,
    /// The chunk extensions are not `*( ";" token [ "=" ( token / quoted-string ) ] )`
    /// (RFC 9112 §7.1.1; this parser allows no whitespace around ';' and '=').
    bad_chunk_extension,
    /// Chunk data is not followed by CRLF (RFC 9112 §7.1).
    bad_chunk_terminator,
    /// A trailer field line is malformed (the rules of header fields apply, RFC 9112 §7.1.2).
    bad_trailer,
    /// Bytes arrived after a response that closes the connection (Connection: close, or
    /// HTTP/1.0 without keep-alive; RFC 9112 §9.6). Strict: they may be a smuggled response.
    data_after_close,
    /// A 101 (Switching Protocols) was received: the bytes after it are not HTTP/1.1 and this
    /// parser does not read them.
    upgraded,

    // ---- A configured limit was exceeded (condition::limit_exceeded) ------------------------

    /// The head (status line, fields, leading empty lines) or a trailer section is larger than
    /// `parser_limits::header_block`. Also reported when the buffer that keeps the head cannot
    /// grow (allocation failure): the head then exceeded the memory there is.
    header_block_too_large,
    /// More fields than `parser_limits::header_count` in a head or a trailer section.
    too_many_headers,
    /// One line longer than `parser_limits::line`.
    line_too_long,
    /// A chunk-size with more hex digits than `parser_limits::chunk_size_digits`.
    chunk_size_too_long,
    /// Content-Length does not fit in 64 bits (also condition::protocol_error).
    content_length_overflow,
    /// The body is longer than `parser_limits::body` (known from Content-Length or a chunk
    /// size before any of it is read; for a body delimited by the close, when it gets there).
    body_too_large,

    // ---- The connection closed early (condition::truncated) ---------------------------------

    /// The connection closed inside a status line or the fields.
    eof_in_head,
    /// The connection closed before Content-Length bytes of body arrived.
    short_body,
    /// The connection closed inside a chunked body, before the last-chunk and its trailer
    /// section ended (RFC 9112 §8: an incomplete message).
    eof_in_chunked,

    // ---- The caller's request cannot be written (condition::invalid_input) -----------------

    /// The method is not a token (RFC 9110 §9.1).
    bad_method,
    /// The request-target is empty or holds a byte outside VCHAR (no SP, CR, LF, NUL, DEL or
    /// non-ASCII: RFC 9112 §3.2; such bytes would split the request).
    bad_target,
    /// A field name is not a token (CR, LF, NUL, ':', whitespace...).
    bad_field_name,
    /// A field value holds a byte other than HTAB, SP, VCHAR or obs-text (CR, LF, NUL...).
    bad_field_value,
    /// The caller set Content-Length or Transfer-Encoding: the writer frames the body itself,
    /// so a second framing field can never disagree with it.
    framing_field,
    /// Calls in the wrong order: header() before start(), start() twice, anything after
    /// finish().
    writer_state,
};

namespace detail {

class error_category_impl final : public std::error_category {
public:
    [[nodiscard]] const char* name() const noexcept override { return "llmio.http"; }

    [[nodiscard]] std::string message(int ev) const override
    {
        switch (static_cast<error>(ev)) {
        case error::need_more: return "more input is needed";
        case error::bad_status_line: return "malformed HTTP status line";
        case error::bad_version: return "unsupported or malformed HTTP version";
        case error::bad_status: return "malformed HTTP status code";
        case error::bad_reason: return "invalid character in HTTP reason phrase";
        case error::bad_line_ending: return "HTTP line not terminated by CRLF";
        case error::bad_header_name: return "invalid HTTP header field name";
        case error::bad_header_value: return "invalid character in HTTP header field value";
        case error::obs_fold: return "obsolete line folding in HTTP header";
        case error::bad_content_length: return "invalid Content-Length";
        case error::conflicting_content_length: return "conflicting Content-Length values";
        case error::content_length_with_transfer_encoding:
            return "both Content-Length and Transfer-Encoding present";
        case error::bad_transfer_encoding: return "invalid Transfer-Encoding";
        case error::bad_chunk_size: return "invalid chunk size";
        case error::bad_chunk_extension: return "invalid chunk extension";
        case error::bad_chunk_terminator: return "chunk data not followed by CRLF";
        case error::bad_trailer: return "invalid HTTP trailer field";
        case error::data_after_close: return "data received after a response that closes the connection";
        case error::upgraded: return "the connection switched protocols (101)";
        case error::header_block_too_large: return "HTTP header block too large";
        case error::too_many_headers: return "too many HTTP header fields";
        case error::line_too_long: return "HTTP line too long";
        case error::chunk_size_too_long: return "chunk size has too many digits";
        case error::content_length_overflow: return "Content-Length too large";
        case error::body_too_large: return "HTTP body too large";
        case error::eof_in_head: return "connection closed inside the HTTP head";
        case error::short_body: return "connection closed before Content-Length bytes arrived";
        case error::eof_in_chunked: return "connection closed inside a chunked body";
        case error::bad_method: return "invalid HTTP method";
        case error::bad_target: return "invalid HTTP request target";
        case error::bad_field_name: return "invalid field name in request";
        case error::bad_field_value: return "invalid field value in request";
        case error::framing_field: return "Content-Length and Transfer-Encoding are set by the writer";
        case error::writer_state: return "request writer calls out of order";
        }
        return "unknown llmio.http error";
    }

    [[nodiscard]] bool equivalent(int code, const std::error_condition& cond) const noexcept override
    {
        if (cond.category() != condition_category()) {
            return false;
        }
        const auto want = static_cast<condition>(cond.value());
        switch (static_cast<error>(code)) {
        case error::need_more:
            return false;
        case error::bad_status_line:
        case error::bad_version:
        case error::bad_status:
        case error::bad_reason:
        case error::bad_line_ending:
        case error::bad_header_name:
        case error::bad_header_value:
        case error::obs_fold:
        case error::bad_content_length:
        case error::conflicting_content_length:
        case error::content_length_with_transfer_encoding:
        case error::bad_transfer_encoding:
        case error::bad_chunk_size:
        case error::bad_chunk_extension:
        case error::bad_chunk_terminator:
        case error::bad_trailer:
        case error::data_after_close:
        case error::upgraded:
            return want == condition::protocol_error;
        case error::content_length_overflow:
            return want == condition::limit_exceeded || want == condition::protocol_error;
        case error::header_block_too_large:
        case error::too_many_headers:
        case error::line_too_long:
        case error::chunk_size_too_long:
        case error::body_too_large:
            return want == condition::limit_exceeded;
        case error::eof_in_head:
        case error::short_body:
        case error::eof_in_chunked:
            return want == condition::truncated;
        case error::bad_method:
        case error::bad_target:
        case error::bad_field_name:
        case error::bad_field_value:
        case error::framing_field:
        case error::writer_state:
            return want == condition::invalid_input;
        }
        return false;
    }
};

} // namespace detail

/// The category of `llmio::http::error` ("llmio.http").
[[nodiscard]] inline const std::error_category& error_category() noexcept
{
    static const detail::error_category_impl category;
    return category;
}

[[nodiscard]] inline std::error_code make_error_code(error e) noexcept
{
    return {static_cast<int>(e), error_category()};
}

} // namespace llmio::http

template <>
struct std::is_error_code_enum<llmio::http::error> : std::true_type {};

#endif // LLMIO_HTTP_ERROR_HPP
