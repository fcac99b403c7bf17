// Feeds an event stream to llmio::sse::parser in given pieces and records everything it
// reports, so that deliveries can be compared (Beast's parsegrind); and the helpers the sse
// tests share.
#ifndef LLMIO_TESTS_SSE_GRIND_HPP
#define LLMIO_TESTS_SSE_GRIND_HPP

#include <llmio/sse.hpp>

#include <support/catch.hpp>
#include <support/conformance.hpp>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

namespace llmio_test::sse {

/// One thing the parser reported: an event (type, data, id) or an other line (in `data`).
struct record {
    llmio::sse::parse_event what = llmio::sse::parse_event::event;
    std::string type;
    std::string data;
    std::string id;

    bool operator==(const record&) const = default;
};

inline std::ostream& operator<<(std::ostream& os, const record& r)
{
    if (r.what == llmio::sse::parse_event::other_line) {
        return os << "line{" << r.data << "}";
    }
    return os << "event{type=" << r.type << ", data=" << r.data << ", id=" << r.id << "}";
}

struct run {
    std::vector<record> records;
    std::vector<std::uint64_t> retries;   // retry() after each call, when it changed
    std::string last_event_id;
    std::error_code error;
    /// Protocol violations of the parser itself (views, padding, consumed counts).
    std::vector<std::string> problems;

