// Bodies of the functions declared in llmio/gemini/keys.hpp.
#ifndef LLMIO_GEMINI_IMPL_KEYS_HPP
#define LLMIO_GEMINI_IMPL_KEYS_HPP

#include <simdjson.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <stdexcept>
#include <unordered_map>

namespace llmio::gemini {

namespace detail {

[[nodiscard]] inline bool visible_ascii(char c) noexcept
{
    return c > ' ' && c < 0x7f;
}

/// Gemini keys start with "AIza" and are 39 characters long (GEMINI_API.md, "Auth").
[[nodiscard]] inline bool looks_like_key(std::string_view s) noexcept
{
    return s.size() >= 30 && s.substr(0, 4) == "AIza";
}

[[nodiscard]] inline std::string_view trim_ascii_space(std::string_view s) noexcept
{
    constexpr std::string_view space = " \t\r\n\v\f";
    const std::size_t first = s.find_first_not_of(space);
    if (first == std::string_view::npos) {
        return {};
    }
    return s.substr(first, s.find_last_not_of(space) - first + 1);
}

/// The key config reader: names places by path and index only (see parse_key_config).
class key_config_reader {
public:
    explicit key_config_reader(std::string* detail) noexcept : detail_(detail) {}

    [[nodiscard]] std::error_code read(std::string_view json, std::vector<project_keys>& out);

private:
    using element = simdjson::dom::element;

    std::error_code fail(key_error e, std::string where, std::string_view what)
    {
        if (detail_ != nullptr) {
            *detail_ = std::move(where);
            *detail_ += ": ";
            *detail_ += what;
        }
        return e;
    }

    static std::string at(std::string_view base, std::size_t i)
    {
        std::string s(base);
        s += '[';
        s += std::to_string(i);
        s += ']';
        return s;
    }

    static std::string dot(std::string_view base, std::string_view field)
    {
        std::string s(base);
        s += '.';
        s += field;
        return s;
    }

    std::error_code read_project(element e, std::size_t i, project_keys& p);
    std::error_code read_keys(element e, const std::string& where, std::size_t project, project_keys& p);
    std::error_code read_models(element e, const std::string& where, project_keys& p);
    std::error_code read_limits(element e, const std::string& where, rate_limits& out);

    struct key_place {
        std::size_t project = 0;
        std::size_t index = 0;
    };

