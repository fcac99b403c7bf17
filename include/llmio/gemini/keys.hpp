// llmio/gemini/keys.hpp: API keys: from the environment, from a config file of projects, in
// rotation, and redacted wherever one is mentioned.
//
// Gemini applies rate limits per project, not per key (GEMINI_API.md, "Rate limits"): several
// keys of one project share one quota, so the config groups keys by project, and each project
// carries its limits. Within a project the keys rotate round robin; a key the service reports
// invalid (400 with reason API_KEY_INVALID) leaves rotation for good.
//
// A key is a secret: no message, log line or exception of llmio contains one. `redact_key`
// gives the form every such text uses, and the config parser names places
// ("projects[1].keys[0]"), never values.
#ifndef LLMIO_GEMINI_KEYS_HPP
#define LLMIO_GEMINI_KEYS_HPP

#include <llmio/error.hpp>
#include <llmio/gemini/rate_limits.hpp>

#include <cstddef>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

namespace llmio::gemini {

/// "AIza...WXYZ": the first four characters when the key starts with AIza, then "...", then
/// its last 4 characters (keys shorter than 12 characters: "..." and nothing else). Bytes of the
/// last four that are not visible ASCII show as '?', so a redacted key cannot break a log line.
/// Used by every message, log line and exception that mentions a key.
[[nodiscard]] std::string redact_key(std::string_view key);

/// One Google Cloud project: its keys share its quota.
struct project_keys {
    /// The name in the config: for messages and logs (it is checked not to look like a key).
    std::string name{};
    std::vector<std::string> keys{};
    /// The project's limits for every model (zero: no client-side limit).
    rate_limits limits{};
    /// Limits for particular models, by model name as written in the config, in config order.
    /// A field a model entry leaves out is zero there: the client decides whether the project
    /// limit then applies.
    std::vector<std::pair<std::string, rate_limits>> model_limits{};
};

enum class key_error {
    /// Neither GOOGLE_API_KEY nor GEMINI_API_KEY is set, and no key was given (condition::auth).
    no_key = 1,
    /// The config file cannot be opened or read, or is larger than 16 MiB.
    config_unreadable,
    /// Not JSON, or JSON of another shape: a wrong type, an unknown or repeated field, a limit
    /// that is not a non-negative integer in range, a project name missing, repeated or
    /// looking like a key.
    config_malformed,
    /// "projects" is missing or empty.
    config_no_projects,
    /// A project's "keys" is missing or empty.
    config_empty_keys,
    /// The same key appears twice (in one project or in two).
    duplicate_key,
    /// A key is not a string, is empty, or has a byte that is not visible ASCII (it could not
    /// be sent in the x-goog-api-key header as is).
    key_not_text,
};

namespace detail {

class key_error_category_impl final : public std::error_category {
public:
    [[nodiscard]] const char* name() const noexcept override { return "llmio.gemini.keys"; }

    [[nodiscard]] std::string message(int ev) const override
    {
        switch (static_cast<key_error>(ev)) {
        case key_error::no_key:
            return "no API key: set GEMINI_API_KEY (or GOOGLE_API_KEY) or pass a key";
        case key_error::config_unreadable: return "the key config file cannot be read";
        case key_error::config_malformed: return "the key config is malformed";
        case key_error::config_no_projects: return "the key config lists no projects";
        case key_error::config_empty_keys: return "a project in the key config has no keys";
        case key_error::duplicate_key: return "the same API key appears twice in the key config";
        case key_error::key_not_text:
            return "an API key in the key config is not a non-empty string of visible ASCII";
        }
        return "unknown llmio.gemini.keys error";
    }

