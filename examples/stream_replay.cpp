// llmio-replay: a recorded Gemini stream, replayed through llmio's parsing core as the network
// would deliver it, with the text printed as it streams.
//
//   llmio-replay [FILE] [--ttft-ms N] [--itl-ms N] [--read-size N]
//
// FILE is a recorded `streamGenerateContent?alt=sse` body (default: the long reply among the
// conformance fixtures). It is framed as an HTTP/1.1 chunked response, handed over in reads of
// --read-size bytes every --itl-ms milliseconds, and decoded by gemini::http_stream: HTTP
// de-chunking -> SSE -> simdjson decoding -> stream rules. Time to first text and total time
// are measured on the steady clock.
//
// No sockets: it shows the parsing core alone, as a network would feed it. llmio-demo runs the
// whole path (transport included) against the embedded mock server or the real service.
#include <llmio/gemini/http_stream.hpp>
#include <llmio/testing/chunked_response.hpp>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <string>
#include <thread>


int main(int argc, char** argv)
{
    std::string file = std::string(LLMIO_CONFORMANCE_DIR) + "/gemini/googleai/streaming-success-basic-reply-long.txt";
    int ttft_ms = 300;
    int itl_ms = 20;
    std::size_t read_size = 600;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        if (a == "--ttft-ms" && i + 1 < argc) {
            ttft_ms = std::atoi(argv[++i]);
        }
        else if (a == "--itl-ms" && i + 1 < argc) {
            itl_ms = std::atoi(argv[++i]);
        }
        else if (a == "--read-size" && i + 1 < argc) {
            read_size = std::max(1, std::atoi(argv[++i]));
        }
        else if (a == "--help" || a == "-h") {
            std::printf("usage: llmio-replay [FILE] [--ttft-ms N] [--itl-ms N] [--read-size N]\n");
            return 0;
        }
        else {
            file = a;
        }
    }
    std::ifstream in(file, std::ios::binary);
    if (!in) {
        std::fprintf(stderr, "llmio-replay: cannot read %s\n", file.c_str());
        return 2;
    }
    const std::string body((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    const std::string wire = llmio::testing::chunked_response(body, 1024);
    std::fprintf(stderr, "llmio-replay: replaying %s (%zu bytes): first byte after %d ms, then %zu-byte reads every %d ms\n\n",
                 file.c_str(), wire.size(), ttft_ms, read_size, itl_ms);

    llmio::gemini::http_stream stream;
    std::string buffer;
    std::size_t offset = 0;
    std::size_t chunks = 0;
    const auto start = std::chrono::steady_clock::now();
    std::chrono::steady_clock::duration ttft{};
    std::error_code ec;
    bool done = false;
    while (!done && !ec) {
        if (offset < wire.size()) {
            // The service's time to first byte, then its pace.
            std::this_thread::sleep_for(std::chrono::milliseconds(offset == 0 ? ttft_ms : itl_ms));
            buffer.append(wire, offset, read_size);
            offset = std::min(wire.size(), offset + read_size);
        }
        for (;;) {
            const auto r = stream.put(buffer, ec);
            buffer.erase(0, r.consumed);
            if (ec || r.what == llmio::gemini::http_stream::step::need_more) {
                break;
            }
            if (r.what == llmio::gemini::http_stream::step::chunk) {
                if (chunks++ == 0) {
                    ttft = std::chrono::steady_clock::now() - start;
                }
                stream.chunk().for_each_text([](std::string_view t) {
                    std::fwrite(t.data(), 1, t.size(), stdout);
                });
                std::fflush(stdout);
            }
            if (r.what == llmio::gemini::http_stream::step::done) {
                done = true;
                break;
            }
        }
        if (offset == wire.size() && !done && !ec) {
            const auto r = stream.put_eof(ec);   // the connection closed with the body unfinished
            done = r.what == llmio::gemini::http_stream::step::done;
        }
    }
    const auto total = std::chrono::steady_clock::now() - start;
    const auto ms = [](auto d) { return std::chrono::duration<double, std::milli>(d).count(); };
    std::printf("\n\n");
    if (ec) {
        std::fprintf(stderr, "llmio-replay: error: %s (%s)\n", ec.message().c_str(), ec.category().name());
        return 1;
    }
    const auto& usage = stream.decoder().usage();
    std::fprintf(stderr, "chunks %zu, finish %s, TTFT %.1f ms, total %.1f ms", chunks,
                 std::string(llmio::gemini::to_string(stream.decoder().last_finish_reason())).c_str(), ms(ttft),
                 ms(total));
    if (usage) {
        std::fprintf(stderr, ", tokens prompt %lld / output %lld / total %lld",
                     static_cast<long long>(usage->prompt), static_cast<long long>(usage->candidates),
                     static_cast<long long>(usage->total));
    }
    std::fprintf(stderr, "\n");
    return 0;
}
