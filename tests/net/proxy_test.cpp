// llmio/net/proxy.hpp: proxy URLs, the environment as curl reads it, NO_PROXY matching as
// curl matches it (plus the documented extensions), and the CONNECT request byte for byte.
#include <llmio/net/proxy.hpp>

#include "support/catch.hpp"

#include <map>
#include <string>

namespace net = llmio::net;

namespace {

struct url_case {
    const char* url;
    std::error_code error;
    const char* host;
    std::uint16_t port;
    const char* user;
    const char* password;
    bool tls;
};

const std::error_code ok{};
using E = net::error;

} // namespace

TEST_CASE("parse_proxy_url: good and bad URLs", "[net][proxy]")
{
    const url_case cases[] = {
        {"http://127.0.0.1:7890", ok, "127.0.0.1", 7890, "", "", false},
        {"http://127.0.0.1:7890/", ok, "127.0.0.1", 7890, "", "", false},
        {"HTTP://Proxy.Example.com", ok, "Proxy.Example.com", 80, "", "", false},
        {"https://proxy.example.com", ok, "proxy.example.com", 443, "", "", true},
        {"https://proxy.example.com:8443/", ok, "proxy.example.com", 8443, "", "", true},
        {"127.0.0.1:7890", ok, "127.0.0.1", 7890, "", "", false},
        {"localhost", ok, "localhost", 80, "", "", false},
        {"http://[::1]:3128", ok, "::1", 3128, "", "", false},
        {"http://[2001:db8::7]", ok, "2001:db8::7", 80, "", "", false},
        {"http://user@proxy:3128", ok, "proxy", 3128, "user", "", false},
        {"http://user:secret@proxy:3128", ok, "proxy", 3128, "user", "secret", false},
        {"http://us%65r:p%40ss%3Aw%2Frd@proxy:3128", ok, "proxy", 3128, "user", "p@ss:w/rd", false},
        {"http://user:p@ss@proxy", ok, "proxy", 80, "user", "p@ss", false},
        {"http://user:a/b#c?d@proxy", ok, "proxy", 80, "user", "a/b#c?d", false},
        {"http://:pw@proxy", ok, "proxy", 80, "", "pw", false},
        {"http://proxy:65535", ok, "proxy", 65535, "", "", false},
        {"http://proxy:1", ok, "proxy", 1, "", "", false},

        {"socks5://127.0.0.1:1080", E::unsupported_proxy_scheme, "", 0, "", "", false},
        {"socks5h://127.0.0.1:1080", E::unsupported_proxy_scheme, "", 0, "", "", false},
        {"socks4://127.0.0.1:1080", E::unsupported_proxy_scheme, "", 0, "", "", false},
        {"ftp://proxy", E::unsupported_proxy_scheme, "", 0, "", "", false},
        {"http://proxy:0", E::bad_port, "", 0, "", "", false},
        {"http://proxy:65536", E::bad_port, "", 0, "", "", false},
        {"http://proxy:", E::bad_port, "", 0, "", "", false},
        {"http://proxy:80a", E::bad_port, "", 0, "", "", false},
        {"http://proxy:-1", E::bad_port, "", 0, "", "", false},
        {"http://proxy:000443", E::bad_port, "", 0, "", "", false},
        {"http://[::1]:99999", E::bad_port, "", 0, "", "", false},
        {"", E::bad_proxy_url, "", 0, "", "", false},
        {"http://", E::bad_proxy_url, "", 0, "", "", false},
        {"://proxy", E::bad_proxy_url, "", 0, "", "", false},
        {"http://proxy/path", E::bad_proxy_url, "", 0, "", "", false},
        {"http://proxy?x=1", E::bad_proxy_url, "", 0, "", "", false},
        {"http://proxy#frag", E::bad_proxy_url, "", 0, "", "", false},
        {"http://proxy//", E::bad_proxy_url, "", 0, "", "", false},
        {"http://pro xy", E::bad_proxy_url, "", 0, "", "", false},
        {" http://proxy", E::bad_proxy_url, "", 0, "", "", false},
        {"http://proxy\r\nX: y", E::bad_proxy_url, "", 0, "", "", false},
        {"http://[::1", E::bad_proxy_url, "", 0, "", "", false},
        {"http://[::1]x", E::bad_proxy_url, "", 0, "", "", false},
        {"http://[not-v6]:80", E::bad_proxy_url, "", 0, "", "", false},
        {"http://::1:80", E::bad_proxy_url, "", 0, "", "", false},
        {"http://user:p%4@proxy", E::bad_proxy_url, "", 0, "", "", false},
        {"http://user:p%zz@proxy", E::bad_proxy_url, "", 0, "", "", false},
        {"http://user@", E::bad_proxy_url, "", 0, "", "", false},
        {"http://us%3Aer:pw@proxy", E::bad_proxy_credentials, "", 0, "", "", false},
        {"http://user:p%0D%0Aw@proxy", E::bad_proxy_credentials, "", 0, "", "", false},
    };
    for (const url_case& c : cases) {
        INFO(c.url);
        net::proxy_config out{.host = "unchanged", .port = 1};
        const std::error_code ec = net::parse_proxy_url(c.url, out);
        CHECK(ec == c.error);
        if (c.error) {
            CHECK(ec == llmio::condition::invalid_input);
            CHECK(out.host == "unchanged");   // untouched on error
            continue;
        }
        CHECK(out.host == c.host);
        CHECK(out.port == c.port);
        CHECK(out.username == c.user);
        CHECK(out.password == c.password);
        CHECK(out.tls_to_proxy == c.tls);
    }
}

