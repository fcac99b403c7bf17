// llmio::http::response_parser beyond the shared vectors: limits, keep-alive, interim
// responses, EOF in every state, sticky errors, views and lifetimes, error conditions.
#include "grind.hpp"
#include "support/catch.hpp"

#include <llmio/http/response_parser.hpp>

#include <string>
#include <string_view>
#include <vector>

namespace {

using llmio::http::error;
using llmio::http::framing;
using llmio::http::parse_event;
using llmio::http::response_parser;
using llmio::http::response_parser_options;
using llmio_test::http::outcome;

response_parser_options with_limits(void (*tweak)(llmio::http::parser_limits&))
{
    response_parser_options options;
    tweak(options.limits);
    return options;
}

/// Parses `input` whole, after checking that every way of cutting it gives the same outcome.
outcome parse(const std::string& input, response_parser_options options = {}, bool head_request = false)
{
    const std::string mismatch = llmio_test::http::grind(input, [&](const std::vector<std::string>& pieces) {
        return llmio_test::http::run(pieces, options, head_request);
    });
    INFO(mismatch);
    CHECK(mismatch.empty());
    const outcome o = llmio_test::http::run({input}, options, head_request);
    CHECK(o.views_in_input);
    CHECK(o.need_more_used_all);
    CHECK(o.sticky);
    return o;
}

/// Feeds `input` whole and returns the first event, with `ec`.
parse_event first_event(response_parser& p, std::string_view input, std::error_code& ec)
{
    return p.put(input, ec).event;
}

} // namespace

TEST_CASE("parser_limits defaults are the documented ones")
{
    const llmio::http::parser_limits limits;
    CHECK(limits.header_block == 64 * 1024);
    CHECK(limits.header_count == 128);
    CHECK(limits.line == 16 * 1024);
    CHECK(limits.chunk_size_digits == 16);
    CHECK(limits.body == (std::uint64_t(1) << 32));
    CHECK(response_parser_options{}.skip_interim);
}

TEST_CASE("header_block limit")
{
    const std::string head = "HTTP/1.1 200 OK\r\nA: b\r\nContent-Length: 0\r\n\r\n";   // 44 bytes
    REQUIRE(head.size() == 44);
    SECTION("a head of exactly header_block bytes passes")
    {
        const outcome o = parse(head, with_limits([](auto& l) { l.header_block = 44; }));
        CHECK(!o.error);
        REQUIRE(o.messages.size() == 1);
        CHECK(o.messages[0].complete);
    }
    SECTION("one byte more fails")
    {
        CHECK(parse(head, with_limits([](auto& l) { l.header_block = 43; })).error == error::header_block_too_large);
    }
    SECTION("leading empty lines count")
    {
        CHECK(parse("\r\n" + head, with_limits([](auto& l) { l.header_block = 44; })).error ==
              error::header_block_too_large);
        CHECK(!parse("\r\n" + head, with_limits([](auto& l) { l.header_block = 46; })).error);
    }
    SECTION("an endless head is cut at the limit, not buffered")
    {
        const outcome o = parse("HTTP/1.1 200 OK\r\n" + std::string(200, 'x'),
                                with_limits([](auto& l) { l.header_block = 64; }));
        CHECK(o.error == error::header_block_too_large);
    }
    SECTION("each trailer section has its own budget")
    {
        const std::string chunked = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n";
        const auto limits = with_limits([](auto& l) { l.header_block = 64; });
        CHECK(!parse(chunked + "T: " + std::string(40, 'v') + "\r\n\r\n", limits).error);
        CHECK(parse(chunked + "T: " + std::string(80, 'v') + "\r\n\r\n", limits).error == error::header_block_too_large);
    }
    SECTION("the condition is limit_exceeded")
    {
        CHECK(std::error_code(error::header_block_too_large) == llmio::condition::limit_exceeded);
        CHECK(std::error_code(error::header_block_too_large) != llmio::condition::protocol_error);
    }
}

