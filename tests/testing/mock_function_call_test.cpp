// llmio::testing::mock_server: function calling. The model calls every declared function in one
// event; once the last turn carries their results, the conversation goes on with text. Decoded
// with gemini::stream_decoder and gemini::chunk_decoder, as a client's tool loop would.
#include "mock_client.hpp"

#include <llmio/gemini/chunk_decoder.hpp>
#include <llmio/gemini/stream_decoder.hpp>

using namespace mock_test;

namespace {

constexpr std::string_view unary_target = "/v1beta/models/gemini-2.5-flash:generateContent";
constexpr std::string_view tools_stream_target = "/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse";

constexpr std::string_view tools_body =
    R"({"contents":[{"role":"user","parts":[{"text":"Weather and time in Paris?"}]}],)"
    R"("tools":[{"functionDeclarations":[{"name":"get_weather","parameters":{"type":"object"}},)"
    R"({"name":"get_time"}]},{"googleSearch":{}}]})";

// The second request of the loop: the model's calls went back with their results.
constexpr std::string_view results_body =
    R"({"contents":[{"role":"user","parts":[{"text":"Weather and time in Paris?"}]},)"
    R"({"role":"model","parts":[{"functionCall":{"name":"get_weather","args":{}},"thoughtSignature":"c2ln"},)"
    R"({"functionCall":{"name":"get_time","args":{}}}]},)"
    R"({"role":"user","parts":[{"functionResponse":{"name":"get_weather","response":{"sky":"clear"}}},)"
    R"({"functionResponse":{"name":"get_time","response":{"time":"12:00"}}}]}],)"
    R"("tools":[{"functionDeclarations":[{"name":"get_weather"},{"name":"get_time"}]}]})";

mock_options call_options()
{
    mock_options o;
    o.api_key = std::string(test_key);
    o.events = 3;
    o.words_per_event = 2;
    return o;
}

// A decoded functionCall part, copied out of the decoder's views.
struct call {
    std::string name;
    std::string args;
    std::string signature;
};

struct decoded {
    std::vector<call> calls;
    std::string text;
    std::size_t chunks = 0;
    gemini::finish_reason finish = gemini::finish_reason::none;
    std::error_code ec;   // from finish()
    bool done = false;
    std::optional<gemini::usage_metadata> usage;
};

void take(decoded& out, const gemini::response& r)
{
    ++out.chunks;
    if (r.usage) {
        out.usage = *r.usage;
    }
    if (r.candidates.empty()) {
        return;
    }
    const gemini::candidate& c = r.candidates.front();
    for (const gemini::part& p : c.parts) {
        if (p.kind == gemini::part_kind::function_call) {
            out.calls.push_back({std::string(p.name), std::string(p.args), std::string(p.thought_signature)});
        }
    }
    r.for_each_text([&](std::string_view t) { out.text += t; });
    if (c.finish != gemini::finish_reason::none) {
        out.finish = c.finish;
    }
}

// An SSE body (already de-chunked) through gemini::stream_decoder.
decoded decode_stream(std::string_view body)
{
    decoded out;
    gemini::stream_decoder sd;
    for (;;) {
        std::error_code ec;
        const auto r = sd.put(body, ec);
        REQUIRE_FALSE(ec);
        body.remove_prefix(r.consumed);
        if (r.what == gemini::stream_decoder::step::chunk) {
            take(out, sd.chunk());
        } else {
            break;
        }
    }
    for (;;) {
        const auto r = sd.finish(out.ec);
        if (r.what == gemini::stream_decoder::step::chunk) {
            take(out, sd.chunk());
            continue;
        }
        out.done = r.what == gemini::stream_decoder::step::done;
        break;
    }
    return out;
}

decoded decode_unary(std::string_view body)
{
    decoded out;
    gemini::chunk_decoder d;
    out.ec = d.decode(body);
    REQUIRE_FALSE(out.ec);
    take(out, d.get());
    out.done = true;
    return out;
}

// Each request on one keep-alive connection, read whole.
std::vector<unary_result> exchange_all(mock_server& server, asio::io_context& io, std::vector<std::string> requests)
{
    const auto at = server.start();
    std::vector<unary_result> rs;
    run(io, server, [&]() -> asio::awaitable<void> {
        auto s = co_await connect(at);
        http::response_parser p;
        std::string carry;
        for (std::string& req : requests) {
            rs.push_back(co_await unary_exchange(s, std::move(req), p, carry));
        }
    });
    return rs;
}

void check_calls(const decoded& d)
{
    REQUIRE(d.calls.size() == 2);
    CHECK(d.calls[0].name == "get_weather");
    CHECK(d.calls[1].name == "get_time");
    CHECK(d.calls[0].args == "{}");
    CHECK(d.calls[1].args == "{}");
    CHECK_FALSE(d.calls[0].signature.empty());   // on the first call only, as Gemini 2.5 and 3
    CHECK(d.calls[1].signature.empty());
    CHECK(d.text.empty());
    CHECK(d.finish == gemini::finish_reason::stop);
    REQUIRE(d.usage.has_value());
    CHECK(d.usage->prompt == mock_server::prompt_tokens(tools_body));
    CHECK(d.usage->candidates > 0);
    CHECK(d.usage->total == d.usage->prompt + d.usage->candidates);
}

} // namespace

