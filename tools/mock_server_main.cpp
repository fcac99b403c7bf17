// llmio-mock-server: runs llmio::testing::mock_server until SIGINT or SIGTERM.
//
//     llmio-mock-server --port 0 --ttft-ms 200 --itl-ms 20 --events 20
//     listening on 127.0.0.1:40123
//
// The line `listening on HOST:PORT` is printed (and flushed) once the socket listens, so a
// script can start the program, read one line, and connect: with --port 0 it is the only way
// to learn the port.
#include <llmio/testing/mock_server.hpp>

#include <asio/io_context.hpp>
#include <asio/signal_set.hpp>

#include <charconv>
#include <chrono>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace {

constexpr std::string_view usage = R"(usage: llmio-mock-server [options]
  --host ADDR          address to bind (default 127.0.0.1)
  --port N             port (default 0: the system picks one; it is printed)
  --tls                serve HTTPS with a certificate made at start
  --ca-out FILE        with --tls: write the certificate (PEM) to FILE for clients to trust
  --api-key KEY        require this key (x-goog-api-key, ?key=, or Authorization: Bearer)
  --project NAME:KEY1,KEY2
                       a project and its keys (repeatable): keys must then be one of the
                       projects', and --rpm, --rpd, --tpm apply per project and model
  --ttft-ms N          delay before the first event (default 0)
  --itl-ms N           gap between events (default 0)
  --events N           events per streamed response (default 3)
  --words N            words (tokens) per event (default 4)
  --function-calls     answer requests that declare functions with calls to all of them,
                       and with text once the last turn holds their results
  --fault NAME         inject NAME (see llmio/testing/mock_server.hpp) ...
  --fault-rate P       ... into this fraction of requests (default 1)
  --fault-limit N      ... into N requests at most (default 0: no limit)
  --close-after N      with --fault close_after: close after the Nth request on a connection
  --retry-after S      with --fault retry_after: the Retry-After header's seconds (default 3)
  --seed N             seed of the fault dice (default 1)
  --rpm N              enforce N content requests per minute (default 0: off)
  --rpd N              enforce N content requests per day (default 0: off)
  --tpm N              enforce N input tokens per minute (default 0: off)
  --quota-window-ms N  the length of the --rpm and --tpm windows (default 60000)
  --print-expected-text BODY
                       print the text a content request with body BODY (exact bytes) is
                       answered with under the other options (--events, --words), and exit
Prints "listening on HOST:PORT" when ready; stops on SIGINT or SIGTERM.
)";

template <class T>
bool parse_number(std::string_view text, T& out)
{
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
    return ec == std::errc{} && end == text.data() + text.size();
}

bool parse_rate(std::string_view text, double& out)
{
    // strtod needs a terminated string; the argument is one (argv).
    char* end = nullptr;
    out = std::strtod(text.data(), &end);
    return end == text.data() + text.size() && out >= 0.0 && out <= 1.0;
}

// NAME:KEY1,KEY2: a non-empty name, then non-empty keys separated by commas.
bool parse_project(std::string_view text, llmio::testing::mock_project& out)
{
    const std::size_t colon = text.find(':');
    if (colon == 0 || colon == std::string_view::npos) {
        return false;
    }
    out.name = std::string(text.substr(0, colon));
    std::string_view keys = text.substr(colon + 1);
    for (;;) {
        const std::size_t comma = keys.find(',');
        const std::string_view key = keys.substr(0, comma);
        if (key.empty()) {
            return false;
        }
        out.keys.emplace_back(key);
        if (comma == std::string_view::npos) {
            return true;
        }
        keys.remove_prefix(comma + 1);
    }
}

int fail(std::string_view message)
{
    std::cerr << "llmio-mock-server: " << message << "\n" << usage;
    return 2;
}

} // namespace

