// gemini::chat and gemini::function_registry: the trimming rules and the registry on their
// own; conversations against the mock server (whose answer is a hash of the request body, so a
// reply proves the exact history that was sent); thought signatures, call ids and the round
// limit on the wire against a scripted server.
#include "client_support.hpp"

#include <llmio/gemini/chat.hpp>
#include <llmio/gemini/request_encoder.hpp>
#include <llmio/gemini/tools.hpp>
#include <llmio/testing/chunked_response.hpp>
#include <llmio/testing/scripted_server.hpp>

#include <simdjson.h>

#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

using namespace client_test;
using llmio::testing::connection_script;
using llmio::testing::scripted_server;

namespace {

// ---- Turns ---------------------------------------------------------------------------------

gemini::content user(std::string text)
{
    return {.role = gemini::role::user, .parts = {gemini::content_part::from_text(std::move(text))}};
}

gemini::content model_text(std::string text)
{
    return {.role = gemini::role::model, .parts = {gemini::content_part::from_text(std::move(text))}};
}

gemini::content model_calls(std::size_t n)
{
    gemini::content t{.role = gemini::role::model};
    for (std::size_t i = 0; i < n; ++i) {
        t.parts.push_back(gemini::content_part::from_function_call("f" + std::to_string(i), "{}"));
    }
    return t;
}

gemini::content responses(std::size_t n)
{
    gemini::content t{.role = gemini::role::user};
    for (std::size_t i = 0; i < n; ++i) {
        t.parts.push_back(gemini::content_part::from_function_response("f" + std::to_string(i), R"({"output":1})"));
    }
    return t;
}

/// 4 * tokens bytes of text: estimate_tokens gives exactly `tokens`.
std::string bytes_for(std::size_t tokens, char fill = 'x') { return std::string(4 * tokens, fill); }

bool has_calls(const gemini::content& t)
{
    for (const auto& p : t.parts) {
        if (std::holds_alternative<gemini::function_call>(p.value)) {
            return true;
        }
    }
    return false;
}

bool has_responses(const gemini::content& t)
{
    for (const auto& p : t.parts) {
        if (std::holds_alternative<gemini::function_response>(p.value)) {
            return true;
        }
    }
    return false;
}

std::string text_of(const gemini::content_part& p)
{
    const auto* s = std::get_if<std::string>(&p.value);
    return s != nullptr ? *s : std::string("<not text>");
}

/// The history rules every request must satisfy.
void check_history_shape(const std::vector<gemini::content>& h)
{
    REQUIRE_FALSE(h.empty());
    CHECK(h.front().role == gemini::role::user);
    CHECK_FALSE(has_responses(h.front()));
    for (std::size_t i = 0; i < h.size(); ++i) {
        if (has_responses(h[i])) {
            INFO("turn " << i);
            REQUIRE(i > 0);
            CHECK(h[i - 1].role == gemini::role::model);
            CHECK(has_calls(h[i - 1]));
        }
    }
}

// ---- Running a chat --------------------------------------------------------------------------

struct reply {
    bool done = false;
    std::error_code ec;
    std::string text;   // chunk_text() of every chunk, joined
    std::size_t chunks = 0;
};

asio::awaitable<void> drain(gemini::chat& ch, reply& out)
{
    for (;;) {
        auto [ec, chunk] = co_await ch.async_next(tuple_awaitable);
        if (ec) {
            out.ec = ec;
            break;
        }
        if (chunk == nullptr) {
            break;
        }
        out.text.append(ch.chunk_text());
        ++out.chunks;
    }
    out.done = true;
}

/// Streams the reply of what was sent last.
reply read_reply(asio::io_context& io, gemini::chat& ch)
{
    reply out;
    asio::co_spawn(io, drain(ch, out), [](std::exception_ptr e) {
        if (e) {
            std::rethrow_exception(e);
        }
    });
    REQUIRE(pump(io, [&] { return out.done; }));
    return out;
}

reply converse(asio::io_context& io, gemini::chat& ch, std::string_view text)
{
    const std::error_code ec = ch.send(text);
    REQUIRE_FALSE(ec);
    return read_reply(io, ch);
}

struct mock_fixture {
    explicit mock_fixture(mock_options o = {}, int max_retries = 4) : server(io.get_executor(), with_key(std::move(o)))
    {
        (void)server.start();
        gemini::client_options co = options_for(server);
        co.retry.max_retries = max_retries;
        client.emplace(io.get_executor(), std::move(co));
    }
    ~mock_fixture()
    {
        client->shutdown();
        server.stop();
        io.restart();
        io.run_for(2s);   // returns as soon as the connections have wound down
    }
    static mock_options with_key(mock_options o)
    {
        o.api_key = std::string(test_key);
        return o;
    }

