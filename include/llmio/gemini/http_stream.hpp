// llmio/gemini/http_stream.hpp: the raw bytes of one HTTP response to
// `streamGenerateContent?alt=sse`, turned into decoded chunks or a typed error.
//
// Sans-I/O composition of the three parsers: http::response_parser (framing, chunked
// de-framing without copies) -> stream_decoder (SSE, chunk decoding, stream-level rules). The
// transport reads from a socket into its buffer and hands the bytes here; tests and benchmarks
// hand bytes from memory the same way.
//
// The HTTP status decides, not the content type (a 429 has been seen with
// `Content-Type: text/event-stream`): a 2xx body is a stream, anything else is an error body,
// gathered up to a limit and decoded as the error envelope.
#ifndef LLMIO_GEMINI_HTTP_STREAM_HPP
#define LLMIO_GEMINI_HTTP_STREAM_HPP

#include <llmio/gemini/stream_decoder.hpp>
#include <llmio/http/response_parser.hpp>

#include <cstddef>
#include <string>
#include <string_view>
#include <system_error>

namespace llmio::gemini {

struct http_stream_options {
    http::response_parser_options http{};
    stream_options stream{};
    /// Bytes of a non-2xx body kept for decoding the error envelope; the rest is read and
    /// dropped (an envelope is a few KiB; a proxy's HTML page can be anything).
    std::size_t max_error_body = 64 * 1024;
};

class http_stream {
public:
    enum class step {
        need_more,   ///< all of the input was used: read more, or call put_eof() on close
        head,        ///< the response head arrived: status() and http() are valid
        chunk,       ///< chunk() holds a decoded chunk
        done,        ///< the response ended well; the connection may carry the next one
    };
    struct result {
        std::size_t consumed = 0;
        step what = step::need_more;
    };

    explicit http_stream(http_stream_options options = {});

    /// Ready for the next response on the same connection (after `done`).
    void next_response() noexcept;

    /// Ready for a new connection.
    void reset() noexcept;

    /// Consumes a prefix of `input`, stopping after the first head, chunk or end of response.
    /// Bytes not consumed must be presented again, with more appended, on the next call (they
    /// may move). `padding`: bytes readable after `input.end()`.
    ///
    /// Errors (`ec`): an http::error for broken framing, a gemini::error for an API error (in
    /// any of the three forms: `api()` holds the envelope), a blocked or abnormally finished
    /// stream, or a malformed one. The chunks handed out before an error are the partial output.
    [[nodiscard]] result put(std::string_view input, std::error_code& ec, std::size_t padding = 0) noexcept;

    /// The connection closed. Completes a body delimited by the close, or reports the
    /// truncation (http::error::short_body, eof_in_chunked, eof_in_head). May return `chunk`
    /// (a last event flushed): call again until `done` or an error.
    [[nodiscard]] result put_eof(std::error_code& ec) noexcept;

    [[nodiscard]] int status() const noexcept { return http_.status(); }
    [[nodiscard]] const http::response_parser& http() const noexcept { return http_; }
    [[nodiscard]] const response& chunk() const noexcept { return decoder_.chunk(); }
    [[nodiscard]] const stream_decoder& decoder() const noexcept { return decoder_; }
    /// The envelope of the last API error. Valid until the next put/put_eof/next_response.
    [[nodiscard]] const api_error& api() const noexcept
    {
        return error_body_mode_ ? errors_.api() : decoder_.api();
    }

private:
    [[nodiscard]] result feed_body(std::string_view body, std::size_t consumed_before,
                                   std::size_t padding_after, std::error_code& ec) noexcept;
    [[nodiscard]] result finish_body(std::size_t consumed, std::error_code& ec) noexcept;
    [[nodiscard]] std::error_code fail(std::error_code ec) noexcept;

    http_stream_options options_;
    http::response_parser http_;
    stream_decoder decoder_;
    chunk_decoder errors_;
    std::string error_body_;
    std::size_t unfed_ = 0;          // body bytes at the input's start the decoder has not taken
    bool error_body_mode_ = false;
    bool body_ended_ = false;
    std::error_code failed_;
};

} // namespace llmio::gemini

#include <llmio/gemini/impl/http_stream.hpp>

#endif // LLMIO_GEMINI_HTTP_STREAM_HPP
