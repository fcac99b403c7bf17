// Every case of ../shared/conformance/http/http_response_vectors.json (llhttp's response tests
// as data, plus request-side framing tests transplanted to responses, plus two RFC 9112 §6.3
// cases), fed whole, split at every offset, and one byte at a time: the outcome must be the
// same every way and match the case.
#include "grind.hpp"
#include "support/catch.hpp"
#include "support/conformance.hpp"

#include <llmio/http.hpp>

#include <simdjson.h>

#include <algorithm>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace {

using llmio::http::error;
using llmio_test::http::outcome;
using llmio_test::http::pairs;

struct expected_message {
    std::optional<int> status;
    std::string reason;
    pairs headers;
    std::string body;
    bool complete = false;
};

std::optional<simdjson::dom::element> member(simdjson::dom::element object, std::string_view key)
{
    simdjson::dom::element value;
    if (object[key].get(value) != simdjson::SUCCESS) {
        return std::nullopt;
    }
    return value;
}

std::string text(simdjson::dom::element e)
{
    return std::string(std::string_view(e.get_string()));
}

pairs pairs_of(simdjson::dom::element array)
{
    pairs out;
    for (simdjson::dom::element pair : array.get_array()) {
        simdjson::dom::array a = pair.get_array();
        const simdjson::dom::element value = a.at(1);
        // A null value is an extension without one: for_each_chunk_extension gives "".
        out.emplace_back(text(a.at(0)), value.is_null() ? std::string() : text(value));
    }
    return out;
}

expected_message message_of(simdjson::dom::element e)
{
    expected_message m;
    if (const auto status = member(e, "status"); status && !status->is_null()) {
        m.status = static_cast<int>(std::int64_t(*status));
    }
    if (const auto reason = member(e, "reason")) {
        m.reason = text(*reason);
    }
    if (const auto headers = member(e, "headers")) {
        m.headers = pairs_of(*headers);
    }
    if (const auto body = member(e, "body")) {
        m.body = text(*body);
    }
    if (const auto complete = member(e, "complete")) {
        m.complete = bool(*complete);
    }
    return m;
}

int version_of(std::string_view v)
{
    return (v[0] - '0') * 10 + (v[2] - '0');
}

// The llhttp lenient modes this strict parser refuses on purpose, with the error it gives
// (HACKING.md lists them). Each is a defence a client needs against a hostile or broken peer.
const std::map<std::string, error, std::less<>> lenient_rejections = {
    // A line ended by LF alone: another parser in the path that waits for CRLF sees different
    // lines than we do, the root of response splitting (RFC 9112 §2.2 allows, never requires,
    // accepting it).
    {"optional-cr-before-lf", error::bad_line_ending},
    // A CR not followed by LF: same reason; RFC 9112 §2.2 says to reject or replace it.
    {"optional-lf-after-cr", error::bad_line_ending},
    // Bytes after a response with "Connection: close": they can only be a smuggled response
    // (RFC 9112 §9.6: the server closes after it).
    {"data-after-close", error::data_after_close},
    // The next response read despite "Connection: close": same reason.
    {"keep-alive", error::data_after_close},
    // HTTP/5.6: not HTTP/1.x; guessing its framing is guessing (RFC 9112 §2.3).
    {"version", error::bad_version},
    // obs-fold (a line starting with whitespace) folded into Transfer-Encoding: RFC 9112 §5.2
    // lets a user agent replace it with SP, but folding changes what the framing field says,
    // and other parsers on the path may not fold.
    {"headers", error::obs_fold},
    // All of the above at once: here LF-only lines.
    {"all", error::bad_line_ending},
};

// `either_error_ok` cases: what this parser chose, by case name.
const std::map<std::string, error, std::less<>> either_choices = {
    // "Content-Length: 5, 5": RFC 9112 §6.3 rule 5 allows reading it as 5, but a list means
    // some hop combined fields, and a client cannot know which hop it trusts: reject.
    {"rfc9112 Content-Length list of identical values", error::bad_content_length},
};

