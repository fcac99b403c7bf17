// gemini::redact_key, api_key_from_environment, the key config (parse/load), key_ring.
#include <llmio/gemini/keys.hpp>

#include "support/catch.hpp"

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <optional>
#include <string>
#include <unistd.h>
#include <vector>

namespace gemini = llmio::gemini;
using gemini::key_error;

namespace {

// Real-shaped (39 characters, AIza prefix) but made up.
const std::string key_a = "AIzaSyA1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q";
const std::string key_b = "AIzaSyZ9y8X7w6V5u4T3s2R1q0P9o8N7m6L5k4J";
const std::string key_c = "AIzaSyQwErTyUiOpAsDfGhJkLzXcVbNm1234567";

/// Sets or unsets environment variables for one test and restores them afterwards.
class env_guard {
public:
    explicit env_guard(std::vector<const char*> names)
    {
        for (const char* n : names) {
            const char* v = std::getenv(n);
            saved_.push_back({n, v ? std::optional<std::string>(v) : std::nullopt});
        }
    }
    env_guard(const env_guard&) = delete;
    env_guard& operator=(const env_guard&) = delete;
    ~env_guard()
    {
        for (const auto& [name, value] : saved_) {
            if (value) {
                ::setenv(name, value->c_str(), 1);
            } else {
                ::unsetenv(name);
            }
        }
    }
    static void set(const char* name, const char* value)
    {
        if (value == nullptr) {
            ::unsetenv(name);
        } else {
            ::setenv(name, value, 1);
        }
    }

private:
    std::vector<std::pair<const char*, std::optional<std::string>>> saved_;
};

struct parsed {
    std::error_code ec;
    std::string detail;
    std::vector<gemini::project_keys> projects;
};

parsed parse(const std::string& json)
{
    parsed p;
    p.ec = gemini::parse_key_config(json, p.projects, &p.detail);
    return p;
}

/// No 8-character run of the key appears in `text` (the redacted form shows 4 at most).
bool mentions(const std::string& text, const std::string& key)
{
    for (std::size_t i = 0; i + 8 <= key.size(); ++i) {
        if (text.find(key.substr(i, 8)) != std::string::npos) {
            return true;
        }
    }
    return false;
}

} // namespace

TEST_CASE("redact_key", "[gemini][keys]")
{
    CHECK(gemini::redact_key(key_a) == "AIza...5p6Q");
    CHECK(gemini::redact_key(key_b) == "AIza...5k4J");
    CHECK_FALSE(mentions(gemini::redact_key(key_a), key_a));
    CHECK(gemini::redact_key("") == "...");
    CHECK(gemini::redact_key("AIza") == "...");
    CHECK(gemini::redact_key("AIzaSyShort") == "...");          // 11 characters
    CHECK(gemini::redact_key("abcdefghijkl") == "...ijkl");     // 12, not AIza
    CHECK(gemini::redact_key("AIzaXXXXWXYZ") == "AIza...WXYZ"); // 12, AIza
    CHECK(gemini::redact_key("sk-proj-0123456789abcdef") == "...cdef");
    CHECK(gemini::redact_key("aiza0123456789") == "...6789");   // the prefix is case-sensitive
    CHECK(gemini::redact_key(key_a + "\r\n") == "AIza...6Q??"); // cannot break a log line
    CHECK(gemini::redact_key(std::string("AIza0123456789\0\x7f\xff", 17)) == "AIza...9???");
}

