// llmio/error.hpp: the error conditions shared by every module.
//
// Each module reports failures as `std::error_code` with its own `enum class error` and
// category (`llmio::http::error`, `llmio::sse::error`, `llmio::gemini::error`). Policy code
// does not keep lists of those codes: it compares against a `llmio::condition`, which every
// module category answers for its own codes (Beast `core/error.hpp` does the same):
//
//     if (ec == llmio::condition::retryable) ...
//
// Rich detail (the Gemini error envelope, a retry delay, quota violations) travels beside the
// code, never inside the message string.
#ifndef LLMIO_ERROR_HPP
#define LLMIO_ERROR_HPP

#include <cerrno>
#include <string>
#include <system_error>

namespace llmio {

/// Conditions across modules. A module error may match several (a per-minute quota error is
/// both `rate_limited` and `retryable`).
enum class condition {
    /// The peer sent bytes that violate the protocol (HTTP framing, SSE limits, bad JSON).
    protocol_error = 1,
    /// A configured limit (header size, line length, body size, event size) was exceeded.
    limit_exceeded,
    /// The caller's own input cannot be sent (CR/LF in a header, invalid UTF-8, bad JSON).
    invalid_input,
    /// The input ended before the message or stream was complete. Partial output exists.
    truncated,
    /// Trying the same request again later may succeed.
    retryable,
    /// The server or a client-side limiter refused because of a rate or quota.
    rate_limited,
    /// Credentials are missing, invalid or not permitted.
    auth,
    /// The request or the prompt was refused by content policy, or the output was stopped.
    blocked,
    /// The service refused the request as malformed or unsupported (not retryable as is).
    bad_request,
    /// The service failed (5xx, overload).
    server_error,
    /// A time limit passed: connect, TLS handshake, response head, idle gap, total deadline,
    /// or waiting for a pooled connection.
    timeout,
    /// The connection failed or could not be made (refused, reset, closed early, name not
    /// resolved, proxy refused the tunnel, TLS failure).
    network,
};

namespace detail {

class condition_category_impl final : public std::error_category {
public:
    [[nodiscard]] const char* name() const noexcept override { return "llmio"; }

    [[nodiscard]] std::string message(int ev) const override
    {
        switch (static_cast<condition>(ev)) {
        case condition::protocol_error: return "the peer violated the protocol";
        case condition::limit_exceeded: return "a configured limit was exceeded";
        case condition::invalid_input: return "the input cannot be encoded or sent";
        case condition::truncated: return "the message or stream ended early";
        case condition::retryable: return "the operation may succeed if retried";
        case condition::rate_limited: return "refused because of a rate limit or quota";
        case condition::auth: return "authentication or permission failure";
        case condition::blocked: return "blocked by content policy";
        case condition::bad_request: return "the service rejected the request";
        case condition::server_error: return "the service failed";
        case condition::timeout: return "a time limit passed";
        case condition::network: return "the connection failed";
        }
        return "unknown llmio condition";
    }

    /// The operating system's connection failures (std::system_category(), which is also what
    /// Asio uses for socket errors on POSIX) are `network`: callers need not list errno values.
    [[nodiscard]] bool equivalent(const std::error_code& code, int cond) const noexcept override
    {
        if (code.category() == *this) {
            return code.value() == cond;
        }
        if (static_cast<condition>(cond) != condition::network || code.category() != std::system_category()) {
            return false;
        }
        switch (code.value()) {
        case ECONNREFUSED: case ECONNRESET: case ECONNABORTED: case EPIPE: case ENOTCONN:
        case ENETUNREACH: case ENETDOWN: case EHOSTUNREACH: case ETIMEDOUT: case EADDRNOTAVAIL:
            return true;
        default:
            return false;
        }
    }
};

} // namespace detail

/// The category of `llmio::condition`.
[[nodiscard]] inline const std::error_category& condition_category() noexcept
{
    static const detail::condition_category_impl category;
    return category;
}

[[nodiscard]] inline std::error_condition make_error_condition(condition c) noexcept
{
    return {static_cast<int>(c), condition_category()};
}

} // namespace llmio

template <>
struct std::is_error_condition_enum<llmio::condition> : std::true_type {};

#endif // LLMIO_ERROR_HPP
