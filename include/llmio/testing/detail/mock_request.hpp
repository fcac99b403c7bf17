// llmio/testing/detail/mock_request.hpp: the mock server's request reader. Not API.
//
// Small and strict on purpose: the mock is what llmio's own client talks to in tests, so a
// request that a lenient server would let through (a bare LF, obs-fold, a Content-Length list,
// a chunked body the real service would take but llmio never sends) is answered 400 and the
// connection closed, which makes a client bug visible instead of papering over it. Sans-I/O:
// it parses a buffer the connection fills, and is called again after every read.
#ifndef LLMIO_TESTING_DETAIL_MOCK_REQUEST_HPP
#define LLMIO_TESTING_DETAIL_MOCK_REQUEST_HPP

#include <llmio/http/detail/chars.hpp>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

namespace llmio::testing::detail {

struct request_limits {
    std::size_t head = 64 * 1024;         ///< request line + fields + the blank line
    std::size_t fields = 100;             ///< field lines in one head
    std::size_t body = 16 * 1024 * 1024;  ///< Content-Length
};

struct header_field {
    std::string_view name;
    std::string_view value;   ///< OWS trimmed
};

/// One request, as views into the connection's buffer: valid until that buffer changes (the
/// next read appends to it, and the request's bytes are erased once it is answered).
struct mock_request {
    std::string_view method;
    std::string_view target;   ///< origin-form, as sent
    std::string_view path;     ///< target before '?', still percent-encoded
    std::string_view query;    ///< after '?', "" when none
    int version = 11;          ///< 11 or 10
    std::vector<header_field> fields;
    std::uint64_t content_length = 0;
    bool keep_alive = true;
    bool expect_continue = false;
    std::size_t head_size = 0;   ///< bytes of the head, leading empty lines included
    std::string_view body;       ///< set by the connection once all of it is in the buffer

    /// The value of the first field named `name` (case-insensitive); nullopt when absent.
    [[nodiscard]] std::optional<std::string_view> field(std::string_view name) const noexcept
    {
        for (const header_field& f : fields) {
            if (http::detail::iequals(f.name, name)) {
                return f.value;
            }
        }
        return std::nullopt;
    }

