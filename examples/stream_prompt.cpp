// llmio-demo: one streamed prompt through gemini::client, printed as it arrives, then its
// status, chunk count, finish reason, time to first chunk and total time.
//
//   llmio-demo ["prompt"] [--model NAME] [--mock] [--ttft-ms N] [--itl-ms N] [--events N]
//              [--fault NAME]
//
// Without GEMINI_API_KEY it talks to the embedded mock server over TLS on loopback (see
// support.hpp); with it, to the real service. Either way the request goes through the whole
// client: rate limiter, key, pooled TLS connection, retries before the first chunk, SSE and
// simdjson decoding, on one io_context driven by one coroutine.
//
// Exit status: 0 when the answer finished well, 1 on an error (its message and the partial
// output are printed), 2 for bad flags.
#include "support.hpp"

#include <asio/co_spawn.hpp>
#include <asio/experimental/as_tuple.hpp>
#include <asio/io_context.hpp>
#include <asio/use_awaitable.hpp>

#include <chrono>
#include <cstdio>
#include <string>

namespace {

namespace gemini = llmio::gemini;
constexpr auto tuple_awaitable = asio::experimental::as_tuple(asio::use_awaitable);

/// Streams `request` and prints each chunk's text as it comes. Returns the exit status.
asio::awaitable<int> stream_prompt(gemini::client& client, const std::string& model,
                                   const gemini::generate_content_request& request)
{
    // A stream is reusable: a second start() on it would keep its buffers warm.
    gemini::stream s(client);
    if (const std::error_code ec = s.start(model, request)) {   // the request is encoded here
        std::fprintf(stderr, "llmio-demo: %s\n", ec.message().c_str());
        co_return 1;
    }
    const auto t0 = std::chrono::steady_clock::now();
    for (;;) {
        // The first call sends the request (and retries it while nothing was handed out).
        auto [ec, chunk] = co_await s.async_next(tuple_awaitable);
        if (ec) {
            // Typed errors: error_message() says what failed, the service's words, the HTTP
            // status, quota and retry facts, and the key as AIza...WXYZ. text() is what came.
            std::fprintf(stderr, "%sllmio-demo: %s\n", s.chunks() > 0 ? "\n\n" : "", s.error_message().c_str());
            if (s.chunks() > 0) {
                std::fprintf(stderr, "partial output (%zu chunks): \"%.*s\"\n", s.chunks(),
                             static_cast<int>(s.text().size()), s.text().data());
            }
            co_return 1;
        }
        if (chunk == nullptr) {
            break;   // finished well: finish_reason() and usage() are final
        }
        examples::print_now(s.chunk_text());   // a view: valid until the next async_next
    }
    const auto total = std::chrono::steady_clock::now() - t0;
    const double ttft = s.time_to_first_chunk() ? examples::ms(*s.time_to_first_chunk()) : -1.0;
    std::printf("\n\nHTTP %d, chunks %zu, finish %s, TTFT %.1f ms, total %.1f ms\n", s.http_status(), s.chunks(),
                std::string(gemini::to_string(s.finish_reason())).c_str(), ttft, examples::ms(total));
    co_return 0;
}

} // namespace

int main(int argc, char** argv)
{
    examples::common_flags flags;
    std::string prompt = "Write a haiku about sockets.";
    if (!examples::parse_flags(argc, argv, flags, {}, &prompt)) {
        std::printf("usage: llmio-demo [\"prompt\"] [flags]\n%s", examples::common_usage.data());
        return 2;
    }

    examples::backend backend("llmio-demo", flags);
    if (const std::error_code ec = backend.start()) {
        std::fprintf(stderr, "llmio-demo: cannot start the mock server: %s\n", ec.message().c_str());
        return 1;
    }
    std::fprintf(stderr, "\n");

    asio::io_context io(1);
    auto client = examples::make_client("llmio-demo", io, backend.client_options());
    if (!client) {
        return 1;
    }
    const gemini::generate_content_request request = examples::prompt_request(prompt);

    int status = 1;
    asio::co_spawn(io, stream_prompt(*client, flags.model, request), [&](std::exception_ptr e, int result) {
        status = e ? 1 : result;
        client->shutdown();   // closes the pooled connection: io.run() returns
    });
    io.run();
    return status;
}
