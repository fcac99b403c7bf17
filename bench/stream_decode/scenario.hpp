// The gemini_stream_decode scenario: recorded Gemini stream events, and what decoding them
// must produce. Every implementation of the scenario (llmio.hpp, simdjson_bare.hpp) returns
// the same `summary`, checked equal before anything is timed.
#ifndef LLMIO_BENCH_STREAM_DECODE_SCENARIO_HPP
#define LLMIO_BENCH_STREAM_DECODE_SCENARIO_HPP

#include <llmio/testing/chunked_response.hpp>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

namespace bench::stream_decode {

/// What an implementation extracts, folded into numbers that must agree exactly.
struct summary {
    std::uint64_t events = 0;
    std::uint64_t text_bytes = 0;
    std::uint64_t text_hash = 1469598103934665603ull;   // FNV-1a over all text, in order
    std::uint64_t thought_bytes = 0;
    std::uint64_t signature_bytes = 0;
    std::uint64_t function_calls = 0;
    std::uint64_t finish_reasons = 0;
    std::uint64_t safety_ratings = 0;
    std::uint64_t citations = 0;
    std::int64_t usage_total = 0;   // sum over events of totalTokenCount
    std::uint64_t model_version_bytes = 0;

    /// The hash is for the check before timing only: at one multiply per byte it would cost
    /// more than the decoding it is meant to verify.
    bool hash_text = false;

    void add_text(std::string_view t) noexcept
    {
        text_bytes += t.size();
        if (hash_text) {
            for (unsigned char c : t) {
                text_hash = (text_hash ^ c) * 1099511628211ull;
            }
        }
    }
    /// Every value an implementation extracts and does not otherwise use is folded in here, so
    /// that the compiler cannot drop the extraction as dead code. Not compared.
    std::uint64_t sink = 0;

    bool operator==(const summary& o) const noexcept
    {
        return events == o.events && text_bytes == o.text_bytes && text_hash == o.text_hash &&
               thought_bytes == o.thought_bytes && signature_bytes == o.signature_bytes &&
               function_calls == o.function_calls && finish_reasons == o.finish_reasons &&
               safety_ratings == o.safety_ratings && citations == o.citations &&
               usage_total == o.usage_total && model_version_bytes == o.model_version_bytes;
    }
};

/// The input: the recorded success streams (each ends with a finishReason), `rounds` times.
struct corpus {
    std::vector<std::vector<std::string>> streams;   // JSON of each event, without "data: "
    std::uint64_t events = 0;
    std::uint64_t json_bytes = 0;
    std::size_t rounds = 1;
};

/// The wire bytes for the pipeline, in one of two shapes:
/// - `one_response_per_stream == false`: every round of recorded events as ONE long HTTP/1.1
///   chunked `text/event-stream` response (a long generation: the steady state the
///   per-event cost is about);
/// - `true`: each recorded stream its own response, back to back as on one keep-alive
///   connection (heads and stream set-up included; the recorded streams are 2 to 36 events).
/// Bodies are framed in HTTP chunks of `http_chunk` bytes (events straddle chunk boundaries as
/// on the wire) with the service's `\r\n\r\n` event framing.
inline std::string as_http_responses(const corpus& c, std::size_t http_chunk, bool one_response_per_stream)
{
    std::string out;
    std::string body;
    const std::size_t streams_per_round = c.streams.size() / std::max<std::size_t>(c.rounds, 1);
    for (std::size_t i = 0; i < c.streams.size(); ++i) {
        for (const std::string& event : c.streams[i]) {
            body += "data: ";
            body += event;
            body += "\r\n\r\n";
        }
        if (one_response_per_stream || (i + 1) % streams_per_round == 0 || i + 1 == c.streams.size()) {
            llmio::testing::append_chunked_response(out, body, http_chunk);
            body.clear();
        }
    }
    return out;
}

} // namespace bench::stream_decode

#endif
