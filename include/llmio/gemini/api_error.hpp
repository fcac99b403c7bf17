// llmio/gemini/api_error.hpp: the error envelope `{"error":{code,message,status,details[]}}`.
//
// Gemini sends it in three forms (GEMINI_API.md, "Errors"): as the body of a non-2xx response,
// as raw multi-line JSON after some events of a 200 stream, and as `data: {"error":...}` inside
// the stream. All three decode to `api_error` (chunk_decoder.hpp), and `classify` turns one into
// an `llmio::gemini::error` from the HTTP status, `error.status`, the ErrorInfo reason and the
// QuotaFailure violations.
//
// Views point into the decoder's buffers: valid until its next `decode`.
#ifndef LLMIO_GEMINI_API_ERROR_HPP
#define LLMIO_GEMINI_API_ERROR_HPP

#include <llmio/gemini/error.hpp>

#include <chrono>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

namespace llmio::gemini {

/// Which limit a QuotaFailure violation names, from its `quotaId` (GEMINI_API.md, "Errors").
enum class quota_kind {
    unknown,
    /// GenerateRequestsPerMinutePerProjectPerModel[-FreeTier]: wait retryDelay, then retry.
    requests_per_minute,
    /// GenerateContentInputTokensPerModelPerMinute[-FreeTier]: wait retryDelay, then retry.
    input_tokens_per_minute,
    /// GenerateRequestsPerDayPerProjectPerModel[-FreeTier]: no retry before the daily reset.
    requests_per_day,
};

struct quota_violation {
    std::string_view quota_metric;
    std::string_view quota_id;
    std::string_view model;      ///< quotaDimensions.model
    std::string_view location;   ///< quotaDimensions.location
    /// The limit itself (`quotaValue`, sent as a string): a client can learn its real quota.
    std::optional<std::int64_t> quota_value;
    quota_kind kind = quota_kind::unknown;
};

struct api_error {
    /// The HTTP status of the response that carried it; 0 for the in-stream forms.
    int http_status = 0;
    std::int64_t code = 0;        ///< `error.code`, usually the HTTP status
    std::string_view status;      ///< `error.status`, e.g. "RESOURCE_EXHAUSTED"
    std::string_view message;     ///< `error.message`
    /// RetryInfo.retryDelay ("26s", "58.934310785s").
    std::optional<std::chrono::nanoseconds> retry_delay;
    std::span<const quota_violation> violations;
    std::string_view reason;      ///< ErrorInfo.reason, e.g. API_KEY_INVALID
    std::string_view domain;      ///< ErrorInfo.domain
    std::string_view debug_detail;   ///< DebugInfo.detail
    std::string_view help_url;       ///< the first Help link
};

/// quotaId to quota_kind.
[[nodiscard]] quota_kind classify_quota_id(std::string_view quota_id) noexcept;

/// The error an envelope stands for. Precedence: ErrorInfo reason (API_KEY_INVALID,
/// SERVICE_DISABLED), quota violations on a 429 (per-day wins over input tokens over requests
/// per minute: the most binding one decides what a client may do), the location precondition,
/// then `status`, then the numeric code or HTTP status.
[[nodiscard]] error classify(const api_error& e) noexcept;

/// A protobuf JSON Duration ("26s", "0.5s", "58.934310785s") to nanoseconds; nullopt when the
/// text is not one.
[[nodiscard]] std::optional<std::chrono::nanoseconds> parse_duration(std::string_view text) noexcept;

} // namespace llmio::gemini

#include <llmio/gemini/impl/api_error.hpp>

#endif // LLMIO_GEMINI_API_ERROR_HPP
