// llmio/testing/chunked_response.hpp: a body framed as an HTTP/1.1 chunked response, the way
// the Gemini service sends streams, for tests, benchmarks and replays.
#ifndef LLMIO_TESTING_CHUNKED_RESPONSE_HPP
#define LLMIO_TESTING_CHUNKED_RESPONSE_HPP

#include <algorithm>
#include <cstddef>
#include <cstdio>
#include <string>
#include <string_view>

namespace llmio::testing {

/// The status line and fields of a streamed Gemini response, without the framing field and
/// the blank line (those are added).
inline constexpr std::string_view sse_response_head =
    "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n";

/// Appends `head`, `Transfer-Encoding: chunked`, and `body` cut into chunks of `chunk_size`
/// bytes (the last may be shorter), then the last-chunk. Chunk boundaries land wherever the
/// size puts them: inside events and inside line terminators, as on the wire.
inline void append_chunked_response(std::string& out, std::string_view body, std::size_t chunk_size,
                                    std::string_view head = sse_response_head)
{
    chunk_size = std::max<std::size_t>(chunk_size, 1);
    out.append(head);
    out.append("Transfer-Encoding: chunked\r\n\r\n");
    for (std::size_t at = 0; at < body.size(); at += chunk_size) {
        const std::size_t n = std::min(chunk_size, body.size() - at);
        char size[24];
        const int len = std::snprintf(size, sizeof size, "%zx\r\n", n);
        out.append(size, static_cast<std::size_t>(len));
        out.append(body.substr(at, n));
        out.append("\r\n");
    }
    out.append("0\r\n\r\n");
}

/// The same, as a new string.
[[nodiscard]] inline std::string chunked_response(std::string_view body, std::size_t chunk_size,
                                                  std::string_view head = sse_response_head)
{
    std::string out;
    append_chunked_response(out, body, chunk_size, head);
    return out;
}

} // namespace llmio::testing

#endif // LLMIO_TESTING_CHUNKED_RESPONSE_HPP
