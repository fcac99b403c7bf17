// llmio/gemini/content_error.hpp: the error that a successful-looking response stands for.
//
// A 200 response can still carry a failure in its content: a blocked prompt, or a candidate
// stopped for safety, recitation or another abnormal reason. These functions say which.
#ifndef LLMIO_GEMINI_CONTENT_ERROR_HPP
#define LLMIO_GEMINI_CONTENT_ERROR_HPP

#include <llmio/gemini/error.hpp>
#include <llmio/gemini/response.hpp>

#include <system_error>

namespace llmio::gemini {

/// The error a response's content stands for: a blocked prompt, or the finish reason of its
/// first candidate. STOP, MAX_TOKENS, no finish reason yet, and finish reasons this version
/// does not know give `{}` (an unknown reason is kept, never an error: see HACKING.md).
[[nodiscard]] std::error_code content_error(const response& r) noexcept;

/// The error a finish reason stands for (see content_error).
[[nodiscard]] std::error_code finish_error(finish_reason reason) noexcept;

inline std::error_code finish_error(finish_reason reason) noexcept
{
    switch (reason) {
    case finish_reason::none:
    case finish_reason::stop:
    case finish_reason::max_tokens:   // the caller's own limit: the output is what was asked for
    case finish_reason::unknown:      // kept as text, never an error (HACKING.md)
        return {};
    case finish_reason::safety:
    case finish_reason::blocklist:
    case finish_reason::prohibited_content:
    case finish_reason::spii:
    case finish_reason::image_safety:
    case finish_reason::image_prohibited_content:
        return error::finish_safety;
    case finish_reason::recitation:
    case finish_reason::image_recitation:
        return error::finish_recitation;
    case finish_reason::unspecified:
    case finish_reason::language:
    case finish_reason::other:
    case finish_reason::malformed_function_call:
    case finish_reason::image_other:
    case finish_reason::no_image:
    case finish_reason::unexpected_tool_call:
    case finish_reason::too_many_tool_calls:
    case finish_reason::missing_thought_signature:
        return error::finish_abnormal;
    }
    return error::finish_abnormal;
}

inline std::error_code content_error(const response& r) noexcept
{
    if (r.feedback && r.feedback->block != block_reason::none) {
        return error::prompt_blocked;
    }
    if (r.candidates.empty()) {
        // No candidate but feedback (fixture unary-failure-only-prompt-feedback.json): the prompt
        // was refused even without a blockReason.
        return r.feedback ? std::error_code(error::prompt_blocked) : std::error_code();
    }
    return finish_error(r.candidates.front().finish);
}

} // namespace llmio::gemini

#endif // LLMIO_GEMINI_CONTENT_ERROR_HPP
