// Tests of llmio/gemini/request_encoder.hpp: every wire field, checked both by parsing the
// output back with simdjson and against golden strings; the multi-turn function-calling
// history; thought signatures; the shape and JSON errors.
#include <llmio/gemini/request_encoder.hpp>

#include "support/catch.hpp"
#include "support/conformance.hpp"

#include <simdjson.h>

#include <cmath>
#include <limits>
#include <string>
#include <string_view>
#include <system_error>

namespace {

namespace gemini = llmio::gemini;
using gemini::content_part;
using gemini::encode_error;
using gemini::role;

/// The output parsed back, read through JSON pointers (RFC 6901).
class parsed {
public:
    explicit parsed(const std::string& json)
    {
        INFO("json: " << json);
        REQUIRE(parser_.parse(json).get(root_) == simdjson::SUCCESS);
    }

    [[nodiscard]] bool has(std::string_view pointer)
    {
        return root_.at_pointer(pointer).error() == simdjson::SUCCESS;
    }
    [[nodiscard]] std::string str(std::string_view pointer)
    {
        std::string_view v;
        INFO("pointer: " << pointer);
        REQUIRE(root_.at_pointer(pointer).get_string().get(v) == simdjson::SUCCESS);
        return std::string(v);
    }
    [[nodiscard]] double num(std::string_view pointer)
    {
        double v = 0;
        INFO("pointer: " << pointer);
        REQUIRE(root_.at_pointer(pointer).get_double().get(v) == simdjson::SUCCESS);
        return v;
    }
    [[nodiscard]] bool boolean(std::string_view pointer)
    {
        bool v = false;
        INFO("pointer: " << pointer);
        REQUIRE(root_.at_pointer(pointer).get_bool().get(v) == simdjson::SUCCESS);
        return v;
    }
    /// Members of an object or elements of an array.
    [[nodiscard]] std::size_t size(std::string_view pointer)
    {
        simdjson::dom::element e;
        INFO("pointer: " << pointer);
        REQUIRE(root_.at_pointer(pointer).get(e) == simdjson::SUCCESS);
        if (e.is_array()) {
            return e.get_array().value_unsafe().size();
        }
        REQUIRE(e.is_object());
        return e.get_object().value_unsafe().size();
    }
    /// The value at `pointer`, minified by simdjson.
    [[nodiscard]] std::string minified(std::string_view pointer)
    {
        simdjson::dom::element e;
        INFO("pointer: " << pointer);
        REQUIRE(root_.at_pointer(pointer).get(e) == simdjson::SUCCESS);
        return simdjson::minify(e);
    }

private:
    simdjson::dom::parser parser_;
    simdjson::dom::element root_;
};

gemini::generate_content_request ask(std::string text)
{
    return {.contents = {{.role = role::user, .parts = {content_part::from_text(std::move(text))}}}};
}

std::string encode_ok(const gemini::generate_content_request& request)
{
    gemini::request_encoder encoder;
    std::string out;
    const std::error_code ec = encoder.encode(request, out);
    INFO("error: " << ec.message());
    REQUIRE(!ec);
    return out;
}

std::error_code encode_error_of(const gemini::generate_content_request& request)
{
    gemini::request_encoder encoder;
    std::string out;
    return encoder.encode(request, out);
}

} // namespace

TEST_CASE("gemini encode: the smallest request")
{
    CHECK(encode_ok(ask("Hello"))
          == R"({"contents":[{"role":"user","parts":[{"text":"Hello"}]}]})");
}

TEST_CASE("gemini encode: the output replaces what the buffer held")
{
    gemini::request_encoder encoder;
    std::string out = "stale bytes from the previous request";
    REQUIRE(!encoder.encode(ask("a"), out));
    CHECK(out == R"({"contents":[{"role":"user","parts":[{"text":"a"}]}]})");
}

