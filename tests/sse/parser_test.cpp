// llmio::sse::parser beyond the conformance vectors: where put() stops, zero copy and padding,
// BOM and line-end corner cases, fields, retry and the last event ID.
#include "grind.hpp"

#include <support/catch.hpp>
#include <support/conformance.hpp>

#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

namespace {

using llmio::sse::parse_event;
using llmio::sse::parse_result;
using llmio::sse::parser;
using llmio::sse::parser_options;
using llmio_test::sse::bytes;
using llmio_test::sse::check_every_split;
using llmio_test::sse::ev;
using llmio_test::sse::expect;
using llmio_test::sse::feed;
using llmio_test::sse::other;
using llmio_test::sse::record;
using llmio_test::sse::run;

} // namespace

TEST_CASE("put stops after each event and each other line")
{
    parser_options options;
    options.report_other_lines = true;
    parser p(options);
    std::error_code ec;
    const std::string input = "data: 1\r\n\r\nbad line\r\ndata: 2\r\n\r\n";
    std::string_view in = input;

    parse_result r = p.put(in, ec);
    REQUIRE(!ec);
    REQUIRE(r.event == parse_event::event);
    CHECK(r.consumed == 11);   // through the blank line's CR LF
    CHECK(p.current().data == "1");
    in.remove_prefix(r.consumed);

    r = p.put(in, ec);
    REQUIRE(r.event == parse_event::other_line);
    CHECK(r.consumed == 10);
    CHECK(p.line() == "bad line");
    in.remove_prefix(r.consumed);

    r = p.put(in, ec);
    REQUIRE(r.event == parse_event::event);
    CHECK(p.current().data == "2");
    CHECK(r.consumed == in.size());
    in.remove_prefix(r.consumed);

    r = p.put(in, ec);
    CHECK(r.event == parse_event::need_more);
    CHECK(r.consumed == 0);
}

TEST_CASE("zero copy and padding")
{
    parser p;
    std::error_code ec;

    SECTION("one data line inside one input is a view into it")
    {
        const std::string input = "event: t\ndata: {\"a\":1}\n\ndata: next";
        const parse_result r = p.put(input, ec, 32);
        REQUIRE(r.event == parse_event::event);
        const auto& e = p.current();
        CHECK(e.data == "{\"a\":1}");
        CHECK(e.data.data() == input.data() + 15);
        const auto tail = static_cast<std::size_t>(input.data() + input.size() -
                                                   (e.data.data() + e.data.size()));
        CHECK(e.data_padding == tail + 32);
        CHECK(e.type == "t");
    }
    SECTION("several data lines are joined in the parser's buffer, padded")
    {
        const std::string input = "data: a\ndata:\ndata: c\n\n";
        REQUIRE(p.put(input, ec).event == parse_event::event);
        const auto& e = p.current();
        CHECK(e.data == "a\n\nc");
        CHECK((e.data.data() < input.data() || e.data.data() >= input.data() + input.size()));
        REQUIRE(e.data_padding >= llmio::sse::data_padding_guarantee);
        for (std::size_t i = 0; i < e.data_padding; ++i) {
            CHECK(e.data.data()[e.data.size() + i] == '\0');
        }
    }
    SECTION("a data line whose blank line comes in the next input is copied before need_more")
    {
        std::string first = "data: payload\n";
        REQUIRE(p.put(first, ec).event == parse_event::need_more);
        first.assign(first.size(), 'X');   // the caller reuses its buffer
        const std::string second = "\n";
        REQUIRE(p.put(second, ec).event == parse_event::event);
        CHECK(p.current().data == "payload");
        CHECK(p.current().data_padding >= llmio::sse::data_padding_guarantee);
    }
    SECTION("a data line cut between inputs is assembled in the buffer")
    {
        std::string first = "data: pay";
        REQUIRE(p.put(first, ec).event == parse_event::need_more);
        first.assign(first.size(), 'X');
        REQUIRE(p.put("load\n\n", ec).event == parse_event::event);
        CHECK(p.current().data == "payload");
        CHECK(p.current().data_padding >= llmio::sse::data_padding_guarantee);
    }
    SECTION("a pending view is copied before an other line is returned")
    {
        parser q({.report_other_lines = true});
        std::string first = "data: kept\nnot a field\n";
        REQUIRE(q.put(first, ec).event == parse_event::other_line);
        CHECK(q.line() == "not a field");
        first.assign(first.size(), 'X');
        REQUIRE(q.put("\n", ec).event == parse_event::event);
        CHECK(q.current().data == "kept");
    }
    SECTION("type and id outlive the input that carried them")
    {
        std::string first = "event: kind\nid: 42\ndata: x\n";
        REQUIRE(p.put(first, ec).event == parse_event::need_more);
        first.assign(first.size(), 'X');
        REQUIRE(p.put("\n", ec).event == parse_event::event);
        CHECK(p.current().type == "kind");
        CHECK(p.current().id == "42");
        CHECK(p.last_event_id() == "42");
    }
    SECTION("the buffer is reused: a smaller event after a larger one keeps the storage")
    {
        REQUIRE(p.put(std::string("data: ") + std::string(1000, 'a') + "\ndata: b\n\n", ec).event ==
                parse_event::event);
        const char* storage = p.current().data.data();
        REQUIRE(p.put("data: c\ndata: d\n\n", ec).event == parse_event::event);
        CHECK(p.current().data == "c\nd");
        CHECK(p.current().data.data() == storage);
    }
    CHECK(!ec);
}

