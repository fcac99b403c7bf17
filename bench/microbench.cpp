// llmio-microbench: the parsing core against its limits, side by side in one run.
//
//   llmio-microbench [--json] [--data DIR] [--rounds N] [--min-time SECONDS]
//
// gemini_stream_decode: the recorded Gemini stream events as one long HTTP/1.1 chunked
// response per round (a long generation), read in 64 KiB pieces through HTTP de-chunking ->
// SSE -> chunk decoding -> stream rules (llmio::gemini::http_stream).
// gemini_responses_decode: the same events with each recorded stream its own response (2 to
// 36 events each), so response heads and per-stream set-up are in the cost too.
// simdjson_bare: simdjson On-Demand extracting the same fields from the same event JSON,
// already cut out and padded: the floor. Both produce the same summary, checked equal before
// timing. Trials alternate between the two so that a noisy machine hurts both alike; the best
// trial of each is reported (the least disturbed), with the median beside it.
#define LLMIO_TESTING_REPLACE_GLOBAL_NEW
#include <llmio/testing/allocation_counter.hpp>

#include "stream_decode/llmio.hpp"
#include "stream_decode/scenario.hpp"
#include "stream_decode/simdjson_bare.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <string>
#include <vector>

namespace {

using clock_type = std::chrono::steady_clock;

struct options {
    bool json = false;
    std::string data;
    int rounds = 40;
    double min_time = 0.25;
    int trials = 7;
    std::string only;   // run one implementation (for profilers)
};

struct measurement {
    std::string name;
    std::uint64_t items_per_run = 0;
    std::uint64_t bytes_per_run = 0;
    std::vector<double> ns_per_item;   // one per trial
    std::uint64_t allocations = 0;
    std::uint64_t items_timed = 0;

