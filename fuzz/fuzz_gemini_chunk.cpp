// libFuzzer target: the Gemini chunk decoder and the stream rules on arbitrary bytes.
//
// Invariants: decoding never crashes or reads out of bounds, with and without padding, and
// gives the same result both ways; the stream decoder gives the same chunks and the same
// outcome whether the body arrives whole or in two pieces cut at an input-derived offset.
#include <llmio/gemini/chunk_decoder.hpp>
#include <llmio/gemini/stream_decoder.hpp>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace {

struct stream_result {
    std::vector<std::string> texts;
    std::error_code error;
    bool operator==(const stream_result&) const = default;
};

stream_result run_stream(std::string_view body, std::size_t cut)
{
    stream_result out;
    llmio::gemini::stream_decoder decoder;
    std::string pending;
    const std::string_view pieces[] = {body.substr(0, cut), body.substr(cut)};
    std::error_code ec;
    for (std::string_view piece : pieces) {
        pending.append(piece);
        std::size_t used = 0;
        while (!ec) {
            const auto r = decoder.put(std::string_view(pending).substr(used), ec);
            used += r.consumed;
            if (r.what == llmio::gemini::stream_decoder::step::chunk) {
                std::string text;
                decoder.chunk().for_each_text([&](std::string_view t) { text += t; });
                out.texts.push_back(text);
            }
            else {
                break;
            }
        }
        pending.erase(0, used);
    }
    while (!ec) {
        const auto r = decoder.finish(ec);
        if (r.what != llmio::gemini::stream_decoder::step::chunk) {
            break;
        }
        std::string text;
        decoder.chunk().for_each_text([&](std::string_view t) { text += t; });
        out.texts.push_back(text);
    }
    out.error = ec;
    return out;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    const std::string_view input(reinterpret_cast<const char*>(data), size);

    llmio::gemini::chunk_decoder decoder;
    const std::error_code unpadded = decoder.decode(input, 0);
    std::string padded(input);
    padded.append(llmio::gemini::json_padding, '\0');
    llmio::gemini::chunk_decoder in_place;
    const std::error_code padded_ec = in_place.decode(std::string_view(padded.data(), size), llmio::gemini::json_padding);
    if (unpadded != padded_ec || decoder.get().candidates.size() != in_place.get().candidates.size()) {
        __builtin_trap();
    }

    const std::size_t cut = size == 0 ? 0 : (size > 1 ? data[0] % size : 0);
    if (!(run_stream(input, 0) == run_stream(input, cut))) {
        __builtin_trap();
    }
    return 0;
}
