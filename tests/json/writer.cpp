// Tests of llmio/json/writer.hpp: structure and commas, misuse, depth, string escaping, UTF-8
// validation (against an independent RFC 3629 decoder), numbers, raw values, sticky errors.
#include <llmio/json.hpp>

#include "support/catch.hpp"

#include <simdjson.h>

#include <bit>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <functional>
#include <limits>
#include <random>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

namespace {

using llmio::json::error;
using llmio::json::writer;

struct written {
    std::string text;
    std::error_code ec;
    bool complete = false;
};

written write(const std::function<void(writer&)>& body)
{
    written r;
    writer w(r.text);
    body(w);
    r.ec = w.error();
    r.complete = w.complete();
    return r;
}

std::string quoted_string(std::string_view s)
{
    return write([&](writer& w) { w.string(s); }).text;
}

/// UTF-8 well-formedness straight from RFC 3629 section 4 (the table of valid byte sequences),
/// independent of simdjson, to check the writer's decisions against.
bool reference_valid_utf8(std::string_view s)
{
    std::size_t i = 0;
    while (i < s.size()) {
        const auto c = static_cast<unsigned char>(s[i]);
        if (c < 0x80) {
            ++i;
            continue;
        }
        std::size_t len = 0;
        unsigned char lo = 0x80;
        unsigned char hi = 0xBF;
        if (c >= 0xC2 && c <= 0xDF) {
            len = 2;
        } else if (c == 0xE0) {
            len = 3;
            lo = 0xA0;
        } else if ((c >= 0xE1 && c <= 0xEC) || c == 0xEE || c == 0xEF) {
            len = 3;
        } else if (c == 0xED) {
            len = 3;
            hi = 0x9F;
        } else if (c == 0xF0) {
            len = 4;
            lo = 0x90;
        } else if (c >= 0xF1 && c <= 0xF3) {
            len = 4;
        } else if (c == 0xF4) {
            len = 4;
            hi = 0x8F;
        } else {
            return false;
        }
        if (i + len > s.size()) {
            return false;
        }
        const auto second = static_cast<unsigned char>(s[i + 1]);
        if (second < lo || second > hi) {
            return false;
        }
        for (std::size_t k = 2; k < len; ++k) {
            const auto b = static_cast<unsigned char>(s[i + k]);
            if (b < 0x80 || b > 0xBF) {
                return false;
            }
        }
        i += len;
    }
    return true;
}

std::string encode_utf8(std::uint32_t cp)
{
    std::string s;
    if (cp < 0x80) {
        s += static_cast<char>(cp);
    } else if (cp < 0x800) {
        s += static_cast<char>(0xC0 | (cp >> 6));
        s += static_cast<char>(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
        s += static_cast<char>(0xE0 | (cp >> 12));
        s += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        s += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
        s += static_cast<char>(0xF0 | (cp >> 18));
        s += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
        s += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        s += static_cast<char>(0x80 | (cp & 0x3F));
    }
    return s;
}

/// Parses `json` (one string value) back with simdjson.
std::string parse_back_string(const std::string& json)
{
    simdjson::dom::parser parser;
    std::string_view value;
    const auto err = parser.parse(json).get_string().get(value);
    INFO("json: " << json);
    REQUIRE(err == simdjson::SUCCESS);
    return std::string(value);
}

} // namespace

TEST_CASE("json::writer places commas and colons")
{
    const auto r = write([](writer& w) {
        w.begin_object();
        w.key("a");
        w.number(1);
        w.key("b");
        w.begin_array();
        w.boolean(true);
        w.boolean(false);
        w.null();
        w.begin_array();
        w.end_array();
        w.begin_object();
        w.end_object();
        w.end_array();
        w.key("c");
        w.begin_object();
        w.key("d");
        w.string("e");
        w.end_object();
        w.end_object();
    });
    CHECK(!r.ec);
    CHECK(r.complete);
    CHECK(r.text == R"({"a":1,"b":[true,false,null,[],{}],"c":{"d":"e"}})");
}

TEST_CASE("json::writer writes scalars at the top level")
{
    CHECK(write([](writer& w) { w.null(); }).text == "null");
    CHECK(write([](writer& w) { w.boolean(false); }).text == "false");
    CHECK(write([](writer& w) { w.string(""); }).text == R"("")");
    CHECK(write([](writer& w) { w.string(std::string_view{}); }).text == R"("")");
    CHECK(write([](writer& w) { w.number(-7); }).complete);
}

TEST_CASE("json::writer appends to the caller's string and reset starts a new document")
{
    std::string out = "prefix:";
    writer w(out);
    w.begin_array();
    w.number(1);
    w.end_array();
    CHECK(out == "prefix:[1]");
    CHECK(w.complete());

    std::string other;
    w.reset(other);
    CHECK(!w.complete());
    CHECK(w.depth() == 0);
    w.string("x");
    CHECK(other == R"("x")");
    CHECK(out == "prefix:[1]");
}

TEST_CASE("json::writer rejects calls that do not form one JSON value")
{
    const auto expect_invalid = [](const std::function<void(writer&)>& body) {
        const auto r = write(body);
        CHECK(r.ec == error::invalid_json);
        CHECK(!r.complete);
    };
    SECTION("a value in an object without a key")
    {
        expect_invalid([](writer& w) {
            w.begin_object();
            w.number(1);
        });
    }
    SECTION("a key in an array")
    {
        expect_invalid([](writer& w) {
            w.begin_array();
            w.key("k");
        });
    }
    SECTION("a key at the top level")
    {
        expect_invalid([](writer& w) { w.key("k"); });
    }
    SECTION("two keys in a row")
    {
        expect_invalid([](writer& w) {
            w.begin_object();
            w.key("a");
            w.key("b");
        });
    }
    SECTION("an object ending after a key")
    {
        expect_invalid([](writer& w) {
            w.begin_object();
            w.key("a");
            w.end_object();
        });
    }
    SECTION("end_object closing an array")
    {
        expect_invalid([](writer& w) {
            w.begin_array();
            w.end_object();
        });
    }
    SECTION("end_array closing an object")
    {
        expect_invalid([](writer& w) {
            w.begin_object();
            w.end_array();
        });
    }
    SECTION("an end with nothing open")
    {
        expect_invalid([](writer& w) { w.end_array(); });
    }
    SECTION("a second top-level value")
    {
        expect_invalid([](writer& w) {
            w.begin_object();
            w.end_object();
            w.null();
        });
    }
    SECTION("a second top-level raw value")
    {
        expect_invalid([](writer& w) {
            w.raw("1");
            w.raw("2");
        });
    }
}

TEST_CASE("json::writer is incomplete while a container is open")
{
    std::string out;
    writer w(out);
    CHECK(!w.complete());
    w.begin_object();
    w.key("a");
    w.begin_array();
    CHECK(w.depth() == 2);
    CHECK(!w.complete());
    w.end_array();
    w.end_object();
    CHECK(w.complete());
    CHECK(!w.error());
}

TEST_CASE("json::writer nests up to max_depth containers and fails past it")
{
    std::string out;
    writer w(out);
    for (std::size_t i = 0; i < writer::max_depth; ++i) {
        w.begin_array();
    }
    CHECK(!w.error());
    CHECK(w.depth() == writer::max_depth);
    for (std::size_t i = 0; i < writer::max_depth; ++i) {
        w.end_array();
    }
    CHECK(w.complete());
    CHECK(out == std::string(writer::max_depth, '[') + std::string(writer::max_depth, ']'));

    std::string deep;
    w.reset(deep);
    for (std::size_t i = 0; i < writer::max_depth; ++i) {
        w.begin_object();
        w.key("k");
    }
    w.begin_array();
    CHECK(w.error() == error::too_deep);
    CHECK(w.error() == llmio::condition::invalid_input);
}

TEST_CASE("json::writer: the first error is sticky")
{
    std::string out;
    writer w(out);
    w.begin_array();
    w.number(std::nan(""));
    REQUIRE(w.error() == error::invalid_number);
    const std::string after_error = out;
    w.string("\xC0\xAF");   // would be invalid_utf8
    w.string("fine");
    w.end_array();
    CHECK(w.error() == error::invalid_number);
    CHECK(w.failed());
    CHECK(!w.complete());
    CHECK(out == after_error);

    std::string fresh;
    w.reset(fresh);
    CHECK(!w.error());
    w.string("fine");
    CHECK(w.complete());
    CHECK(fresh == R"("fine")");
}

TEST_CASE("json::writer escapes quotes, backslashes and every control character")
{
    CHECK(quoted_string(R"(say "hi")") == R"("say \"hi\"")");
    CHECK(quoted_string(R"(C:\path\)") == R"("C:\\path\\")");
    CHECK(quoted_string("a/b") == R"("a/b")");   // '/' may be escaped, need not be
    CHECK(quoted_string("\x7f") == "\"\x7f\"");   // DEL is not a control character in JSON

    // Every byte below 0x20: the five short escapes, \u00XX (lowercase hex) for the rest.
    const char* const expected[32] = {
        "\\u0000", "\\u0001", "\\u0002", "\\u0003", "\\u0004", "\\u0005", "\\u0006", "\\u0007",
        "\\b",     "\\t",     "\\n",     "\\u000b", "\\f",     "\\r",     "\\u000e", "\\u000f",
        "\\u0010", "\\u0011", "\\u0012", "\\u0013", "\\u0014", "\\u0015", "\\u0016", "\\u0017",
        "\\u0018", "\\u0019", "\\u001a", "\\u001b", "\\u001c", "\\u001d", "\\u001e", "\\u001f",
    };
    for (int c = 0; c < 0x20; ++c) {
        const std::string input{'a', static_cast<char>(c), 'b'};
        CAPTURE(c);
        CHECK(quoted_string(input) == "\"a" + std::string(expected[c]) + "b\"");
        CHECK(parse_back_string(quoted_string(input)) == input);
    }

    // All of them at once, and keys are escaped the same way.
    std::string all;
    for (int c = 0; c < 0x20; ++c) {
        all += static_cast<char>(c);
    }
    all += "\"\\";
    const auto r = write([&](writer& w) {
        w.begin_object();
        w.key(all);
        w.string(all);
        w.end_object();
    });
    REQUIRE(!r.ec);
    simdjson::dom::parser parser;
    simdjson::dom::object object;
    REQUIRE(parser.parse(r.text).get_object().get(object) == simdjson::SUCCESS);
    for (auto field : object) {
        CHECK(field.key == all);
        CHECK(std::string_view(field.value.get_string().value_unsafe()) == all);
    }
}

TEST_CASE("json::writer passes valid non-ASCII UTF-8 through unchanged")
{
    const std::string samples[] = {
        "h\xC3\xA9llo",                  // é, 2 bytes
        "\xE6\x97\xA5\xE6\x9C\xAC",      // 日本, 3 bytes
        "\xF0\x9F\x98\x80",              // U+1F600, 4 bytes
        "\xE2\x80\xA8\xE2\x80\xA9",      // U+2028 U+2029: legal in JSON strings
        "\xF4\x8F\xBF\xBF",              // U+10FFFF, the last code point
        "\xEF\xBF\xBF\xEE\x80\x80",      // U+FFFF (a noncharacter, still valid) and U+E000
        "\xED\x9F\xBF",                  // U+D7FF, just below the surrogates
        "\xC2\x80",                      // U+0080, the smallest 2-byte form
    };
    for (const std::string& s : samples) {
        CAPTURE(s);
        CHECK(quoted_string(s) == "\"" + s + "\"");
        CHECK(parse_back_string(quoted_string(s)) == s);
    }
}

TEST_CASE("json::writer rejects invalid UTF-8 in strings and keys")
{
    const std::string bad[] = {
        std::string("\x80"),                      // lone continuation byte
        std::string("ok\xBF"),                    // continuation byte after ASCII
        std::string("\xC0\xAF"),                  // overlong '/'
        std::string("\xC1\xBF"),                  // overlong, 2 bytes
        std::string("\xE0\x80\xAF"),              // overlong, 3 bytes
        std::string("\xF0\x80\x80\xAF"),          // overlong, 4 bytes
        std::string("\xED\xA0\x80"),              // U+D800, a surrogate
        std::string("\xED\xBF\xBF"),              // U+DFFF, a surrogate
        std::string("\xED\xA0\xBD\xED\xB8\x80"),  // a CESU-8 surrogate pair
        std::string("\xC3"),                      // truncated 2-byte
        std::string("\xE6\x97"),                  // truncated 3-byte
        std::string("\xF0\x9F\x98"),              // truncated 4-byte
        std::string("\xC3x"),                     // lead byte followed by ASCII
        std::string("\xF4\x90\x80\x80"),          // U+110000, past U+10FFFF
        std::string("\xF5\x80\x80\x80"),          // F5 lead byte
        std::string("\xFE"),
        std::string("\xFF"),
    };
    for (const std::string& s : bad) {
        CAPTURE(s);
        REQUIRE(!reference_valid_utf8(s));
        const auto as_value = write([&](writer& w) { w.string(s); });
        CHECK(as_value.ec == error::invalid_utf8);
        CHECK(as_value.ec == llmio::condition::invalid_input);
        CHECK(as_value.text.empty());   // nothing of an invalid string is written
        const auto as_key = write([&](writer& w) {
            w.begin_object();
            w.key(s);
            w.null();
            w.end_object();
        });
        CHECK(as_key.ec == error::invalid_utf8);
    }
}

TEST_CASE("json::writer finds one bad byte anywhere in ASCII text of any length")
{
    // ASCII up to 64 bytes is answered without simdjson, 8 bytes at a time then byte by byte:
    // a single high byte must be seen in every word, in the tail, and past the short limit.
    for (std::size_t n = 1; n <= 80; ++n) {
        const std::string ascii(n, 'a');
        CHECK(write([&](writer& w) { w.string(ascii); }).text == '"' + ascii + '"');
        for (std::size_t at = 0; at < n; ++at) {
            CAPTURE(n, at);
            std::string bad = ascii;
            bad[at] = '\x80';   // a lone continuation byte
            CHECK(write([&](writer& w) { w.string(bad); }).ec == error::invalid_utf8);
            if (at + 1 < n) {
                std::string good = ascii;
                good[at] = '\xC3';   // é, whole
                good[at + 1] = '\xA9';
                CHECK(write([&](writer& w) { w.string(good); }).text == '"' + good + '"');
            }
        }
    }
}

TEST_CASE("json::writer agrees with RFC 3629 on random byte strings, and round-trips")
{
    // Half the pieces are whole code points from every length class and the edges of the
    // surrogate and U+10FFFF ranges, half are single bytes chosen to start or break sequences.
    const std::uint32_t code_points[] = {0x00,    0x1F,    0x22,    0x5C,   0x7F,    0x80,
                                         0x7FF,   0x800,   0xD7FF,  0xE000, 0xFFFD,  0xFFFF,
                                         0x10000, 0x1F600, 0x10FFFF, 0x2028, 0x2029, 0x41};
    const unsigned char bytes[] = {0x00, 0x0A, 0x1F, 0x22, 0x5C, 0x41, 0x7F, 0x80, 0x8F,
                                   0x90, 0x9F, 0xA0, 0xBF, 0xC0, 0xC1, 0xC2, 0xDF, 0xE0,
                                   0xE1, 0xEC, 0xED, 0xEE, 0xEF, 0xF0, 0xF1, 0xF3, 0xF4,
                                   0xF5, 0xF8, 0xFF};
    std::mt19937 rng(20240611);
    std::size_t valid = 0;
    std::size_t invalid = 0;
    std::string out;
    writer w;
    simdjson::dom::parser parser;
    for (int round = 0; round < 20000; ++round) {
        std::string s;
        const auto pieces = rng() % 8;
        for (std::uint32_t i = 0; i < pieces; ++i) {
            if (rng() % 2 == 0) {
                s += encode_utf8(code_points[rng() % std::size(code_points)]);
            } else {
                s += static_cast<char>(bytes[rng() % std::size(bytes)]);
            }
        }
        out.clear();
        w.reset(out);
        w.string(s);
        if (reference_valid_utf8(s)) {
            ++valid;
            INFO("input bytes: " << s.size());
            REQUIRE(!w.error());
            std::string_view back;
            REQUIRE(parser.parse(out).get_string().get(back) == simdjson::SUCCESS);
            REQUIRE(back == s);
        } else {
            ++invalid;
            REQUIRE(w.error() == error::invalid_utf8);
        }
    }
    // Both branches were exercised for real.
    CHECK(valid > 2000);
    CHECK(invalid > 2000);
}

TEST_CASE("json::writer writes integers exactly")
{
    CHECK(write([](writer& w) { w.number(0); }).text == "0");
    CHECK(write([](writer& w) { w.number(-42); }).text == "-42");
    CHECK(write([](writer& w) { w.number(7u); }).text == "7");
    CHECK(write([](writer& w) { w.number(static_cast<short>(-3)); }).text == "-3");
    CHECK(write([](writer& w) { w.number(123456789012LL); }).text == "123456789012");
    CHECK(write([](writer& w) { w.number(std::numeric_limits<std::int64_t>::min()); }).text
          == "-9223372036854775808");
    CHECK(write([](writer& w) { w.number(std::numeric_limits<std::int64_t>::max()); }).text
          == "9223372036854775807");
    CHECK(write([](writer& w) { w.number(std::numeric_limits<std::uint64_t>::max()); }).text
          == "18446744073709551615");
}

TEST_CASE("json::writer writes doubles in the shortest form that round-trips")
{
    CHECK(write([](writer& w) { w.number(0.1); }).text == "0.1");
    CHECK(write([](writer& w) { w.number(1e300); }).text == "1e+300");
    CHECK(write([](writer& w) { w.number(1.0); }).text == "1");
    CHECK(write([](writer& w) { w.number(0.0); }).text == "0");
    CHECK(write([](writer& w) { w.number(-0.0); }).text == "-0.0");
    CHECK(write([](writer& w) { w.number(2.5e-8); }).text == "2.5e-08");
    CHECK(write([](writer& w) { w.number(0.95f); }).complete);   // float widens to double

    const double samples[] = {0.1,
                              -0.0,
                              1e300,
                              -1e-300,
                              0.7,
                              1.0 / 3.0,
                              123456789012345680000.0,   // integral, past int64: exponent form
                              9007199254740993.0,
                              std::numeric_limits<double>::max(),
                              std::numeric_limits<double>::lowest(),
                              std::numeric_limits<double>::min(),
                              std::numeric_limits<double>::denorm_min(),
                              std::numeric_limits<double>::epsilon()};
    simdjson::dom::parser parser;
    for (const double d : samples) {
        const auto r = write([&](writer& w) { w.number(d); });
        CAPTURE(r.text);
        REQUIRE(!r.ec);
        double back = 0;
        REQUIRE(std::from_chars(r.text.data(), r.text.data() + r.text.size(), back).ec
                == std::errc{});
        CHECK(std::bit_cast<std::uint64_t>(back) == std::bit_cast<std::uint64_t>(d));
        // Valid JSON that a strict reader takes back as the same double.
        double parsed = 0;
        REQUIRE(parser.parse(r.text).get_double().get(parsed) == simdjson::SUCCESS);
        CHECK(std::bit_cast<std::uint64_t>(parsed) == std::bit_cast<std::uint64_t>(d));
    }
}

TEST_CASE("json::writer round-trips random doubles through simdjson")
{
    std::mt19937_64 rng(7);
    simdjson::dom::parser parser;
    std::string out;
    writer w;
    for (int i = 0; i < 20000; ++i) {
        const double d = std::bit_cast<double>(rng());
        if (!std::isfinite(d)) {
            continue;
        }
        out.clear();
        w.reset(out);
        w.number(d);
        REQUIRE(!w.error());
        double parsed = 0;
        INFO(out);
        REQUIRE(parser.parse(out).get_double().get(parsed) == simdjson::SUCCESS);
        REQUIRE(std::bit_cast<std::uint64_t>(parsed) == std::bit_cast<std::uint64_t>(d));
    }
}

TEST_CASE("json::writer rejects NaN and infinities")
{
    for (const double d : {std::numeric_limits<double>::quiet_NaN(),
                           -std::numeric_limits<double>::quiet_NaN(),
                           std::numeric_limits<double>::infinity(),
                           -std::numeric_limits<double>::infinity()}) {
        const auto r = write([&](writer& w) {
            w.begin_array();
            w.number(d);
            w.end_array();
        });
        CHECK(r.ec == error::invalid_number);
        CHECK(r.ec == llmio::condition::invalid_input);
        CHECK(!r.complete);
    }
}

TEST_CASE("json::writer::raw writes one valid JSON value unchanged")
{
    const std::string values[] = {
        R"({"type":"object","properties":{"q":{"type":"string"}},"required":["q"]})",
        "{\n  \"pretty\": [1, 2.5e3, -0, true, null],\n  \"s\": \"\\u00e9\\n\"\n}",
        "[]",
        "{}",
        "42",
        "\"text\"",
        "true",
        "null",
        "  {\"padded\": 1}\r\n",
        "\"\xE6\x97\xA5\\ud83d\\ude00\"",
    };
    for (const std::string& v : values) {
        CAPTURE(v);
        const auto top = write([&](writer& w) { w.raw(v); });
        CHECK(!top.ec);
        CHECK(top.complete);
        CHECK(top.text == v);
        const auto nested = write([&](writer& w) {
            w.begin_object();
            w.key("a");
            w.raw(v);
            w.key("b");
            w.begin_array();
            w.raw(v);
            w.raw(v);
            w.end_array();
            w.end_object();
        });
        CHECK(!nested.ec);
        CHECK(nested.text == R"({"a":)" + v + R"(,"b":[)" + v + "," + v + "]}");
    }
}

TEST_CASE("json::writer::raw rejects anything but one complete JSON value")
{
    const std::string invalid_json[] = {
        "",                       // nothing
        "   ",                    // only whitespace
        "{",                      // truncated
        R"({"a":})",              // missing value
        R"({"a" 1})",             // missing colon
        "[1,]",                   // trailing comma
        R"({"a":1,})",
        "{} {}",                  // two values
        "{}x",                    // trailing garbage
        "[1] [2]",
        "tru",
        "'single'",
        "01",                     // leading zero
        "1.",
        ".5",
        "NaN",
        "Infinity",
        "\"a\x01\"",              // unescaped control character
        R"("\x")",                // bad escape
        R"("\ud800")",            // lone surrogate escape: no UTF-8 for it
        R"({a:1})",               // unquoted key
        "1e999",                  // overflows a double: simdjson's limit (RFC 8259 section 9)
        "18446744073709551616",   // past uint64: likewise
    };
    for (const std::string& v : invalid_json) {
        CAPTURE(v);
        const auto r = write([&](writer& w) {
            w.begin_array();
            w.raw(v);
            w.end_array();
        });
        CHECK(r.ec == error::invalid_json);
        CHECK(r.ec == llmio::condition::invalid_input);
    }

    const auto null_view = write([](writer& w) { w.raw(std::string_view{}); });
    CHECK(null_view.ec == error::invalid_json);

    const auto utf8 = write([](writer& w) { w.raw("{\"a\":\"\xC0\xAF\"}"); });
    CHECK(utf8.ec == error::invalid_utf8);

    const std::string deep = std::string(2000, '[') + std::string(2000, ']');
    const auto too_deep = write([&](writer& w) { w.raw(deep); });
    CHECK(too_deep.ec == error::too_deep);
}

TEST_CASE("json::writer::raw keeps validating after a large value")
{
    // The validator grows for a large value and keeps working for small ones afterwards.
    std::string big = "[";
    for (int i = 0; i < 20000; ++i) {
        big += i == 0 ? "" : ",";
        big += R"({"k":"v"})";
    }
    big += "]";
    std::string out;
    writer w(out);
    w.raw(big);
    CHECK(!w.error());
    out.clear();
    w.reset(out);
    w.raw("{");
    CHECK(w.error() == error::invalid_json);
    out.clear();
    w.reset(out);
    w.raw("[1]");
    CHECK(!w.error());
    CHECK(out == "[1]");
}

TEST_CASE("llmio.json error category")
{
    const std::error_code ec = error::invalid_utf8;
    CHECK(std::string(ec.category().name()) == "llmio.json");
    for (const error e : {error::invalid_utf8, error::invalid_json, error::invalid_number,
                          error::too_deep}) {
        const std::error_code code = e;
        CHECK(!code.message().empty());
        CHECK(code == llmio::condition::invalid_input);
        CHECK(code != llmio::condition::protocol_error);
        CHECK(code != llmio::condition::retryable);
    }
}
