// llmio::testing::mock_server: the endpoints, keep-alive, pacing, the key check and the request
// reader, over loopback, decoded by llmio's own parsers.
#include "mock_client.hpp"

#include <simdjson.h>

using namespace mock_test;

namespace {

mock_options stream_options()
{
    mock_options o;
    o.api_key = std::string(test_key);
    o.events = 4;
    o.words_per_event = 3;
    return o;
}

constexpr std::string_view chat_target = "/v1beta/openai/chat/completions";
constexpr std::string_view chat_stream_body =
    R"({"model":"gemini-2.0-flash","messages":[{"role":"user","content":"Hi"}],"stream":true})";

// A chat/completions POST with the key as a bearer token (`with_key` false: no key at all).
std::string chat_request(std::string_view body, bool with_key = true)
{
    const std::string bearer = with_key ? "Authorization: Bearer " + std::string(test_key) + "\r\n" : "";
    return request("POST", chat_target, body, bearer, {});
}

} // namespace

TEST_CASE("a stream decodes with the configured events, text, STOP and usage", "[testing][mock]")
{
    asio::io_context io;
    const mock_options o = stream_options();
    mock_server server(io.get_executor(), o);
    const auto at = server.start();
    CHECK(at.address().is_loopback());
    CHECK(at.port() != 0);
    stream_result r;
    run(io, server, [&]() -> asio::awaitable<void> {
        auto s = co_await connect(at);
        gemini::http_stream hs;
        std::string carry;
        r = co_await stream_exchange(s, stream_request(), hs, carry);
    });
    CHECK_FALSE(r.ec);
    CHECK(r.status == 200);
    CHECK(r.content_type == "text/event-stream");
    CHECK(r.done);
    CHECK(r.keep_alive);
    REQUIRE(r.texts.size() == 4);
    CHECK(r.text == mock_server::expected_text(prompt_body, o));
    CHECK(r.texts[1].front() == ' ');   // pieces concatenate into the text
    CHECK(r.finish == "STOP");
    REQUIRE(r.usage.has_value());
    CHECK(r.usage->prompt == static_cast<std::int64_t>(prompt_body.size() / 4));
    CHECK(r.usage->candidates == 12);
    CHECK(r.usage->total == r.usage->prompt + 12);
    CHECK(server.counters().endpoint(llmio::testing::mock_endpoint::stream_generate_content) == 1);
}

TEST_CASE("the stream is chunked SSE framed with CRLF CRLF, one event per line of JSON", "[testing][mock]")
{
    asio::io_context io;
    const mock_options o = stream_options();
    mock_server server(io.get_executor(), o);
    const auto at = server.start();
    unary_result r;
    run(io, server, [&]() -> asio::awaitable<void> {
        auto s = co_await connect(at);
        http::response_parser p;
        std::string carry;
        r = co_await unary_exchange(s, stream_request(), p, carry);
    });
    REQUIRE(r.done);
    CHECK(r.chunked);
    const std::vector<std::string> events = sse_events(r.body, "\r\n\r\n");
    REQUIRE(events.size() == 4);
    simdjson::dom::parser parser;
    for (std::size_t i = 0; i < events.size(); ++i) {
        REQUIRE(events[i].substr(0, 6) == "data: ");
        CHECK(events[i].find('\n') == std::string::npos);
        simdjson::dom::element doc;
        REQUIRE(parser.parse(events[i].substr(6)).get(doc) == simdjson::SUCCESS);
        std::string_view model;
        CHECK(doc["modelVersion"].get(model) == simdjson::SUCCESS);
        CHECK(model == "gemini-2.0-flash");
        std::string_view id;
        CHECK(doc["responseId"].get(id) == simdjson::SUCCESS);
        CHECK_FALSE(id.empty());
        const bool has_finish = doc.at_pointer("/candidates/0/finishReason").error() == simdjson::SUCCESS;
        CHECK(has_finish == (i + 1 == events.size()));
    }
}

