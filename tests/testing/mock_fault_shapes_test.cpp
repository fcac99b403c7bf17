// llmio::testing::mock_server: the faults a client's end-to-end tests need beyond the basic
// ones (the 403s, the payload 400, 504, the front end's 502 page, Retry-After, a blocked prompt,
// safety and recitation finishes), each decoded by llmio's own decoders into the typed error
// the real answer gives.
#include "mock_client.hpp"

#include <llmio/gemini/chunk_decoder.hpp>
#include <llmio/gemini/content_error.hpp>

#include <algorithm>

using namespace mock_test;

namespace {

constexpr std::string_view unary_target = "/v1beta/models/gemini-2.0-flash:generateContent";

mock_options shape_options()
{
    mock_options o;
    o.api_key = std::string(test_key);
    o.events = 3;
    o.words_per_event = 2;
    return o;
}

// One request on a fresh connection, read whole with http::response_parser; `retry_after` is
// the response's Retry-After field ("" when absent).
struct raw_answer {
    unary_result r;
    std::string retry_after;
    bool has_retry_after = false;
};

raw_answer raw_with(mock_fault fault, std::string_view target = unary_target, mock_options o = shape_options())
{
    asio::io_context io;
    mock_server server(io.get_executor(), std::move(o));
    const auto at = server.start();
    raw_answer out;
    run(io, server, [&]() -> asio::awaitable<void> {
        auto s = co_await connect(at);
        http::response_parser p;
        std::string carry;
        out.r = co_await unary_exchange(s, request("POST", target, prompt_body, fault_header(fault)), p, carry);
        out.retry_after = std::string(p.header("retry-after"));
        out.has_retry_after = !out.retry_after.empty();
    });
    CHECK(server.counters().fault(fault) == 1);
    return out;
}

// The same fault on the streaming endpoint, through gemini::http_stream.
stream_result stream_with(mock_fault fault, mock_options o = shape_options())
{
    asio::io_context io;
    mock_server server(io.get_executor(), std::move(o));
    const auto at = server.start();
    stream_result r;
    run(io, server, [&]() -> asio::awaitable<void> {
        auto s = co_await connect(at);
        gemini::http_stream hs;
        std::string carry;
        r = co_await stream_exchange(s, stream_request(fault_header(fault)), hs, carry);
    });
    CHECK(server.counters().fault(fault) == 1);
    CHECK(server.counters().faults_injected == 1);
    return r;
}

} // namespace

TEST_CASE("permission_denied: 403 PERMISSION_DENIED for a suspended consumer, the key not echoed",
          "[testing][mock][fault]")
{
    const stream_result s = stream_with(mock_fault::permission_denied);
    CHECK(s.status == 403);
    CHECK(s.ec == gemini::error::permission_denied);
    CHECK(s.ec == llmio::condition::auth);
    CHECK(s.api_status == "PERMISSION_DENIED");
    CHECK(s.api_reason == "CONSUMER_SUSPENDED");
    CHECK(s.api_message.find("Permission denied: Consumer 'api_key:") == 0);
    CHECK(s.api_message.find("has been suspended.") != std::string::npos);

    const raw_answer u = raw_with(mock_fault::permission_denied);
    CHECK(u.r.status == 403);
    CHECK(u.r.content_type == "application/json; charset=UTF-8");
    CHECK(u.r.body.find(test_key) == std::string::npos);   // never the key, in no field
    gemini::chunk_decoder d;
    CHECK(d.decode_error_body(u.r.status, u.r.body) == gemini::error::permission_denied);
    CHECK(d.api().domain == "googleapis.com");
}

TEST_CASE("api_not_enabled: 403 with ErrorInfo SERVICE_DISABLED and the activation link", "[testing][mock][fault]")
{
    const stream_result s = stream_with(mock_fault::api_not_enabled);
    CHECK(s.status == 403);
    CHECK(s.ec == gemini::error::api_not_enabled);
    CHECK(s.api_reason == "SERVICE_DISABLED");
    CHECK(s.api_status == "PERMISSION_DENIED");

    const raw_answer u = raw_with(mock_fault::api_not_enabled);
    gemini::chunk_decoder d;
    CHECK(d.decode_error_body(u.r.status, u.r.body) == gemini::error::api_not_enabled);
    CHECK(d.api().code == 403);
    CHECK(d.api().domain == "googleapis.com");
    CHECK(d.api().help_url.find("https://console.developers.google.com/apis/api/generativelanguage.googleapis.com/") ==
          0);
    CHECK(d.api().message.find("Generative Language API has not been used in project") == 0);
    // Pretty-printed as the service prints it: the Help detail comes first, as in the fixture.
    CHECK(u.r.body.find("\"@type\": \"type.googleapis.com/google.rpc.Help\"") <
          u.r.body.find("\"@type\": \"type.googleapis.com/google.rpc.ErrorInfo\""));
}

