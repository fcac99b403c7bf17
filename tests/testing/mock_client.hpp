// A client in miniature for the mock server's tests: it writes a request on a plain or TLS
// socket and feeds every byte it reads to llmio's own parsers (gemini::http_stream for streams,
// http::response_parser for everything else), keeping copies of what the tests assert on.
#ifndef LLMIO_TESTS_TESTING_MOCK_CLIENT_HPP
#define LLMIO_TESTS_TESTING_MOCK_CLIENT_HPP

#include <llmio/gemini/http_stream.hpp>
#include <llmio/http/response_parser.hpp>
#include <llmio/testing/mock_server.hpp>

#include "support/catch.hpp"

#include <simdjson.h>

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/experimental/as_tuple.hpp>
#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/read.hpp>
#include <asio/steady_timer.hpp>
#include <asio/this_coro.hpp>
#include <asio/use_awaitable.hpp>
#include <asio/write.hpp>

#include <array>
#include <chrono>
#include <cstdint>
#include <exception>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mock_test {

using namespace std::chrono_literals;
namespace gemini = llmio::gemini;
namespace http = llmio::http;
using llmio::testing::mock_fault;
using llmio::testing::mock_options;
using llmio::testing::mock_server;
using clock_type = std::chrono::steady_clock;

inline constexpr auto tuple_awaitable = asio::experimental::as_tuple(asio::use_awaitable);

inline constexpr std::string_view prompt_body =
    R"({"contents":[{"role":"user","parts":[{"text":"Write a haiku about sockets."}]}]})";
inline constexpr std::string_view stream_target = "/v1beta/models/gemini-2.0-flash:streamGenerateContent?alt=sse";
inline constexpr std::string_view test_key = "AIzaSyMockMockMockMockMockMockMockMock1";

/// Runs `make()` (a coroutine) against `server` on `io`; stops the server when it ends so
/// io.run_for() returns; rethrows what the coroutine threw. The 20 s bound only catches a
/// hang: every test finishes far sooner.
template <class Make>
void run(asio::io_context& io, mock_server& server, Make make)
{
    std::exception_ptr failure;
    bool finished = false;
    asio::co_spawn(io, make(), [&](std::exception_ptr e) {
        failure = e;
        finished = true;
        server.stop();
    });
    io.run_for(20s);
    REQUIRE(finished);
    if (failure) {
        std::rethrow_exception(failure);
    }
}

/// A request as a client writes it; `extra` holds whole field lines ("Name: value\r\n").
inline std::string request(std::string_view method, std::string_view target, std::string_view body = {},
                           std::string_view extra = {}, std::string_view key = test_key)
{
    std::string r;
    r.append(method).append(" ").append(target).append(" HTTP/1.1\r\nHost: 127.0.0.1\r\n");
    if (!key.empty()) {
        r.append("x-goog-api-key: ").append(key).append("\r\n");
    }
    r.append(extra);
    if (method == "POST") {
        r.append("Content-Type: application/json\r\nContent-Length: ").append(std::to_string(body.size())).append("\r\n");
    }
    return r.append("\r\n").append(body);
}

inline std::string stream_request(std::string_view extra = {}, std::string_view key = test_key)
{
    return request("POST", stream_target, prompt_body, extra, key);
}

inline std::string fault_header(mock_fault f)
{
    return "x-llmio-mock-fault: " + std::string(llmio::testing::to_string(f)) + "\r\n";
}

inline asio::awaitable<asio::ip::tcp::socket> connect(asio::ip::tcp::endpoint at)
{
    asio::ip::tcp::socket s(co_await asio::this_coro::executor);
    co_await s.async_connect(at, asio::use_awaitable);
    co_return s;
}

/// What a streamed exchange produced, copied out of the decoder's views.
struct stream_result {
    int status = 0;
    std::string content_type;
    std::vector<std::string> texts;   ///< per chunk
    std::string text;                 ///< all of them
    std::string finish;               ///< the last finishReason seen
    std::optional<gemini::usage_metadata> usage;
    std::error_code ec;               ///< the error http_stream reported, if any
    bool done = false;                ///< the response ended well
    bool keep_alive = false;
    bool closed = false;              ///< the server closed the connection
    // The envelope, when `ec` came from one.
    std::int64_t api_code = 0;
    std::string api_status;
    std::string api_message;
    std::string api_reason;
    std::optional<std::chrono::nanoseconds> retry_delay;
    std::optional<std::int64_t> quota_value;
    clock_type::duration first_chunk_after{};   ///< from the request's write to the first chunk
    clock_type::duration elapsed{};
};

