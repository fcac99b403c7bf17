// llmio::gemini::chunk_decoder and the error envelope, on hand-made documents. The recorded
// fixtures are in fixtures_test.cpp.
#include <llmio/gemini/chunk_decoder.hpp>
#include <llmio/gemini/content_error.hpp>

#include "support/catch.hpp"

#include <chrono>
#include <string>

using namespace std::chrono_literals;
namespace gemini = llmio::gemini;

namespace {

// A 429 as the service sends it for a per-minute free-tier quota.
const std::string quota_429 = R"({
  "error": {
    "code": 429,
    "message": "You exceeded your current quota, please check your plan and billing details.",
    "status": "RESOURCE_EXHAUSTED",
    "details": [
      {
        "@type": "type.googleapis.com/google.rpc.QuotaFailure",
        "violations": [
          {
            "quotaMetric": "generativelanguage.googleapis.com/generate_content_free_tier_requests",
            "quotaId": "GenerateRequestsPerMinutePerProjectPerModel-FreeTier",
            "quotaDimensions": {"location": "global", "model": "gemini-2.0-flash"},
            "quotaValue": "15"
          }
        ]
      },
      {"@type": "type.googleapis.com/google.rpc.Help", "links": [{"description": "Learn more", "url": "https://ai.google.dev/gemini-api/docs/rate-limits"}]},
      {"retryDelay": "58.934310785s", "@type": "type.googleapis.com/google.rpc.RetryInfo"}
    ]
  }
})";

std::string with_quota_id(std::string text, const std::string& id)
{
    const std::string from = "GenerateRequestsPerMinutePerProjectPerModel-FreeTier";
    text.replace(text.find(from), from.size(), id);
    return text;
}

} // namespace

TEST_CASE("parse_duration reads protobuf JSON durations", "[gemini][error]")
{
    CHECK(gemini::parse_duration("26s") == 26s);
    CHECK(gemini::parse_duration("0.5s") == 500ms);
    CHECK(gemini::parse_duration("58.934310785s") == 58s + 934310785ns);
    CHECK(gemini::parse_duration("1.0000000019s") == 1s + 1ns);   // below a nanosecond is dropped
    CHECK_FALSE(gemini::parse_duration("26").has_value());
    CHECK_FALSE(gemini::parse_duration("s").has_value());
    CHECK_FALSE(gemini::parse_duration("-1s").has_value());
    CHECK_FALSE(gemini::parse_duration("1.2.3s").has_value());
    CHECK_FALSE(gemini::parse_duration("99999999999999999999s").has_value());
}

TEST_CASE("a 429 envelope decodes with retry delay and quota violations", "[gemini][error]")
{
    gemini::chunk_decoder decoder;
    const std::error_code ec = decoder.decode(quota_429);
    CHECK(ec == gemini::error::quota_requests_per_minute);
    CHECK(ec == llmio::condition::rate_limited);
    CHECK(ec == llmio::condition::retryable);
    REQUIRE(decoder.has_api_error());
    const gemini::api_error& e = decoder.api();
    CHECK(e.code == 429);
    CHECK(e.status == "RESOURCE_EXHAUSTED");
    CHECK(e.message.find("exceeded your current quota") != std::string_view::npos);
    REQUIRE(e.retry_delay.has_value());
    CHECK(*e.retry_delay == 58s + 934310785ns);
    REQUIRE(e.violations.size() == 1);
    CHECK(e.violations[0].kind == gemini::quota_kind::requests_per_minute);
    CHECK(e.violations[0].quota_value == 15);
    CHECK(e.violations[0].model == "gemini-2.0-flash");
    CHECK(e.violations[0].location == "global");
    CHECK(e.help_url == "https://ai.google.dev/gemini-api/docs/rate-limits");
}