TEST_CASE("net::error: category, messages and condition", "[net][proxy]")
{
    const std::error_code ec = E::bad_port;
    CHECK(std::string(ec.category().name()) == "llmio.net");
    CHECK_FALSE(ec.message().empty());
    CHECK(ec == llmio::condition::invalid_input);
    CHECK_FALSE(ec == llmio::condition::retryable);
}

namespace {

struct fake_env {
    std::map<std::string, std::string> vars;
    const char* operator()(const char* name) const
    {
        const auto it = vars.find(name);
        return it == vars.end() ? nullptr : it->second.c_str();
    }
};

net::proxy_settings read(const fake_env& env, std::error_code& ec)
{
    return net::from_environment(env, ec);
}

} // namespace

TEST_CASE("from_environment: curl's variables and precedence", "[net][proxy]")
{
    std::error_code ec;
    SECTION("nothing set")
    {
        const auto s = read({}, ec);
        CHECK_FALSE(ec);
        CHECK_FALSE(s.https);
        CHECK_FALSE(s.http);
        CHECK(s.no_proxy.empty());
    }
    SECTION("lower case wins over upper case for https and no_proxy")
    {
        const auto s = read({{{"https_proxy", "http://lower:1"}, {"HTTPS_PROXY", "http://upper:2"},
                              {"no_proxy", "a.example"}, {"NO_PROXY", "b.example"}}},
                            ec);
        CHECK_FALSE(ec);
        REQUIRE(s.https);
        CHECK(s.https->host == "lower");
        CHECK(s.no_proxy == std::vector<std::string>{"a.example"});
    }
    SECTION("upper case is read when lower case is unset or empty")
    {
        const auto s = read({{{"https_proxy", ""}, {"HTTPS_PROXY", "http://upper:2"}, {"NO_PROXY", "b.example"}}}, ec);
        CHECK_FALSE(ec);
        REQUIRE(s.https);
        CHECK(s.https->host == "upper");
        CHECK(s.no_proxy == std::vector<std::string>{"b.example"});
    }
    SECTION("HTTP_PROXY is never read (httpoxy); http_proxy is")
    {
        auto s = read({{{"HTTP_PROXY", "http://attacker:80"}}}, ec);
        CHECK_FALSE(ec);
        CHECK_FALSE(s.http);
        CHECK_FALSE(s.https);
        s = read({{{"HTTP_PROXY", "http://attacker:80"}, {"http_proxy", "http://local:3128"}}}, ec);
        REQUIRE(s.http);
        CHECK(s.http->host == "local");
    }
    SECTION("all_proxy, then ALL_PROXY, fill in for both schemes")
    {
        auto s = read({{{"ALL_PROXY", "http://upper-all:1"}, {"all_proxy", "http://all:1"}, {"http_proxy", "http://h:2"}}}, ec);
        CHECK_FALSE(ec);
        REQUIRE(s.https);
        CHECK(s.https->host == "all");
        REQUIRE(s.http);
        CHECK(s.http->host == "h");
        s = read({{{"ALL_PROXY", "http://upper-all:1"}}}, ec);
        REQUIRE(s.https);
        CHECK(s.https->host == "upper-all");
        REQUIRE(s.http);
        CHECK(s.http->host == "upper-all");
    }
    SECTION("a value that does not parse is reported, the others are still read")
    {
        const auto s = read({{{"https_proxy", "socks5://127.0.0.1:1080"}, {"http_proxy", "http://h:2"},
                              {"no_proxy", " a.example, b.example  c.example,,"}}},
                            ec);
        CHECK(ec == E::unsupported_proxy_scheme);
        CHECK_FALSE(s.https);
        REQUIRE(s.http);
        CHECK(s.no_proxy == std::vector<std::string>{"a.example", "b.example", "c.example"});
    }
    SECTION("the std::getenv overload compiles and reads something coherent")
    {
        const auto s = net::from_environment(ec);
        CHECK((ec || true));
        CHECK(s.no_proxy.size() < 100000);
    }
}

