// llmio::sse::parser with the Gemini extensions: report_other_lines (a raw error object inside
// a 200 stream), finish(ec, true) (a last event without its blank line), the framings Gemini
// uses, and the recorded Gemini streams of ../shared/conformance/gemini.
#include "grind.hpp"

#include <support/catch.hpp>
#include <support/conformance.hpp>

#include <simdjson.h>

#include <array>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

namespace {

using llmio::sse::parse_event;
using llmio::sse::parser;
using llmio::sse::parser_options;
using llmio_test::sse::check_every_split;
using llmio_test::sse::ev;
using llmio_test::sse::expect;
using llmio_test::sse::feed;
using llmio_test::sse::lines_of;
using llmio_test::sse::other;
using llmio_test::sse::record;
using llmio_test::sse::run;

} // namespace

TEST_CASE("Gemini: a raw error object after two events reaches the caller line by line")
{
    const auto body =
        llmio_test::read_conformance("gemini/vertexai/streaming-failure-error-mid-stream.txt");
    if (!body) {
        WARN("conformance data not found (gemini/vertexai/...error-mid-stream.txt): skipped");
        return;
    }
    // The fixture: two `data:` events separated by "\n\n", then a pretty-printed
    // {"error": ...} object, one JSON line per line, ending with "}\n".
    const std::size_t first_end = body->find("\n\n");
    REQUIRE(first_end != std::string::npos);
    const std::size_t second_end = body->find("\n\n", first_end + 2);
    REQUIRE(second_end != std::string::npos);
    REQUIRE(body->compare(0, 6, "data: ") == 0);
    REQUIRE(body->compare(first_end + 2, 6, "data: ") == 0);

    run expected;
    expected.records.push_back(ev(body->substr(6, first_end - 6)));
    expected.records.push_back(ev(body->substr(first_end + 8, second_end - first_end - 8)));
    const std::vector<std::string> raw = lines_of(std::string_view(*body).substr(second_end + 2));
    REQUIRE(raw.size() > 5);
    REQUIRE(raw.front() == "{");
    REQUIRE(raw.back() == "}");
    for (const std::string& line : raw) {
        expected.records.push_back(other(line));
    }

    parser_options options;
    options.report_other_lines = true;
    SECTION("browser end of stream") { check_every_split(*body, expected, options, false); }
    SECTION("Gemini end of stream") { check_every_split(*body, expected, options, true); }
    SECTION("without the trailing LF, only flushing delivers the last line")
    {
        const std::string cut = body->substr(0, body->size() - 1);
        check_every_split(cut, expected, options, true);
        expected.records.pop_back();
        check_every_split(cut, expected, options, false);
    }
    SECTION("browser rules drop the object")
    {
        expected.records.resize(2);
        check_every_split(*body, expected, {}, false);
    }
}

TEST_CASE("Gemini: recorded streams give one JSON event per data line, however cut")
{
    const std::array<const char*, 8> files{
        "gemini/googleai/streaming-success-basic-reply-short.txt",
        "gemini/googleai/streaming-success-code-execution.txt",
        "gemini/googleai/streaming-success-finish-message.txt",          // LF, no blank line at end
        "gemini/googleai/streaming-success-no-content-parts.txt",        // LF, no blank line at end
        "gemini/googleai/streaming-success-url-context.txt",             // LF LF
        "gemini/googleai/streaming-failure-prompt-blocked-safety.txt",   // CRLF, no blank line
        "gemini/vertexai/streaming-failure-unknown-finish-enum.txt",
        "gemini/vertexai/streaming-failure-recitation-no-content.txt",   // CRLF CRLF
    };
    parser_options options;
    options.report_other_lines = true;
    simdjson::dom::parser json;
    for (const char* file : files) {
        INFO("file: " << file);
        const auto body = llmio_test::read_conformance(file);
        if (!body) {
            WARN("conformance data not found: skipped");
            continue;
        }
        const run whole = feed({*body}, options, true);
        REQUIRE(whole.problems.empty());
        REQUIRE(!whole.error);
        std::size_t data_lines = 0;
        for (const std::string& line : lines_of(*body)) {
            data_lines += line.rfind("data:", 0) == 0 ? 1 : 0;
        }
        CHECK(whole.records.size() == data_lines);
        for (const record& r : whole.records) {
            CHECK(r.what == parse_event::event);
            CHECK(r.type == "message");
            simdjson::dom::element doc;
            CHECK(json.parse(r.data).get(doc) == simdjson::SUCCESS);
        }
        check_every_split(*body, whole, options, true);
    }
}

TEST_CASE("Gemini framings: CRLF CRLF, LF LF and CR CR give the same events")
{
    const std::string a = R"({"candidates":[{"content":{"parts":[{"text":"Hel"}]}}]})";
    const std::string b = R"({"candidates":[{"content":{"parts":[{"text":"lo"}]}}]})";
    const run expected = expect({ev(a), ev(b)});
    for (const std::string eol : {"\r\n", "\n", "\r"}) {
        INFO("line end: " << (eol == "\r\n" ? "CRLF" : eol == "\n" ? "LF" : "CR"));
        const std::string framed = "data: " + a + eol + eol + "data: " + b + eol + eol;
        check_every_split(framed, expected, {}, false);
        check_every_split(framed, expected, {}, true);
        // Ending without the blank line: only the Gemini end of stream dispatches it.
        const std::string open_end = "data: " + a + eol + eol + "data: " + b + eol;
        check_every_split(open_end, expected, {}, true);
        check_every_split(open_end, expect({ev(a)}), {}, false);
        // Ending without any line end.
        const std::string no_eol = "data: " + a + eol + eol + "data: " + b;
        check_every_split(no_eol, expected, {}, true);
        check_every_split(no_eol, expect({ev(a)}), {}, false);
    }
}

TEST_CASE("flushing at the end of the stream")
{
    SECTION("a multi-line event and its type and id")
    {
        const std::string input = "event: e\nid: 7\ndata: a\ndata: b";
        check_every_split(input, expect({ev("a\nb", "e", "7")}, "7"), {}, true);
        check_every_split(input, expect({}, ""), {}, false);
    }
    SECTION("an event without data is not dispatched")
    {
        check_every_split("event: e\nid: 7\n", expect({}, ""), {}, true);
    }
    SECTION("a last line that is an empty data field")
    {
        check_every_split("data: x\n\ndata:", expect({ev("x"), ev("")}), {}, true);
    }
    SECTION("the last unterminated line is an other line, then the pending event")
    {
        parser_options options;
        options.report_other_lines = true;
        check_every_split("data: x\n{\"error\": 1}", expect({other("{\"error\": 1}"), ev("x")}),
                          options, true);
    }
    SECTION("finish keeps returning need_more once done")
    {
        parser p;
        std::error_code ec;
        REQUIRE(p.put("data: x", ec).event == parse_event::need_more);
        REQUIRE(p.finish(ec, true).event == parse_event::event);
        CHECK(p.current().data == "x");
        CHECK(p.finish(ec, true).event == parse_event::need_more);
        CHECK(p.finish(ec, true).event == parse_event::need_more);
        CHECK(p.finish(ec, false).event == parse_event::need_more);
        CHECK(!ec);
    }
}
