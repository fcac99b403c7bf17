// The client's shared state: configuration read once, the pool, the limiter, the keys, the
// retry budget. Not API.
#ifndef LLMIO_GEMINI_IMPL_CLIENT_STATE_HPP
#define LLMIO_GEMINI_IMPL_CLIENT_STATE_HPP

#include <llmio/gemini/client.hpp>
#include <llmio/net/connection_pool.hpp>
#include <llmio/net/origin.hpp>
#include <llmio/net/tls_context.hpp>

#include <cstdlib>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

namespace llmio::gemini {

namespace detail {

struct call_core;

class client_error_category_impl final : public std::error_category {
public:
    [[nodiscard]] const char* name() const noexcept override { return "llmio.gemini.client"; }

    [[nodiscard]] std::string message(int ev) const override
    {
        switch (static_cast<client_error>(ev)) {
        case client_error::invalid_model:
            return "invalid model name: use a name such as \"gemini-2.5-flash\" (list models to see them)";
        case client_error::no_api_key:
            return "no API key: set GEMINI_API_KEY (or pass client_options::api_key or a key config file)";
        case client_error::no_usable_key:
            return "every configured API key was refused as invalid: check GEMINI_API_KEY or the key config";
        case client_error::bad_base_url:
            return "the base URL must look like https://host[:port][/prefix] (check GOOGLE_GEMINI_BASE_URL)";
        case client_error::not_started: return "the stream was not started: call start() first";
        case client_error::busy: return "an operation is already in progress on this stream";
        case client_error::unexpected_response: return "the service's response has an unexpected shape";
        }
        return "unknown llmio.gemini.client error";
    }

    [[nodiscard]] bool equivalent(int code, const std::error_condition& cond) const noexcept override
    {
        if (cond.category() != condition_category()) {
            return false;
        }
        const auto c = static_cast<condition>(cond.value());
        switch (static_cast<client_error>(code)) {
        case client_error::invalid_model:
        case client_error::bad_base_url:
        case client_error::not_started:
        case client_error::busy:
            return c == condition::invalid_input;
        case client_error::no_api_key:
        case client_error::no_usable_key:
            return c == condition::auth;
        case client_error::unexpected_response:
            return c == condition::protocol_error;
        }
        return false;
    }
};

struct client_state {
    asio::any_io_executor ex;
    client_options options;
    clock_source* clock = nullptr;
    std::optional<net::tls_context> tls;
    net::base_url base;
    std::string api_prefix;   // path prefix + "/" + version, e.g. "/v1beta"
    std::string authority;    // the Host field
    std::unique_ptr<net::connection_pool> pool;
    std::unique_ptr<rate_limiter> limiter;
    key_ring keys;
    std::unique_ptr<retry_budget> budget;
    std::mt19937_64 random_engine;
    std::vector<std::string> warnings;
    std::uint64_t next_id = 0;
    bool closed = false;
    /// Every live stream's machinery: shutdown() ends the idle ones' exchanges, whose watchdog
    /// timers would otherwise keep io_context::run() from returning.
    std::vector<call_core*> cores;

    void warn(std::string text)
    {
        if (options.observer != nullptr) {
            options.observer->on_warning(text);
        }
        warnings.push_back(std::move(text));
    }

    std::error_code configure(asio::any_io_executor executor, client_options o)
    {
        ex = std::move(executor);
        options = std::move(o);
        clock = options.clock != nullptr ? options.clock : &clock_source::system();

        // Keys: explicit projects, then the config file, then one key (options or environment).
        std::vector<project_keys> projects = options.projects;
        if (!options.key_config_file.empty()) {
            std::string detail;
            if (const std::error_code ec = load_key_config(options.key_config_file, projects, &detail)) {
                if (!detail.empty()) {
                    warn("key config " + options.key_config_file + ": " + detail);
                }
                return ec;
            }
        }
        if (projects.empty()) {
            std::string key = options.api_key;
            if (key.empty()) {
                std::string warning;
                key = api_key_from_environment(&warning);
                if (!warning.empty()) {
                    warn(std::move(warning));
                }
            }
            if (key.empty()) {
                return client_error::no_api_key;
            }
            projects.push_back(project_keys{.name = "default", .keys = {std::move(key)}});
        }

        // Endpoint.
        std::string url = options.base_url;
        if (url.empty()) {
            const char* env = std::getenv("GOOGLE_GEMINI_BASE_URL");
            url = env != nullptr && *env != '\0' ? env : "https://generativelanguage.googleapis.com";
        }
        if (net::parse_base_url(url, base)) {
            return client_error::bad_base_url;
        }
        api_prefix = base.path_prefix + "/" + options.api_version;
        authority = base.origin.authority();

        // Transport.
        if (base.origin.tls) {
            std::error_code ec;
            tls.emplace(options.tls, ec);
            if (ec) {
                return ec;
            }
        }
        try {
            pool = std::make_unique<net::connection_pool>(ex, options.pool, tls ? &*tls : nullptr);
        }
        catch (const std::system_error& e) {
            return e.code();   // a malformed proxy variable
        }

        // Policies.
        if (!options.retry.random) {
            random_engine.seed(std::random_device{}());
            options.retry.random = [this] {
                return std::uniform_real_distribution<double>(0.0, 1.0)(random_engine);
            };
        }
        budget = std::make_unique<retry_budget>(options.retry.budget);
        limiter_options lo = options.limiter;
        lo.clock = clock;
        limiter = std::make_unique<rate_limiter>(ex, std::move(lo));
        for (const project_keys& p : projects) {
            const rate_limits project_limits = p.limits == rate_limits{} ? options.limits : p.limits;
            const std::size_t index = limiter->add_project(p.name, project_limits);
            for (const auto& [model, limits] : options.model_limits) {
                limiter->set_limits(index, model, limits);
            }
            for (const auto& [model, limits] : p.model_limits) {
                limiter->set_limits(index, model, limits);
            }
        }
        keys = key_ring(std::move(projects));
        return {};
    }

    void shutdown() noexcept;
};

} // namespace detail

inline const std::error_category& client_error_category() noexcept
{
    static const detail::client_error_category_impl category;
    return category;
}

inline std::error_code make_error_code(client_error e) noexcept
{
    return {static_cast<int>(e), client_error_category()};
}

inline void error_details::clear() noexcept
{
    http_status = 0;
    status.clear();
    message.clear();
    reason.clear();
    quota_id.clear();
    quota_value.reset();
    retry_delay.reset();
    help_url.clear();
}

} // namespace llmio::gemini

#endif // LLMIO_GEMINI_IMPL_CLIENT_STATE_HPP