TEST_CASE("invalid_argument and gateway_timeout: 400 INVALID_ARGUMENT and 504 DEADLINE_EXCEEDED",
          "[testing][mock][fault]")
{
    const stream_result bad = stream_with(mock_fault::invalid_argument);
    CHECK(bad.status == 400);
    CHECK(bad.ec == gemini::error::invalid_argument);
    CHECK(bad.api_status == "INVALID_ARGUMENT");
    CHECK(bad.api_message.find("Invalid JSON payload received. Unknown name") == 0);
    CHECK_FALSE(bad.ec == llmio::condition::retryable);

    const raw_answer u = raw_with(mock_fault::invalid_argument);
    CHECK(u.r.body.find("type.googleapis.com/google.rpc.BadRequest") != std::string::npos);
    CHECK(u.r.body.find("\"fieldViolations\"") != std::string::npos);

    const stream_result late = stream_with(mock_fault::gateway_timeout);
    CHECK(late.status == 504);
    CHECK(late.ec == gemini::error::deadline_exceeded);
    CHECK(late.api_status == "DEADLINE_EXCEEDED");
    CHECK(late.api_code == 504);
    CHECK(late.ec == llmio::condition::retryable);
}

TEST_CASE("bad_gateway: 502 with an HTML page, classified from the status", "[testing][mock][fault]")
{
    const stream_result s = stream_with(mock_fault::bad_gateway);
    CHECK(s.status == 502);
    CHECK(s.content_type == "text/html; charset=UTF-8");
    CHECK(s.ec == gemini::error::internal);
    CHECK(s.ec == llmio::condition::retryable);
    CHECK(s.api_status.empty());   // no envelope
    CHECK(s.keep_alive);           // the body is framed: the connection stays usable

    const raw_answer u = raw_with(mock_fault::bad_gateway);
    CHECK(u.r.status == 502);
    CHECK(u.r.body.find("<!DOCTYPE html>") == 0);
    CHECK(u.r.body.find("502.") != std::string::npos);
    gemini::chunk_decoder d;
    CHECK(d.decode_error_body(u.r.status, u.r.body) == gemini::error::internal);
    CHECK(d.api().http_status == 502);
    CHECK(d.api().status.empty());   // not an envelope: the start of the page is the message
    CHECK(d.api().message.find("<!DOCTYPE html>") == 0);
}

TEST_CASE("retry_after: 503 UNAVAILABLE with Retry-After and no RetryInfo", "[testing][mock][fault]")
{
    const raw_answer u = raw_with(mock_fault::retry_after);
    CHECK(u.r.status == 503);
    REQUIRE(u.has_retry_after);
    CHECK(u.retry_after == "3");   // the default
    CHECK(u.r.body.find("RetryInfo") == std::string::npos);
    gemini::chunk_decoder d;
    CHECK(d.decode_error_body(u.r.status, u.r.body) == gemini::error::unavailable);
    CHECK_FALSE(d.api().retry_delay.has_value());

    mock_options o = shape_options();
    o.retry_after = std::chrono::seconds(17);
    const raw_answer seventeen = raw_with(mock_fault::retry_after, stream_target, o);
    CHECK(seventeen.r.status == 503);
    CHECK(seventeen.retry_after == "17");

    const stream_result s = stream_with(mock_fault::retry_after);
    CHECK(s.ec == gemini::error::unavailable);
    CHECK_FALSE(s.retry_delay.has_value());

    // Other answers carry no Retry-After.
    CHECK_FALSE(raw_with(mock_fault::unavailable).has_retry_after);
}

TEST_CASE("prompt_blocked: one event with promptFeedback and usage, no candidates; the same unary",
          "[testing][mock][fault][content]")
{
    const stream_result s = stream_with(mock_fault::prompt_blocked);
    CHECK(s.status == 200);
    CHECK(s.content_type == "text/event-stream");
    CHECK(s.texts.size() == 1);   // the one chunk, with no text
    CHECK(s.text.empty());
    CHECK(s.finish.empty());
    CHECK(s.ec == gemini::error::prompt_blocked);   // reported when the stream ends
    REQUIRE(s.usage.has_value());
    CHECK(s.usage->prompt == mock_server::prompt_tokens(prompt_body));
    CHECK(s.usage->total == s.usage->prompt);

    const raw_answer u = raw_with(mock_fault::prompt_blocked);
    CHECK(u.r.status == 200);
    gemini::chunk_decoder d;
    REQUIRE_FALSE(d.decode(u.r.body));
    const gemini::response& r = d.get();
    CHECK(r.candidates.empty());
    REQUIRE(r.feedback.has_value());
    CHECK(r.feedback->block == gemini::block_reason::safety);
    CHECK(r.feedback->safety_ratings.size() == 4);
    CHECK(std::any_of(r.feedback->safety_ratings.begin(), r.feedback->safety_ratings.end(),
                      [](const gemini::safety_rating& x) { return x.probability == "HIGH"; }));
    REQUIRE(r.usage.has_value());
    CHECK(r.usage->prompt == mock_server::prompt_tokens(prompt_body));
    CHECK(gemini::content_error(r) == gemini::error::prompt_blocked);
}