TEST_CASE("events before the last are the writer's own bytes, request after request", "[testing][mock]")
{
    asio::io_context io;
    mock_options o = stream_options();
    o.events = 5;
    mock_server server(io.get_executor(), o);
    const auto at = server.start();
    std::vector<unary_result> rs;
    run(io, server, [&]() -> asio::awaitable<void> {
        auto s = co_await connect(at);
        http::response_parser p;
        std::string carry;
        // On one connection, so a template from one request could leak into the next: the
        // response ids, the prompts and the endpoints differ between them.
        rs.push_back(co_await unary_exchange(s, stream_request(), p, carry));
        rs.push_back(co_await unary_exchange(s, chat_request(chat_stream_body), p, carry));
        rs.push_back(co_await unary_exchange(s, request("POST", stream_target, R"({"contents":[{"parts":[{"text":"A longer prompt, so that promptTokenCount differs"}]}]})"), p, carry));
    });
    REQUIRE(rs.size() == 3);
    for (const unary_result& r : rs) {
        REQUIRE(r.done);
        CHECK(r.status == 200);
    }
    CHECK(check_events_before_last(rs[0].body, false) == 4);
    CHECK(check_events_before_last(rs[1].body, true) == 4);
    CHECK(check_events_before_last(rs[2].body, false) == 4);
    CHECK(rs[0].body != rs[2].body);
}

TEST_CASE("keep-alive: several requests and endpoints on one connection, pipelined too", "[testing][mock]")
{
    asio::io_context io;
    const mock_options o = stream_options();
    mock_server server(io.get_executor(), o);
    const auto at = server.start();
    std::vector<stream_result> streams;
    std::vector<unary_result> unaries;
    run(io, server, [&]() -> asio::awaitable<void> {
        auto s = co_await connect(at);
        gemini::http_stream hs;
        http::response_parser p;
        std::string carry;
        streams.push_back(co_await stream_exchange(s, stream_request(), hs, carry));
        unaries.push_back(co_await unary_exchange(
            s, request("POST", "/v1beta/models/gemini-2.0-flash:countTokens", prompt_body), p, carry));
        streams.push_back(co_await stream_exchange(s, stream_request(), hs, carry));
        // Two requests in one write: answered in order.
        const std::string two = request("GET", "/v1beta/models/gemini-2.5-flash") + request("GET", "/v1beta/models");
        unaries.push_back(co_await unary_exchange(s, two, p, carry));
        unaries.push_back(co_await unary_exchange(s, {}, p, carry));
    });
    REQUIRE(streams.size() == 2);
    for (const stream_result& r : streams) {
        CHECK(r.done);
        CHECK(r.keep_alive);
        CHECK(r.text == mock_server::expected_text(prompt_body, o));
    }
    REQUIRE(unaries.size() == 3);
    for (const unary_result& r : unaries) {
        CHECK(r.status == 200);
        CHECK(r.keep_alive);
    }
    CHECK(unaries[0].body == R"({"totalTokens":)" + std::to_string(prompt_body.size() / 4) + "}");
    CHECK(unaries[1].body.find(R"("name":"models/gemini-2.5-flash")") != std::string::npos);
    CHECK(unaries[2].body.find(R"("models":[)") != std::string::npos);
    CHECK(server.counters().connections == 1);
    CHECK(server.counters().requests == 5);
}

TEST_CASE("pacing: the first event waits ttft and the next ones itl", "[testing][mock]")
{
    asio::io_context io;
    mock_options o = stream_options();
    o.ttft = 30ms;
    o.itl = 10ms;
    o.events = 3;
    mock_server server(io.get_executor(), o);
    const auto at = server.start();
    stream_result r;
    run(io, server, [&]() -> asio::awaitable<void> {
        auto s = co_await connect(at);
        gemini::http_stream hs;
        std::string carry;
        r = co_await stream_exchange(s, stream_request(), hs, carry);
    });
    REQUIRE(r.done);
    CHECK(r.texts.size() == 3);
    CHECK(r.first_chunk_after >= 30ms);
    CHECK(r.elapsed >= 30ms + 2 * 10ms);
}

