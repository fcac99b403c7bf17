// Every recorded response in ../shared/conformance/gemini/ decodes to what its name promises.
//
// Streams go through the whole sans-I/O pipeline (HTTP/1.1 chunked framing -> SSE -> chunk
// decoder -> stream rules, i.e. gemini::http_stream), fed whole, split in two at every offset,
// and one byte at a time; every way must give the same chunks, text, finish reason, usage and
// error. Expectations are written by hand from the fixture's content; the text is also checked
// against an independent decoding with simdjson's DOM API.
#include <llmio/gemini/chunk_decoder.hpp>
#include <llmio/gemini/content_error.hpp>
#include <llmio/gemini/http_stream.hpp>
#include <llmio/testing/chunked_response.hpp>

#include "support/catch.hpp"
#include "support/conformance.hpp"

#include <simdjson.h>

#include <optional>
#include <string>
#include <vector>

namespace gemini = llmio::gemini;
using llmio_test::read_conformance;

namespace {

struct usage_totals {
    std::int64_t prompt, candidates, total, thoughts = 0, tool_use = 0;
};

struct stream_case {
    const char* file;
    std::error_code error;                 // {} for success
    gemini::finish_reason finish;          // last finish reason seen (none when never sent)
    std::optional<usage_totals> usage;     // the final usage, when the stream sent one
    std::size_t text_size;                 // bytes of the (partial) text, thoughts excluded
    const char* text_begins;               // how the text starts
};

// The outcome of one run through the pipeline, in a form that compares across split plans.
struct outcome {
    std::vector<std::string> chunk_texts;
    std::string thoughts;
    std::size_t function_calls = 0;
    std::size_t inline_data = 0;
    std::size_t code_parts = 0;
    std::string signatures;
    std::error_code error;
    gemini::finish_reason finish = gemini::finish_reason::none;
    std::optional<gemini::usage_metadata> usage;
    std::int64_t api_code = 0;
    std::string api_message;
    std::string finish_message;
    std::string block_message;