TEST_CASE("api_key_from_environment: GOOGLE_API_KEY wins, with the SDKs' warning", "[gemini][keys]")
{
    env_guard guard({"GOOGLE_API_KEY", "GEMINI_API_KEY"});
    std::string warning = "stale";

    env_guard::set("GOOGLE_API_KEY", nullptr);
    env_guard::set("GEMINI_API_KEY", nullptr);
    CHECK(gemini::api_key_from_environment(&warning).empty());
    CHECK(warning.empty());

    env_guard::set("GEMINI_API_KEY", key_a.c_str());
    CHECK(gemini::api_key_from_environment(&warning) == key_a);
    CHECK(warning.empty());

    env_guard::set("GOOGLE_API_KEY", key_b.c_str());
    CHECK(gemini::api_key_from_environment(&warning) == key_b);
    CHECK(warning == "Both GOOGLE_API_KEY and GEMINI_API_KEY are set. Using GOOGLE_API_KEY.");
    CHECK_FALSE(mentions(warning, key_a));
    CHECK_FALSE(mentions(warning, key_b));
    CHECK(gemini::api_key_from_environment() == key_b);   // no warning slot

    env_guard::set("GEMINI_API_KEY", nullptr);
    CHECK(gemini::api_key_from_environment(&warning) == key_b);
    CHECK(warning.empty());

    // Empty counts as unset: no warning, the other one is used.
    env_guard::set("GOOGLE_API_KEY", "");
    env_guard::set("GEMINI_API_KEY", key_a.c_str());
    CHECK(gemini::api_key_from_environment(&warning) == key_a);
    CHECK(warning.empty());

    // Surrounding whitespace is trimmed (js-genai trims); whitespace alone is empty.
    env_guard::set("GOOGLE_API_KEY", " \t\n");
    env_guard::set("GEMINI_API_KEY", (" " + key_a + "\n").c_str());
    CHECK(gemini::api_key_from_environment(&warning) == key_a);
    CHECK(warning.empty());
}

TEST_CASE("key_error: category and conditions", "[gemini][keys]")
{
    CHECK(std::string(gemini::key_error_category().name()) == "llmio.gemini.keys");
    const std::error_code no_key = key_error::no_key;
    CHECK(no_key == llmio::condition::auth);
    CHECK(no_key != llmio::condition::invalid_input);
    for (const key_error e : {key_error::config_unreadable, key_error::config_malformed, key_error::config_no_projects,
             key_error::config_empty_keys, key_error::duplicate_key, key_error::key_not_text}) {
        const std::error_code ec = e;
        INFO(ec.message());
        CHECK(ec == llmio::condition::invalid_input);
        CHECK(ec != llmio::condition::auth);
        CHECK(ec != llmio::condition::retryable);
        CHECK_FALSE(ec.message().empty());
    }
}

TEST_CASE("parse_key_config: a good config", "[gemini][keys][config]")
{
    const std::string json = R"({"projects":[
        {"name":"team-a","keys":[")" + key_a + R"(",")" + key_b + R"("],
         "limits":{"requests_per_minute":15,"input_tokens_per_minute":1000000,"requests_per_day":1500},
         "models":{"gemini-2.5-pro":{"requests_per_minute":5},
                   "gemini-2.5-flash":{"requests_per_minute":10,"input_tokens_per_minute":18446744073709551615,"requests_per_day":4294967295}}},
        {"keys":[")" + key_c + R"("],"name":"team-b"}
    ]})";
    const parsed p = parse(json);
    REQUIRE_FALSE(p.ec);
    CHECK(p.detail.empty());
    REQUIRE(p.projects.size() == 2);
    const gemini::project_keys& a = p.projects[0];
    CHECK(a.name == "team-a");
    CHECK(a.keys == std::vector<std::string>{key_a, key_b});
    CHECK(a.limits == gemini::rate_limits{15, 1'000'000, 1500});
    REQUIRE(a.model_limits.size() == 2);
    CHECK(a.model_limits[0].first == "gemini-2.5-pro");
    CHECK(a.model_limits[0].second == gemini::rate_limits{5, 0, 0});
    CHECK(a.model_limits[1].first == "gemini-2.5-flash");
    CHECK(a.model_limits[1].second == gemini::rate_limits{10, 18446744073709551615ULL, 4294967295U});
    const gemini::project_keys& b = p.projects[1];
    CHECK(b.name == "team-b");
    CHECK(b.keys == std::vector<std::string>{key_c});
    CHECK(b.limits == gemini::rate_limits{});
    CHECK(b.model_limits.empty());

    SECTION("the minimum, and empty limits and models objects")
    {
        const parsed q = parse(R"({"projects":[{"name":"x","keys":["k1"],"limits":{},"models":{}}]})");
        REQUIRE_FALSE(q.ec);
        CHECK(q.projects.at(0).keys == std::vector<std::string>{"k1"});
    }
}