inline void record_error(stream_result& out, const gemini::http_stream& hs, std::error_code ec)
{
    out.ec = ec;
    const gemini::api_error& a = hs.api();
    out.api_code = a.code;
    out.api_status = std::string(a.status);
    out.api_message = std::string(a.message);
    out.api_reason = std::string(a.reason);
    out.retry_delay = a.retry_delay;
    if (!a.violations.empty()) {
        out.quota_value = a.violations.front().quota_value;
    }
}

inline void record_chunk(stream_result& out, const gemini::http_stream& hs, clock_type::time_point t0)
{
    const gemini::response& r = hs.chunk();
    std::string t;
    r.for_each_text([&](std::string_view s) { t += s; });
    if (out.texts.empty()) {
        out.first_chunk_after = clock_type::now() - t0;
    }
    out.texts.push_back(t);
    out.text += t;
    if (!r.candidates.empty() && r.candidates.front().finish != gemini::finish_reason::none) {
        out.finish = std::string(gemini::to_string(r.candidates.front().finish));
    }
    if (r.usage) {
        out.usage = *r.usage;
    }
}

/// Writes `req` and decodes the response with `hs` until it is done, fails, or the server
/// closes. `carry` holds bytes read past the response (the next one's), in and out.
template <class Stream>
asio::awaitable<stream_result> stream_exchange(Stream& s, std::string req, gemini::http_stream& hs, std::string& carry)
{
    stream_result out;
    const auto t0 = clock_type::now();
    co_await asio::async_write(s, asio::buffer(req), asio::use_awaitable);
    std::string buf = std::move(carry);
    carry.clear();
    std::array<char, 4096> tmp;
    for (;;) {
        for (;;) {
            std::error_code ec;
            const auto r = hs.put(buf, ec);
            buf.erase(0, r.consumed);
            if (ec) {
                record_error(out, hs, ec);
                out.elapsed = clock_type::now() - t0;
                // An error response read whole leaves the connection usable, as a transport
                // would use it: ready for the next response.
                if (hs.http().done() && hs.http().keep_alive()) {
                    out.keep_alive = true;
                    hs.next_response();
                    carry = std::move(buf);
                } else {
                    hs.reset();
                }
                co_return out;
            }
            if (r.what == gemini::http_stream::step::head) {
                out.status = hs.status();
                out.content_type = std::string(hs.http().header("content-type"));
            } else if (r.what == gemini::http_stream::step::chunk) {
                record_chunk(out, hs, t0);
            } else if (r.what == gemini::http_stream::step::done) {
                out.done = true;
                out.keep_alive = hs.http().keep_alive();
                hs.next_response();
                carry = std::move(buf);
                out.elapsed = clock_type::now() - t0;
                co_return out;
            } else {
                break;
            }
        }
        auto [ec, n] = co_await s.async_read_some(asio::buffer(tmp), tuple_awaitable);
        if (ec) {
            // Closed (a TLS close without close_notify reads as stream_truncated: the same here).
            out.closed = true;
            for (;;) {
                std::error_code e;
                const auto r = hs.put_eof(e);
                if (e) {
                    record_error(out, hs, e);
                } else if (r.what == gemini::http_stream::step::chunk) {
                    record_chunk(out, hs, t0);
                    continue;
                } else if (r.what == gemini::http_stream::step::done) {
                    out.done = true;
                }
                break;
            }
            out.elapsed = clock_type::now() - t0;
            co_return out;
        }
        buf.append(tmp.data(), n);
    }
}

/// A whole response read with http::response_parser.
struct unary_result {
    int status = 0;
    std::string content_type;
    std::string body;
    bool done = false;
    bool keep_alive = false;
    bool chunked = false;
    bool closed = false;
    std::error_code ec;
};