TEST_CASE("finish_safety: the text events, the last SAFETY with one blocked rating", "[testing][mock][fault][content]")
{
    const mock_options o = shape_options();
    const stream_result s = stream_with(mock_fault::finish_safety);
    CHECK(s.status == 200);
    CHECK(s.texts.size() == 3);
    CHECK(s.text == mock_server::expected_text(prompt_body, o));   // the partial output came first
    CHECK(s.finish == "SAFETY");
    CHECK(s.ec == gemini::error::finish_safety);

    const raw_answer u = raw_with(mock_fault::finish_safety);
    gemini::chunk_decoder d;
    REQUIRE_FALSE(d.decode(u.r.body));
    const gemini::response& r = d.get();
    REQUIRE(r.candidates.size() == 1);
    const gemini::candidate& c = r.candidates.front();
    CHECK(c.finish == gemini::finish_reason::safety);
    REQUIRE(c.parts.size() == 1);
    CHECK(c.parts.front().text == mock_server::expected_text(prompt_body, o));
    CHECK(c.safety_ratings.size() == 4);
    CHECK(std::count_if(c.safety_ratings.begin(), c.safety_ratings.end(),
                        [](const gemini::safety_rating& x) { return x.blocked; }) == 1);
    CHECK(gemini::content_error(r) == gemini::error::finish_safety);
}

TEST_CASE("finish_recitation: the text events, the last RECITATION with citationMetadata",
          "[testing][mock][fault][content]")
{
    const mock_options o = shape_options();
    const std::string text = mock_server::expected_text(prompt_body, o);
    const stream_result s = stream_with(mock_fault::finish_recitation);
    CHECK(s.texts.size() == 3);
    CHECK(s.text == text);
    CHECK(s.finish == "RECITATION");
    CHECK(s.ec == gemini::error::finish_recitation);

    const raw_answer u = raw_with(mock_fault::finish_recitation);
    gemini::chunk_decoder d;
    REQUIRE_FALSE(d.decode(u.r.body));
    const gemini::candidate& c = d.get().candidates.front();
    CHECK(c.finish == gemini::finish_reason::recitation);
    REQUIRE(c.citations.size() == 1);
    CHECK(c.citations.front().start_index == 0);
    CHECK(c.citations.front().end_index == static_cast<std::int64_t>(text.size()));
    CHECK_FALSE(c.citations.front().uri.empty());
    CHECK(gemini::content_error(d.get()) == gemini::error::finish_recitation);
}

TEST_CASE("content faults leave other endpoints alone and are not counted there", "[testing][mock][fault][content]")
{
    asio::io_context io;
    mock_server server(io.get_executor(), shape_options());
    const auto at = server.start();
    unary_result count;
    run(io, server, [&]() -> asio::awaitable<void> {
        auto s = co_await connect(at);
        http::response_parser p;
        std::string carry;
        count = co_await unary_exchange(s,
                                        request("POST", "/v1beta/models/gemini-2.0-flash:countTokens", prompt_body,
                                                fault_header(mock_fault::prompt_blocked)),
                                        p, carry);
    });
    CHECK(count.status == 200);
    CHECK(count.body == R"({"totalTokens":)" + std::to_string(mock_server::prompt_tokens(prompt_body)) + "}");
    CHECK(server.counters().faults_injected == 0);
}

TEST_CASE("every fault has a name that parses back, and the names are distinct", "[testing][mock][fault]")
{
    std::vector<std::string_view> names;
    for (std::size_t i = 0; i < llmio::testing::mock_fault_count; ++i) {
        const auto f = static_cast<mock_fault>(i);
        const std::string_view name = llmio::testing::to_string(f);
        CHECK(name != "unknown");
        CHECK(llmio::testing::parse_mock_fault(name) == f);
        names.push_back(name);
    }
    std::sort(names.begin(), names.end());
    CHECK(std::adjacent_find(names.begin(), names.end()) == names.end());
    CHECK(llmio::testing::to_string(mock_fault::function_call) == "function_call");
    CHECK(llmio::testing::to_string(static_cast<mock_fault>(llmio::testing::mock_fault_count)) == "unknown");
}

TEST_CASE("fault_limit: the server-wide fault for the first N requests, then normal answers", "[testing][mock][fault]")
{
    asio::io_context io;
    mock_options o = shape_options();
    o.fault = mock_fault::retry_after;
    o.fault_limit = 2;
    mock_server server(io.get_executor(), o);
    const auto at = server.start();
    std::string seen;
    run(io, server, [&]() -> asio::awaitable<void> {
        auto s = co_await connect(at);
        gemini::http_stream hs;
        std::string carry;
        for (int i = 0; i < 5; ++i) {
            const stream_result r = co_await stream_exchange(s, stream_request(), hs, carry);
            seen.push_back(r.ec == gemini::error::unavailable ? 'x' : r.done ? '.' : '?');
        }
    });
    CHECK(seen == "xx...");
    CHECK(server.counters().fault(mock_fault::retry_after) == 2);
}