TEST_CASE("gemini encode: every generationConfig field, golden")
{
    auto request = ask("Hi");
    request.system_instruction = gemini::content{.parts = {content_part::from_text("Be brief.")}};
    request.safety_settings = {
        {.category = gemini::harm_category::harassment,
         .threshold = gemini::harm_block_threshold::block_only_high},
        {.category = gemini::harm_category::dangerous_content,
         .threshold = gemini::harm_block_threshold::off},
    };
    request.tools = {{.google_search = true}, {.code_execution = true}, {.url_context = true}};
    request.tool_config = gemini::tool_config{.mode = gemini::function_calling_mode::auto_};
    request.cached_content = "cachedContents/abc123";
    request.config = {
        .temperature = 0.7,
        .top_p = 0.95,
        .top_k = 40,
        .candidate_count = 1,
        .max_output_tokens = 1024,
        .seed = 42,
        .presence_penalty = 0.5,
        .frequency_penalty = -0.25,
        .stop_sequences = {"END", "STOP"},
        .response_mime_type = "application/json",
        .response_json_schema = R"({"type": "object"})",
        .response_modalities = {"TEXT"},
        .thinking_config = gemini::thinking_config{.thinking_budget = -1,
                                                   .include_thoughts = true,
                                                   .thinking_level = "LOW"},
    };
    const std::string out = encode_ok(request);
    CHECK(out
          == R"({"contents":[{"role":"user","parts":[{"text":"Hi"}]}],)"
             R"("systemInstruction":{"parts":[{"text":"Be brief."}]},)"
             R"("safetySettings":[{"category":"HARM_CATEGORY_HARASSMENT","threshold":"BLOCK_ONLY_HIGH"},)"
             R"({"category":"HARM_CATEGORY_DANGEROUS_CONTENT","threshold":"OFF"}],)"
             R"("tools":[{"googleSearch":{}},{"codeExecution":{}},{"urlContext":{}}],)"
             R"("toolConfig":{"functionCallingConfig":{"mode":"AUTO"}},)"
             R"("cachedContent":"cachedContents/abc123",)"
             R"("generationConfig":{"temperature":0.7,"topP":0.95,"topK":40,"candidateCount":1,)"
             R"("maxOutputTokens":1024,"stopSequences":["END","STOP"],"seed":42,)"
             R"("presencePenalty":0.5,"frequencyPenalty":-0.25,)"
             R"("responseMimeType":"application/json","responseJsonSchema":{"type": "object"},)"
             R"("responseModalities":["TEXT"],)"
             R"("thinkingConfig":{"thinkingBudget":-1,"includeThoughts":true,"thinkingLevel":"LOW"}}})");

    parsed p(out);
    CHECK(p.str("/contents/0/role") == "user");
    CHECK(p.str("/contents/0/parts/0/text") == "Hi");
    CHECK(!p.has("/systemInstruction/role"));
    CHECK(p.str("/systemInstruction/parts/0/text") == "Be brief.");
    CHECK(p.size("/safetySettings") == 2);
    CHECK(p.str("/safetySettings/1/threshold") == "OFF");
    CHECK(p.size("/tools") == 3);
    CHECK(p.size("/tools/0/googleSearch") == 0);
    CHECK(p.str("/toolConfig/functionCallingConfig/mode") == "AUTO");
    CHECK(p.str("/cachedContent") == "cachedContents/abc123");
    CHECK(p.num("/generationConfig/temperature") == 0.7);
    CHECK(p.num("/generationConfig/topP") == 0.95);
    CHECK(p.num("/generationConfig/topK") == 40);
    CHECK(p.num("/generationConfig/candidateCount") == 1);
    CHECK(p.num("/generationConfig/maxOutputTokens") == 1024);
    CHECK(p.str("/generationConfig/stopSequences/1") == "STOP");
    CHECK(p.num("/generationConfig/seed") == 42);
    CHECK(p.num("/generationConfig/presencePenalty") == 0.5);
    CHECK(p.num("/generationConfig/frequencyPenalty") == -0.25);
    CHECK(p.str("/generationConfig/responseMimeType") == "application/json");
    CHECK(p.str("/generationConfig/responseJsonSchema/type") == "object");
    CHECK(p.str("/generationConfig/responseModalities/0") == "TEXT");
    CHECK(p.num("/generationConfig/thinkingConfig/thinkingBudget") == -1);
    CHECK(p.boolean("/generationConfig/thinkingConfig/includeThoughts"));
    CHECK(p.str("/generationConfig/thinkingConfig/thinkingLevel") == "LOW");
    // Nothing outside generationConfig but the documented top-level fields.
    CHECK(p.size("") == 7);
}

