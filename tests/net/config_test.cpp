// Configuration pieces of the transport without a server: base URLs (relay endpoints), the
// resolver cache's TTL, and the TLS context's trust sources.
#include "net_support.hpp"

#include <cstdlib>
#include <fstream>

using namespace net_test;

TEST_CASE("base URLs: origin and path prefix, relay endpoints included", "[net][url]")
{
    net::base_url u;
    REQUIRE_FALSE(net::parse_base_url("https://generativelanguage.googleapis.com", u));
    CHECK(u.origin == net::origin{.tls = true, .host = "generativelanguage.googleapis.com", .port = 443});
    CHECK(u.path_prefix.empty());
    CHECK(u.origin.authority() == "generativelanguage.googleapis.com");

    REQUIRE_FALSE(net::parse_base_url("http://127.0.0.1:8080/relay/gemini/", u));
    CHECK(u.origin == net::origin{.tls = false, .host = "127.0.0.1", .port = 8080});
    CHECK(u.path_prefix == "/relay/gemini");
    CHECK(u.origin.authority() == "127.0.0.1:8080");

    REQUIRE_FALSE(net::parse_base_url("HTTPS://[::1]:8443/p", u));
    CHECK(u.origin.host == "::1");
    CHECK(u.origin.port == 8443);
    CHECK(u.origin.authority() == "[::1]:8443");

    for (const char* bad : {"", "ftp://x", "https://", "https://user:pw@host", "https://host?key=AIza",
                            "https://host/#frag", "https://ho st", "https://host/a/../b", "https://host//x",
                            "https://[::1", "https://host:0", "https://host:99999", "generativelanguage.googleapis.com"}) {
        CAPTURE(bad);
        const std::error_code ec = net::parse_base_url(bad, u);
        CHECK(ec);
        CHECK(ec == llmio::condition::invalid_input);
    }
}

TEST_CASE("the resolver cache answers within its TTL and forgets after", "[net][resolver]")
{
    asio::io_context io;
    asio::ip::tcp::resolver resolver(io);
    const auto results = resolver.resolve("127.0.0.1", "80");
    net::resolver_cache cache({.ttl = 10s, .max_hosts = 2});
    const auto t0 = net::resolver_cache::clock::now();
    CHECK(cache.find("api.example", 443, t0) == nullptr);
    cache.store("api.example", results, t0);
    const auto* hit = cache.find("api.example", 443, t0 + 9s);
    REQUIRE(hit != nullptr);
    REQUIRE(hit->size() == 1);
    CHECK(hit->front().port() == 443);   // the port asked for, not the one resolved
    CHECK(cache.find("api.example", 443, t0 + 10s) == nullptr);
    cache.store("b.example", results, t0 + 1s);
    cache.store("c.example", results, t0 + 2s);   // over max_hosts: the stalest goes
    CHECK(cache.size() == 2);
    CHECK(cache.find("api.example", 443, t0 + 3s) == nullptr);
    CHECK(cache.find("c.example", 443, t0 + 3s) != nullptr);

    asio::ip::address a;
    CHECK(net::resolver_cache::literal("127.0.0.1", a));
    CHECK(net::resolver_cache::literal("[::1]", a));
    CHECK(a.is_v6());
    CHECK_FALSE(net::resolver_cache::literal("localhost", a));
}

TEST_CASE("TLS trust sources that cannot be read are errors, not silently less trust", "[net][tls]")
{
    std::error_code ec;
    net::tls_context bad_pem({.system_trust = false, .ca_pem = "not a certificate"}, ec);
    CHECK(ec);
    net::tls_context missing({.system_trust = false, .ca_file = "/nonexistent/ca.pem"}, ec);
    CHECK(ec);
    CHECK_THROWS_AS(net::tls_context({.system_trust = false, .ca_pem = "-----BEGIN CERTIFICATE-----\n"}),
                    std::system_error);
    net::tls_context fine({}, ec);
    CHECK_FALSE(ec);
}

TEST_CASE("SSL_CERT_FILE adds trust the way OpenSSL's default paths do", "[net][tls]")
{
    asio::io_context io;
    mock_options o;
    o.tls = true;
    mock_server server(io.get_executor(), o);
    const auto at = server.start();
    const std::string file = "llmio_test_ca_" + std::to_string(at.port()) + ".pem";
    std::ofstream(file) << server.ca_certificate_pem();
    ::setenv("SSL_CERT_FILE", file.c_str(), 1);
    net::tls_context context;   // system trust only: now that file
    ::unsetenv("SSL_CERT_FILE");
    std::remove(file.c_str());
    net::connection_pool pool(io.get_executor(), direct(), &context);
    result r;
    const std::string req = stream_request();
    run_until_done(io, [&]() -> asio::awaitable<void> {
        net::exchange ex(pool);
        const net::origin to = origin_of(at, true);
        r = co_await exchange_all(ex, to, req);
    }, [&] { server.stop(); pool.shutdown(); });
    CHECK_FALSE(r.send_ec);
    CHECK(r.status == 200);
}