TEST_CASE("bypass: NO_PROXY matching", "[net][proxy]")
{
    struct match_case {
        const char* no_proxy;
        const char* host;
        std::uint16_t port;
        bool bypassed;
    };
    const match_case cases[] = {
        // curl's domain rules
        {"example.com", "example.com", 443, true},
        {"example.com", "api.example.com", 443, true},
        {"example.com", "a.b.example.com", 443, true},
        {"example.com", "badexample.com", 443, false},
        {"example.com", "example.com.evil.net", 443, false},
        {".example.com", "example.com", 443, true},
        {".example.com", "api.example.com", 443, true},
        {".example.com", "badexample.com", 443, false},
        {"*.example.com", "api.example.com", 443, true},
        {"*.example.com", "badexample.com", 443, false},
        {"EXAMPLE.com", "Api.Example.COM", 443, true},
        {"example.com.", "api.example.com", 443, true},
        {"example.com", "api.example.com.", 443, true},
        {"api.example.com", "example.com", 443, false},
        {"com", "example.com", 443, true},
        // lists: commas, blanks, empty entries
        {"a.test, b.test", "b.test", 80, true},
        {"a.test b.test", "b.test", 80, true},
        {"a.test,,\tb.test", "b.test", 80, true},
        {"a.test,b.test", "c.test", 80, false},
        {"", "example.com", 443, false},
        {" , ", "example.com", 443, false},
        // wildcard
        {"*", "anything.example", 1, true},
        {"*", "10.1.2.3", 1, true},
        {"a.test,*", "anything.example", 1, true},
        {"*a.test", "xa.test", 1, false},
        // ports
        {"example.com:443", "api.example.com", 443, true},
        {"example.com:443", "api.example.com", 8443, false},
        {"example.com:0", "example.com", 443, false},
        {"example.com:x", "example.com", 443, false},
        {"10.0.0.1:8080", "10.0.0.1", 8080, true},
        {"10.0.0.1:8080", "10.0.0.1", 80, false},
        {"[::1]:8080", "::1", 8080, true},
        {"[::1]:8080", "[::1]", 80, false},
        // IPv4 exact and CIDR
        {"10.0.0.1", "10.0.0.1", 80, true},
        {"10.0.0.1", "10.0.0.2", 80, false},
        {"10.0.0.0/8", "10.255.1.2", 80, true},
        {"10.0.0.0/8", "11.0.0.1", 80, false},
        {"192.168.0.0/16", "192.168.44.1", 80, true},
        {"192.168.0.0/16", "192.169.0.1", 80, false},
        {"172.16.0.0/12", "172.31.255.255", 80, true},
        {"172.16.0.0/12", "172.32.0.0", 80, false},
        {"0.0.0.0/0", "8.8.8.8", 80, true},
        {"10.0.0.1/32", "10.0.0.1", 80, true},
        {"10.0.0.0/33", "10.0.0.0", 80, false},
        {"10.0.0.0/x", "10.0.0.0", 80, false},
        {"10.0.0.0/8", "ten.example", 80, false},     // no DNS: names never match addresses
        {"010.0.0.1", "10.0.0.1", 80, false},         // not dotted-quad: matches nothing
        {"10.0.0.1", "010.0.0.1", 80, false},
        // IPv6 literal and CIDR, with and without brackets
        {"::1", "::1", 443, true},
        {"::1", "[::1]", 443, true},
        {"[::1]", "::1", 443, true},
        {"::1", "::2", 443, false},
        {"0:0:0:0:0:0:0:1", "::1", 443, true},
        {"fd00::/8", "fd12:3456::1", 443, true},
        {"fd00::/8", "fe80::1", 443, false},
        {"2001:db8::/32", "2001:db8:ffff::1", 443, true},
        {"2001:db8::/32", "2001:db9::1", 443, false},
        {"::ffff:10.0.0.1", "::ffff:10.0.0.1", 443, true},
        {"::1", "127.0.0.1", 443, false},
        {"::/129", "::", 443, false},
        // loopback is not special
        {"example.com", "localhost", 80, false},
        {"example.com", "127.0.0.1", 80, false},
        {"example.com", "::1", 80, false},
        {"localhost", "localhost", 80, true},
        {"127.0.0.1", "127.0.0.1", 80, true},
        {"127.0.0.0/8", "127.0.0.53", 80, true},
        // empty host
        {"*", "", 80, false},
    };
    for (const match_case& c : cases) {
        INFO("no_proxy=\"" << c.no_proxy << "\" host=" << c.host << " port=" << c.port);
        const net::proxy_settings s{.no_proxy = {c.no_proxy}};
        CHECK(net::bypass(s, c.host, c.port) == c.bypassed);
    }
    SECTION("entries spread over several elements")
    {
        const net::proxy_settings s{.no_proxy = {"a.test", "b.test, c.test"}};
        CHECK(net::bypass(s, "x.c.test", 1));
        CHECK_FALSE(net::bypass(s, "d.test", 1));
    }
    SECTION("no entries: nothing bypassed, loopback included")
    {
        const net::proxy_settings s;
        CHECK_FALSE(net::bypass(s, "localhost", 80));
        CHECK_FALSE(net::bypass(s, "127.0.0.1", 80));
    }
}