TEST_CASE("gemini encode: unset optionals, empty strings and empty vectors are not sent")
{
    SECTION("no generationConfig at all")
    {
        const std::string out = encode_ok(ask("x"));
        CHECK(out.find("generationConfig") == std::string::npos);
        CHECK(out.find("systemInstruction") == std::string::npos);
        CHECK(out.find("tools") == std::string::npos);
    }
    SECTION("one field")
    {
        auto request = ask("x");
        request.config.max_output_tokens = 10;
        CHECK(encode_ok(request)
              == R"({"contents":[{"role":"user","parts":[{"text":"x"}]}],)"
                 R"("generationConfig":{"maxOutputTokens":10}})");
    }
    SECTION("a thinking config that is set but empty is still sent")
    {
        auto request = ask("x");
        request.config.thinking_config = gemini::thinking_config{};
        parsed p(encode_ok(request));
        CHECK(p.size("/generationConfig") == 1);
        CHECK(p.size("/generationConfig/thinkingConfig") == 0);
    }
    SECTION("thinking off: a budget of 0 is a value, not unset")
    {
        auto request = ask("x");
        request.config.thinking_config = gemini::thinking_config{.thinking_budget = 0};
        parsed p(encode_ok(request));
        CHECK(p.num("/generationConfig/thinkingConfig/thinkingBudget") == 0);
        CHECK(!p.has("/generationConfig/thinkingConfig/includeThoughts"));
        CHECK(!p.has("/generationConfig/thinkingConfig/thinkingLevel"));
    }
    SECTION("temperature 0 and include_thoughts false are values too")
    {
        auto request = ask("x");
        request.config.temperature = 0.0;
        request.config.thinking_config = gemini::thinking_config{.include_thoughts = false};
        parsed p(encode_ok(request));
        CHECK(p.num("/generationConfig/temperature") == 0);
        CHECK(!p.boolean("/generationConfig/thinkingConfig/includeThoughts"));
    }
    SECTION("a tool config with no mode")
    {
        auto request = ask("x");
        request.tool_config = gemini::tool_config{};
        parsed p(encode_ok(request));
        CHECK(p.size("/toolConfig/functionCallingConfig") == 0);
    }
}

TEST_CASE("gemini encode: every part kind")
{
    gemini::generate_content_request request{
        .contents = {
            {.role = role::user,
             .parts = {content_part::from_text("look"),
                       content_part::from_inline_data("image/png", "iVBORw0KGgo="),
                       content_part::from_file_data("application/pdf",
                                                    "https://generativelanguage.googleapis.com/v1beta/files/abc"),
                       content_part::from_file_data("", "gs://bucket/video.mp4")}},
            {.role = role::model,
             .parts = {{.value = std::string("thinking..."), .thought = true},
                       content_part::from_executable_code("PYTHON", "print(1 + 1)"),
                       content_part::from_code_execution_result("OUTCOME_OK", "2\n"),
                       content_part::from_code_execution_result("OUTCOME_FAILED", "")}},
        }};
    const std::string out = encode_ok(request);
    CHECK(out
          == R"({"contents":[{"role":"user","parts":[{"text":"look"},)"
             R"({"inlineData":{"mimeType":"image/png","data":"iVBORw0KGgo="}},)"
             R"({"fileData":{"mimeType":"application/pdf","fileUri":"https://generativelanguage.googleapis.com/v1beta/files/abc"}},)"
             R"({"fileData":{"fileUri":"gs://bucket/video.mp4"}}]},)"
             R"({"role":"model","parts":[{"text":"thinking...","thought":true},)"
             R"~({"executableCode":{"language":"PYTHON","code":"print(1 + 1)"}},)~"
             R"({"codeExecutionResult":{"outcome":"OUTCOME_OK","output":"2\n"}},)"
             R"({"codeExecutionResult":{"outcome":"OUTCOME_FAILED"}}]}]})");
    parsed p(out);
    CHECK(p.str("/contents/0/parts/1/inlineData/data") == "iVBORw0KGgo=");
    CHECK(p.str("/contents/1/role") == "model");
    CHECK(p.boolean("/contents/1/parts/0/thought"));
    CHECK(p.str("/contents/1/parts/2/codeExecutionResult/output") == "2\n");
}

