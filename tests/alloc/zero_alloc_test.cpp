// Once warm, the parsing core allocates nothing per event and nothing per response:
// HTTP chunked body -> SSE -> Gemini chunk decoder -> stream rules (gemini::http_stream).
//
// The global operator new (and the aligned allocators where they can be interposed) are
// replaced by counting ones for this program only.
#define LLMIO_TESTING_REPLACE_GLOBAL_NEW
#include <llmio/testing/allocation_counter.hpp>

#include <llmio/gemini/http_stream.hpp>
#include <llmio/testing/chunked_response.hpp>

#include "support/catch.hpp"
#include "support/conformance.hpp"

#include <cstring>
#include <optional>
#include <string>
#include <vector>

namespace gemini = llmio::gemini;

namespace {

// The `data:` lines of a recorded stream, without their terminators.
std::vector<std::string> recorded_events(const std::string& body)
{
    std::vector<std::string> events;
    std::size_t at = 0;
    while ((at = body.find("data: ", at)) != std::string::npos) {
        const std::size_t end = body.find_first_of("\r\n", at);
        events.push_back(body.substr(at, end - at));
        at = end;
    }
    return events;
}

// A 200 response whose body repeats `events` (the last one carries finishReason STOP) `rounds`
// times, framed in HTTP chunks of `chunk` bytes so that chunk boundaries split events.
std::string long_response(const std::vector<std::string>& events, std::size_t rounds, std::size_t chunk)
{
    std::string body;
    for (std::size_t r = 0; r < rounds; ++r) {
        for (std::size_t i = 0; i + 1 < events.size(); ++i) {
            body += events[i];
            body += "\r\n\r\n";
        }
    }
    body += events.back();
    body += "\r\n\r\n";
    return llmio::testing::chunked_response(body, chunk);
}

struct counts {
    std::size_t chunks = 0;
    std::size_t text_bytes = 0;
    std::size_t allocations_after_warmup = 0;
    bool done = false;
};

// Reads `response` in `read_size` pieces into a fixed buffer with room for simdjson's
// padding (as the transport does), counting allocations once `warmup` chunks have passed.
counts drive(gemini::http_stream& stream, const std::string& response, std::size_t read_size,
             std::size_t warmup, std::vector<char>& buffer)
{
    counts c;
    std::size_t begin = 0;   // unconsumed bytes live in buffer[begin, end)
    std::size_t end = 0;
    std::size_t offset = 0;
    std::optional<llmio::testing::allocation_scope> scope;
    std::error_code ec;
    while (!c.done && !ec) {
        if (offset < response.size() && end + read_size <= buffer.size() - gemini::json_padding) {
            const std::size_t n = std::min(read_size, response.size() - offset);
            std::memcpy(buffer.data() + end, response.data() + offset, n);
            end += n;
            offset += n;
        }
        for (;;) {
            const std::string_view input(buffer.data() + begin, end - begin);
            const auto r = stream.put(input, ec, buffer.size() - end);
            begin += r.consumed;
            if (ec || r.what == gemini::http_stream::step::need_more) {
                break;
            }
            if (r.what == gemini::http_stream::step::chunk) {
                ++c.chunks;
                stream.chunk().for_each_text([&](std::string_view t) { c.text_bytes += t.size(); });
                if (c.chunks == warmup) {
                    scope.emplace();
                }
            }
            if (r.what == gemini::http_stream::step::done) {
                c.done = true;
                break;
            }
        }
        // Move what is left to the front, as a transport's flat buffer does.
        std::memmove(buffer.data(), buffer.data() + begin, end - begin);
        end -= begin;
        begin = 0;
        if (offset == response.size() && end == 0 && !c.done) {
            break;
        }
    }
    REQUIRE_FALSE(ec);
    c.allocations_after_warmup = scope ? scope->allocations() : 0;
    return c;
}

} // namespace

TEST_CASE("zero heap allocations per event and per response once warm", "[alloc]")
{
    const auto body = llmio_test::read_conformance("gemini/googleai/streaming-success-basic-reply-long.txt");
    if (!body) {
        WARN("skipped: conformance data not found");
        return;
    }
    const std::vector<std::string> events = recorded_events(*body);
    REQUIRE(events.size() == 36);

    for (std::size_t http_chunk : {std::size_t(257), std::size_t(8192)}) {
        for (std::size_t read_size : {std::size_t(1000), std::size_t(16384)}) {
            CAPTURE(http_chunk, read_size);
            const std::string response = long_response(events, 30, http_chunk);
            std::vector<char> buffer(64 * 1024);
            gemini::http_stream stream;

            // First response: the buffers grow to the largest event seen in each path (in place,
            // copied for padding, assembled across HTTP chunks). Which event first takes which
            // path depends on where the reads and chunks cut, so a few growth steps may come
            // after the first round; they do not scale with the number of events.
            const counts first = drive(stream, response, read_size, events.size(), buffer);
            CHECK(first.done);
            CHECK(first.chunks == 30 * (events.size() - 1) + 1);
            CHECK(first.allocations_after_warmup <= 8);

            // The next response on the same connection: nothing at all, from its first byte.
            stream.next_response();
            llmio::testing::allocation_scope whole_response;
            const counts second = drive(stream, response, read_size, 1, buffer);
            CHECK(second.done);
            CHECK(second.chunks == first.chunks);
            CHECK(second.text_bytes == first.text_bytes);
            CHECK(whole_response.allocations() == 0);
        }
    }
}

TEST_CASE("the counter sees allocations", "[alloc]")
{
    llmio::testing::allocation_scope scope;
    auto* p = new std::string(1000, 'x');
    CHECK(scope.allocations() >= 1);
    delete p;
}
