// Steady state of the transport allocates nothing: acquire, write, read the head, stream the
// body, release, over and over on warm pooled connections, plaintext and TLS. Counted on the
// client's thread only (the mock server runs on its own thread), through the global operator
// new and OpenSSL's allocator hooks.
//
// One exception, inside OpenSSL 3.0 and not ours: TLS 1.3 record protection builds each
// record's additional data with WPACKET_init_static_len() (ssl/record/ssl3_record_tls13.c),
// which allocates 40 bytes (crypto/packet.c) and frees them again, once per record. The test
// pins that down exactly (at most one per record) so that anything else shows up.
#include "net_support.hpp"

#include <openssl/crypto.h>

#include <cstdlib>
#include <new>
#include <thread>

namespace {

thread_local bool counting = false;
thread_local std::size_t counted = 0;          // operator new
thread_local std::size_t counted_openssl = 0;  // OpenSSL's allocator

void* counted_malloc(std::size_t n)
{
    if (counting) {
        ++counted;
    }
    return std::malloc(n == 0 ? 1 : n);
}

void* ossl_malloc(std::size_t n, const char*, int)
{
    if (counting) {
        ++counted_openssl;
    }
    return std::malloc(n == 0 ? 1 : n);
}
void* ossl_realloc(void* p, std::size_t n, const char*, int)
{
    if (counting) {
        ++counted_openssl;
    }
    return std::realloc(p, n);
}
void ossl_free(void* p, const char*, int)
{
    std::free(p);
}

// Before main, before OpenSSL allocates anything.
const bool hooks_installed = CRYPTO_set_mem_functions(&ossl_malloc, &ossl_realloc, &ossl_free) == 1;

} // namespace

void* operator new(std::size_t n)
{
    if (void* p = counted_malloc(n)) {
        return p;
    }
    throw std::bad_alloc();
}
void* operator new[](std::size_t n)
{
    return operator new(n);
}
void operator delete(void* p) noexcept
{
    std::free(p);
}
void operator delete[](void* p) noexcept
{
    std::free(p);
}
void operator delete(void* p, std::size_t) noexcept
{
    std::free(p);
}
void operator delete[](void* p, std::size_t) noexcept
{
    std::free(p);
}

using namespace net_test;

namespace {

/// Requests one after the other on one exchange, with plain callbacks (no coroutine frames of
/// the test's own in the count).
struct driver {
    net::exchange& ex;
    const net::origin& to;
    std::string_view request;
    int remaining = 0;
    std::size_t body_bytes = 0;
    std::error_code failed{};

    void start()
    {
        ex.async_send(to, request, {}, [this](std::error_code ec) {
            if (ec) {
                failed = ec;
                return;
            }
            read();
        });
    }
    void read()
    {
        ex.async_read_body([this](std::error_code ec, std::string_view body) {
            if (ec) {
                failed = ec;
                return;
            }
            if (body.empty()) {
                if (--remaining > 0) {
                    start();
                }
                return;
            }
            body_bytes += body.size();
            read();
        });
    }
    void run(asio::io_context& io, int requests)
    {
        remaining = requests;
        start();
        while (remaining > 0 && !failed) {
            io.run_one_for(5s);
        }
    }
};

} // namespace

TEST_CASE("acquire, request, stream and release allocate nothing in steady state", "[net][alloc]")
{
    REQUIRE(hooks_installed);
    const bool tls = GENERATE(false, true);
    const std::size_t connections = GENERATE(std::size_t(1), std::size_t(4));
    CAPTURE(tls, connections);

    asio::io_context server_io;
    mock_options o;
    o.tls = tls;
    o.events = 20;
    mock_server server(server_io.get_executor(), o);
    const auto at = server.start();
    auto work = asio::make_work_guard(server_io);
    std::thread server_thread([&] { server_io.run(); });

    {
        asio::io_context io;
        net::tls_context context({.system_trust = false, .ca_pem = std::string(server.ca_certificate_pem())});
        net::connection_pool pool(io.get_executor(), direct({.max_connections = connections}), &context);
        const net::origin to = origin_of(at, tls);
        const std::string request = stream_request({}, {});
        std::vector<std::unique_ptr<net::exchange>> exchanges;
        std::vector<driver> drivers;
        drivers.reserve(connections);
        for (std::size_t i = 0; i < connections; ++i) {
            exchanges.push_back(std::make_unique<net::exchange>(pool));
            drivers.push_back(driver{*exchanges.back(), to, request});
        }
        auto run_all = [&](int each) {
            for (auto& d : drivers) {
                d.remaining = each;
                d.start();
            }
            auto busy = [&] {
                for (auto& d : drivers) {
                    if (d.remaining > 0 && !d.failed) {
                        return true;
                    }
                }
                return false;
            };
            while (busy()) {
                io.run_one_for(5s);
            }
        };
        run_all(10);   // warm: connections open, buffers and caches at their size
        counted = 0;
        counted_openssl = 0;
        counting = true;
        run_all(50);
        counting = false;
        for (auto& d : drivers) {
            CHECK_FALSE(d.failed);
            CHECK(d.body_bytes > 0);
        }
        CHECK(counted == 0);
        const std::size_t requests = 50 * connections;
        if (tls) {
            // Records per response: the head, 20 events, the last-chunk (each a write of the
            // server's); the client sends one per request.
            const std::size_t records = requests * (o.events + 2 + 1);
            INFO("OpenSSL allocations per request: " << double(counted_openssl) / double(requests));
            CHECK(counted_openssl <= records);
        }
        else {
            CHECK(counted_openssl == 0);
        }
        CHECK(pool.stats().connects == connections);
        pool.shutdown();
        io.run_for(100ms);
    }
    asio::post(server_io, [&] { server.stop(); });
    work.reset();
    server_thread.join();
}