void check_case(simdjson::dom::element c)
{
    const std::string name = text(c["name"]);
    const std::string input = text(c["input"]);
    const std::string type = member(c, "llhttp_type") ? text(c["llhttp_type"]) : std::string();
    const simdjson::dom::element expect = c["expect"];
    INFO("case: " << name << " (" << type << ")");

    llmio::http::response_parser_options options;
    options.skip_interim = false;   // so 1xx show as messages, as the vectors list them
    // llhttp ran this case with skipBody (its note says so): a response to HEAD.
    const bool head = name == "Content-Length reset when no body is received";

    const auto run = [&](const std::vector<std::string>& pieces) {
        return llmio_test::http::run(pieces, options, head);
    };
    const std::string mismatch = llmio_test::http::grind(input, run);
    INFO(mismatch);
    CHECK(mismatch.empty());

    const outcome o = run({input});
    INFO("outcome: " << llmio_test::http::describe(o));
    CHECK(o.views_in_input);
    CHECK(o.need_more_used_all);
    CHECK(o.sticky);

    if (type.rfind("response-lenient-", 0) == 0) {
        const auto rejection = lenient_rejections.find(type.substr(std::string_view("response-lenient-").size()));
        REQUIRE(rejection != lenient_rejections.end());
        CHECK(o.error == rejection->second);
        return;
    }
    if (const auto either = member(expect, "either_error_ok"); either && bool(*either)) {
        const auto choice = either_choices.find(name);
        REQUIRE(choice != either_choices.end());
        CHECK(o.error == choice->second);
        return;
    }

    const bool expect_error = bool(expect["error"]);
    CHECK(bool(o.error) == expect_error);

    std::vector<expected_message> messages;
    if (const auto list = member(expect, "messages")) {
        for (simdjson::dom::element m : list->get_array()) {
            messages.push_back(message_of(m));
        }
    } else {
        messages.push_back(message_of(expect));
    }
    const auto heads = static_cast<std::size_t>(
        std::count_if(messages.begin(), messages.end(), [](const expected_message& m) { return m.status.has_value(); }));
    if (expect_error) {
        // The head may fail before it completes (the vectors keep what llhttp saw of it).
        CHECK(o.messages.size() <= heads);
    } else {
        CHECK(o.messages.size() == heads);
    }
    for (std::size_t i = 0; i < o.messages.size() && i < messages.size(); ++i) {
        INFO("message " << i);
        const expected_message& want = messages[i];
        const llmio_test::http::message& got = o.messages[i];
        REQUIRE(want.status.has_value());
        CHECK(got.status == *want.status);
        CHECK(got.reason == want.reason);
        CHECK(got.headers == want.headers);
        CHECK(got.body == want.body);
        CHECK(got.complete == want.complete);
    }
    if (o.messages.empty()) {
        CHECK(messages.front().body.empty());
    }
    if (const auto version = member(expect, "version"); version && !version->is_null() && !o.messages.empty()) {
        CHECK(o.messages.front().version == version_of(text(*version)));
    }
    if (const auto sizes = member(expect, "chunk_sizes")) {
        std::vector<std::uint64_t> want;
        for (simdjson::dom::element n : sizes->get_array()) {
            want.push_back(std::uint64_t(n));
        }
        CHECK(o.chunk_sizes == want);
    }
    if (const auto extensions = member(expect, "chunk_extensions")) {
        const pairs want = pairs_of(*extensions);
        if (expect_error) {
            // llhttp reports extensions as it scans; we check a line whole before reporting it.
            REQUIRE(o.chunk_extensions.size() <= want.size());
            CHECK(std::equal(o.chunk_extensions.begin(), o.chunk_extensions.end(), want.begin()));
        } else {
            CHECK(o.chunk_extensions == want);
        }
    }
    if (const auto trailers = member(expect, "trailers")) {
        REQUIRE(!o.messages.empty());
        CHECK(o.messages.back().trailers == pairs_of(*trailers));
    }
    if (member(expect, "upgrade")) {
        CHECK(o.upgraded);
    }
    if (const auto at_eof = member(expect, "at_eof"); at_eof && !expect_error) {
        const std::string what = text(*at_eof);
        INFO("at_eof: " << what);
        if (what.rfind("complete", 0) == 0) {
            CHECK(!o.eof);
            CHECK(o.done_after_eof);
        } else {
            REQUIRE(what.find("error") != std::string::npos);
            if (what.find("EOF before Content-Length") != std::string::npos) {
                CHECK(o.eof == error::short_body);
            } else if (what.find("EOF inside chunked") != std::string::npos) {
                CHECK(o.eof == error::eof_in_chunked);
            } else if (what.find("EOF inside status line") != std::string::npos) {
                CHECK(o.eof == error::eof_in_head);
            } else {
                CHECK(o.eof);
            }
        }
    }
}

} // namespace

TEST_CASE("http response vectors: whole, every split, byte by byte")
{
    const std::optional<std::string> json = llmio_test::read_conformance("http/http_response_vectors.json");
    if (!json) {
        WARN("skipped: " << (llmio_test::conformance_dir() / "http/http_response_vectors.json").string()
                         << " not found");
        return;
    }
    simdjson::dom::parser parser;
    const simdjson::dom::element cases = parser.parse(*json);
    std::size_t count = 0;
    for (simdjson::dom::element c : cases.get_array()) {
        check_case(c);
        ++count;
    }
    CHECK(count == 107);
}

TEST_CASE("http response vectors under tiny limits: the same outcome however they are cut")
{
    // Limits reached inside lines that also hold syntax errors: which error wins must not depend
    // on where the reads end (the parser decides each by the byte that reveals it).
    const std::optional<std::string> json = llmio_test::read_conformance("http/http_response_vectors.json");
    if (!json) {
        WARN("skipped: conformance data not found");
        return;
    }
    std::vector<llmio::http::parser_limits> tiny(3);
    tiny[0].line = 8;
    tiny[1].header_block = 40;
    tiny[1].header_count = 2;
    tiny[1].body = 4;
    tiny[2].line = 17;
    tiny[2].header_block = 64;
    tiny[2].chunk_size_digits = 1;
    tiny[2].body = 7;
    simdjson::dom::parser parser;
    const simdjson::dom::element cases = parser.parse(*json);
    for (simdjson::dom::element c : cases.get_array()) {
        const std::string input = text(c["input"]);
        INFO("case: " << text(c["name"]));
        for (const llmio::http::parser_limits& limits : tiny) {
            llmio::http::response_parser_options options;
            options.limits = limits;
            const std::string mismatch = llmio_test::http::grind(input, [&](const std::vector<std::string>& pieces) {
                return llmio_test::http::run(pieces, options);
            });
            INFO(mismatch);
            CHECK(mismatch.empty());
        }
    }
}
