// The hot-path rule for llmio::sse::parser: once its buffers have grown to the largest line and
// event seen, parsing allocates nothing, however the stream is cut. This program replaces the
// global operator new to count.
#define LLMIO_TESTING_REPLACE_GLOBAL_NEW
#include <llmio/testing/allocation_counter.hpp>

#include <llmio/sse.hpp>

#include <support/catch.hpp>

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace {
std::size_t allocations_so_far()
{
    return llmio::testing::allocation_count().load();
}
} // namespace

namespace {

/// A stream with every shape the parser handles: single-line events (views), multi-line
/// events (buffer), type and id, comments, retry, CRLF and CR line ends, other lines.
std::string sample_stream(int events)
{
    std::string s = "\xEF\xBB\xBF: keep-alive\r\n";
    for (int i = 0; i < events; ++i) {
        std::string n = std::to_string(i);
        n.insert(0, 8 - n.size(), '0');   // fixed width: the largest line is the same everywhere
        switch (i % 4) {
        case 0:
            s += "data: {\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"" + n +
                 "\"}]}}]}\r\n\r\n";
            break;
        case 1:
            s += "event: delta\nid: " + n + "\ndata: {\"a\":\ndata: " + n + "}\n\n";
            break;
        case 2:
            s += "retry: 1000\r: comment\rdata: " + std::string(40, 'x') + "\r\r";
            break;
        default:
            s += "{\n  \"error\": " + n + "\n}\ndata: tail\n\n";
            break;
        }
    }
    return s;
}

std::vector<std::string> pieces_of(const std::string& s, std::size_t size)
{
    std::vector<std::string> pieces;
    for (std::size_t at = 0; at < s.size(); at += size) {
        pieces.push_back(s.substr(at, size));
    }
    return pieces;
}

/// Parses one whole stream; returns the events seen (to keep the work observable).
std::size_t parse(llmio::sse::parser& p, const std::vector<std::string>& pieces)
{
    std::size_t seen = 0;
    for (const std::string& piece : pieces) {
        std::string_view in = piece;
        for (;;) {
            std::error_code ec;
            const llmio::sse::parse_result r = p.put(in, ec);
            if (ec) {
                return 0;
            }
            in.remove_prefix(r.consumed);
            if (r.event == llmio::sse::parse_event::need_more) {
                break;
            }
            seen += r.event == llmio::sse::parse_event::event ? p.current().data.size() + 1 : 1;
        }
    }
    std::error_code ec;
    while (p.finish(ec, true).event != llmio::sse::parse_event::need_more && !ec) {
        ++seen;
    }
    return seen;
}

} // namespace

TEST_CASE("a warm parser allocates nothing, however the input is cut")
{
    const std::string stream = sample_stream(400);
    std::vector<std::vector<std::string>> deliveries;
    for (const std::size_t size : {stream.size(), std::size_t{4096}, std::size_t{1000},
                                   std::size_t{7}, std::size_t{1}}) {
        deliveries.push_back(pieces_of(stream, size));
    }
    llmio::sse::parser p({.report_other_lines = true});

    std::vector<std::size_t> warm;
    for (const auto& pieces : deliveries) {
        warm.push_back(parse(p, pieces));
        p.reset();
    }

    std::vector<std::size_t> measured(deliveries.size());
    const std::size_t before = allocations_so_far();
    for (std::size_t i = 0; i < deliveries.size(); ++i) {
        measured[i] = parse(p, deliveries[i]);
        p.reset();
    }
    const std::size_t during = allocations_so_far() - before;

    CHECK(during == 0);
    CHECK(measured == warm);
    CHECK(warm.front() > 400);
    for (const std::size_t seen : warm) {
        CHECK(seen == warm.front());
    }
}

TEST_CASE("a long stream allocates nothing after its first events")
{
    // Warm-up: one event of each shape, cut at every offset, so that every line has been
    // carried whole once and every buffer has reached the size the rest of the stream needs,
    // however it is cut.
    const std::string head = sample_stream(4);
    const std::string body = sample_stream(4000).substr(3);   // no second BOM
    llmio::sse::parser p({.report_other_lines = true});
    for (std::size_t at = 1; at < head.size(); ++at) {
        REQUIRE(parse(p, {head.substr(0, at), head.substr(at)}) > 4);
        p.reset();
    }
    REQUIRE(parse(p, {head}) > 4);

    for (const std::size_t size : {std::size_t{333}, std::size_t{7}, std::size_t{1}}) {
        INFO("pieces of " << size);
        const std::vector<std::string> pieces = pieces_of(body, size);
        std::size_t seen = 0;
        bool failed = false;
        const std::size_t before = allocations_so_far();
        for (const std::string& piece : pieces) {
            std::string_view in = piece;
            for (;;) {
                std::error_code ec;
                const auto r = p.put(in, ec);
                failed = failed || static_cast<bool>(ec);
                in.remove_prefix(r.consumed);
                if (r.event == llmio::sse::parse_event::need_more || ec) {
                    break;
                }
                ++seen;
            }
        }
        const std::size_t during = allocations_so_far() - before;
        CHECK(!failed);
        CHECK(during == 0);
        CHECK(seen > 4000);
    }
}

TEST_CASE("warm means the largest event has passed, whole or cut")
{
    // Whole, every single-line event is a view into the input and no line is carried; the
    // buffers must still be ready for the same stream cut anywhere.
    const std::string stream = sample_stream(40);
    llmio::sse::parser p({.report_other_lines = true});
    const std::size_t whole = parse(p, {stream});
    p.reset();

    for (const std::size_t size : {std::size_t{1}, std::size_t{2}, std::size_t{3}, std::size_t{5},
                                   std::size_t{64}}) {
        INFO("pieces of " << size);
        const std::vector<std::string> pieces = pieces_of(stream, size);
        const std::size_t before = allocations_so_far();
        const std::size_t seen = parse(p, pieces);
        const std::size_t during = allocations_so_far() - before;
        p.reset();
        CHECK(during == 0);
        CHECK(seen == whole);
    }
}

TEST_CASE("a buffer that cannot grow fails the stream instead of throwing")
{
    llmio::sse::parser p;
    const std::string input = "data: " + std::string(100, 'a') + "\ndata: b\n\n";
    std::error_code ec;
    llmio::testing::refuse_allocations() = true;
    const llmio::sse::parse_result r = p.put(input, ec);   // noexcept: no way to throw out
    llmio::testing::refuse_allocations() = false;
    CHECK(ec == std::errc::not_enough_memory);
    CHECK(r.event == llmio::sse::parse_event::need_more);

    std::error_code again;
    CHECK(p.put("data: x\n\n", again).consumed == 0);
    CHECK(again == std::errc::not_enough_memory);

    p.reset();
    std::error_code fresh;
    REQUIRE(p.put(input, fresh).event == llmio::sse::parse_event::event);
    CHECK(!fresh);
    CHECK(p.current().data == std::string(100, 'a') + "\nb");
}