TEST_CASE("generateContent answers the same text as one JSON document", "[testing][mock]")
{
    asio::io_context io;
    const mock_options o = stream_options();
    mock_server server(io.get_executor(), o);
    const auto at = server.start();
    unary_result r;
    run(io, server, [&]() -> asio::awaitable<void> {
        auto s = co_await connect(at);
        http::response_parser p;
        std::string carry;
        r = co_await unary_exchange(s, request("POST", "/v1beta/models/gemini-2.5-flash:generateContent", prompt_body),
                                    p, carry);
    });
    REQUIRE(r.done);
    CHECK(r.status == 200);
    CHECK(r.content_type == "application/json; charset=UTF-8");
    simdjson::dom::parser parser;
    simdjson::dom::element doc;
    REQUIRE(parser.parse(r.body).get(doc) == simdjson::SUCCESS);
    std::string_view text;
    REQUIRE(doc.at_pointer("/candidates/0/content/parts/0/text").get(text) == simdjson::SUCCESS);
    CHECK(text == mock_server::expected_text(prompt_body, o));
    std::string_view finish;
    CHECK(doc.at_pointer("/candidates/0/finishReason").get(finish) == simdjson::SUCCESS);
    CHECK(finish == "STOP");
    std::int64_t candidates = 0;
    CHECK(doc.at_pointer("/usageMetadata/candidatesTokenCount").get(candidates) == simdjson::SUCCESS);
    CHECK(candidates == 12);
}

TEST_CASE("embedContent and batchEmbedContents: deterministic values of the asked dimension", "[testing][mock]")
{
    asio::io_context io;
    mock_server server(io.get_executor(), stream_options());
    const auto at = server.start();
    const std::string a = R"({"content":{"parts":[{"text":"alpha"}]}})";
    const std::string b = R"({"content":{"parts":[{"text":"beta"}]},"outputDimensionality":16})";
    const std::string batch = R"({"requests":[{"model":"models/text-embedding-004","content":{"parts":[{"text":"alpha"}]}},)"
                              R"({"model":"models/text-embedding-004","content":{"parts":[{"text":"beta"}]}}]})";
    std::vector<unary_result> rs;
    run(io, server, [&]() -> asio::awaitable<void> {
        auto s = co_await connect(at);
        http::response_parser p;
        std::string carry;
        const std::string embed = "/v1beta/models/text-embedding-004:embedContent";
        rs.push_back(co_await unary_exchange(s, request("POST", embed, a), p, carry));
        rs.push_back(co_await unary_exchange(s, request("POST", embed, a), p, carry));
        rs.push_back(co_await unary_exchange(s, request("POST", embed, b), p, carry));
        rs.push_back(co_await unary_exchange(
            s, request("POST", "/v1beta/models/text-embedding-004:batchEmbedContents", batch), p, carry));
        rs.push_back(co_await unary_exchange(s, request("POST", embed, R"({"content":"x"})"), p, carry));
    });
    REQUIRE(rs.size() == 5);
    simdjson::dom::parser parser;
    simdjson::dom::element doc;
    REQUIRE(parser.parse(rs[0].body).get(doc) == simdjson::SUCCESS);
    simdjson::dom::array values;
    REQUIRE(doc.at_pointer("/embedding/values").get(values) == simdjson::SUCCESS);
    CHECK(values.size() == 768);
    for (simdjson::dom::element v : values) {
        double d = 2;
        REQUIRE(v.get(d) == simdjson::SUCCESS);
        CHECK((d >= -1.0 && d <= 1.0));
    }
    CHECK(rs[0].body == rs[1].body);   // the same content, the same vector
    REQUIRE(parser.parse(rs[2].body).get(doc) == simdjson::SUCCESS);
    REQUIRE(doc.at_pointer("/embedding/values").get(values) == simdjson::SUCCESS);
    CHECK(values.size() == 16);
    REQUIRE(parser.parse(rs[3].body).get(doc) == simdjson::SUCCESS);
    simdjson::dom::array embeddings;
    REQUIRE(doc["embeddings"].get(embeddings) == simdjson::SUCCESS);
    CHECK(embeddings.size() == 2);
    // The batch's first entry embeds "alpha" as embedContent did.
    simdjson::dom::array batch_values;
    REQUIRE(embeddings.at(0)["values"].get(batch_values) == simdjson::SUCCESS);
    std::vector<double> from_batch;
    for (simdjson::dom::element v : batch_values) {
        from_batch.push_back(v.get_double().value_unsafe());
    }
    simdjson::dom::parser single_parser;
    REQUIRE(single_parser.parse(rs[0].body).get(doc) == simdjson::SUCCESS);
    REQUIRE(doc.at_pointer("/embedding/values").get(values) == simdjson::SUCCESS);
    std::vector<double> from_single;
    for (simdjson::dom::element v : values) {
        from_single.push_back(v.get_double().value_unsafe());
    }
    CHECK(from_batch == from_single);
    CHECK(rs[4].status == 400);
}

