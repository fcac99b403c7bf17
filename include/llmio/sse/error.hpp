// llmio/sse/error.hpp: what can go wrong while parsing a text/event-stream, as error codes.
//
// The WHATWG event-stream rules accept every byte sequence: nothing a server sends is a syntax
// error (an unknown field is ignored, a bad `retry` is ignored, an unterminated last event is
// dropped). The only failures are the limits a client sets so that a hostile or broken server
// cannot make it buffer without bound. Both codes compare equal to
// `llmio::condition::limit_exceeded` and to `llmio::condition::protocol_error` (the peer sent
// something no sane event stream contains).
#ifndef LLMIO_SSE_ERROR_HPP
#define LLMIO_SSE_ERROR_HPP

#include <llmio/error.hpp>

#include <string>
#include <system_error>
#include <type_traits>

namespace llmio::sse {

enum class error {
    /// One line (terminator excluded) is longer than `parser_options::max_line`.
    line_too_long = 1,
    /// The data of one event (its `data` lines joined with LF) is longer than
    /// `parser_options::max_event`.
    event_too_large,
};

namespace detail {

class error_category_impl final : public std::error_category {
public:
    [[nodiscard]] const char* name() const noexcept override { return "llmio.sse"; }

    [[nodiscard]] std::string message(int ev) const override
    {
        switch (static_cast<error>(ev)) {
        case error::line_too_long: return "event-stream line longer than the configured limit";
        case error::event_too_large: return "event-stream event data larger than the configured limit";
        }
        return "unknown llmio.sse error";
    }

    [[nodiscard]] bool equivalent(int code, const std::error_condition& cond) const noexcept override
    {
        if (cond.category() != condition_category()) {
            return false;
        }
        const auto c = static_cast<condition>(cond.value());
        switch (static_cast<error>(code)) {
        case error::line_too_long:
        case error::event_too_large:
            return c == condition::limit_exceeded || c == condition::protocol_error;
        }
        return false;
    }
};

} // namespace detail

/// The category of `llmio::sse::error` ("llmio.sse").
[[nodiscard]] inline const std::error_category& error_category() noexcept
{
    static const detail::error_category_impl category;
    return category;
}

[[nodiscard]] inline std::error_code make_error_code(error e) noexcept
{
    return {static_cast<int>(e), error_category()};
}

} // namespace llmio::sse

template <>
struct std::is_error_code_enum<llmio::sse::error> : std::true_type {};

#endif // LLMIO_SSE_ERROR_HPP
