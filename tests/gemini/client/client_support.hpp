// Helpers for the client's end-to-end tests: a mock server and a client on one io_context,
// streams drained by coroutines, the io_context pumped until a condition holds.
#pragma once

#include <llmio/gemini/client.hpp>
#include <llmio/testing/manual_clock.hpp>
#include <llmio/testing/mock_server.hpp>

#include "support/catch.hpp"

#include <asio/bind_cancellation_slot.hpp>
#include <asio/cancellation_signal.hpp>
#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/experimental/as_tuple.hpp>
#include <asio/io_context.hpp>
#include <asio/use_awaitable.hpp>

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace client_test {

using namespace std::chrono_literals;
namespace gemini = llmio::gemini;
namespace net = llmio::net;
using llmio::testing::manual_clock;
using llmio::testing::mock_fault;
using llmio::testing::mock_options;
using llmio::testing::mock_server;

inline constexpr auto tuple_awaitable = asio::experimental::as_tuple(asio::use_awaitable);
inline constexpr std::string_view test_key = "AIzaSyTestTestTestTestTestTestTestWXYZ";
inline constexpr std::string_view model = "gemini-2.0-flash";

inline gemini::generate_content_request prompt(std::string text = "Write a haiku about sockets.")
{
    gemini::generate_content_request r;
    r.contents.push_back({.role = gemini::role::user, .parts = {gemini::content_part::from_text(std::move(text))}});
    return r;
}

/// Client options for `server`: its base URL, its certificate, no proxy, the test key.
inline gemini::client_options options_for(const mock_server& server)
{
    gemini::client_options o;
    o.api_key = std::string(test_key);
    o.base_url = server.base_url();
    o.pool.proxy = net::proxy_settings{};
    if (server.options().tls) {
        o.tls = {.system_trust = false, .ca_pem = std::string(server.ca_certificate_pem())};
    }
    o.retry.random = [] { return 0.5; };
    return o;
}

/// What draining one stream gave.
struct outcome {
    bool done = false;
    std::error_code ec;
    std::string text;             // chunk_text() of every chunk, joined
    std::size_t chunks = 0;
    std::string message;          // error_message()
    int attempts = 0;
    gemini::finish_reason finish = gemini::finish_reason::none;
    std::optional<gemini::usage_metadata> usage;
};

inline asio::awaitable<void> drain(gemini::stream& s, outcome& out)
{
    for (;;) {
        auto [ec, chunk] = co_await s.async_next(tuple_awaitable);
        if (ec) {
            out.ec = ec;
            break;
        }
        if (chunk == nullptr) {
            break;
        }
        out.text.append(s.chunk_text());
        ++out.chunks;
    }
    out.message = s.error_message();
    out.attempts = s.attempts();
    out.finish = s.finish_reason();
    out.usage = s.usage();
    out.done = true;
}

/// Starts draining `s` (already started) on `io`.
inline void spawn_drain(asio::io_context& io, gemini::stream& s, outcome& out)
{
    asio::co_spawn(io, drain(s, out), [](std::exception_ptr e) {
        if (e) {
            std::rethrow_exception(e);
        }
    });
}

/// Runs `io` in short slices until `done()` or `bound` of real time.
template <class Done>
bool pump(asio::io_context& io, Done done, std::chrono::milliseconds bound = 20s)
{
    const auto end = std::chrono::steady_clock::now() + bound;
    while (!done() && std::chrono::steady_clock::now() < end) {
        io.restart();
        io.run_for(2ms);
    }
    return done();
}

/// Lets everything that can run without the manual clock moving run.
inline void settle(asio::io_context& io)
{
    for (int i = 0; i < 10; ++i) {
        io.restart();
        io.run_for(5ms);
    }
}

/// Streams `request` once and waits for the end.
inline outcome stream_once(asio::io_context& io, gemini::client& c, const gemini::generate_content_request& request,
                           gemini::call_options call = {}, std::string_view m = model)
{
    gemini::stream s(c);
    outcome out;
    const std::error_code start = s.start(m, request, call);
    if (start) {
        out.ec = start;
        out.done = true;
        return out;
    }
    spawn_drain(io, s, out);
    REQUIRE(pump(io, [&] { return out.done; }));
    return out;
}

/// The mock's expected text for the default prompt.
inline std::string expected_text(const mock_server& server, const gemini::generate_content_request& request)
{
    std::string body;
    gemini::request_encoder enc;
    REQUIRE_FALSE(enc.encode(request, body));
    return mock_server::expected_text(body, server.options());
}

} // namespace client_test
