// The transport scenarios' common ground: the mock server as a child process, the requests
// every client sends, and what a load run reports. Each client (llmio.hpp, wrk.hpp) fills the
// same `load_result` against the same server process.
#ifndef LLMIO_BENCH_TRANSPORT_SCENARIO_HPP
#define LLMIO_BENCH_TRANSPORT_SCENARIO_HPP

#include "child_process.hpp"

#include <unistd.h>

#include <cstdint>
#include <fstream>
#include <iterator>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace bench::transport {

inline constexpr std::string_view unary_target = "/v1beta/models/gemini-2.0-flash";
inline constexpr std::string_view stream_target = "/v1beta/models/gemini-2.0-flash:streamGenerateContent?alt=sse";
inline constexpr std::string_view prompt_body =
    R"({"contents":[{"role":"user","parts":[{"text":"Write a haiku about sockets."}]}]})";

/// What a load run (many requests over many connections for a while) measured. Counts cover
/// the measurement window only (after the warm-up).
struct load_result {
    double seconds = 0;             // wall time of the window
    std::uint64_t requests = 0;     // responses read completely
    std::uint64_t events = 0;       // stream chunks decoded (streams only)
    std::uint64_t errors = 0;
    std::string first_error{};
    double cpu_seconds = 0;         // the client's user + system CPU
    double server_cpu_seconds = 0;  // the mock server's, over the same window
    std::uint64_t allocations = 0;  // global operator new (and aligned_alloc) calls
    std::uint64_t openssl_allocations = 0;
    std::uint64_t connects = 0;     // connections opened in the window

    [[nodiscard]] double requests_per_s() const noexcept { return seconds > 0 ? static_cast<double>(requests) / seconds : 0; }
    [[nodiscard]] double per_request(double total) const noexcept
    {
        return requests > 0 ? total / static_cast<double>(requests) : 0;
    }
};

/// llmio-mock-server running as a child, and where it listens.
struct mock_process {
    child_process child;
    bool tls = false;
    std::uint16_t port = 0;
    std::string ca_pem{};   // TLS: its self-signed certificate, for the client to trust

    [[nodiscard]] std::string url(std::string_view target) const
    {
        return std::string(tls ? "https" : "http") + "://127.0.0.1:" + std::to_string(port) + std::string(target);
    }
    [[nodiscard]] std::string host_field() const { return "Host: 127.0.0.1:" + std::to_string(port) + "\r\n"; }
};

[[nodiscard]] inline std::string read_file(const std::string& path)
{
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

/// Starts `program --port 0 [--tls --ca-out F] extra...` and reads its `listening on` line.
/// nullopt with `error` set when it does not start.
[[nodiscard]] inline std::optional<mock_process> start_mock(const std::string& program, bool tls,
                                                            const std::vector<std::string>& extra, std::string& error)
{
    const std::string ca_file = "/tmp/llmio-transport-bench-ca-" + std::to_string(::getpid()) + ".pem";
    std::vector<std::string> argv{program, "--port", "0"};
    if (tls) {
        argv.insert(argv.end(), {"--tls", "--ca-out", ca_file});
    }
    argv.insert(argv.end(), extra.begin(), extra.end());
    auto child = child_process::spawn(argv);
    if (!child) {
        error = "cannot start " + program;
        return std::nullopt;
    }
    const std::optional<std::string> line = child->read_line();
    constexpr std::string_view prefix = "listening on ";
    const std::size_t colon = line ? line->rfind(':') : std::string::npos;
    if (!line || line->rfind(prefix, 0) != 0 || colon == std::string::npos) {
        error = program + " did not say where it listens (got: " + line.value_or("nothing") + ")";
        return std::nullopt;
    }
    mock_process m{std::move(*child), tls, static_cast<std::uint16_t>(std::stoul(line->substr(colon + 1))), {}};
    if (tls) {
        m.ca_pem = read_file(ca_file);
        ::unlink(ca_file.c_str());
    }
    return m;
}

/// The requests, as llmio sends them and as wrk sends its GET (same head, byte for byte apart
/// from wrk's own field order).
[[nodiscard]] inline std::string unary_request(const mock_process& m)
{
    return "GET " + std::string(unary_target) + " HTTP/1.1\r\n" + m.host_field() + "\r\n";
}

[[nodiscard]] inline std::string stream_request(const mock_process& m)
{
    return "POST " + std::string(stream_target) + " HTTP/1.1\r\n" + m.host_field() +
           "Content-Type: application/json\r\nContent-Length: " + std::to_string(prompt_body.size()) + "\r\n\r\n" +
           std::string(prompt_body);
}

} // namespace bench::transport

#endif // LLMIO_BENCH_TRANSPORT_SCENARIO_HPP