    asio::io_context io;
    mock_server server;
    std::optional<gemini::client> client;
};

/// The body the chat sends for `contents` with `tools` (the chat's request has nothing else).
std::string body_of(const std::vector<gemini::content>& contents, const std::vector<gemini::tool>& tools = {})
{
    gemini::generate_content_request r;
    r.contents = contents;
    r.tools = tools;
    std::string body;
    gemini::request_encoder enc;
    REQUIRE_FALSE(enc.encode(r, body));
    return body;
}

// ---- A scripted server for exact bytes ------------------------------------------------------

std::string sse_response(const std::vector<std::string>& events)
{
    std::string body;
    for (const std::string& e : events) {
        body.append("data: ").append(e).append("\r\n\r\n");
    }
    return llmio::testing::chunked_response(
        body, 64, "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nConnection: close\r\n");
}

const std::string text_answer = sse_response(
    {R"({"candidates":[{"content":{"role":"model","parts":[{"text":"Done."}]},"finishReason":"STOP","index":0}],)"
     R"("usageMetadata":{"promptTokenCount":40,"candidatesTokenCount":2,"totalTokenCount":42}})"});

/// Two parallel calls of `lookup` with ids; signatures with every base64 character class.
const std::string calls_answer = sse_response({
    R"({"candidates":[{"content":{"role":"model","parts":[{"text":"Let me look."}]},"index":0}]})",
    R"({"candidates":[{"content":{"role":"model","parts":[{"text":"","thoughtSignature":"U2lnK0EvQj0="}]},"index":0}]})",
    R"({"candidates":[{"content":{"role":"model","parts":[)"
    R"({"functionCall":{"id":"call-1","name":"lookup","args":{"q":"a"}},"thoughtSignature":"c2lnbmF0dXJlLzEr/w=="},)"
    R"({"functionCall":{"id":"call-2","name":"lookup","args":{"q":"b"}}}]},"finishReason":"STOP","index":0}],)"
    R"("usageMetadata":{"promptTokenCount":30,"candidatesTokenCount":12,"totalTokenCount":42}})",
});

struct scripted_fixture {
    scripted_fixture() : at(server.start())
    {
        gemini::client_options o;
        o.api_key = std::string(test_key);
        o.base_url = "http://127.0.0.1:" + std::to_string(at.port());
        o.pool.proxy = net::proxy_settings{};
        o.retry.max_retries = 0;
        client.emplace(io.get_executor(), std::move(o));
    }
    ~scripted_fixture()
    {
        client->shutdown();
        server.stop();
        io.restart();
        io.run_for(2s);
    }
    void answer(std::string response) { server.add(connection_script().read_request().write(std::move(response)).close()); }
    /// The JSON body of the Nth request the server read.
    std::string body(std::size_t n) const
    {
        REQUIRE(server.requests().size() > n);
        const std::string& raw = server.requests()[n];
        const auto at_body = raw.find("\r\n\r\n");
        REQUIRE(at_body != std::string::npos);
        return raw.substr(at_body + 4);
    }

    asio::io_context io;
    scripted_server server{io.get_executor()};
    asio::ip::tcp::endpoint at;
    std::optional<gemini::client> client;
};

/// `pointer` (RFC 6901) in `json`, as a string or as minified JSON.
std::string at_pointer(std::string_view json, std::string_view pointer)
{
    static simdjson::dom::parser parser;
    simdjson::dom::element root;
    REQUIRE(parser.parse(json.data(), json.size(), true).get(root) == simdjson::SUCCESS);
    simdjson::dom::element e;
    if (root.at_pointer(pointer).get(e) != simdjson::SUCCESS) {
        return "<absent>";
    }
    std::string_view s;
    if (e.get(s) == simdjson::SUCCESS) {
        return std::string(s);
    }
    return simdjson::minify(e);
}

} // namespace

// ================================================================================================
// Trimming on its own
// ================================================================================================

TEST_CASE("estimate_tokens counts payload bytes / 4, rounded up", "[gemini][chat][trim]")
{
    CHECK(gemini::estimate_tokens(user("")) == 0);
    CHECK(gemini::estimate_tokens(user("abcd")) == 1);
    CHECK(gemini::estimate_tokens(user("abcde")) == 2);
    gemini::content t = model_text("abcd");
    t.parts.front().thought_signature = "SIGN";   // signatures are sent, so they count
    CHECK(gemini::estimate_tokens(t) == 2);
    gemini::content call{.role = gemini::role::model,
                         .parts = {gemini::content_part::from_function_call("ab", R"({"k":1})", "id")}};   // 2+7+2
    CHECK(gemini::estimate_tokens(call) == 3);

    const std::vector<gemini::content> h{user(bytes_for(10)), model_text(bytes_for(20)), user(bytes_for(5))};
    CHECK(gemini::estimate_tokens(h) == 35);
    // A known count replaces the estimate of the prefix it covers, and only then.
    CHECK(gemini::estimate_tokens(h, {.turns = 2, .tokens = 100}) == 105);
    CHECK(gemini::estimate_tokens(h, {.turns = 3, .tokens = 100}) == 100);
    CHECK(gemini::estimate_tokens(h, {.turns = 4, .tokens = 100}) == 35);   // stale: ignored
    CHECK(gemini::estimate_tokens(h, {.turns = 0, .tokens = 100}) == 35);
}

