// Bodies of the functions declared in llmio/gemini/api_error.hpp.
#ifndef LLMIO_GEMINI_IMPL_API_ERROR_HPP
#define LLMIO_GEMINI_IMPL_API_ERROR_HPP

#include <cstdint>
#include <string_view>

namespace llmio::gemini {

inline quota_kind classify_quota_id(std::string_view id) noexcept
{
    // The ids seen: GenerateRequestsPerMinutePerProjectPerModel-FreeTier,
    // GenerateContentInputTokensPerModelPerMinute-FreeTier,
    // GenerateRequestsPerDayPerProjectPerModel-FreeTier. Any per-day limit blocks until the reset.
    if (id.find("PerDay") != std::string_view::npos) {
        return quota_kind::requests_per_day;
    }
    if (id.find("PerMinute") != std::string_view::npos) {
        return id.find("Tokens") != std::string_view::npos ? quota_kind::input_tokens_per_minute
                                                            : quota_kind::requests_per_minute;
    }
    return quota_kind::unknown;
}

inline std::optional<std::chrono::nanoseconds> parse_duration(std::string_view text) noexcept
{
    // google.protobuf.Duration in JSON: decimal seconds with up to 9 fractional digits and 's'.
    if (text.size() < 2 || text.back() != 's') {
        return std::nullopt;
    }
    text.remove_suffix(1);
    std::int64_t seconds = 0;
    std::int64_t nanos = 0;
    std::size_t i = 0;
    bool any = false;
    for (; i < text.size() && text[i] >= '0' && text[i] <= '9'; ++i) {
        if (seconds > 315'576'000'000) {   // the protobuf Duration range: about 10,000 years
            return std::nullopt;
        }
        seconds = seconds * 10 + (text[i] - '0');
        any = true;
    }
    if (i < text.size()) {
        if (text[i] != '.') {
            return std::nullopt;
        }
        ++i;
        std::int64_t scale = 100'000'000;
        for (; i < text.size() && text[i] >= '0' && text[i] <= '9'; ++i) {
            nanos += (text[i] - '0') * scale;   // digits past the ninth are below a nanosecond
            scale /= 10;
            any = true;
        }
        if (i != text.size()) {
            return std::nullopt;
        }
    }
    if (!any) {
        return std::nullopt;
    }
    return std::chrono::seconds(seconds) + std::chrono::nanoseconds(nanos);
}

inline error classify(const api_error& e) noexcept
{
    if (e.reason == "API_KEY_INVALID") {
        return error::api_key_invalid;
    }
    if (e.reason == "SERVICE_DISABLED") {
        return error::api_not_enabled;
    }
    const std::int64_t code = e.code != 0 ? e.code : e.http_status;
    if (code == 429 || e.status == "RESOURCE_EXHAUSTED") {
        bool per_minute = false;
        bool tokens = false;
        for (const quota_violation& v : e.violations) {
            switch (v.kind) {
            case quota_kind::requests_per_day: return error::quota_requests_per_day;
            case quota_kind::input_tokens_per_minute: tokens = true; break;
            case quota_kind::requests_per_minute: per_minute = true; break;
            case quota_kind::unknown: break;
            }
        }
        if (tokens) {
            return error::quota_input_tokens_per_minute;
        }
        if (per_minute) {
            return error::quota_requests_per_minute;
        }
        return error::resource_exhausted;
    }
    if (e.status == "FAILED_PRECONDITION" || (code == 400 && e.status.empty())) {
        constexpr std::string_view location = "location is not supported";
        if (e.message.find(location) != std::string_view::npos ||
            e.debug_detail.find(location) != std::string_view::npos) {
            return error::location_not_supported;
        }
        if (e.status == "FAILED_PRECONDITION") {
            return error::failed_precondition;
        }
    }
    struct status_entry {
        std::string_view status;
        error value;
    };
    static constexpr status_entry by_status[] = {
        {"INVALID_ARGUMENT", error::invalid_argument},
        {"UNAUTHENTICATED", error::unauthenticated},
        {"PERMISSION_DENIED", error::permission_denied},
        {"NOT_FOUND", error::not_found},
        {"CANCELLED", error::cancelled},
        {"INTERNAL", error::internal},
        {"UNAVAILABLE", error::unavailable},
        {"DEADLINE_EXCEEDED", error::deadline_exceeded},
    };
    for (const status_entry& s : by_status) {
        if (s.status == e.status) {
            return s.value;
        }
    }
    switch (code) {
    case 400: return error::invalid_argument;
    case 401: return error::unauthenticated;
    case 403: return error::permission_denied;
    case 404: return error::not_found;
    case 408: return error::deadline_exceeded;
    case 499: return error::cancelled;
    case 500:
    case 502: return error::internal;
    case 503: return error::unavailable;
    case 504: return error::deadline_exceeded;
    default: break;
    }
    if (code >= 500 && code <= 599) {
        return error::internal;
    }
    return error::unknown_api_error;
}

} // namespace llmio::gemini

#endif