template <class Stream>
asio::awaitable<unary_result> unary_exchange(Stream& s, std::string req, http::response_parser& p, std::string& carry)
{
    unary_result out;
    if (!req.empty()) {
        co_await asio::async_write(s, asio::buffer(req), asio::use_awaitable);
    }
    std::string buf = std::move(carry);
    carry.clear();
    std::array<char, 4096> tmp;
    for (;;) {
        for (;;) {
            std::error_code ec;
            const auto r = p.put(buf, ec);
            if (r.event == http::parse_event::body) {
                out.body.append(p.body());   // a view into buf: copied before buf changes
            }
            buf.erase(0, r.consumed);
            if (ec) {
                out.ec = ec;
                co_return out;
            }
            if (r.event == http::parse_event::head) {
                out.status = p.status();
                out.content_type = std::string(p.header("content-type"));
                out.chunked = p.body_framing() == http::framing::chunked;
            } else if (r.event == http::parse_event::message_done) {
                out.done = true;
                out.keep_alive = p.keep_alive();
                carry = std::move(buf);
                co_return out;
            } else if (r.event == http::parse_event::need_more) {
                break;
            }
        }
        auto [ec, n] = co_await s.async_read_some(asio::buffer(tmp), tuple_awaitable);
        if (ec) {
            out.closed = true;
            out.ec = p.put_eof();
            out.done = p.done();
            co_return out;
        }
        buf.append(tmp.data(), n);
    }
}

/// Reads until the peer closes; true when it did (false: bytes came instead).
template <class Stream>
asio::awaitable<bool> closed_by_peer(Stream& s)
{
    std::array<char, 256> tmp;
    auto [ec, n] = co_await s.async_read_some(asio::buffer(tmp), tuple_awaitable);
    co_return ec && n == 0;
}

// Each `data: ` event of an SSE body, split on `separator`.
inline std::vector<std::string> sse_events(std::string_view body, std::string_view separator)
{
    std::vector<std::string> events;
    while (!body.empty()) {
        const std::size_t end = body.find(separator);
        REQUIRE(end != std::string_view::npos);
        events.emplace_back(body.substr(0, end));
        body.remove_prefix(end + separator.size());
    }
    return events;
}

// Every event of an SSE body but the last must be, byte for byte, what the JSON writer makes of
// the values it carries: the mock writes those events once per request around their text and
// splices each text in (request_handler::make_event_template). `chat`: OpenAI chunks framed
// with LF LF and ended by [DONE]; else Gemini chunks framed with CRLF CRLF. Returns how many
// events were compared.
inline std::size_t check_events_before_last(std::string_view body, bool chat)
{
    namespace d = llmio::testing::detail;
    std::vector<std::string> events = sse_events(body, chat ? "\n\n" : "\r\n\r\n");
    if (chat) {
        REQUIRE(!events.empty());
        CHECK(events.back() == "data: [DONE]");
        events.pop_back();
    }
    simdjson::dom::parser parser;
    std::size_t compared = 0;
    for (std::size_t i = 0; i + 1 < events.size(); ++i) {
        REQUIRE(events[i].substr(0, 6) == "data: ");
        const std::string json(events[i].substr(6));
        simdjson::dom::element doc;
        REQUIRE(parser.parse(json).get(doc) == simdjson::SUCCESS);
        std::string rebuilt;
        llmio::json::writer w(rebuilt);
        std::string_view text;
        std::string_view model;
        std::string_view id;
        if (chat) {
            std::int64_t created = 0;
            REQUIRE(doc.at_pointer("/choices/0/delta/content").get(text) == simdjson::SUCCESS);
            REQUIRE(doc["model"].get(model) == simdjson::SUCCESS);
            REQUIRE(doc["id"].get(id) == simdjson::SUCCESS);
            REQUIRE(doc["created"].get(created) == simdjson::SUCCESS);
            d::write_chat_completion(w, text, false, false, d::usage_counts{}, model, id, created);
        } else {
            std::int64_t prompt = 0;
            REQUIRE(doc.at_pointer("/candidates/0/content/parts/0/text").get(text) == simdjson::SUCCESS);
            REQUIRE(doc["modelVersion"].get(model) == simdjson::SUCCESS);
            REQUIRE(doc["responseId"].get(id) == simdjson::SUCCESS);
            REQUIRE(doc.at_pointer("/usageMetadata/promptTokenCount").get(prompt) == simdjson::SUCCESS);
            d::write_generate_response(w, text, d::candidate_extras{}, d::usage_counts{prompt, 0}, model, id);
        }
        REQUIRE(w.complete());
        CHECK(json == rebuilt);
        ++compared;
    }
    return compared;
}

} // namespace mock_test

#endif // LLMIO_TESTS_TESTING_MOCK_CLIENT_HPP
