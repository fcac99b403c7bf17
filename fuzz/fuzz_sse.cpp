// fuzz/fuzz_sse.cpp: libFuzzer target for llmio::sse::parser.
//
// The parser must give the same results however its input is cut (WHATWG: the event stream is
// a byte stream; reads are not part of it). Each input is parsed whole, cut at one point derived
// from the input, cut into input-derived pieces, and one byte at a time, and the results (events
// as copied strings, other lines, the retry value seen with each, the last event ID, the error)
// must be identical. Along the way every promise of the API is checked: `consumed` never exceeds
// the input and is all of it with need_more; an event's `data_padding` bytes are readable (each
// piece lives in its own allocation, so a sanitizer sees any over-read); `id` equals
// `last_event_id()`; finish() ends. Any difference executes __builtin_trap().
//
// Input layout: byte 0 options (bit 0 report_other_lines, bit 1 flush at end, bit 2 small
// limits, bit 3 input padding), bytes 1-2 the limits when small, byte 3 the cut point seed; the
// rest is the stream. Plain C++: builds with g++ and any main that calls the entry point
// (fuzz/replay_main.cpp, tests/sse/fuzz_test.cpp), or with clang -fsanitize=fuzzer.
#include <llmio/sse.hpp>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

namespace {

void require(bool ok)
{
    if (!ok) {
        __builtin_trap();
    }
}

struct record {
    llmio::sse::parse_event what = llmio::sse::parse_event::need_more;
    std::string type;
    std::string data;   // the event's data, or the other line
    std::string id;
    std::optional<std::uint64_t> retry;

    bool operator==(const record&) const = default;
};

struct outcome {
    std::vector<record> records;
    std::string last_event_id;
    std::optional<std::uint64_t> retry;
    std::error_code error;

    bool operator==(const outcome&) const = default;
};

/// One piece of input in an allocation of its own, followed by `padding` readable bytes.
struct piece {
    std::unique_ptr<char[]> bytes;
    std::size_t size = 0;
};

piece make_piece(std::string_view text, std::size_t padding)
{
    piece p;
    p.size = text.size();
    p.bytes = std::make_unique<char[]>(text.size() + padding);
    if (!text.empty()) {
        std::memcpy(p.bytes.get(), text.data(), text.size());
    }
    return p;
}

void take_event(const llmio::sse::parser& p, std::string_view input, std::size_t padding,
                outcome& out)
{
    const llmio::sse::event& ev = p.current();
    const auto begin = reinterpret_cast<std::uintptr_t>(input.data());
    const auto end = begin + input.size();
    const auto data_begin = reinterpret_cast<std::uintptr_t>(ev.data.data());
    const auto data_end = data_begin + ev.data.size();
    if (input.data() != nullptr && data_begin >= begin && data_end <= end) {
        require(ev.data_padding == end - data_end + padding);
    }
    else {
        require(ev.data_padding >= llmio::sse::data_padding_guarantee);
    }
    // Read every promised byte: an over-read is a sanitizer report.
    volatile unsigned char sink = 0;
    for (std::size_t i = 0; i < ev.data_padding; ++i) {
        sink = sink + static_cast<unsigned char>(ev.data.data()[ev.data.size() + i]);
    }
    require(ev.id == p.last_event_id());
    require(!ev.type.empty());
    out.records.push_back({llmio::sse::parse_event::event, std::string(ev.type),
                           std::string(ev.data), std::string(ev.id), p.retry()});
}

outcome parse(llmio::sse::parser& p, std::string_view stream, const std::vector<std::size_t>& cuts,
              bool flush, std::size_t padding)
{
    outcome out;
    std::size_t from = 0;
    for (std::size_t i = 0; i <= cuts.size(); ++i) {
        const std::size_t to = i < cuts.size() ? cuts[i] : stream.size();
        const piece chunk = make_piece(stream.substr(from, to - from), padding);
        from = to;
        std::string_view in(chunk.bytes.get(), chunk.size);
        for (;;) {
            std::error_code ec;
            const llmio::sse::parse_result r = p.put(in, ec, padding);
            require(r.consumed <= in.size());
            if (ec) {
                out.error = ec;
                std::error_code again;
                require(p.put("data: x\n\n", again, 0).consumed == 0 && again == ec);
                out.last_event_id = std::string(p.last_event_id());
                out.retry = p.retry();
                return out;
            }
            if (r.event == llmio::sse::parse_event::need_more) {
                require(r.consumed == in.size());
                break;
            }
            require(r.consumed > 0);
            if (r.event == llmio::sse::parse_event::event) {
                take_event(p, in, padding, out);
            }
            else {
                out.records.push_back({llmio::sse::parse_event::other_line, {},
                                       std::string(p.line()), {}, p.retry()});
            }
            in.remove_prefix(r.consumed);
        }
    }
    for (int calls = 0;; ++calls) {
        require(calls < 4);
        std::error_code ec;
        const llmio::sse::parse_result r = p.finish(ec, flush);
        require(r.consumed == 0);
        if (ec) {
            out.error = ec;
            break;
        }
        if (r.event == llmio::sse::parse_event::need_more) {
            break;
        }
        require(flush);
        if (r.event == llmio::sse::parse_event::event) {
            take_event(p, {}, 0, out);
        }
        else {
            out.records.push_back({llmio::sse::parse_event::other_line, {},
                                   std::string(p.line()), {}, p.retry()});
        }
    }
    out.last_event_id = std::string(p.last_event_id());
    out.retry = p.retry();
    return out;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    if (size < 4) {
        return 0;
    }
    const std::uint8_t flags = data[0];
    llmio::sse::parser_options options;
    options.report_other_lines = (flags & 1) != 0;
    const bool flush = (flags & 2) != 0;
    if ((flags & 4) != 0) {
        options.max_line = data[1] % 48;
        options.max_event = data[2] % 48;
    }
    const std::size_t padding = (flags & 8) != 0 ? 64 : 0;
    const std::string_view stream(reinterpret_cast<const char*>(data) + 4, size - 4);

    llmio::sse::parser fresh(options);
    const outcome whole = parse(fresh, stream, {}, flush, padding);

    // One parser for every other delivery, reset() between them: reset must forget everything.
    llmio::sse::parser reused(options);

    std::vector<std::size_t> cuts;
    if (!stream.empty()) {
        cuts.push_back(data[3] % stream.size());
    }
    require(parse(reused, stream, cuts, flush, padding) == whole);
    reused.reset();

    cuts.clear();
    std::uint32_t seed = data[3] * 2654435761U + static_cast<std::uint32_t>(size);
    for (std::size_t at = 0;;) {
        seed = seed * 1664525U + 1013904223U;
        at += 1 + (seed >> 24) % 17;
        if (at >= stream.size()) {
            break;
        }
        cuts.push_back(at);
    }
    require(parse(reused, stream, cuts, flush, padding) == whole);
    reused.reset();

    cuts.clear();
    for (std::size_t at = 1; at < stream.size(); ++at) {
        cuts.push_back(at);
    }
    require(parse(reused, stream, cuts, flush, padding) == whole);
    return 0;
}
