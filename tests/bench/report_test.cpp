// Tests of bench/harness/report.hpp on synthetic runs with known numbers: the JSON parses
// (simdjson) and holds them, the CSV has a header and a row per run, the SVGs are well formed
// with one polyline point per data point and coordinates that follow the values, the table
// has every row.
#include "harness/report.hpp"

#include "support/catch.hpp"

#include <simdjson.h>

#include <chrono>
#include <cstdint>
#include <sstream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace {

using namespace std::chrono_literals;
using llmio::bench::metrics;
using llmio::bench::request_record;
using llmio::bench::run_report;
using llmio::bench::steady_time;

const steady_time t0 = steady_time{} + 1h;

// `n` requests over 10 s: TTFT `ttft`, 5 chunks 10 ms apart, 4 tokens each; 3 timeouts; one
// open-loop dispatch 2 ms late.
metrics synthetic(int n, std::chrono::milliseconds ttft)
{
    metrics m({.window_begin = t0, .limits = {.ttft = 100ms}});
    for (int i = 0; i < n; ++i) {
        request_record r;
        r.intended_start = t0 + i * 1ms;
        r.start = r.intended_start + (i == 0 ? 2ms : 0ms);
        r.first_chunk = r.intended_start + ttft;
        r.last_chunk = r.first_chunk + 40ms;
        r.chunks = 5;
        r.output_tokens = 4;
        r.retries = i % 10 == 0 ? 1 : 0;
        m.add(r);
        for (int k = 0; k < 4; ++k)
            m.add_chunk_gap(10ms, r.intended_start);
    }
    request_record failed;
    failed.start = t0;
    failed.error = "timeout";
    for (int i = 0; i < 3; ++i)
        m.add(failed);
    m.end_window(t0 + 10s);
    return m;
}

std::string json_of(const run_report& r)
{
    std::ostringstream out;
    llmio::bench::write_json(out, r);
    return out.str();
}

// Tags in order: pushes opening names, pops on closing ones; false on any mismatch.
bool balanced(std::string_view svg)
{
    std::vector<std::string> open;
    for (std::size_t i = svg.find('<'); i != std::string_view::npos; i = svg.find('<', i + 1)) {
        const std::size_t end = svg.find('>', i);
        if (end == std::string_view::npos)
            return false;
        std::string_view tag = svg.substr(i + 1, end - i - 1);
        if (tag.starts_with('?') || tag.starts_with('!'))
            continue;
        if (tag.ends_with('/'))
            continue;
        const bool closing = tag.starts_with('/');
        if (closing)
            tag.remove_prefix(1);
        const std::string name(tag.substr(0, tag.find_first_of(" \n\t")));
        if (!closing) {
            open.push_back(name);
        } else {
            if (open.empty() || open.back() != name)
                return false;
            open.pop_back();
        }
    }
    return open.empty();
}

// The points of every <polyline ... points="x,y x,y"/>, in document order.
std::vector<std::vector<std::pair<double, double>>> polylines(const std::string& svg)
{
    std::vector<std::vector<std::pair<double, double>>> all;
    for (std::size_t i = svg.find("<polyline"); i != std::string::npos; i = svg.find("<polyline", i + 1)) {
        const std::size_t a = svg.find("points=\"", i) + 8;
        const std::size_t b = svg.find('"', a);
        std::istringstream in(svg.substr(a, b - a));
        std::vector<std::pair<double, double>> pts;
        std::string pair;
        while (in >> pair) {
            const std::size_t comma = pair.find(',');
            pts.emplace_back(std::stod(pair.substr(0, comma)), std::stod(pair.substr(comma + 1)));
        }
        all.push_back(std::move(pts));
    }
    return all;
}

std::size_t count_of(std::string_view text, std::string_view what)
{
    std::size_t n = 0;
    for (std::size_t i = text.find(what); i != std::string_view::npos; i = text.find(what, i + 1))
        ++n;
    return n;
}

std::vector<std::string> csv_fields(std::string_view line)
{
    std::vector<std::string> fields(1);
    bool quoted = false;
    for (std::size_t i = 0; i < line.size(); ++i) {
        const char c = line[i];
        if (quoted) {
            if (c == '"' && i + 1 < line.size() && line[i + 1] == '"')
                fields.back() += '"', ++i;
            else if (c == '"')
                quoted = false;
            else
                fields.back() += c;
        } else if (c == '"') {
            quoted = true;
        } else if (c == ',') {
            fields.emplace_back();
        } else {
            fields.back() += c;
        }
    }
    return fields;
}

} // namespace

