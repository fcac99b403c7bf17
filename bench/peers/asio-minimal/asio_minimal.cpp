// Peer `asio-minimal`: the floor. Hand-written standalone Asio and simdjson, nothing of llmio:
// one C++20 coroutine per stream on one io_context, one socket each kept alive, the request
// written from one prebuilt string, the HTTP/1.1 head and chunked body parsed by hand (as
// little as the mock's output needs: status 200, Transfer-Encoding: chunked, no trailers),
// SSE events split and decoded with simdjson On-Demand. No pool, no limits, no timeouts, no
// retries, no policies: whatever a client library costs beyond this is its features.
//
//     llmio-peer-asio-minimal --base-url http://127.0.0.1:PORT --concurrency 64 --per-stream 10 --events 20
//
// Prints one JSON line (bench/peers/README.md).
#include "../common/peer_job.hpp"

#include <asio/awaitable.hpp>
#include <asio/co_spawn.hpp>
#include <asio/connect.hpp>
#include <asio/detached.hpp>
#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/use_awaitable.hpp>
#include <asio/write.hpp>

#include <algorithm>
#include <cctype>
#include <cstring>
#include <stdexcept>
#include <string>
#include <vector>

namespace {

using asio::ip::tcp;

struct job {
    peers::args args{};
    peers::recorder rec;
    simdjson::ondemand::parser parser{};   // one thread: one parser serves every stream
    std::string text{};
    std::string request{};
    tcp::endpoint server{};

    explicit job(const peers::args& a) : args(a), rec(args) {}
};

// Bytes read from one socket and not yet consumed: [begin, end) of `data`.
struct read_buffer {
    std::vector<char> data = std::vector<char>(64 * 1024);
    std::size_t begin = 0;
    std::size_t end = 0;

    [[nodiscard]] std::string_view view() const { return {data.data() + begin, end - begin}; }
    void consume(std::size_t n) { begin += n; }

    // Reads at least one more byte.
    asio::awaitable<void> fill(tcp::socket& socket)
    {
        if (begin == end) {
            begin = end = 0;
        } else if (end == data.size()) {
            if (begin == 0) {
                throw std::runtime_error("HTTP head or chunk-size line too long");
            }
            std::memmove(data.data(), data.data() + begin, end - begin);
            end -= begin;
            begin = 0;
        }
        end += co_await socket.async_read_some(asio::buffer(data.data() + end, data.size() - end), asio::use_awaitable);
    }