TEST_CASE("gemini encode: an empty text part is still a text part")
{
    // The service streams {"text": "", "thoughtSignature": ...} parts; they go back as they came.
    auto request = ask("q");
    request.contents.push_back({.role = role::model,
                                .parts = {{.value = std::string(), .thought_signature = "c2ln"}}});
    request.contents.push_back({.role = role::user, .parts = {content_part::from_text("next")}});
    parsed p(encode_ok(request));
    CHECK(p.str("/contents/1/parts/0/text").empty());
    CHECK(p.str("/contents/1/parts/0/thoughtSignature") == "c2ln");
}

TEST_CASE("gemini encode: a multi-turn function-calling conversation, as the SDKs send it")
{
    // The python-genai flow: declare the function, the model calls it (with a thought
    // signature on Gemini 3), the caller appends the model turn unchanged and a user turn with
    // the function response, and asks again with the same tools.
    const std::string signature =
        "CiQB0e2Kb+0d3k7Lq8vZ/9xH1uPz0rYw2l5mJ8nT0aQ4fV6sE7cSZQHR7YpX+/W1j3rN0k2Lq==";
    gemini::generate_content_request request{
        .contents =
            {
                {.role = role::user,
                 .parts = {content_part::from_text("What's the weather in Boston?")}},
                {.role = role::model,
                 .parts = {{.value = gemini::function_call{.name = "get_weather",
                                                           .args_json = R"({"location":"Boston, MA"})"},
                            .thought_signature = signature}}},
                {.role = role::user,
                 .parts = {content_part::from_function_response(
                     "get_weather", R"({"output":{"temperature":21,"unit":"celsius"}})")}},
            },
        .tools = {{.function_declarations = {{
                       .name = "get_weather",
                       .description = "Current weather for a city.",
                       .parameters_json_schema =
                           R"({"type":"object","properties":{"location":{"type":"string"}},"required":["location"]})",
                   }}}},
        .tool_config = gemini::tool_config{.mode = gemini::function_calling_mode::any,
                                           .allowed_function_names = {"get_weather"}},
    };
    const std::string out = encode_ok(request);
    CHECK(out
          == R"({"contents":[)"
             R"({"role":"user","parts":[{"text":"What's the weather in Boston?"}]},)"
             R"({"role":"model","parts":[{"functionCall":{"name":"get_weather","args":{"location":"Boston, MA"}},)"
             R"("thoughtSignature":")" + signature + R"("}]},)"
             R"({"role":"user","parts":[{"functionResponse":{"name":"get_weather",)"
             R"("response":{"output":{"temperature":21,"unit":"celsius"}}}}]}],)"
             R"("tools":[{"functionDeclarations":[{"name":"get_weather",)"
             R"("description":"Current weather for a city.",)"
             R"("parametersJsonSchema":{"type":"object","properties":{"location":{"type":"string"}},"required":["location"]}}]}],)"
             R"("toolConfig":{"functionCallingConfig":{"mode":"ANY","allowedFunctionNames":["get_weather"]}}})");

    parsed p(out);
    CHECK(p.str("/contents/1/parts/0/functionCall/name") == "get_weather");
    CHECK(p.str("/contents/1/parts/0/functionCall/args/location") == "Boston, MA");
    CHECK(!p.has("/contents/1/parts/0/functionCall/id"));
    CHECK(p.str("/contents/1/parts/0/thoughtSignature") == signature);
    CHECK(p.str("/contents/2/role") == "user");
    CHECK(p.num("/contents/2/parts/0/functionResponse/response/output/temperature") == 21);
    CHECK(p.str("/tools/0/functionDeclarations/0/parametersJsonSchema/required/0") == "location");
    CHECK(p.str("/toolConfig/functionCallingConfig/allowedFunctionNames/0") == "get_weather");
}