    std::string* detail_;
    /// Views into the parser's document, alive for the whole read.
    std::unordered_map<std::string_view, key_place> keys_{};
};

inline std::error_code key_config_reader::read(std::string_view json, std::vector<project_keys>& out)
{
    simdjson::dom::parser parser;
    element root;
    if (const auto err = parser.parse(json.data(), json.size()).get(root); err != simdjson::SUCCESS) {
        return fail(key_error::config_malformed, "not valid JSON", simdjson::error_message(err));
    }
    simdjson::dom::object top;
    if (root.get_object().get(top) != simdjson::SUCCESS) {
        return fail(key_error::config_malformed, "top level", "not an object");
    }
    bool seen = false;
    std::vector<project_keys> projects;
    for (const simdjson::dom::key_value_pair field : top) {
        if (field.key != "projects") {
            return fail(key_error::config_malformed, "top level", "unknown field (known: projects)");
        }
        if (seen) {
            return fail(key_error::config_malformed, "projects", "repeated");
        }
        seen = true;
        simdjson::dom::array list;
        if (field.value.get_array().get(list) != simdjson::SUCCESS) {
            return fail(key_error::config_malformed, "projects", "not an array");
        }
        std::size_t i = 0;
        for (const element p : list) {
            projects.emplace_back();
            if (auto ec = read_project(p, i, projects.back())) {
                return ec;
            }
            ++i;
        }
    }
    if (!seen) {
        return fail(key_error::config_no_projects, "projects", "missing");
    }
    if (projects.empty()) {
        return fail(key_error::config_no_projects, "projects", "empty");
    }
    for (std::size_t i = 0; i < projects.size(); ++i) {
        const std::string where = at("projects", i);
        if (keys_.count(projects[i].name) != 0) {
            return fail(key_error::config_malformed, dot(where, "name"), "is one of the keys");
        }
        for (std::size_t m = 0; m < projects[i].model_limits.size(); ++m) {
            if (keys_.count(projects[i].model_limits[m].first) != 0) {
                return fail(key_error::config_malformed, at(dot(where, "models"), m), "the model name is one of the keys");
            }
        }
        for (std::size_t j = 0; j < i; ++j) {
            if (projects[j].name == projects[i].name) {
                return fail(key_error::config_malformed, dot(where, "name"), "the same name as " + at("projects", j));
            }
        }
    }
    out = std::move(projects);
    return {};
}

inline std::error_code key_config_reader::read_project(element e, std::size_t i, project_keys& p)
{
    const std::string where = at("projects", i);
    simdjson::dom::object obj;
    if (e.get_object().get(obj) != simdjson::SUCCESS) {
        return fail(key_error::config_malformed, where, "not an object");
    }
    bool has_name = false;
    bool has_keys = false;
    bool has_limits = false;
    bool has_models = false;
    for (const simdjson::dom::key_value_pair field : obj) {
        if (field.key == "name") {
            const std::string place = dot(where, "name");
            if (has_name) {
                return fail(key_error::config_malformed, place, "repeated");
            }
            has_name = true;
            std::string_view name;
            if (field.value.get_string().get(name) != simdjson::SUCCESS) {
                return fail(key_error::config_malformed, place, "not a string");
            }
            if (name.empty()) {
                return fail(key_error::config_malformed, place, "empty");
            }
            if (looks_like_key(name)) {
                return fail(key_error::config_malformed, place, "looks like an API key (keys go in \"keys\")");
            }
            p.name = name;
        } else if (field.key == "keys") {
            const std::string place = dot(where, "keys");
            if (has_keys) {
                return fail(key_error::config_malformed, place, "repeated");
            }
            has_keys = true;
            if (auto ec = read_keys(field.value, place, i, p)) {
                return ec;
            }
        } else if (field.key == "limits") {
            const std::string place = dot(where, "limits");
            if (has_limits) {
                return fail(key_error::config_malformed, place, "repeated");
            }
            has_limits = true;
            if (auto ec = read_limits(field.value, place, p.limits)) {
                return ec;
            }
        } else if (field.key == "models") {
            const std::string place = dot(where, "models");
            if (has_models) {
                return fail(key_error::config_malformed, place, "repeated");
            }
            has_models = true;
            if (auto ec = read_models(field.value, place, p)) {
                return ec;
            }
        } else {
            return fail(key_error::config_malformed, where, "unknown field (known: name, keys, limits, models)");
        }
    }
    if (!has_name) {
        return fail(key_error::config_malformed, dot(where, "name"), "missing");
    }
    if (!has_keys) {
        return fail(key_error::config_empty_keys, dot(where, "keys"), "missing");
    }
    return {};
}

inline std::error_code key_config_reader::read_keys(element e, const std::string& where, std::size_t project, project_keys& p)
{
    simdjson::dom::array list;
    if (e.get_array().get(list) != simdjson::SUCCESS) {
        return fail(key_error::config_malformed, where, "not an array");
    }
    std::size_t j = 0;
    for (const element k : list) {
        const std::string place = at(where, j);
        std::string_view key;
        if (k.get_string().get(key) != simdjson::SUCCESS) {
            return fail(key_error::key_not_text, place, "not a string");
        }
        if (key.empty()) {
            return fail(key_error::key_not_text, place, "empty");
        }
        for (const char c : key) {
            if (!visible_ascii(c)) {
                return fail(key_error::key_not_text, place, "has a byte that is not visible ASCII (space, control, non-ASCII)");
            }
        }
        const auto [it, inserted] = keys_.emplace(key, key_place{project, j});
        if (!inserted) {
            return fail(key_error::duplicate_key, place,
                "the same key as " + at(dot(at("projects", it->second.project), "keys"), it->second.index));
        }
        p.keys.emplace_back(key);
        ++j;
    }
    if (p.keys.empty()) {
        return fail(key_error::config_empty_keys, where, "empty");
    }
    return {};
}

inline std::error_code key_config_reader::read_models(element e, const std::string& where, project_keys& p)
{
    simdjson::dom::object obj;
    if (e.get_object().get(obj) != simdjson::SUCCESS) {
        return fail(key_error::config_malformed, where, "not an object");
    }
    std::size_t m = 0;
    for (const simdjson::dom::key_value_pair field : obj) {
        // Entries are named by position: a model name is input text, and input text may be a
        // key pasted in the wrong place.
        const std::string place = at(where, m);
        if (field.key.empty()) {
            return fail(key_error::config_malformed, place, "empty model name");
        }
        if (looks_like_key(field.key)) {
            return fail(key_error::config_malformed, place, "the model name looks like an API key");
        }
        for (std::size_t k = 0; k < p.model_limits.size(); ++k) {
            if (p.model_limits[k].first == field.key) {
                return fail(key_error::config_malformed, place, "the same model as " + at(where, k));
            }
        }
        rate_limits limits;
        if (auto ec = read_limits(field.value, place, limits)) {
            return ec;
        }
        p.model_limits.emplace_back(std::string(field.key), limits);
        ++m;
    }
    return {};
}

inline std::error_code key_config_reader::read_limits(element e, const std::string& where, rate_limits& out)
{
    simdjson::dom::object obj;
    if (e.get_object().get(obj) != simdjson::SUCCESS) {
        return fail(key_error::config_malformed, where, "not an object");
    }
    static constexpr std::string_view names[] = {"requests_per_minute", "input_tokens_per_minute", "requests_per_day"};
    bool seen[3] = {false, false, false};
    for (const simdjson::dom::key_value_pair field : obj) {
        std::size_t n = 0;
        while (n < 3 && field.key != names[n]) {
            ++n;
        }
        if (n == 3) {
            return fail(key_error::config_malformed, where,
                "unknown field (known: requests_per_minute, input_tokens_per_minute, requests_per_day)");
        }
        const std::string place = dot(where, names[n]);
        if (seen[n]) {
            return fail(key_error::config_malformed, place, "repeated");
        }
        seen[n] = true;
        std::uint64_t v = 0;
        if (field.value.get_uint64().get(v) != simdjson::SUCCESS) {
            return fail(key_error::config_malformed, place, "not a non-negative integer");
        }
        if (n == 1) {
            out.input_tokens_per_minute = v;
            continue;
        }
        if (v > std::numeric_limits<std::uint32_t>::max()) {
            return fail(key_error::config_malformed, place, "larger than 4294967295");
        }
        (n == 0 ? out.requests_per_minute : out.requests_per_day) = static_cast<std::uint32_t>(v);
    }
    return {};
}

} // namespace detail

inline std::string redact_key(std::string_view key)
{
    if (key.size() < 12) {
        return "...";
    }
    std::string out;
    out.reserve(11);
    if (key.substr(0, 4) == "AIza") {
        out = "AIza";
    }
    out += "...";
    for (const char c : key.substr(key.size() - 4)) {
        out += detail::visible_ascii(c) ? c : '?';
    }
    return out;
}

inline std::string api_key_from_environment(std::string* warning)
{
    // python-genai google/genai/_api_client.py get_env_api_key() and js-genai
    // src/node/node_client.ts getApiKeyFromEnv(): "GOOGLE_API_KEY wins", with this warning
    // (logger.warning / console.warn) when both are non-empty.
    const auto read = [](const char* name) -> std::string_view {
        const char* v = std::getenv(name);
        return v == nullptr ? std::string_view{} : detail::trim_ascii_space(v);
    };
    const std::string_view google = read("GOOGLE_API_KEY");
    const std::string_view gemini = read("GEMINI_API_KEY");
    if (warning != nullptr) {
        warning->clear();
        if (!google.empty() && !gemini.empty()) {
            *warning = "Both GOOGLE_API_KEY and GEMINI_API_KEY are set. Using GOOGLE_API_KEY.";
        }
    }
    return std::string(!google.empty() ? google : gemini);
}

inline std::error_code parse_key_config(std::string_view json, std::vector<project_keys>& out, std::string* detail)
{
    if (detail != nullptr) {
        detail->clear();
    }
    return detail::key_config_reader(detail).read(json, out);
}

inline std::error_code load_key_config(const std::string& path, std::vector<project_keys>& out, std::string* detail)
{
    constexpr std::size_t max_size = std::size_t{16} << 20;
    if (detail != nullptr) {
        detail->clear();
    }
    const auto unreadable = [&](std::string_view why) {
        if (detail != nullptr) {
            *detail = path;
            *detail += ": ";
            *detail += why;
        }
        return make_error_code(key_error::config_unreadable);
    };
    std::FILE* f = std::fopen(path.c_str(), "rb");
    if (f == nullptr) {
        return unreadable(std::generic_category().message(errno));
    }
    std::string text;
    char buf[8192];
    int read_errno = 0;
    while (text.size() <= max_size) {
        const std::size_t n = std::fread(buf, 1, sizeof buf, f);
        text.append(buf, n);
        if (n < sizeof buf) {
            if (std::ferror(f) != 0) {
                read_errno = errno != 0 ? errno : EIO;
            }
            break;
        }
    }
    std::fclose(f);
    if (read_errno != 0) {
        return unreadable(std::generic_category().message(read_errno));
    }
    if (text.size() > max_size) {
        return unreadable("larger than 16 MiB");
    }
    return parse_key_config(text, out, detail);
}

inline key_ring::key_ring(std::vector<project_keys> projects) : projects_(std::move(projects))
{
    rotation_.resize(projects_.size());
    for (std::size_t i = 0; i < projects_.size(); ++i) {
        rotation_[i].left = projects_[i].keys.size();
        rotation_[i].disabled.assign(projects_[i].keys.size(), false);
    }
}

inline std::size_t key_ring::projects() const noexcept
{
    return projects_.size();
}

inline const project_keys& key_ring::project(std::size_t i) const
{
    if (i >= projects_.size()) {
        throw std::out_of_range("llmio::gemini::key_ring::project: no such project");
    }
    return projects_[i];
}

inline const std::string* key_ring::next_key(std::size_t project) noexcept
{
    if (project >= projects_.size() || rotation_[project].left == 0) {
        return nullptr;
    }
    rotation& r = rotation_[project];
    const std::vector<std::string>& keys = projects_[project].keys;
    for (std::size_t k = 0; k < keys.size(); ++k) {
        const std::size_t i = (r.next + k) % keys.size();
        if (!r.disabled[i]) {
            r.next = (i + 1) % keys.size();
            return &keys[i];
        }
    }
    return nullptr;
}

inline void key_ring::disable(std::string_view key) noexcept
{
    for (std::size_t p = 0; p < projects_.size(); ++p) {
        const std::vector<std::string>& keys = projects_[p].keys;
        for (std::size_t i = 0; i < keys.size(); ++i) {
            if (!rotation_[p].disabled[i] && keys[i] == key) {
                rotation_[p].disabled[i] = true;
                --rotation_[p].left;
            }
        }
    }
}

inline bool key_ring::usable(std::size_t project) const noexcept
{
    return project < projects_.size() && rotation_[project].left > 0;
}

inline std::size_t key_ring::usable_keys() const noexcept
{
    std::size_t n = 0;
    for (const rotation& r : rotation_) {
        n += r.left;
    }
    return n;
}

} // namespace llmio::gemini

#endif // LLMIO_GEMINI_IMPL_KEYS_HPP