TEST_CASE("models: list with paging, get, unknown model", "[testing][mock]")
{
    asio::io_context io;
    const mock_options o = stream_options();
    mock_server server(io.get_executor(), o);
    const auto at = server.start();
    std::vector<unary_result> rs;
    stream_result unknown;
    run(io, server, [&]() -> asio::awaitable<void> {
        auto s = co_await connect(at);
        http::response_parser p;
        gemini::http_stream hs;
        std::string carry;
        rs.push_back(co_await unary_exchange(s, request("GET", "/v1beta/models"), p, carry));
        rs.push_back(co_await unary_exchange(s, request("GET", "/v1beta/models?pageSize=2&pageToken=2"), p, carry));
        rs.push_back(co_await unary_exchange(s, request("GET", "/v1beta/models/gemini-9-ultra"), p, carry));
        unknown = co_await stream_exchange(
            s, request("POST", "/v1beta/models/gemini-9-ultra:streamGenerateContent?alt=sse", prompt_body), hs, carry);
    });
    REQUIRE(rs.size() == 3);
    simdjson::dom::parser parser;
    simdjson::dom::element doc;
    REQUIRE(parser.parse(rs[0].body).get(doc) == simdjson::SUCCESS);
    simdjson::dom::array models;
    REQUIRE(doc["models"].get(models) == simdjson::SUCCESS);
    CHECK(models.size() == o.known_models.size());
    std::string_view name;
    CHECK(models.at(0)["name"].get(name) == simdjson::SUCCESS);
    CHECK(name == "models/" + o.known_models[0]);
    CHECK(doc["nextPageToken"].error() == simdjson::NO_SUCH_FIELD);
    REQUIRE(parser.parse(rs[1].body).get(doc) == simdjson::SUCCESS);
    REQUIRE(doc["models"].get(models) == simdjson::SUCCESS);
    CHECK(models.size() == 2);
    CHECK(models.at(0)["name"].get(name) == simdjson::SUCCESS);
    CHECK(name == "models/" + o.known_models[2]);
    std::string_view token;
    CHECK(doc["nextPageToken"].get(token) == simdjson::SUCCESS);
    CHECK(token == "4");
    CHECK(rs[2].status == 404);
    CHECK(unknown.status == 404);
    CHECK(unknown.ec == gemini::error::not_found);
    CHECK(unknown.api_message.find("models/gemini-9-ultra is not found") != std::string::npos);
}

TEST_CASE("the API key: missing or wrong is 400 API_KEY_INVALID; unknown paths are 404", "[testing][mock]")
{
    asio::io_context io;
    mock_server server(io.get_executor(), stream_options());
    const auto at = server.start();
    stream_result missing;
    stream_result wrong;
    stream_result query_key;
    unary_result page;
    run(io, server, [&]() -> asio::awaitable<void> {
        auto s = co_await connect(at);
        gemini::http_stream hs;
        http::response_parser p;
        std::string carry;
        missing = co_await stream_exchange(s, stream_request({}, {}), hs, carry);
        wrong = co_await stream_exchange(s, stream_request({}, "AIzaWrong"), hs, carry);
        query_key = co_await stream_exchange(
            s, request("POST", std::string(stream_target) + "&key=" + std::string(test_key), prompt_body, {}, {}), hs,
            carry);
        page = co_await unary_exchange(s, request("GET", "/v1beta/nothing/here"), p, carry);
    });
    for (const stream_result* r : {&missing, &wrong}) {
        CHECK(r->status == 400);
        CHECK(r->ec == gemini::error::api_key_invalid);
        CHECK(r->api_reason == "API_KEY_INVALID");
        CHECK(r->api_status == "INVALID_ARGUMENT");
        CHECK(r->api_message == "API key not valid. Please pass a valid API key.");
    }
    CHECK(query_key.done);
    CHECK(page.status == 404);
    CHECK(page.content_type == "text/html; charset=UTF-8");
    CHECK(server.counters().auth_failures == 2);
    CHECK(server.counters().endpoint(llmio::testing::mock_endpoint::unknown) == 1);
}