    // Reads until `delimiter` is buffered; returns its offset from begin.
    asio::awaitable<std::size_t> find(tcp::socket& socket, std::string_view delimiter)
    {
        for (;;) {
            const std::size_t at = view().find(delimiter);
            if (at != std::string_view::npos) {
                co_return at;
            }
            co_await fill(socket);
        }
    }
};

bool contains_ci(std::string_view haystack, std::string_view needle)
{
    for (std::size_t i = 0; i + needle.size() <= haystack.size(); ++i) {
        // `needle` is lower case.
        if (std::equal(needle.begin(), needle.end(), haystack.begin() + static_cast<std::ptrdiff_t>(i),
                       [](char n, char h) { return std::tolower(static_cast<unsigned char>(h)) == n; })) {
            return true;
        }
    }
    return false;
}

// One response: the head, then the chunked body fed to the SSE splitter as it arrives.
// Returns whether the server keeps the connection open.
asio::awaitable<bool> read_response(job& j, tcp::socket& socket, read_buffer& in, peers::sse_splitter& sse,
                                    peers::recorder::request& req, bool& bad_event)
{
    const std::size_t head_size = co_await in.find(socket, "\r\n\r\n") + 4;
    const std::string_view head = in.view().substr(0, head_size);
    if (head.substr(0, 13) != "HTTP/1.1 200 ") {
        throw std::runtime_error("not HTTP/1.1 200");
    }
    if (!contains_ci(head, "\r\ntransfer-encoding: chunked\r\n")) {
        throw std::runtime_error("not chunked");
    }
    const bool keep_alive = !contains_ci(head, "\r\nconnection: close\r\n");
    in.consume(head_size);

    const auto on_event = [&](std::string_view data, std::size_t capacity) {
        if (!peers::decode_text(j.parser, data, capacity, j.text)) {
            bad_event = true;
            return;
        }
        j.rec.event(req, j.text);
    };
    for (;;) {
        const std::size_t line_end = co_await in.find(socket, "\r\n");
        std::size_t size = 0;
        for (const char c : in.view().substr(0, line_end)) {
            const int digit = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
            if (digit < 0) {
                break;   // a chunk extension; the mock sends none
            }
            size = size * 16 + static_cast<std::size_t>(digit);
        }
        in.consume(line_end + 2);
        if (size == 0) {
            co_await in.find(socket, "\r\n");   // no trailers: the empty line ends the body
            in.consume(2);
            co_return keep_alive;
        }
        while (size > 0) {
            if (in.view().empty()) {
                co_await in.fill(socket);
            }
            const std::string_view piece = in.view().substr(0, size);
            sse.feed(piece, on_event);
            in.consume(piece.size());
            size -= piece.size();
        }
        while (in.view().size() < 2) {
            co_await in.fill(socket);
        }
        if (in.view().substr(0, 2) != "\r\n") {
            throw std::runtime_error("chunk not followed by CRLF");
        }
        in.consume(2);
    }
}

asio::awaitable<void> one_stream(job& j)
{
    tcp::socket socket(co_await asio::this_coro::executor);
    read_buffer in;
    peers::sse_splitter sse;
    for (std::size_t r = 0; r < j.args.per_stream; ++r) {
        peers::recorder::request req;
        j.rec.begin(req);
        bool bad_event = false;
        const char* why = nullptr;
        try {
            if (!socket.is_open()) {
                co_await socket.async_connect(j.server, asio::use_awaitable);
                socket.set_option(tcp::no_delay(true));
                in.begin = in.end = 0;
            }
            sse.reset();
            co_await asio::async_write(socket, asio::buffer(j.request), asio::use_awaitable);
            if (!co_await read_response(j, socket, in, sse, req, bad_event)) {
                socket.close();
            }
        } catch (const std::exception& e) {
            // Counted by the recorder; the next request starts on a new connection.
            why = e.what();
            asio::error_code ignored;
            socket.close(ignored);
        }
        j.rec.end(req, why == nullptr && !bad_event, why ? why : bad_event ? "bad event" : nullptr);
    }
}

} // namespace

int main(int argc, char** argv)
{
    const peers::args args = peers::parse_args(argc, argv, "llmio-peer-asio-minimal");
    job j(args);

    // http://HOST:PORT with a numeric host: the peers run against the loopback mock.
    const std::string_view url = args.base_url;
    const std::size_t colon = url.rfind(':');
    if (url.substr(0, 7) != "http://" || colon <= 7) {
        std::fprintf(stderr, "llmio-peer-asio-minimal: --base-url must be http://IP:PORT\n");
        return 2;
    }
    const std::string host(url.substr(7, colon - 7));
    j.server = tcp::endpoint(asio::ip::make_address(host), static_cast<unsigned short>(std::stoul(std::string(url.substr(colon + 1)))));
    j.request = "POST /v1beta/models/" + std::string(peers::model) + ":streamGenerateContent?alt=sse HTTP/1.1\r\n"
                "Host: " + std::string(url.substr(7)) + "\r\n"
                "Content-Type: application/json\r\n"
                "x-goog-api-key: " + std::string(peers::api_key) + "\r\n"
                "Content-Length: " + std::to_string(peers::body.size()) + "\r\n"
                "\r\n" + std::string(peers::body);

    asio::io_context io(1);
    j.rec.start_job();
    for (std::size_t i = 0; i < args.concurrency; ++i) {
        asio::co_spawn(io, one_stream(j), asio::detached);
    }
    io.run();
    j.rec.end_job();
    j.rec.print("asio-minimal");
    return 0;
}