TEST_CASE("report: JSON parses and holds the run's numbers", "[bench][report]")
{
    const metrics m = synthetic(1000, 50ms);
    const run_report run{.label = "concurrency 64",
                         .settings = {llmio::bench::text_setting("target", "mock \"local\"\n"),
                                      llmio::bench::number_setting("concurrency", 64),
                                      llmio::bench::number_setting("bad", std::nan(""))},
                         .result = &m, .client_cpu_percent = 80.5, .client_threads = 1};
    const std::string text = json_of(run);
    simdjson::dom::parser parser;
    simdjson::dom::element doc;
    REQUIRE(parser.parse(text).get(doc) == simdjson::SUCCESS);

    CHECK(std::string_view(doc["label"]) == "concurrency 64");
    CHECK(std::string_view(doc["settings"]["target"]) == "mock \"local\"\n");
    CHECK(int64_t(doc["settings"]["concurrency"]) == 64);
    CHECK(std::string_view(doc["settings"]["bad"]) == "nan");

    const auto ttft = doc["time_to_first_token"];
    CHECK(std::string_view(ttft["unit"]) == "ms");
    CHECK(double(ttft["avg"]) == 50.0);
    CHECK(double(ttft["min"]) == 50.0);
    CHECK(double(ttft["max"]) == 50.0);
    for (const char* p : {"p50", "p90", "p95", "p99", "p99_9"}) {
        CAPTURE(p);
        CHECK(double(ttft[p]) >= 50.0);
        CHECK(double(ttft[p]) <= 50.05);
    }
    CHECK(double(ttft["std"]) <= 0.05);
    CHECK(uint64_t(ttft["count"]) == 1000);
    CHECK(uint64_t(ttft["overflow"]) == 0);
    CHECK(std::string_view(ttft["definition"]).find("first chunk") != std::string_view::npos);

    CHECK(double(doc["inter_token_latency"]["p50"]) == Approx(10.0).epsilon(1e-3));
    CHECK(uint64_t(doc["inter_token_latency"]["count"]) == 4000);
    CHECK(double(doc["time_per_output_token"]["avg"]) == 10.0);
    CHECK(double(doc["request_latency"]["avg"]) == 90.0);
    CHECK(std::string_view(doc["output_sequence_length"]["unit"]) == "tokens");
    CHECK(double(doc["output_sequence_length"]["avg"]) == 4.0);
    CHECK(uint64_t(doc["request_count"]["avg"]) == 1003);
    CHECK(std::string_view(doc["request_throughput"]["unit"]) == "requests/sec");
    CHECK(double(doc["request_throughput"]["avg"]) == 100.0);
    CHECK(double(doc["output_token_throughput"]["avg"]) == 400.0);
    CHECK(double(doc["request_goodput"]["avg"]) == 100.0);
    CHECK(uint64_t(doc["goodput"]["requests"]) == 1000);
    CHECK(double(doc["goodput"]["limits_ms"]["time_to_first_token"]) == 100.0);
    CHECK(doc["goodput"]["limits_ms"]["request_latency"].is_null());
    CHECK(uint64_t(doc["errors"]["total"]) == 3);
    CHECK(uint64_t(doc["errors"]["by_kind"]["timeout"]) == 3);
    CHECK(uint64_t(doc["retries"]) == 100);
    CHECK(double(doc["dispatch_delay"]["max"]) == 2.0);
    CHECK(uint64_t(doc["dispatch_delay"]["count"]) == 1000);
    CHECK(double(doc["limiter_wait"]["max"]) == 0.0);
    CHECK(double(doc["measured_seconds"]) == 10.0);
    CHECK(double(doc["client_cpu_percent"]) == 80.5);
    CHECK(bool(doc["client_cpu_warning"]) == true);

    SECTION("a sweep is {\"runs\": [...]}, empty metrics and missing results included")
    {
        const metrics empty;
        const std::vector<run_report> runs{run, run_report{.label = "empty", .result = &empty},
                                           run_report{.label = "none"}};
        std::ostringstream out;
        llmio::bench::write_json(out, runs);
        simdjson::dom::element sweep;
        REQUIRE(parser.parse(out.str()).get(sweep) == simdjson::SUCCESS);
        CHECK(simdjson::dom::array(sweep["runs"]).size() == 3);
        CHECK(uint64_t(sweep["runs"].at(1)["time_to_first_token"]["count"]) == 0);
        CHECK(sweep["runs"].at(2)["client_cpu_percent"].is_null());
        CHECK(bool(sweep["runs"].at(2)["client_cpu_warning"]) == false);
    }
}