TEST_CASE("gemini encode: function call ids, parallel calls, OpenAPI parameters")
{
    gemini::generate_content_request request{
        .contents =
            {
                {.role = role::user, .parts = {content_part::from_text("Weather in Paris and Rome?")}},
                {.role = role::model,
                 .parts = {content_part::from_function_call("get_weather", R"({"city":"Paris"})", "call-1"),
                           content_part::from_function_call("get_weather", R"({"city":"Rome"})", "call-2"),
                           content_part::from_function_call("ping", "")}},
                {.role = role::user,
                 .parts = {content_part::from_function_response("get_weather", R"({"output":"12C"})", "call-1"),
                           content_part::from_function_response("get_weather", R"({"error":"timeout"})", "call-2")}},
            },
        .tools = {{.function_declarations =
                       {{.name = "get_weather",
                         .parameters = R"({"type":"OBJECT","properties":{"city":{"type":"STRING"}}})"},
                        {.name = "ping"}}}},
    };
    const std::string out = encode_ok(request);
    parsed p(out);
    CHECK(p.str("/contents/1/parts/0/functionCall/id") == "call-1");
    CHECK(p.str("/contents/1/parts/1/functionCall/args/city") == "Rome");
    CHECK(!p.has("/contents/1/parts/2/functionCall/args"));   // empty args_json: not sent
    CHECK(p.str("/contents/2/parts/1/functionResponse/id") == "call-2");
    CHECK(p.str("/contents/2/parts/1/functionResponse/response/error") == "timeout");
    CHECK(p.str("/tools/0/functionDeclarations/0/parameters/type") == "OBJECT");
    CHECK(!p.has("/tools/0/functionDeclarations/0/parametersJsonSchema"));
    CHECK(p.size("/tools/0/functionDeclarations/1") == 1);   // a function without parameters
    CHECK(out.find(R"({"functionCall":{"id":"call-1","name":"get_weather","args":{"city":"Paris"}}})")
          != std::string::npos);
    // The default args_json is "{}".
    gemini::function_call call{.name = "f"};
    CHECK(call.args_json == "{}");
}

TEST_CASE("gemini encode: a thought signature round-trips byte for byte")
{
    // A long signature with every base64 character, as the service returns them.
    const std::string alphabet =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string signature;
    for (std::size_t i = 0; i < 4096; ++i) {
        signature += alphabet[(i * 37 + i / 64) % alphabet.size()];
    }
    signature += "==";
    auto request = ask("q");
    request.contents.push_back(
        {.role = role::model,
         .parts = {{.value = std::string("answer"), .thought_signature = signature},
                   {.value = std::string("summary"), .thought = true, .thought_signature = signature}}});
    const std::string out = encode_ok(request);
    CHECK(out.find(R"("thoughtSignature":")" + signature + "\"") != std::string::npos);
    parsed p(out);
    CHECK(p.str("/contents/1/parts/0/thoughtSignature") == signature);
    CHECK(p.str("/contents/1/parts/1/thoughtSignature") == signature);
    CHECK(p.boolean("/contents/1/parts/1/thought"));
}

