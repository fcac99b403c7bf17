// llmio/testing/detail/mock_fault_json.hpp: the bodies of the faults a client's end-to-end
// tests need beyond the basic ones: the 403s, the payload 400, the front end's 502 page, a
// blocked prompt and a function-calling answer. Not API.
//
// Each follows a recorded answer of the service where one exists (the fixture is named), and
// otherwise the wording Google's front end is reported to send in public issue threads.
#ifndef LLMIO_TESTING_DETAIL_MOCK_FAULT_JSON_HPP
#define LLMIO_TESTING_DETAIL_MOCK_FAULT_JSON_HPP

#include <llmio/json/writer.hpp>
#include <llmio/testing/detail/mock_json.hpp>

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace llmio::testing::detail {

// ---- Error envelopes ------------------------------------------------------------------------

/// ErrorInfo with the service's metadata in the order it sends them: `service`, `consumer`
/// (googleai/unary-failure-generativelanguage-api-not-enabled.json), or, in the newer form
/// that names the key's container, `consumer`, `service`, `containerInfo`.
inline void error_info(json::writer& w, std::string_view reason, std::string_view consumer,
                       std::string_view container = {})
{
    w.begin_object();
    w.key("@type");
    w.string("type.googleapis.com/google.rpc.ErrorInfo");
    w.key("reason");
    w.string(reason);
    w.key("domain");
    w.string("googleapis.com");
    w.key("metadata");
    w.begin_object();
    if (container.empty()) {
        w.key("service");
        w.string("generativelanguage.googleapis.com");
        w.key("consumer");
        w.string(consumer);
    } else {
        w.key("consumer");
        w.string(consumer);
        w.key("service");
        w.string("generativelanguage.googleapis.com");
        w.key("containerInfo");
        w.string(container);
    }
    w.end_object();
    w.end_object();
}

/// 403 PERMISSION_DENIED for a suspended key: ErrorInfo CONSUMER_SUSPENDED with the consumer
/// and container, then a LocalizedMessage, as the service sends it in 2025 (earlier answers
/// lack containerInfo and the LocalizedMessage). The service puts the key itself in the
/// message and containerInfo; the mock never echoes a key.
inline void append_permission_denied(std::string& out, json::writer& w, std::string& scratch)
{
    constexpr std::string_view message = "Permission denied: Consumer 'api_key:<redacted>' has been suspended.";
    scratch.clear();
    w.reset(scratch);
    begin_envelope(w, 403, "PERMISSION_DENIED", message);
    w.key("details");
    w.begin_array();
    error_info(w, "CONSUMER_SUSPENDED", "projects/12345678", "api_key:<redacted>");
    w.begin_object();
    w.key("@type");
    w.string("type.googleapis.com/google.rpc.LocalizedMessage");
    w.key("locale");
    w.string("en-US");
    w.key("message");
    w.string(message);
    w.end_object();
    w.end_array();
    end_envelope(w);
    append_pretty(out, scratch);
    out.push_back('\n');
}

/// 403 PERMISSION_DENIED for a project whose Generative Language API is disabled, field for
/// field googleai/unary-failure-generativelanguage-api-not-enabled.json: Help with the
/// console's activation link, then ErrorInfo SERVICE_DISABLED.
inline void append_api_not_enabled(std::string& out, json::writer& w, std::string& scratch)
{
    constexpr std::string_view url =
        "https://console.developers.google.com/apis/api/generativelanguage.googleapis.com/overview?project=12345678";
    std::string message = "Generative Language API has not been used in project 12345678 before or it is disabled. "
                          "Enable it by visiting ";
    message.append(url).append(
        " then retry. If you enabled this API recently, wait a few minutes for the action to propagate to our "
        "systems and retry.");
    scratch.clear();
    w.reset(scratch);
    begin_envelope(w, 403, "PERMISSION_DENIED", message);
    w.key("details");
    w.begin_array();
    w.begin_object();
    w.key("@type");
    w.string("type.googleapis.com/google.rpc.Help");
    w.key("links");
    w.begin_array();
    w.begin_object();
    w.key("description");
    w.string("Google developers console API activation");
    w.key("url");
    w.string(url);
    w.end_object();
    w.end_array();
    w.end_object();
    error_info(w, "SERVICE_DISABLED", "projects/12345678");
    w.end_array();
    end_envelope(w);
    append_pretty(out, scratch);
    out.push_back('\n');
}

/// 400 INVALID_ARGUMENT for a request field the service does not know, with the
/// google.rpc.BadRequest detail Google's JSON transcoding adds.
inline void append_invalid_payload(std::string& out, json::writer& w, std::string& scratch)
{
    constexpr std::string_view message =
        "Invalid JSON payload received. Unknown name \"mockField\" at 'generation_config': Cannot find field.";
    scratch.clear();
    w.reset(scratch);
    begin_envelope(w, 400, "INVALID_ARGUMENT", message);
    w.key("details");
    w.begin_array();
    w.begin_object();
    w.key("@type");
    w.string("type.googleapis.com/google.rpc.BadRequest");
    w.key("fieldViolations");
    w.begin_array();
    w.begin_object();
    w.key("field");
    w.string("generation_config");
    w.key("description");
    w.string(message);
    w.end_object();
    w.end_array();
    w.end_object();
    w.end_array();
    end_envelope(w);
    append_pretty(out, scratch);
    out.push_back('\n');
}

/// What Google's front end answers when the backend behind it fails: its HTML error page.
inline constexpr std::string_view bad_gateway_page =
    "<!DOCTYPE html>\n<html lang=en>\n  <meta charset=utf-8>\n"
    "  <meta name=viewport content=\"initial-scale=1, minimum-scale=1, width=device-width\">\n"
    "  <title>Error 502 (Server Error)!!1</title>\n"
    "  <p><b>502.</b> <ins>That's an error.</ins>\n"
    "  <p>The server encountered a temporary error and could not complete your request.<p>Please try again in "
    "30 seconds.  <ins>That's all we know.</ins>\n";

// ---- Content answers --------------------------------------------------------------------------

/// A blocked prompt: promptFeedback with blockReason SAFETY and the ratings that decided it
/// (googleai/streaming-failure-prompt-blocked-safety.txt), usage, no candidates.
inline void write_blocked_response(json::writer& w, std::int64_t prompt_tokens, std::string_view model,
                                   std::string_view response_id)
{
    w.begin_object();
    w.key("promptFeedback");
    w.begin_object();
    w.key("blockReason");
    w.string("SAFETY");
    write_safety_ratings(w, "HARM_CATEGORY_HATE_SPEECH", "HIGH", false);
    w.end_object();
    w.key("usageMetadata");
    w.begin_object();
    w.key("promptTokenCount");
    w.number(prompt_tokens);
    w.key("totalTokenCount");
    w.number(prompt_tokens);
    w.end_object();
    w.key("modelVersion");
    w.string(model);
    w.key("responseId");
    w.string(response_id);
    w.end_object();
}

/// A fixed thoughtSignature: base64 of "llmio mock thought signature". Gemini 2.5 and 3 put
/// one on the first functionCall part, and a client must send it back unchanged.
inline constexpr std::string_view mock_thought_signature = "bGxtaW8gbW9jayB0aG91Z2h0IHNpZ25hdHVyZQ==";

/// The service's count for a call without arguments
/// (googleai/streaming-success-thinking-function-call-thought-summary-signature.txt).
inline constexpr std::int64_t tokens_per_call = 6;

/// One candidate whose parts are a functionCall each, `{"name","args":{}}`, the first with the
/// thoughtSignature, finishReason STOP.
inline void write_function_call_response(json::writer& w, std::span<const std::string_view> names,
                                         std::int64_t prompt_tokens, std::string_view model,
                                         std::string_view response_id)
{
    w.begin_object();
    w.key("candidates");
    w.begin_array();
    w.begin_object();
    w.key("content");
    w.begin_object();
    w.key("parts");
    w.begin_array();
    for (std::size_t i = 0; i < names.size(); ++i) {
        w.begin_object();
        w.key("functionCall");
        w.begin_object();
        w.key("name");
        w.string(names[i]);
        w.key("args");
        w.begin_object();
        w.end_object();
        w.end_object();
        if (i == 0) {
            w.key("thoughtSignature");
            w.string(mock_thought_signature);
        }
        w.end_object();
    }
    w.end_array();
    w.key("role");
    w.string("model");
    w.end_object();
    w.key("finishReason");
    w.string("STOP");
    w.key("index");
    w.number(0);
    w.end_object();
    w.end_array();
    const std::int64_t candidates = tokens_per_call * static_cast<std::int64_t>(names.size());
    w.key("usageMetadata");
    w.begin_object();
    w.key("promptTokenCount");
    w.number(prompt_tokens);
    w.key("candidatesTokenCount");
    w.number(candidates);
    w.key("totalTokenCount");
    w.number(prompt_tokens + candidates);
    w.end_object();
    w.key("modelVersion");
    w.string(model);
    w.key("responseId");
    w.string(response_id);
    w.end_object();
}

} // namespace llmio::testing::detail

#endif // LLMIO_TESTING_DETAIL_MOCK_FAULT_JSON_HPP
