// Steady state of the Gemini client: stream after stream on reused gemini::stream objects, over
// warm pooled connections, plaintext and TLS, limiter and retry policy in the path (limits set,
// so the limiter does its bookkeeping). Counted on the client's thread only (the mock server
// runs on its own), through the global operator new, the aligned allocation functions Asio
// uses, and OpenSSL's allocator hooks. What the caller's own request objects hold is built once
// before counting; nothing else may allocate per request or per chunk.
//
// OpenSSL 3.0 allocates 40 bytes per TLS 1.3 record in its record layer (see
// tests/net/alloc_test.cpp): bounded at one per record, not ours.
#define LLMIO_TESTING_REPLACE_GLOBAL_NEW
#include <llmio/testing/allocation_counter.hpp>

#include "client_support.hpp"

#include "support/openssl_counting.hpp"

#include <cstdlib>
#include <functional>
#include <thread>

namespace {

using openssl_counting::counting;
using openssl_counting::hooks_installed;

using namespace client_test;

/// Streams one request after the other on one gemini::stream, with plain callbacks.
struct driver {
    gemini::stream& s;
    const gemini::generate_content_request& request;
    bool eager = false;   // ask try_next first, async_next only when it declines
    int remaining = 0;
    std::size_t chunks = 0;
    std::size_t at_once = 0;
    std::size_t text_bytes = 0;
    std::error_code failed{};
    std::function<void()> on_done{};

    void start()
    {
        if (const std::error_code ec = s.start(model, request)) {
            failed = ec;
            on_done();
            return;
        }
        next();
    }
    void next()
    {
        std::error_code ec;
        const gemini::response* chunk = nullptr;
        while (eager && s.try_next(ec, chunk)) {
            if (!take(ec, chunk)) {
                return;
            }
            ++at_once;
        }
        s.async_next([this](std::error_code e, const gemini::response* c) {
            if (take(e, c)) {
                next();
            }
        });
    }
    /// One answer: false when the stream ended (the next request, if any, is under way).
    bool take(std::error_code ec, const gemini::response* chunk)
    {
        if (ec) {
            failed = ec;
            on_done();
            return false;
        }
        if (chunk == nullptr) {
            if (--remaining > 0) {
                start();
            }
            else {
                on_done();
            }
            return false;
        }
        ++chunks;
        text_bytes += s.chunk_text().size();
        return true;
    }
};

} // namespace

TEST_CASE("streaming through the client allocates nothing per request or chunk once warm", "[client][alloc]")
{
    REQUIRE(hooks_installed);
    const bool tls = GENERATE(false, true);
    const std::size_t concurrent = GENERATE(std::size_t(1), std::size_t(4));
    const bool eager = GENERATE(false, true);
    CAPTURE(tls, concurrent, eager);

    asio::io_context server_io;
    mock_options mo;
    mo.tls = tls;
    mo.events = 20;
    mock_server server(server_io.get_executor(), mo);
    (void)server.start();
    auto work = asio::make_work_guard(server_io);
    std::thread server_thread([&] { server_io.run(); });

    {
        asio::io_context io;
        auto o = options_for(server);
        o.limits = {.requests_per_minute = 1000000, .input_tokens_per_minute = 1000000000};
        gemini::client c(io.get_executor(), o);
        const auto request = prompt();
        std::vector<std::unique_ptr<gemini::stream>> streams;
        std::vector<driver> drivers;
        drivers.reserve(concurrent);
        for (std::size_t i = 0; i < concurrent; ++i) {
            streams.push_back(std::make_unique<gemini::stream>(c));
            drivers.push_back(driver{*streams.back(), request, eager});
        }
        auto run_all = [&](int each) {
            std::size_t active = drivers.size();
            for (auto& d : drivers) {
                d.remaining = each;
                d.on_done = [&] {
                    if (--active == 0) {
                        io.stop();
                    }
                };
                d.start();
            }
            io.restart();
            io.run();   // one run(): Asio's handler memory cache lives in the running call
        };
        run_all(10);   // warm
        openssl_counting::counted = 0;
        const std::size_t before = llmio::testing::thread_allocation_count();
        counting = true;
        run_all(50);
        counting = false;
        const std::size_t counted = llmio::testing::thread_allocation_count() - before;
        for (auto& d : drivers) {
            CHECK_FALSE(d.failed);
            CHECK(d.chunks == 60 * mo.events);
            CHECK(d.text_bytes > 0);
            CHECK((d.at_once > 0) == eager);
        }
        const std::size_t requests = 50 * concurrent;
        INFO("heap allocations per request: " << double(counted) / double(requests));
        CHECK(counted * 10 <= requests);
        if (tls) {
            const std::size_t records = requests * (mo.events + 2 + 1);
            INFO("OpenSSL allocations per request: " << double(openssl_counting::counted) / double(requests));
            CHECK(openssl_counting::counted <= records);
        }
        else {
            CHECK(openssl_counting::counted == 0);
        }
        c.shutdown();
        io.restart();
        io.run_for(100ms);
    }
    asio::post(server_io, [&] { server.stop(); });
    work.reset();
    server_thread.join();
}