TEST_CASE("trim_history drops the fewest whole exchanges that fit the budget", "[gemini][chat][trim]")
{
    const std::vector<gemini::content> base{user(bytes_for(10)), model_text(bytes_for(10)), user(bytes_for(10)),
                                            model_text(bytes_for(10)), user(bytes_for(10))};   // 50 tokens
    SECTION("within the budget, or no budget: nothing")
    {
        auto h = base;
        CHECK(gemini::trim_history(h, 50) == 0);
        CHECK(gemini::trim_history(h, 0) == 0);
        CHECK(h.size() == 5);
    }
    SECTION("one exchange over: the oldest exchange goes")
    {
        auto h = base;
        CHECK(gemini::trim_history(h, 49) == 2);
        REQUIRE(h.size() == 3);
        CHECK(text_of(h[0].parts[0]) == bytes_for(10));
        CHECK(h[0].role == gemini::role::user);
    }
    SECTION("exactly at a cut: no more than needed")
    {
        auto h = base;
        CHECK(gemini::trim_history(h, 30) == 2);
        CHECK(h.size() == 3);
    }
    SECTION("a budget nothing fits: everything but the newest user turn")
    {
        auto h = base;
        CHECK(gemini::trim_history(h, 1) == 4);
        REQUIRE(h.size() == 1);
        CHECK(h[0].role == gemini::role::user);
    }
    SECTION("the service's count is used when known")
    {
        auto h = base;
        // By bytes the history fits 50; the service counted 200 for the first four turns.
        CHECK(gemini::trim_history(h, 60, {.turns = 4, .tokens = 200}) == 4);
        CHECK(h.size() == 1);
    }
}

TEST_CASE("trim_history never separates calls from their responses", "[gemini][chat][trim]")
{
    // u0 | m(calls) r(responses) m u1 | m u2: cuts only before u0, u1, u2.
    std::vector<gemini::content> h{user(bytes_for(10)), model_calls(2), responses(2), model_text(bytes_for(10)),
                                   user(bytes_for(10)), model_text(bytes_for(10)), user(bytes_for(10))};
    const std::size_t total = gemini::estimate_tokens(h);
    SECTION("a budget that dropping u0 and the calls would meet cuts at the next user turn instead")
    {
        // Dropping [u0, m(calls)] would be enough, but would leave the responses first.
        const std::size_t after_calls = total - 10 - gemini::estimate_tokens(h[1]);
        CHECK(gemini::trim_history(h, after_calls) == 4);
        REQUIRE(h.size() == 3);
        check_history_shape(h);
    }
    SECTION("in the middle of a send: the newest user turn and its rounds stay")
    {
        std::vector<gemini::content> mid{user(bytes_for(10)), model_text(bytes_for(10)), user(bytes_for(10)),
                                         model_calls(1), responses(1), model_calls(1), responses(1)};
        CHECK(gemini::trim_history(mid, 1) == 2);
        REQUIRE(mid.size() == 5);
        check_history_shape(mid);
        CHECK(text_of(mid[0].parts[0]) == bytes_for(10));
        CHECK(has_responses(mid.back()));
    }
    SECTION("a history whose only user turn answers calls cannot be cut")
    {
        std::vector<gemini::content> odd{model_calls(1), responses(1)};
        CHECK(gemini::trim_history(odd, 1) == 0);
        CHECK(odd.size() == 2);
    }
}

// ================================================================================================
// The function registry
// ================================================================================================

TEST_CASE("function names follow the service's rule", "[gemini][tools]")
{
    static_assert(gemini::valid_function_name("get_weather"));
    CHECK(gemini::valid_function_name("a"));
    CHECK(gemini::valid_function_name("_private"));
    CHECK(gemini::valid_function_name("tools.search-v2_beta"));
    CHECK(gemini::valid_function_name(std::string(64, 'f')));
    CHECK_FALSE(gemini::valid_function_name(std::string(65, 'f')));
    CHECK_FALSE(gemini::valid_function_name(""));
    CHECK_FALSE(gemini::valid_function_name("1st"));
    CHECK_FALSE(gemini::valid_function_name("-x"));
    CHECK_FALSE(gemini::valid_function_name(".x"));
    CHECK_FALSE(gemini::valid_function_name("get weather"));
    CHECK_FALSE(gemini::valid_function_name("ns:call"));
    CHECK_FALSE(gemini::valid_function_name("caf\xc3\xa9"));
}