    [[nodiscard]] std::string text() const
    {
        std::string all;
        for (const auto& t : chunk_texts) {
            all += t;
        }
        return all;
    }
    bool operator==(const outcome& o) const
    {
        return chunk_texts == o.chunk_texts && thoughts == o.thoughts &&
               function_calls == o.function_calls && inline_data == o.inline_data &&
               code_parts == o.code_parts && signatures == o.signatures && error == o.error &&
               finish == o.finish && api_code == o.api_code && api_message == o.api_message &&
               finish_message == o.finish_message && block_message == o.block_message &&
               usage.has_value() == o.usage.has_value() &&
               (!usage || (usage->prompt == o.usage->prompt && usage->total == o.usage->total &&
                           usage->candidates == o.usage->candidates));
    }
};

// A 200 `text/event-stream` response, chunked in pieces of `chunk` bytes so that chunk
// boundaries fall inside events.
std::string as_http_response(const std::string& body, std::size_t chunk)
{
    return llmio::testing::chunked_response(body, chunk);
}

void take_chunk(const gemini::response& r, outcome& out)
{
    std::string text;
    r.for_each_text([&](std::string_view t) { text += t; });
    out.chunk_texts.push_back(text);
    if (r.feedback) {
        out.block_message = std::string(r.feedback->block_reason_message);
    }
    if (r.candidates.empty()) {
        return;
    }
    const gemini::candidate& c = r.candidates.front();
    if (!c.finish_message.empty()) {
        out.finish_message = std::string(c.finish_message);
    }
    for (const gemini::part& p : c.parts) {
        if (p.thought) {
            out.thoughts += p.text;
        }
        out.signatures += p.thought_signature;
        out.function_calls += p.kind == gemini::part_kind::function_call;
        out.inline_data += p.kind == gemini::part_kind::inline_data;
        out.code_parts += p.kind == gemini::part_kind::executable_code ||
                          p.kind == gemini::part_kind::code_execution_result;
    }
}

// Runs `response` through http_stream in the reads given by `cuts`, presenting unconsumed
// bytes again with the next read appended, as a transport does.
outcome run_pipeline(const std::string& response, const std::vector<std::size_t>& cuts)
{
    outcome out;
    gemini::http_stream stream;
    std::string buffer;
    std::size_t next_read = 0;
    std::vector<std::size_t> ends = cuts;
    ends.push_back(response.size());
    bool finished = false;
    std::error_code ec;
    for (std::size_t end : ends) {
        buffer.append(response, next_read, end - next_read);
        next_read = end;
        while (!finished && !ec) {
            const auto r = stream.put(buffer, ec);
            buffer.erase(0, r.consumed);
            if (r.what == gemini::http_stream::step::chunk) {
                take_chunk(stream.chunk(), out);
            }
            else if (r.what == gemini::http_stream::step::done) {
                finished = true;
            }
            else if (r.what == gemini::http_stream::step::need_more) {
                break;
            }
        }
    }
    while (!finished && !ec) {
        const auto r = stream.put_eof(ec);
        if (r.what == gemini::http_stream::step::chunk) {
            take_chunk(stream.chunk(), out);
        }
        finished = r.what == gemini::http_stream::step::done;
    }
    out.error = ec;
    out.finish = stream.decoder().last_finish_reason();
    out.usage = stream.decoder().usage();
    if (ec) {
        out.api_code = stream.api().code;
        out.api_message = std::string(stream.api().message);
    }
    return out;
}

// The text of candidate 0 by simdjson's DOM API, line by line: an oracle independent of the
// pipeline. Only `data:` lines count; thought parts are left out.
std::string oracle_text(const std::string& body)
{
    simdjson::dom::parser parser;
    std::string text;
    std::size_t at = 0;
    while (at < body.size()) {
        std::size_t end = body.find_first_of("\r\n", at);
        if (end == std::string::npos) {
            end = body.size();
        }
        const std::string_view line(body.data() + at, end - at);
        at = end + 1;
        if (line.rfind("data:", 0) != 0) {
            continue;
        }
        simdjson::dom::element doc;
        if (parser.parse(std::string(line.substr(5))).get(doc)) {
            continue;
        }
        simdjson::dom::array parts;
        if (doc["candidates"].at(0)["content"]["parts"].get_array().get(parts)) {
            continue;
        }
        for (simdjson::dom::element p : parts) {
            bool thought = false;
            if (p["thought"].get_bool().get(thought) != simdjson::SUCCESS) {
                thought = false;   // absent
            }
            std::string_view t;
            if (!thought && !p["text"].get_string().get(t)) {
                text += t;
            }
        }
    }
    return text;
}

const std::error_code ok{};
using E = gemini::error;
using F = gemini::finish_reason;

const stream_case stream_cases[] = {
    // Success: text, finish reason and the final usage.
    {"googleai/streaming-success-basic-reply-short.txt", ok, F::stop, usage_totals{7, 10, 17}, 40,
     "The capital of Wyoming is **Cheyenne**.\n"},
    {"googleai/streaming-success-basic-reply-long.txt", ok, F::stop, usage_totals{10, 1996, 2006}, 8845,
     "Okay, let's dive into the world of cats"},
    {"googleai/streaming-success-citations.txt", ok, F::stop, usage_totals{15, 1381, 1396}, 6711,
     "Okay, let's break down quantum mechanics"},
    {"googleai/streaming-success-code-execution.txt", ok, F::stop, usage_totals{21, 126, 485, 95, 243},
     228, "To find the sum of the first 5 prime num"},
    {"googleai/streaming-success-empty-parts.txt", ok, F::stop, usage_totals{16, 1307, 1323}, 66,
     "Here's a cute cartoon kitten playing with a ball of yarn for you! "},
    {"googleai/streaming-success-finish-message.txt", ok, F::stop, std::nullopt, 12, "Hello world!"},
    {"googleai/streaming-success-no-content-parts.txt", ok, F::stop, usage_totals{34, 1370, 1404}, 419,
     "I will generate a 3D rendering"},
    {"googleai/streaming-success-thinking-function-call-thought-summary-signature.txt", ok, F::stop,
     usage_totals{38, 6, 212, 168}, 0, ""},
    {"googleai/streaming-success-thinking-reply-thought-summary.txt", ok, F::stop,
     usage_totals{10, 48, 598, 540}, 263, "The sky is blue because tiny gas molecul"},
    {"googleai/streaming-success-url-context.txt", ok, F::stop, usage_totals{438, 81, 1177, 39, 619}, 361,
     "\nThe Google homepage primarily serves as"},
    // An unknown finish reason is kept and is not an error. The file's name says "failure"
    // because the Firebase test data it comes from names it so; the Firebase SDK's own test
    // expects the text to be readable and the enum value kept (HACKING.md, "Decisions").
    {"vertexai/streaming-failure-unknown-finish-enum.txt", ok, F::unknown, std::nullopt, 3285,
     "**Cats:**\n\n- **Physical Characteristics:"},

    // Failures: the typed error, and the partial output that came before it.
    {"googleai/streaming-failure-image-rejected.txt", E::invalid_argument, F::none, std::nullopt, 0, ""},
    {"googleai/streaming-failure-prompt-blocked-safety.txt", E::prompt_blocked, F::none, std::nullopt, 0, ""},
    {"googleai/streaming-failure-recitation-no-content.txt", E::finish_recitation, F::recitation,
     usage_totals{9, 261, 270}, 40, "text1text2text3text4text5text6text7text8"},
    {"vertexai/streaming-failure-api-key.txt", E::api_key_invalid, F::none, std::nullopt, 0, ""},
    {"vertexai/streaming-failure-empty-content.txt", E::truncated_stream, F::none, std::nullopt, 0, ""},
    {"vertexai/streaming-failure-error-mid-stream.txt", E::cancelled, F::stop, std::nullopt, 13,
     "First Second "},
    {"vertexai/streaming-failure-finish-reason-safety.txt", E::finish_safety, F::safety,
     usage_totals{10, 66, 76}, 10, "<redacted>"},
    {"vertexai/streaming-failure-http-error.txt", E::location_not_supported, F::none, std::nullopt, 0, ""},
    {"vertexai/streaming-failure-image-rejected.txt", E::invalid_argument, F::none, std::nullopt, 0, ""},
    {"vertexai/streaming-failure-invalid-json.txt", E::malformed_response, F::none, std::nullopt, 0, ""},
    // `content` with no parts and no finishReason: nothing came and the stream did not say it
    // was finished, so it is truncated, not a success with empty text.
    {"vertexai/streaming-failure-malformed-content.txt", E::truncated_stream, F::none, std::nullopt, 0, ""},
    {"vertexai/streaming-failure-prompt-blocked-safety-with-message.txt", E::prompt_blocked, F::none,
     std::nullopt, 0, ""},
    {"vertexai/streaming-failure-prompt-blocked-safety.txt", E::prompt_blocked, F::none, std::nullopt, 0, ""},
    {"vertexai/streaming-failure-recitation-no-content.txt", E::finish_recitation, F::recitation,
     std::nullopt, 47, "Copyrighted text goes hereMore copyrighted text"},
    {"vertexai/streaming-failure-unknown-model.txt", E::not_found, F::none, std::nullopt, 0, ""},
};

} // namespace

