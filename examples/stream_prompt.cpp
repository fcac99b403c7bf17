// llmio-demo: one streamed prompt, printed as it arrives, with its time to first text and total
// time, through llmio's transport and parsing core.
//
//   llmio-demo ["prompt"] [--model NAME] [--ttft-ms N] [--itl-ms N] [--events N]
//
// Without GEMINI_API_KEY (or GOOGLE_API_KEY) it starts the embedded mock Gemini server on
// loopback, over TLS with a certificate it makes at start, paced by --ttft-ms / --itl-ms /
// --events, and trusts that certificate only. With a key it talks to
// generativelanguage.googleapis.com with the system's trust store. Both ways run the same path:
// pool -> TLS -> HTTP/1.1 exchange -> SSE -> simdjson decoding, on one io_context.
//
// The client with retries, quotas and keys is the next issue; this is the layer below it.
#include <llmio/gemini/request_encoder.hpp>
#include <llmio/gemini/stream_decoder.hpp>
#include <llmio/http/request_writer.hpp>
#include <llmio/net.hpp>
#include <llmio/testing/mock_server.hpp>

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/experimental/as_tuple.hpp>
#include <asio/io_context.hpp>
#include <asio/use_awaitable.hpp>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <optional>
#include <string>

namespace {

using clock_type = std::chrono::steady_clock;
namespace net = llmio::net;
namespace gemini = llmio::gemini;
constexpr auto as_tuple = asio::experimental::as_tuple(asio::use_awaitable);

struct settings {
    std::string prompt = "Write a haiku about sockets.";
    std::string model = "gemini-2.0-flash";
    int ttft_ms = 300;
    int itl_ms = 40;
    int events = 12;
};

struct outcome {
    std::error_code ec;
    std::string where;
    int status = 0;
    std::size_t chunks = 0;
    std::string finish;
    double ttft_ms = -1;
    double total_ms = 0;
};

double ms_since(clock_type::time_point t0)
{
    return std::chrono::duration<double, std::milli>(clock_type::now() - t0).count();
}

asio::awaitable<outcome> stream_once(net::connection_pool& pool, const net::origin& to, const std::string& request)
{
    outcome out;
    const auto t0 = clock_type::now();
    net::exchange ex(pool);
    auto [ec] = co_await ex.async_send(to, request, {.deadline = t0 + std::chrono::seconds(60), .replayable = true},
                                       as_tuple);
    if (ec) {
        out.ec = ec;
        out.where = "sending the request";
        co_return out;
    }
    out.status = ex.response().status();
    gemini::stream_decoder decoder;
    std::string error_body;   // a non-2xx answer is an error envelope, not a stream
    for (;;) {
        auto [bec, body] = co_await ex.async_read_body(as_tuple);
        if (bec) {
            out.ec = bec;
            out.where = "reading the stream";
            break;
        }
        if (out.status != 200) {
            if (body.empty()) {
                break;
            }
            error_body.append(body);
            continue;
        }
        std::error_code dec;
        auto feed = [&](std::string_view bytes, bool last) {
            for (;;) {
                const auto r = last ? decoder.finish(dec) : decoder.put(bytes, dec, net::exchange::padding);
                if (!last) {
                    bytes.remove_prefix(r.consumed);
                }
                if (dec || r.what != gemini::stream_decoder::step::chunk) {
                    return;
                }
                decoder.chunk().for_each_text([&](std::string_view text) {
                    if (out.ttft_ms < 0) {
                        out.ttft_ms = ms_since(t0);
                    }
                    std::fwrite(text.data(), 1, text.size(), stdout);
                    std::fflush(stdout);
                });
                ++out.chunks;
            }
        };
        feed(body, body.empty());
        if (dec) {
            out.ec = dec;
            out.where = "decoding the stream";
            break;
        }
        if (body.empty()) {
            break;
        }
    }
    if (out.status != 200 && !out.ec) {
        std::fprintf(stderr, "\nllmio-demo: HTTP %d:\n%s\n", out.status, error_body.c_str());
    }
    out.finish = std::string(gemini::to_string(decoder.last_finish_reason()));
    out.total_ms = ms_since(t0);
    co_return out;
}

bool parse_args(int argc, char** argv, settings& s)
{
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        const bool has_value = i + 1 < argc;
        if (a == "--help" || a == "-h") {
            return false;
        }
        if (a == "--model" && has_value) {
            s.model = argv[++i];
        }
        else if (a == "--ttft-ms" && has_value) {
            s.ttft_ms = std::atoi(argv[++i]);
        }
        else if (a == "--itl-ms" && has_value) {
            s.itl_ms = std::atoi(argv[++i]);
        }
        else if (a == "--events" && has_value) {
            s.events = std::atoi(argv[++i]);
        }
        else if (!a.starts_with("--")) {
            s.prompt = a;
        }
        else {
            return false;
        }
    }
    return s.events > 0 && s.ttft_ms >= 0 && s.itl_ms >= 0;
}

} // namespace

