// llmio-concurrent: N concurrent streams on one client and one thread, with a live progress
// line and a summary.
//
//   llmio-concurrent [--streams N] [--requests M] [--rpm R] [common flags]
//
// Each of the N coroutines streams M prompts one after the other, reusing one gemini::stream
// (its buffers stay warm: no allocation per chunk once warm). They share the client's pool of
// keep-alive connections. On a terminal the progress line is redrawn in place (`\r`); when
// stdout is a file or a pipe a plain line is printed every second instead.
//
// Against the real service, give the quota of your tier with --rpm: the client's limiter then
// spaces requests instead of collecting 429s (which it would retry, honouring the server's delay).
//
// Exit status: 0 when every request finished well, 1 when any failed, 2 for bad flags.
#include "support.hpp"

#include <asio/co_spawn.hpp>
#include <asio/experimental/as_tuple.hpp>
#include <asio/io_context.hpp>
#include <asio/steady_timer.hpp>
#include <asio/use_awaitable.hpp>

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <map>
#include <string>
#include <vector>

namespace {

namespace gemini = llmio::gemini;
using clock_type = std::chrono::steady_clock;
using namespace std::chrono_literals;
constexpr auto tuple_awaitable = asio::experimental::as_tuple(asio::use_awaitable);

/// What every stream reports into (one thread: no locks).
struct tally {
    std::size_t total = 0;
    std::size_t done = 0;   // finished, well or not
    std::size_t errors = 0;
    std::size_t chunks = 0;
    std::vector<double> ttft_ms{};    // per request that got a first chunk
    std::vector<double> total_ms{};   // per successful request
    std::map<std::string, std::size_t> error_kinds{};   // by error_code message
    std::string first_error{};                          // one full error_message()
    int workers_left = 0;
    int lost = 0;   // workers ended by an exception
};

/// The p-quantile (0..1) of `v` (copied: the caller keeps its order), or 0 when empty.
double quantile(std::vector<double> v, double p)
{
    if (v.empty()) {
        return 0;
    }
    const auto k = static_cast<std::size_t>(p * static_cast<double>(v.size() - 1) + 0.5);
    std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(k), v.end());
    return v[k];
}

/// One of the N: M requests in sequence on one reused stream.
asio::awaitable<void> worker(gemini::client& client, const std::string& model,
                             const gemini::generate_content_request& request, int requests, tally& t)
{
    gemini::stream s(client);
    for (int i = 0; i < requests; ++i) {
        const auto t0 = clock_type::now();
        std::error_code ec = s.start(model, request);
        while (!ec) {
            auto [next_ec, chunk] = co_await s.async_next(tuple_awaitable);
            ec = next_ec;
            if (ec || chunk == nullptr) {
                break;
            }
            if (s.chunks() == 1 && s.time_to_first_chunk()) {
                t.ttft_ms.push_back(examples::ms(*s.time_to_first_chunk()));
            }
            ++t.chunks;   // chunk_text() is the text, were we to show it
        }
        ++t.done;
        if (ec) {
            ++t.errors;
            ++t.error_kinds[ec.message()];
            if (t.first_error.empty()) {
                t.first_error = s.error_message().empty() ? ec.message() : s.error_message();
            }
            continue;
        }
        t.total_ms.push_back(examples::ms(clock_type::now() - t0));
    }
}

/// Prints progress every `period` until every worker has finished (then `timer` is cancelled).
asio::awaitable<void> progress(asio::steady_timer& timer, tally& t, bool terminal, clock_type::time_point start)
{
    const auto period = terminal ? 200ms : 1000ms;
    std::size_t last_chunks = 0;
    auto last = clock_type::now();
    for (;;) {
        timer.expires_after(period);
        co_await timer.async_wait(tuple_awaitable);
        if (t.workers_left == 0) {
            break;
        }
        const auto now = clock_type::now();
        const double rate =
            static_cast<double>(t.chunks - last_chunks) / std::chrono::duration<double>(now - last).count();
        last_chunks = t.chunks;
        last = now;
        char ttft[24] = "     - ms";   // no first chunk yet
        if (!t.ttft_ms.empty()) {
            std::snprintf(ttft, sizeof ttft, "%6.1f ms", quantile(t.ttft_ms, 0.5));
        }
        std::printf("%s%6.1f s  %zu/%zu done  %8.0f chunks/s  TTFT p50 %s  errors %zu%s", terminal ? "\r" : "",
                    std::chrono::duration<double>(now - start).count(), t.done, t.total, rate, ttft, t.errors,
                    terminal ? "   " : "\n");
        std::fflush(stdout);
    }
    if (terminal) {
        std::printf("\n");
    }
}

} // namespace