    bool operator==(const run& o) const
    {
        return records == o.records && retries == o.retries && last_event_id == o.last_event_id &&
               error == o.error;
    }
};

inline std::ostream& operator<<(std::ostream& os, const run& r)
{
    os << "run{";
    for (const record& rec : r.records) {
        os << rec << ' ';
    }
    os << "retries=[";
    for (const std::uint64_t v : r.retries) {
        os << v << ' ';
    }
    return os << "] last_id=" << r.last_event_id << " error=" << r.error.message() << "}";
}

namespace detail {

inline void note_retry(const llmio::sse::parser& p, run& out, std::optional<std::uint64_t>& seen)
{
    if (p.retry() != seen) {
        seen = p.retry();
        if (seen) {
            out.retries.push_back(*seen);
        }
    }
}

/// Checks what the parser promises about an event's views, then copies it.
inline void take_event(const llmio::sse::parser& p, std::string_view piece, run& out)
{
    const llmio::sse::event& ev = p.current();
    const char* begin = piece.data();
    const char* end = piece.data() + piece.size();
    const char* data_end = ev.data.data() + ev.data.size();
    const std::less_equal<const char*> le;   // total order, even across unrelated buffers
    const bool in_input = begin != nullptr && le(begin, ev.data.data()) && le(data_end, end);
    if (in_input) {
        if (ev.data_padding != static_cast<std::size_t>(end - data_end)) {
            out.problems.push_back("data_padding of a view into the input is not its tail");
        }
    }
    else {
        if (ev.data_padding < llmio::sse::data_padding_guarantee) {
            out.problems.push_back("buffered data with less than the guaranteed padding");
        }
        // Touch the padding: a sanitizer build catches a promise the buffer does not keep.
        unsigned sum = 0;
        for (std::size_t i = 0; i < ev.data_padding; ++i) {
            sum += static_cast<unsigned char>(data_end[i]);
        }
        static_cast<void>(sum);
    }
    if (ev.id != p.last_event_id()) {
        out.problems.push_back("event id differs from last_event_id()");
    }
    out.records.push_back({llmio::sse::parse_event::event, std::string(ev.type),
                           std::string(ev.data), std::string(ev.id)});
}

} // namespace detail

/// Parses `pieces` as one stream, then finish(flush_pending). Stops at the first error.
inline run feed(llmio::sse::parser& p, const std::vector<std::string>& pieces, bool flush_pending)
{
    run out;
    std::optional<std::uint64_t> seen_retry;
    for (const std::string& piece : pieces) {
        std::string_view in = piece;
        for (;;) {
            std::error_code ec;
            const llmio::sse::parse_result r = p.put(in, ec);
            if (r.consumed > in.size()) {
                out.problems.push_back("consumed more than given");
                return out;
            }
            const std::string_view rest = in.substr(r.consumed);
            detail::note_retry(p, out, seen_retry);
            if (ec) {
                out.error = ec;
                out.last_event_id = std::string(p.last_event_id());
                return out;
            }
            if (r.event == llmio::sse::parse_event::need_more) {
                if (!rest.empty()) {
                    out.problems.push_back("need_more with input left");
                }
                break;
            }
            if (r.consumed == 0) {
                out.problems.push_back("a report that consumed nothing");
            }
            if (r.event == llmio::sse::parse_event::event) {
                detail::take_event(p, piece, out);
            }
            else {
                out.records.push_back(
                    {llmio::sse::parse_event::other_line, {}, std::string(p.line()), {}});
            }
            in = rest;
        }
    }
    for (int guard = 0;; ++guard) {
        std::error_code ec;
        const llmio::sse::parse_result r = p.finish(ec, flush_pending);
        detail::note_retry(p, out, seen_retry);
        if (r.consumed != 0) {
            out.problems.push_back("finish consumed bytes");
        }
        if (ec) {
            out.error = ec;
            break;
        }
        if (r.event == llmio::sse::parse_event::need_more) {
            break;
        }
        if (guard > 3) {
            out.problems.push_back("finish does not end");
            break;
        }
        if (r.event == llmio::sse::parse_event::event) {
            detail::take_event(p, {}, out);
        }
        else {
            out.records.push_back(
                {llmio::sse::parse_event::other_line, {}, std::string(p.line()), {}});
        }
    }
    out.last_event_id = std::string(p.last_event_id());
    return out;
}

inline run feed(const std::vector<std::string>& pieces, llmio::sse::parser_options options = {},
                bool flush_pending = false)
{
    llmio::sse::parser p(options);
    return feed(p, pieces, flush_pending);
}

/// Cuts `input` into pieces of `size` bytes (the last may be shorter).
inline std::vector<std::string> every(const std::string& input, std::size_t size)
{
    std::vector<std::string> pieces;
    for (std::size_t at = 0; at < input.size(); at += size) {
        pieces.push_back(input.substr(at, size));
    }
    if (pieces.empty()) {
        pieces.emplace_back();
    }
    return pieces;
}

/// A string of every byte of a literal, NULs included.
template <std::size_t N>
std::string bytes(const char (&literal)[N])
{
    return std::string(literal, N - 1);
}

inline record ev(std::string data, std::string type = "message", std::string id = "")
{
    return {llmio::sse::parse_event::event, std::move(type), std::move(data), std::move(id)};
}

inline record other(std::string line)
{
    return {llmio::sse::parse_event::other_line, {}, std::move(line), {}};
}

inline run expect(std::vector<record> records, std::string last_id = "")
{
    run r;
    r.records = std::move(records);
    r.last_event_id = std::move(last_id);
    return r;
}

/// The lines of `text` split at LF (a last line without LF included).
inline std::vector<std::string> lines_of(std::string_view text)
{
    std::vector<std::string> lines;
    while (!text.empty()) {
        const std::size_t nl = text.find('\n');
        lines.emplace_back(text.substr(0, nl));
        text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
    }
    return lines;
}

/// Every delivery of `input` (whole, every single split, 2 bytes at a time, byte by byte) gives
/// `expected` and breaks no promise about views or consumed counts.
inline void check_every_split(const std::string& input, const run& expected,
                              llmio::sse::parser_options options, bool flush_pending)
{
    std::vector<std::vector<std::string>> deliveries;
    for (const auto& plan : llmio_test::split_plans(input.size())) {
        deliveries.push_back(llmio_test::cut(input, plan));
    }
    deliveries.push_back(every(input, 2));
    for (const auto& pieces : deliveries) {
        const run got = feed(pieces, options, flush_pending);
        if (!got.problems.empty() || !(got == expected)) {
            INFO("pieces: " << pieces.size() << ", first: " << pieces.front().size() << " bytes");
            CAPTURE(got, expected);
            CHECK(got.problems.empty());
            FAIL("result differs");
        }
    }
}

} // namespace llmio_test::sse

#endif