TEST_CASE("function_registry refuses bad registrations and offers one tool", "[gemini][tools]")
{
    gemini::function_registry r;
    auto ok = [](std::string_view) { return std::string(R"({"output":1})"); };
    CHECK(r.add({.name = "9lives"}, ok) == gemini::tool_error::invalid_function_name);
    CHECK(r.add({.name = "9lives"}, ok) == llmio::condition::invalid_input);
    CHECK(r.add({.name = "no_handler"}, nullptr) == gemini::tool_error::no_handler);
    CHECK_FALSE(r.add({.name = "first", .description = "one"}, ok));
    CHECK_FALSE(r.add({.name = "second", .parameters_json_schema = R"({"type":"object"})"}, ok));
    CHECK(r.add({.name = "first"}, ok) == gemini::tool_error::duplicate_function);
    CHECK(r.size() == 2);
    CHECK(r.contains("second"));
    CHECK_FALSE(r.contains("no_handler"));
    const gemini::tool t = r.tool();
    REQUIRE(t.function_declarations.size() == 2);
    CHECK(t.function_declarations[0].name == "first");
    CHECK(t.function_declarations[0].description == "one");
    CHECK(t.function_declarations[1].parameters_json_schema == R"({"type":"object"})");
    CHECK_FALSE(t.google_search);
    CHECK(std::string(gemini::make_error_code(gemini::tool_error::duplicate_function).category().name()) ==
          "llmio.gemini.tools");
}

TEST_CASE("function_registry::run answers every call, errors included", "[gemini][tools]")
{
    gemini::function_registry r;
    std::string seen_args;
    REQUIRE_FALSE(r.add({.name = "echo"}, [&](std::string_view args) {
        seen_args = args;
        return std::string(R"( {"output": "echoed"} )");
    }));
    REQUIRE_FALSE(r.add({.name = "boom"}, [](std::string_view) -> std::string { throw std::runtime_error("disk \"on\" fire"); }));
    REQUIRE_FALSE(r.add({.name = "odd_throw"}, [](std::string_view) -> std::string { throw 42; }));
    REQUIRE_FALSE(r.add({.name = "bad_bytes"}, [](std::string_view) -> std::string { throw std::runtime_error("bad \xff byte"); }));
    std::string returned;
    REQUIRE_FALSE(r.add({.name = "returns"}, [&](std::string_view) { return returned; }));

    auto run = [&](std::string name, std::string id = "id-7") {
        return r.run({.id = std::move(id), .name = std::move(name), .args_json = R"({"q":"x"})"});
    };
    {
        const gemini::function_response out = run("echo");
        CHECK(out.id == "id-7");
        CHECK(out.name == "echo");
        CHECK(out.response_json == R"( {"output": "echoed"} )");   // unchanged
        CHECK(seen_args == R"({"q":"x"})");
    }
    {
        const gemini::function_response out = run("nobody", "");
        CHECK(out.id.empty());
        CHECK(out.name == "nobody");
        CHECK(at_pointer(out.response_json, "/error") == "unknown function nobody");
    }
    CHECK(at_pointer(run("boom").response_json, "/error") == "boom failed: disk \"on\" fire");
    CHECK(at_pointer(run("odd_throw").response_json, "/error") ==
          "odd_throw failed with an exception that is not a std::exception");
    CHECK(at_pointer(run("bad_bytes").response_json, "/error") == "bad_bytes failed: bad ? byte");
    for (const char* bad : {"", "not json", "[1,2]", "\"text\"", "{", R"({"a":1} trailing)", "{\"a\":\"\xff\"}"}) {
        returned = bad;
        CAPTURE(returned);
        CHECK(at_pointer(run("returns").response_json, "/error") == "returns returned a result that is not a JSON object");
    }
    returned = R"({"output":{"nested":[1,2,3]}})";
    CHECK(run("returns").response_json == returned);
}

// ================================================================================================
// Conversations against the mock server
// ================================================================================================

TEST_CASE("a chat's history grows turn by turn and every request carries it", "[gemini][chat]")
{
    mock_fixture f;
    gemini::chat ch(*f.client, {.model = std::string(model)});

    const reply r1 = converse(f.io, ch, "Hello there.");
    REQUIRE_FALSE(r1.ec);
    CHECK(r1.chunks == 3);
    CHECK(r1.text == mock_server::expected_text(body_of({user("Hello there.")}), f.server.options()));
    CHECK(ch.reply_text() == r1.text);
    REQUIRE(ch.history().size() == 2);
    CHECK(ch.history()[1].role == gemini::role::model);
    REQUIRE(ch.history()[1].parts.size() == 1);
    CHECK(text_of(ch.history()[1].parts[0]) == r1.text);
    CHECK(ch.rounds() == 0);

    const reply r2 = converse(f.io, ch, "And then?");
    REQUIRE_FALSE(r2.ec);
    // The mock's words are a hash of the body: this reply proves the request held both turns
    // before the new one, exactly.
    const std::vector<gemini::content> sent{user("Hello there."), model_text(r1.text), user("And then?")};
    CHECK(r2.text == mock_server::expected_text(body_of(sent), f.server.options()));
    CHECK(r2.text != mock_server::expected_text(body_of({user("And then?")}), f.server.options()));
    REQUIRE(ch.history().size() == 4);
    CHECK(text_of(ch.history()[3].parts[0]) == r2.text);
    CHECK(ch.reply_text() == r2.text);

    // Finished: asking again gives the end again.
    const reply again = read_reply(f.io, ch);
    CHECK_FALSE(again.ec);
    CHECK(again.chunks == 0);
    CHECK(f.server.counters().requests == 2);
}

