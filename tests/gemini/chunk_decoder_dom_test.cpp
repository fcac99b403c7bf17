// gemini::chunk_decoder's walk of a document (simdjson On-Demand, which validates only what it
// reads) against simdjson's DOM parser (which validates all of it): every single-byte change
// and every truncation of documents whose fields the decoder all reads must be refused exactly
// when the DOM parser refuses them (or the schema does: a read field of the wrong type), and
// where both accept, both must read the same values. Then the number and literal grammar, case
// by case, and buffers that grow with the document.
#include <llmio/gemini/chunk_decoder.hpp>

#include "support/catch.hpp"

#include <simdjson.h>

#include <cmath>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace gemini = llmio::gemini;

namespace {

/// What the decoder reads from these documents, as plain values.
struct summary {
    struct rating {
        std::string category, probability;
        bool blocked = false;
        std::optional<double> score;
        bool operator==(const rating&) const = default;
    };
    struct cand {
        std::int64_t index = 0;   // the decoder's default when absent
        std::string role, finish;
        std::vector<std::string> texts;
        std::vector<rating> ratings;
        bool operator==(const cand&) const = default;
    };
    std::vector<cand> candidates;
    bool has_usage = false;
    std::int64_t prompt = 0, candidates_tokens = 0, total = 0;
    std::string model_version, response_id;
    bool operator==(const summary&) const = default;
};

summary from_decoder(const gemini::response& r)
{
    summary s;
    for (const gemini::candidate& c : r.candidates) {
        summary::cand out;
        out.index = c.index;
        out.role = std::string(c.role);
        out.finish = std::string(c.finish_reason_text);
        for (const gemini::part& p : c.parts) {
            out.texts.emplace_back(p.text);
        }
        for (const gemini::safety_rating& x : c.safety_ratings) {
            out.ratings.push_back({std::string(x.category), std::string(x.probability), x.blocked, x.probability_score});
        }
        s.candidates.push_back(std::move(out));
    }
    if (r.usage) {
        s.has_usage = true;
        s.prompt = r.usage->prompt;
        s.candidates_tokens = r.usage->candidates;
        s.total = r.usage->total;
    }
    s.model_version = std::string(r.model_version);
    s.response_id = std::string(r.response_id);
    return s;
}

/// An integer as the decoder reads it. simdjson's DOM keeps "-0" as a double (for its sign);
/// as an integer it is 0.
bool dom_int(simdjson::dom::element v, std::int64_t& out)
{
    if (!v.get_int64().get(out)) {
        return true;
    }
    double d = 1;
    if (v.is_double() && !v.get_double().get(d) && d == 0 && std::signbit(d)) {
        out = 0;
        return true;
    }
    return false;
}

/// The same schema read from simdjson's DOM: false when the document is not valid JSON, or a
/// field the decoder reads has the wrong type, or nothing in it is a response.
bool from_dom(simdjson::dom::parser& parser, const std::string& text, summary& s)
{
    simdjson::dom::element root;
    if (parser.parse(text).get(root)) {
        return false;
    }
    simdjson::dom::object top;
    if (root.get_object().get(top)) {
        return false;
    }
    bool recognised = false;
    for (auto [key, value] : top) {
        if (key == "candidates") {
            recognised = true;
            simdjson::dom::array list;
            if (value.get_array().get(list)) {
                return false;
            }
            for (simdjson::dom::element c : list) {
                simdjson::dom::object co;
                if (c.get_object().get(co)) {
                    return false;
                }
                summary::cand out;
                for (auto [ck, cv] : co) {
                    if (ck == "content") {
                        simdjson::dom::object content;
                        if (cv.get_object().get(content)) {
                            return false;
                        }
                        for (auto [k, v] : content) {
                            if (k == "role") {
                                std::string_view role;
                                if (v.get_string().get(role)) {
                                    return false;
                                }
                                out.role = std::string(role);
                            }
                            else if (k == "parts") {
                                simdjson::dom::array parts;
                                if (v.get_array().get(parts)) {
                                    return false;
                                }
                                for (simdjson::dom::element p : parts) {
                                    simdjson::dom::object po;
                                    if (p.get_object().get(po)) {
                                        return false;
                                    }
                                    std::string t;
                                    for (auto [pk, pv] : po) {
                                        if (pk == "text") {
                                            std::string_view sv;
                                            if (pv.get_string().get(sv)) {
                                                return false;
                                            }
                                            t = std::string(sv);
                                        }
                                    }
                                    out.texts.push_back(t);
                                }
                            }
                        }
                    }
                    else if (ck == "finishReason") {
                        std::string_view f;
                        if (cv.get_string().get(f)) {
                            return false;
                        }
                        out.finish = std::string(f);
                    }
                    else if (ck == "index") {
                        std::int64_t i = 0;
                        if (!dom_int(cv, i)) {
                            return false;
                        }
                        out.index = i;
                    }
                    else if (ck == "safetyRatings") {
                        simdjson::dom::array ratings;
                        if (cv.get_array().get(ratings)) {
                            return false;
                        }
                        for (simdjson::dom::element r : ratings) {
                            simdjson::dom::object ro;
                            if (r.get_object().get(ro)) {
                                return false;
                            }
                            summary::rating x;
                            for (auto [rk, rv] : ro) {
                                std::string_view sv;
                                if (rk == "category" || rk == "probability") {
                                    if (rv.get_string().get(sv)) {
                                        return false;
                                    }
                                    (rk == "category" ? x.category : x.probability) = std::string(sv);
                                }
                                else if (rk == "blocked") {
                                    if (rv.get_bool().get(x.blocked)) {
                                        return false;
                                    }
                                }
                                else if (rk == "probabilityScore") {
                                    double d = 0;
                                    if (rv.get_double().get(d)) {
                                        return false;
                                    }
                                    x.score = d;
                                }
                            }
                            out.ratings.push_back(x);
                        }
                    }
                }
                s.candidates.push_back(std::move(out));
            }
        }
        else if (key == "usageMetadata") {
            recognised = true;
            simdjson::dom::object usage;
            if (value.get_object().get(usage)) {
                return false;
            }
            s.has_usage = true;
            for (auto [k, v] : usage) {
                std::int64_t* target = k == "promptTokenCount"       ? &s.prompt
                                       : k == "candidatesTokenCount" ? &s.candidates_tokens
                                       : k == "totalTokenCount"      ? &s.total
                                                                     : nullptr;
                if (target != nullptr && !dom_int(v, *target)) {
                    return false;
                }
            }
        }
        else if (key == "modelVersion" || key == "responseId") {
            recognised = true;
            std::string_view sv;
            if (value.get_string().get(sv)) {
                return false;
            }
            (key == "modelVersion" ? s.model_version : s.response_id) = std::string(sv);
        }
    }
    return recognised;
}

// Documents with no field the decoder skips: a change anywhere lands in something it reads.
const std::vector<std::string> documents = {
    R"({"candidates":[{"content":{"parts":[{"text":"magna aliqua Ut enim"}],"role":"model"},"index":0}],"usageMetadata":{"promptTokenCount":10,"totalTokenCount":10},"modelVersion":"gemini-2.5-flash","responseId":"mock-1"})",
    R"({"candidates":[{"content":{"parts":[{"text":" nostrud \"exercitation\"\n\u00e9\ud83d\ude00 ullamco"}],"role":"model"},"finishReason":"STOP","index":0}],"usageMetadata":{"promptTokenCount":10,"candidatesTokenCount":12,"totalTokenCount":22},"modelVersion":"gemini-2.5-flash","responseId":"mock-1"})",
    "{ \"candidates\" : [ { \"content\" : { \"role\" : \"model\" , \"parts\" : [ { \"text\" : \"a\" } , { \"text\" : \"b\" } ] } ,\n\t\"index\" : 3 , \"finishReason\" : \"SAFETY\" ,\r\n \"safetyRatings\" : [ { \"category\" : \"HARM_CATEGORY_HARASSMENT\" , \"probability\" : \"MEDIUM\" , \"blocked\" : true , \"probabilityScore\" : 0.75e-1 } , { \"blocked\" : false , \"probabilityScore\" : -1E+2 } ] } ] } ",
    R"({"candidates":[],"usageMetadata":{},"responseId":""})",
};

