// llmio/testing/detail/mock_plan.hpp: what the mock server writes for one request, as data.
// Not API.
//
// The handler (mock_handler.hpp) decides everything a response is, faults included, and
// writes it down here: the head, the body pieces with their framing already applied, the
// delays, and how the connection ends. The connection coroutine only carries it out. Keeping
// the decision sans-I/O keeps the Asio part small and the rules testable by reading.
#ifndef LLMIO_TESTING_DETAIL_MOCK_PLAN_HPP
#define LLMIO_TESTING_DETAIL_MOCK_PLAN_HPP

#include <charconv>
#include <chrono>
#include <cstddef>
#include <cstdio>
#include <ctime>
#include <string>
#include <string_view>
#include <vector>

namespace llmio::testing::detail {

/// How the connection continues after the response.
enum class plan_end {
    keep_alive,   ///< read the next request
    close,        ///< `Connection: close` was sent: close gracefully (TLS close_notify, FIN)
    abort,        ///< close at once, no close_notify: the response is cut short on purpose
    stall,        ///< write nothing more; wait until the peer closes or the server stops
};

struct response_plan {
    /// Status line and fields, the blank line included.
    std::string head;
    /// Body bytes, one write each, framing included (chunk headers, the last-chunk).
    std::vector<std::string> pieces;
    std::size_t piece_count = 0;
    /// Before the first piece (time to first event) and between pieces (inter-token latency).
    std::chrono::steady_clock::duration first_delay{};
    std::chrono::steady_clock::duration gap{};
    /// Write the head before `first_delay` instead of with the first piece.
    bool head_first = false;
    /// Write the head a byte at a time, `slow_delay` apart.
    bool slow_head = false;
    std::chrono::steady_clock::duration slow_delay{};
    plan_end end = plan_end::keep_alive;

    /// Empties the plan; the strings keep their capacity for the next response.
    void clear() noexcept
    {
        head.clear();
        piece_count = 0;
        first_delay = gap = slow_delay = {};
        head_first = slow_head = false;
        end = plan_end::keep_alive;
    }

    /// A new, empty piece at the end.
    std::string& add_piece()
    {
        if (piece_count == pieces.size()) {
            pieces.emplace_back();
        }
        std::string& p = pieces[piece_count++];
        p.clear();
        return p;
    }
};

[[nodiscard]] inline std::string_view reason_phrase(int status) noexcept
{
    switch (status) {
    case 100: return "Continue";
    case 200: return "OK";
    case 400: return "Bad Request";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 413: return "Content Too Large";
    case 417: return "Expectation Failed";
    case 429: return "Too Many Requests";
    case 431: return "Request Header Fields Too Large";
    case 499: return "Client Closed Request";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    case 505: return "HTTP Version Not Supported";
    default: return "Unknown";
    }
}

/// The current time as an IMF-fixdate (RFC 9110 §5.6.7): an origin server with a clock MUST
/// send Date (§6.6.1).
inline void append_http_date(std::string& out)
{
    const std::time_t now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
    std::tm tm{};
#if defined(_WIN32)
    gmtime_s(&tm, &now);
#else
    gmtime_r(&now, &tm);
#endif
    char text[64];
    const std::size_t n = std::strftime(text, sizeof text, "%a, %d %b %Y %H:%M:%S GMT", &tm);
    out.append(text, n);
}

/// Status line and the fields every response carries; the framing fields come from
/// `end_head_length` / `end_head_chunked`.
inline void begin_head(std::string& out, int status, std::string_view content_type)
{
    char line[64];
    const int n = std::snprintf(line, sizeof line, "HTTP/1.1 %d ", status);
    out.append(line, static_cast<std::size_t>(n));
    out.append(reason_phrase(status));
    out.append("\r\nContent-Type: ");
    out.append(content_type);
    out.append("\r\nDate: ");
    append_http_date(out);
    out.append("\r\nServer: llmio-mock\r\n");
}

inline void end_head_length(std::string& out, std::size_t length, bool close)
{
    char line[64];
    const int n = std::snprintf(line, sizeof line, "Content-Length: %zu\r\n", length);
    out.append(line, static_cast<std::size_t>(n));
    out.append(close ? "Connection: close\r\n\r\n" : "\r\n");
}

inline void end_head_chunked(std::string& out, bool close)
{
    out.append("Transfer-Encoding: chunked\r\n");
    out.append(close ? "Connection: close\r\n\r\n" : "\r\n");
}

/// Appends `data` as one chunk (RFC 9112 §7.1); nothing for empty data, which would be the
/// last-chunk.
inline void append_chunk(std::string& out, std::string_view data)
{
    if (data.empty()) {
        return;
    }
    char size[24];
    char* end = std::to_chars(size, size + sizeof size - 2, data.size(), 16).ptr;   // lower case
    *end++ = '\r';
    *end++ = '\n';
    out.append(size, static_cast<std::size_t>(end - size));
    out.append(data);
    out.append("\r\n");
}

inline constexpr std::string_view last_chunk = "0\r\n\r\n";

} // namespace llmio::testing::detail

#endif // LLMIO_TESTING_DETAIL_MOCK_PLAN_HPP