TEST_CASE("async_send_and_collect gives the whole reply", "[gemini][chat]")
{
    mock_fixture f;
    gemini::chat ch(*f.client, {.model = std::string(model)});
    bool done = false;
    std::error_code ec;
    std::string text;
    ch.async_send_and_collect("One call.", [&](std::error_code e, std::string t) {
        done = true;
        ec = e;
        text = std::move(t);
    });
    REQUIRE(pump(f.io, [&] { return done; }));
    CHECK_FALSE(ec);
    CHECK(text == mock_server::expected_text(body_of({user("One call.")}), f.server.options()));
    CHECK(ch.history().size() == 2);

    // A send that cannot start completes with its error, not inline.
    done = false;
    ch.async_send_and_collect("bad \xff text", [&](std::error_code e, std::string t) {
        done = true;
        ec = e;
        text = std::move(t);
    });
    CHECK_FALSE(done);
    REQUIRE(pump(f.io, [&] { return done; }));
    CHECK(ec == llmio::condition::invalid_input);
    CHECK(text.empty());
    CHECK(ch.history().size() == 2);
}

TEST_CASE("misuse is refused with typed errors", "[gemini][chat]")
{
    mock_fixture f;
    gemini::chat ch(*f.client, {.model = std::string(model)});
    const reply none = read_reply(f.io, ch);
    CHECK(none.ec == gemini::chat_error::not_sent);
    CHECK(none.ec == llmio::condition::invalid_input);
    CHECK(ch.send(model_text("I am the model")) == gemini::chat_error::not_a_user_turn);
    CHECK(ch.send(gemini::content{.role = gemini::role::user}) == gemini::chat_error::not_a_user_turn);
    CHECK(ch.history().empty());

    // While an async_next is pending, send() is refused and nothing changes.
    REQUIRE_FALSE(ch.send("First."));
    bool done = false;
    ch.async_next([&](std::error_code, const gemini::response*) { done = true; });
    CHECK(ch.send("Second.") == gemini::client_error::busy);
    REQUIRE(pump(f.io, [&] { return done; }));
    CHECK(ch.history().size() == 1);   // the reply is still coming
    const reply rest = read_reply(f.io, ch);
    CHECK_FALSE(rest.ec);
    CHECK(ch.history().size() == 2);

    // A send() in the middle of a reply abandons it: its user turn goes, the new one is read.
    REQUIRE_FALSE(ch.send("Third."));
    done = false;
    ch.async_next([&](std::error_code, const gemini::response*) { done = true; });
    REQUIRE(pump(f.io, [&] { return done; }));
    REQUIRE_FALSE(ch.send("Fourth."));
    CHECK(ch.history().size() == 3);
    CHECK(text_of(ch.history()[2].parts[0]) == "Fourth.");
    const reply fourth = read_reply(f.io, ch);
    CHECK_FALSE(fourth.ec);
    REQUIRE(ch.history().size() == 4);
    CHECK(ch.reply_text() == fourth.text);
}

TEST_CASE("a failed reply leaves the history as it was before the send", "[gemini][chat]")
{
    mock_options o;
    o.rpd = 1;   // the second request gets the per-day 429, which is not retried
    mock_fixture f(o);
    gemini::chat ch(*f.client, {.model = std::string(model)});
    REQUIRE_FALSE(converse(f.io, ch, "Hello.").ec);
    const std::vector<gemini::content> before = ch.history();

    const reply r = converse(f.io, ch, "Again.");
    CHECK(r.ec == gemini::error::quota_requests_per_day);
    CHECK(ch.current().error() == gemini::error::quota_requests_per_day);
    CHECK_FALSE(ch.current().error_message().empty());
    REQUIRE(ch.history().size() == before.size());
    CHECK(text_of(ch.history().back().parts[0]) == text_of(before.back().parts[0]));
    // Later calls give the same error; nothing was added.
    CHECK(read_reply(f.io, ch).ec == gemini::error::quota_requests_per_day);
    CHECK(ch.history().size() == 2);
}