TEST_CASE("header_count limit")
{
    const auto two = with_limits([](auto& l) { l.header_count = 2; });
    CHECK(!parse("HTTP/1.1 200 OK\r\nA: 1\r\nContent-Length: 0\r\n\r\n", two).error);
    CHECK(parse("HTTP/1.1 200 OK\r\nA: 1\r\nB: 2\r\nContent-Length: 0\r\n\r\n", two).error == error::too_many_headers);
    // Per trailer section too.
    const std::string chunked = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n";
    CHECK(!parse(chunked + "X: 1\r\nY: 2\r\n\r\n", two).error);
    CHECK(parse(chunked + "X: 1\r\nY: 2\r\nZ: 3\r\n\r\n", two).error == error::too_many_headers);
}

TEST_CASE("line limit")
{
    const auto limits = with_limits([](auto& l) { l.line = 20; });
    SECTION("a line of exactly the limit passes, one byte more fails")
    {
        CHECK(!parse("HTTP/1.1 200 OK\r\nAbc: 0123456789ab\r\nContent-Length: 0\r\n\r\n",
                     with_limits([](auto& l) { l.line = 17; }))
                   .error);
        CHECK(parse("HTTP/1.1 200 OK\r\nAbc: 0123456789abc\r\nContent-Length: 0\r\n\r\n",
                    with_limits([](auto& l) { l.line = 17; }))
                  .error == error::line_too_long);
    }
    SECTION("status line")
    {
        CHECK(parse("HTTP/1.1 200 A very long reason phrase\r\n\r\n", limits).error == error::line_too_long);
    }
    SECTION("chunk-size line with extensions")
    {
        CHECK(parse("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1;name=averyveryverylongvalue\r\nx\r\n",
                    limits)
                  .error == error::line_too_long);
    }
    SECTION("a line that never ends is cut at the limit")
    {
        CHECK(parse("HTTP/1.1 200 OK\r\nX: " + std::string(100, 'y'), limits).error == error::line_too_long);
    }
    SECTION("a bare CR before the limit is reported first, however the input is cut")
    {
        CHECK(parse("HTTP/1.1 200 OK\r\nX: a\rbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb\r\n\r\n", limits).error ==
              error::bad_line_ending);
    }
    CHECK(std::error_code(error::line_too_long) == llmio::condition::limit_exceeded);
}

TEST_CASE("chunk_size_digits limit")
{
    const std::string head = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n";
    SECTION("16 digits, leading zeros included, pass")
    {
        const outcome o = parse(head + "0000000000000003\r\nabc\r\n0\r\n\r\n");
        CHECK(!o.error);
        CHECK(o.chunk_sizes == std::vector<std::uint64_t>{3, 0});
    }
    SECTION("17 fail, even when the value is small")
    {
        CHECK(parse(head + "00000000000000003\r\nabc\r\n0\r\n\r\n").error == error::chunk_size_too_long);
    }
    SECTION("a lower limit")
    {
        CHECK(parse(head + "100\r\n", with_limits([](auto& l) { l.chunk_size_digits = 2; })).error ==
              error::chunk_size_too_long);
    }
    SECTION("a raised limit still refuses sizes past 64 bits")
    {
        CHECK(parse(head + "10000000000000000\r\n", with_limits([](auto& l) {
                  l.chunk_size_digits = 32;
                  l.body = UINT64_MAX;
              })).error == error::chunk_size_too_long);
    }
}

TEST_CASE("body limit")
{
    const auto ten = with_limits([](auto& l) { l.body = 10; });
    SECTION("Content-Length over the limit fails at the head")
    {
        const outcome o = parse("HTTP/1.1 200 OK\r\nContent-Length: 11\r\n\r\n", ten);
        CHECK(o.error == error::body_too_large);
        CHECK(o.messages.empty());
        CHECK(!parse("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n0123456789", ten).error);
    }
    SECTION("a bodiless response may announce more")
    {
        CHECK(!parse("HTTP/1.1 304 Not Modified\r\nContent-Length: 1000\r\n\r\n", ten).error);
    }
    SECTION("chunked: the chunk that would pass the limit fails before its data")
    {
        const outcome o =
            parse("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n6\r\n012345\r\n5\r\n01234\r\n0\r\n\r\n", ten);
        CHECK(o.error == error::body_too_large);
        REQUIRE(o.messages.size() == 1);
        CHECK(o.messages[0].body == "012345");
        CHECK(o.chunk_sizes == std::vector<std::uint64_t>{6});
    }
    SECTION("until close: the bytes up to the limit are given, then the error")
    {
        const outcome o = parse("HTTP/1.1 200 OK\r\n\r\n0123456789abc", ten);
        CHECK(o.error == error::body_too_large);
        REQUIRE(o.messages.size() == 1);
        CHECK(o.messages[0].body == "0123456789");
        CHECK(!parse("HTTP/1.1 200 OK\r\n\r\n0123456789", ten).error);
    }
}

