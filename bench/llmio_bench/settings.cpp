// bench/llmio_bench/settings.cpp: the command line of llmio-bench (settings.hpp).
#include "settings.hpp"

#include <charconv>
#include <cmath>
#include <limits>
#include <optional>

namespace llmio::bench::program {

namespace {

constexpr std::string_view usage = R"(usage: llmio-bench [flags]

Drives a streaming LLM endpoint with closed- or open-loop load and reports TTFT, ITL, TPOT,
end-to-end latency, throughput, goodput, errors and its own CPU use (bench/llmio_bench/).

Target
  --target mock|gemini|openai   mock (default): the embedded mock server on its own thread;
                                gemini: a Gemini endpoint, key from GEMINI_API_KEY/GOOGLE_API_KEY;
                                openai: an OpenAI-compatible endpoint, key from OPENAI_API_KEY
  --api gemini|openai           the protocol to speak to the mock (default gemini)
  --base-url URL                endpoint (gemini: the service or GOOGLE_GEMINI_BASE_URL;
                                openai: https://api.openai.com/v1; mock: its own)
  --model NAME                  model (default gemini-2.0-flash)

The embedded mock (--target mock)
  --mock-ttft-ms MS             time to the first event (default 50)
  --mock-itl-ms MS              gap between events (default 10)
  --mock-events N               events per response (default 10)
  --mock-words N                words (= output tokens) per event (default 4)
  --mock-tls                    serve HTTPS with a certificate made at start
  --mock-fault NAME             inject a mock fault (quota_per_minute, unavailable, ...)
  --mock-fault-rate P           into this share of requests (default 1)

Load
  --concurrency N               closed loop: N workers, each request after request (default 1)
  --rate R                      open loop: R requests/s on the arrival schedule
  --arrival poisson|constant    open-loop arrivals (default poisson); with --sweep it selects
                                an open-loop sweep of rates
  --seed N                      the Poisson schedule's seed
  --sweep LIST                  runs over concurrencies (closed) or rates (open):
                                "1,8,64" or "10:100:10" (start:stop:step)
  --max-in-flight N             open loop: requests in flight at most (default 4096)
  --duration S                  measured seconds after the warm-up
  --requests N                  measured requests after the warm-up
  --warmup S                    seconds excluded from every metric (default 0)

Requests
  --prompt-words N              words in the prompt (default 16)
  --max-output-tokens N         maxOutputTokens / max_tokens (default: not sent)
  --retries N                   gemini: the client's retries (default 4; 0: off)

Client thread
  --batch-us US                 wake-up coalescing: between rounds the client thread sleeps
                                US microseconds and then takes everything that arrived, instead
                                of being woken for each event (default 200; 0: woken per event).
                                Timestamps are late by at most US (TTFT and e2e by US/2 on
                                average, ITL unbiased); the wake-ups saved are most of a paced
                                client's CPU at high stream counts

Metrics and output
  --goodput ttft:MS,tpot:MS,e2e:MS   goodput limits (any subset)
  --latency-from intended|actual     open loop: latencies from the intended send time
                                     (default, no coordinated omission) or the actual one
  --json FILE                   settings and every metric as JSON (genai-perf's names)
  --csv FILE                    one line per run
  --svg FILE                    sweep: throughput against latency; one run: latency CDFs
  --progress-ms MS              progress period (default 250 on a terminal, else 5000)
  --quiet                       no progress lines
  --help
)";

[[nodiscard]] std::optional<double> number(std::string_view s)
{
    double v = 0;
    const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (s.empty() || ec != std::errc{} || end != s.data() + s.size() || !std::isfinite(v)) {
        return std::nullopt;
    }
    return v;
}

[[nodiscard]] std::optional<std::uint64_t> whole(std::string_view s)
{
    std::uint64_t v = 0;
    const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (s.empty() || ec != std::errc{} || end != s.data() + s.size()) {
        return std::nullopt;
    }
    return v;
}

[[nodiscard]] std::chrono::nanoseconds seconds(double s)
{
    return std::chrono::nanoseconds(std::llround(s * 1e9));
}

[[nodiscard]] std::chrono::nanoseconds millis(double ms)
{
    return std::chrono::nanoseconds(std::llround(ms * 1e6));
}

// "ttft:MS,tpot:MS,e2e:MS", any subset, each at most once.
[[nodiscard]] bool parse_goodput(std::string_view text, goodput_limits& out)
{
    out = {};
    while (!text.empty()) {
        const std::size_t comma = text.find(',');
        const std::string_view item = text.substr(0, comma);
        const std::size_t colon = item.find(':');
        if (colon == std::string_view::npos) {
            return false;
        }
        const auto v = number(item.substr(colon + 1));
        if (!v || *v <= 0) {
            return false;
        }
        const std::string_view name = item.substr(0, colon);
        std::chrono::nanoseconds* field = name == "ttft" ? &out.ttft
                                          : name == "tpot" ? &out.tpot
                                          : name == "e2e"  ? &out.e2e
                                                           : nullptr;
        if (field == nullptr || field->count() != 0) {
            return false;
        }
        *field = millis(*v);
        if (comma == std::string_view::npos) {
            break;
        }
        text.remove_prefix(comma + 1);
    }
    return out.any();
}

} // namespace

std::string_view usage_text() noexcept { return usage; }

std::string_view to_string(target_kind t) noexcept
{
    switch (t) {
    case target_kind::mock: return "mock";
    case target_kind::gemini: return "gemini";
    case target_kind::openai: return "openai";
    }
    return "?";
}

std::string_view to_string(api_kind a) noexcept { return a == api_kind::gemini ? "gemini" : "openai"; }

std::string parse_settings(int argc, const char* const* argv, settings& out)
{
    out = settings{};
    bool concurrency_given = false, api_given = false, arrival_given = false;
    std::string sweep_text;
    for (int i = 1; i < argc; ++i) {
        const std::string_view flag = argv[i];
        if (flag == "--help" || flag == "-h") {
            return "help";
        }
        if (flag == "--mock-tls") {
            out.mock_tls = true;
            continue;
        }
        if (flag == "--quiet") {
            out.quiet = true;
            continue;
        }
        if (i + 1 >= argc) {
            return std::string(flag) + " needs a value (see --help)";
        }
        const std::string_view value = argv[++i];
        const auto bad = [&] { return "bad value for " + std::string(flag) + ": '" + std::string(value) + "'"; };
        const auto positive = [&](double& to) {
            const auto v = number(value);
            if (!v || *v < 0) {
                return false;
            }
            to = *v;
            return true;
        };
        const auto count = [&](auto& to, std::uint64_t min, std::uint64_t max) {
            const auto v = whole(value);
            if (!v || *v < min || *v > max) {
                return false;
            }
            to = static_cast<std::remove_reference_t<decltype(to)>>(*v);
            return true;
        };
        double d = 0;
        if (flag == "--target") {
            if (value == "mock") out.target = target_kind::mock;
            else if (value == "gemini") out.target = target_kind::gemini;
            else if (value == "openai") out.target = target_kind::openai;
            else return bad();
        } else if (flag == "--api") {
            if (value == "gemini") out.api = api_kind::gemini;
            else if (value == "openai") out.api = api_kind::openai;
            else return bad();
            api_given = true;
        } else if (flag == "--base-url") {
            out.base_url = value;
        } else if (flag == "--model") {
            if (value.empty()) return bad();
            out.model = value;
        } else if (flag == "--mock-ttft-ms") {
            if (!positive(out.mock_ttft_ms)) return bad();
        } else if (flag == "--mock-itl-ms") {
            if (!positive(out.mock_itl_ms)) return bad();
        } else if (flag == "--mock-events") {
            if (!count(out.mock_events, 1, 100000)) return bad();
        } else if (flag == "--mock-words") {
            if (!count(out.mock_words, 1, 10000)) return bad();
        } else if (flag == "--mock-fault") {
            out.mock_fault = value;
        } else if (flag == "--mock-fault-rate") {
            if (!positive(out.mock_fault_rate) || out.mock_fault_rate > 1) return bad();
        } else if (flag == "--concurrency") {
            if (!count(out.concurrency, 1, 1'000'000)) return bad();
            concurrency_given = true;
        } else if (flag == "--rate") {
            if (!positive(out.rate) || out.rate <= 0) return bad();
            out.open_loop = true;
        } else if (flag == "--arrival") {
            const auto a = parse_arrival(value);
            if (!a) return bad();
            out.arrival_kind = *a;
            arrival_given = true;
        } else if (flag == "--seed") {
            if (!count(out.seed, 0, std::numeric_limits<std::uint64_t>::max())) return bad();
        } else if (flag == "--sweep") {
            sweep_text = value;
        } else if (flag == "--max-in-flight") {
            if (!count(out.max_in_flight, 1, 1'000'000)) return bad();
        } else if (flag == "--duration") {
            if (!positive(d) || d <= 0) return bad();
            out.duration = seconds(d);
        } else if (flag == "--requests") {
            if (!count(out.requests, 1, std::numeric_limits<std::uint64_t>::max())) return bad();
        } else if (flag == "--warmup") {
            if (!positive(d)) return bad();
            out.warmup = seconds(d);
        } else if (flag == "--prompt-words") {
            if (!count(out.prompt_words, 1, 10'000'000)) return bad();
        } else if (flag == "--max-output-tokens") {
            if (!count(out.max_output_tokens, 1, 100'000'000)) return bad();
        } else if (flag == "--retries") {
            if (!count(out.max_retries, 0, 100)) return bad();
        } else if (flag == "--batch-us") {
            std::uint64_t us = 0;
            if (!count(us, 0, 100'000)) return bad();
            out.batch = std::chrono::microseconds(us);
        } else if (flag == "--goodput") {
            if (!parse_goodput(value, out.goodput)) return bad() + " (want ttft:MS,tpot:MS,e2e:MS)";
        } else if (flag == "--latency-from") {
            if (value == "intended") out.origin = latency_origin::intended;
            else if (value == "actual") out.origin = latency_origin::actual;
            else return bad();
        } else if (flag == "--json") {
            out.json_path = value;
        } else if (flag == "--csv") {
            out.csv_path = value;
        } else if (flag == "--svg") {
            out.svg_path = value;
        } else if (flag == "--progress-ms") {
            std::uint64_t ms = 0;
            if (!count(ms, 10, 3'600'000)) return bad();
            out.progress_period = std::chrono::milliseconds(ms);
        } else {
            return "unknown flag " + std::string(flag) + " (see --help)";
        }
    }

    if (out.target == target_kind::gemini) {
        if (api_given && out.api != api_kind::gemini) return "--target gemini speaks the Gemini API only";
        out.api = api_kind::gemini;
    } else if (out.target == target_kind::openai) {
        if (api_given && out.api != api_kind::openai) return "--target openai speaks the OpenAI API only";
        out.api = api_kind::openai;
    }
    if (arrival_given && !sweep_text.empty()) {
        out.open_loop = true;   // --arrival with --sweep: the sweep is over rates
    }
    if (arrival_given && !out.open_loop) {
        return "--arrival needs --rate (or --sweep of rates)";
    }
    if (out.open_loop && concurrency_given) {
        return "--concurrency is for closed loop; open loop (--rate) bounds requests in flight with --max-in-flight";
    }
    if (!sweep_text.empty()) {
        if (const std::error_code ec = parse_sweep(sweep_text, out.sweep)) {
            return "bad --sweep '" + sweep_text + "': " + ec.message();
        }
        if (!out.open_loop && !all_integral(out.sweep)) {
            return "a sweep of concurrencies needs whole numbers (give --arrival for a sweep of rates)";
        }
    }
    if (out.duration.count() == 0 && out.requests == 0) {
        return "give --duration S or --requests N";
    }
    if (out.duration.count() > 0 && out.requests > 0) {
        return "give one of --duration and --requests";
    }
    if (out.target != target_kind::mock && (out.mock_tls || !out.mock_fault.empty())) {
        return "--mock-* flags are for --target mock";
    }
    return {};
}

} // namespace llmio::bench::program