TEST_CASE("the function loop runs parallel calls and continues with their responses", "[gemini][chat][tools]")
{
    mock_options o;
    o.function_calls = true;
    mock_fixture f(o);
    gemini::function_registry fns;
    int weather = 0, time = 0;
    std::string weather_args;
    REQUIRE_FALSE(fns.add({.name = "get_weather", .description = "The weather"}, [&](std::string_view args) {
        ++weather;
        weather_args = args;
        return std::string(R"({"output":"sunny"})");
    }));
    REQUIRE_FALSE(fns.add({.name = "get_time", .description = "The time"}, [&](std::string_view) {
        ++time;
        return std::string(R"({"output":"noon"})");
    }));
    gemini::chat ch(*f.client, {.model = std::string(model), .functions = &fns});

    const reply r = converse(f.io, ch, "Weather and time, please.");
    REQUIRE_FALSE(r.ec);
    CHECK(weather == 1);
    CHECK(time == 1);
    CHECK(weather_args == "{}");
    CHECK(ch.rounds() == 1);
    CHECK(f.server.counters().requests == 2);

    const auto& h = ch.history();
    REQUIRE(h.size() == 4);
    check_history_shape(h);
    // The model's calls, as the mock sent them: the first with its thought signature.
    REQUIRE(h[1].parts.size() == 2);
    const auto* c0 = std::get_if<gemini::function_call>(&h[1].parts[0].value);
    const auto* c1 = std::get_if<gemini::function_call>(&h[1].parts[1].value);
    REQUIRE(c0 != nullptr);
    REQUIRE(c1 != nullptr);
    CHECK(c0->name == "get_weather");
    CHECK(c1->name == "get_time");
    CHECK(h[1].parts[0].thought_signature == llmio::testing::detail::mock_thought_signature);
    CHECK(h[1].parts[1].thought_signature.empty());
    // One user turn answering both, in order, names matched.
    REQUIRE(h[2].parts.size() == 2);
    const auto* a0 = std::get_if<gemini::function_response>(&h[2].parts[0].value);
    const auto* a1 = std::get_if<gemini::function_response>(&h[2].parts[1].value);
    REQUIRE(a0 != nullptr);
    REQUIRE(a1 != nullptr);
    CHECK(a0->name == "get_weather");
    CHECK(a0->response_json == R"({"output":"sunny"})");
    CHECK(a1->name == "get_time");
    CHECK(a1->response_json == R"({"output":"noon"})");

    // The mock names the responses it received, and its words hash the second request's body:
    // the calls (signature included) and both responses went back exactly as in history().
    const std::string results = "Results for: get_weather, get_time. ";
    const std::vector<gemini::content> sent(h.begin(), h.begin() + 3);
    CHECK(r.text == results + mock_server::expected_text(body_of(sent, {fns.tool()}), f.server.options()));
    CHECK(ch.reply_text() == r.text);
    CHECK(text_of(h[3].parts[0]) == r.text);

    // The next send starts a new loop on top of the whole history.
    const reply r2 = converse(f.io, ch, "And tomorrow?");
    REQUIRE_FALSE(r2.ec);
    CHECK(weather == 2);
    CHECK(ch.history().size() == 8);
    check_history_shape(ch.history());
}

TEST_CASE("unknown functions and failing handlers become error responses", "[gemini][chat][tools]")
{
    mock_options o;
    o.function_calls = true;
    mock_fixture f(o);
    gemini::function_registry fns;
    REQUIRE_FALSE(fns.add({.name = "boom"}, [](std::string_view) -> std::string {
        throw std::runtime_error("disk on fire");
    }));
    REQUIRE_FALSE(fns.add({.name = "bad_json"}, [](std::string_view) { return std::string("plain text"); }));
    // "mystery" is declared to the model but has no handler.
    gemini::chat ch(*f.client, {.model = std::string(model),
                                .tools = {{.function_declarations = {{.name = "mystery"}}}},
                                .functions = &fns});

    const reply r = converse(f.io, ch, "Try everything.");
    REQUIRE_FALSE(r.ec);
    CHECK(r.text.starts_with("Results for: mystery, boom, bad_json. "));
    const auto& h = ch.history();
    REQUIRE(h.size() == 4);
    REQUIRE(h[2].parts.size() == 3);
    std::vector<std::string> errors;
    for (const auto& p : h[2].parts) {
        const auto* a = std::get_if<gemini::function_response>(&p.value);
        REQUIRE(a != nullptr);
        errors.push_back(a->name + ": " + at_pointer(a->response_json, "/error"));
    }
    CHECK(errors == std::vector<std::string>{"mystery: unknown function mystery", "boom: boom failed: disk on fire",
                                             "bad_json: bad_json returned a result that is not a JSON object"});
}

TEST_CASE("max_function_rounds 0: any call ends the send, history intact", "[gemini][chat][tools]")
{
    mock_options o;
    o.function_calls = true;
    mock_fixture f(o);
    gemini::function_registry fns;
    int runs = 0;
    REQUIRE_FALSE(fns.add({.name = "f"}, [&](std::string_view) {
        ++runs;
        return std::string(R"({"output":1})");
    }));
    gemini::chat ch(*f.client, {.model = std::string(model), .functions = &fns, .max_function_rounds = 0});
    const reply r = converse(f.io, ch, "Call it.");
    CHECK(r.ec == gemini::chat_error::too_many_function_rounds);
    CHECK(r.ec == llmio::condition::limit_exceeded);
    CHECK(runs == 0);
    CHECK(ch.history().empty());
}