TEST_CASE("every recorded stream is covered by this test", "[gemini][fixtures]")
{
    const auto dir = llmio_test::conformance_dir() / "gemini";
    if (!std::filesystem::exists(dir)) {
        WARN("skipped: " << dir << " is absent (../shared/conformance is not beside the source tree)");
        return;
    }
    std::size_t streams = 0;
    for (const auto& sub : {"googleai", "vertexai"}) {
        for (const auto& entry : std::filesystem::directory_iterator(dir / sub)) {
            const std::string name = entry.path().filename().string();
            if (name.rfind("streaming-", 0) != 0) {
                continue;
            }
            ++streams;
            const std::string key = std::string(sub) + "/" + name;
            bool listed = false;
            for (const stream_case& c : stream_cases) {
                listed = listed || key == c.file;
            }
            INFO(key);
            CHECK(listed);
        }
    }
    CHECK(streams == std::size(stream_cases));
}

TEST_CASE("recorded streams decode through HTTP chunking, SSE and the decoder at every split",
          "[gemini][fixtures]")
{
    for (const stream_case& c : stream_cases) {
        const auto body = read_conformance(std::string("gemini/") + c.file);
        if (!body) {
            WARN("skipped: conformance data not found: " << c.file);
            return;
        }
        INFO(c.file);
        // HTTP chunks of 61 bytes put chunk boundaries inside events and inside CRLFs.
        for (std::size_t http_chunk : {std::size_t(61), body->size() + 1}) {
            const std::string response = as_http_response(*body, http_chunk);
            CAPTURE(http_chunk);
            const outcome whole = run_pipeline(response, {});

            CHECK(whole.error == c.error);
            CHECK(whole.finish == c.finish);
            const std::string text = whole.text();
            CHECK(text.size() == c.text_size);
            CHECK(text.rfind(c.text_begins, 0) == 0);
            CHECK(text == oracle_text(*body));
            if (c.usage) {
                REQUIRE(whole.usage.has_value());
                CHECK(whole.usage->prompt == c.usage->prompt);
                CHECK(whole.usage->candidates == c.usage->candidates);
                CHECK(whole.usage->total == c.usage->total);
                CHECK(whole.usage->thoughts == c.usage->thoughts);
                CHECK(whole.usage->tool_use_prompt == c.usage->tool_use);
            }
            else {
                CHECK_FALSE(whole.usage.has_value());
            }

            for (const auto& cuts : llmio_test::split_plans(response.size())) {
                const outcome split = run_pipeline(response, cuts);
                if (!(split == whole)) {
                    CAPTURE(cuts.size(), cuts.empty() ? 0 : cuts.front());
                    FAIL("a split changed the outcome");
                }
            }
        }
    }
}

