// Bodies of the inline functions declared in llmio/gemini/response.hpp.
#ifndef LLMIO_GEMINI_IMPL_RESPONSE_HPP
#define LLMIO_GEMINI_IMPL_RESPONSE_HPP

#include <array>
#include <string_view>
#include <utility>

namespace llmio::gemini {

namespace detail {

// Wire names from the Gemini API reference (FinishReason). Order does not matter.
inline constexpr std::array<std::pair<std::string_view, finish_reason>, 19> finish_reason_names{{
    {"STOP", finish_reason::stop},
    {"MAX_TOKENS", finish_reason::max_tokens},
    {"SAFETY", finish_reason::safety},
    {"RECITATION", finish_reason::recitation},
    {"LANGUAGE", finish_reason::language},
    {"OTHER", finish_reason::other},
    {"BLOCKLIST", finish_reason::blocklist},
    {"PROHIBITED_CONTENT", finish_reason::prohibited_content},
    {"SPII", finish_reason::spii},
    {"MALFORMED_FUNCTION_CALL", finish_reason::malformed_function_call},
    {"IMAGE_SAFETY", finish_reason::image_safety},
    {"IMAGE_PROHIBITED_CONTENT", finish_reason::image_prohibited_content},
    {"IMAGE_RECITATION", finish_reason::image_recitation},
    {"IMAGE_OTHER", finish_reason::image_other},
    {"NO_IMAGE", finish_reason::no_image},
    {"UNEXPECTED_TOOL_CALL", finish_reason::unexpected_tool_call},
    {"TOO_MANY_TOOL_CALLS", finish_reason::too_many_tool_calls},
    {"MISSING_THOUGHT_SIGNATURE", finish_reason::missing_thought_signature},
    {"FINISH_REASON_UNSPECIFIED", finish_reason::unspecified},
}};

inline constexpr std::array<std::pair<std::string_view, block_reason>, 6> block_reason_names{{
    {"SAFETY", block_reason::safety},
    {"OTHER", block_reason::other},
    {"BLOCKLIST", block_reason::blocklist},
    {"PROHIBITED_CONTENT", block_reason::prohibited_content},
    {"IMAGE_SAFETY", block_reason::image_safety},
    {"BLOCK_REASON_UNSPECIFIED", block_reason::unspecified},
}};

} // namespace detail

inline finish_reason parse_finish_reason(std::string_view s) noexcept
{
    for (const auto& [name, value] : detail::finish_reason_names) {
        if (name == s) {
            return value;
        }
    }
    return finish_reason::unknown;
}

inline block_reason parse_block_reason(std::string_view s) noexcept
{
    for (const auto& [name, value] : detail::block_reason_names) {
        if (name == s) {
            return value;
        }
    }
    return block_reason::unknown;
}

inline std::string_view to_string(finish_reason r) noexcept
{
    if (r == finish_reason::none) {
        return "";
    }
    for (const auto& [name, value] : detail::finish_reason_names) {
        if (value == r) {
            return name;
        }
    }
    return "UNKNOWN";
}

} // namespace llmio::gemini

#endif
