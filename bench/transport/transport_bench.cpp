// llmio-transport-bench: llmio's transport (net::connection_pool + net::exchange) against
// llmio-mock-server in a separate process, with wrk against the same server in the same run.
//
//   llmio-transport-bench [--json] [--duration S] [--only NAME] [--mock-server PATH] [--no-wrk]
//
// unary_keepalive: keep-alive GETs, plaintext and TLS, 1 and 64 connections; wrk -t1 runs the
//   same GET over as many connections right before llmio's run (ratio_vs_wrk: llmio / wrk).
// stream_events: streamed responses (200 events each, no pacing) decoded through
//   gemini::stream_decoder as a client would: events per second of client CPU.
// idle_memory: heap bytes held per idle pooled connection (C++ heap and OpenSSL's allocator;
//   kernel socket buffers are not in it), plaintext, TLS, and TLS with
//   release_idle_tls_buffers (idle_memory_release_buffers).
//
// Client CPU is getrusage(RUSAGE_SELF): the server is another process, wrk's CPU comes from
// wait4(). Allocation counts and CPU cover the window after a warm-up. The machine's cores are
// shared by client and server; nothing is pinned, so numbers vary from run to run by several
// per cent: compare llmio and wrk within one run.
#include "heap_tracking.hpp"   // first: it replaces operator new for the whole program

#include "llmio.hpp"
#include "scenario.hpp"
#include "wrk.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace {

using namespace bench::transport;
namespace net = llmio::net;

constexpr std::size_t idle_connections = 64;
constexpr std::string_view usage =
    "usage: llmio-transport-bench [--json] [--duration S] [--only NAME] [--mock-server PATH] [--no-wrk]\n"
    "                             [--max-requests N]\n"
    "  NAME: unary_keepalive, stream_events, idle_memory\n"
    "  --max-requests N: pool_options::max_requests for the load runs (0: never retire; default 1000)\n";

struct options {
    bool json = false;
    double duration = 3;
    std::string only{};
    std::string mock_server = LLMIO_MOCK_SERVER_PATH;
    bool wrk = true;
    std::optional<std::uint32_t> max_requests{};   // pool_options::max_requests (default: the pool's)
    bool openssl_counted = false;

    [[nodiscard]] bool runs(std::string_view name) const { return only.empty() || only == name; }
    [[nodiscard]] std::chrono::steady_clock::duration window() const
    {
        return std::chrono::duration_cast<std::chrono::steady_clock::duration>(std::chrono::duration<double>(duration));
    }
    /// Long enough to open every connection and grow every recycled buffer.
    [[nodiscard]] std::chrono::steady_clock::duration warmup() const
    {
        return std::min<std::chrono::steady_clock::duration>(std::chrono::milliseconds(500), window() / 2);
    }
};

// ---- Output: one row per measurement, as JSON or as a table line ----------------------------

struct row {
    std::string bench;
    std::string client = "llmio";
    bool tls = false;
    std::size_t connections = 0;
    std::optional<double> requests_per_s{};
    std::optional<double> cpu_us_per_request{};
    std::optional<double> events_per_cpu_s{};
    std::optional<double> allocs_per_request{};
    std::optional<double> idle_bytes_per_connection{};
    std::optional<double> ratio_vs_wrk{};
    std::vector<std::pair<std::string, std::string>> extra{};   // JSON only; values already JSON

    void add(std::string key, double v, int decimals = 1)
    {
        char text[64];
        std::snprintf(text, sizeof text, "%.*f", decimals, v);
        extra.emplace_back(std::move(key), text);
    }
    void add(std::string key, std::string_view text)
    {
        std::string quoted = "\"";
        for (char c : text) {
            if (c == '"' || c == '\\') {
                quoted += '\\';
            }
            quoted += (c == '\n' || c == '\r') ? ' ' : c;
        }
        extra.emplace_back(std::move(key), quoted + "\"");
    }
};

void print_json(const row& r)
{
    std::printf("{\"bench\": \"%s\", \"client\": \"%s\", \"tls\": %s, \"connections\": %zu", r.bench.c_str(),
                r.client.c_str(), r.tls ? "true" : "false", r.connections);
    const auto field = [](const char* key, const std::optional<double>& v, int decimals) {
        if (v) {
            std::printf(", \"%s\": %.*f", key, decimals, *v);
        }
    };
    field("requests_per_s", r.requests_per_s, 0);
    field("cpu_us_per_request", r.cpu_us_per_request, 2);
    field("events_per_cpu_s", r.events_per_cpu_s, 0);
    field("allocs_per_request", r.allocs_per_request, 4);
    field("idle_bytes_per_connection", r.idle_bytes_per_connection, 0);
    if (r.ratio_vs_wrk) {
        std::printf(", \"reference\": \"wrk\", \"ratio_vs_wrk\": %.3f", *r.ratio_vs_wrk);
    }
    for (const auto& [key, value] : r.extra) {
        std::printf(", \"%s\": %s", key.c_str(), value.c_str());
    }
    std::printf("}\n");
}