TEST_CASE("recorded streams keep what their names promise", "[gemini][fixtures]")
{
    const auto run = [](const char* file) {
        const auto body = read_conformance(std::string("gemini/") + file);
        return body ? std::optional<outcome>(run_pipeline(as_http_response(*body, 100), {}))
                    : std::nullopt;
    };
    if (auto o = run("googleai/streaming-success-thinking-function-call-thought-summary-signature.txt")) {
        CHECK(o->function_calls == 1);
        CHECK_FALSE(o->signatures.empty());   // sent back unchanged in the next turn
        CHECK_FALSE(o->thoughts.empty());
    }
    if (auto o = run("googleai/streaming-success-thinking-reply-thought-summary.txt")) {
        CHECK_FALSE(o->thoughts.empty());
        CHECK(o->text().find(o->thoughts) == std::string::npos);   // thoughts never leak into the text
    }
    if (auto o = run("googleai/streaming-success-code-execution.txt")) {
        CHECK(o->code_parts >= 2);
    }
    if (auto o = run("googleai/streaming-success-empty-parts.txt")) {
        CHECK(o->inline_data == 1);
    }
    if (auto o = run("googleai/streaming-success-finish-message.txt")) {
        CHECK(o->finish_message == "Finished successfully");
    }
    if (auto o = run("vertexai/streaming-failure-prompt-blocked-safety-with-message.txt")) {
        CHECK(o->block_message == "Reasons");
    }
    if (auto o = run("vertexai/streaming-failure-error-mid-stream.txt")) {
        CHECK(o->api_code == 499);
        CHECK(o->api_message == "The operation was cancelled.");
        CHECK(o->chunk_texts.size() == 2);   // both chunks reached the caller before the error
    }
}

TEST_CASE("a stream cut off mid-body is an error that keeps the partial output", "[gemini][fixtures]")
{
    const auto body = read_conformance("gemini/googleai/streaming-success-basic-reply-short.txt");
    if (!body) {
        WARN("skipped: conformance data not found");
        return;
    }
    const std::string response = as_http_response(*body, 64);
    // Cut inside the third event: the first two chunks arrived, then the connection closed.
    const std::size_t cut = response.find("is **Cheyenne**");
    REQUIRE(cut != std::string::npos);
    const outcome o = run_pipeline(response.substr(0, cut), {});
    CHECK(o.error == llmio::http::error::eof_in_chunked);
    CHECK(o.error == llmio::condition::truncated);
    CHECK(o.text() == "The capital of Wyoming");

    // A body that ends cleanly at the HTTP level but with no finishReason is truncated too.
    const std::string two_events = body->substr(0, body->find("data:", body->find("capital")));
    const outcome t = run_pipeline(as_http_response(two_events, 64), {});
    CHECK(t.error == gemini::error::truncated_stream);
    CHECK(t.text() == "The capital of Wyoming");
}

TEST_CASE("a non-2xx status decides, whatever the content type", "[gemini][fixtures]")
{
    const auto body = read_conformance("gemini/vertexai/streaming-failure-api-key.txt");
    if (!body) {
        WARN("skipped: conformance data not found");
        return;
    }
    const std::string response = "HTTP/1.1 400 Bad Request\r\nContent-Type: text/event-stream\r\n"
                                 "Content-Length: " + std::to_string(body->size()) + "\r\n\r\n" + *body;
    for (const auto& cuts : llmio_test::split_plans(response.size())) {
        const outcome o = run_pipeline(response, cuts);
        CHECK(o.error == gemini::error::api_key_invalid);
        CHECK(o.api_code == 400);
    }
    const std::string html = "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 9\r\n\r\noverload!";
    const outcome o = run_pipeline(html, {});
    CHECK(o.error == gemini::error::unavailable);
    CHECK(o.api_message == "overload!");
}