    /// The raw (not percent-decoded) value of query parameter `key`; nullopt when absent.
    [[nodiscard]] std::optional<std::string_view> query_value(std::string_view key) const noexcept
    {
        std::string_view q = query;
        while (!q.empty()) {
            const std::size_t amp = q.find('&');
            const std::string_view pair = q.substr(0, amp);
            const std::size_t eq = pair.find('=');
            if (pair.substr(0, eq) == key) {
                return eq == std::string_view::npos ? std::string_view{} : pair.substr(eq + 1);
            }
            if (amp == std::string_view::npos) {
                break;
            }
            q.remove_prefix(amp + 1);
        }
        return std::nullopt;
    }
};

enum class read_status {
    need_more,   ///< the head is not complete yet: read more
    head,        ///< the head parsed; `content_length` body bytes follow `head_size`
    bad,         ///< answer `http_status` and close
};

struct read_result {
    read_status status = read_status::need_more;
    int http_status = 0;        ///< for `bad`: 400, 413, 431, 501 or 505
    std::string_view reason;    ///< for `bad`: a short text for the response body
};

namespace request_reader_detail {

[[nodiscard]] inline read_result bad(int status, std::string_view why) noexcept
{
    return {read_status::bad, status, why};
}

// The request line: method SP request-target SP HTTP-version (RFC 9112 §3).
[[nodiscard]] inline read_result parse_request_line(std::string_view line, mock_request& out) noexcept
{
    const std::size_t sp1 = line.find(' ');
    if (sp1 == std::string_view::npos) {
        return bad(400, "malformed request line");
    }
    const std::size_t sp2 = line.find(' ', sp1 + 1);
    if (sp2 == std::string_view::npos || line.find(' ', sp2 + 1) != std::string_view::npos) {
        return bad(400, "malformed request line");
    }
    out.method = line.substr(0, sp1);
    out.target = line.substr(sp1 + 1, sp2 - sp1 - 1);
    const std::string_view version = line.substr(sp2 + 1);
    if (!http::detail::is_token(out.method)) {
        return bad(400, "malformed method");
    }
    // Only origin-form: the mock is no proxy, and absolute-form to an origin is unusual enough
    // to be a client bug (RFC 9112 §3.2.1).
    if (out.target.empty() || out.target.front() != '/' ||
        !http::detail::all_of(out.target, http::detail::cc_vchar)) {
        return bad(400, "malformed request target");
    }
    if (version == "HTTP/1.1") {
        out.version = 11;
    } else if (version == "HTTP/1.0") {
        out.version = 10;
    } else if (version.size() == 8 && version.substr(0, 5) == "HTTP/") {
        return bad(505, "HTTP version not supported");
    } else {
        return bad(400, "malformed HTTP version");
    }
    const std::size_t q = out.target.find('?');
    out.path = out.target.substr(0, q);
    out.query = q == std::string_view::npos ? std::string_view{} : out.target.substr(q + 1);
    return {read_status::head, 0, {}};
}

// Content-Length: 1*DIGIT, no list, no sign (RFC 9110 §8.6). Repeats must agree.
[[nodiscard]] inline bool parse_length(std::string_view v, std::uint64_t& out) noexcept
{
    if (v.empty() || v.size() > 19) {
        return false;
    }
    std::uint64_t n = 0;
    for (const char c : v) {
        if (c < '0' || c > '9') {
            return false;
        }
        n = n * 10 + static_cast<std::uint64_t>(c - '0');
    }
    out = n;
    return true;
}

} // namespace request_reader_detail

/// Parses the head at the start of `buffer` into `out` (its views point into `buffer`). Call
/// again from the start after each read: the parse is cheap next to a read, and re-parsing
/// keeps the views valid however the buffer moved.
[[nodiscard]] inline read_result parse_request_head(std::string_view buffer, const request_limits& limits,
                                                    mock_request& out) noexcept
{
    namespace rd = request_reader_detail;
    using http::detail::iequals;
    out.fields.clear();
    out.content_length = 0;
    out.keep_alive = true;
    out.expect_continue = false;
    out.head_size = 0;
    out.body = {};

    // RFC 9112 §2.2: a server SHOULD ignore at least one empty line before the request line
    // (some clients send a CRLF after a POST body).
    std::size_t at = 0;
    while (buffer.size() - at >= 2 && buffer[at] == '\r' && buffer[at + 1] == '\n') {
        at += 2;
    }
    const std::size_t end = buffer.find("\r\n\r\n", at);
    if (end == std::string_view::npos) {
        if (buffer.size() > limits.head) {
            return rd::bad(431, "request head too large");
        }
        // A bare LF or CR anywhere in what arrived already fails, without waiting for more.
        for (std::size_t i = at; i < buffer.size(); ++i) {
            if ((buffer[i] == '\n' && (i == 0 || buffer[i - 1] != '\r')) ||
                (buffer[i] == '\r' && i + 1 < buffer.size() && buffer[i + 1] != '\n')) {
                return rd::bad(400, "bare CR or LF in the request head");
            }
        }
        return {};
    }
    if (end + 4 > limits.head) {
        return rd::bad(431, "request head too large");
    }
    out.head_size = end + 4;
    std::string_view head = buffer.substr(at, end + 2 - at);   // each line keeps its CRLF
    bool first = true;
    bool has_host = false;
    bool has_length = false;
    bool conn_close = false;
    bool conn_keep_alive = false;
    while (!head.empty()) {
        const std::size_t crlf = head.find("\r\n");
        const std::string_view line = head.substr(0, crlf);
        head.remove_prefix(crlf + 2);
        if (line.find('\r') != std::string_view::npos || line.find('\n') != std::string_view::npos) {
            return rd::bad(400, "bare CR or LF in the request head");
        }
        if (first) {
            first = false;
            const read_result r = rd::parse_request_line(line, out);
            if (r.status == read_status::bad) {
                return r;
            }
            continue;
        }
        if (line.empty() || http::detail::is_ows(line.front())) {
            return rd::bad(400, "obsolete line folding");   // RFC 9112 §5.2
        }
        const std::size_t colon = line.find(':');
        if (colon == std::string_view::npos || !http::detail::is_token(line.substr(0, colon))) {
            return rd::bad(400, "malformed header field");   // also whitespace before ':' (§5.1)
        }
        const std::string_view value = http::detail::trim_ows(line.substr(colon + 1));
        if (!http::detail::all_of(value, http::detail::cc_field)) {
            return rd::bad(400, "invalid character in a header field value");
        }
        if (out.fields.size() == limits.fields) {
            return rd::bad(431, "too many header fields");
        }
        const header_field f{line.substr(0, colon), value};
        out.fields.push_back(f);
        if (iequals(f.name, "content-length")) {
            std::uint64_t n = 0;
            if (!rd::parse_length(f.value, n) || (has_length && n != out.content_length)) {
                return rd::bad(400, "malformed Content-Length");
            }
            has_length = true;
            out.content_length = n;
        } else if (iequals(f.name, "transfer-encoding")) {
            // RFC 9112 §6.1: a server that does not understand a transfer coding answers 501.
            // llmio always knows its body's length, so chunked uploads are not taken.
            return rd::bad(501, "Transfer-Encoding in requests is not supported");
        } else if (iequals(f.name, "host")) {
            if (has_host) {
                return rd::bad(400, "more than one Host field");   // RFC 9112 §3.2
            }
            has_host = true;
        } else if (iequals(f.name, "connection")) {
            http::detail::for_each_list_element(f.value, [&](std::string_view option) {
                conn_close = conn_close || iequals(option, "close");
                conn_keep_alive = conn_keep_alive || iequals(option, "keep-alive");
                return true;
            });
        } else if (iequals(f.name, "expect")) {
            if (!iequals(f.value, "100-continue")) {
                return rd::bad(417, "unsupported expectation");   // RFC 9110 §10.1.1
            }
            out.expect_continue = out.version == 11;
        }
    }
    // RFC 9112 §9.3: HTTP/1.1 persists unless "close"; HTTP/1.0 only with "keep-alive".
    out.keep_alive = !conn_close && (out.version == 11 || conn_keep_alive);
    if (out.version == 11 && !has_host) {
        return rd::bad(400, "missing Host field");   // RFC 9112 §3.2: MUST answer 400
    }
    if (out.content_length > limits.body) {
        return rd::bad(413, "request body too large");
    }
    return {read_status::head, 0, {}};
}

} // namespace llmio::testing::detail

#endif // LLMIO_TESTING_DETAIL_MOCK_REQUEST_HPP
