// Runs fuzz/fuzz_sse.cpp (linked into this program) as an ordinary test: over the conformance
// vectors and Gemini recordings under every option byte, and over generated streams built from
// the tokens that matter to the parser. A difference between deliveries traps (the test fails).
#include <support/catch.hpp>
#include <support/conformance.hpp>

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

namespace {

void fuzz_one(std::uint8_t flags, std::uint8_t max_line, std::uint8_t max_event,
              std::uint8_t seed, std::string_view stream)
{
    std::string input{static_cast<char>(flags), static_cast<char>(max_line),
                      static_cast<char>(max_event), static_cast<char>(seed)};
    input.append(stream);
    CHECK(LLVMFuzzerTestOneInput(reinterpret_cast<const std::uint8_t*>(input.data()),
                                 input.size()) == 0);
}

/// A deterministic generator (no dependence on the platform's distributions).
struct lcg {
    std::uint64_t state;
    std::uint32_t next()
    {
        state = state * 6364136223846793005ULL + 1442695040888963407ULL;
        return static_cast<std::uint32_t>(state >> 33);
    }
};

} // namespace

TEST_CASE("fuzz target over the conformance data")
{
    std::vector<std::string> streams;
    for (const char* file : {"sse/sse_vectors.json",
                             "gemini/vertexai/streaming-failure-error-mid-stream.txt",
                             "gemini/googleai/streaming-success-basic-reply-short.txt",
                             "gemini/googleai/streaming-success-finish-message.txt"}) {
        if (auto text = llmio_test::read_conformance(file)) {
            streams.push_back(std::move(*text));
        }
    }
    if (streams.empty()) {
        WARN("conformance data not found: skipped");
        return;
    }
    for (const std::string& stream : streams) {
        for (unsigned flags = 0; flags < 16; ++flags) {
            fuzz_one(static_cast<std::uint8_t>(flags), 40, 30, static_cast<std::uint8_t>(flags * 37),
                     stream);
        }
    }
}

TEST_CASE("fuzz target over generated streams")
{
    static constexpr std::array<std::string_view, 24> tokens{
        "data", "data:", "data: ", ":", " ", "\r", "\n", "\r\n", "\n\n", "id", "id: ",
        "event:", "retry:", "retry: 12", "7", "x", "{\"a\":1}", "\xEF", "\xBB", "\xBF",
        std::string_view("\0", 1), "\xEF\xBB\xBF", "Data:", "  \"error\": {"};
    lcg rng{20240611};
    for (int round = 0; round < 20000; ++round) {
        std::string stream;
        const std::uint32_t length = rng.next() % 40;
        for (std::uint32_t i = 0; i < length; ++i) {
            stream.append(tokens[rng.next() % tokens.size()]);
        }
        fuzz_one(static_cast<std::uint8_t>(rng.next()), static_cast<std::uint8_t>(rng.next()),
                 static_cast<std::uint8_t>(rng.next()), static_cast<std::uint8_t>(rng.next()),
                 stream);
    }
}
