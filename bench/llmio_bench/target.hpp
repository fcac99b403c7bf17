// bench/llmio_bench/target.hpp: what the load driver talks to. A target makes request slots; a
// slot sends one streamed request at a time and is reused for the next, so its buffers (and,
// for Gemini, the gemini::stream with its decoder) stay warm and steady state allocates
// nothing per request beyond the coroutine frame Asio recycles.
//
// Timing rules every slot follows (metrics.hpp has the definitions):
// - the driver sets `intended_start` (open loop) and `start` (just before calling run());
// - a chunk is timed with steady_clock::now() right after the client handed it over (decoded,
//   its text in hand): that is the moment an application could use it;
// - only chunks holding output count (Gemini: a candidate with parts; OpenAI: a non-empty
//   `delta.content`); first_chunk / last_chunk / chunks follow them;
// - each gap between two such chunks goes to metrics::add_chunk_gap as it happens (ITL),
//   with the request's origin so warm-up requests are left out;
// - output tokens: the usage the service reports at the end (Gemini candidatesTokenCount,
//   OpenAI usage.completion_tokens); 0 when it sends none;
// - a failure sets `error` to a short kind (error_kind.hpp) that stays valid until the next
//   run() on the slot.
#ifndef LLMIO_BENCH_LLMIO_BENCH_TARGET_HPP
#define LLMIO_BENCH_LLMIO_BENCH_TARGET_HPP

#include "harness/metrics.hpp"
#include "settings.hpp"

#include <asio/awaitable.hpp>
#include <asio/io_context.hpp>

#include <memory>
#include <string>
#include <system_error>
#include <vector>

namespace llmio::bench::program {

class request_slot {
public:
    virtual ~request_slot() = default;
    /// Sends one request and reads its response to the end. Fills every field of `r` except
    /// intended_start and start; reports chunk gaps to `m`. Never throws (but std::bad_alloc).
    virtual asio::awaitable<void> run(request_record& r, metrics& m) = 0;
};

class target {
public:
    virtual ~target() = default;
    [[nodiscard]] virtual std::unique_ptr<request_slot> make_slot() = 0;
    /// Closes idle connections so that io_context::run() can return. Call after the last run.
    virtual void shutdown() noexcept = 0;
    /// What the run's settings record about the target (endpoint, protocol).
    [[nodiscard]] virtual std::string describe() const = 0;
};

/// Where the embedded mock listens, for the targets that talk to it.
struct mock_endpoint_info {
    std::string base_url{};   ///< http://127.0.0.1:PORT or https://localhost:PORT
    std::string ca_pem{};     ///< its certificate with --mock-tls
};

/// The prompt of --prompt-words words (a fixed word list, deterministic).
[[nodiscard]] std::string make_prompt(std::size_t words);

/// Gemini through gemini::client (streamGenerateContent?alt=sse). `mock` set: its endpoint,
/// trust and a placeholder key; else the environment's key and `s.base_url`. `connections`:
/// the pool's per-origin limit. Throws std::system_error when the client cannot be made.
[[nodiscard]] std::unique_ptr<target> make_gemini_target(asio::io_context& io, const settings& s,
                                                         const mock_endpoint_info* mock, std::size_t connections);

/// An OpenAI-compatible endpoint: POST {base}/chat/completions with stream=true, Bearer key,
/// through net::connection_pool + net::exchange, SSE with sse::parser, chunks with simdjson.
/// `mock` set: the mock's /v1beta/openai. Throws std::system_error on a bad base URL or trust.
[[nodiscard]] std::unique_ptr<target> make_openai_target(asio::io_context& io, const settings& s,
                                                         const mock_endpoint_info* mock, std::size_t connections);

} // namespace llmio::bench::program

#endif