void print_table_line(const row& r)
{
    const auto cell = [](const std::optional<double>& v, int width, int decimals) {
        if (v) {
            std::printf(" %*.*f", width, decimals, *v);
        }
        else {
            std::printf(" %*s", width, "-");
        }
    };
    std::printf("%-29s %-6s %-5s %5zu", r.bench.c_str(), r.client.c_str(), r.tls ? "tls" : "plain", r.connections);
    cell(r.requests_per_s, 10, 0);
    cell(r.cpu_us_per_request, 10, 2);
    cell(r.events_per_cpu_s, 12, 0);
    cell(r.allocs_per_request, 10, 4);
    cell(r.idle_bytes_per_connection, 10, 0);
    cell(r.ratio_vs_wrk, 7, 3);
    std::printf("\n");
}

void print(const options& o, const row& r)
{
    static bool header = false;
    if (o.json) {
        print_json(r);
    }
    else {
        if (!std::exchange(header, true)) {
            std::printf("%-29s %-6s %-5s %5s %10s %10s %12s %10s %10s %7s\n", "bench", "client", "", "conns", "req/s",
                        "cpu us/req", "events/cpu-s", "allocs/req", "idle B/c", "vs wrk");
        }
        print_table_line(r);
    }
    std::fflush(stdout);
}

void note(const std::string& text)
{
    std::fprintf(stderr, "llmio-transport-bench: %s\n", text.c_str());
}

// ---- Scenarios ------------------------------------------------------------------------------

/// The fields every load run has, llmio's or wrk's.
row load_row(std::string bench, std::string client, bool tls, std::size_t connections, const load_result& r)
{
    row out{std::move(bench), std::move(client), tls, connections};
    out.requests_per_s = r.requests_per_s();
    out.cpu_us_per_request = r.per_request(r.cpu_seconds * 1e6);
    out.add("requests", static_cast<double>(r.requests), 0);
    out.add("seconds", r.seconds, 3);
    out.add("client_cpu_share", r.seconds > 0 ? r.cpu_seconds / r.seconds : 0, 3);
    out.add("server_cpu_us_per_request", r.per_request(r.server_cpu_seconds * 1e6), 2);
    out.add("errors", static_cast<double>(r.errors), 0);
    if (r.errors > 0) {
        out.add("first_error", r.first_error);
    }
    return out;
}

/// llmio's own counters on top of load_row.
row llmio_row(std::string bench, bool tls, std::size_t connections, const load_result& r, const options& o)
{
    row out = load_row(std::move(bench), "llmio", tls, connections, r);
    out.allocs_per_request = r.per_request(static_cast<double>(r.allocations));
    if (o.openssl_counted) {
        out.add("openssl_allocs_per_request", r.per_request(static_cast<double>(r.openssl_allocations)), 4);
    }
    out.add("connects_in_window", static_cast<double>(r.connects), 0);
    out.add("max_requests", o.max_requests ? *o.max_requests : net::pool_options{}.max_requests, 0);
    return out;
}

std::optional<mock_process> start_server(const options& o, bool tls, const std::vector<std::string>& extra)
{
    std::string error;
    auto m = start_mock(o.mock_server, tls, extra, error);
    if (!m) {
        note(error);
    }
    return m;
}

void unary_keepalive(const options& o, const std::string& wrk_program)
{
    for (const bool tls : {false, true}) {
        auto server = start_server(o, tls, {});
        if (!server) {
            return;
        }
        const net::tls_context context({.system_trust = false, .ca_pem = server->ca_pem});
        const llmio_client::target t = llmio_client::make_target(*server, false);
        for (const std::size_t n : {std::size_t{1}, std::size_t{64}}) {
            std::optional<load_result> reference;
            if (!wrk_program.empty()) {
                reference = wrk::run(wrk_program, *server, n, o.duration);
                print(o, load_row("unary_keepalive", "wrk", tls, n, *reference));
            }
            const load_result mine = llmio_client::run_load(*server, &context, t, n, o.warmup(), o.window(), o.max_requests);
            row r = llmio_row("unary_keepalive", tls, n, mine, o);
            if (reference && reference->errors == 0 && reference->requests_per_s() > 0) {
                r.ratio_vs_wrk = mine.requests_per_s() / reference->requests_per_s();
                r.add("cpu_ratio_vs_wrk", *r.cpu_us_per_request / reference->per_request(reference->cpu_seconds * 1e6), 3);
            }
            print(o, r);
        }
    }
}

