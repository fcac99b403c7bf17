// examples/support.hpp: what every example shares, so that each example shows only its own idea.
//
// Where the requests go:
// - Without GEMINI_API_KEY (or GOOGLE_API_KEY), or with --mock: the embedded mock Gemini server
//   (llmio/testing/mock_server.hpp), started here on loopback, over TLS with a certificate
//   made at start that only this client trusts, paced by --ttft-ms / --itl-ms / --events. It
//   runs on a thread of its own with its own io_context, as a server elsewhere would: the
//   example's io_context carries the client alone, which is what matters for the frame-loop
//   example (its poll() must see only the client's work).
// - With a key: the real service (or GOOGLE_GEMINI_BASE_URL), the system's trust store, proxies
//   from the environment. The client reads the key itself; it is never printed, except as
//   redact_key() shows it ("AIza...WXYZ").
//
// One line on stderr says which. The client's configuration warnings (both key variables set,
// ...) go to stderr as well.
#ifndef LLMIO_EXAMPLES_SUPPORT_HPP
#define LLMIO_EXAMPLES_SUPPORT_HPP

#include <llmio/gemini/client.hpp>
#include <llmio/gemini/keys.hpp>
#include <llmio/testing/mock_server.hpp>

#include <asio/io_context.hpp>
#include <asio/post.hpp>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <initializer_list>
#include <memory>
#include <string>
#include <string_view>
#include <system_error>
#include <thread>
#include <variant>

namespace examples {

namespace gemini = llmio::gemini;
using llmio::testing::mock_options;
using llmio::testing::mock_server;

/// The flags every example understands.
struct common_flags {
    std::string model = "gemini-2.0-flash";
    // The mock's pacing (no effect on the real service).
    int ttft_ms = 300;   ///< --ttft-ms: time to the first event
    int itl_ms = 40;     ///< --itl-ms: gap between events
    int events = 12;     ///< --events: events per answer
    bool mock = false;   ///< --mock: the mock even when a key is set (CI smoke tests use it)
    std::string fault{}; ///< --fault NAME: the mock injects this mock_fault into every request
};

inline constexpr std::string_view common_usage =
    "  --model NAME   model (default gemini-2.0-flash)\n"
    "  --mock         use the embedded mock server even when GEMINI_API_KEY is set\n"
    "  --ttft-ms N    mock: time to first event (default 300)\n"
    "  --itl-ms N     mock: milliseconds between events (default 40)\n"
    "  --events N     mock: events per answer (default 12)\n"
    "  --fault NAME   mock: answer every request with this fault (quota_per_day, disconnect,\n"
    "                 error_mid_stream_data, ...: llmio/testing/mock_server.hpp, mock_fault)\n";

/// One flag of an example's own: `--name VALUE` into an int or a string, `--name` into a bool.
struct flag {
    std::string_view name;
    std::variant<int*, std::string*, bool*> target;
};

/// Parses argv into `common` and the example's own `extra` flags. An argument that does not
/// start with "--" goes to `*positional` (an error when it is nullptr). Returns false for
/// --help, an unknown flag, a missing or non-numeric value, or pacing out of range: print the
/// usage and exit 2.
[[nodiscard]] inline bool parse_flags(int argc, char** argv, common_flags& common, std::initializer_list<flag> extra = {},
                                      std::string* positional = nullptr)
{
    const auto number = [](const char* text, int& out) {
        char* end = nullptr;
        const long v = std::strtol(text, &end, 10);
        if (end == text || *end != '\0' || v < 0 || v > 1'000'000) {
            return false;
        }
        out = static_cast<int>(v);
        return true;
    };
    for (int i = 1; i < argc; ++i) {
        const std::string_view a = argv[i];
        const char* value = i + 1 < argc ? argv[i + 1] : nullptr;
        if (a == "-h") {
            return false;
        }
        if (!a.starts_with("--")) {
            if (positional == nullptr) {
                return false;
            }
            *positional = a;
            continue;
        }
        // The common flags, then the example's own (which may override one).
        const flag shared[] = {{"--model", &common.model},     {"--mock", &common.mock},
                               {"--ttft-ms", &common.ttft_ms}, {"--itl-ms", &common.itl_ms},
                               {"--events", &common.events},   {"--fault", &common.fault}};
        const flag* found = nullptr;
        for (const flag& f : shared) {
            found = a == f.name ? &f : found;
        }
        for (const flag& f : extra) {
            found = a == f.name ? &f : found;
        }
        if (found == nullptr) {
            return false;   // --help or an unknown flag
        }
        if (bool* const* on = std::get_if<bool*>(&found->target)) {
            **on = true;
            continue;
        }
        if (value == nullptr) {
            return false;
        }
        if (int* const* n = std::get_if<int*>(&found->target)) {
            if (!number(value, **n)) {
                return false;
            }
        }
        else {
            *std::get<std::string*>(found->target) = value;
        }
        ++i;
    }
    return common.events > 0 && (common.fault.empty() || llmio::testing::parse_mock_fault(common.fault));
}

/// Where the requests go: the embedded mock on its own thread, or the real service.
class backend {
public:
    /// `program` prefixes the line on stderr. `mock` holds mock options an example needs
    /// (function_calls, ...); TLS and the pacing flags are set here.
    backend(std::string_view program, const common_flags& flags, mock_options mock = {})
        : program_(program), flags_(flags), mock_options_(std::move(mock))
    {
    }

