// llmio/gemini/request_encoder.hpp: request.hpp's value types to the JSON bodies Gemini takes.
//
// `request_encoder` writes the exact wire JSON of GEMINI_API.md ("Request body"): contents,
// systemInstruction, safetySettings, tools, toolConfig and cachedContent at the top level, every
// sampling and output option inside generationConfig, camelCase names, and nothing for an unset
// optional, an empty string or an empty vector. It reuses one `json::writer` (and so one raw-JSON
// validator) across requests, and writes into the caller's string: once that string and the
// validator have grown to the largest request, encoding allocates nothing.
//
// Errors come in two kinds, both `llmio::condition::invalid_input`:
// - `encode_error`: the request's shape cannot be sent (no contents, a turn without parts, two
//   schemas for one thing, a raw value that must be an object and is not, an enum out of
//   range). Checked before anything is written.
// - `json::error`: text that is not UTF-8 anywhere in the request, raw JSON that is not JSON,
//   a NaN or infinite number.
// After an error the content of `out` is unspecified, and must not be sent.
#ifndef LLMIO_GEMINI_REQUEST_ENCODER_HPP
#define LLMIO_GEMINI_REQUEST_ENCODER_HPP

#include <llmio/error.hpp>
#include <llmio/gemini/request.hpp>
#include <llmio/json/writer.hpp>

#include <string>
#include <string_view>
#include <system_error>
#include <vector>

namespace llmio::gemini {

enum class encode_error {
    /// `contents` is empty: generateContent and countTokens need at least one turn.
    empty_contents = 1,
    /// A turn (or the system instruction) has no parts; the service rejects it.
    empty_parts,
    /// Both schemas are set where the service takes one: `parameters` and
    /// `parameters_json_schema` of a function, or `response_schema` and `response_json_schema`.
    both_schemas,
    /// A raw value that the service reads as a JSON object (google.protobuf.Struct or Schema:
    /// function args, function response, `parameters`, `response_schema`) is not one.
    not_an_object,
    /// An enum holds a value that is none of its enumerators.
    invalid_enum,
};

namespace detail {

class encode_error_category_impl final : public std::error_category {
public:
    [[nodiscard]] const char* name() const noexcept override { return "llmio.gemini.encode"; }

    [[nodiscard]] std::string message(int ev) const override
    {
        switch (static_cast<encode_error>(ev)) {
        case encode_error::empty_contents: return "the request has no contents";
        case encode_error::empty_parts: return "a turn of the request has no parts";
        case encode_error::both_schemas:
            return "both an OpenAPI schema and a JSON schema are set: set one";
        case encode_error::not_an_object: return "a raw JSON value that must be an object is not";
        case encode_error::invalid_enum: return "an enum value is out of range";
        }
        return "unknown llmio.gemini.encode error";
    }

    [[nodiscard]] bool equivalent(int code, const std::error_condition& cond) const noexcept override
    {
        if (cond.category() != condition_category()) {
            return false;
        }
        switch (static_cast<encode_error>(code)) {
        case encode_error::empty_contents:
        case encode_error::empty_parts:
        case encode_error::both_schemas:
        case encode_error::not_an_object:
        case encode_error::invalid_enum:
            return static_cast<condition>(cond.value()) == condition::invalid_input;
        }
        return false;
    }
};

} // namespace detail

/// The category of `encode_error` ("llmio.gemini.encode").
[[nodiscard]] inline const std::error_category& encode_error_category() noexcept
{
    static const detail::encode_error_category_impl category;
    return category;
}

[[nodiscard]] inline std::error_code make_error_code(encode_error e) noexcept
{
    return {static_cast<int>(e), encode_error_category()};
}

/// Writes request bodies. One encoder per connection or stream, reused for every request: it is
/// not thread-safe, and cheap to keep (its memory is the raw-JSON validator's).
///
/// Every `encode*` replaces the content of `out` (keeping its capacity) with the body and
/// returns `{}`, or returns an error and leaves `out` unspecified. They throw nothing but
/// `std::bad_alloc` when `out` or the validator must grow and the allocator fails.
class request_encoder {
public:
    request_encoder() = default;
    request_encoder(const request_encoder&) = delete;
    request_encoder& operator=(const request_encoder&) = delete;
    request_encoder(request_encoder&&) noexcept = default;
    request_encoder& operator=(request_encoder&&) noexcept = default;
    ~request_encoder() = default;

    /// The body of `models/{model}:generateContent` and `:streamGenerateContent?alt=sse`.
    [[nodiscard]] std::error_code encode(const generate_content_request& request, std::string& out);

    /// The body of `models/{model}:countTokens`: {"contents": [...]} only. The system
    /// instruction, tools and config of `request` are not counted.
    [[nodiscard]] std::error_code encode_count_tokens(const generate_content_request& request,
                                                      std::string& out);

    /// The body of `models/{model}:embedContent` for one text:
    /// {"content": {"parts": [{"text": ...}]}, "taskType", "title", "outputDimensionality"}.
    [[nodiscard]] std::error_code encode_embed_content(std::string_view text,
                                                       const embed_content_config& config,
                                                       std::string& out);

private:
    [[nodiscard]] static encode_error check(const generate_content_request& request) noexcept;
    [[nodiscard]] static encode_error check(const content& turn) noexcept;
    [[nodiscard]] static encode_error check(const content_part& part) noexcept;
    [[nodiscard]] static encode_error check(const generation_config& config) noexcept;
    [[nodiscard]] static encode_error check(const tool& t) noexcept;

    void string_member(std::string_view key, std::string_view value);
    void string_array_member(std::string_view key, const std::vector<std::string>& values);
    void raw_member(std::string_view key, std::string_view json);
    void contents_member(const std::vector<content>& contents);
    void content_value(const content& turn, bool with_role);
    void part_value(const content_part& part);
    void payload(const std::string& text);
    void payload(const inline_data& data);
    void payload(const file_data& data);
    void payload(const function_call& call);
    void payload(const function_response& response);
    void payload(const executable_code& code);
    void payload(const code_execution_result& result);
    void generation_config_member(const generation_config& config);
    void tool_value(const tool& t);
    void tool_config_member(const gemini::tool_config& config);

    json::writer w_;
};

} // namespace llmio::gemini

template <>
struct std::is_error_code_enum<llmio::gemini::encode_error> : std::true_type {};

#include <llmio/gemini/impl/request_encoder.hpp>

#endif // LLMIO_GEMINI_REQUEST_ENCODER_HPP