TEST_CASE("report: CSV has a header and one row per run", "[bench][report]")
{
    const metrics a = synthetic(100, 50ms), b = synthetic(200, 80ms);
    const std::vector<run_report> runs{
        {.label = "c=1", .settings = {llmio::bench::number_setting("concurrency", 1),
                                      llmio::bench::text_setting("note", "a, \"quoted\" value")},
         .result = &a, .client_cpu_percent = 12},
        {.label = "c=8", .settings = {llmio::bench::number_setting("concurrency", 8)}, .result = &b},
    };
    std::ostringstream out;
    llmio::bench::write_csv(out, runs);
    std::vector<std::string> lines;
    std::istringstream in(out.str());
    for (std::string line; std::getline(in, line);)
        lines.push_back(line);
    REQUIRE(lines.size() == 3);
    const auto header = csv_fields(lines[0]);
    CHECK(header[0] == "label");
    CHECK(header[1] == "concurrency");
    CHECK(header[2] == "note");
    CHECK(header.back() == "client_cpu_percent");
    const auto row1 = csv_fields(lines[1]), row2 = csv_fields(lines[2]);
    REQUIRE(row1.size() == header.size());
    REQUIRE(row2.size() == header.size());
    const auto column = [&](std::string_view name) {
        for (std::size_t i = 0; i < header.size(); ++i)
            if (header[i] == name)
                return i;
        FAIL("no column " << name);
        return std::size_t{0};
    };
    CHECK(row1[column("note")] == "a, \"quoted\" value");
    CHECK(row2[column("note")].empty());
    CHECK(row2[column("concurrency")] == "8");
    CHECK(row1[column("succeeded")] == "100");
    CHECK(row2[column("failed")] == "3");
    CHECK(std::stod(row2[column("ttft_p50_ms")]) == Approx(80.0).epsilon(1e-3));
    CHECK(std::stod(row1[column("request_throughput")]) == 10.0);
    CHECK(row1[column("client_cpu_percent")] == "12");
    CHECK(row2[column("client_cpu_percent")].empty());
}

TEST_CASE("report: sweep SVG is well formed and follows the values", "[bench][report]")
{
    // Four loads: throughput and latency both rise.
    std::vector<metrics> ms;
    for (int i = 0; i < 4; ++i)
        ms.push_back(synthetic(100 * (i + 1), std::chrono::milliseconds(20 * (i + 1) * (i + 1))));
    std::vector<run_report> runs;
    for (int i = 0; i < 4; ++i)
        runs.push_back({.label = "c=" + std::to_string(i), .result = &ms[static_cast<std::size_t>(i)]});
    std::ostringstream out;
    llmio::bench::write_sweep_svg(out, runs, "sweep <mock> & co");
    const std::string svg = out.str();

    CHECK(svg.starts_with("<?xml"));
    CHECK(svg.find("<svg xmlns=\"http://www.w3.org/2000/svg\"") != std::string::npos);
    CHECK(balanced(svg));
    CHECK(svg.find("sweep &lt;mock&gt; &amp; co") != std::string::npos);
    CHECK(svg.find("throughput (requests/s)") != std::string::npos);
    const auto lines = polylines(svg);
    REQUIRE(lines.size() == 6);   // TTFT and e2e, each p50/p90/p99
    CHECK(count_of(svg, "<circle") == 6 * 4);
    for (const auto& pts : lines) {
        REQUIRE(pts.size() == 4);
        for (std::size_t k = 1; k < pts.size(); ++k) {
            CHECK(pts[k].first > pts[k - 1].first);     // more throughput: further right
            CHECK(pts[k].second < pts[k - 1].second);   // more latency: higher up
        }
    }
    // Same runs, same x; within a panel p99 is at or above p50.
    for (std::size_t k = 0; k < 4; ++k) {
        CHECK(lines[0][k].first == lines[2][k].first);
        CHECK(lines[2][k].second <= lines[0][k].second);
    }

    SECTION("a run without data adds no point; no runs still make a valid chart")
    {
        const metrics empty;
        runs.push_back({.label = "empty", .result = &empty});
        std::ostringstream again;
        llmio::bench::write_sweep_svg(again, runs, "t", llmio::bench::sweep_axis::output_tokens_per_s);
        for (const auto& pts : polylines(again.str()))
            CHECK(pts.size() == 4);
        CHECK(again.str().find("output tokens/s") != std::string::npos);
        std::ostringstream none;
        llmio::bench::write_sweep_svg(none, {}, "t");
        CHECK(balanced(none.str()));
        CHECK(none.str().find("no data") != std::string::npos);
    }
}