TEST_CASE("function_call: one functionCall per declared function, all in one event, STOP",
          "[testing][mock][fault][function]")
{
    asio::io_context io;
    mock_server server(io.get_executor(), call_options());
    const std::string fault = fault_header(mock_fault::function_call);
    const std::vector<unary_result> rs =
        exchange_all(server, io,
                     {request("POST", tools_stream_target, tools_body, fault),
                      request("POST", unary_target, tools_body, fault)});
    REQUIRE(rs.size() == 2);
    CHECK(rs[0].status == 200);
    CHECK(rs[0].content_type == "text/event-stream");
    const decoded streamed = decode_stream(rs[0].body);
    CHECK(streamed.chunks == 1);
    CHECK(streamed.done);
    CHECK_FALSE(streamed.ec);
    check_calls(streamed);

    const decoded unary = decode_unary(rs[1].body);
    check_calls(unary);
    CHECK(unary.calls[0].signature == streamed.calls[0].signature);   // a fixed value

    CHECK(server.counters().fault(mock_fault::function_call) == 2);
}

TEST_CASE("function_call: after functionResponse parts the conversation goes on with text",
          "[testing][mock][fault][function]")
{
    asio::io_context io;
    const mock_options o = call_options();
    mock_server server(io.get_executor(), o);
    const std::string fault = fault_header(mock_fault::function_call);
    const std::vector<unary_result> rs =
        exchange_all(server, io,
                     {request("POST", tools_stream_target, results_body, fault),
                      request("POST", unary_target, results_body, fault)});
    REQUIRE(rs.size() == 2);
    const std::string expected =
        "Results for: get_weather, get_time. " + mock_server::expected_text(results_body, o);
    const decoded streamed = decode_stream(rs[0].body);
    CHECK(streamed.calls.empty());
    CHECK(streamed.chunks == 3);
    CHECK(streamed.text == expected);
    CHECK(streamed.done);
    CHECK(streamed.finish == gemini::finish_reason::stop);
    const decoded unary = decode_unary(rs[1].body);
    CHECK(unary.text == expected);
    CHECK(unary.calls.empty());
}