/// Which bytes of `doc` lie inside an object key (between its quotes).
std::vector<bool> key_bytes(const std::string& doc)
{
    std::vector<bool> in_key(doc.size(), false);
    for (std::size_t i = 0; i < doc.size(); ++i) {
        if (doc[i] != '"') {
            continue;
        }
        std::size_t end = i + 1;
        while (doc[end] != '"') {
            end += doc[end] == '\\' ? 2 : 1;
        }
        std::size_t next = end + 1;
        while (next < doc.size() && (doc[next] == ' ' || doc[next] == '\n' || doc[next] == '\r' || doc[next] == '\t')) {
            ++next;
        }
        if (next < doc.size() && doc[next] == ':') {
            for (std::size_t k = i + 1; k < end; ++k) {
                in_key[k] = true;
            }
        }
        i = end;
    }
    return in_key;
}

template <class T>
const T& first(std::span<const T> s)
{
    REQUIRE_FALSE(s.empty());
    return s[0];
}

const std::string replacements = std::string("{}[]:,\"\\0-1x t.eE+n") + '\x01' + '\x7f';

} // namespace

TEST_CASE("the decoder refuses what simdjson's DOM refuses and reads what it reads", "[gemini][decode][dom]")
{
    simdjson::dom::parser dom;
    gemini::chunk_decoder decoder;
    std::size_t accepted = 0;
    std::size_t refused = 0;
    std::size_t lenient = 0;
    for (const std::string& doc : documents) {
        summary expected;
        REQUIRE(from_dom(dom, doc, expected));
        REQUIRE_FALSE(decoder.decode(doc));
        CHECK(from_decoder(decoder.get()) == expected);

        struct variant {
            std::string text;
            bool escape_in_key = false;
        };
        const std::vector<bool> key = key_bytes(doc);
        std::vector<variant> variants;
        for (std::size_t i = 0; i < doc.size(); ++i) {
            for (const char c : replacements) {
                if (doc[i] != c) {
                    std::string v = doc;
                    v[i] = c;
                    variants.push_back({std::move(v), c == '\\' && key[i]});
                }
            }
            variants.push_back({doc.substr(0, i)});   // every truncation
        }
        for (const auto& [v, escape_in_key] : variants) {
            summary want;
            const bool valid = from_dom(dom, v, want);
            const std::error_code ec = decoder.decode(v);
            if (!valid && !ec && escape_in_key) {
                // Keys are compared raw, never unescaped (On-Demand's raw_json_string): a key
                // with a broken escape matches no name and is skipped with its value.
                ++lenient;
                continue;
            }
            if (valid != !ec) {
                FAIL_CHECK("DOM " << (valid ? "accepts" : "refuses") << ", the decoder " << (ec ? "refuses" : "accepts")
                                  << ": " << v);
                continue;
            }
            if (valid) {
                ++accepted;
                const summary got = from_decoder(decoder.get());
                if (!(got == want)) {
                    FAIL_CHECK("different values read from: " << v);
                }
            }
            else {
                ++refused;
                CHECK(ec == gemini::error::malformed_response);
            }
        }
    }
    // Both outcomes were exercised, many times.
    CHECK(accepted > 1000);
    CHECK(refused > 9000);
    CHECK(lenient < 300);
}