int main(int argc, char** argv)
{
    settings s;
    if (!parse_args(argc, argv, s)) {
        std::printf("usage: llmio-demo [\"prompt\"] [--model NAME] [--ttft-ms N] [--itl-ms N] [--events N]\n");
        return 2;
    }
    const char* key_env = std::getenv("GEMINI_API_KEY");
    if (key_env == nullptr || *key_env == '\0') {
        key_env = std::getenv("GOOGLE_API_KEY");
    }
    const std::string key = key_env != nullptr ? key_env : "";

    asio::io_context io(1);
    std::unique_ptr<llmio::testing::mock_server> mock;
    std::optional<net::tls_context> tls;
    net::origin to{.tls = true, .host = "generativelanguage.googleapis.com", .port = 443};
    if (key.empty()) {
        llmio::testing::mock_options o;
        o.tls = true;
        o.ttft = std::chrono::milliseconds(s.ttft_ms);
        o.itl = std::chrono::milliseconds(s.itl_ms);
        o.events = static_cast<std::size_t>(s.events);
        mock = std::make_unique<llmio::testing::mock_server>(io.get_executor(), o);
        const auto at = mock->start();
        to = net::origin{.tls = true, .host = at.address().to_string(), .port = at.port()};
        tls.emplace(net::tls_options{.system_trust = false, .ca_pem = std::string(mock->ca_certificate_pem())});
        std::fprintf(stderr, "llmio-demo: no GEMINI_API_KEY: the embedded mock server at https://%s "
                             "(TLS, TTFT %d ms, %d ms between events)\n\n",
                     to.authority().c_str(), s.ttft_ms, s.itl_ms);
    }
    else {
        tls.emplace();
        std::fprintf(stderr, "llmio-demo: https://%s, model %s\n\n", to.host.c_str(), s.model.c_str());
    }
    net::connection_pool pool(io.get_executor(), {}, &*tls);

    gemini::generate_content_request request;
    request.contents.push_back({.parts = {gemini::content_part::from_text(s.prompt)}});
    std::string body;
    gemini::request_encoder encoder;
    if (const std::error_code ec = encoder.encode(request, body)) {
        std::fprintf(stderr, "llmio-demo: cannot encode the prompt: %s\n", ec.message().c_str());
        return 1;
    }
    std::string http_request;
    const std::string target = "/v1beta/models/" + s.model + ":streamGenerateContent?alt=sse";
    llmio::http::request_writer w(http_request);
    w.start("POST", target).header("Host", to.authority()).header("Content-Type", "application/json");
    if (!key.empty()) {
        w.header("x-goog-api-key", key);
    }
    if (const std::error_code ec = w.finish(body)) {
        std::fprintf(stderr, "llmio-demo: cannot write the request: %s\n", ec.message().c_str());
        return 1;
    }

    outcome result;
    asio::co_spawn(io, stream_once(pool, to, http_request), [&](std::exception_ptr e, outcome r) {
        result = std::move(r);
        if (e) {
            result.ec = std::make_error_code(std::errc::io_error);
            result.where = "an exception";
        }
        pool.shutdown();
        if (mock) {
            mock->stop();
        }
    });
    io.run();
    std::printf("\n\n");
    if (result.ec) {
        std::fprintf(stderr, "llmio-demo: error %s: %s (%s)\n", result.where.c_str(), result.ec.message().c_str(),
                     result.ec.category().name());
        return 1;
    }
    std::printf("HTTP %d, chunks %zu, finish %s, TTFT %.1f ms, total %.1f ms\n", result.status, result.chunks,
                result.finish.c_str(), result.ttft_ms, result.total_ms);
    return result.status == 200 ? 0 : 1;
}
