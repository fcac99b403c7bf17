// llmio/gemini/client_options.hpp: everything a gemini::client can be told, in one struct with
// documented defaults, and the telemetry observer.
//
//     gemini::client_options o;
//     o.api_key = "AIza...";                       // or GEMINI_API_KEY / GOOGLE_API_KEY
//     o.limits = {.requests_per_minute = 15, .requests_per_day = 1500};
//     o.retry.max_retries = 6;
//     gemini::client client(io.get_executor(), std::move(o));
//
// Defaults follow GEMINI_API.md: the service's base URL (or GOOGLE_GEMINI_BASE_URL), API
// version v1beta, retries on (4 retries, full jitter from 1 s, factor 2, capped at 60 s, the
// server's RetryInfo / Retry-After honoured, a gRPC-style retry budget), no client-side rate
// limit until one is configured (the numbers depend on the model and tier), a 10 minute total
// deadline per operation that covers every attempt and every wait.
#ifndef LLMIO_GEMINI_CLIENT_OPTIONS_HPP
#define LLMIO_GEMINI_CLIENT_OPTIONS_HPP

#include <llmio/clock.hpp>
#include <llmio/gemini/keys.hpp>
#include <llmio/gemini/rate_limiter.hpp>
#include <llmio/gemini/rate_limits.hpp>
#include <llmio/gemini/response.hpp>
#include <llmio/gemini/retry.hpp>
#include <llmio/net/connection_pool.hpp>
#include <llmio/net/tls_context.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

namespace llmio::gemini {

/// What an observer is told about the request it is called for. Views are valid during the call.
struct request_info {
    std::uint64_t id = 0;              ///< the client's sequence number of the operation
    std::string_view operation;        ///< "streamGenerateContent", "generateContent", ...
    std::string_view model;
    std::size_t project = 0;           ///< index of the project whose key is used
    std::string_view project_name;
    int attempt = 0;                   ///< 1 for the first attempt
};

/// Telemetry hooks. Every member has an empty default: override what you need. Called on the
/// client's executor, inline in the operation (keep them short; do not call back into the same
/// stream). A client without an observer pays one null test per event.
class observer {
public:
    using duration = clock_source::duration;

    virtual ~observer() = default;
    /// An attempt is about to be sent (after the limiter admitted it).
    virtual void on_request_start(const request_info&) {}
    /// The limiter held the request for `waited` before admitting it (only when > 0).
    virtual void on_limiter_wait(const request_info&, duration /*waited*/) {}
    /// The response head arrived, `since_start` after the operation began.
    virtual void on_first_byte(const request_info&, int /*http_status*/, duration /*since_start*/) {}
    /// A chunk is handed to the caller.
    virtual void on_event(const request_info&, const response&) {}
    /// An attempt failed with `ec` and will be retried after `delay` (`server_delay`: the
    /// server's RetryInfo / Retry-After chose it).
    virtual void on_retry(const request_info&, std::error_code /*ec*/, duration /*delay*/, bool /*server_delay*/) {}
    /// The operation ended (ec empty: success), with the last usage seen.
    virtual void on_end(const request_info&, std::error_code /*ec*/, const std::optional<usage_metadata>&) {}
    /// A configuration warning the official SDKs would log (both key variables set, ...).
    virtual void on_warning(std::string_view /*text*/) {}
};

struct client_options {
    using duration = std::chrono::steady_clock::duration;

    // ---- Keys (GEMINI_API.md, "Auth") --------------------------------------------------------
    /// One key (one project). Empty, with no `projects` and no `key_config_file`: the
    /// environment, GOOGLE_API_KEY over GEMINI_API_KEY as the official SDKs do (with their warning).
    std::string api_key{};
    /// Several projects, each with its keys and limits. Quota is per project: keys of one
    /// project share it; requests rotate over projects that still have quota.
    std::vector<project_keys> projects{};
    /// A JSON file listing projects and keys (keys.hpp, `parse_key_config`), added to `projects`.
    std::string key_config_file{};

    // ---- Endpoint ----------------------------------------------------------------------------
    /// "https://host[:port][/prefix]" of the service or a relay endpoint. Empty:
    /// GOOGLE_GEMINI_BASE_URL when set, else https://generativelanguage.googleapis.com.
    std::string base_url{};
    /// "v1beta" (the SDKs' default), "v1" or "v1alpha".
    std::string api_version = "v1beta";

    // ---- Transport ---------------------------------------------------------------------------
    net::tls_options tls{};
    /// Connections per origin, idle limits, proxy (HTTPS_PROXY / NO_PROXY from the environment
    /// unless `pool.proxy` is set).
    net::pool_options pool{};
    duration connect_timeout = std::chrono::seconds(10);
    duration handshake_timeout = std::chrono::seconds(10);
    /// Until the response head: long thinking can take minutes (0: no limit).
    duration head_timeout = std::chrono::seconds(300);
    /// The longest silence inside a streamed body (0: no limit).
    duration idle_timeout = std::chrono::seconds(120);
    /// The total deadline of one operation, every attempt and wait included (0: none).
    duration timeout = std::chrono::minutes(10);
    /// Send `X-Server-Timeout: <seconds left>` as the SDKs do when a deadline is set.
    bool send_server_timeout = true;

    // ---- Policies ----------------------------------------------------------------------------
    retry_options retry{};
    /// Client-side quota for every project and model without its own (0 in a field: no limit).
    rate_limits limits{};
    /// Per-model limits for every project (a project's own `model_limits` win).
    std::vector<std::pair<std::string, rate_limits>> model_limits{};
    /// The limiter's window margin, usage thresholds and usage callback (its clock is `clock`).
    limiter_options limiter{};

    // ---- Telemetry and tests -----------------------------------------------------------------
    /// Not owned; must outlive the client. nullptr: none.
    gemini::observer* observer = nullptr;
    /// Not owned; nullptr: the real clocks. Tests pass a testing::manual_clock.
    clock_source* clock = nullptr;
};

/// Per operation.
struct call_options {
    /// Replaces the client's `timeout` for this operation (0: the client's).
    std::chrono::steady_clock::duration timeout{0};
    /// An absolute deadline on the client's clock; the earlier of it and `timeout` applies.
    clock_source::time_point deadline = clock_source::time_point::max();
    /// Waiting in the rate limiter: higher first, FIFO within a priority.
    int priority = 0;
    /// Use this project only (index in the client's project list); nullopt: any with quota.
    std::optional<std::size_t> project{};
    /// Gather the model's whole turn as a `content` (stream::turn()), thought signatures and
    /// function calls included, for sending back in a conversation. Allocates per part.
    bool keep_turn = false;
};

} // namespace llmio::gemini

#endif // LLMIO_GEMINI_CLIENT_OPTIONS_HPP
