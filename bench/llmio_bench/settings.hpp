// bench/llmio_bench/settings.hpp: what one llmio-bench invocation was asked to do, and the
// command line that says it (issue 5, "The program").
//
// One struct, filled by parse_settings() from argv, read by everything else. Every flag has a
// documented default (usage_text); combinations that cannot be meant (a sweep of fractional
// concurrencies, --rate with --concurrency, neither --duration nor --requests ...) are refused
// with a message rather than guessed at.
#ifndef LLMIO_BENCH_LLMIO_BENCH_SETTINGS_HPP
#define LLMIO_BENCH_LLMIO_BENCH_SETTINGS_HPP

#include "harness/load.hpp"
#include "harness/metrics.hpp"

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace llmio::bench::program {

/// Where the requests go.
enum class target_kind {
    mock,     ///< the embedded mock server, on a thread of its own (the default)
    gemini,   ///< a Gemini endpoint (key from GEMINI_API_KEY / GOOGLE_API_KEY)
    openai,   ///< an OpenAI-compatible endpoint (key from OPENAI_API_KEY)
};

/// Which wire protocol the requests speak.
enum class api_kind {
    gemini,   ///< POST {base}/v1beta/models/{model}:streamGenerateContent?alt=sse through gemini::client
    openai,   ///< POST {base}/chat/completions with stream=true (net::exchange + sse::parser + simdjson)
};

struct settings {
    // ---- Target ------------------------------------------------------------------------------
    target_kind target = target_kind::mock;
    /// gemini for --target mock and gemini, openai for --target openai; `--api openai` drives
    /// the mock's OpenAI-compatible endpoint (/v1beta/openai/chat/completions).
    api_kind api = api_kind::gemini;
    /// Empty: the target's default (the service's, GOOGLE_GEMINI_BASE_URL, or the mock's).
    std::string base_url{};
    std::string model = "gemini-2.0-flash";

    // ---- The embedded mock's pacing -----------------------------------------------------------
    double mock_ttft_ms = 50;
    double mock_itl_ms = 10;
    std::size_t mock_events = 10;
    std::size_t mock_words = 4;   ///< words (= output tokens) per event
    bool mock_tls = false;
    /// A fault injected into a share of requests (mock_fault names), for error accounting.
    std::string mock_fault{};
    double mock_fault_rate = 1.0;

    // ---- Load ----------------------------------------------------------------------------------
    /// Closed loop: this many workers, each sending its next request when the last ended.
    std::size_t concurrency = 1;
    /// Open loop when > 0 (or when --arrival is given with --sweep): requests per second.
    double rate = 0;
    bool open_loop = false;
    arrival arrival_kind = arrival::poisson;
    std::uint64_t seed = 0x6c6c6d696fULL;
    /// Concurrencies (closed loop) or rates (open loop), one run each; empty: one run.
    std::vector<double> sweep{};
    /// Open loop: at most this many requests in flight; the schedule waits beyond (the wait
    /// shows as dispatch delay and in the latencies, which count from the intended time).
    std::size_t max_in_flight = 4096;

    // ---- How long ------------------------------------------------------------------------------
    /// Measured time after the warm-up (0: not time-bounded).
    std::chrono::nanoseconds duration{};
    /// Measured requests to send after the warm-up (0: not count-bounded).
    std::uint64_t requests = 0;
    /// Excluded from every metric: requests whose origin falls in it.
    std::chrono::nanoseconds warmup{};

    // ---- Requests ------------------------------------------------------------------------------
    std::size_t prompt_words = 16;
    int max_output_tokens = 0;   ///< 0: not sent
    int max_retries = 4;         ///< gemini: the client's retries (0: off)

    /// Wake-up coalescing of the client thread (driver.hpp): it sleeps this long between
    /// rounds instead of being woken for every arrival; timestamps are late by at most this.
    /// 0: off (woken per arrival).
    std::chrono::microseconds batch{200};

    // ---- Metrics and output --------------------------------------------------------------------
    goodput_limits goodput{};
    latency_origin origin = latency_origin::intended;
    std::string json_path{};
    std::string csv_path{};
    std::string svg_path{};
    bool quiet = false;          ///< no progress lines
    /// Progress every this long (terminal: redrawn in place; otherwise plain lines).
    std::chrono::milliseconds progress_period{0};   ///< 0: 250 ms on a terminal, 5 s otherwise
};

/// Parses argv. Returns an empty string when `out` is complete, "help" for --help, else the
/// message that says what is wrong.
[[nodiscard]] std::string parse_settings(int argc, const char* const* argv, settings& out);

/// The --help text.
[[nodiscard]] std::string_view usage_text() noexcept;

[[nodiscard]] std::string_view to_string(target_kind t) noexcept;
[[nodiscard]] std::string_view to_string(api_kind a) noexcept;

} // namespace llmio::bench::program

#endif
