// The 65 event-stream cases of ../shared/conformance/sse/sse_vectors.json (web-platform-tests
// eventsource/format-*, launchdarkly/sse-contract-tests), each fed whole, at the source test's
// own split points, two bytes at a time, split once at every offset, and one byte at a time,
// with browser rules at the end of the stream (finish(ec, false)).
#include "grind.hpp"

#include <support/catch.hpp>
#include <support/conformance.hpp>

#include <simdjson.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace {

using llmio_test::sse::record;
using llmio_test::sse::run;

struct vector_case {
    std::string name;
    std::string input;
    std::vector<std::size_t> split_at;
    run expected;
};

int hex_digit(char c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
        return c - 'A' + 10;
    }
    return -1;
}

std::string from_hex(std::string_view hex)
{
    std::string out;
    for (std::size_t i = 0; i + 1 < hex.size(); i += 2) {
        out.push_back(static_cast<char>(hex_digit(hex[i]) * 16 + hex_digit(hex[i + 1])));
    }
    return out;
}

std::vector<vector_case> load_cases(const std::string& text)
{
    std::vector<vector_case> cases;
    simdjson::dom::parser parser;
    const simdjson::padded_string json(text);
    simdjson::dom::array all;
    if (parser.parse(json).get_array().get(all) != simdjson::SUCCESS) {
        return cases;
    }
    for (simdjson::dom::element item : all) {
        simdjson::dom::object o;
        if (item.get_object().get(o) != simdjson::SUCCESS) {
            return {};
        }
        vector_case c;
        std::string_view sv;
        if (o["name"].get_string().get(sv) == simdjson::SUCCESS) {
            c.name = std::string(sv);
        }
        if (o["input_hex"].get_string().get(sv) == simdjson::SUCCESS) {
            c.input = from_hex(sv);
        }
        else if (o["input"].get_string().get(sv) == simdjson::SUCCESS) {
            c.input = std::string(sv);
        }
        simdjson::dom::array arr;
        if (o["split_at_bytes"].get_array().get(arr) == simdjson::SUCCESS) {
            for (simdjson::dom::element at : arr) {
                std::uint64_t v = 0;
                if (at.get_uint64().get(v) == simdjson::SUCCESS) {
                    c.split_at.push_back(static_cast<std::size_t>(v));
                }
            }
        }
        if (o["events"].get_array().get(arr) == simdjson::SUCCESS) {
            for (simdjson::dom::element ev : arr) {
                record r;
                std::string_view type, data, id;
                if (ev["event"].get_string().get(type) == simdjson::SUCCESS) {
                    r.type = std::string(type);
                }
                if (ev["data"].get_string().get(data) == simdjson::SUCCESS) {
                    r.data = std::string(data);
                }
                if (ev["id"].get_string().get(id) == simdjson::SUCCESS) {
                    r.id = std::string(id);
                }
                c.expected.records.push_back(std::move(r));
            }
        }
        if (o["retry"].get_array().get(arr) == simdjson::SUCCESS) {
            for (simdjson::dom::element v : arr) {
                std::uint64_t ms = 0;
                if (v.get_uint64().get(ms) == simdjson::SUCCESS) {
                    c.expected.retries.push_back(ms);
                }
            }
        }
        if (o["last_event_id_at_end"].get_string().get(sv) == simdjson::SUCCESS) {
            c.expected.last_event_id = std::string(sv);
        }
        cases.push_back(std::move(c));
    }
    return cases;
}

/// Every delivery of one case: whole, the recorded splits, 2 bytes at a time, every single
/// split, byte by byte.
std::vector<std::vector<std::string>> deliveries(const vector_case& c)
{
    std::vector<std::vector<std::string>> all;
    for (const auto& plan : llmio_test::split_plans(c.input.size())) {
        all.push_back(llmio_test::cut(c.input, plan));
    }
    if (!c.split_at.empty()) {
        all.push_back(llmio_test::cut(c.input, c.split_at));
    }
    all.push_back(llmio_test::sse::every(c.input, 2));
    return all;
}

std::vector<record> events_only(const std::vector<record>& records)
{
    std::vector<record> events;
    for (const record& r : records) {
        if (r.what == llmio::sse::parse_event::event) {
            events.push_back(r);
        }
    }
    return events;
}

} // namespace

TEST_CASE("sse conformance vectors, every delivery")
{
    const auto text = llmio_test::read_conformance("sse/sse_vectors.json");
    if (!text) {
        WARN("conformance data not found (../shared/conformance/sse/sse_vectors.json): skipped");
        return;
    }
    const std::vector<vector_case> cases = load_cases(*text);
    REQUIRE(cases.size() == 65);

    std::size_t runs = 0;
    for (const vector_case& c : cases) {
        INFO("case: " << c.name);
        for (const auto& pieces : deliveries(c)) {
            INFO("pieces: " << pieces.size() << ", first: " << pieces.front().size() << " bytes");
            const run got = llmio_test::sse::feed(pieces, {}, false);
            CHECK(got.problems.empty());
            if (!(got == c.expected)) {
                CAPTURE(got, c.expected);
                FAIL("result differs");
            }
            ++runs;
        }
    }
    CHECK(runs > 65 * 3);
}

TEST_CASE("sse conformance vectors: reporting other lines changes no event")
{
    const auto text = llmio_test::read_conformance("sse/sse_vectors.json");
    if (!text) {
        WARN("conformance data not found (../shared/conformance/sse/sse_vectors.json): skipped");
        return;
    }
    const std::vector<vector_case> cases = load_cases(*text);
    REQUIRE(cases.size() == 65);
    llmio::sse::parser_options options;
    options.report_other_lines = true;
    for (const vector_case& c : cases) {
        INFO("case: " << c.name);
        run whole = llmio_test::sse::feed({c.input}, options, false);
        run bytewise = llmio_test::sse::feed(llmio_test::sse::every(c.input, 1), options, false);
        CHECK(whole.problems.empty());
        CHECK(whole == bytewise);
        whole.records = events_only(whole.records);
        CHECK(whole == c.expected);
    }
}
