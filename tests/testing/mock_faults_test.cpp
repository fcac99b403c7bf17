// llmio::testing::mock_server fault injection and quota enforcement: each fault must reach a
// client as the typed error llmio's decoder gives for the real thing.
#include "mock_client.hpp"

#include <asio/experimental/awaitable_operators.hpp>

#include <algorithm>

using namespace mock_test;

namespace {

mock_options fault_options()
{
    mock_options o;
    o.api_key = std::string(test_key);
    o.events = 4;
    o.words_per_event = 2;
    return o;
}

// One streamed request with `fault` asked for in the header, on a fresh connection.
stream_result stream_with(mock_fault fault, mock_options o = fault_options())
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

// The text of the first `n` events of the answer to prompt_body.
std::string first_events(std::size_t n, const mock_options& o = fault_options())
{
    mock_options fewer = o;
    fewer.events = n;
    return mock_server::expected_text(prompt_body, fewer);
}

} // namespace

TEST_CASE("quota faults: 429 with QuotaFailure, RetryInfo and the quota value", "[testing][mock][fault]")
{
    const stream_result minute = stream_with(mock_fault::quota_per_minute);
    CHECK(minute.status == 429);
    CHECK(minute.ec == gemini::error::quota_requests_per_minute);
    CHECK(minute.ec == llmio::condition::retryable);
    REQUIRE(minute.retry_delay.has_value());
    CHECK(*minute.retry_delay == 2s);
    CHECK(minute.quota_value == 15);
    CHECK(minute.api_status == "RESOURCE_EXHAUSTED");

    const stream_result day = stream_with(mock_fault::quota_per_day);
    CHECK(day.ec == gemini::error::quota_requests_per_day);
    CHECK(day.quota_value == 1500);

    const stream_result tokens = stream_with(mock_fault::quota_input_tokens);
    CHECK(tokens.ec == gemini::error::quota_input_tokens_per_minute);
    CHECK(tokens.quota_value == 1000000);
}

TEST_CASE("error faults: 500, 503, API_KEY_INVALID, location, 429 labelled as SSE", "[testing][mock][fault]")
{
    const stream_result internal = stream_with(mock_fault::internal);
    CHECK(internal.status == 500);
    CHECK(internal.ec == gemini::error::internal);

    const stream_result unavailable = stream_with(mock_fault::unavailable);
    CHECK(unavailable.status == 503);
    CHECK(unavailable.ec == gemini::error::unavailable);
    CHECK(unavailable.api_message == "The model is overloaded. Please try again later.");

    const stream_result key = stream_with(mock_fault::api_key_invalid);
    CHECK(key.status == 400);
    CHECK(key.ec == gemini::error::api_key_invalid);

    const stream_result location = stream_with(mock_fault::location);
    CHECK(location.status == 400);
    CHECK(location.ec == gemini::error::location_not_supported);

    const stream_result sse = stream_with(mock_fault::error_status_sse);
    CHECK(sse.status == 429);
    CHECK(sse.content_type == "text/event-stream");
    CHECK(sse.ec == gemini::error::quota_requests_per_minute);
}

TEST_CASE("mid-stream errors: the raw envelope and the data: envelope after two events", "[testing][mock][fault]")
{
    const stream_result raw = stream_with(mock_fault::error_mid_stream_raw);
    CHECK(raw.status == 200);
    CHECK(raw.ec == gemini::error::cancelled);
    CHECK(raw.api_code == 499);
    CHECK(raw.texts.size() == 2);
    CHECK(raw.text == first_events(2));
    CHECK(raw.finish.empty());

    const stream_result data = stream_with(mock_fault::error_mid_stream_data);
    CHECK(data.ec == gemini::error::unavailable);
    CHECK(data.texts.size() == 2);
    CHECK(data.text == first_events(2));
}

TEST_CASE("broken framing: disconnect and truncated_chunked are truncations with the partial text", "[testing][mock][fault]")
{
    const stream_result cut = stream_with(mock_fault::disconnect);
    CHECK(cut.closed);
    CHECK(cut.ec == http::error::eof_in_chunked);
    CHECK(cut.ec == llmio::condition::truncated);
    CHECK(cut.texts.size() == 2);
    CHECK(cut.text == first_events(2));

    const stream_result truncated = stream_with(mock_fault::truncated_chunked);
    CHECK(truncated.closed);
    CHECK(truncated.ec == http::error::eof_in_chunked);
    CHECK(truncated.texts.size() == 4);   // every event came, STOP too: the framing still failed
    CHECK(truncated.finish == "STOP");
    CHECK(truncated.text == mock_server::expected_text(prompt_body, fault_options()));
}