TEST_CASE("gemini encode: a recorded model turn goes back exactly as it came")
{
    // googleai/unary-success-thinking-function-call-thought-summary-signature.json: a thought
    // summary and a functionCall part carrying a 1.4 KB thoughtSignature. The model turn is
    // rebuilt from the recorded parts (read here with simdjson, independently of the decoder),
    // sent back with the function's result, and must come out identical, signature included.
    const auto recorded = llmio_test::read_conformance(
        "gemini/googleai/unary-success-thinking-function-call-thought-summary-signature.json");
    if (!recorded) {
        WARN("conformance data not found (see tests/support/conformance.hpp): skipped");
        return;
    }
    simdjson::dom::parser parser;
    simdjson::dom::array recorded_parts;
    REQUIRE(parser.parse(*recorded).at_pointer("/candidates/0/content/parts").get(recorded_parts)
            == simdjson::SUCCESS);

    gemini::content model_turn{.role = role::model};
    for (simdjson::dom::element part : recorded_parts) {
        content_part rebuilt;
        std::string_view text;
        simdjson::dom::element call;
        if (part["text"].get(text) == simdjson::SUCCESS) {
            rebuilt.value = std::string(text);
        } else {
            REQUIRE(part["functionCall"].get(call) == simdjson::SUCCESS);
            rebuilt.value = gemini::function_call{
                .name = std::string(call["name"].get_string().value_unsafe()),
                .args_json = simdjson::minify(call["args"].value_unsafe())};
        }
        bool thought = false;
        if (part["thought"].get(thought) == simdjson::SUCCESS) {
            rebuilt.thought = thought;
        }
        std::string_view signature;
        if (part["thoughtSignature"].get(signature) == simdjson::SUCCESS) {
            rebuilt.thought_signature = std::string(signature);
        }
        model_turn.parts.push_back(std::move(rebuilt));
    }
    REQUIRE(model_turn.parts.size() == 2);
    REQUIRE(model_turn.parts[1].thought_signature.size() > 1000);

    gemini::generate_content_request request{
        .contents = {{.role = role::user,
                      .parts = {content_part::from_text("How many days until New Year's Eve?")}},
                     model_turn,
                     {.role = role::user,
                      .parts = {content_part::from_function_response(
                          "now", R"({"output":"2025-07-28T10:00:00Z"})")}}},
        .config = {.thinking_config = gemini::thinking_config{.include_thoughts = true}},
    };
    request.tools = {{.function_declarations = {{.name = "now", .description = "The current time."}}}};
    const std::string out = encode_ok(request);

    parsed sent(out);
    CHECK(sent.minified("/contents/1/parts") == simdjson::minify(recorded_parts));
    CHECK(sent.str("/contents/1/parts/1/thoughtSignature") == model_turn.parts[1].thought_signature);
    CHECK(out.find("\"thoughtSignature\":\"" + model_turn.parts[1].thought_signature + "\"")
          != std::string::npos);
}

TEST_CASE("gemini encode: user text is escaped and UTF-8 passes through")
{
    const std::string text = "He said \"hi\\there\"\n\ttab\x01 caf\xC3\xA9 \xE2\x80\xA8 \xF0\x9F\x98\x80";
    const std::string out = encode_ok(ask(text));
    CHECK(out
          == "{\"contents\":[{\"role\":\"user\",\"parts\":[{\"text\":"
             "\"He said \\\"hi\\\\there\\\"\\n\\ttab\\u0001 caf\xC3\xA9 \xE2\x80\xA8 \xF0\x9F\x98\x80\"}]}]}");
    parsed p(out);
    CHECK(p.str("/contents/0/parts/0/text") == text);
}