int main(int argc, char** argv)
{
    examples::common_flags flags;
    int streams = 64;
    int requests = 4;
    int rpm = 0;
    std::string prompt = "Write a haiku about sockets.";
    if (!examples::parse_flags(argc, argv, flags, {{"--streams", &streams}, {"--requests", &requests}, {"--rpm", &rpm}},
                               &prompt) ||
        streams < 1 || requests < 1) {
        std::printf("usage: llmio-concurrent [\"prompt\"] [flags]\n"
                    "  --streams N    concurrent streams (default 64)\n"
                    "  --requests M   requests per stream, one after the other (default 4)\n"
                    "  --rpm R        client-side requests per minute (default 0: no limit)\n%s",
                    examples::common_usage.data());
        return 2;
    }

    examples::backend backend("llmio-concurrent", flags);
    if (const std::error_code ec = backend.start()) {
        std::fprintf(stderr, "llmio-concurrent: cannot start the mock server: %s\n", ec.message().c_str());
        return 1;
    }
    gemini::client_options options = backend.client_options();
    options.pool.max_connections = static_cast<std::size_t>(streams);   // one connection per stream
    options.limits.requests_per_minute = static_cast<std::uint32_t>(rpm);
    asio::io_context io(1);
    auto client = examples::make_client("llmio-concurrent", io, std::move(options));
    if (!client) {
        return 1;
    }

    const gemini::generate_content_request request = examples::prompt_request(prompt);
    tally t;
    t.total = static_cast<std::size_t>(streams) * static_cast<std::size_t>(requests);
    t.workers_left = streams;
    const bool terminal = ::isatty(STDOUT_FILENO) != 0;
    const auto start = clock_type::now();
    std::printf("%d streams x %d requests, model %s\n", streams, requests, flags.model.c_str());

    asio::steady_timer progress_timer(io);
    for (int i = 0; i < streams; ++i) {
        asio::co_spawn(io, worker(*client, flags.model, request, requests, t), [&](std::exception_ptr e) {
            if (e) {
                ++t.lost;   // only std::bad_alloc could end a worker early
            }
            if (--t.workers_left == 0) {
                progress_timer.cancel();
                client->shutdown();   // closes the pooled connections: io.run() returns
            }
        });
    }
    asio::co_spawn(io, progress(progress_timer, t, terminal, start), [](std::exception_ptr) {});
    io.run();

    const double wall = std::chrono::duration<double>(clock_type::now() - start).count();
    std::printf("%zu requests in %.2f s: %zu ok, %zu failed; %zu chunks (%.0f chunks/s, %.1f requests/s)\n", t.done,
                wall, t.done - t.errors, t.errors, t.chunks, static_cast<double>(t.chunks) / wall,
                static_cast<double>(t.done) / wall);
    std::printf("TTFT   p50 %7.1f ms  p90 %7.1f ms  p99 %7.1f ms  max %7.1f ms\n", quantile(t.ttft_ms, 0.5),
                quantile(t.ttft_ms, 0.9), quantile(t.ttft_ms, 0.99), quantile(t.ttft_ms, 1.0));
    std::printf("total  p50 %7.1f ms  p90 %7.1f ms  p99 %7.1f ms  max %7.1f ms\n", quantile(t.total_ms, 0.5),
                quantile(t.total_ms, 0.9), quantile(t.total_ms, 0.99), quantile(t.total_ms, 1.0));
    for (const auto& [kind, n] : t.error_kinds) {
        std::printf("error  %zu x %s\n", n, kind.c_str());
    }
    if (!t.first_error.empty()) {
        std::fprintf(stderr, "llmio-concurrent: first error: %s\n", t.first_error.c_str());
    }
    if (t.lost > 0) {
        std::fprintf(stderr, "llmio-concurrent: %d streams ended by an exception\n", t.lost);
    }
    return t.errors == 0 && t.lost == 0 ? 0 : 1;
}