TEST_CASE("BOM corner cases")
{
    parser_options report;
    report.report_other_lines = true;
    SECTION("an incomplete BOM is the start of the first line")
    {
        check_every_split("\xEF\xBB" "data: x\n\ndata: y\n\n",
                          expect({other("\xEF\xBB" "data: x"), ev("y")}), report, false);
        check_every_split("\xEF\n", expect({other("\xEF")}), report, false);
        check_every_split("\xEF", expect({other("\xEF")}), report, true);
        check_every_split("\xEF\xBB", expect({}), report, false);
    }
    SECTION("reset() strips a BOM again")
    {
        parser p;
        std::error_code ec;
        REQUIRE(p.put("\xEF\xBB\xBF" "data: 1\n\n", ec).event == parse_event::event);
        p.reset();
        REQUIRE(p.put("\xEF\xBB", ec).event == parse_event::need_more);
        REQUIRE(p.put("\xBF" "data: 2\n\n", ec).event == parse_event::event);
        CHECK(p.current().data == "2");
    }
    SECTION("an empty input does not end the BOM phase")
    {
        parser p;
        std::error_code ec;
        REQUIRE(p.put("", ec).event == parse_event::need_more);
        REQUIRE(p.put("\xEF\xBB\xBF" "data: 1\n\n", ec).event == parse_event::event);
        CHECK(p.current().data == "1");
    }
}

TEST_CASE("line ends")
{
    SECTION("CR at the end of one input and LF at the start of the next are one line end")
    {
        parser p;
        std::error_code ec;
        REQUIRE(p.put("data: a\r", ec).event == parse_event::need_more);
        REQUIRE(p.put("\n", ec).event == parse_event::need_more);   // not a blank line
        REQUIRE(p.put("\r", ec).event == parse_event::event);       // this is
        CHECK(p.current().data == "a");
        REQUIRE(p.put("\ndata: b\n", ec).event == parse_event::need_more);
        REQUIRE(p.put("\n", ec).event == parse_event::event);
        CHECK(p.current().data == "b");
    }
    SECTION("mixed line ends in one stream")
    {
        check_every_split("data: a\rdata: b\ndata: c\r\n\n\rdata: d\r\r\n",
                          expect({ev("a\nb\nc"), ev("d")}), {}, false);
    }
    SECTION("LF CR is two line ends")
    {
        check_every_split("data: a\n\rdata: b\n\n", expect({ev("a"), ev("b")}), {}, false);
    }
    SECTION("a CR-only stream of many short lines")
    {
        std::string input;
        std::vector<record> records;
        for (int i = 0; i < 300; ++i) {
            input += "data: " + std::to_string(i) + "\r\r";
            records.push_back(ev(std::to_string(i)));
        }
        const run got = feed({input});
        CHECK(got.problems.empty());
        CHECK(got == expect(records));
        CHECK(feed(llmio_test::sse::every(input, 7)) == expect(records));
    }
    SECTION("long lines across the scan windows")
    {
        for (const std::size_t n : {255U, 256U, 257U, 511U, 512U, 1000U, 5000U}) {
            for (const std::string eol : {"\n", "\r", "\r\n"}) {
                const std::string value(n, 'v');
                const std::string input = "data: " + value + eol + eol;
                CHECK(feed({input}) == expect({ev(value)}));
                CHECK(feed(llmio_test::sse::every(input, 100)) == expect({ev(value)}));
            }
        }
    }
}