TEST_CASE("gemini encode: the request's shape is checked before writing")
{
    SECTION("no contents")
    {
        CHECK(encode_error_of({}) == encode_error::empty_contents);
    }
    SECTION("a turn without parts")
    {
        auto request = ask("x");
        request.contents.push_back({.role = role::model});
        CHECK(encode_error_of(request) == encode_error::empty_parts);
    }
    SECTION("a system instruction without parts")
    {
        auto request = ask("x");
        request.system_instruction = gemini::content{};
        CHECK(encode_error_of(request) == encode_error::empty_parts);
    }
    SECTION("parameters and parametersJsonSchema both set")
    {
        auto request = ask("x");
        request.tools = {{.function_declarations = {{.name = "f",
                                                     .parameters_json_schema = R"({"type":"object"})",
                                                     .parameters = R"({"type":"OBJECT"})"}}}};
        CHECK(encode_error_of(request) == encode_error::both_schemas);
    }
    SECTION("responseSchema and responseJsonSchema both set")
    {
        auto request = ask("x");
        request.config.response_schema = R"({"type":"STRING"})";
        request.config.response_json_schema = R"({"type":"string"})";
        CHECK(encode_error_of(request) == encode_error::both_schemas);
    }
    SECTION("values that must be objects")
    {
        auto args = ask("x");
        args.contents.push_back({.role = role::model,
                                 .parts = {content_part::from_function_call("f", "[1, 2]")}});
        CHECK(encode_error_of(args) == encode_error::not_an_object);

        auto response = ask("x");
        response.contents.front().parts.push_back(content_part::from_function_response("f", " 42"));
        CHECK(encode_error_of(response) == encode_error::not_an_object);

        auto parameters = ask("x");
        parameters.tools = {{.function_declarations = {{.name = "f", .parameters = "\"object\""}}}};
        CHECK(encode_error_of(parameters) == encode_error::not_an_object);

        auto schema = ask("x");
        schema.config.response_schema = "[]";
        CHECK(encode_error_of(schema) == encode_error::not_an_object);

        auto in_system = ask("x");
        in_system.system_instruction =
            gemini::content{.parts = {content_part::from_function_response("f", "null")}};
        CHECK(encode_error_of(in_system) == encode_error::not_an_object);
    }
    SECTION("a JSON Schema may be any JSON value")
    {
        auto request = ask("x");
        request.config.response_json_schema = "true";
        CHECK(!encode_error_of(request));
    }
    SECTION("enums out of range")
    {
        auto bad_role = ask("x");
        bad_role.contents.front().role = static_cast<role>(7);
        CHECK(encode_error_of(bad_role) == encode_error::invalid_enum);

        auto bad_category = ask("x");
        bad_category.safety_settings = {{.category = static_cast<gemini::harm_category>(99),
                                         .threshold = gemini::harm_block_threshold::block_none}};
        CHECK(encode_error_of(bad_category) == encode_error::invalid_enum);

        auto bad_threshold = ask("x");
        bad_threshold.safety_settings = {{.category = gemini::harm_category::hate_speech,
                                          .threshold = static_cast<gemini::harm_block_threshold>(-1)}};
        CHECK(encode_error_of(bad_threshold) == encode_error::invalid_enum);

        auto bad_mode = ask("x");
        bad_mode.tool_config = gemini::tool_config{.mode = static_cast<gemini::function_calling_mode>(42)};
        CHECK(encode_error_of(bad_mode) == encode_error::invalid_enum);
    }
}

TEST_CASE("gemini encode: JSON errors anywhere in the request")
{
    namespace json = llmio::json;
    const std::string bad_utf8 = "caf\xC3";   // truncated

    auto text = ask(bad_utf8);
    CHECK(encode_error_of(text) == json::error::invalid_utf8);

    auto surrogate = ask("ok");
    surrogate.contents.push_back({.role = role::model, .parts = {content_part::from_text("\xED\xA0\x80")}});
    CHECK(encode_error_of(surrogate) == json::error::invalid_utf8);

    auto system = ask("ok");
    system.system_instruction = gemini::content{.parts = {content_part::from_text("\xC0\xAF")}};
    CHECK(encode_error_of(system) == json::error::invalid_utf8);

    auto stop = ask("ok");
    stop.config.stop_sequences = {"fine", "\x80"};
    CHECK(encode_error_of(stop) == json::error::invalid_utf8);

    auto name = ask("ok");
    name.tools = {{.function_declarations = {{.name = "f\xF4\x90\x80\x80"}}}};
    CHECK(encode_error_of(name) == json::error::invalid_utf8);

    auto signature = ask("ok");
    signature.contents.front().parts.front().thought_signature = "abc\xFF";
    CHECK(encode_error_of(signature) == json::error::invalid_utf8);

    auto schema = ask("ok");
    schema.tools = {{.function_declarations = {{.name = "f", .parameters_json_schema = "{\"type\":"}}}};
    CHECK(encode_error_of(schema) == json::error::invalid_json);

    auto response_schema = ask("ok");
    response_schema.config.response_json_schema = "{\"type\": \"object\"} trailing";
    CHECK(encode_error_of(response_schema) == json::error::invalid_json);

    auto args = ask("ok");
    args.contents.push_back({.role = role::model,
                             .parts = {content_part::from_function_call("f", "{\"a\": }")}});
    CHECK(encode_error_of(args) == json::error::invalid_json);

    auto nan = ask("ok");
    nan.config.temperature = std::nan("");
    CHECK(encode_error_of(nan) == json::error::invalid_number);

    auto inf = ask("ok");
    inf.config.top_p = std::numeric_limits<double>::infinity();
    CHECK(encode_error_of(inf) == json::error::invalid_number);

    for (const std::error_code ec : {encode_error_of(text), encode_error_of(schema),
                                     encode_error_of(nan), encode_error_of({})}) {
        CHECK(ec == llmio::condition::invalid_input);
    }
}

