// llmio/gemini/request.hpp: a `generateContent` request as C++ value types.
//
// The types mirror the official SDKs' request objects (python-genai `types.Content`,
// `types.Part`, `types.GenerateContentConfig`, ...) with snake_case names, and fill with
// designated initializers:
//
//     gemini::generate_content_request req{
//         .contents = {{.role = gemini::role::user,
//                       .parts = {gemini::content_part::from_text("Why is the sky blue?")}}},
//         .config = {.temperature = 0.2, .max_output_tokens = 512},
//     };
//
// They own their data (std::string, std::vector, std::optional): nothing here is a view, so a
// request may outlive whatever it was built from. JSON appears only where the input is JSON by
// nature (function arguments and results, schemas), held as raw JSON text that the encoder
// validates and copies into the body unchanged (request_encoder.hpp). Wire names are in
// GEMINI_API.md, "Request body"; an empty string, an empty vector and an unset optional are
// all "not sent".
//
// The request-side part is `content_part`, not `part`: `gemini::part` is the decoded response
// part (response.hpp), a set of views into the decoder's buffers.
//
// Every member has a default member initializer, even the `{}` ones: g++ 12 -Wextra warns
// about members a designated initializer leaves out unless they have one
// (-Wmissing-field-initializers), and users build with -Wextra too.
#ifndef LLMIO_GEMINI_REQUEST_HPP
#define LLMIO_GEMINI_REQUEST_HPP

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace llmio::gemini {

/// Who produced a turn ("user" / "model"). Function results go back in a `user` turn.
enum class role { user, model };

/// Bytes sent inline (`inlineData`). `data` is already base64, exactly as sent.
struct inline_data {
    std::string mime_type{};
    std::string data{};
};

/// A file uploaded through the Files API or a URI the service can fetch (`fileData`).
struct file_data {
    std::string mime_type{};
    std::string file_uri{};
};

/// A call the model asked for (`functionCall`), sent back unchanged in the history.
struct function_call {
    std::string id{};   ///< the model's call id, when it gave one; empty: not sent
    std::string name{};
    /// Raw JSON object of the arguments; empty: not sent.
    std::string args_json = "{}";
};

/// The result of a function call (`functionResponse`), sent in a `user` turn.
struct function_response {
    std::string id{};   ///< the id of the call it answers (empty: not sent)
    std::string name{};
    /// Raw JSON object, by convention {"output": ...} or {"error": ...}; empty: not sent.
    std::string response_json{};
};

/// Code the model wrote for the code-execution tool (`executableCode`).
struct executable_code {
    std::string language{};   ///< "PYTHON"
    std::string code{};
};

/// What running `executable_code` gave (`codeExecutionResult`).
struct code_execution_result {
    std::string outcome{};   ///< "OUTCOME_OK", "OUTCOME_FAILED", "OUTCOME_DEADLINE_EXCEEDED"
    std::string output{};
};

/// One part of a turn (`Part`): exactly one payload, plus the thought markers that the model
/// attached and that must be returned unchanged in later turns.
struct content_part {
    /// The payload; `std::string` is `text` (an empty text is still sent as "text": "").
    std::variant<std::string, inline_data, file_data, function_call, function_response,
                 executable_code, code_execution_result>
        value{};
    /// The part is a thought summary (`"thought": true`); false is not sent.
    bool thought = false;
    /// Opaque base64 from the model (`thoughtSignature`), sent back byte for byte. Gemini 3
    /// rejects a function-calling turn whose signature was dropped; empty: not sent.
    std::string thought_signature{};

    [[nodiscard]] static content_part from_text(std::string text)
    {
        return {.value = std::move(text)};
    }
    [[nodiscard]] static content_part from_inline_data(std::string mime_type, std::string data)
    {
        return {.value = inline_data{.mime_type = std::move(mime_type), .data = std::move(data)}};
    }
    [[nodiscard]] static content_part from_file_data(std::string mime_type, std::string file_uri)
    {
        return {.value = file_data{.mime_type = std::move(mime_type),
                                   .file_uri = std::move(file_uri)}};
    }
    [[nodiscard]] static content_part from_function_call(std::string name, std::string args_json,
                                                         std::string id = {})
    {
        return {.value = function_call{.id = std::move(id), .name = std::move(name),
                                       .args_json = std::move(args_json)}};
    }
    [[nodiscard]] static content_part from_function_response(std::string name,
                                                             std::string response_json,
                                                             std::string id = {})
    {
        return {.value = function_response{.id = std::move(id), .name = std::move(name),
                                           .response_json = std::move(response_json)}};
    }
    [[nodiscard]] static content_part from_executable_code(std::string language, std::string code)
    {
        return {.value = executable_code{.language = std::move(language),
                                         .code = std::move(code)}};
    }
    [[nodiscard]] static content_part from_code_execution_result(std::string outcome,
                                                                 std::string output)
    {
        return {.value = code_execution_result{.outcome = std::move(outcome),
                                               .output = std::move(output)}};
    }
};

/// One turn (`Content`). Must have at least one part.
struct content {
    // Qualified: an unqualified `role` here would change meaning once the member is declared.
    gemini::role role = gemini::role::user;   ///< not sent for `system_instruction`
    std::vector<content_part> parts{};
};

/// `generationConfig.thinkingConfig`.
struct thinking_config {
    /// Tokens the model may think for: 0 turns thinking off, -1 lets the model decide.
    std::optional<int> thinking_budget{};
    /// Return thought summaries as parts with `thought` set.
    std::optional<bool> include_thoughts{};
    /// "MINIMAL", "LOW", "MEDIUM" or "HIGH" (Gemini 3); empty: not sent. A string so that
    /// levels added later need no new release.
    std::string thinking_level{};
};

/// `generationConfig`. Every field is optional; the object is sent only when one is set.
struct generation_config {
    std::optional<double> temperature{};
    std::optional<double> top_p{};
    std::optional<int> top_k{};
    std::optional<int> candidate_count{};
    std::optional<int> max_output_tokens{};
    std::optional<int> seed{};
    std::optional<double> presence_penalty{};
    std::optional<double> frequency_penalty{};
    std::vector<std::string> stop_sequences{};
    std::string response_mime_type{};   ///< e.g. "application/json"
    /// Raw JSON object: the OpenAPI-subset `Schema` (`responseSchema`). At most one of this and
    /// `response_json_schema`.
    std::string response_schema{};
    /// Raw JSON: a JSON Schema (`responseJsonSchema`).
    std::string response_json_schema{};
    std::vector<std::string> response_modalities{};   ///< "TEXT", "IMAGE", "AUDIO"
    std::optional<gemini::thinking_config> thinking_config{};
};

/// `HarmCategory` values the Gemini Developer API accepts in safety settings.
enum class harm_category {
    unspecified,         ///< HARM_CATEGORY_UNSPECIFIED
    harassment,          ///< HARM_CATEGORY_HARASSMENT
    hate_speech,         ///< HARM_CATEGORY_HATE_SPEECH
    sexually_explicit,   ///< HARM_CATEGORY_SEXUALLY_EXPLICIT
    dangerous_content,   ///< HARM_CATEGORY_DANGEROUS_CONTENT
    civic_integrity,     ///< HARM_CATEGORY_CIVIC_INTEGRITY (deprecated by Google, still accepted)
};

/// `HarmBlockThreshold`.
enum class harm_block_threshold {
    unspecified,              ///< HARM_BLOCK_THRESHOLD_UNSPECIFIED
    block_low_and_above,      ///< BLOCK_LOW_AND_ABOVE
    block_medium_and_above,   ///< BLOCK_MEDIUM_AND_ABOVE
    block_only_high,          ///< BLOCK_ONLY_HIGH
    block_none,               ///< BLOCK_NONE
    off,                      ///< OFF: the filter is off, and no rating is returned
};

struct safety_setting {
    harm_category category = harm_category::unspecified;
    harm_block_threshold threshold = harm_block_threshold::unspecified;
};

/// A function the model may call (`FunctionDeclaration`).
struct function_declaration {
    std::string name{};
    std::string description{};
    /// Raw JSON: the parameters as JSON Schema (`parametersJsonSchema`).
    std::string parameters_json_schema{};
    /// Raw JSON object: the parameters as the OpenAPI-subset `Schema` (`parameters`). At most
    /// one of this and `parameters_json_schema`; neither for a function without parameters.
    std::string parameters{};
};

/// One entry of `tools`. Everything set in one `tool` goes into one wire object; the SDKs
/// usually send one kind per tool.
struct tool {
    std::vector<function_declaration> function_declarations{};
    bool google_search = false;    ///< {"googleSearch": {}}
    bool code_execution = false;   ///< {"codeExecution": {}}
    bool url_context = false;      ///< {"urlContext": {}}
};

/// `functionCallingConfig.mode`.
enum class function_calling_mode {
    unspecified,   ///< not sent: the service default (AUTO)
    auto_,         ///< AUTO: the model picks text or a call
    any,           ///< ANY: the model must call one of the (allowed) functions
    none,          ///< NONE: no calls
    validated,     ///< VALIDATED: calls are constrained to the declared schemas
};

/// `toolConfig.functionCallingConfig`.
struct tool_config {
    function_calling_mode mode = function_calling_mode::unspecified;
    /// With `any` or `validated`: the functions the model may call (empty: all).
    std::vector<std::string> allowed_function_names{};
};

/// The body of `generateContent` and `streamGenerateContent`.
struct generate_content_request {
    /// The conversation, oldest first; at least one turn.
    std::vector<content> contents{};
    /// Sent as {"parts": [...]}: its `role` is ignored.
    std::optional<content> system_instruction{};
    generation_config config{};
    std::vector<safety_setting> safety_settings{};
    std::vector<tool> tools{};
    std::optional<gemini::tool_config> tool_config{};
    /// A cache name, "cachedContents/..."; empty: not sent.
    std::string cached_content{};
};

/// The options of `embedContent` (python-genai `EmbedContentConfig`).
struct embed_content_config {
    /// "RETRIEVAL_QUERY", "RETRIEVAL_DOCUMENT", "SEMANTIC_SIMILARITY", "CLASSIFICATION",
    /// "CLUSTERING", "QUESTION_ANSWERING", "FACT_VERIFICATION", "CODE_RETRIEVAL_QUERY";
    /// empty: not sent.
    std::string task_type{};
    /// Only with RETRIEVAL_DOCUMENT; empty: not sent.
    std::string title{};
    /// Truncates the embedding to this many values.
    std::optional<int> output_dimensionality{};
};

/// The wire names. An out-of-range value gives "" (the encoder then fails with
/// `encode_error::invalid_enum`).
[[nodiscard]] constexpr std::string_view to_string(role r) noexcept
{
    switch (r) {
    case role::user: return "user";
    case role::model: return "model";
    }
    return {};
}

[[nodiscard]] constexpr std::string_view to_string(harm_category c) noexcept
{
    switch (c) {
    case harm_category::unspecified: return "HARM_CATEGORY_UNSPECIFIED";
    case harm_category::harassment: return "HARM_CATEGORY_HARASSMENT";
    case harm_category::hate_speech: return "HARM_CATEGORY_HATE_SPEECH";
    case harm_category::sexually_explicit: return "HARM_CATEGORY_SEXUALLY_EXPLICIT";
    case harm_category::dangerous_content: return "HARM_CATEGORY_DANGEROUS_CONTENT";
    case harm_category::civic_integrity: return "HARM_CATEGORY_CIVIC_INTEGRITY";
    }
    return {};
}

[[nodiscard]] constexpr std::string_view to_string(harm_block_threshold t) noexcept
{
    switch (t) {
    case harm_block_threshold::unspecified: return "HARM_BLOCK_THRESHOLD_UNSPECIFIED";
    case harm_block_threshold::block_low_and_above: return "BLOCK_LOW_AND_ABOVE";
    case harm_block_threshold::block_medium_and_above: return "BLOCK_MEDIUM_AND_ABOVE";
    case harm_block_threshold::block_only_high: return "BLOCK_ONLY_HIGH";
    case harm_block_threshold::block_none: return "BLOCK_NONE";
    case harm_block_threshold::off: return "OFF";
    }
    return {};
}

[[nodiscard]] constexpr std::string_view to_string(function_calling_mode m) noexcept
{
    switch (m) {
    case function_calling_mode::unspecified: return "MODE_UNSPECIFIED";
    case function_calling_mode::auto_: return "AUTO";
    case function_calling_mode::any: return "ANY";
    case function_calling_mode::none: return "NONE";
    case function_calling_mode::validated: return "VALIDATED";
    }
    return {};
}

} // namespace llmio::gemini

#endif // LLMIO_GEMINI_REQUEST_HPP