TEST_CASE("without a registry, calls end the send and the caller answers them", "[gemini][chat][tools]")
{
    mock_options o;
    o.function_calls = true;
    mock_fixture f(o);
    gemini::chat ch(*f.client, {.model = std::string(model), .tools = {{.function_declarations = {{.name = "lookup"}}}}});
    const reply r = converse(f.io, ch, "Look it up.");
    REQUIRE_FALSE(r.ec);
    CHECK(r.text.empty());
    REQUIRE(ch.history().size() == 2);
    CHECK(has_calls(ch.history()[1]));
    CHECK(ch.rounds() == 0);

    REQUIRE_FALSE(ch.send(gemini::content{
        .role = gemini::role::user,
        .parts = {gemini::content_part::from_function_response("lookup", R"({"output":"found"})")}}));
    const reply r2 = read_reply(f.io, ch);
    REQUIRE_FALSE(r2.ec);
    CHECK(r2.text.starts_with("Results for: lookup. "));
    CHECK(ch.history().size() == 4);
    check_history_shape(ch.history());
}

TEST_CASE("trimming keeps the history within the budget, and sends what it keeps", "[gemini][chat][trim]")
{
    mock_fixture f;
    // Each exchange is ~30 tokens by bytes; the mock's usage counts the JSON around it too.
    gemini::chat ch(*f.client, {.model = std::string(model), .max_history_tokens = 100});
    for (int i = 0; i < 8; ++i) {
        const std::string text = "Message number " + std::to_string(i) + ", with some padding words.";
        const std::size_t before = ch.history().size() + 1;   // with the new user turn
        const reply r = converse(f.io, ch, text);
        REQUIRE_FALSE(r.ec);
        const auto& h = ch.history();
        check_history_shape(h);
        CHECK(text_of(h[h.size() - 2].parts[0]) == text);   // the newest user turn is kept
        // The reply hashes the body that was sent: the trimmed history, not the whole one.
        const std::vector<gemini::content> sent(h.begin(), h.end() - 1);
        CHECK(r.text == mock_server::expected_text(body_of(sent), f.server.options()));
        CHECK(sent.size() <= before);
    }
    CHECK(ch.trimmed_turns() > 0);
    CHECK(ch.history().size() < 16);
}

TEST_CASE("trimming in a function loop never splits calls from responses", "[gemini][chat][trim][tools]")
{
    mock_options o;
    o.function_calls = true;
    mock_fixture f(o);
    gemini::function_registry fns;
    for (const char* name : {"alpha", "beta"}) {
        REQUIRE_FALSE(fns.add({.name = name}, [](std::string_view) { return std::string(R"({"output":"some result text"})"); }));
    }
    gemini::chat ch(*f.client, {.model = std::string(model), .functions = &fns, .max_history_tokens = 120});
    for (int i = 0; i < 6; ++i) {
        const reply r = converse(f.io, ch, "Question " + std::to_string(i) + " needs both functions.");
        REQUIRE_FALSE(r.ec);
        CHECK(r.text.starts_with("Results for: alpha, beta. "));
        check_history_shape(ch.history());
        CHECK(ch.history().size() % 4 == 0);   // whole exchanges: user, calls, responses, text
    }
    CHECK(ch.trimmed_turns() > 0);
    CHECK(ch.trimmed_turns() % 4 == 0);
}

// ================================================================================================
// Exact bytes on the wire, against a scripted server
// ================================================================================================

TEST_CASE("thought signatures and call ids go back byte for byte", "[gemini][chat][tools]")
{
    scripted_fixture f;
    f.answer(calls_answer);
    f.answer(text_answer);
    gemini::function_registry fns;
    std::vector<std::string> args;
    REQUIRE_FALSE(fns.add({.name = "lookup"}, [&](std::string_view a) {
        args.emplace_back(a);
        return R"({"output":"result )" + std::to_string(args.size()) + R"("})";
    }));
    gemini::chat ch(*f.client, {.model = std::string(model), .functions = &fns});
    const reply r = converse(f.io, ch, "Look up a and b.");
    REQUIRE_FALSE(r.ec);
    CHECK(r.text == "Let me look.Done.");
    CHECK(args == std::vector<std::string>{R"({"q":"a"})", R"({"q":"b"})"});
    REQUIRE(f.server.requests().size() == 2);
    CHECK(f.server.errors().empty());

    const std::string body = f.body(1);
    CAPTURE(body);
    // The model turn as it came: text, the signature on its empty text part, both calls.
    CHECK(at_pointer(body, "/contents/1/role") == "model");
    CHECK(at_pointer(body, "/contents/1/parts/0/text") == "Let me look.");
    CHECK(at_pointer(body, "/contents/1/parts/1/text") == "");
    CHECK(at_pointer(body, "/contents/1/parts/1/thoughtSignature") == "U2lnK0EvQj0=");
    CHECK(at_pointer(body, "/contents/1/parts/2/functionCall") == R"({"id":"call-1","name":"lookup","args":{"q":"a"}})");
    CHECK(at_pointer(body, "/contents/1/parts/2/thoughtSignature") == "c2lnbmF0dXJlLzEr/w==");
    CHECK(at_pointer(body, "/contents/1/parts/3/functionCall/id") == "call-2");
    CHECK(at_pointer(body, "/contents/1/parts/3/thoughtSignature") == "<absent>");
    // Byte for byte in the raw body too: nothing escaped or re-encoded.
    CHECK(body.find(R"("thoughtSignature":"c2lnbmF0dXJlLzEr/w==")") != std::string::npos);
    // The responses: one user turn, ids and names of the calls they answer, in order.
    CHECK(at_pointer(body, "/contents/2/role") == "user");
    CHECK(at_pointer(body, "/contents/2/parts/0/functionResponse") ==
          R"({"id":"call-1","name":"lookup","response":{"output":"result 1"}})");
    CHECK(at_pointer(body, "/contents/2/parts/1/functionResponse") ==
          R"({"id":"call-2","name":"lookup","response":{"output":"result 2"}})");
    CHECK(at_pointer(body, "/contents/3") == "<absent>");
    // The declaration went with both requests.
    CHECK(at_pointer(f.body(0), "/tools/0/functionDeclarations/0/name") == "lookup");
    CHECK(at_pointer(body, "/tools/0/functionDeclarations/0/name") == "lookup");
}