TEST_CASE("parse_key_config: every error, with its place", "[gemini][keys][config]")
{
    struct row {
        std::string json;
        key_error error;
        std::string detail;
    };
    const std::string k = "\"" + key_a + "\"";
    const std::string good_project = R"({"name":"p","keys":[)" + k + "]}";
    const std::vector<row> rows = {
        {"", key_error::config_malformed, ""},
        {"{", key_error::config_malformed, ""},
        {"[]", key_error::config_malformed, "top level: not an object"},
        {"42", key_error::config_malformed, "top level: not an object"},
        {R"({"projects":[],"extra":1})", key_error::config_malformed, "top level: unknown field (known: projects)"},
        {"{}", key_error::config_no_projects, "projects: missing"},
        {R"({"projects":[]})", key_error::config_no_projects, "projects: empty"},
        {R"({"projects":{}})", key_error::config_malformed, "projects: not an array"},
        {R"({"projects":[], "projects":[]})", key_error::config_malformed, "projects: repeated"},
        {R"({"projects":[7]})", key_error::config_malformed, "projects[0]: not an object"},
        {R"({"projects":[{"keys":[)" + k + "]}]}", key_error::config_malformed, "projects[0].name: missing"},
        {R"({"projects":[{"name":1,"keys":[)" + k + "]}]}", key_error::config_malformed, "projects[0].name: not a string"},
        {R"({"projects":[{"name":"","keys":[)" + k + "]}]}", key_error::config_malformed, "projects[0].name: empty"},
        {R"({"projects":[{"name":"a","name":"b","keys":[)" + k + "]}]}", key_error::config_malformed, "projects[0].name: repeated"},
        {R"({"projects":[)" + good_project + R"(,{"name":"p","keys":["other"]}]})", key_error::config_malformed,
            "projects[1].name: the same name as projects[0]"},
        {R"({"projects":[{"name":"p"}]})", key_error::config_empty_keys, "projects[0].keys: missing"},
        {R"({"projects":[{"name":"p","keys":[]}]})", key_error::config_empty_keys, "projects[0].keys: empty"},
        {R"({"projects":[{"name":"p","keys":"k"}]})", key_error::config_malformed, "projects[0].keys: not an array"},
        {R"({"projects":[{"name":"p","keys":["a"],"keys":["b"]}]})", key_error::config_malformed, "projects[0].keys: repeated"},
        {R"({"projects":[{"name":"p","keys":["a",5]}]})", key_error::key_not_text, "projects[0].keys[1]: not a string"},
        {R"({"projects":[{"name":"p","keys":[null]}]})", key_error::key_not_text, "projects[0].keys[0]: not a string"},
        {R"({"projects":[{"name":"p","keys":[""]}]})", key_error::key_not_text, "projects[0].keys[0]: empty"},
        {R"({"projects":[{"name":"p","keys":["a b"]}]})", key_error::key_not_text,
            "projects[0].keys[0]: has a byte that is not visible ASCII (space, control, non-ASCII)"},
        {R"({"projects":[{"name":"p","keys":["a\nb"]}]})", key_error::key_not_text,
            "projects[0].keys[0]: has a byte that is not visible ASCII (space, control, non-ASCII)"},
        {R"({"projects":[{"name":"p","keys":["caf\u00e9"]}]})", key_error::key_not_text,
            "projects[0].keys[0]: has a byte that is not visible ASCII (space, control, non-ASCII)"},
        {R"({"projects":[{"name":"p","keys":[)" + k + "," + k + "]}]}", key_error::duplicate_key,
            "projects[0].keys[1]: the same key as projects[0].keys[0]"},
        {R"({"projects":[{"name":"p","keys":["x",)" + k + R"(]},{"name":"q","keys":[)" + k + "]}]}",
            key_error::duplicate_key, "projects[1].keys[0]: the same key as projects[0].keys[1]"},
        {R"({"projects":[{"name":"p","keys":["a"],"limits":[]}]})", key_error::config_malformed, "projects[0].limits: not an object"},
        {R"({"projects":[{"name":"p","keys":["a"],"limits":{"rpm":1}}]})", key_error::config_malformed,
            "projects[0].limits: unknown field (known: requests_per_minute, input_tokens_per_minute, requests_per_day)"},
        {R"({"projects":[{"name":"p","keys":["a"],"limits":{"requests_per_minute":-1}}]})", key_error::config_malformed,
            "projects[0].limits.requests_per_minute: not a non-negative integer"},
        {R"({"projects":[{"name":"p","keys":["a"],"limits":{"requests_per_day":1.5}}]})", key_error::config_malformed,
            "projects[0].limits.requests_per_day: not a non-negative integer"},
        {R"({"projects":[{"name":"p","keys":["a"],"limits":{"input_tokens_per_minute":"5"}}]})", key_error::config_malformed,
            "projects[0].limits.input_tokens_per_minute: not a non-negative integer"},
        {R"({"projects":[{"name":"p","keys":["a"],"limits":{"requests_per_minute":4294967296}}]})", key_error::config_malformed,
            "projects[0].limits.requests_per_minute: larger than 4294967295"},
        {R"({"projects":[{"name":"p","keys":["a"],"limits":{"input_tokens_per_minute":18446744073709551616}}]})",
            key_error::config_malformed, ""},   // simdjson: a number too large for any integer type
        {R"({"projects":[{"name":"p","keys":["a"],"limits":{"requests_per_day":1,"requests_per_day":2}}]})",
            key_error::config_malformed, "projects[0].limits.requests_per_day: repeated"},
        {R"({"projects":[{"name":"p","keys":["a"],"limits":{},"limits":{}}]})", key_error::config_malformed, "projects[0].limits: repeated"},
        {R"({"projects":[{"name":"p","keys":["a"],"models":[]}]})", key_error::config_malformed, "projects[0].models: not an object"},
        {R"({"projects":[{"name":"p","keys":["a"],"models":{"m":{"requests_per_minute":1},"":{}}}]})", key_error::config_malformed,
            "projects[0].models[1]: empty model name"},
        {R"({"projects":[{"name":"p","keys":["a"],"models":{"m":{},"m":{}}}]})", key_error::config_malformed,
            "projects[0].models[1]: the same model as projects[0].models[0]"},
        {R"({"projects":[{"name":"p","keys":["a"],"models":{"m":5}}]})", key_error::config_malformed, "projects[0].models[0]: not an object"},
        {R"({"projects":[{"name":"p","keys":["a"],"models":{"m":{"requests_per_minute":true}}}]})", key_error::config_malformed,
            "projects[0].models[0].requests_per_minute: not a non-negative integer"},
        {R"({"projects":[{"name":"p","keys":["a"],"models":{},"models":{}}]})", key_error::config_malformed, "projects[0].models: repeated"},
        {R"({"projects":[{"name":"p","keys":["a"],"key":"b"}]})", key_error::config_malformed,
            "projects[0]: unknown field (known: name, keys, limits, models)"},
        {R"({"projects":[{"name":"a","keys":["k"]},{"name":"k","keys":["z"]}]})", key_error::config_malformed,
            "projects[1].name: is one of the keys"},
        {R"({"projects":[{"name":"a","keys":["k"],"models":{"k":{}}}]})", key_error::config_malformed,
            "projects[0].models[0]: the model name is one of the keys"},
    };
    for (const row& r : rows) {
        INFO("config: " << r.json);
        std::vector<gemini::project_keys> out(1);
        out[0].name = "untouched";
        std::string detail = "stale";
        const std::error_code ec = gemini::parse_key_config(r.json, out, &detail);
        CHECK(ec == r.error);
        CHECK(ec == llmio::condition::invalid_input);
        if (r.detail.empty()) {
            CHECK_FALSE(detail.empty());
        } else {
            CHECK(detail == r.detail);
        }
        // `out` is replaced on success only.
        REQUIRE(out.size() == 1);
        CHECK(out[0].name == "untouched");
    }
    SECTION("invalid JSON says so")
    {
        const parsed p = parse(R"({"projects":[)");
        CHECK(p.ec == key_error::config_malformed);
        CHECK(p.detail.rfind("not valid JSON: ", 0) == 0);
    }
    SECTION("no detail slot is fine")
    {
        std::vector<gemini::project_keys> out;
        CHECK(gemini::parse_key_config("{}", out) == key_error::config_no_projects);
    }
}