TEST_CASE("Content-Length values")
{
    const auto cl = [](std::string value) {
        return parse("HTTP/1.1 200 OK\r\nContent-Length: " + value + "\r\n\r\n");
    };
    CHECK(cl("18446744073709551616").error == error::content_length_overflow);
    CHECK(cl("99999999999999999999999").error == error::content_length_overflow);
    // Fits in 64 bits, but not in the default body limit.
    CHECK(cl("18446744073709551615").error == error::body_too_large);
    CHECK(cl("+5").error == error::bad_content_length);
    CHECK(cl("-1").error == error::bad_content_length);
    CHECK(cl("0x10").error == error::bad_content_length);
    CHECK(cl("5, 5").error == error::bad_content_length);
    CHECK(std::error_code(error::content_length_overflow) == llmio::condition::limit_exceeded);
    CHECK(std::error_code(error::content_length_overflow) == llmio::condition::protocol_error);

    SECTION("identical duplicates are one length; different ones are refused")
    {
        const outcome same = parse("HTTP/1.1 200 OK\r\nContent-Length: 3\r\ncontent-length: 003\r\n\r\nabc");
        CHECK(!same.error);
        REQUIRE(same.messages.size() == 1);
        CHECK(same.messages[0].body == "abc");
        CHECK(same.messages[0].complete);
        CHECK(parse("HTTP/1.1 200 OK\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd").error ==
              error::conflicting_content_length);
    }
}

TEST_CASE("Transfer-Encoding")
{
    const auto te = [](std::string fields, std::string body = "3\r\nabc\r\n0\r\n\r\n") {
        return parse("HTTP/1.1 200 OK\r\n" + fields + "\r\n" + body);
    };
    CHECK(te("Transfer-Encoding: gzip, Chunked\r\n").messages.at(0).framing == framing::chunked);
    CHECK(te("Transfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n").messages.at(0).framing == framing::chunked);
    CHECK(te("Transfer-Encoding: chunked, gzip\r\n").messages.at(0).framing == framing::until_close);
    CHECK(te("Transfer-Encoding: chunked, chunked\r\n").error == error::bad_transfer_encoding);
    CHECK(te("Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n").error == error::bad_transfer_encoding);
    CHECK(te("Transfer-Encoding: chu nked\r\n").error == error::bad_transfer_encoding);
    CHECK(te("Transfer-Encoding: chunked\r\nContent-Length: 3\r\n").error ==
          error::content_length_with_transfer_encoding);
    CHECK(te("Content-Length: 3\r\nTransfer-Encoding: chunked\r\n").error ==
          error::content_length_with_transfer_encoding);
    SECTION("HTTP/1.0 with Transfer-Encoding: read it, then close (RFC 9112 §6.1)")
    {
        const outcome o = parse("HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nTransfer-Encoding: chunked\r\n\r\n"
                                "3\r\nabc\r\n0\r\n\r\n");
        CHECK(!o.error);
        REQUIRE(o.messages.size() == 1);
        CHECK(o.messages[0].framing == framing::chunked);
        CHECK(!o.messages[0].keep_alive);
    }
}