void stream_events(const options& o)
{
    constexpr std::size_t n = 64;
    for (const bool tls : {false, true}) {
        auto server = start_server(o, tls, {"--events", "200", "--itl-ms", "0", "--ttft-ms", "0"});
        if (!server) {
            return;
        }
        const net::tls_context context({.system_trust = false, .ca_pem = server->ca_pem});
        const llmio_client::target t = llmio_client::make_target(*server, true);
        const load_result mine = llmio_client::run_load(*server, &context, t, n, o.warmup(), o.window(), o.max_requests);
        row r = llmio_row("stream_events", tls, n, mine, o);
        r.events_per_cpu_s = mine.cpu_seconds > 0 ? static_cast<double>(mine.events) / mine.cpu_seconds : 0;
        r.add("events_per_s", mine.seconds > 0 ? static_cast<double>(mine.events) / mine.seconds : 0, 0);
        r.add("events_per_request", mine.per_request(static_cast<double>(mine.events)), 1);
        print(o, r);
    }
}

row idle_row(std::string bench, bool tls, const llmio_client::idle_marks& m, const options& o)
{
    const auto per = [&](double bytes) { return bytes / static_cast<double>(idle_connections); };
    const auto delta = [](std::uint64_t a, std::uint64_t b) { return static_cast<double>(a) - static_cast<double>(b); };
    row r{std::move(bench), "llmio", tls, idle_connections};
    // Everything the N idle connections hold, measured from before any of them was opened (the
    // exchanges that opened them are gone): connection objects and Asio's per-socket state
    // included, which close_idle() keeps for reuse.
    r.idle_bytes_per_connection = per(delta(m.idle.live(), m.before.live()));
    r.add("cxx_heap_bytes_per_connection", per(delta(m.idle.cxx_live, m.before.cxx_live)), 0);
    r.add("openssl_bytes_per_connection", per(delta(m.idle.openssl_live, m.before.openssl_live)), 0);
    // What close_idle() gives back (the objects stay as spares).
    r.add("released_by_close_idle_per_connection", per(delta(m.idle.live(), m.closed.live())), 0);
    r.add("malloc_in_use_per_connection", per(delta(m.idle.malloc_in_use, m.closed.malloc_in_use)), 0);
    r.add("budget_bytes", tls ? 40 * 1024 : 8 * 1024, 0);
    r.add("idle_connections", static_cast<double>(m.idle_connections), 0);
    r.add("connects", static_cast<double>(m.connects), 0);
    r.add("kernel_socket_buffers", "excluded");
    if (!o.openssl_counted) {
        r.add("openssl_heap", "not counted (hooks refused)");
    }
    if (m.status.errors > 0) {
        r.add("errors", static_cast<double>(m.status.errors), 0);
        r.add("first_error", m.status.first_error);
    }
    return r;
}

void idle_memory(const options& o)
{
    for (const bool tls : {false, true}) {
        auto server = start_server(o, tls, {});
        if (!server) {
            return;
        }
        const net::tls_context context({.system_trust = false, .ca_pem = server->ca_pem});
        print(o, idle_row("idle_memory", tls, llmio_client::measure_idle(*server, &context, idle_connections, false), o));
        if (tls) {
            print(o, idle_row("idle_memory_release_buffers", tls,
                              llmio_client::measure_idle(*server, &context, idle_connections, true), o));
        }
    }
}

std::optional<options> parse(int argc, char** argv)
{
    options o;
    for (int i = 1; i < argc; ++i) {
        const std::string_view a = argv[i];
        const bool has_value = i + 1 < argc;
        if (a == "--json") {
            o.json = true;
        }
        else if (a == "--no-wrk") {
            o.wrk = false;
        }
        else if (a == "--duration" && has_value) {
            o.duration = std::atof(argv[++i]);
            if (o.duration <= 0) {
                return std::nullopt;
            }
        }
        else if (a == "--only" && has_value) {
            o.only = argv[++i];
        }
        else if (a == "--max-requests" && has_value) {
            o.max_requests = static_cast<std::uint32_t>(std::strtoul(argv[++i], nullptr, 10));
        }
        else if (a == "--mock-server" && has_value) {
            o.mock_server = argv[++i];
        }
        else {
            return std::nullopt;
        }
    }
    return o;
}

} // namespace

int main(int argc, char** argv)
{
    // Before anything touches OpenSSL: it takes allocator hooks only while it has allocated nothing.
    const bool openssl_counted = install_openssl_hooks();
    auto o = parse(argc, argv);
    if (!o) {
        std::fputs(usage.data(), stderr);
        return 2;
    }
    o->openssl_counted = openssl_counted;
    if (!openssl_counted) {
        note("OpenSSL refused the allocator hooks: its allocations are not counted");
    }
    std::string wrk_program = o->wrk ? find_in_path("wrk") : std::string();
    if (o->wrk && wrk_program.empty() && o->runs("unary_keepalive")) {
        note("wrk is not installed: no reference runs (apt-get install wrk)");
    }
    if (o->runs("unary_keepalive")) {
        unary_keepalive(*o, wrk_program);
    }
    if (o->runs("stream_events")) {
        stream_events(*o);
    }
    if (o->runs("idle_memory")) {
        idle_memory(*o);
    }
    return 0;
}