TEST_CASE("gemini encode: an encoder keeps working after an error")
{
    gemini::request_encoder encoder;
    std::string out;
    CHECK(encoder.encode(ask("\xFF"), out) == llmio::json::error::invalid_utf8);
    CHECK(!encoder.encode(ask("fine"), out));
    CHECK(out == R"({"contents":[{"role":"user","parts":[{"text":"fine"}]}]})");
}

TEST_CASE("gemini encode: countTokens and embedContent bodies")
{
    gemini::request_encoder encoder;
    std::string out;

    auto request = ask("count me");
    request.system_instruction = gemini::content{.parts = {content_part::from_text("ignored")}};
    request.config.temperature = 1.0;
    REQUIRE(!encoder.encode_count_tokens(request, out));
    CHECK(out == R"({"contents":[{"role":"user","parts":[{"text":"count me"}]}]})");
    CHECK(encoder.encode_count_tokens({}, out) == encode_error::empty_contents);

    REQUIRE(!encoder.encode_embed_content("What is \"meaning\"?", {}, out));
    CHECK(out == R"({"content":{"parts":[{"text":"What is \"meaning\"?"}]}})");

    REQUIRE(!encoder.encode_embed_content(
        "doc", {.task_type = "RETRIEVAL_DOCUMENT", .title = "A title", .output_dimensionality = 768},
        out));
    CHECK(out
          == R"({"content":{"parts":[{"text":"doc"}]},"taskType":"RETRIEVAL_DOCUMENT",)"
             R"("title":"A title","outputDimensionality":768})");
    CHECK(encoder.encode_embed_content("\xC3", {}, out) == llmio::json::error::invalid_utf8);
}

TEST_CASE("gemini encode: wire names of the enums")
{
    CHECK(gemini::to_string(role::user) == "user");
    CHECK(gemini::to_string(role::model) == "model");
    CHECK(gemini::to_string(gemini::harm_category::sexually_explicit) == "HARM_CATEGORY_SEXUALLY_EXPLICIT");
    CHECK(gemini::to_string(gemini::harm_category::civic_integrity) == "HARM_CATEGORY_CIVIC_INTEGRITY");
    CHECK(gemini::to_string(gemini::harm_block_threshold::block_low_and_above) == "BLOCK_LOW_AND_ABOVE");
    CHECK(gemini::to_string(gemini::harm_block_threshold::block_medium_and_above) == "BLOCK_MEDIUM_AND_ABOVE");
    CHECK(gemini::to_string(gemini::function_calling_mode::none) == "NONE");
    CHECK(gemini::to_string(gemini::function_calling_mode::validated) == "VALIDATED");
    CHECK(gemini::to_string(static_cast<role>(9)).empty());
}

TEST_CASE("llmio.gemini.encode error category")
{
    const std::error_code ec = encode_error::empty_parts;
    CHECK(std::string(ec.category().name()) == "llmio.gemini.encode");
    for (const encode_error e : {encode_error::empty_contents, encode_error::empty_parts,
                                 encode_error::both_schemas, encode_error::not_an_object,
                                 encode_error::invalid_enum}) {
        const std::error_code code = e;
        CHECK(!code.message().empty());
        CHECK(code == llmio::condition::invalid_input);
        CHECK(code != llmio::condition::bad_request);
    }
}