TEST_CASE("function_call without declarations, or with calling off, answers text and is not counted",
          "[testing][mock][fault][function]")
{
    asio::io_context io;
    const mock_options o = call_options();
    mock_server server(io.get_executor(), o);
    const std::string fault = fault_header(mock_fault::function_call);
    const std::string none_mode =
        R"({"contents":[{"parts":[{"text":"x"}]}],"tools":[{"functionDeclarations":[{"name":"f"}]}],)"
        R"("toolConfig":{"functionCallingConfig":{"mode":"NONE"}}})";
    const std::vector<unary_result> rs = exchange_all(
        server, io,
        {request("POST", unary_target, prompt_body, fault), request("POST", unary_target, none_mode, fault)});
    REQUIRE(rs.size() == 2);
    CHECK(decode_unary(rs[0].body).text == mock_server::expected_text(prompt_body, o));
    CHECK(decode_unary(rs[1].body).text == mock_server::expected_text(none_mode, o));
    CHECK(decode_unary(rs[1].body).calls.empty());
    CHECK(server.counters().fault(mock_fault::function_call) == 0);
    CHECK(server.counters().faults_injected == 0);
}

TEST_CASE("mock_options::function_calls: a whole tool loop without fault names", "[testing][mock][function]")
{
    asio::io_context io;
    mock_options o = call_options();
    o.function_calls = true;
    mock_server server(io.get_executor(), o);
    const auto at = server.start();
    decoded first;
    decoded second;
    decoded plain;
    decoded off;
    run(io, server, [&]() -> asio::awaitable<void> {
        auto s = co_await connect(at);
        http::response_parser p;
        std::string carry;
        const unary_result a = co_await unary_exchange(s, request("POST", tools_stream_target, tools_body), p, carry);
        first = decode_stream(a.body);
        // The client sends the calls back with results, as its loop would; the model answers.
        const unary_result b = co_await unary_exchange(s, request("POST", tools_stream_target, results_body), p, carry);
        second = decode_stream(b.body);
        // No tools: the usual text. "none" turns the option off for one request.
        const unary_result c = co_await unary_exchange(s, request("POST", unary_target, prompt_body), p, carry);
        plain = decode_unary(c.body);
        const unary_result d = co_await unary_exchange(
            s, request("POST", unary_target, tools_body, "x-llmio-mock-fault: none\r\n"), p, carry);
        off = decode_unary(d.body);
    });
    check_calls(first);
    CHECK(second.calls.empty());
    CHECK(second.text == "Results for: get_weather, get_time. " + mock_server::expected_text(results_body, o));
    CHECK(plain.text == mock_server::expected_text(prompt_body, o));
    CHECK(off.calls.empty());
    CHECK(off.text == mock_server::expected_text(tools_body, o));
    CHECK(server.counters().fault(mock_fault::function_call) == 2);   // the two the option shaped
}

TEST_CASE("function_call: results text with quotes, backslashes and control characters is escaped "
          "in every event",
          "[testing][mock][fault][function]")
{
    asio::io_context io;
    const mock_options o = call_options();
    mock_server server(io.get_executor(), o);
    const std::string fault = fault_header(mock_fault::function_call);
    // Names as JSON text: say "hi", back\slash, tab<TAB>bed, and one past ASCII (é).
    const std::string body =
        R"({"contents":[{"role":"user","parts":[{"functionResponse":{"name":"say \"hi\"","response":{}}},)"
        R"({"functionResponse":{"name":"back\\slash","response":{}}},)"
        R"({"functionResponse":{"name":"tab\tbed \u00e9","response":{}}}]}]})";
    const std::vector<unary_result> rs = exchange_all(server, io, {request("POST", tools_stream_target, body, fault)});
    REQUIRE(rs.size() == 1);
    REQUIRE(rs[0].done);
    CHECK(rs[0].body.find(R"(Results for: say \"hi\", back\\slash, tab\tbed )") != std::string::npos);
    CHECK(check_events_before_last(rs[0].body, false) == o.events - 1);
    const decoded streamed = decode_stream(rs[0].body);
    CHECK(streamed.text == "Results for: say \"hi\", back\\slash, tab\tbed \xc3\xa9. " +
                               mock_server::expected_text(body, o));
}
