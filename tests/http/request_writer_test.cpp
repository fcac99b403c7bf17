// llmio::http::request_writer: exact bytes, refusal of request splitting, framing, sticky
// errors, buffer reuse.
#include "support/catch.hpp"

#include <llmio/http/request_writer.hpp>
#include <llmio/http/response_parser.hpp>

#include <string>
#include <string_view>

namespace {

using llmio::http::error;
using llmio::http::request_writer;

} // namespace

TEST_CASE("GET: request line, fields, no Content-Length")
{
    std::string out = "left over";
    request_writer w(out);
    CHECK(out.empty());
    w.start("GET", "/v1beta/models?pageSize=5").header("Host", "example.com").header("Accept", "*/*");
    CHECK(!w.finish(""));
    CHECK(!w.error());
    CHECK(out == "GET /v1beta/models?pageSize=5 HTTP/1.1\r\nHost: example.com\r\nAccept: */*\r\n\r\n");
}

TEST_CASE("POST with a body")
{
    std::string out;
    request_writer w(out);
    w.start("POST", "/v1/chat/completions").header("Host", "api.example").header("Content-Type", "application/json");
    CHECK(!w.finish(R"({"a":1})"));
    CHECK(out == "POST /v1/chat/completions HTTP/1.1\r\nHost: api.example\r\nContent-Type: application/json\r\n"
                 "Content-Length: 7\r\n\r\n{\"a\":1}");
}

TEST_CASE("Content-Length for an empty body only where the method defines content")
{
    for (const std::string_view method : {"POST", "PUT", "PATCH"}) {
        std::string out;
        request_writer w(out);
        w.start(method, "/x");
        CHECK(!w.finish(""));
        CHECK(out == std::string(method) + " /x HTTP/1.1\r\nContent-Length: 0\r\n\r\n");
    }
    for (const std::string_view method : {"GET", "DELETE", "post"}) {
        std::string out;
        request_writer w(out);
        w.start(method, "/x");
        CHECK(!w.finish(""));
        CHECK(out == std::string(method) + " /x HTTP/1.1\r\n\r\n");
    }
    std::string out;
    request_writer w(out);
    w.start("DELETE", "/x");
    CHECK(!w.finish("gone"));
    CHECK(out == "DELETE /x HTTP/1.1\r\nContent-Length: 4\r\n\r\ngone");
}

TEST_CASE("finish_for_body frames a body the caller sends itself")
{
    std::string out;
    request_writer w(out);
    w.start("POST", "/upload").header("Host", "h");
    CHECK(!w.finish_for_body(123456789012ULL));
    CHECK(out == "POST /upload HTTP/1.1\r\nHost: h\r\nContent-Length: 123456789012\r\n\r\n");

    request_writer get(out);
    get.start("GET", "/");
    CHECK(!get.finish_for_body(0));
    CHECK(out == "GET / HTTP/1.1\r\n\r\n");
}

TEST_CASE("the written request parses back")
{
    std::string out;
    request_writer w(out);
    w.start("POST", "/p").header("Host", "h").header("X-Empty", "");
    REQUIRE(!w.finish("body"));
    // The head of a request has the same field syntax as a response's: reuse the parser on
    // a response made of our fields to check them.
    const std::string as_response = "HTTP/1.1 200 OK\r\n" + out.substr(out.find("\r\n") + 2);
    llmio::http::response_parser p;
    std::error_code ec;
    auto r = p.put(as_response, ec);
    REQUIRE(!ec);
    REQUIRE(r.event == llmio::http::parse_event::head);
    CHECK(p.header("host") == "h");
    CHECK(p.header("x-empty").empty());
    CHECK(p.content_length() == std::optional<std::uint64_t>(4));
    r = p.put(std::string_view(as_response).substr(r.consumed), ec);
    CHECK(p.body() == "body");
}