TEST_CASE("a model that keeps calling stops at max_function_rounds, history intact", "[gemini][chat][tools]")
{
    scripted_fixture f;
    f.answer(text_answer);   // a first exchange, which must survive the failed send
    for (int i = 0; i < 3; ++i) {
        f.answer(calls_answer);
    }
    f.answer(text_answer);   // the send after the failure
    gemini::function_registry fns;
    int runs = 0;
    REQUIRE_FALSE(fns.add({.name = "lookup"}, [&](std::string_view) {
        ++runs;
        return std::string(R"({"output":"again"})");
    }));
    gemini::chat ch(*f.client, {.model = std::string(model), .functions = &fns, .max_function_rounds = 2});
    REQUIRE_FALSE(converse(f.io, ch, "Hi.").ec);
    REQUIRE(ch.history().size() == 2);

    const reply r = converse(f.io, ch, "Loop forever.");
    CHECK(r.ec == gemini::chat_error::too_many_function_rounds);
    CHECK(runs == 4);   // two rounds of two parallel calls
    CHECK(ch.rounds() == 2);
    CHECK(f.server.requests().size() == 4);
    CHECK(r.text == "Let me look.Let me look.Let me look.");   // the partial reply, every round's
    CHECK(ch.reply_text() == r.text);
    CHECK(ch.history().size() == 2);   // as before the send

    // The next send goes out on the history as it was.
    const reply ok = converse(f.io, ch, "Just answer.");
    REQUIRE_FALSE(ok.ec);
    REQUIRE(f.server.requests().size() == 5);
    CHECK(at_pointer(f.body(4), "/contents/2/parts/0/text") == "Just answer.");
    CHECK(at_pointer(f.body(4), "/contents/3") == "<absent>");
    CHECK(ch.history().size() == 4);
}

TEST_CASE("a failure in a later round removes the whole send", "[gemini][chat][tools]")
{
    scripted_fixture f;
    f.answer(calls_answer);
    const std::string envelope = R"({"error":{"code":400,"message":"Bad turn order.","status":"INVALID_ARGUMENT"}})";
    f.answer("HTTP/1.1 400 Bad Request\r\nContent-Type: application/json\r\nConnection: close\r\nContent-Length: " +
             std::to_string(envelope.size()) + "\r\n\r\n" + envelope);
    gemini::function_registry fns;
    REQUIRE_FALSE(fns.add({.name = "lookup"}, [](std::string_view) { return std::string(R"({"output":1})"); }));
    gemini::chat ch(*f.client, {.model = std::string(model), .functions = &fns});
    const reply r = converse(f.io, ch, "Go.");
    CHECK(r.ec == gemini::error::invalid_argument);
    CHECK(ch.rounds() == 1);
    CHECK(ch.current().details().message == "Bad turn order.");
    CHECK(ch.history().empty());
    CHECK(r.text == "Let me look.");
}

TEST_CASE("a cancelled reply ends with operation_aborted and removes the send", "[gemini][chat]")
{
    mock_options o;
    o.itl = 50ms;   // time to cancel between two chunks
    mock_fixture f(o);
    gemini::chat ch(*f.client, {.model = std::string(model)});
    REQUIRE_FALSE(converse(f.io, ch, "Hello.").ec);
    REQUIRE_FALSE(ch.send("Tell me more."));
    bool first = false;
    ch.async_next([&](std::error_code ec, const gemini::response* chunk) {
        CHECK_FALSE(ec);
        CHECK(chunk != nullptr);
        first = true;
    });
    REQUIRE(pump(f.io, [&] { return first; }));
    asio::cancellation_signal cancel;
    bool done = false;
    std::error_code ec;
    ch.async_next(asio::bind_cancellation_slot(cancel.slot(), [&](std::error_code e, const gemini::response*) {
        ec = e;
        done = true;
    }));
    cancel.emit(asio::cancellation_type::terminal);
    REQUIRE(pump(f.io, [&] { return done; }));
    CHECK(ec == asio::error::operation_aborted);
    CHECK(ch.history().size() == 2);
    CHECK_FALSE(ch.reply_text().empty());   // the first chunk stays readable
}
