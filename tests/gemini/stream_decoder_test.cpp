// The stream rules (gemini::stream_decoder) and the HTTP composition (gemini::http_stream) on
// hand-made streams. The recorded fixtures are in fixtures_test.cpp.
#include <llmio/gemini/http_stream.hpp>
#include <llmio/gemini/stream_decoder.hpp>

#include "support/catch.hpp"
#include "support/conformance.hpp"

#include <string>
#include <vector>

namespace gemini = llmio::gemini;

namespace {

struct run_result {
    std::vector<std::string> texts;
    std::error_code error;
};

run_result decode_body(gemini::stream_decoder& d, const std::string& body)
{
    run_result out;
    std::error_code ec;
    std::size_t used = 0;
    while (!ec) {
        const auto r = d.put(std::string_view(body).substr(used), ec);
        used += r.consumed;
        if (r.what != gemini::stream_decoder::step::chunk) {
            break;
        }
        std::string t;
        d.chunk().for_each_text([&](std::string_view s) { t += s; });
        out.texts.push_back(t);
    }
    while (!ec) {
        const auto r = d.finish(ec);
        if (r.what != gemini::stream_decoder::step::chunk) {
            break;
        }
        std::string t;
        d.chunk().for_each_text([&](std::string_view s) { t += s; });
        out.texts.push_back(t);
    }
    out.error = ec;
    return out;
}

std::string event(const std::string& text, const char* finish = nullptr)
{
    std::string e = R"(data: {"candidates":[{"content":{"parts":[{"text":")" + text + R"("}],"role":"model"})";
    if (finish != nullptr) {
        e += std::string(R"(,"finishReason":")") + finish + "\"";
    }
    return e + "}]}\r\n\r\n";
}

} // namespace

TEST_CASE("a complete stream ends well; the last event may lack its blank line", "[gemini][stream]")
{
    gemini::stream_decoder d;
    const auto r = decode_body(d, event("a") + event("b", "STOP"));
    CHECK_FALSE(r.error);
    CHECK(r.texts == std::vector<std::string>{"a", "b"});
    CHECK(d.last_finish_reason() == gemini::finish_reason::stop);
    CHECK(d.chunks() == 2);

    d.reset();
    std::string unterminated = event("a") + event("b", "STOP");
    unterminated.resize(unterminated.size() - 4);   // no "\r\n\r\n" after the last event
    const auto u = decode_body(d, unterminated);
    CHECK_FALSE(u.error);
    CHECK(u.texts == std::vector<std::string>{"a", "b"});
}

TEST_CASE("an error inside the stream ends it after the chunks before it", "[gemini][stream]")
{
    gemini::stream_decoder d;
    const auto r = decode_body(
        d, event("partial") + "data: {\"error\":{\"code\":503,\"message\":\"overloaded\",\"status\":\"UNAVAILABLE\"}}\r\n\r\n" +
               event("never"));
    CHECK(r.error == gemini::error::unavailable);
    CHECK(r.texts == std::vector<std::string>{"partial"});
    CHECK(d.api().message == "overloaded");
    // Errors are sticky until reset().
    std::error_code again;
    (void)d.put(event("x"), again);
    CHECK(again == gemini::error::unavailable);
    d.reset();
    CHECK_FALSE(decode_body(d, event("ok", "STOP")).error);
}

TEST_CASE("raw error objects between events are gathered and classified", "[gemini][stream]")
{
    const std::string raw = "{\n  \"error\": {\n    \"code\": 429,\n    \"message\": \"a } in a \\\"string\\\" {\",\n"
                            "    \"status\": \"RESOURCE_EXHAUSTED\",\n    \"details\": [{\"retryDelay\": \"2s\"}]\n  }\n}\n";
    gemini::stream_decoder d;
    const auto r = decode_body(d, event("one") + raw);
    CHECK(r.error == gemini::error::resource_exhausted);
    CHECK(r.texts == std::vector<std::string>{"one"});
    REQUIRE(d.api().retry_delay.has_value());
    CHECK(*d.api().retry_delay == std::chrono::seconds(2));
    CHECK(d.api().message == "a } in a \"string\" {");

    // Cut off before the object closes: malformed, not silently ignored.
    d.reset();
    CHECK(decode_body(d, event("one") + raw.substr(0, 30)).error == gemini::error::malformed_response);

    // Stray lines that are not fields and do not start an object are ignored (WHATWG).
    d.reset();
    const auto stray = decode_body(d, "justsometext\r\nfoo:bar\r\n" + event("x", "STOP"));
    CHECK_FALSE(stray.error);
    CHECK(stray.texts == std::vector<std::string>{"x"});
}