TEST_CASE("OpenAI-compatible chat/completions: SSE chunks then [DONE], and the unary form", "[testing][mock]")
{
    asio::io_context io;
    const mock_options o = stream_options();
    mock_server server(io.get_executor(), o);
    const auto at = server.start();
    const std::string_view body = chat_stream_body;
    const std::string unary_body = R"({"model":"gemini-2.0-flash","messages":[{"role":"user","content":"Hi"}]})";
    std::vector<unary_result> rs;
    run(io, server, [&]() -> asio::awaitable<void> {
        auto s = co_await connect(at);
        http::response_parser p;
        std::string carry;
        rs.push_back(co_await unary_exchange(s, chat_request(body), p, carry));
        rs.push_back(co_await unary_exchange(s, chat_request(unary_body), p, carry));
        rs.push_back(co_await unary_exchange(s, chat_request(body, false), p, carry));
    });
    REQUIRE(rs.size() == 3);
    CHECK(rs[0].status == 200);
    CHECK(rs[0].content_type == "text/event-stream");
    const std::vector<std::string> events = sse_events(rs[0].body, "\n\n");
    REQUIRE(events.size() == o.events + 1);
    CHECK(events.back() == "data: [DONE]");
    simdjson::dom::parser parser;
    std::string text;
    for (std::size_t i = 0; i + 1 < events.size(); ++i) {
        simdjson::dom::element doc;
        REQUIRE(parser.parse(events[i].substr(6)).get(doc) == simdjson::SUCCESS);
        std::string_view piece;
        REQUIRE(doc.at_pointer("/choices/0/delta/content").get(piece) == simdjson::SUCCESS);
        text += piece;
        std::string_view object;
        CHECK(doc["object"].get(object) == simdjson::SUCCESS);
        CHECK(object == "chat.completion.chunk");
    }
    CHECK(text == mock_server::expected_text(body, o));
    simdjson::dom::element doc;
    REQUIRE(parser.parse(rs[1].body).get(doc) == simdjson::SUCCESS);
    std::string_view content;
    REQUIRE(doc.at_pointer("/choices/0/message/content").get(content) == simdjson::SUCCESS);
    CHECK(content == mock_server::expected_text(unary_body, o));
    CHECK(rs[2].status == 400);   // no key
}

TEST_CASE("streamGenerateContent without alt=sse streams a JSON array", "[testing][mock]")
{
    asio::io_context io;
    const mock_options o = stream_options();
    mock_server server(io.get_executor(), o);
    const auto at = server.start();
    unary_result r;
    run(io, server, [&]() -> asio::awaitable<void> {
        auto s = co_await connect(at);
        http::response_parser p;
        std::string carry;
        r = co_await unary_exchange(
            s, request("POST", "/v1beta/models/gemini-2.0-flash:streamGenerateContent", prompt_body), p, carry);
    });
    REQUIRE(r.done);
    simdjson::dom::parser parser;
    simdjson::dom::array chunks;
    REQUIRE(parser.parse(r.body).get(chunks) == simdjson::SUCCESS);
    CHECK(chunks.size() == o.events);
}