TEST_CASE("request splitting is refused: CR, LF, NUL and friends")
{
    const auto bad_start = [](std::string_view method, std::string_view target) {
        std::string out;
        request_writer w(out);
        w.start(method, target);
        const std::error_code ec = w.finish("");
        CHECK(out.empty());   // nothing half-written can be sent by mistake
        return ec;
    };
    CHECK(bad_start("GET", "/a\r\nX-Injected: 1") == error::bad_target);
    CHECK(bad_start("GET", "/a\nb") == error::bad_target);
    CHECK(bad_start("GET", std::string_view("/a\0b", 4)) == error::bad_target);
    CHECK(bad_start("GET", "/a b") == error::bad_target);
    CHECK(bad_start("GET", "/a\tb") == error::bad_target);
    CHECK(bad_start("GET", "/\xc3\xa9") == error::bad_target);
    CHECK(bad_start("GET", "") == error::bad_target);
    CHECK(bad_start("GE T", "/") == error::bad_method);
    CHECK(bad_start("GET\r\n", "/") == error::bad_method);
    CHECK(bad_start("", "/") == error::bad_method);
    CHECK(bad_start(std::string_view("G\0T", 3), "/") == error::bad_method);

    const auto bad_header = [](std::string_view name, std::string_view value) {
        std::string out;
        request_writer w(out);
        w.start("GET", "/").header(name, value);
        const std::error_code ec = w.finish("");
        CHECK(out.empty());
        return ec;
    };
    CHECK(bad_header("X-A\r\nX-B", "v") == error::bad_field_name);
    CHECK(bad_header("X-A:", "v") == error::bad_field_name);
    CHECK(bad_header("X A", "v") == error::bad_field_name);
    CHECK(bad_header("", "v") == error::bad_field_name);
    CHECK(bad_header(std::string_view("X\0", 2), "v") == error::bad_field_name);
    CHECK(bad_header("X-A", "v\r\nX-Injected: 1") == error::bad_field_value);
    CHECK(bad_header("X-A", "v\nw") == error::bad_field_value);
    CHECK(bad_header("X-A", "v\rw") == error::bad_field_value);
    CHECK(bad_header("X-A", std::string_view("v\0w", 3)) == error::bad_field_value);
    CHECK(bad_header("X-A", "v\x7f") == error::bad_field_value);
    CHECK(std::error_code(error::bad_field_value) == llmio::condition::invalid_input);

    std::string out;
    request_writer w(out);
    w.start("GET", "/").header("X-Tab", "a\tb").header("X-Utf8", "\xc3\xa9");
    CHECK(!w.finish(""));
}

TEST_CASE("Content-Length and Transfer-Encoding belong to the writer")
{
    for (const std::string_view name : {"Content-Length", "content-length", "Transfer-Encoding", "TRANSFER-ENCODING"}) {
        std::string out;
        request_writer w(out);
        w.start("POST", "/").header(name, "5");
        CHECK(w.finish("hello") == error::framing_field);
        CHECK(out.empty());
    }
}

TEST_CASE("the first error sticks; calls out of order are errors")
{
    std::string out;
    request_writer w(out);
    w.start("GET", "/a b").header("Host", "h");
    CHECK(w.error() == error::bad_target);
    w.start("GET", "/").header("X", "y");   // no-ops now
    CHECK(w.error() == error::bad_target);
    CHECK(w.finish("") == error::bad_target);
    CHECK(w.finish_for_body(3) == error::bad_target);
    CHECK(out.empty());

    std::string a;
    request_writer early(a);
    early.header("Host", "h");
    CHECK(early.error() == error::writer_state);

    std::string b;
    request_writer twice(b);
    twice.start("GET", "/").start("GET", "/");
    CHECK(twice.error() == error::writer_state);

    std::string c;
    request_writer after(c);
    after.start("GET", "/");
    CHECK(!after.finish(""));
    after.header("X", "y");
    CHECK(after.error() == error::writer_state);
    CHECK(c.empty());

    std::string d;
    request_writer unstarted(d);
    CHECK(unstarted.finish("") == error::writer_state);
    CHECK(!request_writer(d).error());
    CHECK(request_writer(d).error() == std::error_code{});
}

TEST_CASE("a reused buffer keeps its capacity: no reallocation for a request of the same size")
{
    std::string out;
    const auto write = [&out] {
        request_writer w(out);
        w.start("POST", "/v1beta/models/gemini-2.0-flash:streamGenerateContent?alt=sse")
            .header("Host", "generativelanguage.googleapis.com")
            .header("Content-Type", "application/json");
        REQUIRE(!w.finish(R"({"contents":[{"parts":[{"text":"hello"}]}]})"));
    };
    write();
    const std::string first = out;
    const std::size_t capacity = out.capacity();
    const char* data = out.data();
    write();
    CHECK(out == first);
    CHECK(out.capacity() == capacity);
    CHECK(out.data() == data);
}