TEST_CASE("malformed_json: one event, then one the decoder rejects", "[testing][mock][fault]")
{
    const stream_result r = stream_with(mock_fault::malformed_json);
    CHECK(r.ec == gemini::error::malformed_response);
    CHECK(r.texts.size() == 1);
}

TEST_CASE("slow_head: a head written a byte at a time still decodes", "[testing][mock][fault]")
{
    mock_options o = fault_options();
    o.slow_head_delay = 1ms;
    const stream_result r = stream_with(mock_fault::slow_head, o);
    CHECK(r.done);
    CHECK_FALSE(r.ec);
    CHECK(r.text == mock_server::expected_text(prompt_body, o));
    CHECK(r.elapsed >= 50ms);   // the head is well over 50 bytes, each followed by 1 ms
}

TEST_CASE("faults on unary bodies: short body, cut chunked body, cut JSON", "[testing][mock][fault]")
{
    asio::io_context io;
    mock_server server(io.get_executor(), fault_options());
    const auto at = server.start();
    std::vector<unary_result> rs;
    run(io, server, [&]() -> asio::awaitable<void> {
        const std::string target = "/v1beta/models/gemini-2.0-flash:generateContent";
        for (const mock_fault f : {mock_fault::disconnect, mock_fault::truncated_chunked, mock_fault::malformed_json}) {
            auto s = co_await connect(at);
            http::response_parser p;
            std::string carry;
            rs.push_back(co_await unary_exchange(s, request("POST", target, prompt_body, fault_header(f)), p, carry));
        }
    });
    REQUIRE(rs.size() == 3);
    CHECK(rs[0].ec == http::error::short_body);
    CHECK(rs[1].ec == http::error::eof_in_chunked);
    CHECK(rs[2].done);
    CHECK(rs[2].body.back() != '}');
}

TEST_CASE("stall: the head and one event, then nothing until the client leaves or stop()", "[testing][mock][fault]")
{
    asio::io_context io;
    mock_server server(io.get_executor(), fault_options());
    const auto at = server.start();
    int chunks = 0;
    bool quiet = false;
    std::size_t open_before = 0;
    std::size_t open_after = 0;
    run(io, server, [&]() -> asio::awaitable<void> {
        auto s = co_await connect(at);
        const std::string req = stream_request(fault_header(mock_fault::stall));
        co_await asio::async_write(s, asio::buffer(req), asio::use_awaitable);
        gemini::http_stream hs;
        std::string buf;
        std::array<char, 4096> tmp;
        while (chunks == 0) {
            const std::size_t n = co_await s.async_read_some(asio::buffer(tmp), asio::use_awaitable);
            buf.append(tmp.data(), n);
            for (;;) {
                std::error_code ec;
                const auto r = hs.put(buf, ec);
                buf.erase(0, r.consumed);
                REQUIRE_FALSE(ec);
                chunks += r.what == gemini::http_stream::step::chunk;
                if (r.what == gemini::http_stream::step::need_more) {
                    break;
                }
            }
        }
        // Nothing more comes: the read is still pending when a 100 ms timer fires.
        using namespace asio::experimental::awaitable_operators;
        asio::steady_timer t(co_await asio::this_coro::executor, 100ms);
        const auto first = co_await (s.async_read_some(asio::buffer(tmp), tuple_awaitable) ||
                                     t.async_wait(tuple_awaitable));
        quiet = first.index() == 1;
        open_before = server.open_connections();
        s.close();
        // The server notices the close and lets the connection go.
        for (int i = 0; i < 200 && server.open_connections() != 0; ++i) {
            t.expires_after(5ms);
            co_await t.async_wait(tuple_awaitable);
        }
        open_after = server.open_connections();
    });
    CHECK(chunks == 1);
    CHECK(quiet);
    CHECK(open_before == 1);
    CHECK(open_after == 0);
}

TEST_CASE("close_after: the Nth response on a connection says Connection: close and closes", "[testing][mock][fault]")
{
    asio::io_context io;
    mock_options o = fault_options();
    o.fault = mock_fault::close_after;
    o.close_after_requests = 2;
    mock_server server(io.get_executor(), o);
    const auto at = server.start();
    stream_result first;
    stream_result second;
    bool closed = false;
    run(io, server, [&]() -> asio::awaitable<void> {
        auto s = co_await connect(at);
        gemini::http_stream hs;
        std::string carry;
        first = co_await stream_exchange(s, stream_request(), hs, carry);
        second = co_await stream_exchange(s, stream_request(), hs, carry);
        closed = co_await closed_by_peer(s);
    });
    CHECK(first.done);
    CHECK(first.keep_alive);
    CHECK(second.done);
    CHECK_FALSE(second.keep_alive);
    CHECK(closed);
    CHECK(server.counters().fault(mock_fault::close_after) == 1);
}