TEST_CASE("the request reader: bad input is answered 4xx and the connection closed", "[testing][mock]")
{
    struct bad_case {
        std::string wire;
        int status;
    };
    const std::vector<bad_case> cases{
        {"GET /v1beta/models HTTP/1.1\nHost: x\n\n", 400},                       // bare LF
        {"GET /v1beta/models HTTP/1.1\r\n\r\n", 400},                            // no Host
        {"GET /v1beta/models HTTP/1.1\r\nHost: x\r\n Folded: y\r\n\r\n", 400},   // obs-fold
        {"GET /v1beta/models HTTP/1.1\r\nHost : x\r\n\r\n", 400},                // space before ':'
        {"GET /v1beta/models HTTP/2.0\r\nHost: x\r\n\r\n", 505},
        {"POST /v1beta/models HTTP/1.1\r\nHost: x\r\nContent-Length: 1, 1\r\n\r\nx", 400},
        {"POST /v1beta/models HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 501},
        {"GET /v1beta/models HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(70 * 1024, 'a') + "\r\n\r\n", 431},
        {"POST /x HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999999\r\n\r\n", 413},
    };
    for (const bad_case& c : cases) {
        CAPTURE(c.wire.substr(0, 60));
        asio::io_context io;
        mock_server server(io.get_executor(), stream_options());
        const auto at = server.start();
        unary_result r;
        bool closed = false;
        run(io, server, [&]() -> asio::awaitable<void> {
            auto s = co_await connect(at);
            http::response_parser p;
            std::string carry;
            r = co_await unary_exchange(s, c.wire, p, carry);
            closed = co_await closed_by_peer(s);
        });
        CHECK(r.status == c.status);
        CHECK_FALSE(r.keep_alive);
        CHECK(closed);
        CHECK(server.counters().bad_requests == 1);
    }
}

TEST_CASE("Expect: 100-continue gets its interim response before the body is sent", "[testing][mock]")
{
    asio::io_context io;
    mock_server server(io.get_executor(), stream_options());
    const auto at = server.start();
    std::string interim;
    unary_result r;
    run(io, server, [&]() -> asio::awaitable<void> {
        auto s = co_await connect(at);
        std::string head = request("POST", "/v1beta/models/gemini-2.0-flash:countTokens", prompt_body,
                                   "Expect: 100-continue\r\n");
        head.resize(head.size() - prompt_body.size());
        co_await asio::async_write(s, asio::buffer(head), asio::use_awaitable);
        constexpr std::string_view expected = "HTTP/1.1 100 Continue\r\n\r\n";
        interim.resize(expected.size());
        co_await asio::async_read(s, asio::buffer(interim), asio::use_awaitable);
        http::response_parser p;
        std::string carry;
        r = co_await unary_exchange(s, std::string(prompt_body), p, carry);
    });
    CHECK(interim == "HTTP/1.1 100 Continue\r\n\r\n");
    CHECK(r.status == 200);
    CHECK(r.body.find("totalTokens") != std::string::npos);
}

TEST_CASE("stop() ends paced responses at once and a destroyed server leaves nothing dangling", "[testing][mock]")
{
    asio::io_context io;
    mock_options o = stream_options();
    o.ttft = 1h;   // would never answer on its own
    auto server = std::make_unique<mock_server>(io.get_executor(), o);
    const auto at = server->start();
    stream_result r;
    bool ran = false;
    asio::co_spawn(io, [&]() -> asio::awaitable<void> {
        auto s = co_await connect(at);
        gemini::http_stream hs;
        std::string carry;
        r = co_await stream_exchange(s, stream_request(), hs, carry);
        ran = true;
    }, asio::detached);
    asio::steady_timer t(io, 50ms);
    t.async_wait([&](std::error_code) { server.reset(); });   // the destructor stops it
    io.run_for(20s);
    CHECK(ran);
    CHECK(r.closed);
    CHECK(r.texts.empty());
    CHECK(r.ec == llmio::condition::truncated);
}

TEST_CASE("head_before_ttft: the head comes at once, the first event after ttft", "[testing][mock]")
{
    asio::io_context io;
    mock_options o = stream_options();
    o.head_before_ttft = true;
    o.ttft = 1h;   // the events never come in this test: only the head can arrive
    mock_server server(io.get_executor(), o);
    const auto at = server.start();
    int status = 0;
    run(io, server, [&]() -> asio::awaitable<void> {
        auto s = co_await connect(at);
        const std::string req = stream_request();
        co_await asio::async_write(s, asio::buffer(req), asio::use_awaitable);
        gemini::http_stream hs;
        std::string buf;
        std::array<char, 4096> tmp;
        while (status == 0) {
            const std::size_t n = co_await s.async_read_some(asio::buffer(tmp), asio::use_awaitable);
            buf.append(tmp.data(), n);
            std::error_code ec;
            const auto r = hs.put(buf, ec);
            buf.erase(0, r.consumed);
            REQUIRE_FALSE(ec);
            if (r.what == gemini::http_stream::step::head) {
                status = hs.status();
            }
        }
    });
    CHECK(status == 200);
}

TEST_CASE("Connection: close and HTTP/1.0 requests are answered with Connection: close, then the close",
          "[testing][mock]")
{
    for (const std::string& wire : {request("GET", "/v1beta/models", {}, "Connection: close\r\n"),
                                   std::string("GET /v1beta/models HTTP/1.0\r\nx-goog-api-key: ") +
                                       std::string(test_key) + "\r\n\r\n"}) {
        asio::io_context io;
        mock_server server(io.get_executor(), stream_options());
        const auto at = server.start();
        unary_result r;
        bool closed = false;
        run(io, server, [&]() -> asio::awaitable<void> {
            auto s = co_await connect(at);
            http::response_parser p;
            std::string carry;
            r = co_await unary_exchange(s, wire, p, carry);
            closed = co_await closed_by_peer(s);
        });
        CHECK(r.status == 200);
        CHECK(r.done);
        CHECK_FALSE(r.keep_alive);
        CHECK(closed);
    }
}