TEST_CASE("numbers and literals follow RFC 8259", "[gemini][decode][dom]")
{
    gemini::chunk_decoder decoder;
    const auto index_of = [&](const std::string& number) -> std::optional<std::int64_t> {
        if (decoder.decode(R"({"candidates":[{"index":)" + number + "}]}")) {
            return std::nullopt;
        }
        return first(decoder.get().candidates).index;
    };
    CHECK(index_of("0") == 0);
    CHECK(index_of("-0") == 0);
    CHECK(index_of("7 ") == 7);
    CHECK(index_of("9223372036854775807") == INT64_MAX);
    CHECK(index_of("-9223372036854775808") == INT64_MIN);
    for (const char* bad : {"9223372036854775808", "-9223372036854775809", "18446744073709551616",
                            "123456789012345678901", "01", "-", "-a", "+1", "1.0", "1e2", "1.", "0x10", "1a", "\"1\"",
                            "true", "null", "[1]"}) {
        INFO(bad);
        CHECK_FALSE(index_of(bad).has_value());
    }

    const auto score_of = [&](const std::string& number) -> std::optional<double> {
        if (decoder.decode(R"({"candidates":[{"safetyRatings":[{"probabilityScore":)" + number + "}]}]}")) {
            return std::nullopt;
        }
        return first(first(decoder.get().candidates).safety_ratings).probability_score;
    };
    CHECK(score_of("0.5") == 0.5);
    CHECK(score_of("-1E+2") == -100.0);
    CHECK(score_of("2e-1") == 0.2);
    CHECK(score_of("3") == 3.0);
    for (const char* bad : {"1.", ".5", "01.5", "1e", "1e+", "-", "inf", "NaN", "1e400", "0x1p3", "1.5.2"}) {
        INFO(bad);
        CHECK_FALSE(score_of(bad).has_value());
    }

    const auto blocked_of = [&](const std::string& literal) -> std::optional<bool> {
        if (decoder.decode(R"({"candidates":[{"safetyRatings":[{"blocked":)" + literal + "}]}]}")) {
            return std::nullopt;
        }
        return first(first(decoder.get().candidates).safety_ratings).blocked;
    };
    CHECK(blocked_of("true") == true);
    CHECK(blocked_of("false") == false);
    for (const char* bad : {"tru", "truex", "True", "f", "falsey", "null", "1", "\"true\""}) {
        INFO(bad);
        CHECK_FALSE(blocked_of(bad).has_value());
    }

    // null stands for "no arguments"; an object is kept as raw text, whatever it holds.
    REQUIRE_FALSE(decoder.decode(R"({"candidates":[{"content":{"parts":[{"functionCall":{"name":"f","args":null}}]}}]})"));
    CHECK(first(first(decoder.get().candidates).parts).args == "{}");
    REQUIRE_FALSE(decoder.decode(R"({"candidates":[{"content":{"parts":[{"functionCall":{"name":"f","args":{"a":[{}],"b":"}"} }}]}}]})"));
    CHECK(first(first(decoder.get().candidates).parts).args == R"({"a":[{}],"b":"}"})");
    for (const char* bad : {"nul", "nullx", "[]", "\"{}\"", "{\"a\":[}"}) {
        INFO(bad);
        CHECK(decoder.decode(std::string(R"({"candidates":[{"content":{"parts":[{"functionCall":{"name":"f","args":)") +
                             bad + "}}]}}]}") == gemini::error::malformed_response);
    }
}

TEST_CASE("documents of any size up to the limit decode, small after large", "[gemini][decode][dom]")
{
    gemini::chunk_decoder decoder;
    for (const std::size_t size : {10u, 5000u, 100000u, 300u}) {
        const std::string text(size, 'z');
        REQUIRE_FALSE(decoder.decode(R"({"candidates":[{"content":{"parts":[{"text":")" + text + R"("}]}}]})"));
        CHECK(first(first(decoder.get().candidates).parts).text == text);
    }
}