TEST_CASE("quota violations are classified by quotaId", "[gemini][error]")
{
    gemini::chunk_decoder decoder;
    const std::error_code per_day =
        decoder.decode(with_quota_id(quota_429, "GenerateRequestsPerDayPerProjectPerModel-FreeTier"));
    CHECK(per_day == gemini::error::quota_requests_per_day);
    CHECK(per_day == llmio::condition::rate_limited);
    CHECK_FALSE(per_day == llmio::condition::retryable);

    const std::error_code tokens =
        decoder.decode(with_quota_id(quota_429, "GenerateContentInputTokensPerModelPerMinute-FreeTier"));
    CHECK(tokens == gemini::error::quota_input_tokens_per_minute);

    const std::error_code unknown = decoder.decode(with_quota_id(quota_429, "SomethingElse"));
    CHECK(unknown == gemini::error::resource_exhausted);
    CHECK(unknown == llmio::condition::retryable);
}

TEST_CASE("error envelopes map status and reason to typed errors", "[gemini][error]")
{
    struct row {
        const char* json;
        gemini::error expected;
    };
    const row rows[] = {
        {R"({"error":{"code":503,"message":"The model is overloaded. Please try again later.","status":"UNAVAILABLE"}})",
         gemini::error::unavailable},
        {R"({"error":{"code":500,"message":"An internal error has occurred.","status":"INTERNAL"}})",
         gemini::error::internal},
        {R"({"error":{"code":504,"status":"DEADLINE_EXCEEDED"}})", gemini::error::deadline_exceeded},
        {R"({"error":{"code":400,"message":"User location is not supported for the API use.","status":"FAILED_PRECONDITION"}})",
         gemini::error::location_not_supported},
        {R"({"error":{"code":400,"message":"Precondition check failed.","status":"FAILED_PRECONDITION"}})",
         gemini::error::failed_precondition},
        {R"({"error":{"code":401,"status":"UNAUTHENTICATED"}})", gemini::error::unauthenticated},
        {R"({"error":{"code":403,"status":"PERMISSION_DENIED"}})", gemini::error::permission_denied},
        {R"({"error":{"code":418}})", gemini::error::unknown_api_error},
        {R"({"error":{"code":502}})", gemini::error::internal},
    };
    gemini::chunk_decoder decoder;
    for (const row& r : rows) {
        INFO(r.json);
        CHECK(decoder.decode(r.json) == r.expected);
    }
    CHECK(decoder.decode(R"({"error":{"code":503,"status":"UNAVAILABLE"}})") == llmio::condition::server_error);
}

TEST_CASE("a non-JSON error body is classified by its HTTP status", "[gemini][error]")
{
    gemini::chunk_decoder decoder;
    const std::string html = "<html><body>502 Bad Gateway</body></html>";
    CHECK(decoder.decode_error_body(502, html) == gemini::error::internal);
    CHECK(decoder.api().http_status == 502);
    CHECK(decoder.api().message == html);
    CHECK(decoder.decode_error_body(429, "") == gemini::error::resource_exhausted);
    CHECK(decoder.decode_error_body(503, quota_429) == gemini::error::quota_requests_per_minute);
    CHECK(decoder.api().http_status == 503);
}

