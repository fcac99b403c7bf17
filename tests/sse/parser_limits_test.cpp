// llmio::sse::parser limits: max_line and max_event at their boundary, whatever the cut,
// sticky errors and reset().
#include "grind.hpp"

#include <support/catch.hpp>
#include <support/conformance.hpp>

#include <string>
#include <system_error>

namespace {

using llmio::sse::parse_event;
using llmio::sse::parse_result;
using llmio::sse::parser;
using llmio::sse::parser_options;
using llmio_test::sse::check_every_split;
using llmio_test::sse::ev;
using llmio_test::sse::expect;
using llmio_test::sse::run;

} // namespace

TEST_CASE("limits: max_line")
{
    parser_options options;
    options.max_line = 16;
    const std::string fits = "data: " + std::string(10, 'x');   // 16 bytes
    const std::string over = "data: " + std::string(11, 'x');   // 17 bytes
    REQUIRE(fits.size() == 16);

    SECTION("exactly max_line is accepted, however cut")
    {
        check_every_split(fits + "\n\n", expect({ev(std::string(10, 'x'))}), options, false);
        check_every_split(fits + "\r\n\r\n", expect({ev(std::string(10, 'x'))}), options, false);
    }
    SECTION("max_line + 1 is refused, however cut, after the events before it")
    {
        run refused = expect({ev("ok")});
        refused.error = llmio::sse::error::line_too_long;
        check_every_split("data: ok\n\n" + over + "\n\n", refused, options, false);
        // Known too long before its end arrives: no need to see a line end.
        check_every_split("data: ok\n\n" + over, refused, options, false);
    }
    SECTION("every kind of line counts, comments and other lines too")
    {
        run refused;
        refused.error = llmio::sse::error::line_too_long;
        check_every_split(":" + std::string(16, 'c') + "\n", refused, options, false);
        check_every_split(std::string(17, '{') + "\n", refused, {.max_line = 16,
                          .report_other_lines = true}, false);
        check_every_split(":" + std::string(15, 'c') + "\n", expect({}), options, false);
    }
    SECTION("the error is sticky until reset()")
    {
        parser p(options);
        std::error_code ec;
        const parse_result r = p.put(over + "\n\n", ec);
        CHECK(ec == llmio::sse::error::line_too_long);
        CHECK(r.event == parse_event::need_more);
        CHECK(ec == llmio::condition::limit_exceeded);
        CHECK(ec == llmio::condition::protocol_error);

        std::error_code again;
        CHECK(p.put("data: x\n\n", again).consumed == 0);
        CHECK(again == llmio::sse::error::line_too_long);
        std::error_code at_end;
        CHECK(p.finish(at_end, true).event == parse_event::need_more);
        CHECK(at_end == llmio::sse::error::line_too_long);

        p.reset();
        std::error_code fresh;
        const std::string input = fits + "\n\n";   // the event views it
        REQUIRE(p.put(input, fresh).event == parse_event::event);
        CHECK(!fresh);
        CHECK(p.current().data == std::string(10, 'x'));
    }
    SECTION("a BOM split off is part of the limit only when it is not a BOM")
    {
        check_every_split("\xEF\xBB\xBF" + fits + "\n\n", expect({ev(std::string(10, 'x'))}),
                          options, false);
        run refused;
        refused.error = llmio::sse::error::line_too_long;
        check_every_split("\xEF\xBB" + std::string(15, '{') + "\n", refused, options, false);
    }
}

TEST_CASE("limits: max_event")
{
    parser_options options;
    options.max_event = 9;   // "1234\n6789" is 9 bytes joined

    SECTION("exactly max_event is accepted, however cut")
    {
        check_every_split("data: 1234\ndata: 6789\n\n", expect({ev("1234\n6789")}), options, false);
        check_every_split("data: 123456789\n\n", expect({ev("123456789")}), options, false);
    }
    SECTION("max_event + 1 is refused, however cut")
    {
        run refused = expect({ev("ok")});
        refused.error = llmio::sse::error::event_too_large;
        check_every_split("data: ok\n\ndata: 1234\ndata: 67890\n\n", refused, options, false);
        check_every_split("data: ok\n\ndata: 1234567890\n\n", refused, options, false);
        check_every_split("data: ok\n\ndata: 1234\ndata: 6789\ndata:\n\n", refused, options, false);
        // A last line flushed at the end of the stream is checked too.
        check_every_split("data: ok\n\ndata: 1234567890", refused, options, true);
    }
    SECTION("a line over both limits reports line_too_long wherever it is cut")
    {
        run refused;
        refused.error = llmio::sse::error::line_too_long;
        check_every_split("data: " + std::string(40, 'x') + "\n\n", refused,
                          {.max_line = 20, .max_event = 9}, false);
    }
    SECTION("the limit is per event")
    {
        check_every_split("data: 123456789\n\ndata: 123456789\n\n",
                          expect({ev("123456789"), ev("123456789")}), options, false);
    }
    SECTION("sticky, and reset() recovers")
    {
        parser p(options);
        std::error_code ec;
        static_cast<void>(p.put("data: 1234567890\n\n", ec));
        CHECK(ec == llmio::sse::error::event_too_large);
        CHECK(ec == llmio::condition::limit_exceeded);
        std::error_code again;
        static_cast<void>(p.put("\n", again));
        CHECK(again == ec);
        p.reset();
        std::error_code fresh;
        REQUIRE(p.put("data: 1\n\n", fresh).event == parse_event::event);
        CHECK(!fresh);
    }
}
