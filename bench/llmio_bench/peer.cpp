// Peer `llmio` (bench/peers/README.md): the peers' job through llmio's own client, the
// reference of the runner's "llmio x" column.
//
//     llmio-peer --base-url http://127.0.0.1:PORT --concurrency 64 --per-stream 10 --events 20
//
// One gemini::client on one io_context (this thread), C coroutines, each sending its R
// requests one after the other on one reused gemini::stream (its buffers and decoder stay
// warm), over the client's pool (C connections, so each stream keeps one keep-alive
// connection). Every event is decoded by the client (HTTP, SSE, simdjson On-Demand) and handed
// over with its text: that is where the shared recorder takes its time, as every other peer
// does. Retries are off (the job counts failures, it does not hide them); the client's other
// features (limiter without limits, deadlines, the stale-connection rule) are on as shipped.
//
// Prints one JSON line (the shared recorder's).
#include "../peers/common/peer_job.hpp"

#include <llmio/gemini/client.hpp>

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/experimental/as_tuple.hpp>
#include <asio/io_context.hpp>
#include <asio/use_awaitable.hpp>

#include <cstdio>
#include <exception>
#include <string>

namespace {

namespace gemini = llmio::gemini;
constexpr auto tuple_awaitable = asio::experimental::as_tuple(asio::use_awaitable);

struct job {
    const peers::args& args;
    peers::recorder rec;
    gemini::client& client;
    gemini::generate_content_request request{};
    std::size_t streams_left = 0;
    std::string first_error{};
};

asio::awaitable<void> one_stream(job& j)
{
    gemini::stream s(j.client);
    for (std::size_t r = 0; r < j.args.per_stream; ++r) {
        peers::recorder::request req;
        j.rec.begin(req);
        std::error_code ec = s.start(peers::model, j.request);
        while (!ec) {
            // What one read brought is taken at once; an operation only when bytes must be read.
            std::error_code next_ec;
            const gemini::response* chunk = nullptr;
            if (!s.try_next(next_ec, chunk)) {
                auto [e, r] = co_await s.async_next(tuple_awaitable);
                next_ec = e;
                chunk = r;
            }
            if (next_ec) {
                ec = next_ec;
                break;
            }
            if (chunk == nullptr) {
                break;
            }
            j.rec.event(req, s.chunk_text());
        }
        if (ec && j.first_error.empty()) {
            j.first_error = s.error_message().empty() ? ec.message() : s.error_message();
        }
        j.rec.end(req, !ec, ec ? j.first_error.c_str() : nullptr);
    }
}

} // namespace

int main(int argc, char** argv)
{
    const peers::args args = peers::parse_args(argc, argv, "llmio-peer");
    asio::io_context io(1);

    gemini::client_options o;
    o.api_key = std::string(peers::api_key);
    o.base_url = args.base_url;
    o.pool.proxy = llmio::net::proxy_settings{};   // loopback: never through a proxy
    o.pool.max_connections = args.concurrency;     // one keep-alive connection per stream
    o.pool.max_requests = 0;                       // as the other peers: never reconnect on purpose
    o.retry.max_retries = 0;                       // the job counts failures
    std::error_code ec;
    gemini::client client(io.get_executor(), std::move(o), ec);
    if (ec) {
        std::fprintf(stderr, "llmio-peer: cannot make the client: %s\n", ec.message().c_str());
        return 2;
    }

    job j{args, peers::recorder(args), client};
    j.request.contents.push_back(
        {.role = gemini::role::user, .parts = {gemini::content_part::from_text("Say something.")}});
    j.streams_left = args.concurrency;

    j.rec.start_job();
    for (std::size_t i = 0; i < args.concurrency; ++i) {
        asio::co_spawn(io, one_stream(j), [&](std::exception_ptr e) {
            if (e) {
                std::fprintf(stderr, "llmio-peer: a stream ended by an exception\n");
            }
            if (--j.streams_left == 0) {
                j.rec.end_job();
                client.shutdown();   // closes the pooled connections: io.run() returns
            }
        });
    }
    io.run();
    j.rec.print("llmio");
    return 0;
}