TEST_CASE("fields")
{
    SECTION("NUL bytes pass through data and type")
    {
        const std::string input = bytes("event: a\0b\ndata: x\0y\n\n");
        check_every_split(input, expect({ev(std::string("x\0y", 3), std::string("a\0b", 3))}), {},
                          false);
    }
    SECTION("only a space is stripped, once")
    {
        check_every_split("data:\t x\ndata:  y\nevent:  t\n\n", expect({ev("\t x\n y", " t")}), {},
                          false);
    }
    SECTION("a colon inside the value stays")
    {
        check_every_split("data: a:b: c\n\n", expect({ev("a:b: c")}), {}, false);
    }
    SECTION("the type resets after each dispatch, also after a blank line without data")
    {
        check_every_split("event: t\n\ndata: 1\n\nevent: u\ndata: 2\n\ndata: 3\n\n",
                          expect({ev("1"), ev("2", "u"), ev("3")}), {}, false);
    }
    SECTION("unknown names are reported only when asked, comments never")
    {
        const std::string input = ": comment\nDATA: x\nfoo\n  \"k\": 1\ndata: y\n\n";
        check_every_split(input, expect({ev("y")}), {}, false);
        parser_options report;
        report.report_other_lines = true;
        check_every_split(input, expect({other("DATA: x"), other("foo"), other("  \"k\": 1"), ev("y")}),
                          report, false);
    }
}

TEST_CASE("retry")
{
    const auto final_retry = [](const std::string& input) {
        parser p;
        std::error_code ec;
        std::string_view in = input;
        for (;;) {
            const parse_result r = p.put(in, ec);
            in.remove_prefix(r.consumed);
            if (r.event == parse_event::need_more) {
                break;
            }
        }
        return p.retry();
    };
    CHECK(final_retry("retry: 1500\n") == std::optional<std::uint64_t>(1500));
    CHECK(final_retry("retry:0\n") == std::optional<std::uint64_t>(0));
    CHECK(final_retry("retry:\n") == std::nullopt);
    CHECK(final_retry("retry\n") == std::nullopt);
    CHECK(final_retry("retry: -1\n") == std::nullopt);
    CHECK(final_retry("retry: +1\n") == std::nullopt);
    CHECK(final_retry("retry: 1 \n") == std::nullopt);
    CHECK(final_retry("retry:  1\n") == std::nullopt);
    CHECK(final_retry("retry: 18446744073709551615\n") ==
          std::optional<std::uint64_t>(std::numeric_limits<std::uint64_t>::max()));
    CHECK(final_retry("retry: 18446744073709551616\n") == std::nullopt);
    CHECK(final_retry("retry: 100\nretry: x\n") == std::optional<std::uint64_t>(100));
    CHECK(final_retry("retry: 100\nretry: 200\n") == std::optional<std::uint64_t>(200));
    // It takes effect at once: no blank line, no event needed.
    CHECK(final_retry("retry: 7") == std::nullopt);   // not a line yet
}

TEST_CASE("last event ID")
{
    SECTION("set at every blank line, even without data")
    {
        parser p;
        std::error_code ec;
        REQUIRE(p.put("id: 1\n", ec).event == parse_event::need_more);
        CHECK(p.last_event_id().empty());   // the buffer is not the string yet
        REQUIRE(p.put("\n", ec).event == parse_event::need_more);
        CHECK(p.last_event_id() == "1");
        REQUIRE(p.put("id: 2\ndata: x\n", ec).event == parse_event::need_more);
        REQUIRE(p.finish(ec, false).event == parse_event::need_more);
        CHECK(p.last_event_id() == "1");   // the event was dropped, and its id with it
    }
    SECTION("persists across events, and an empty id clears it")
    {
        check_every_split("id: a\ndata: 1\n\ndata: 2\n\nid\ndata: 3\n\n",
                          expect({ev("1", "message", "a"), ev("2", "message", "a"), ev("3")}, ""),
                          {}, false);
    }
    SECTION("an id with NUL is ignored")
    {
        check_every_split(bytes("id: a\ndata: 1\n\nid: b\0c\ndata: 2\n\n"),
                          expect({ev("1", "message", "a"), ev("2", "message", "a")}, "a"), {},
                          false);
    }
    SECTION("reset() clears it and retry")
    {
        parser p;
        std::error_code ec;
        REQUIRE(p.put("id: 9\nretry: 5\ndata: x\n\n", ec).event == parse_event::event);
        CHECK(p.last_event_id() == "9");
        CHECK(p.retry() == std::optional<std::uint64_t>(5));
        p.reset();
        CHECK(p.last_event_id().empty());
        CHECK(p.retry() == std::nullopt);
    }
}