TEST_CASE("parse_key_config: no message ever contains a key, wherever it is put", "[gemini][keys][config]")
{
    const std::string k = key_a;
    const std::string q = "\"" + k + "\"";
    const std::vector<std::string> configs = {
        R"({"projects":[{"name":)" + q + R"(,"keys":["x"]}]})",                       // key as the name
        R"({"projects":[{"name":"p","keys":["x"],"models":{)" + q + R"(:{}}}]})",      // key as a model
        R"({"projects":[{"name":"p","keys":["x"],)" + q + R"(:1}]})",                  // key as a field name
        R"({"projects":[{"name":"p","keys":["x"],"apikey":)" + q + R"(}]})",            // key in an unknown field
        "{" + q + R"(:[]})",                                                             // top-level field name
        R"({"projects":[{"name":"p","keys":["x"],"limits":{"requests_per_minute":)" + q + "}}]})",
        R"({"projects":[{"name":"p","keys":["x"],"limits":{)" + q + ":1}}]})",
        R"({"projects":[{"name":"p","keys":["x"],"models":{"m":{)" + q + ":1}}}]})",
        R"({"projects":[{"name":"p","keys":[)" + q + "," + q + "]}]})",                // duplicate
        R"({"projects":[{"name":"p","keys":[")" + k + R"( "]}]})",                    // trailing space
        R"({"projects":[{"name":"p","keys":[")" + k + R"(\u0000"]}]})",               // NUL
        R"({"projects":[{"name":"p","keys":{)" + q + ":1}}]})",                         // keys as an object
        R"({"projects":[{"name":"p","keys":[)" + q + "]}],\"x\":" + q + "}",             // after a good project
        R"({"projects":[{"name":"p","keys":[)" + q,                                    // truncated JSON
        R"({"projects":[{"name":"p","keys":[)" + q + "}]}",                            // mismatched bracket
        R"({"projects":[{"name":"p","keys":[")" + k + "\xff\"]}]}",                    // invalid UTF-8
        R"({"projects":[{"name":"p","keys":[)" + q + "]},{\"name\":\"p\",\"keys\":[" + q + "]}]}",
        R"({"projects":[)" + q + "]}",                                                  // a project that is a key
        q,                                                                               // the whole file is a key
        k,
    };
    for (const std::string& json : configs) {
        std::vector<gemini::project_keys> out;
        std::string detail;
        const std::error_code ec = gemini::parse_key_config(json, out, &detail);
        INFO("detail: " << detail);
        CHECK(ec);
        CHECK_FALSE(detail.empty());
        CHECK_FALSE(mentions(detail, k));
        CHECK_FALSE(mentions(ec.message(), k));
    }
}