TEST_CASE("write_connect_request: exact bytes", "[net][proxy]")
{
    std::string out = "left over";
    SECTION("no credentials")
    {
        REQUIRE_FALSE(net::write_connect_request(out, "generativelanguage.googleapis.com", 443, {}));
        CHECK(out == "CONNECT generativelanguage.googleapis.com:443 HTTP/1.1\r\n"
                     "Host: generativelanguage.googleapis.com:443\r\n"
                     "\r\n");
    }
    SECTION("Basic credentials")
    {
        const net::proxy_config proxy{.host = "p", .port = 3128, .username = "Aladdin", .password = "open sesame"};
        REQUIRE_FALSE(net::write_connect_request(out, "api.example.com", 8443, proxy));
        // RFC 7617 §2's own example.
        CHECK(out == "CONNECT api.example.com:8443 HTTP/1.1\r\n"
                     "Host: api.example.com:8443\r\n"
                     "Proxy-Authorization: Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==\r\n"
                     "\r\n");
    }
    SECTION("credentials with special characters, percent-decoded from the URL then base64'd")
    {
        net::proxy_config proxy;
        REQUIRE_FALSE(net::parse_proxy_url("http://us%C3%A9r:p%40ss%3Aw%2Frd%25@127.0.0.1:7890", proxy));
        CHECK(proxy.username == "us\xC3\xA9r");
        CHECK(proxy.password == "p@ss:w/rd%");
        REQUIRE_FALSE(net::write_connect_request(out, "h", 443, proxy));
        // base64("us\xC3\xA9r:p@ss:w/rd%") computed independently (python3 base64.b64encode).
        CHECK(out == "CONNECT h:443 HTTP/1.1\r\nHost: h:443\r\n"
                     "Proxy-Authorization: Basic dXPDqXI6cEBzczp3L3JkJQ==\r\n\r\n");
    }
    SECTION("only a password, and base64 padding of every length")
    {
        REQUIRE_FALSE(net::write_connect_request(out, "h", 1, {.password = "x"}));
        CHECK(out.find("Proxy-Authorization: Basic Ong=\r\n") != std::string::npos);
        REQUIRE_FALSE(net::write_connect_request(out, "h", 1, {.username = "a", .password = "b"}));
        CHECK(out.find("Proxy-Authorization: Basic YTpi\r\n") != std::string::npos);
        REQUIRE_FALSE(net::write_connect_request(out, "h", 1, {.username = "ab", .password = "c"}));
        CHECK(out.find("Proxy-Authorization: Basic YWI6Yw==\r\n") != std::string::npos);
    }
    SECTION("IPv6 hosts are bracketed, IPv4 are not")
    {
        REQUIRE_FALSE(net::write_connect_request(out, "2001:db8::1", 443, {}));
        CHECK(out == "CONNECT [2001:db8::1]:443 HTTP/1.1\r\nHost: [2001:db8::1]:443\r\n\r\n");
        REQUIRE_FALSE(net::write_connect_request(out, "[::1]", 8080, {}));
        CHECK(out == "CONNECT [::1]:8080 HTTP/1.1\r\nHost: [::1]:8080\r\n\r\n");
        REQUIRE_FALSE(net::write_connect_request(out, "192.0.2.1", 443, {}));
        CHECK(out == "CONNECT 192.0.2.1:443 HTTP/1.1\r\nHost: 192.0.2.1:443\r\n\r\n");
    }
}

