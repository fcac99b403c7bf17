// llmio/gemini/error.hpp: what can go wrong with a Gemini response, as error codes.
//
// The codes come from three places: the error envelope the service sends (classified from the
// HTTP status, `error.status`, the ErrorInfo reason and the QuotaFailure violations: see
// api_error.hpp), the content of a successful-looking response (a blocked prompt, a safety or
// recitation finish), and the stream itself (truncated, malformed). The envelope's detail
// (message, retry delay, quota values) travels beside the code in `api_error`.
#ifndef LLMIO_GEMINI_ERROR_HPP
#define LLMIO_GEMINI_ERROR_HPP

#include <llmio/error.hpp>

#include <string>
#include <system_error>

namespace llmio::gemini {

enum class error {
    // -- from the error envelope (GEMINI_API.md, "Errors") ------------------------------------
    /// 400 with ErrorInfo reason API_KEY_INVALID (Gemini answers an invalid key with 400, not 401).
    api_key_invalid = 1,
    /// 401 UNAUTHENTICATED: no usable credentials were sent.
    unauthenticated,
    /// 403 PERMISSION_DENIED other than a disabled API.
    permission_denied,
    /// 403 with ErrorInfo reason SERVICE_DISABLED: the Generative Language API is not enabled.
    api_not_enabled,
    /// 404 NOT_FOUND: usually an unknown model name.
    not_found,
    /// 400 INVALID_ARGUMENT: the request is malformed or unsupported.
    invalid_argument,
    /// 400 FAILED_PRECONDITION "User location is not supported for the API use.": use a relay
    /// endpoint or a proxy in a supported region.
    location_not_supported,
    /// 400 FAILED_PRECONDITION for another reason (for example billing not enabled).
    failed_precondition,
    /// 429 for a per-minute request quota: wait for the retry delay, then retry.
    quota_requests_per_minute,
    /// 429 for the input-tokens-per-minute quota: wait for the retry delay, then retry.
    quota_input_tokens_per_minute,
    /// 429 for a per-day quota: do not retry before the daily reset (midnight Pacific); fail over.
    quota_requests_per_day,
    /// 429 RESOURCE_EXHAUSTED without a recognised quota violation.
    resource_exhausted,
    /// 499 CANCELLED: the service cancelled the operation (seen mid-stream).
    cancelled,
    /// 500 INTERNAL and other 5xx that are not overload or timeout.
    internal,
    /// 503 UNAVAILABLE: "The model is overloaded".
    unavailable,
    /// 504 DEADLINE_EXCEEDED.
    deadline_exceeded,
    /// Any other status or code.
    unknown_api_error,

    // -- from the content of a response ------------------------------------------------------
    /// promptFeedback.blockReason is set, or no candidates came back with prompt feedback.
    prompt_blocked,
    /// finishReason SAFETY, IMAGE_SAFETY, BLOCKLIST, PROHIBITED_CONTENT, SPII, ...
    finish_safety,
    /// finishReason RECITATION or IMAGE_RECITATION.
    finish_recitation,
    /// Another finish reason that is not a normal completion (OTHER, LANGUAGE,
    /// MALFORMED_FUNCTION_CALL, UNEXPECTED_TOOL_CALL, TOO_MANY_TOOL_CALLS, ...).
    finish_abnormal,

    // -- from the stream ----------------------------------------------------------------------
    /// The stream ended without any finishReason: the output is incomplete.
    truncated_stream,
    /// The response is not JSON, or JSON of a shape Gemini never sends.
    malformed_response,
};

namespace detail {

class error_category_impl final : public std::error_category {
public:
    [[nodiscard]] const char* name() const noexcept override { return "llmio.gemini"; }

    [[nodiscard]] std::string message(int ev) const override
    {
        switch (static_cast<error>(ev)) {
        case error::api_key_invalid:
            return "API key not valid: check GEMINI_API_KEY (or GOOGLE_API_KEY)";
        case error::unauthenticated: return "no valid credentials were sent";
        case error::permission_denied: return "permission denied for this key or project";
        case error::api_not_enabled:
            return "the Generative Language API is not enabled for this project: enable it in "
                   "the Google Cloud console";
        case error::not_found: return "not found: check the model name (list models to see them)";
        case error::invalid_argument: return "the request was rejected as invalid";
        case error::location_not_supported:
            return "user location is not supported for the API: use a relay endpoint or an "
                   "HTTPS proxy in a supported region";
        case error::failed_precondition: return "the request failed a precondition";
        case error::quota_requests_per_minute:
            return "per-minute request quota exceeded: retry after the server's delay";
        case error::quota_input_tokens_per_minute:
            return "per-minute input token quota exceeded: retry after the server's delay";
        case error::quota_requests_per_day:
            return "daily request quota exceeded: resets at midnight Pacific time";
        case error::resource_exhausted: return "resource exhausted (rate limited)";
        case error::cancelled: return "the service cancelled the operation";
        case error::internal: return "the service failed with an internal error";
        case error::unavailable: return "the service is unavailable (model overloaded)";
        case error::deadline_exceeded: return "the service's deadline was exceeded";
        case error::unknown_api_error: return "the service returned an error";
        case error::prompt_blocked: return "the prompt was blocked";
        case error::finish_safety: return "the output was stopped for safety";
        case error::finish_recitation: return "the output was stopped for recitation";
        case error::finish_abnormal: return "the output ended abnormally";
        case error::truncated_stream:
            return "the stream ended without a finish reason: the output is incomplete";
        case error::malformed_response: return "the response is malformed";
        }
        return "unknown llmio.gemini error";
    }

    [[nodiscard]] bool equivalent(int code, const std::error_condition& cond) const noexcept override
    {
        if (cond.category() != condition_category()) {
            return false;
        }
        const auto c = static_cast<condition>(cond.value());
        switch (static_cast<error>(code)) {
        case error::api_key_invalid:
        case error::unauthenticated:
        case error::permission_denied:
        case error::api_not_enabled:
            return c == condition::auth;
        case error::not_found:
        case error::invalid_argument:
        case error::failed_precondition:
        case error::location_not_supported:
            return c == condition::bad_request;
        case error::quota_requests_per_minute:
        case error::quota_input_tokens_per_minute:
        case error::resource_exhausted:
            return c == condition::rate_limited || c == condition::retryable;
        case error::quota_requests_per_day:
            return c == condition::rate_limited;   // not retryable before the daily reset
        case error::cancelled:
        case error::deadline_exceeded:
            return c == condition::retryable;
        case error::internal:
        case error::unavailable:
            return c == condition::server_error || c == condition::retryable;
        case error::unknown_api_error:
            return false;
        case error::prompt_blocked:
        case error::finish_safety:
        case error::finish_recitation:
            return c == condition::blocked;
        case error::finish_abnormal:
            return false;
        case error::truncated_stream:
            return c == condition::truncated;
        case error::malformed_response:
            return c == condition::protocol_error;
        }
        return false;
    }
};

} // namespace detail

/// The category of `llmio::gemini::error` ("llmio.gemini").
[[nodiscard]] inline const std::error_category& error_category() noexcept
{
    static const detail::error_category_impl category;
    return category;
}

[[nodiscard]] inline std::error_code make_error_code(error e) noexcept
{
    return {static_cast<int>(e), error_category()};
}

} // namespace llmio::gemini

template <>
struct std::is_error_code_enum<llmio::gemini::error> : std::true_type {};

#endif // LLMIO_GEMINI_ERROR_HPP