int main(int argc, char** argv)
{
    llmio::testing::mock_options options;
    std::string ca_out;
    // --print-expected-text: the same function llmio's own tests compare with, for checks
    // written in other languages (tests/interop) that must not take the text from the server.
    std::optional<std::string> expected_for;
    for (int i = 1; i < argc; ++i) {
        const std::string_view arg = argv[i];
        if (arg == "--help" || arg == "-h") {
            std::cout << usage;
            return 0;
        }
        if (arg == "--tls") {
            options.tls = true;
            continue;
        }
        if (arg == "--function-calls") {
            options.function_calls = true;
            continue;
        }
        if (i + 1 == argc) {
            return fail("missing value after " + std::string(arg));
        }
        const std::string_view value = argv[++i];
        std::uint64_t n = 0;
        const bool number = parse_number(value, n);
        const auto need_number = [&] { return fail("not a number: " + std::string(arg) + " " + std::string(value)); };
        if (arg == "--host") {
            options.address = std::string(value);
        } else if (arg == "--port") {
            if (!number || n > 65535) {
                return need_number();
            }
            options.port = static_cast<std::uint16_t>(n);
        } else if (arg == "--ca-out") {
            ca_out = std::string(value);
        } else if (arg == "--print-expected-text") {
            expected_for = std::string(value);
        } else if (arg == "--api-key") {
            options.api_key = std::string(value);
        } else if (arg == "--project") {
            llmio::testing::mock_project project;
            if (!parse_project(value, project)) {
                return fail("--project takes NAME:KEY1,KEY2,... (a name and at least one key)");
            }
            options.projects.push_back(std::move(project));
        } else if (arg == "--ttft-ms" || arg == "--itl-ms") {
            if (!number) {
                return need_number();
            }
            (arg == "--ttft-ms" ? options.ttft : options.itl) = std::chrono::milliseconds(n);
        } else if (arg == "--events" || arg == "--words" || arg == "--close-after") {
            if (!number || n == 0) {
                return need_number();
            }
            (arg == "--events" ? options.events : arg == "--words" ? options.words_per_event
                                                                   : options.close_after_requests) = n;
        } else if (arg == "--fault") {
            const auto f = llmio::testing::parse_mock_fault(value);
            if (!f) {
                return fail("unknown fault: " + std::string(value));
            }
            options.fault = *f;
        } else if (arg == "--fault-rate") {
            if (!parse_rate(value, options.fault_rate)) {
                return fail("--fault-rate takes a number from 0 to 1");
            }
        } else if (arg == "--retry-after") {
            if (!number || n > 86400) {
                return need_number();
            }
            options.retry_after = std::chrono::seconds(n);
        } else if (arg == "--tpm" || arg == "--fault-limit") {
            if (!number) {
                return need_number();
            }
            (arg == "--tpm" ? options.tpm : options.fault_limit) = n;
        } else if (arg == "--quota-window-ms") {
            if (!number || n == 0 || n > 86'400'000) {
                return need_number();
            }
            options.quota_window = std::chrono::milliseconds(n);
        } else if (arg == "--seed" || arg == "--rpm" || arg == "--rpd") {
            if (!number || n > UINT32_MAX) {
                return need_number();
            }
            (arg == "--seed" ? options.seed : arg == "--rpm" ? options.rpm : options.rpd) = static_cast<std::uint32_t>(n);
        } else {
            return fail("unknown option: " + std::string(arg));
        }
    }
    if (!ca_out.empty() && !options.tls) {
        return fail("--ca-out needs --tls");
    }
    if (expected_for) {
        // No newline: the output is the text, byte for byte.
        std::cout << llmio::testing::mock_server::expected_text(*expected_for, options) << std::flush;
        return std::cout ? 0 : 1;
    }

    asio::io_context io(1);
    llmio::testing::mock_server server(io.get_executor(), options);
    std::error_code ec;
    const asio::ip::tcp::endpoint at = server.start(ec);
    if (ec) {
        std::cerr << "llmio-mock-server: cannot start: " << ec.message() << "\n";
        return 1;
    }
    if (!ca_out.empty()) {
        std::ofstream file(ca_out, std::ios::binary | std::ios::trunc);
        file << server.ca_certificate_pem();
        if (!file.flush()) {
            std::cerr << "llmio-mock-server: cannot write " << ca_out << "\n";
            return 1;
        }
    }
    asio::signal_set signals(io, SIGINT, SIGTERM);
    signals.async_wait([&](const std::error_code& error, int) {
        if (!error) {
            server.stop();
        }
    });
    const std::string host = at.address().is_v6() ? "[" + at.address().to_string() + "]" : at.address().to_string();
    std::cout << "listening on " << host << ':' << at.port() << std::endl;   // endl: flushed
    if (options.tls) {
        std::cerr << "tls: trust the certificate " << (ca_out.empty() ? "(use --ca-out FILE to get it)" : "in " + ca_out)
                  << "; it names localhost and 127.0.0.1\n";
    }
    io.run();
    return 0;
}
