// llmio/gemini/impl/request_encoder.hpp: inline bodies of llmio/gemini/request_encoder.hpp.
// Not included directly.
#ifndef LLMIO_GEMINI_IMPL_REQUEST_ENCODER_HPP
#define LLMIO_GEMINI_IMPL_REQUEST_ENCODER_HPP

#include <variant>

namespace llmio::gemini {

namespace detail {

/// The first character of `json` after JSON whitespace (RFC 8259 section 2), or 0.
[[nodiscard]] constexpr char first_json_char(std::string_view json) noexcept
{
    for (const char c : json) {
        if (c != ' ' && c != '\t' && c != '\n' && c != '\r') {
            return c;
        }
    }
    return 0;
}

/// An empty raw value is "not sent"; a non-empty one that the service reads as a Struct or a
/// Schema must be an object. Only the opening brace is checked here: the writer validates the
/// whole value when it writes it.
[[nodiscard]] constexpr bool object_or_empty(std::string_view json) noexcept
{
    return json.empty() || first_json_char(json) == '{';
}

[[nodiscard]] inline bool has_any(const generation_config& c) noexcept
{
    return c.temperature || c.top_p || c.top_k || c.candidate_count || c.max_output_tokens
        || c.seed || c.presence_penalty || c.frequency_penalty || !c.stop_sequences.empty()
        || !c.response_mime_type.empty() || !c.response_schema.empty()
        || !c.response_json_schema.empty() || !c.response_modalities.empty()
        || c.thinking_config.has_value();
}

} // namespace detail

// -- shape checks, before anything is written -------------------------------------------------

inline encode_error request_encoder::check(const content_part& part) noexcept
{
    if (const auto* call = std::get_if<function_call>(&part.value)) {
        return detail::object_or_empty(call->args_json) ? encode_error{}
                                                        : encode_error::not_an_object;
    }
    if (const auto* response = std::get_if<function_response>(&part.value)) {
        return detail::object_or_empty(response->response_json) ? encode_error{}
                                                                : encode_error::not_an_object;
    }
    return {};
}

inline encode_error request_encoder::check(const content& turn) noexcept
{
    if (to_string(turn.role).empty()) {
        return encode_error::invalid_enum;
    }
    if (turn.parts.empty()) {
        return encode_error::empty_parts;
    }
    for (const content_part& part : turn.parts) {
        if (const encode_error e = check(part); e != encode_error{}) {
            return e;
        }
    }
    return {};
}

inline encode_error request_encoder::check(const generation_config& config) noexcept
{
    if (!config.response_schema.empty() && !config.response_json_schema.empty()) {
        return encode_error::both_schemas;
    }
    if (!detail::object_or_empty(config.response_schema)) {
        return encode_error::not_an_object;
    }
    return {};
}

inline encode_error request_encoder::check(const tool& t) noexcept
{
    for (const function_declaration& f : t.function_declarations) {
        if (!f.parameters.empty() && !f.parameters_json_schema.empty()) {
            return encode_error::both_schemas;
        }
        if (!detail::object_or_empty(f.parameters)) {
            return encode_error::not_an_object;
        }
    }
    return {};
}

inline encode_error request_encoder::check(const generate_content_request& request) noexcept
{
    if (request.contents.empty()) {
        return encode_error::empty_contents;
    }
    for (const content& turn : request.contents) {
        if (const encode_error e = check(turn); e != encode_error{}) {
            return e;
        }
    }
    if (request.system_instruction) {
        // The role is not sent, so any value will do; the parts are.
        if (request.system_instruction->parts.empty()) {
            return encode_error::empty_parts;
        }
        for (const content_part& part : request.system_instruction->parts) {
            if (const encode_error e = check(part); e != encode_error{}) {
                return e;
            }
        }
    }
    if (const encode_error e = check(request.config); e != encode_error{}) {
        return e;
    }
    for (const safety_setting& s : request.safety_settings) {
        if (to_string(s.category).empty() || to_string(s.threshold).empty()) {
            return encode_error::invalid_enum;
        }
    }
    for (const tool& t : request.tools) {
        if (const encode_error e = check(t); e != encode_error{}) {
            return e;
        }
    }
    if (request.tool_config && to_string(request.tool_config->mode).empty()) {
        return encode_error::invalid_enum;
    }
    return {};
}

// -- writing ----------------------------------------------------------------------------------

inline void request_encoder::string_member(std::string_view key, std::string_view value)
{
    if (!value.empty()) {
        w_.key(key);
        w_.string(value);
    }
}

inline void request_encoder::string_array_member(std::string_view key,
                                                 const std::vector<std::string>& values)
{
    if (values.empty()) {
        return;
    }
    w_.key(key);
    w_.begin_array();
    for (const std::string& v : values) {
        w_.string(v);
    }
    w_.end_array();
}

inline void request_encoder::raw_member(std::string_view key, std::string_view json)
{
    if (!json.empty()) {
        w_.key(key);
        w_.raw(json);
    }
}

inline void request_encoder::payload(const std::string& text)
{
    // Sent even when empty: the variant says this is a text part (the service itself returns
    // {"text": "", "thoughtSignature": ...} parts that must go back as they came).
    w_.key("text");
    w_.string(text);
}

inline void request_encoder::payload(const inline_data& data)
{
    w_.key("inlineData");
    w_.begin_object();
    w_.key("mimeType");
    w_.string(data.mime_type);
    w_.key("data");
    w_.string(data.data);
    w_.end_object();
}

inline void request_encoder::payload(const file_data& data)
{
    w_.key("fileData");
    w_.begin_object();
    string_member("mimeType", data.mime_type);   // optional: the service can infer it
    w_.key("fileUri");
    w_.string(data.file_uri);
    w_.end_object();
}

inline void request_encoder::payload(const function_call& call)
{
    w_.key("functionCall");
    w_.begin_object();
    string_member("id", call.id);
    w_.key("name");
    w_.string(call.name);
    raw_member("args", call.args_json);
    w_.end_object();
}

inline void request_encoder::payload(const function_response& response)
{
    w_.key("functionResponse");
    w_.begin_object();
    string_member("id", response.id);
    w_.key("name");
    w_.string(response.name);
    raw_member("response", response.response_json);
    w_.end_object();
}

inline void request_encoder::payload(const executable_code& code)
{
    w_.key("executableCode");
    w_.begin_object();
    w_.key("language");
    w_.string(code.language);
    w_.key("code");
    w_.string(code.code);
    w_.end_object();
}

inline void request_encoder::payload(const code_execution_result& result)
{
    w_.key("codeExecutionResult");
    w_.begin_object();
    w_.key("outcome");
    w_.string(result.outcome);
    string_member("output", result.output);
    w_.end_object();
}

inline void request_encoder::part_value(const content_part& part)
{
    w_.begin_object();
    std::visit([this](const auto& value) { payload(value); }, part.value);
    if (part.thought) {
        w_.key("thought");
        w_.boolean(true);
    }
    // Opaque: written byte for byte (base64 needs no escaping, and is validated as UTF-8 like
    // every other string).
    string_member("thoughtSignature", part.thought_signature);
    w_.end_object();
}

inline void request_encoder::content_value(const content& turn, bool with_role)
{
    w_.begin_object();
    if (with_role) {
        w_.key("role");
        w_.string(to_string(turn.role));
    }
    w_.key("parts");
    w_.begin_array();
    for (const content_part& part : turn.parts) {
        part_value(part);
    }
    w_.end_array();
    w_.end_object();
}

inline void request_encoder::contents_member(const std::vector<content>& contents)
{
    w_.key("contents");
    w_.begin_array();
    for (const content& turn : contents) {
        content_value(turn, true);
    }
    w_.end_array();
}

inline void request_encoder::generation_config_member(const generation_config& c)
{
    if (!detail::has_any(c)) {
        return;
    }
    w_.key("generationConfig");
    w_.begin_object();
    if (c.temperature) {
        w_.key("temperature");
        w_.number(*c.temperature);
    }
    if (c.top_p) {
        w_.key("topP");
        w_.number(*c.top_p);
    }
    if (c.top_k) {
        w_.key("topK");
        w_.number(*c.top_k);
    }
    if (c.candidate_count) {
        w_.key("candidateCount");
        w_.number(*c.candidate_count);
    }
    if (c.max_output_tokens) {
        w_.key("maxOutputTokens");
        w_.number(*c.max_output_tokens);
    }
    string_array_member("stopSequences", c.stop_sequences);
    if (c.seed) {
        w_.key("seed");
        w_.number(*c.seed);
    }
    if (c.presence_penalty) {
        w_.key("presencePenalty");
        w_.number(*c.presence_penalty);
    }
    if (c.frequency_penalty) {
        w_.key("frequencyPenalty");
        w_.number(*c.frequency_penalty);
    }
    string_member("responseMimeType", c.response_mime_type);
    raw_member("responseSchema", c.response_schema);
    raw_member("responseJsonSchema", c.response_json_schema);
    string_array_member("responseModalities", c.response_modalities);
    if (c.thinking_config) {
        const gemini::thinking_config& t = *c.thinking_config;
        w_.key("thinkingConfig");
        w_.begin_object();
        if (t.thinking_budget) {
            w_.key("thinkingBudget");
            w_.number(*t.thinking_budget);
        }
        if (t.include_thoughts) {
            w_.key("includeThoughts");
            w_.boolean(*t.include_thoughts);
        }
        string_member("thinkingLevel", t.thinking_level);
        w_.end_object();
    }
    w_.end_object();
}

inline void request_encoder::tool_value(const tool& t)
{
    w_.begin_object();
    if (!t.function_declarations.empty()) {
        w_.key("functionDeclarations");
        w_.begin_array();
        for (const function_declaration& f : t.function_declarations) {
            w_.begin_object();
            w_.key("name");
            w_.string(f.name);
            string_member("description", f.description);
            raw_member("parameters", f.parameters);
            raw_member("parametersJsonSchema", f.parameters_json_schema);
            w_.end_object();
        }
        w_.end_array();
    }
    // The built-in tools take an empty object: their options are left to the service defaults.
    const auto empty_object_member = [this](std::string_view key) {
        w_.key(key);
        w_.begin_object();
        w_.end_object();
    };
    if (t.google_search) {
        empty_object_member("googleSearch");
    }
    if (t.code_execution) {
        empty_object_member("codeExecution");
    }
    if (t.url_context) {
        empty_object_member("urlContext");
    }
    w_.end_object();
}

inline void request_encoder::tool_config_member(const gemini::tool_config& config)
{
    w_.key("toolConfig");
    w_.begin_object();
    w_.key("functionCallingConfig");
    w_.begin_object();
    if (config.mode != function_calling_mode::unspecified) {
        w_.key("mode");
        w_.string(to_string(config.mode));
    }
    string_array_member("allowedFunctionNames", config.allowed_function_names);
    w_.end_object();
    w_.end_object();
}

inline std::error_code request_encoder::encode(const generate_content_request& request,
                                               std::string& out)
{
    out.clear();
    if (const encode_error e = check(request); e != encode_error{}) {
        return make_error_code(e);
    }
    w_.reset(out);
    w_.begin_object();
    contents_member(request.contents);
    if (request.system_instruction) {
        w_.key("systemInstruction");
        content_value(*request.system_instruction, false);
    }
    if (!request.safety_settings.empty()) {
        w_.key("safetySettings");
        w_.begin_array();
        for (const safety_setting& s : request.safety_settings) {
            w_.begin_object();
            w_.key("category");
            w_.string(to_string(s.category));
            w_.key("threshold");
            w_.string(to_string(s.threshold));
            w_.end_object();
        }
        w_.end_array();
    }
    if (!request.tools.empty()) {
        w_.key("tools");
        w_.begin_array();
        for (const tool& t : request.tools) {
            tool_value(t);
        }
        w_.end_array();
    }
    if (request.tool_config) {
        tool_config_member(*request.tool_config);
    }
    string_member("cachedContent", request.cached_content);
    generation_config_member(request.config);
    w_.end_object();
    return w_.error();
}

inline std::error_code request_encoder::encode_count_tokens(const generate_content_request& request,
                                                            std::string& out)
{
    out.clear();
    if (request.contents.empty()) {
        return make_error_code(encode_error::empty_contents);
    }
    for (const content& turn : request.contents) {
        if (const encode_error e = check(turn); e != encode_error{}) {
            return make_error_code(e);
        }
    }
    w_.reset(out);
    w_.begin_object();
    contents_member(request.contents);
    w_.end_object();
    return w_.error();
}

inline std::error_code request_encoder::encode_embed_content(std::string_view text,
                                                             const embed_content_config& config,
                                                             std::string& out)
{
    out.clear();
    w_.reset(out);
    w_.begin_object();
    w_.key("content");
    w_.begin_object();
    w_.key("parts");
    w_.begin_array();
    w_.begin_object();
    w_.key("text");
    w_.string(text);
    w_.end_object();
    w_.end_array();
    w_.end_object();
    string_member("taskType", config.task_type);
    string_member("title", config.title);
    if (config.output_dimensionality) {
        w_.key("outputDimensionality");
        w_.number(*config.output_dimensionality);
    }
    w_.end_object();
    return w_.error();
}

} // namespace llmio::gemini

#endif // LLMIO_GEMINI_IMPL_REQUEST_ENCODER_HPP
