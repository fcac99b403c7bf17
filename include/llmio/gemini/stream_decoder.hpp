// llmio/gemini/stream_decoder.hpp: a `streamGenerateContent?alt=sse` body, decoded chunk by
// chunk, with the stream-level rules Gemini needs on top of SSE.
//
// Sans-I/O: give it body bytes (already de-framed from HTTP chunking), get decoded chunks.
// Beyond one chunk at a time it knows what only the whole stream tells (GEMINI_API.md,
// "Stream framing" and "Errors"):
// - the last event may end without a blank line: it is flushed at the end;
// - an error may arrive as `data: {"error":...}` or as a raw multi-line JSON object between
//   events: both end the stream with the classified error and `api()`;
// - a stream that ends without any finishReason is truncated (`error::truncated_stream`);
// - a blocked prompt, a safety or recitation finish, or another abnormal finish is an error,
//   reported after the chunks that carried it were handed out (their partial output counts).
#ifndef LLMIO_GEMINI_STREAM_DECODER_HPP
#define LLMIO_GEMINI_STREAM_DECODER_HPP

#include <llmio/gemini/api_error.hpp>
#include <llmio/gemini/chunk_decoder.hpp>
#include <llmio/gemini/content_error.hpp>
#include <llmio/gemini/error.hpp>
#include <llmio/gemini/response.hpp>
#include <llmio/sse/parser.hpp>

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>

namespace llmio::gemini {

struct stream_options {
    /// SSE limits. `report_other_lines` is forced on: it is how raw error objects arrive.
    sse::parser_options sse{};
    decoder_options decoder{};
    /// Largest raw (non-SSE) error object accepted between events.
    std::size_t max_raw_error = 64 * 1024;
};

class stream_decoder {
public:
    enum class step {
        need_more,   ///< all input consumed; give more, or call finish() at the end of the body
        chunk,       ///< chunk() holds a decoded chunk
        done,        ///< finish() only: the stream ended well
    };
    struct result {
        std::size_t consumed = 0;
        step what = step::need_more;
    };

    explicit stream_decoder(stream_options options = {});

    /// Ready for a new stream (buffers keep their capacity).
    void reset() noexcept;

    /// Consumes a prefix of `body`, stopping after the first chunk decoded.
    /// `padding`: bytes readable after `body.end()` (lets simdjson parse in place).
    /// On error `ec` is set (an API error: `api()` holds it; otherwise malformed_response or an
    /// SSE limit) and every later call fails the same way until reset().
    [[nodiscard]] result put(std::string_view body, std::error_code& ec, std::size_t padding = 0) noexcept;

    /// The body ended. Returns `chunk` for a last event without a blank line (call again),
    /// then `done`, or sets `ec`: truncated_stream, prompt_blocked, finish_safety, ...
    [[nodiscard]] result finish(std::error_code& ec) noexcept;

    /// The chunk after step::chunk; valid until the next put/finish/reset.
    [[nodiscard]] const response& chunk() const noexcept { return decoder_.get(); }

    /// The API error after put/finish reported one; valid until the next put/finish/reset.
    [[nodiscard]] const api_error& api() const noexcept { return decoder_.api(); }

    /// The finish reason last seen on candidate 0 (none while the stream runs).
    [[nodiscard]] finish_reason last_finish_reason() const noexcept { return finish_; }

    /// The usage of the last chunk that carried it (running totals: not a sum).
    [[nodiscard]] const std::optional<usage_metadata>& usage() const noexcept { return usage_; }

    /// Chunks handed out so far.
    [[nodiscard]] std::size_t chunks() const noexcept { return chunks_; }

private:
    [[nodiscard]] bool take_event(std::error_code& ec) noexcept;
    void take_line(std::error_code& ec) noexcept;
    [[nodiscard]] std::error_code decode_raw_error() noexcept;
    [[nodiscard]] std::error_code fail(std::error_code ec) noexcept;

    stream_options options_;
    sse::parser sse_;
    chunk_decoder decoder_;
    std::string raw_;          // a raw error object being gathered, line by line
    int raw_depth_ = 0;        // its brace depth outside strings
    bool raw_in_string_ = false;
    bool raw_escape_ = false;
    finish_reason finish_ = finish_reason::none;
    std::optional<usage_metadata> usage_;
    bool blocked_ = false;
    bool saw_feedback_ = false;
    bool saw_candidates_ = false;
    std::size_t chunks_ = 0;
    std::error_code failed_;
    bool finished_ = false;
};

} // namespace llmio::gemini

#include <llmio/gemini/impl/stream_decoder.hpp>

#endif // LLMIO_GEMINI_STREAM_DECODER_HPP