TEST_CASE("load_key_config: a file, a missing file, a directory", "[gemini][keys][config]")
{
    char name[] = "/tmp/llmio-keys-XXXXXX";
    const int fd = ::mkstemp(name);
    REQUIRE(fd >= 0);
    ::close(fd);
    const std::string path = name;
    {
        std::ofstream f(path, std::ios::binary);
        f << R"({"projects":[{"name":"team-a","keys":[")" << key_a << R"("],"limits":{"requests_per_minute":15}}]})";
    }
    std::vector<gemini::project_keys> out;
    std::string detail;
    CHECK_FALSE(gemini::load_key_config(path, out, &detail));
    REQUIRE(out.size() == 1);
    CHECK(out[0].keys == std::vector<std::string>{key_a});
    CHECK(out[0].limits.requests_per_minute == 15);

    {
        std::ofstream f(path, std::ios::binary | std::ios::trunc);
        f << R"({"projects":[{"name":"p","keys":[]}]})";
    }
    CHECK(gemini::load_key_config(path, out, &detail) == key_error::config_empty_keys);
    CHECK(detail == "projects[0].keys: empty");
    CHECK(out.size() == 1);
    std::remove(path.c_str());

    CHECK(gemini::load_key_config(path, out, &detail) == key_error::config_unreadable);
    CHECK(detail == path + ": No such file or directory");
    CHECK(gemini::load_key_config("/tmp", out, &detail) == key_error::config_unreadable);
    CHECK(detail.rfind("/tmp: ", 0) == 0);
    CHECK(gemini::load_key_config("", out, &detail) == key_error::config_unreadable);
}