TEST_CASE("faults chosen by query parameter, by rate with a seed, and unknown names", "[testing][mock][fault]")
{
    // ?fault=NAME works like the header.
    {
        asio::io_context io;
        mock_server server(io.get_executor(), fault_options());
        const auto at = server.start();
        stream_result r;
        stream_result unknown;
        run(io, server, [&]() -> asio::awaitable<void> {
            auto s = co_await connect(at);
            gemini::http_stream hs;
            std::string carry;
            r = co_await stream_exchange(
                s, request("POST", std::string(stream_target) + "&fault=unavailable", prompt_body), hs, carry);
            unknown = co_await stream_exchange(s, stream_request("x-llmio-mock-fault: nonsense\r\n"), hs, carry);
        });
        CHECK(r.ec == gemini::error::unavailable);
        CHECK(unknown.status == 400);
        CHECK(unknown.ec == gemini::error::invalid_argument);
    }
    // A rate draws from the seeded generator: the same seed gives the same sequence.
    const auto sequence = [](std::uint32_t seed) {
        asio::io_context io;
        mock_options o = fault_options();
        o.fault = mock_fault::unavailable;
        o.fault_rate = 0.5;
        o.seed = seed;
        mock_server server(io.get_executor(), o);
        const auto at = server.start();
        std::string seen;
        run(io, server, [&]() -> asio::awaitable<void> {
            auto s = co_await connect(at);
            gemini::http_stream hs;
            std::string carry;
            for (int i = 0; i < 24; ++i) {
                const stream_result r = co_await stream_exchange(s, stream_request(), hs, carry);
                seen.push_back(r.ec == gemini::error::unavailable ? 'x' : r.done ? '.' : '?');
            }
        });
        CHECK(server.counters().faults_injected == static_cast<std::uint64_t>(std::count(seen.begin(), seen.end(), 'x')));
        return seen;
    };
    const std::string a = sequence(7);
    CHECK(a == sequence(7));
    CHECK(a.find('?') == std::string::npos);
    CHECK(a.find('x') != std::string::npos);
    CHECK(a.find('.') != std::string::npos);
}

TEST_CASE("rpm and rpd enforcement: the request past the limit gets the proper 429", "[testing][mock][quota]")
{
    const auto run_limited = [](mock_options o, int requests) {
        asio::io_context io;
        mock_server server(io.get_executor(), std::move(o));
        const auto at = server.start();
        std::vector<stream_result> rs;
        run(io, server, [&]() -> asio::awaitable<void> {
            // Over two connections: the quota belongs to the server, not to a connection.
            auto a = co_await connect(at);
            auto b = co_await connect(at);
            gemini::http_stream hs;
            std::string carry_a;
            std::string carry_b;
            for (int i = 0; i < requests; ++i) {
                // Not `cond ? co_await x : co_await y`: g++ 12 miscompiles co_await in one.
                if (i % 2 == 0) {
                    rs.push_back(co_await stream_exchange(a, stream_request(), hs, carry_a));
                } else {
                    rs.push_back(co_await stream_exchange(b, stream_request(), hs, carry_b));
                }
            }
        });
        CHECK(server.counters().rate_limited == 1);
        return rs;
    };
    mock_options rpm = fault_options();
    rpm.rpm = 3;
    const std::vector<stream_result> per_minute = run_limited(rpm, 4);
    for (int i = 0; i < 3; ++i) {
        CHECK(per_minute[i].done);
    }
    CHECK(per_minute[3].status == 429);
    CHECK(per_minute[3].ec == gemini::error::quota_requests_per_minute);
    CHECK(per_minute[3].quota_value == 3);
    REQUIRE(per_minute[3].retry_delay.has_value());
    CHECK(*per_minute[3].retry_delay > 0s);
    CHECK(*per_minute[3].retry_delay <= 60s);

    mock_options rpd = fault_options();
    rpd.rpd = 2;
    const std::vector<stream_result> per_day = run_limited(rpd, 3);
    CHECK(per_day[1].done);
    CHECK(per_day[2].ec == gemini::error::quota_requests_per_day);
    CHECK(per_day[2].quota_value == 2);
}