TEST_CASE("report: CDF SVG has one point per bucket, rising", "[bench][report]")
{
    metrics m({.window_begin = t0});
    for (int i = 0; i < 500; ++i) {
        request_record r;
        r.start = t0 + i * 1ms;
        r.first_chunk = r.start + std::chrono::microseconds(30'000 + 97 * i);
        r.last_chunk = r.first_chunk + std::chrono::milliseconds(100 + i);
        r.chunks = 10;
        m.add(r);
        m.add_chunk_gap(std::chrono::microseconds(9'000 + 11 * i), r.start);
    }
    std::ostringstream out;
    llmio::bench::write_cdf_svg(out, run_report{.label = "one", .result = &m}, "latency CDF");
    const std::string svg = out.str();
    CHECK(balanced(svg));
    const auto lines = polylines(svg);
    REQUIRE(lines.size() == 3);
    const llmio::bench::histogram* hs[] = {&m.ttft(), &m.itl(), &m.e2e()};
    for (std::size_t s = 0; s < 3; ++s) {
        std::size_t buckets = 0;
        hs[s]->for_each_bucket([&](const llmio::bench::histogram::bucket&) { ++buckets; });
        CAPTURE(s);
        REQUIRE(lines[s].size() == buckets);
        for (std::size_t k = 1; k < lines[s].size(); ++k) {
            CHECK(lines[s][k].first > lines[s][k - 1].first);
            CHECK(lines[s][k].second < lines[s][k - 1].second);
        }
        CHECK(lines[s].back().second == 60.0);   // the top of the plot: all samples
    }
    // ITL (~10 ms) lies left of TTFT (~30-80 ms), which lies left of e2e.
    CHECK(lines[1].back().first < lines[0].front().first);
    CHECK(lines[0].back().first < lines[2].front().first);

    std::ostringstream empty;
    llmio::bench::write_cdf_svg(empty, run_report{}, "nothing");
    CHECK(balanced(empty.str()));
}

TEST_CASE("report: the table has every row", "[bench][report]")
{
    const metrics m = synthetic(100, 50ms);
    std::ostringstream out;
    llmio::bench::write_table(out, run_report{.label = "rate 100/s", .result = &m, .client_cpu_percent = 85});
    const std::string t = out.str();
    for (const char* row : {"metric", "p50", "p90", "p95", "p99", "p99.9", "mean", "max", "TTFT (ms)", "ITL (ms)",
                            "TPOT (ms)", "e2e latency (ms)", "output tokens/request", "limiter wait (ms)",
                            "dispatch delay (ms)", "requests", "throughput", "goodput", "errors", "client CPU",
                            "timeout 3", "TTFT <= 100 ms", "WARNING"}) {
        CAPTURE(row);
        CHECK(t.find(row) != std::string::npos);
    }
    CHECK(t.find("50.0") != std::string::npos);

    // Closed loop (no intended starts): no dispatch-delay row; CPU under the level: no warning.
    metrics closed;
    request_record r;
    r.start = t0;
    r.first_chunk = t0 + 5ms;
    r.last_chunk = t0 + 6ms;
    r.chunks = 2;
    closed.add(r);
    std::ostringstream out2;
    llmio::bench::write_table(out2, run_report{.result = &closed, .client_cpu_percent = 20});
    CHECK(out2.str().find("dispatch delay") == std::string::npos);
    CHECK(out2.str().find("WARNING") == std::string::npos);
    CHECK(out2.str().find("errors          none") != std::string::npos);
}