    [[nodiscard]] bool equivalent(int code, const std::error_condition& cond) const noexcept override
    {
        if (cond.category() != condition_category()) {
            return false;
        }
        const auto c = static_cast<condition>(cond.value());
        switch (static_cast<key_error>(code)) {
        case key_error::no_key:
            return c == condition::auth;
        case key_error::config_unreadable:
        case key_error::config_malformed:
        case key_error::config_no_projects:
        case key_error::config_empty_keys:
        case key_error::duplicate_key:
        case key_error::key_not_text:
            return c == condition::invalid_input;
        }
        return false;
    }
};

} // namespace detail

/// The category of `llmio::gemini::key_error` ("llmio.gemini.keys").
[[nodiscard]] inline const std::error_category& key_error_category() noexcept
{
    static const detail::key_error_category_impl category;
    return category;
}

[[nodiscard]] inline std::error_code make_error_code(key_error e) noexcept
{
    return {static_cast<int>(e), key_error_category()};
}

/// The official SDKs' precedence: GOOGLE_API_KEY wins over GEMINI_API_KEY when both are set
/// (and non-empty), with the warning they print. Returns the key ("" when neither) and sets
/// `*warning` to that warning, or clears it. Values are trimmed of ASCII whitespace, as
/// js-genai does (a key pasted with its newline still works); an empty value is unset.
/// Reads the environment (std::getenv): do not call it while another thread changes it.
[[nodiscard]] std::string api_key_from_environment(std::string* warning = nullptr);

/// A JSON config listing projects and their keys, e.g.
///   {"projects":[{"name":"team-a","keys":["AIza..."],
///                 "limits":{"requests_per_minute":15,"input_tokens_per_minute":1000000,"requests_per_day":1500},
///                 "models":{"gemini-2.5-pro":{"requests_per_minute":5}}}]}
/// parsed with simdjson. "name" and "keys" are required, "limits" and "models" optional, and
/// no other field is accepted (a misspelt limit would otherwise be silently no limit).
/// Errors are typed (key_error) and `*detail` names the place ("projects[1].keys[0]: not a
/// string"; entries of "models" by position: "projects[0].models[2]") -- never a key, and
/// never any other text of the input, since a key pasted in the wrong place could be anywhere.
/// `out` is replaced on success only.
[[nodiscard]] std::error_code parse_key_config(std::string_view json, std::vector<project_keys>& out,
    std::string* detail = nullptr);

/// Reads the file at `path` (16 MiB at most) and parses it as parse_key_config does.
/// config_unreadable when it cannot be read; `*detail` then names the path and the reason.
[[nodiscard]] std::error_code load_key_config(const std::string& path, std::vector<project_keys>& out,
    std::string* detail = nullptr);

/// Rotation across the keys of several projects: round robin within a project; a key reported
/// invalid (API_KEY_INVALID) leaves rotation for good. Not thread-safe: use it from the
/// client's executor. Pointers from next_key stay valid as long as the ring (keys never move).
class key_ring {
public:
    key_ring() = default;
    explicit key_ring(std::vector<project_keys> projects);

    [[nodiscard]] std::size_t projects() const noexcept;
    /// Throws std::out_of_range when i >= projects().
    [[nodiscard]] const project_keys& project(std::size_t i) const;
    /// The next usable key of project i (round robin), or nullptr when it has none left (or
    /// there is no project i).
    [[nodiscard]] const std::string* next_key(std::size_t project) noexcept;
    /// The key leaves rotation in every project that lists it; unknown keys are ignored.
    void disable(std::string_view key) noexcept;
    /// Project i has a key left.
    [[nodiscard]] bool usable(std::size_t project) const noexcept;
    /// Keys left in rotation, over all projects.
    [[nodiscard]] std::size_t usable_keys() const noexcept;

private:
    struct rotation {
        std::size_t next = 0;
        std::size_t left = 0;
        std::vector<bool> disabled{};
    };

    std::vector<project_keys> projects_{};
    std::vector<rotation> rotation_{};
};

} // namespace llmio::gemini

template <>
struct std::is_error_code_enum<llmio::gemini::key_error> : std::true_type {};

#include <llmio/gemini/impl/keys.hpp>

#endif // LLMIO_GEMINI_KEYS_HPP
