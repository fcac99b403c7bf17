// llmio/gemini/rate_limits.hpp: the quota numbers of one project and model.
//
// Gemini applies its limits per project and model, not per key (GEMINI_API.md, "Rate limits"):
// requests per minute, input tokens per minute, requests per day (reset at midnight
// America/Los_Angeles). The numbers differ by model and tier and change over time, so every
// one is configurable, and the client lowers a configured one when a 429's
// `QuotaFailure.quotaValue` says the real limit is lower.
#ifndef LLMIO_GEMINI_RATE_LIMITS_HPP
#define LLMIO_GEMINI_RATE_LIMITS_HPP

#include <cstdint>

namespace llmio::gemini {

/// Zero means "no client-side limit" for that dimension.
struct rate_limits {
    std::uint32_t requests_per_minute = 0;
    std::uint64_t input_tokens_per_minute = 0;
    std::uint32_t requests_per_day = 0;

    friend bool operator==(const rate_limits&, const rate_limits&) = default;
};

} // namespace llmio::gemini

#endif // LLMIO_GEMINI_RATE_LIMITS_HPP