TEST_CASE("key_ring: round robin per project, disable, usable", "[gemini][keys][ring]")
{
    gemini::key_ring empty;
    CHECK(empty.projects() == 0);
    CHECK(empty.next_key(0) == nullptr);
    CHECK_FALSE(empty.usable(0));
    CHECK(empty.usable_keys() == 0);

    std::vector<gemini::project_keys> projects(2);
    projects[0].name = "a";
    projects[0].keys = {"k1", "k2", "k3"};
    projects[1].name = "b";
    projects[1].keys = {"k4", "shared"};
    projects[0].keys.push_back("shared");   // a ring may be built by hand, duplicates included
    gemini::key_ring ring(projects);

    CHECK(ring.projects() == 2);
    CHECK(ring.project(1).name == "b");
    CHECK_THROWS_AS((void)ring.project(2), std::out_of_range);
    CHECK(ring.usable_keys() == 6);

    const auto next = [&](std::size_t p) {
        const std::string* k = ring.next_key(p);
        return k == nullptr ? std::string("<none>") : *k;
    };
    CHECK(next(0) == "k1");
    CHECK(next(0) == "k2");
    CHECK(next(1) == "k4");   // projects rotate independently
    CHECK(next(0) == "k3");
    CHECK(next(0) == "shared");
    CHECK(next(0) == "k1");
    CHECK(next(1) == "shared");
    CHECK(next(1) == "k4");
    CHECK(next(7) == "<none>");

    ring.disable("k2");
    CHECK(ring.usable_keys() == 5);
    CHECK(next(0) == "k3");   // k2 was next: skipped
    CHECK(next(0) == "shared");
    CHECK(next(0) == "k1");
    CHECK(next(0) == "k3");

    ring.disable("shared");   // in both projects
    CHECK(ring.usable_keys() == 3);
    CHECK(next(1) == "k4");
    CHECK(next(1) == "k4");
    ring.disable("shared");   // again: nothing changes
    ring.disable("unknown");
    CHECK(ring.usable_keys() == 3);

    ring.disable("k4");
    CHECK_FALSE(ring.usable(1));
    CHECK(ring.next_key(1) == nullptr);
    CHECK(ring.usable(0));
    ring.disable("k1");
    ring.disable("k3");
    CHECK_FALSE(ring.usable(0));
    CHECK(ring.next_key(0) == nullptr);
    CHECK(ring.usable_keys() == 0);
    CHECK(ring.project(0).keys.size() == 4);   // the list itself is kept (for messages)

    SECTION("pointers stay valid and point into the ring")
    {
        gemini::key_ring r2(projects);
        const std::string* first = r2.next_key(0);
        REQUIRE(first != nullptr);
        CHECK(first == &r2.project(0).keys[0]);
    }
    SECTION("a ring from a parsed config")
    {
        std::vector<gemini::project_keys> parsed_projects;
        REQUIRE_FALSE(gemini::parse_key_config(
            R"({"projects":[{"name":"p","keys":[")" + key_a + R"(",")" + key_b + R"("]}]})", parsed_projects));
        gemini::key_ring r3(std::move(parsed_projects));
        CHECK(*r3.next_key(0) == key_a);
        CHECK(*r3.next_key(0) == key_b);
        r3.disable(key_a);
        CHECK(*r3.next_key(0) == key_b);
        CHECK(*r3.next_key(0) == key_b);
    }
}
