// llmio/gemini/response.hpp: a decoded `generateContent` response or streamed chunk, as views.
//
// A unary body and each streamed chunk have the same shape (GEMINI_API.md, "Response"). The
// decoder (chunk_decoder.hpp) fills these types without copying: every `std::string_view` and
// `std::span` here points into the decoder's own buffers or into the JSON text it was given,
// and is valid until the next `decode` on the same decoder (or until the JSON text is freed,
// for the raw-JSON views). Copy what you need to keep.
//
// Rule for these types: every member of scalar type (numbers, bools, enums) has a default
// member initialiser. The decoder builds them by default-initialisation in reused storage (no
// zero-fill, see chunk_decoder.hpp), so such a member without one would hold garbage.
#ifndef LLMIO_GEMINI_RESPONSE_HPP
#define LLMIO_GEMINI_RESPONSE_HPP

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

namespace llmio::gemini {

/// Why a candidate stopped. New values appear without notice: they decode as `unknown`, and
/// the wire string is kept in `candidate::finish_reason_text`.
enum class finish_reason {
    none,   ///< not sent on this chunk (the stream is still going)
    unspecified,
    stop,
    max_tokens,
    safety,
    recitation,
    language,
    other,
    blocklist,
    prohibited_content,
    spii,
    malformed_function_call,
    image_safety,
    image_prohibited_content,
    image_recitation,
    image_other,
    no_image,
    unexpected_tool_call,
    too_many_tool_calls,
    missing_thought_signature,
    unknown,
};

/// Why the prompt was blocked (`promptFeedback.blockReason`).
enum class block_reason {
    none,   ///< not blocked
    unspecified,
    safety,
    other,
    blocklist,
    prohibited_content,
    image_safety,
    unknown,
};

/// What a part carries. A part that carries nothing this version knows is `unknown`.
enum class part_kind {
    text,
    inline_data,
    file_data,
    function_call,
    function_response,
    executable_code,
    code_execution_result,
    unknown,
};

struct part {
    part_kind kind = part_kind::unknown;
    /// `text`, and for executable_code the code, for code_execution_result the output.
    std::string_view text;
    /// The part is a thought summary (`"thought": true`).
    bool thought = false;
    /// Opaque base64 that must be sent back unchanged in later turns.
    std::string_view thought_signature;
    /// inline_data / file_data: the MIME type.
    std::string_view mime_type;
    /// inline_data: base64 data; file_data: the file URI.
    std::string_view data;
    /// function_call / function_response: the call id (may be empty) and function name.
    std::string_view id;
    std::string_view name;
    /// function_call: `args` as raw JSON ("{}" when absent or null); function_response: `response`.
    std::string_view args;
    /// executable_code: `language`; code_execution_result: `outcome`.
    std::string_view language;
};

struct safety_rating {
    std::string_view category;      ///< e.g. HARM_CATEGORY_HATE_SPEECH
    std::string_view probability;   ///< e.g. NEGLIGIBLE
    bool blocked = false;
    std::optional<double> probability_score;
    std::string_view severity;
    std::optional<double> severity_score;
};

struct citation_source {
    std::optional<std::int64_t> start_index;
    std::optional<std::int64_t> end_index;
    std::string_view uri;
    std::string_view title;
    std::string_view license;
};

struct candidate {
    std::int64_t index = 0;
    /// `content` was present (it may still have no parts: "content": {"role": "model"}).
    bool has_content = false;
    std::string_view role;
    std::span<const part> parts;
    finish_reason finish = finish_reason::none;
    std::string_view finish_reason_text;   ///< the wire string, for `unknown` values
    std::string_view finish_message;
    std::span<const safety_rating> safety_ratings;
    std::span<const citation_source> citations;
    std::string_view grounding_metadata;     ///< raw JSON, empty when absent
    std::string_view url_context_metadata;   ///< raw JSON, empty when absent
};

struct prompt_feedback {
    block_reason block = block_reason::none;
    std::string_view block_reason_text;
    std::string_view block_reason_message;
    std::span<const safety_rating> safety_ratings;
};

/// Token counts. In a stream these are running totals repeated on chunks: use the last one,
/// never add them up. `thoughts` is included in `total`.
struct usage_metadata {
    std::int64_t prompt = 0;
    std::int64_t cached_content = 0;
    std::int64_t candidates = 0;
    std::int64_t tool_use_prompt = 0;
    std::int64_t thoughts = 0;
    std::int64_t total = 0;
};

/// One decoded response or streamed chunk.
struct response {
    std::span<const candidate> candidates;
    /// `promptFeedback` was present.
    std::optional<prompt_feedback> feedback;
    std::optional<usage_metadata> usage;
    std::string_view model_version;
    std::string_view response_id;

    /// The text parts of candidate 0 that are not thoughts, in order. Calls `f(std::string_view)`
    /// for each, so the text can be consumed without joining it.
    template <class F>
    void for_each_text(F&& f) const
    {
        if (candidates.empty()) {
            return;
        }
        for (const part& p : candidates.front().parts) {
            if (p.kind == part_kind::text && !p.thought && !p.text.empty()) {
                f(p.text);
            }
        }
    }
};

/// `finishReason` wire string to enum; unknown strings give `finish_reason::unknown`.
[[nodiscard]] finish_reason parse_finish_reason(std::string_view s) noexcept;
/// `blockReason` wire string to enum; unknown strings give `block_reason::unknown`.
[[nodiscard]] block_reason parse_block_reason(std::string_view s) noexcept;
/// The enum's wire name ("STOP", ...); "" for none, "UNKNOWN" for unknown.
[[nodiscard]] std::string_view to_string(finish_reason r) noexcept;

} // namespace llmio::gemini

#include <llmio/gemini/impl/response.hpp>

#endif // LLMIO_GEMINI_RESPONSE_HPP
