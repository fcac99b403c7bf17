// llmio/json/error.hpp: what can go wrong while writing JSON, as error codes.
//
// Every code is the caller's fault, never the peer's: text that is not UTF-8, a raw value that
// is not JSON, a number JSON cannot hold, or nesting past the writer's fixed stack. So every code
// answers `llmio::condition::invalid_input` (error.hpp), and nothing here is retryable.
#ifndef LLMIO_JSON_ERROR_HPP
#define LLMIO_JSON_ERROR_HPP

#include <llmio/error.hpp>

#include <string>
#include <system_error>

namespace llmio::json {

enum class error {
    /// A string or key is not valid UTF-8 (RFC 8259 section 8.1): a stray continuation byte, an
    /// overlong form, an encoded surrogate, a truncated sequence or a code point past U+10FFFF.
    /// The writer refuses it instead of writing a document the server would reject or misread.
    invalid_utf8 = 1,
    /// A raw value is not exactly one complete JSON value, or the calls made on the writer do not
    /// form one (a value in an object without a key, a key in an array, an unbalanced end, a
    /// second top-level value).
    invalid_json,
    /// A double that JSON cannot represent: NaN or an infinity (RFC 8259 section 6).
    invalid_number,
    /// Nesting deeper than the writer's stack (`writer::max_depth`), or a raw value nested deeper
    /// than its validator accepts.
    too_deep,
};

namespace detail {

class error_category_impl final : public std::error_category {
public:
    [[nodiscard]] const char* name() const noexcept override { return "llmio.json"; }

    [[nodiscard]] std::string message(int ev) const override
    {
        switch (static_cast<error>(ev)) {
        case error::invalid_utf8: return "text is not valid UTF-8";
        case error::invalid_json: return "not one complete, valid JSON value";
        case error::invalid_number: return "NaN and infinities cannot be written as JSON";
        case error::too_deep: return "JSON nested too deeply";
        }
        return "unknown llmio.json error";
    }

    [[nodiscard]] bool equivalent(int code, const std::error_condition& cond) const noexcept override
    {
        if (cond.category() != condition_category()) {
            return false;
        }
        switch (static_cast<error>(code)) {
        case error::invalid_utf8:
        case error::invalid_json:
        case error::invalid_number:
        case error::too_deep:
            return static_cast<condition>(cond.value()) == condition::invalid_input;
        }
        return false;
    }
};

} // namespace detail

/// The category of `llmio::json::error` ("llmio.json").
[[nodiscard]] inline const std::error_category& error_category() noexcept
{
    static const detail::error_category_impl category;
    return category;
}

[[nodiscard]] inline std::error_code make_error_code(error e) noexcept
{
    return {static_cast<int>(e), error_category()};
}

} // namespace llmio::json

template <>
struct std::is_error_code_enum<llmio::json::error> : std::true_type {};

#endif // LLMIO_JSON_ERROR_HPP