TEST_CASE("recorded unary bodies decode to what their names promise", "[gemini][fixtures]")
{
    struct unary_case {
        const char* file;
        std::error_code error;
        std::size_t text_size;
        std::int64_t total_tokens;   // 0 when no usage
    };
    const unary_case cases[] = {
        {"unary-success-basic-reply-long.json", ok, 2593, 1621},
        {"unary-success-basic-reply-short.json", ok, 98, 29},
        {"unary-success-citations.json", ok, 93, 1682},
        {"unary-success-code-execution.json", ok, 102, 363},
        {"unary-success-google-maps-grounding.json", ok, 1095, 443},
        {"unary-success-google-search-grounding-empty-grounding-chunks.json", ok, 187, 67},
        {"unary-success-google-search-grounding.json", ok, 186, 68},
        {"unary-success-thinking-function-call-thought-summary-signature.json", ok, 0, 547},
        {"unary-success-thinking-reply-thought-summary.json", ok, 13, 40},
        {"unary-success-url-context-mixed-validity.json", ok, 793, 2437},
        {"unary-success-url-context.json", ok, 496, 683},
        {"unary-failure-api-key.json", E::api_key_invalid, 0, 0},
        {"unary-failure-finish-reason-safety.json", E::finish_safety, 38, 27},
        {"unary-failure-generativelanguage-api-not-enabled.json", E::api_not_enabled, 0, 0},
        {"unary-failure-only-prompt-feedback.json", E::prompt_blocked, 0, 0},
        {"unary-failure-unknown-model.json", E::not_found, 0, 0},
        {"unary-failure-with-message-no-content.json", E::finish_abnormal, 0, 0},
    };
    gemini::chunk_decoder decoder;
    for (const unary_case& c : cases) {
        INFO(c.file);
        const auto body = read_conformance(std::string("gemini/googleai/") + c.file);
        if (!body) {
            WARN("skipped: conformance data not found");
            return;
        }
        std::error_code ec = decoder.decode(*body);
        if (!ec) {
            ec = gemini::content_error(decoder.get());
        }
        CHECK(ec == c.error);
        std::string text;
        decoder.get().for_each_text([&](std::string_view t) { text += t; });
        CHECK(text.size() == c.text_size);
        if (c.total_tokens != 0) {
            REQUIRE(decoder.get().usage.has_value());
            CHECK(decoder.get().usage->total == c.total_tokens);
        }
    }
    // Details that the names promise.
    REQUIRE_FALSE(decoder.decode(*read_conformance("gemini/googleai/unary-success-citations.json")));
    CHECK_FALSE(decoder.get().candidates[0].citations.empty());
    REQUIRE_FALSE(decoder.decode(*read_conformance("gemini/googleai/unary-success-google-search-grounding.json")));
    CHECK_FALSE(decoder.get().candidates[0].grounding_metadata.empty());
    REQUIRE_FALSE(decoder.decode(*read_conformance("gemini/googleai/unary-success-url-context.json")));
    CHECK_FALSE(decoder.get().candidates[0].url_context_metadata.empty());
    REQUIRE_FALSE(decoder.decode(*read_conformance(
        "gemini/googleai/unary-success-thinking-function-call-thought-summary-signature.json")));
    bool call = false;
    for (const auto& p : decoder.get().candidates[0].parts) {
        if (p.kind == gemini::part_kind::function_call) {
            call = true;
            CHECK_FALSE(p.thought_signature.empty());
            CHECK_FALSE(p.name.empty());
        }
    }
    CHECK(call);
    CHECK(decoder.decode(*read_conformance("gemini/googleai/unary-failure-generativelanguage-api-not-enabled.json")) ==
          llmio::condition::auth);
    CHECK(decoder.api().help_url.find("console.developers.google.com") != std::string_view::npos);
    REQUIRE_FALSE(decoder.decode(*read_conformance("gemini/googleai/unary-failure-with-message-no-content.json")));
    CHECK(decoder.get().candidates[0].finish_message ==
          "Model failed to generate content due to internal error.");
    REQUIRE_FALSE(decoder.decode(*read_conformance("gemini/googleai/unary-failure-only-prompt-feedback.json")));
    CHECK(decoder.get().feedback->block_reason_message == "Message");
}
