// The hot-path rule for the encoder: encoding into a buffer that already has the capacity
// allocates nothing. counting_new.cpp replaces the global operator new with the counting one
// that ships in llmio/testing/allocation_counter.hpp, in this test executable only
// (tests/gemini/encode is its own executable for that reason).
#include <llmio/testing/allocation_counter.hpp>

#include <llmio/gemini/request_encoder.hpp>
#include <llmio/json/writer.hpp>

#include "support/catch.hpp"

#include <cstddef>
#include <string>

namespace {

/// Allocations made while `f` runs.
template <class F>
std::size_t allocations_during(F&& f)
{
    const llmio::testing::allocation_scope scope;
    f();
    return scope.allocations();
}

namespace gemini = llmio::gemini;
using gemini::content_part;
using gemini::role;

/// A request that exercises every writer path: long text that needs escaping, non-ASCII, every
/// part kind, raw JSON in every raw field, numbers, every top-level member.
gemini::generate_content_request full_request()
{
    std::string long_text;
    for (int i = 0; i < 500; ++i) {
        long_text += "Line \"" + std::to_string(i) + "\"\twith caf\xC3\xA9 and \xF0\x9F\x98\x80\n";
    }
    return {
        .contents =
            {
                {.role = role::user,
                 .parts = {content_part::from_text(long_text),
                           content_part::from_inline_data("image/png", std::string(4096, 'A')),
                           content_part::from_file_data("application/pdf", "https://example.com/f")}},
                {.role = role::model,
                 .parts = {{.value = std::string("thought"), .thought = true, .thought_signature = "c2lnbmF0dXJl"},
                           content_part::from_function_call("lookup", R"({"q":"x","n":[1,2,3]})", "id-1"),
                           content_part::from_executable_code("PYTHON", "print('hi')"),
                           content_part::from_code_execution_result("OUTCOME_OK", "hi\n")}},
                {.role = role::user,
                 .parts = {content_part::from_function_response("lookup", R"({"output":{"rows":[{"a":1},{"a":2}]}})", "id-1")}},
            },
        .system_instruction = gemini::content{.parts = {content_part::from_text("Answer briefly.")}},
        .config = {.temperature = 0.3,
                   .top_p = 0.9,
                   .top_k = 20,
                   .max_output_tokens = 2048,
                   .seed = 1,
                   .stop_sequences = {"###"},
                   .response_mime_type = "application/json",
                   .response_json_schema = R"({"type":"object","properties":{"answer":{"type":"string"}}})",
                   .thinking_config = gemini::thinking_config{.thinking_budget = 1024, .include_thoughts = true}},
        .safety_settings = {{.category = gemini::harm_category::harassment,
                             .threshold = gemini::harm_block_threshold::block_none}},
        .tools = {{.function_declarations = {{.name = "lookup",
                                              .description = "Looks things up.",
                                              .parameters_json_schema = R"({"type":"object","properties":{"q":{"type":"string"}}})"}}},
                  {.google_search = true}},
        .tool_config = gemini::tool_config{.mode = gemini::function_calling_mode::auto_},
        .cached_content = "cachedContents/xyz",
    };
}

} // namespace

TEST_CASE("gemini encode: re-encoding into a warm buffer allocates nothing")
{
    const auto request = full_request();
    const auto small = gemini::generate_content_request{
        .contents = {{.role = role::user, .parts = {content_part::from_text("hi")}}}};
    gemini::request_encoder encoder;
    std::string out;

    // Warm-up: the output string and the raw-JSON validator grow to this request's size.
    REQUIRE(!encoder.encode(request, out));
    const std::string first = out;

    std::error_code ec;
    CHECK(allocations_during([&] { ec = encoder.encode(request, out); }) == 0);
    CHECK(!ec);
    CHECK(out == first);

    // A smaller request fits the same buffers; so does the large one again after it.
    CHECK(allocations_during([&] { ec = encoder.encode(small, out); }) == 0);
    CHECK(!ec);
    CHECK(allocations_during([&] { ec = encoder.encode(request, out); }) == 0);
    CHECK(out == first);
    CHECK(allocations_during([&] { ec = encoder.encode_count_tokens(request, out); }) == 0);
    CHECK(!ec);
    CHECK(allocations_during([&] {
              ec = encoder.encode_embed_content("text to embed", {.task_type = "RETRIEVAL_QUERY"}, out);
          }) == 0);
    CHECK(!ec);

    // An error path allocates nothing either (the error code is a value).
    auto bad = small;
    bad.contents.front().parts.front() = content_part::from_text("\xC0\xAF");
    CHECK(allocations_during([&] { ec = encoder.encode(bad, out); }) == 0);
    CHECK(ec == llmio::json::error::invalid_utf8);
}

TEST_CASE("json::writer: raw values and strings into a warm buffer allocate nothing")
{
    const std::string schema = R"({"type":"object","properties":{"a":{"type":"array","items":{"type":"number"}}}})";
    const std::string text(2000, 'x');
    llmio::json::writer w;
    std::string out;
    const auto document = [&] {
        out.clear();
        w.reset(out);
        w.begin_array();
        w.raw(schema);
        w.string(text);
        w.number(3.25);
        w.number(-17);
        w.raw("[1,2,3]");
        w.end_array();
    };
    document();
    REQUIRE(w.complete());
    CHECK(allocations_during(document) == 0);
    CHECK(w.complete());
}

TEST_CASE("the counting operator new counts")
{
    // Guards the test above against a replacement that is not in effect.
    CHECK(allocations_during([] {
              std::string s(1000, 'x');
              CHECK(s.size() == 1000);
          }) >= 1);
}