TEST_CASE("responses decode into views", "[gemini][decode]")
{
    const std::string json = R"json({"candidates": [{"content": {"parts": [
        {"text": "Hi \"there\"\n", "thoughtSignature": "c2ln"},
        {"text": "thinking", "thought": true},
        {"functionCall": {"name": "now"}},
        {"functionCall": {"id": "c1", "name": "add", "args": {"a": 1, "b": [2, 3]}}},
        {"functionCall": {"name": "nil", "args": null}},
        {"inlineData": {"mimeType": "image/png", "data": "iVBO"}},
        {"executableCode": {"language": "PYTHON", "code": "print(1)"}},
        {"codeExecutionResult": {"outcome": "OUTCOME_OK", "output": "1\n"}},
        {"somethingNew": {"x": 1}}
      ], "role": "model"},
      "finishReason": "MAX_TOKENS", "index": 0,
      "safetyRatings": [{"category": "HARM_CATEGORY_HARASSMENT", "probability": "LOW", "blocked": true,
                         "probabilityScore": 0.5, "severity": "HARM_SEVERITY_LOW", "severityScore": 0.25}],
      "citationMetadata": {"citationSources": [{"startIndex": 1, "endIndex": 9, "uri": "https://x.test/"}]},
      "groundingMetadata": {"webSearchQueries": ["q"]}
    }],
    "usageMetadata": {"promptTokenCount": 3, "candidatesTokenCount": 4, "totalTokenCount": 12,
                      "thoughtsTokenCount": 5, "cachedContentTokenCount": 1, "toolUsePromptTokenCount": 2,
                      "promptTokensDetails": [{"modality": "TEXT", "tokenCount": 3}]},
    "modelVersion": "gemini-2.5-flash", "responseId": "abc", "futureField": {"deep": [1, {"a": null}]}})json";
    gemini::chunk_decoder decoder;
    REQUIRE_FALSE(decoder.decode(json));
    const gemini::response& r = decoder.get();
    REQUIRE(r.candidates.size() == 1);
    const gemini::candidate& c = r.candidates[0];
    CHECK(c.has_content);
    CHECK(c.role == "model");
    CHECK(c.finish == gemini::finish_reason::max_tokens);
    REQUIRE(c.parts.size() == 9);
    CHECK(c.parts[0].kind == gemini::part_kind::text);
    CHECK(c.parts[0].text == "Hi \"there\"\n");
    CHECK(c.parts[0].thought_signature == "c2ln");
    CHECK(c.parts[1].thought);
    CHECK(c.parts[2].kind == gemini::part_kind::function_call);
    CHECK(c.parts[2].name == "now");
    CHECK(c.parts[2].args == "{}");
    CHECK(c.parts[3].id == "c1");
    CHECK(c.parts[3].args == R"({"a": 1, "b": [2, 3]})");
    CHECK(c.parts[4].args == "{}");
    CHECK(c.parts[5].kind == gemini::part_kind::inline_data);
    CHECK(c.parts[5].mime_type == "image/png");
    CHECK(c.parts[5].data == "iVBO");
    CHECK(c.parts[6].kind == gemini::part_kind::executable_code);
    CHECK(c.parts[6].language == "PYTHON");
    CHECK(c.parts[6].text == "print(1)");
    CHECK(c.parts[7].kind == gemini::part_kind::code_execution_result);
    CHECK(c.parts[7].language == "OUTCOME_OK");
    CHECK(c.parts[8].kind == gemini::part_kind::unknown);
    REQUIRE(c.safety_ratings.size() == 1);
    CHECK(c.safety_ratings[0].blocked);
    CHECK(c.safety_ratings[0].probability_score == 0.5);
    CHECK(c.safety_ratings[0].severity == "HARM_SEVERITY_LOW");
    REQUIRE(c.citations.size() == 1);
    CHECK(c.citations[0].end_index == 9);
    CHECK(c.citations[0].uri == "https://x.test/");
    CHECK(c.grounding_metadata == R"({"webSearchQueries": ["q"]})");
    REQUIRE(r.usage.has_value());
    CHECK(r.usage->prompt == 3);
    CHECK(r.usage->candidates == 4);
    CHECK(r.usage->thoughts == 5);
    CHECK(r.usage->total == 12);
    CHECK(r.usage->cached_content == 1);
    CHECK(r.usage->tool_use_prompt == 2);
    CHECK(r.model_version == "gemini-2.5-flash");
    CHECK(r.response_id == "abc");
    CHECK_FALSE(r.feedback.has_value());
    CHECK_FALSE(gemini::content_error(r));   // MAX_TOKENS is the caller's own limit

    std::string text;
    r.for_each_text([&](std::string_view t) { text += t; });
    CHECK(text == "Hi \"there\"\n");
}

TEST_CASE("unknown enum values are kept, never an error", "[gemini][decode]")
{
    gemini::chunk_decoder decoder;
    REQUIRE_FALSE(decoder.decode(R"({"candidates":[{"finishReason":"BRAND_NEW"}],
        "promptFeedback":{"blockReason":"ALSO_NEW"}})"));
    const gemini::response& r = decoder.get();
    CHECK(r.candidates[0].finish == gemini::finish_reason::unknown);
    CHECK(r.candidates[0].finish_reason_text == "BRAND_NEW");
    CHECK_FALSE(r.candidates[0].has_content);
    REQUIRE(r.feedback.has_value());
    CHECK(r.feedback->block == gemini::block_reason::unknown);
    CHECK(r.feedback->block_reason_text == "ALSO_NEW");
    CHECK(gemini::content_error(r) == gemini::error::prompt_blocked);
}