    backend(const backend&) = delete;
    backend& operator=(const backend&) = delete;

    /// Stops the mock (on its own thread, as its members must be called there) and joins it.
    ~backend()
    {
        if (thread_.joinable()) {
            asio::post(mock_io_, [this] { mock_->stop(); });
            thread_.join();
        }
    }

    /// Decides where to go, starts the mock when that is where, and says so on stderr.
    [[nodiscard]] std::error_code start()
    {
        std::string warning;
        const std::string key = gemini::api_key_from_environment(&warning);
        if (!key.empty() && !flags_.mock) {
            const char* base = std::getenv("GOOGLE_GEMINI_BASE_URL");
            std::fprintf(stderr, "%s: %s, model %s, key %s\n", program_.c_str(),
                         base != nullptr && *base != '\0' ? base : "https://generativelanguage.googleapis.com",
                         flags_.model.c_str(), gemini::redact_key(key).c_str());
            return {};   // the client reads the key from the environment itself
        }
        mock_options_.tls = true;
        mock_options_.ttft = std::chrono::milliseconds(flags_.ttft_ms);
        mock_options_.itl = std::chrono::milliseconds(flags_.itl_ms);
        mock_options_.events = static_cast<std::size_t>(flags_.events);
        if (!flags_.fault.empty()) {
            mock_options_.fault = *llmio::testing::parse_mock_fault(flags_.fault);   // checked by parse_flags
            mock_options_.fault_rate = 1.0;
        }
        mock_ = std::make_unique<mock_server>(mock_io_.get_executor(), mock_options_);
        std::error_code ec;
        (void)mock_->start(ec);   // makes the certificate, binds 127.0.0.1 on a free port
        if (ec) {
            return ec;
        }
        // Safe to hand over now: the server was made and started before its thread exists.
        thread_ = std::thread([this] {
            try {
                mock_io_.run();
            }
            catch (const std::exception& e) {
                std::fprintf(stderr, "%s: the mock server failed: %s\n", program_.c_str(), e.what());
                std::abort();
            }
        });
        std::fprintf(stderr,
                     "%s: %s: the embedded mock server at %s (TLS, certificate made at start and "
                     "trusted by this client only; TTFT %d ms, %d ms between events, %d events%s%s)\n",
                     program_.c_str(), key.empty() ? "no GEMINI_API_KEY" : "--mock", mock_->base_url().c_str(),
                     flags_.ttft_ms, flags_.itl_ms, flags_.events, flags_.fault.empty() ? "" : ", fault ",
                     flags_.fault.c_str());
        return {};
    }

    [[nodiscard]] bool is_mock() const noexcept { return mock_ != nullptr; }

    /// Options for a client of this backend. Adjust them (limits, pool) before making the client.
    [[nodiscard]] gemini::client_options client_options() const
    {
        gemini::client_options o;
        if (mock_) {
            o.api_key = "AIzaExampleKeyForTheEmbeddedMock0000";   // the mock checks none
            o.base_url = mock_->base_url();                       // https://localhost:PORT
            o.tls = {.system_trust = false, .ca_pem = std::string(mock_->ca_certificate_pem())};
            o.pool.proxy = llmio::net::proxy_settings{};          // loopback: never a proxy
        }
        return o;
    }

private:
    std::string program_;
    common_flags flags_;
    mock_options mock_options_;
    asio::io_context mock_io_{1};
    std::unique_ptr<mock_server> mock_;
    std::thread thread_;
};

/// Makes the client, printing why when it cannot be made (no key, a bad GOOGLE_GEMINI_BASE_URL,
/// an unreadable trust store, ...), and its configuration warnings. nullptr: exit 1.
[[nodiscard]] inline std::unique_ptr<gemini::client> make_client(std::string_view program, asio::io_context& io,
                                                                 gemini::client_options options)
{
    std::error_code ec;
    auto c = std::make_unique<gemini::client>(io.get_executor(), std::move(options), ec);
    if (ec) {
        std::fprintf(stderr, "%.*s: cannot make the client: %s\n", static_cast<int>(program.size()), program.data(),
                     ec.message().c_str());
        return nullptr;
    }
    for (const std::string& w : c->warnings()) {
        std::fprintf(stderr, "%.*s: warning: %s\n", static_cast<int>(program.size()), program.data(), w.c_str());
    }
    return c;
}

/// A prompt as a one-turn request.
[[nodiscard]] inline gemini::generate_content_request prompt_request(std::string text)
{
    gemini::generate_content_request r;
    r.contents.push_back({.role = gemini::role::user, .parts = {gemini::content_part::from_text(std::move(text))}});
    return r;
}

/// Milliseconds, for printing.
template <class Rep, class Period>
[[nodiscard]] double ms(std::chrono::duration<Rep, Period> d) noexcept
{
    return std::chrono::duration<double, std::milli>(d).count();
}

/// Writes text to stdout at once (streamed output should show as it arrives).
inline void print_now(std::string_view text)
{
    std::fwrite(text.data(), 1, text.size(), stdout);
    std::fflush(stdout);
}

} // namespace examples

#endif // LLMIO_EXAMPLES_SUPPORT_HPP