TEST_CASE("keep-alive matrix (RFC 9112 §9.3)")
{
    struct row {
        const char* version;
        const char* connection;   // nullptr: no Connection field
        bool keep_alive;
    };
    const row rows[] = {
        {"1.1", nullptr, true},
        {"1.1", "keep-alive", true},
        {"1.1", "close", false},
        {"1.1", "Close", false},
        {"1.1", "upgrade, close", false},
        {"1.1", "foo", true},
        {"1.0", nullptr, false},
        {"1.0", "keep-alive", true},
        {"1.0", "Keep-Alive", true},
        {"1.0", "close", false},
        {"1.0", "keep-alive, close", false},
        {"1.2", nullptr, true},
        {"0.9", nullptr, false},
    };
    for (const row& r : rows) {
        INFO("HTTP/" << r.version << " Connection: " << (r.connection ? r.connection : "(none)"));
        std::string head = std::string("HTTP/") + r.version + " 200 OK\r\n";
        if (r.connection) {
            head += std::string("Connection: ") + r.connection + "\r\n";
        }
        const outcome framed = parse(head + "Content-Length: 2\r\n\r\nhi");
        REQUIRE(framed.messages.size() == 1);
        CHECK(framed.messages[0].keep_alive == r.keep_alive);
        // A body delimited by the close never leaves the connection usable.
        const outcome until_close = parse(head + "\r\nhi");
        REQUIRE(until_close.messages.size() == 1);
        CHECK(until_close.messages[0].framing == framing::until_close);
        CHECK(!until_close.messages[0].keep_alive);
        // After a response that does not keep the connection, more bytes are an error.
        const outcome next = parse(head + "Content-Length: 2\r\n\r\nhiHTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
        if (r.keep_alive) {
            CHECK(!next.error);
            CHECK(next.messages.size() == 2);
        } else {
            CHECK(next.error == error::data_after_close);
            CHECK(next.messages.size() == 1);
        }
    }
}

TEST_CASE("data after close: empty input is not data")
{
    response_parser p;
    std::error_code ec;
    std::string_view in = "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n";
    const auto r = p.put(in, ec);
    CHECK(r.event == parse_event::head);
    CHECK(first_event(p, in.substr(r.consumed), ec) == parse_event::message_done);
    CHECK(!p.keep_alive());
    CHECK(first_event(p, "", ec) == parse_event::need_more);
    CHECK(!ec);
    CHECK(first_event(p, "\r\n", ec) == parse_event::need_more);
    CHECK(ec == error::data_after_close);
}

TEST_CASE("interim responses")
{
    const std::string input = "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\n"
                              "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi";
    SECTION("skipped by default: only the final response is seen")
    {
        const outcome o = parse(input);
        CHECK(!o.error);
        REQUIRE(o.messages.size() == 1);
        CHECK(o.messages[0].status == 200);
        CHECK(!o.messages[0].interim);
        CHECK(o.messages[0].body == "hi");
        CHECK(o.messages[0].headers == llmio_test::http::pairs{{"Content-Length", "2"}});
    }
    SECTION("reported with skip_interim = false")
    {
        response_parser_options options;
        options.skip_interim = false;
        const outcome o = parse(input, options);
        REQUIRE(o.messages.size() == 3);
        CHECK(o.messages[0].interim);
        CHECK(o.messages[1].interim);
        CHECK(o.messages[1].headers == llmio_test::http::pairs{{"Link", "</a>"}});
        CHECK(!o.messages[2].interim);
        CHECK(o.messages[2].complete);
    }
    SECTION("a Connection: close on a 1xx does not end the exchange")
    {
        const outcome o = parse("HTTP/1.1 100 Continue\r\nConnection: close\r\n\r\n"
                                "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
        CHECK(!o.error);
        CHECK(o.messages.size() == 1);
    }
}

TEST_CASE("101 Switching Protocols")
{
    response_parser p;
    std::error_code ec;
    std::string_view in = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n\x81\x05hello";
    auto r = p.put(in, ec);
    REQUIRE(r.event == parse_event::head);
    CHECK(p.upgraded());
    CHECK(p.body_framing() == framing::none);
    in.remove_prefix(r.consumed);
    r = p.put(in, ec);
    CHECK(r.event == parse_event::message_done);
    CHECK(r.consumed == 0);
    CHECK(p.done());
    // The caller takes `in` from here for the new protocol; the parser refuses it.
    r = p.put(in, ec);
    CHECK(ec == error::upgraded);
    CHECK(r.consumed == 0);
    CHECK(p.put_eof() == error::upgraded);   // the refusal sticks, as every error does
}

TEST_CASE("header() is a case-insensitive lookup of the first match")
{
    response_parser p;
    std::error_code ec;
    REQUIRE(first_event(p,
                        "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nX-Dup: one\r\nx-dup: two\r\n"
                        "Empty:\r\nContent-Length: 0\r\n\r\n",
                        ec) == parse_event::head);
    CHECK(p.header("content-type") == "text/event-stream");
    CHECK(p.header("CONTENT-TYPE") == "text/event-stream");
    CHECK(p.header("x-dup") == "one");
    CHECK(p.header("Empty").empty());
    CHECK(p.header("Missing").empty());
    CHECK(p.header("Content-Typ").empty());
    CHECK(p.content_length() == std::optional<std::uint64_t>(0));
}

TEST_CASE("put_eof in each state")
{
    const auto eof_after = [](std::string_view input, bool& done) {
        response_parser p;
        std::error_code ec;
        while (!input.empty()) {
            const auto r = p.put(input, ec);
            REQUIRE(!ec);
            input.remove_prefix(r.consumed);
            if (r.event == parse_event::need_more) {
                break;
            }
        }
        const std::error_code eof = p.put_eof();
        done = p.done();
        return eof;
    };
    bool done = false;
    CHECK(!eof_after("", done));
    CHECK(!done);
    CHECK(!eof_after("\r\n\r\n", done));   // empty lines only: no message was in progress
    CHECK(!done);
    CHECK(eof_after("\r", done) == error::eof_in_head);
    CHECK(eof_after("HTTP/1.1 2", done) == error::eof_in_head);
    CHECK(eof_after("HTTP/1.1 200 OK\r\nA: b", done) == error::eof_in_head);
    CHECK(eof_after("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nab", done) == error::short_body);
    CHECK(!eof_after("HTTP/1.1 200 OK\r\n\r\nab", done));
    CHECK(done);
    CHECK(!eof_after("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", done));
    CHECK(done);
    CHECK(!eof_after("HTTP/1.1 204 No Content\r\n\r\n", done));
    CHECK(done);
    const std::string chunked = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n";
    CHECK(eof_after(chunked, done) == error::eof_in_chunked);
    CHECK(eof_after(chunked + "5", done) == error::eof_in_chunked);
    CHECK(eof_after(chunked + "5\r\nab", done) == error::eof_in_chunked);
    CHECK(eof_after(chunked + "5\r\nabcde", done) == error::eof_in_chunked);
    CHECK(eof_after(chunked + "5\r\nabcde\r", done) == error::eof_in_chunked);
    CHECK(eof_after(chunked + "5\r\nabcde\r\n0\r\n", done) == error::eof_in_chunked);
    CHECK(eof_after(chunked + "5\r\nabcde\r\n0\r\nT: x\r\n", done) == error::eof_in_chunked);
    CHECK(!eof_after(chunked + "5\r\nabcde\r\n0\r\n\r\n", done));
    CHECK(done);
    CHECK(std::error_code(error::short_body) == llmio::condition::truncated);
    CHECK(std::error_code(error::eof_in_chunked) == llmio::condition::truncated);
    CHECK(std::error_code(error::eof_in_head) == llmio::condition::truncated);

    SECTION("after the close, bytes are data after close; a truncation error sticks")
    {
        response_parser p;
        std::error_code ec;
        CHECK(!p.put_eof());
        (void)p.put("HTTP/1.1 200 OK\r\n\r\n", ec);
        CHECK(ec == error::data_after_close);

        response_parser q;
        (void)q.put("HTTP/1.1 200", ec);
        CHECK(q.put_eof() == error::eof_in_head);
        CHECK(q.put_eof() == error::eof_in_head);
        (void)q.put(" OK\r\n", ec);
        CHECK(ec == error::eof_in_head);
    }
}

TEST_CASE("errors are sticky until reset()")
{
    response_parser p;
    std::error_code ec;
    auto r = p.put("HTTP/1.1 200 OK\nContent-Length: 0\r\n\r\n", ec);
    CHECK(ec == error::bad_line_ending);
    CHECK(ec == llmio::condition::protocol_error);
    CHECK(r.consumed <= 16);
    r = p.put("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", ec);
    CHECK(ec == error::bad_line_ending);
    CHECK(r.consumed == 0);
    CHECK(p.put_eof() == error::bad_line_ending);

    p.reset();
    r = p.put("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", ec);
    CHECK(!ec);
    CHECK(r.event == parse_event::head);
    CHECK(p.status() == 200);
}

TEST_CASE("chunked body views point into the input; nothing is copied")
{
    response_parser p;
    std::error_code ec;
    const std::string input = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                              "5;name=\"quoted; value\"\r\nhello\r\n6\r\n world\r\n0\r\nTrailer-A: 1\r\n\r\n";
    std::string_view in = input;
    std::vector<parse_event> events;
    std::string body;
    std::string extensions;
    for (;;) {
        const auto r = p.put(in, ec);
        REQUIRE(!ec);
        if (r.event == parse_event::body) {
            const std::string_view b = p.body();
            CHECK(b.data() >= input.data());
            CHECK(b.data() + b.size() <= input.data() + input.size());
            body.append(b);
        }
        if (r.event == parse_event::chunk_header) {
            extensions.append(p.chunk_extensions()).append("|");
        }
        in.remove_prefix(r.consumed);
        if (r.event == parse_event::need_more) {
            break;
        }
        events.push_back(r.event);
    }
    CHECK(body == "hello world");
    CHECK(extensions == ";name=\"quoted; value\"|||");
    CHECK(events == std::vector<parse_event>{parse_event::head, parse_event::chunk_header, parse_event::body,
                                             parse_event::chunk_header, parse_event::body,
                                             parse_event::chunk_header, parse_event::message_done});
    CHECK(p.done());
    REQUIRE(p.trailers().size() == 1);
    CHECK(p.trailers()[0].name == "Trailer-A");
    CHECK(p.trailers()[0].value == "1");
    CHECK(p.body_bytes() == 11);
}

TEST_CASE("head views stay valid while the body arrives in later reads")
{
    response_parser p;
    std::error_code ec;
    std::string read = "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nX-Request-Id: abc\r\n"
                       "Transfer-Encoding: chunked\r\n\r\n";
    auto r = p.put(read, ec);
    REQUIRE(r.event == parse_event::head);
    const auto headers = p.headers();
    const std::string_view reason = p.reason();
    // The caller's read buffer is overwritten by the next reads.
    for (int i = 0; i < 50; ++i) {
        read.assign(std::string("1;ext=") + std::string(100, 'e') + "\r\nx\r\n");
        std::string_view in = read;
        while (!in.empty()) {
            r = p.put(in, ec);
            REQUIRE(!ec);
            in.remove_prefix(r.consumed);
        }
    }
    CHECK(p.body_bytes() == 50);
    REQUIRE(headers.size() == 3);
    CHECK(headers[0].value == "text/event-stream");
    CHECK(headers[1].name == "X-Request-Id");
    CHECK(reason == "OK");
}

TEST_CASE("a chunk-size line cut across reads keeps its extensions")
{
    response_parser p;
    std::error_code ec;
    auto r = p.put("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", ec);
    REQUIRE(r.event == parse_event::head);
    r = p.put("3;a=b;c", ec);
    CHECK(r.event == parse_event::need_more);
    CHECK(r.consumed == 7);
    r = p.put("=\"d\"\r\nxyz", ec);
    REQUIRE(r.event == parse_event::chunk_header);
    CHECK(p.chunk_size() == 3);
    CHECK(p.chunk_extensions() == ";a=b;c=\"d\"");
    llmio_test::http::pairs seen;
    CHECK(!llmio::http::for_each_chunk_extension(p.chunk_extensions(), [&](std::string_view n, std::string_view v) {
        seen.emplace_back(n, v);
    }));
    CHECK(seen == llmio_test::http::pairs{{"a", "b"}, {"c", "\"d\""}});
}

TEST_CASE("for_each_chunk_extension")
{
    const auto walk = [](std::string_view raw, llmio_test::http::pairs& out) {
        out.clear();
        return llmio::http::for_each_chunk_extension(raw, [&](std::string_view n, std::string_view v) {
            out.emplace_back(n, v);
        });
    };
    llmio_test::http::pairs out;
    CHECK(!walk("", out));
    CHECK(out.empty());
    CHECK(!walk(";a;b=c;d=\"e \\\" f\"", out));
    CHECK(out == llmio_test::http::pairs{{"a", ""}, {"b", "c"}, {"d", "\"e \\\" f\""}});
    CHECK(!walk(";empty=\"\"", out));
    CHECK(out == llmio_test::http::pairs{{"empty", "\"\""}});
    for (const std::string_view bad : {";", "a", ";a=", ";a=\"x", ";a b", " ;a", ";a =b", ";a= b", ";a=b c",
                                       ";a=\"\\\x01\"", ";a=\"\x01\"", ";a;", ";=b"}) {
        INFO("raw: " << bad);
        CHECK(walk(bad, out) == error::bad_chunk_extension);
    }
    CHECK(walk(";a;b c", out) == error::bad_chunk_extension);
    CHECK(out == llmio_test::http::pairs{{"a", ""}, {"b", ""}});   // the extensions before the bad " c"
}

TEST_CASE("status line")
{
    const auto line = [](std::string status_line) { return parse(status_line + "\r\nContent-Length: 0\r\n\r\n"); };
    CHECK(line("HTTP/1.1 099 Low").error == error::bad_status);
    CHECK(line("HTTP/1.1 20 OK").error == error::bad_status);
    CHECK(line("HTTP/1.1 2000 OK").error == error::bad_status);
    CHECK(line("HTTP/1.1 20x OK").error == error::bad_status);
    CHECK(line("HTTP/2.0 200 OK").error == error::bad_version);
    CHECK(line("HTTP/1 200 OK").error == error::bad_version);
    CHECK(line("HTTP/1.1").error == error::bad_status_line);
    CHECK(line("http/1.1 200 OK").error == error::bad_status_line);
    CHECK(line(" HTTP/1.1 200 OK").error == error::bad_status_line);
    CHECK(line("HTTP/1.1 200 O\x01K").error == error::bad_reason);
    CHECK(line("HTTP/1.1 200 O\x7fK").error == error::bad_reason);
    const outcome ok = line("HTTP/1.3 599 \t\xff odd reason");
    CHECK(!ok.error);
    REQUIRE(ok.messages.size() == 1);
    CHECK(ok.messages[0].version == 13);
    CHECK(ok.messages[0].status == 599);
    CHECK(ok.messages[0].reason == "\t\xff odd reason");
}

TEST_CASE("field lines")
{
    const auto fields = [](std::string lines) { return parse("HTTP/1.1 200 OK\r\n" + lines + "Content-Length: 0\r\n\r\n"); };
    CHECK(fields("A: b\r\n c\r\n").error == error::obs_fold);
    CHECK(fields("A: b\r\n\tc\r\n").error == error::obs_fold);
    CHECK(fields("A : b\r\n").error == error::bad_header_name);
    CHECK(fields(": b\r\n").error == error::bad_header_name);
    CHECK(fields("A(b): c\r\n").error == error::bad_header_name);
    CHECK(fields("No colon\r\n").error == error::bad_header_name);
    CHECK(fields(std::string("A: b\0c\r\n", 8)).error == error::bad_header_value);
    CHECK(fields("A: b\x7f\r\n").error == error::bad_header_value);
    CHECK(fields("A: b\x01\r\n").error == error::bad_header_value);
    CHECK(fields("A: b\rc\r\n").error == error::bad_line_ending);
    CHECK(fields("A: b\nc\r\n").error == error::bad_line_ending);
    const outcome ok = fields("A:\t  spaced  value \t\r\nB:\r\nC: \xe2\x9c\x93 obs-text\r\n");
    CHECK(!ok.error);
    REQUIRE(ok.messages.size() == 1);
    CHECK(ok.messages[0].headers == llmio_test::http::pairs{{"A", "spaced  value"},
                                                            {"B", ""},
                                                            {"C", "\xe2\x9c\x93 obs-text"},
                                                            {"Content-Length", "0"}});
}

TEST_CASE("trailers")
{
    const std::string chunked = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n";
    CHECK(parse(chunked + "A: b\r\n c\r\n\r\n").error == error::bad_trailer);
    CHECK(parse(chunked + "A b\r\n\r\n").error == error::bad_trailer);
    CHECK(parse(chunked + "A: \x01\r\n\r\n").error == error::bad_trailer);
    CHECK(parse(chunked + "A: b\rc\r\n\r\n").error == error::bad_line_ending);
    // Framing fields in a trailer are given as received and change nothing.
    const outcome o = parse(chunked + "Content-Length: 99\r\nX-Checksum: 1234\r\n\r\n");
    CHECK(!o.error);
    REQUIRE(o.messages.size() == 1);
    CHECK(o.messages[0].body == "abc");
    CHECK(o.messages[0].trailers == llmio_test::http::pairs{{"Content-Length", "99"}, {"X-Checksum", "1234"}});
    CHECK(parse(chunked + "\r\n").messages.at(0).trailers.empty());
}

TEST_CASE("chunk framing")
{
    const std::string head = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n";
    CHECK(parse(head + "3\r\nabcX\r\n").error == error::bad_chunk_terminator);
    CHECK(parse(head + "3\r\nabc\rX").error == error::bad_chunk_terminator);
    CHECK(parse(head + "3\r\nabc\n").error == error::bad_chunk_terminator);
    CHECK(parse(head + "\r\n").error == error::bad_chunk_size);
    CHECK(parse(head + "g\r\n").error == error::bad_chunk_size);
    CHECK(parse(head + "3 ;a\r\n").error == error::bad_chunk_size);
    CHECK(parse(head + "3;a \r\n").error == error::bad_chunk_extension);
    CHECK(parse(head + "3\n").error == error::bad_line_ending);
    const outcome o = parse(head + "A\r\n0123456789\r\nf\r\n0123456789abcde\r\n0;last\r\n\r\n");
    CHECK(!o.error);
    CHECK(o.chunk_sizes == std::vector<std::uint64_t>{10, 15, 0});
    CHECK(o.chunk_extensions == llmio_test::http::pairs{{"last", ""}});
    CHECK(o.messages.at(0).body == "0123456789" "0123456789abcde");
}

TEST_CASE("a response to HEAD has no body")
{
    const outcome o = parse("HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n"
                            "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n",
                            {}, true);
    CHECK(!o.error);
    REQUIRE(o.messages.size() == 2);
    CHECK(o.messages[0].framing == framing::none);
    CHECK(o.messages[0].complete);
    CHECK(o.messages[1].complete);

    response_parser p;
    p.set_head_request(true);
    std::error_code ec;
    REQUIRE(first_event(p, "HTTP/1.1 200 OK\r\nContent-Length: 7\r\n\r\n", ec) == parse_event::head);
    CHECK(p.content_length() == std::optional<std::uint64_t>(7));   // still reported
    p.reset();   // forgets the HEAD setting too
    REQUIRE(first_event(p, "HTTP/1.1 200 OK\r\nContent-Length: 7\r\n\r\n", ec) == parse_event::head);
    CHECK(p.body_framing() == framing::length);
}

TEST_CASE("many responses on one connection reuse the buffers")
{
    response_parser p;
    std::error_code ec;
    for (int i = 0; i < 3; ++i) {
        std::string_view in = "HTTP/1.1 200 OK\r\nContent-Length: 3\r\nX-N: 1\r\n\r\nabc\r\n";
        std::vector<parse_event> events;
        while (!in.empty()) {
            const auto r = p.put(in, ec);
            REQUIRE(!ec);
            in.remove_prefix(r.consumed);
            if (r.event == parse_event::need_more) {
                break;
            }
            events.push_back(r.event);
            if (r.event == parse_event::message_done) {
                CHECK(p.done());
            }
        }
        // The CRLF after the body is an empty line before the next status line: it starts the
        // next message, so done() is false again.
        CHECK(!p.done());
        CHECK(events == std::vector<parse_event>{parse_event::head, parse_event::body, parse_event::message_done});
    }
}

TEST_CASE("error category")
{
    CHECK(std::string(llmio::http::error_category().name()) == "llmio.http");
    const std::error_code ec = llmio::http::make_error_code(error::bad_header_name);
    CHECK(&ec.category() == &llmio::http::error_category());
    CHECK(!ec.message().empty());
    CHECK(ec == llmio::condition::protocol_error);
    CHECK(ec != llmio::condition::retryable);
    CHECK(std::error_code(error::need_more) != llmio::condition::protocol_error);
    CHECK(std::error_code(error::bad_target) == llmio::condition::invalid_input);
    CHECK(std::error_code(error::data_after_close) == llmio::condition::protocol_error);
    CHECK(std::error_code(error::upgraded) == llmio::condition::protocol_error);
    CHECK(std::error_code(error::body_too_large) == llmio::condition::limit_exceeded);
    CHECK(std::error_code(error::chunk_size_too_long) == llmio::condition::limit_exceeded);
    CHECK(std::error_code(error::too_many_headers) == llmio::condition::limit_exceeded);
    for (int e = 1; e <= static_cast<int>(error::writer_state); ++e) {
        CHECK(llmio::http::error_category().message(e) != "unknown llmio.http error");
    }
}