TEST_CASE("finish reasons map to content errors", "[gemini][decode]")
{
    CHECK_FALSE(gemini::finish_error(gemini::finish_reason::stop));
    CHECK_FALSE(gemini::finish_error(gemini::finish_reason::none));
    CHECK_FALSE(gemini::finish_error(gemini::finish_reason::unknown));
    CHECK(gemini::finish_error(gemini::finish_reason::safety) == gemini::error::finish_safety);
    CHECK(gemini::finish_error(gemini::finish_reason::spii) == gemini::error::finish_safety);
    CHECK(gemini::finish_error(gemini::finish_reason::recitation) == gemini::error::finish_recitation);
    CHECK(gemini::finish_error(gemini::finish_reason::other) == gemini::error::finish_abnormal);
    CHECK(gemini::finish_error(gemini::finish_reason::malformed_function_call) ==
          gemini::error::finish_abnormal);
    CHECK(gemini::finish_error(gemini::finish_reason::safety) == llmio::condition::blocked);
    for (int i = 0; i <= static_cast<int>(gemini::finish_reason::unknown); ++i) {
        const auto r = static_cast<gemini::finish_reason>(i);
        if (r != gemini::finish_reason::none && r != gemini::finish_reason::unknown) {
            CHECK(gemini::parse_finish_reason(gemini::to_string(r)) == r);
        }
    }
}

TEST_CASE("malformed documents are malformed_response", "[gemini][decode]")
{
    gemini::chunk_decoder decoder;
    const char* bad[] = {
        "",
        "not json",
        "[1, 2]",
        "\"text\"",
        R"({"candidates": [{"content": {"parts": [{"text": "cut)",
        R"({"candidates": []} trailing)",
        R"({"candidates": [{"content": {"parts": [{"text": 5}]}}]})",
        R"({"this": [{"is": {"not": [{"a": "valid"}]}, "response": {}}]})",
        R"({"candidates": "nope"})",
        "{\"candidates\": [{\"content\": {\"parts\": [{\"text\": \"\xff\xfe\"}]}}]}",
    };
    for (const char* text : bad) {
        INFO(text);
        CHECK(decoder.decode(text) == gemini::error::malformed_response);
        CHECK(decoder.get().candidates.empty());
    }
    // The decoder is usable again afterwards.
    CHECK_FALSE(decoder.decode(R"({"candidates": []})"));
}

TEST_CASE("decoding in place needs padding, else one copy", "[gemini][decode]")
{
    const std::string doc = R"({"candidates":[{"content":{"parts":[{"functionCall":{"name":"f","args":{"k":1}}}]}}]})";
    std::string buffer = doc;
    buffer.append(gemini::json_padding, ' ');
    const std::string_view in_place(buffer.data(), doc.size());
    gemini::chunk_decoder decoder;

    REQUIRE_FALSE(decoder.decode(in_place, buffer.size() - doc.size()));
    const std::string_view args = decoder.get().candidates[0].parts[0].args;
    CHECK(args == R"({"k":1})");
    CHECK(args.data() >= buffer.data());   // a raw view into the caller's text: no copy
    CHECK(args.data() < buffer.data() + buffer.size());

    REQUIRE_FALSE(decoder.decode(in_place, 10));
    const std::string_view copied = decoder.get().candidates[0].parts[0].args;
    CHECK(copied == R"({"k":1})");
    CHECK((copied.data() < buffer.data() || copied.data() >= buffer.data() + buffer.size()));
}

TEST_CASE("documents over the size limit are refused", "[gemini][decode]")
{
    gemini::chunk_decoder decoder(gemini::decoder_options{.max_document = 32});
    CHECK_FALSE(decoder.decode(R"({"candidates":[]})"));
    CHECK(decoder.decode(R"({"candidates":[], "modelVersion": "0123456789"})") ==
          gemini::error::malformed_response);
}
