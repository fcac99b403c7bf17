// llmio/testing/detail/mock_json.hpp: the JSON documents the mock server answers with. Not API.
//
// Written with llmio::json::writer (compact), except the error envelope, which the service
// pretty-prints with two-space indentation: clients meet it that way, and the raw mid-stream
// form (vertexai/streaming-failure-error-mid-stream.txt) is only recognisable as lines.
#ifndef LLMIO_TESTING_DETAIL_MOCK_JSON_HPP
#define LLMIO_TESTING_DETAIL_MOCK_JSON_HPP

#include <llmio/json/writer.hpp>

#include <array>
#include <chrono>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>

namespace llmio::testing::detail {

// ---- Deterministic content ------------------------------------------------------------------

/// The words answers are made of, cycled. Plain ASCII so a test can compare bytes.
inline constexpr std::array<std::string_view, 32> mock_words{
    "Lorem", "ipsum", "dolor", "sit", "amet", "consectetur", "adipiscing", "elit",
    "sed", "do", "eiusmod", "tempor", "incididunt", "ut", "labore", "et",
    "dolore", "magna", "aliqua", "Ut", "enim", "ad", "minim", "veniam",
    "quis", "nostrud", "exercitation", "ullamco", "laboris", "nisi", "aliquip", "ex"};

/// FNV-1a: the same request body always starts at the same word, whatever came before it or
/// ran beside it, so answers do not depend on the order concurrent requests arrive in.
[[nodiscard]] inline std::uint64_t fnv1a(std::string_view s) noexcept
{
    std::uint64_t h = 14695981039346656037ull;
    for (const char c : s) {
        h ^= static_cast<unsigned char>(c);
        h *= 1099511628211ull;
    }
    return h;
}

/// Appends words [first, first + count) of the answer that starts at word `offset`, separated
/// by single spaces; a leading space when `first > 0`, so consecutive pieces concatenate.
inline void append_words(std::string& out, std::uint64_t offset, std::size_t first, std::size_t count)
{
    for (std::size_t i = first; i < first + count; ++i) {
        if (i > 0) {
            out.push_back(' ');
        }
        out.append(mock_words[(offset + i) % mock_words.size()]);
    }
}

/// The service counts roughly four bytes of English per token; the mock estimates prompt
/// tokens from the request body the same way (at least 1).
[[nodiscard]] inline std::int64_t estimate_tokens(std::size_t bytes) noexcept
{
    return static_cast<std::int64_t>(bytes / 4 > 0 ? bytes / 4 : 1);
}

/// A protobuf JSON Duration: "2s", "12.345s".
inline void append_duration(std::string& out, std::chrono::milliseconds d)
{
    char text[40];
    const long long ms = d.count() < 0 ? 0 : static_cast<long long>(d.count());
    const int n = ms % 1000 == 0 ? std::snprintf(text, sizeof text, "%llds", ms / 1000)
                                 : std::snprintf(text, sizeof text, "%lld.%03llds", ms / 1000, ms % 1000);
    out.append(text, static_cast<std::size_t>(n));
}

// ---- Pretty printing ------------------------------------------------------------------------

/// Re-indents compact JSON (as json::writer makes it) the way the service prints its error
/// envelope: two spaces per level, `"key": value`, empty containers kept as `{}` / `[]`.
inline void append_pretty(std::string& out, std::string_view compact)
{
    std::size_t depth = 0;
    const auto newline = [&] {
        out.push_back('\n');
        out.append(2 * depth, ' ');
    };
    for (std::size_t i = 0; i < compact.size(); ++i) {
        const char c = compact[i];
        switch (c) {
        case '"': {
            // Copy the string whole; an escaped quote does not end it.
            std::size_t j = i + 1;
            while (j < compact.size() && compact[j] != '"') {
                j += compact[j] == '\\' ? 2 : 1;
            }
            out.append(compact.substr(i, j + 1 - i));
            i = j;
            break;
        }
        case '{':
        case '[':
            out.push_back(c);
            if (i + 1 < compact.size() && (compact[i + 1] == '}' || compact[i + 1] == ']')) {
                out.push_back(compact[++i]);
            } else {
                ++depth;
                newline();
            }
            break;
        case '}':
        case ']':
            --depth;
            newline();
            out.push_back(c);
            break;
        case ',':
            out.push_back(',');
            newline();
            break;
        case ':': out.append(": "); break;
        default: out.push_back(c); break;
        }
    }
}

// ---- The error envelope ---------------------------------------------------------------------

/// The kinds of QuotaFailure the service sends (GEMINI_API.md, "Errors").
enum class quota_kind { per_minute, per_day, input_tokens };

/// Starts `{"error":{"code":..,"message":..,"status":..` in `w`; the caller adds details and
/// calls end_envelope.
inline void begin_envelope(json::writer& w, int code, std::string_view status, std::string_view message)
{
    w.begin_object();
    w.key("error");
    w.begin_object();
    w.key("code");
    w.number(code);
    w.key("message");
    w.string(message);
    w.key("status");
    w.string(status);
}

inline void end_envelope(json::writer& w)
{
    w.end_object();
    w.end_object();
}

inline void debug_info(json::writer& w, std::string_view detail)
{
    w.begin_object();
    w.key("@type");
    w.string("type.googleapis.com/google.rpc.DebugInfo");
    w.key("detail");
    w.string(detail);
    w.end_object();
}

/// Appends the pretty envelope for `code`/`status`/`message`, with one DebugInfo when
/// `debug` is non-empty. `scratch` is reused for the compact text.
inline void append_error(std::string& out, json::writer& w, std::string& scratch, int code,
                         std::string_view status, std::string_view message, std::string_view debug = {})
{
    scratch.clear();
    w.reset(scratch);
    begin_envelope(w, code, status, message);
    if (!debug.empty()) {
        w.key("details");
        w.begin_array();
        debug_info(w, debug);
        w.end_array();
    }
    end_envelope(w);
    append_pretty(out, scratch);
    out.push_back('\n');   // the service ends the body with a newline
}

/// 400 INVALID_ARGUMENT for a missing or wrong key, as googleai/unary-failure-api-key.json.
inline void append_api_key_invalid(std::string& out, json::writer& w, std::string& scratch)
{
    constexpr std::string_view message = "API key not valid. Please pass a valid API key.";
    scratch.clear();
    w.reset(scratch);
    begin_envelope(w, 400, "INVALID_ARGUMENT", message);
    w.key("details");
    w.begin_array();
    w.begin_object();
    w.key("@type");
    w.string("type.googleapis.com/google.rpc.ErrorInfo");
    w.key("reason");
    w.string("API_KEY_INVALID");
    w.key("domain");
    w.string("googleapis.com");
    w.key("metadata");
    w.begin_object();
    w.key("service");
    w.string("generativelanguage.googleapis.com");
    w.end_object();
    w.end_object();
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
    out.push_back('\n');   // the service ends the body with a newline
}

/// 429 RESOURCE_EXHAUSTED with QuotaFailure, Help and RetryInfo, in the order and wording of
/// the free tier's answers.
inline void append_quota_error(std::string& out, json::writer& w, std::string& scratch, quota_kind kind,
                               std::int64_t quota_value, std::string_view model,
                               std::chrono::milliseconds retry_delay)
{
    const bool tokens = kind == quota_kind::input_tokens;
    const std::string_view metric = tokens
        ? "generativelanguage.googleapis.com/generate_content_free_tier_input_token_count"
        : "generativelanguage.googleapis.com/generate_content_free_tier_requests";
    const std::string_view id = kind == quota_kind::per_minute
        ? "GenerateRequestsPerMinutePerProjectPerModel-FreeTier"
        : kind == quota_kind::per_day ? "GenerateRequestsPerDayPerProjectPerModel-FreeTier"
                                      : "GenerateContentInputTokensPerModelPerMinute-FreeTier";
    std::string delay;
    append_duration(delay, retry_delay);
    std::string message =
        "You exceeded your current quota, please check your plan and billing details. For more "
        "information on this error, head to: https://ai.google.dev/gemini-api/docs/rate-limits. "
        "To monitor your current usage, head to: https://ai.dev/usage?tab=rate-limit. \n"
        "* Quota exceeded for metric: ";
    message.append(metric).append(", limit: ").append(std::to_string(quota_value));
    message.append(", model: ").append(model).append("\nPlease retry in ").append(delay).append(".");

    scratch.clear();
    w.reset(scratch);
    begin_envelope(w, 429, "RESOURCE_EXHAUSTED", message);
    w.key("details");
    w.begin_array();
    w.begin_object();
    w.key("@type");
    w.string("type.googleapis.com/google.rpc.QuotaFailure");
    w.key("violations");
    w.begin_array();
    w.begin_object();
    w.key("quotaMetric");
    w.string(metric);
    w.key("quotaId");
    w.string(id);
    w.key("quotaDimensions");
    w.begin_object();
    w.key("location");
    w.string("global");
    w.key("model");
    w.string(model);
    w.end_object();
    w.key("quotaValue");
    w.string(std::to_string(quota_value));   // a string on the wire (int64 in proto3 JSON)
    w.end_object();
    w.end_array();
    w.end_object();
    w.begin_object();
    w.key("@type");
    w.string("type.googleapis.com/google.rpc.Help");
    w.key("links");
    w.begin_array();
    w.begin_object();
    w.key("description");
    w.string("Learn more about Gemini API quotas");
    w.key("url");
    w.string("https://ai.google.dev/gemini-api/docs/rate-limits");
    w.end_object();
    w.end_array();
    w.end_object();
    w.begin_object();
    w.key("@type");
    w.string("type.googleapis.com/google.rpc.RetryInfo");
    w.key("retryDelay");
    w.string(delay);
    w.end_object();
    w.end_array();
    end_envelope(w);
    append_pretty(out, scratch);
    out.push_back('\n');   // the service ends the body with a newline
}

// ---- Answers --------------------------------------------------------------------------------

struct usage_counts {
    std::int64_t prompt = 0;
    std::int64_t candidates = 0;   ///< 0: not sent (an event before the last)
};

/// `safetyRatings` over the four categories the service rates, NEGLIGIBLE except `flagged`,
/// which is rated `flagged_probability` and, with `blocked`, carries `"blocked": true`
/// (vertexai/streaming-failure-finish-reason-safety.txt).
inline void write_safety_ratings(json::writer& w, std::string_view flagged, std::string_view flagged_probability,
                                 bool blocked)
{
    static constexpr std::array<std::string_view, 4> categories{
        "HARM_CATEGORY_HATE_SPEECH", "HARM_CATEGORY_DANGEROUS_CONTENT", "HARM_CATEGORY_HARASSMENT",
        "HARM_CATEGORY_SEXUALLY_EXPLICIT"};
    w.key("safetyRatings");
    w.begin_array();
    for (const std::string_view c : categories) {
        w.begin_object();
        w.key("category");
        w.string(c);
        w.key("probability");
        w.string(c == flagged ? flagged_probability : std::string_view("NEGLIGIBLE"));
        if (c == flagged && blocked) {
            w.key("blocked");
            w.boolean(true);
        }
        w.end_object();
    }
    w.end_array();
}

/// What a candidate carries besides its text.
struct candidate_extras {
    /// `finishReason` ("STOP", "SAFETY", ...); empty: none (an event before the last).
    std::string_view finish_reason{};
    /// safetyRatings with HARM_CATEGORY_HARASSMENT blocked (a SAFETY finish).
    bool blocked_ratings = false;
    /// citationMetadata with one source over bytes [0, citation_end) of the answer; 0: none.
    std::size_t citation_end = 0;
};

/// One GenerateContentResponse: a streamed chunk (`finish_reason` empty until the last) or the
/// whole unary answer. Usage is a running total as the service sends it: prompt and total on
/// every chunk, candidates once known.
inline void write_generate_response(json::writer& w, std::string_view text, const candidate_extras& extras,
                                    usage_counts usage, std::string_view model, std::string_view response_id)
{
    w.begin_object();
    w.key("candidates");
    w.begin_array();
    w.begin_object();
    w.key("content");
    w.begin_object();
    w.key("parts");
    w.begin_array();
    w.begin_object();
    w.key("text");
    w.string(text);
    w.end_object();
    w.end_array();
    w.key("role");
    w.string("model");
    w.end_object();
    if (!extras.finish_reason.empty()) {
        w.key("finishReason");
        w.string(extras.finish_reason);
    }
    if (extras.blocked_ratings) {
        write_safety_ratings(w, "HARM_CATEGORY_HARASSMENT", "MEDIUM", true);
    }
    if (extras.citation_end != 0) {
        w.key("citationMetadata");
        w.begin_object();
        w.key("citationSources");
        w.begin_array();
        w.begin_object();
        w.key("startIndex");
        w.number(0);
        w.key("endIndex");
        w.number(static_cast<std::uint64_t>(extras.citation_end));
        w.key("uri");
        w.string("https://www.example.com/llmio-mock-recited-source");
        w.end_object();
        w.end_array();
        w.end_object();
    }
    w.key("index");
    w.number(0);
    w.end_object();
    w.end_array();
    w.key("usageMetadata");
    w.begin_object();
    w.key("promptTokenCount");
    w.number(usage.prompt);
    if (usage.candidates > 0) {
        w.key("candidatesTokenCount");
        w.number(usage.candidates);
    }
    w.key("totalTokenCount");
    w.number(usage.prompt + usage.candidates);
    w.end_object();
    w.key("modelVersion");
    w.string(model);
    w.key("responseId");
    w.string(response_id);
    w.end_object();
}

/// One OpenAI `chat.completion.chunk` (`finish` adds finish_reason "stop" and usage), or with
/// `unary` the whole `chat.completion`.
inline void write_chat_completion(json::writer& w, std::string_view text, bool finish, bool unary,
                                  usage_counts usage, std::string_view model, std::string_view id,
                                  std::int64_t created)
{
    w.begin_object();
    w.key("choices");
    w.begin_array();
    w.begin_object();
    w.key(unary ? "message" : "delta");
    w.begin_object();
    w.key("content");
    w.string(text);
    w.key("role");
    w.string("assistant");
    w.end_object();
    w.key("finish_reason");
    if (finish) {
        w.string("stop");
    } else {
        w.null();
    }
    w.key("index");
    w.number(0);
    w.end_object();
    w.end_array();
    w.key("created");
    w.number(created);
    w.key("id");
    w.string(id);
    w.key("model");
    w.string(model);
    w.key("object");
    w.string(unary ? "chat.completion" : "chat.completion.chunk");
    if (finish) {
        w.key("usage");
        w.begin_object();
        w.key("completion_tokens");
        w.number(usage.candidates);
        w.key("prompt_tokens");
        w.number(usage.prompt);
        w.key("total_tokens");
        w.number(usage.prompt + usage.candidates);
        w.end_object();
    }
    w.end_object();
}

/// `{"values":[...]}`: `dimensions` numbers in [-1, 1] from a splitmix64 sequence seeded by
/// `seed`, rounded to six decimals (shorter on the wire, still distinct per content).
inline void write_embedding(json::writer& w, std::uint64_t seed, std::size_t dimensions)
{
    w.begin_object();
    w.key("values");
    w.begin_array();
    std::uint64_t x = seed;
    for (std::size_t i = 0; i < dimensions; ++i) {
        x += 0x9e3779b97f4a7c15ull;
        std::uint64_t z = x;
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
        z ^= z >> 31;
        const double unit = static_cast<double>(z >> 11) / 9007199254740992.0;   // [0, 1)
        w.number(std::round((unit * 2.0 - 1.0) * 1e6) / 1e6);
    }
    w.end_array();
    w.end_object();
}

/// A Model resource (`GET /v1beta/models/{name}`).
inline void write_model(json::writer& w, std::string_view name)
{
    const bool embedding = name.find("embedding") != std::string_view::npos;
    std::string full = "models/";
    full.append(name);
    w.begin_object();
    w.key("name");
    w.string(full);
    w.key("version");
    w.string("001");
    w.key("displayName");
    w.string(name);
    w.key("description");
    w.string("A model served by llmio's mock server.");
    w.key("inputTokenLimit");
    w.number(embedding ? 2048 : 1048576);
    w.key("outputTokenLimit");
    w.number(embedding ? 1 : 8192);
    w.key("supportedGenerationMethods");
    w.begin_array();
    if (embedding) {
        w.string("embedContent");
        w.string("batchEmbedContents");
    } else {
        w.string("generateContent");
        w.string("countTokens");
    }
    w.end_array();
    if (!embedding) {
        w.key("temperature");
        w.number(1.0);
        w.key("topP");
        w.number(0.95);
        w.key("topK");
        w.number(40);
        w.key("maxTemperature");
        w.number(2.0);
    }
    w.end_object();
}

} // namespace llmio::testing::detail

#endif // LLMIO_TESTING_DETAIL_MOCK_JSON_HPP
