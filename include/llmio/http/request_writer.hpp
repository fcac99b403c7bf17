// llmio/http/request_writer.hpp: writes an HTTP/1.1 request head (and body) into a buffer the
// caller owns and reuses.
//
//     std::string out;                       // lives with the connection: keeps its capacity
//     http::request_writer w(out);
//     w.start("POST", "/v1beta/models/gemini:streamGenerateContent?alt=sse")
//      .header("Host", "generativelanguage.googleapis.com")
//      .header("Content-Type", "application/json");
//     if (const std::error_code ec = w.finish(json)) { ... }   // out holds the whole request
//
// Every byte the caller passes is checked before it is written: CR, LF or NUL in a method,
// target, name or value would let the caller's data split the request in two (request
// splitting), so they are refused, never escaped. The writer frames the body itself
// (Content-Length), so the caller cannot set Content-Length or Transfer-Encoding.
//
// The first error sticks: later calls do nothing, finish() returns it, and `out` is left empty
// so a half-written request cannot be sent by mistake. The caller writes Host (RFC 9112 §3.2
// requires it in HTTP/1.1) and any other field; the writer adds only Content-Length.
#ifndef LLMIO_HTTP_REQUEST_WRITER_HPP
#define LLMIO_HTTP_REQUEST_WRITER_HPP

#include <llmio/http/detail/chars.hpp>
#include <llmio/http/error.hpp>

#include <charconv>
#include <cstdint>
#include <string>
#include <string_view>
#include <system_error>

namespace llmio::http {

/// Writes one request into `out`. Appending may throw std::bad_alloc while `out` grows to its
/// largest request; a buffer reused across requests stops growing.
class request_writer {
public:
    /// Clears `out` (keeping its capacity) and writes into it; `out` must outlive the writer.
    explicit request_writer(std::string& out) noexcept;

    /// Writes the request line "METHOD target HTTP/1.1\r\n" (RFC 9112 §3). The method must be
    /// a token (error::bad_method), the target non-empty VCHAR only (error::bad_target).
    request_writer& start(std::string_view method, std::string_view target);

    /// Writes "name: value\r\n". The name must be a token (error::bad_field_name), the value
    /// HTAB / SP / VCHAR / obs-text only (error::bad_field_value); Content-Length and
    /// Transfer-Encoding are the writer's (error::framing_field). Duplicates are the caller's
    /// business.
    request_writer& header(std::string_view name, std::string_view value);

    /// Frames `body` and ends the request: "Content-Length: n\r\n" when the body is not empty,
    /// and for POST, PUT and PATCH even when it is (RFC 9110 §8.6: a user agent SHOULD send it
    /// when the method defines a meaning for content), then the empty line and the body.
    [[nodiscard]] std::error_code finish(std::string_view body);

    /// The same framing for a body of `length` bytes that the caller sends after `out` (a body
    /// that lives elsewhere, sent with scatter/gather I/O, is not copied).
    [[nodiscard]] std::error_code finish_for_body(std::uint64_t length);

    /// The first error, {} when none.
    [[nodiscard]] std::error_code error() const noexcept
    {
        return failed_ == http::error{} ? std::error_code{} : make_error_code(failed_);
    }

private:
    enum class stage : std::uint8_t { fresh, fields, finished };

    request_writer& fail(http::error e) noexcept;
    void write_framing(std::uint64_t length);

    std::string* out_;
    stage stage_ = stage::fresh;
    http::error failed_{};
    bool method_has_content_ = false;
};

} // namespace llmio::http

#include <llmio/http/impl/request_writer.hpp>

#endif // LLMIO_HTTP_REQUEST_WRITER_HPP
