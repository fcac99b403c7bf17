// llmio::testing::mock_server over TLS: a client that trusts ca_certificate_pem() and checks
// the host name decodes the stream; one that does not trust it, or meets an expired or
// wrong-host certificate, refuses the handshake.
#include "mock_client.hpp"

#include <asio/ssl.hpp>

#include <openssl/ssl.h>

using namespace mock_test;
using tls_stream = asio::ssl::stream<asio::ip::tcp::socket>;

namespace {

mock_options tls_options(llmio::testing::certificate_options certificate = {})
{
    mock_options o;
    o.tls = true;
    o.certificate = std::move(certificate);
    o.events = 3;
    return o;
}

// A client context as a careful client sets one up: TLS 1.2+, peer verification on, trusting
// only `ca_pem` (nothing when empty).
asio::ssl::context client_context(std::string_view ca_pem)
{
    asio::ssl::context ctx(asio::ssl::context::tls_client);
    ctx.set_options(asio::ssl::context::no_sslv2 | asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 |
                    asio::ssl::context::no_tlsv1_1);
    ctx.set_verify_mode(asio::ssl::verify_peer);
    if (!ca_pem.empty()) {
        ctx.add_certificate_authority(asio::buffer(ca_pem.data(), ca_pem.size()));
    }
    return ctx;
}

// Connects and handshakes as `host` (SNI and name check), offering ALPN http/1.1.
asio::awaitable<std::error_code> handshake(tls_stream& s, asio::ip::tcp::endpoint at, const std::string& host)
{
    co_await s.next_layer().async_connect(at, asio::use_awaitable);
    SSL_set_tlsext_host_name(s.native_handle(), host.c_str());
    static constexpr unsigned char alpn[] = {8, 'h', 't', 't', 'p', '/', '1', '.', '1'};
    SSL_set_alpn_protos(s.native_handle(), alpn, sizeof alpn);
    s.set_verify_callback(asio::ssl::host_name_verification(host));
    auto [ec] = co_await s.async_handshake(asio::ssl::stream_base::client, tuple_awaitable);
    co_return ec;
}

struct tls_outcome {
    std::error_code handshake;
    std::string alpn;
    stream_result stream;
    std::error_code after_close;   ///< a read after a `Connection: close` response
};

tls_outcome tls_exchange(mock_options o, bool trust, const std::string& host, std::string extra = {})
{
    asio::io_context io;
    mock_server server(io.get_executor(), std::move(o));
    const auto at = server.start();
    REQUIRE(server.ca_certificate_pem().find("-----BEGIN CERTIFICATE-----") == 0);
    asio::ssl::context ctx = client_context(trust ? server.ca_certificate_pem() : std::string_view{});
    tls_outcome out;
    run(io, server, [&]() -> asio::awaitable<void> {
        tls_stream s(co_await asio::this_coro::executor, ctx);
        out.handshake = co_await handshake(s, at, host);
        if (out.handshake) {
            co_return;
        }
        const unsigned char* proto = nullptr;
        unsigned int size = 0;
        SSL_get0_alpn_selected(s.native_handle(), &proto, &size);
        out.alpn.assign(reinterpret_cast<const char*>(proto), size);
        gemini::http_stream hs;
        std::string carry;
        out.stream = co_await stream_exchange(s, stream_request(extra, {}), hs, carry);
        if (out.stream.done && !out.stream.keep_alive) {
            std::array<char, 64> tmp;
            auto [ec, n] = co_await s.async_read_some(asio::buffer(tmp), tuple_awaitable);
            out.after_close = ec;
        }
    });
    return out;
}

} // namespace

TEST_CASE("TLS: a client that trusts the certificate and checks the host decodes the stream", "[testing][mock][tls]")
{
    for (const std::string host : {"localhost", "127.0.0.1"}) {
        CAPTURE(host);
        const tls_outcome r = tls_exchange(tls_options(), true, host);
        REQUIRE_FALSE(r.handshake);
        CHECK(r.alpn == "http/1.1");
        CHECK(r.stream.done);
        CHECK_FALSE(r.stream.ec);
        CHECK(r.stream.texts.size() == 3);
        CHECK(r.stream.text == mock_server::expected_text(prompt_body, tls_options()));
        CHECK(r.stream.finish == "STOP");
    }
}

TEST_CASE("TLS: refused without trust, when expired, and for the wrong host", "[testing][mock][tls]")
{
    CHECK(tls_exchange(tls_options(), false, "localhost").handshake);
    CHECK(tls_exchange(tls_options(llmio::testing::certificate_options::expired()), true, "localhost").handshake);
    CHECK(tls_exchange(tls_options(llmio::testing::certificate_options::wrong_host()), true, "localhost").handshake);
    CHECK(tls_exchange(tls_options(), true, "example.com").handshake);
}

TEST_CASE("TLS: the server counts a refused handshake", "[testing][mock][tls]")
{
    asio::io_context io;
    mock_server server(io.get_executor(), tls_options());
    const auto at = server.start();
    asio::ssl::context ctx = client_context({});
    std::error_code refused;
    run(io, server, [&]() -> asio::awaitable<void> {
        tls_stream s(co_await asio::this_coro::executor, ctx);
        refused = co_await handshake(s, at, "localhost");
        s.next_layer().close();
        // The server sees the alert or the close on its next turn.
        asio::steady_timer t(co_await asio::this_coro::executor);
        for (int i = 0; i < 200 && server.counters().tls_handshake_failures == 0; ++i) {
            t.expires_after(5ms);
            co_await t.async_wait(tuple_awaitable);
        }
    });
    CHECK(refused);
    CHECK(server.counters().tls_handshake_failures == 1);
    CHECK(server.counters().connections == 0);
}

TEST_CASE("TLS: disconnect cuts without close_notify; close_after closes with it", "[testing][mock][tls]")
{
    const tls_outcome cut = tls_exchange(tls_options(), true, "localhost", fault_header(mock_fault::disconnect));
    REQUIRE_FALSE(cut.handshake);
    CHECK(cut.stream.closed);
    CHECK(cut.stream.ec == llmio::condition::truncated);
    CHECK(cut.stream.texts.size() == 2);   // two whole events, then half of the third

    const tls_outcome closing = tls_exchange(tls_options(), true, "localhost", fault_header(mock_fault::close_after));
    REQUIRE_FALSE(closing.handshake);
    CHECK(closing.stream.done);
    CHECK_FALSE(closing.stream.keep_alive);
    CHECK(closing.after_close == asio::error::eof);   // a clean TLS close, not stream_truncated
}