TEST_CASE("a raw error object larger than its limit is refused", "[gemini][stream]")
{
    gemini::stream_decoder d(gemini::stream_options{.max_raw_error = 64});
    const std::string big = "{\n\"error\": {\"message\": \"" + std::string(100, 'x') + "\"}}\n";
    CHECK(decode_body(d, big).error == gemini::error::malformed_response);
}

TEST_CASE("the stream outcome follows its content", "[gemini][stream]")
{
    gemini::stream_decoder d;
    CHECK(decode_body(d, event("a")).error == gemini::error::truncated_stream);
    d.reset();
    CHECK(decode_body(d, "").error == gemini::error::truncated_stream);
    d.reset();
    CHECK(decode_body(d, event("a", "SAFETY")).error == gemini::error::finish_safety);
    d.reset();
    CHECK(decode_body(d, event("a", "MAX_TOKENS")).error == std::error_code());
    d.reset();
    CHECK(decode_body(d, event("a", "MALFORMED_FUNCTION_CALL")).error == gemini::error::finish_abnormal);
    d.reset();
    const auto blocked = decode_body(d, "data: {\"promptFeedback\":{\"blockReason\":\"OTHER\"}}\n\n");
    CHECK(blocked.error == gemini::error::prompt_blocked);
    d.reset();
    CHECK(decode_body(d, "data: {\"candidates\": [\n\n").error == gemini::error::malformed_response);
    d.reset();
    const auto usage = decode_body(d, "data: {\"usageMetadata\":{\"totalTokenCount\":3}}\n\n" +
                                          event("a", "STOP") +
                                          "data: {\"usageMetadata\":{\"totalTokenCount\":9}}\n\n");
    CHECK_FALSE(usage.error);
    REQUIRE(d.usage().has_value());
    CHECK(d.usage()->total == 9);   // the last running total, not a sum
}

TEST_CASE("http_stream: head, chunks, and the next response on the same connection", "[gemini][stream]")
{
    const std::string body = event("Hello") + event(" world", "STOP");
    const std::string one = "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nContent-Length: " +
                            std::to_string(body.size()) + "\r\n\r\n" + body;
    const std::string wire = one + one;
    gemini::http_stream s;
    std::string_view input = wire;
    std::vector<std::string> steps;
    std::error_code ec;
    int responses = 0;
    // As a transport does: put until need_more, and only then wait for more bytes.
    while (!ec) {
        const auto r = s.put(input, ec);
        input.remove_prefix(r.consumed);
        if (r.what == gemini::http_stream::step::need_more && input.empty()) {
            break;
        }
        switch (r.what) {
        case gemini::http_stream::step::head: steps.push_back("head " + std::to_string(s.status())); break;
        case gemini::http_stream::step::chunk: {
            std::string t;
            s.chunk().for_each_text([&](std::string_view x) { t += x; });
            steps.push_back(t);
            break;
        }
        case gemini::http_stream::step::done:
            steps.push_back("done");
            ++responses;
            CHECK(s.http().keep_alive());
            s.next_response();
            break;
        case gemini::http_stream::step::need_more: break;
        }
    }
    CHECK_FALSE(ec);
    CHECK(responses == 2);
    const std::vector<std::string> expected{"head 200", "Hello", " world", "done"};
    REQUIRE(steps.size() == 8);
    CHECK(std::vector<std::string>(steps.begin(), steps.begin() + 4) == expected);
    CHECK(std::vector<std::string>(steps.begin() + 4, steps.end()) == expected);
}

TEST_CASE("http_stream: a body delimited by the close ends at put_eof", "[gemini][stream]")
{
    const std::string wire = "HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n" + event("x", "STOP");
    gemini::http_stream s;
    std::error_code ec;
    std::string_view input = wire;
    int chunks = 0;
    while (!input.empty() && !ec) {
        const auto r = s.put(input, ec);
        input.remove_prefix(r.consumed);
        chunks += r.what == gemini::http_stream::step::chunk;
        if (r.what == gemini::http_stream::step::need_more) {
            break;
        }
    }
    REQUIRE_FALSE(ec);
    const auto r = s.put_eof(ec);
    CHECK_FALSE(ec);
    CHECK(r.what == gemini::http_stream::step::done);
    CHECK(chunks == 1);

    gemini::http_stream closed_early;
    CHECK(closed_early.put_eof(ec).what == gemini::http_stream::step::need_more);
    CHECK(ec == llmio::condition::truncated);
}