    [[nodiscard]] double best() const { return *std::min_element(ns_per_item.begin(), ns_per_item.end()); }
    [[nodiscard]] double median() const
    {
        std::vector<double> v = ns_per_item;
        std::sort(v.begin(), v.end());
        return v[v.size() / 2];
    }
};

std::string default_data_dir()
{
    if (const char* env = std::getenv("LLMIO_CONFORMANCE_DIR"); env && *env) {
        return env;
    }
    return LLMIO_CONFORMANCE_DIR;
}

bench::stream_decode::corpus load_corpus(const std::string& dir, int rounds)
{
    bench::stream_decode::corpus c;
    std::vector<std::filesystem::path> files;
    for (const auto& entry : std::filesystem::directory_iterator(std::filesystem::path(dir) / "gemini" / "googleai")) {
        const std::string name = entry.path().filename().string();
        if (name.rfind("streaming-success-", 0) == 0) {
            files.push_back(entry.path());
        }
    }
    std::sort(files.begin(), files.end());
    std::vector<std::vector<std::string>> streams;
    for (const auto& path : files) {
        std::ifstream in(path, std::ios::binary);
        const std::string body((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
        std::vector<std::string> events;
        std::size_t at = 0;
        while ((at = body.find("data: ", at)) != std::string::npos) {
            const std::size_t end = std::min(body.find_first_of("\r\n", at), body.size());
            events.push_back(body.substr(at + 6, end - at - 6));
            at = end;
        }
        streams.push_back(std::move(events));
    }
    c.rounds = static_cast<std::size_t>(rounds);
    for (int r = 0; r < rounds; ++r) {
        for (const auto& s : streams) {
            c.streams.push_back(s);
            c.events += s.size();
            for (const auto& e : s) {
                c.json_bytes += e.size();
            }
        }
    }
    return c;
}

// One trial: run `f` until min_time has passed; ns per item.
template <class F>
double trial(F&& f, std::uint64_t items, double min_time, measurement& m)
{
    std::uint64_t runs = 0;
    const llmio::testing::allocation_scope allocs;
    const auto start = clock_type::now();
    auto now = start;
    do {
        f();
        ++runs;
        now = clock_type::now();
    } while (std::chrono::duration<double>(now - start).count() < min_time);
    m.allocations += allocs.allocations();
    m.items_timed += runs * items;
    return std::chrono::duration<double, std::nano>(now - start).count() / double(runs * items);
}

void print(const measurement& m, const options& o, const measurement* reference)
{
    const double ns = m.best();
    const double items_per_s = 1e9 / ns;
    const double bytes_per_s = items_per_s * double(m.bytes_per_run) / double(m.items_per_run);
    const double allocs = double(m.allocations) / double(m.items_timed);
    if (o.json) {
        std::printf("{\"bench\": \"%s\", \"items_per_s\": %.0f, \"ns_per_item\": %.2f, \"bytes_per_s\": %.0f, "
                    "\"allocs_per_item\": %.6f, \"median_ns_per_item\": %.2f, \"trials\": %zu",
                    m.name.c_str(), items_per_s, ns, bytes_per_s, allocs, m.median(), m.ns_per_item.size());
        if (reference != nullptr) {
            std::printf(", \"relative_to\": \"%s\", \"cost_ratio\": %.3f", reference->name.c_str(),
                        ns / reference->best());
        }
        std::printf("}\n");
    }
    else {
        std::printf("%-24s %12.0f items/s %9.1f ns/item %9.1f MB/s %8.4f allocs/item", m.name.c_str(),
                    items_per_s, ns, bytes_per_s / 1e6, allocs);
        if (reference != nullptr) {
            std::printf("   %.2fx the cost of %s", ns / reference->best(), reference->name.c_str());
        }
        std::printf("\n");
    }
}

} // namespace

int main(int argc, char** argv)
{
    options o;
    o.data = default_data_dir();
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        if (a == "--json") {
            o.json = true;
        }
        else if (a == "--data" && i + 1 < argc) {
            o.data = argv[++i];
        }
        else if (a == "--rounds" && i + 1 < argc) {
            o.rounds = std::max(1, std::atoi(argv[++i]));
        }
        else if (a == "--min-time" && i + 1 < argc) {
            o.min_time = std::atof(argv[++i]);
        }
        else if (a == "--only" && i + 1 < argc) {
            o.only = argv[++i];
        }
        else if (a == "--trials" && i + 1 < argc) {
            o.trials = std::max(1, std::atoi(argv[++i]));
        }
        else {
            std::fprintf(stderr,
                         "usage: llmio-microbench [--json] [--data DIR] [--rounds N] [--min-time S] [--trials N] [--only NAME]\n"
                         "  DIR is the conformance folder (default %s)\n",
                         default_data_dir().c_str());
            return a == "--help" || a == "-h" ? 0 : 2;
        }
    }
    if (!std::filesystem::exists(std::filesystem::path(o.data) / "gemini" / "googleai")) {
        std::fprintf(stderr, "llmio-microbench: no recorded streams under %s/gemini/googleai (use --data)\n",
                     o.data.c_str());
        return 2;
    }

    const bench::stream_decode::corpus corpus = load_corpus(o.data, o.rounds);
    bench::stream_decode::llmio_impl llmio_impl(bench::stream_decode::as_http_responses(corpus, 8192, false));
    bench::stream_decode::llmio_impl responses_impl(bench::stream_decode::as_http_responses(corpus, 8192, true));
    bench::stream_decode::simdjson_bare_impl bare_impl(corpus);

    // Outputs checked equal before anything is timed.
    const auto llmio_summary = llmio_impl.run(true);
    const auto responses_summary = responses_impl.run(true);
    const auto bare_summary = bare_impl.run(true);
    if (!(llmio_summary == bare_summary) || !(responses_summary == bare_summary) ||
        llmio_summary.events != corpus.events) {
        std::fprintf(stderr, "llmio-microbench: implementations disagree (events %llu vs %llu, text %llu vs %llu)\n",
                     static_cast<unsigned long long>(llmio_summary.events),
                     static_cast<unsigned long long>(bare_summary.events),
                     static_cast<unsigned long long>(llmio_summary.text_bytes),
                     static_cast<unsigned long long>(bare_summary.text_bytes));
        return 1;
    }

    measurement llmio_m{"gemini_stream_decode", corpus.events, llmio_impl.input_bytes(), {}, 0, 0};
    measurement responses_m{"gemini_responses_decode", corpus.events, responses_impl.input_bytes(), {}, 0, 0};
    measurement bare_m{"simdjson_bare", corpus.events, bare_impl.input_bytes(), {}, 0, 0};
    volatile std::uint64_t sink = 0;
    const bool run_llmio = o.only.empty() || o.only == llmio_m.name;
    const bool run_bare = o.only.empty() || o.only == bare_m.name;
    const bool run_responses = o.only.empty() || o.only == responses_m.name;
    for (int t = 0; t < o.trials; ++t) {
        if (run_llmio) {
            llmio_m.ns_per_item.push_back(
                trial([&] { sink = sink + llmio_impl.run().text_bytes; }, corpus.events, o.min_time, llmio_m));
        }
        if (run_bare) {
            bare_m.ns_per_item.push_back(
                trial([&] { const auto r = bare_impl.run(); sink = sink + r.text_bytes + r.sink; }, corpus.events, o.min_time, bare_m));
        }
        if (run_responses) {
            responses_m.ns_per_item.push_back(
                trial([&] { sink = sink + responses_impl.run().text_bytes; }, corpus.events, o.min_time, responses_m));
        }
    }
    if (run_bare) {
        print(bare_m, o, nullptr);
    }
    if (run_llmio) {
        print(llmio_m, o, run_bare ? &bare_m : nullptr);
    }
    if (run_responses) {
        print(responses_m, o, run_bare ? &bare_m : nullptr);
    }
    return 0;
}
