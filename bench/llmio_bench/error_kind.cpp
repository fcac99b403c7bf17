// bench/llmio_bench/error_kind.cpp: error_code -> "category:value" (error_kind.hpp).
//
// Categories are recognised by name so this file needs none of the modules' headers; the
// enumerator names below follow llmio/gemini/error.hpp, llmio/net/error.hpp and
// llmio/gemini/client.hpp (client_error), in their order and with their values.
#include "error_kind.hpp"

#include <array>
#include <cstring>
#include <string_view>

namespace llmio::bench::program {

namespace {

constexpr std::array<std::string_view, 23> gemini_names{
    "api_key_invalid", "unauthenticated", "permission_denied", "api_not_enabled", "not_found",
    "invalid_argument", "location_not_supported", "failed_precondition", "quota_requests_per_minute",
    "quota_input_tokens_per_minute", "quota_requests_per_day", "resource_exhausted", "cancelled",
    "internal", "unavailable", "deadline_exceeded", "unknown_api_error", "prompt_blocked",
    "finish_safety", "finish_recitation", "finish_abnormal", "truncated_stream", "malformed_response"};

constexpr std::array<std::string_view, 7> client_names{
    "invalid_model", "no_api_key", "no_usable_key", "bad_base_url", "not_started", "busy",
    "unexpected_response"};

[[nodiscard]] std::string_view net_name(int v) noexcept
{
    constexpr std::array<std::string_view, 6> config{"bad_proxy_url", "unsupported_proxy_scheme", "bad_port",
                                                     "bad_connect_host", "bad_proxy_credentials", "bad_url"};
    constexpr std::array<std::string_view, 6> timeouts{"connect_timeout", "handshake_timeout", "head_timeout",
                                                       "idle_timeout", "deadline_exceeded", "pool_timeout"};
    constexpr std::array<std::string_view, 7> peer{"connection_closed", "proxy_refused", "proxy_auth_required",
                                                   "bad_proxy_response", "pool_closed", "tls_truncated",
                                                   "unsupported_proxy"};
    if (v >= 1 && v <= 6) return config[static_cast<std::size_t>(v - 1)];
    if (v >= 100 && v <= 105) return timeouts[static_cast<std::size_t>(v - 100)];
    if (v >= 200 && v <= 206) return peer[static_cast<std::size_t>(v - 200)];
    return {};
}

template <std::size_t N>
[[nodiscard]] std::string_view from_one(const std::array<std::string_view, N>& names, int v) noexcept
{
    return v >= 1 && static_cast<std::size_t>(v) <= N ? names[static_cast<std::size_t>(v - 1)] : std::string_view{};
}

} // namespace

std::string error_kind(std::error_code ec)
{
    if (!ec) {
        return {};
    }
    std::string_view category = ec.category().name();
    const int v = ec.value();
    std::string_view name;
    if (category == "llmio.gemini") {
        name = from_one(gemini_names, v);
    } else if (category == "llmio.gemini.client") {
        name = from_one(client_names, v);
    } else if (category == "llmio.net") {
        name = net_name(v);
    } else if (category == "system" || category == "generic" || category == "asio.system") {
        // strerrorname_np: glibc 2.32+ ("ECONNRESET"); nullptr for an unknown value.
        const char* e = strerrorname_np(v);
        name = e != nullptr ? std::string_view(e) : std::string_view{};
        category = "system";
    }
    if (category.starts_with("llmio.")) {
        category.remove_prefix(6);
    }
    std::string out(category);
    out += ':';
    if (name.empty()) {
        out += std::to_string(v);
    } else {
        out += name;
    }
    return out;
}

} // namespace llmio::bench::program