TEST_CASE("write_connect_request: injection and bad input refused, output left empty", "[net][proxy]")
{
    struct bad_case {
        const char* host;
        std::uint16_t port;
        net::proxy_config proxy;
        std::error_code error;
    };
    const bad_case cases[] = {
        {"evil.com:443 HTTP/1.1\r\nX-Injected: 1\r\n\r\nGET / HTTP/1.1\r\nHost: a", 443, {}, E::bad_connect_host},
        {"a.com\r\n", 443, {}, E::bad_connect_host},
        {"a.com\n", 443, {}, E::bad_connect_host},
        {"a com", 443, {}, E::bad_connect_host},
        {"user@a.com", 443, {}, E::bad_connect_host},
        {"a.com/path", 443, {}, E::bad_connect_host},
        {"a.com:443", 443, {}, E::bad_connect_host},
        {"", 443, {}, E::bad_connect_host},
        {"[a.com]", 443, {}, E::bad_connect_host},
        {"[::1", 443, {}, E::bad_connect_host},
        {"a.com", 0, {}, E::bad_port},
        {"a.com", 443, {.username = "us:er", .password = "x"}, E::bad_proxy_credentials},
        {"a.com", 443, {.username = "user\r\nX: 1", .password = "x"}, E::bad_proxy_credentials},
        {"a.com", 443, {.username = "user", .password = "pw\r\nX: 1"}, E::bad_proxy_credentials},
        {"a.com", 443, {.username = "user", .password = std::string("p\0w", 3)}, E::bad_proxy_credentials},
    };
    for (const bad_case& c : cases) {
        INFO(c.host);
        std::string out = "previous request";
        const std::error_code ec = net::write_connect_request(out, c.host, c.port, c.proxy);
        CHECK(ec == c.error);
        CHECK(ec == llmio::condition::invalid_input);
        CHECK(out.empty());
    }
    SECTION("a NUL inside the host's string_view")
    {
        std::string out;
        const std::string host("a.com\0.evil", 11);
        CHECK(net::write_connect_request(out, host, 443, {}) == E::bad_connect_host);
        CHECK(out.empty());
    }
}
