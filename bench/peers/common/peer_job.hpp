// bench/peers/common/peer_job.hpp: what the C++ peers share (bench/peers/README.md), so they
// differ only in their transport: the command line, the SSE event splitting, the simdjson
// decode of one event, the samples and the one JSON line. Nothing of llmio: the peers are what
// a user would write without it.
//
// Every peer measures at the same point: when an event's JSON has been decoded and its text
// (candidates[0].content.parts[*].text, concatenated) is in hand. TTFT runs from the start of
// the request (before its first byte is written) to the first such event with text; ITL is the
// gap between consecutive events of one request, pooled over all requests. CPU time is
// getrusage(RUSAGE_SELF) over the job (every thread of the process), not start-up.
#ifndef LLMIO_BENCH_PEERS_PEER_JOB_HPP
#define LLMIO_BENCH_PEERS_PEER_JOB_HPP

#include <simdjson.h>

#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

namespace peers {

using clock = std::chrono::steady_clock;

inline constexpr std::string_view model = "gemini-2.0-flash";
inline constexpr std::string_view api_key = "test-key";
inline constexpr std::string_view body = R"({"contents":[{"role":"user","parts":[{"text":"Say something."}]}]})";

struct args {
    std::string base_url{};   // http://HOST:PORT
    std::size_t concurrency = 0;
    std::size_t per_stream = 0;
    std::size_t events = 0;   // expected per request; any other count is an error
};

// --base-url URL --concurrency C --per-stream R --events E; exits with 2 on anything else.
[[nodiscard]] inline args parse_args(int argc, char** argv, const char* name)
{
    args a;
    const auto usage = [&] {
        std::fprintf(stderr, "usage: %s --base-url http://HOST:PORT --concurrency C --per-stream R --events E\n", name);
        std::exit(2);
    };
    for (int i = 1; i + 1 < argc; i += 2) {
        const std::string_view flag = argv[i];
        const char* value = argv[i + 1];
        if (flag == "--base-url") {
            a.base_url = value;
            while (!a.base_url.empty() && a.base_url.back() == '/') {
                a.base_url.pop_back();
            }
        } else if (flag == "--concurrency") {
            a.concurrency = std::strtoull(value, nullptr, 10);
        } else if (flag == "--per-stream") {
            a.per_stream = std::strtoull(value, nullptr, 10);
        } else if (flag == "--events") {
            a.events = std::strtoull(value, nullptr, 10);
        } else {
            usage();
        }
    }
    if (argc % 2 == 0 || a.base_url.empty() || a.concurrency == 0 || a.per_stream == 0 || a.events == 0) {
        usage();
    }
    return a;
}

// Splits a byte stream into SSE events (WHATWG event-stream rules, reduced to what matters
// here: lines end in CRLF, LF or CR+LF split across reads; `data:` lines are joined with '\n';
// a blank line dispatches; other fields are ignored). Bytes may arrive cut anywhere. The data
// handed out keeps SIMDJSON_PADDING readable bytes after it for simdjson's On-Demand parser.
class sse_splitter {
public:
    // Calls on_event(std::string_view data, std::size_t capacity) for each complete event;
    // the view is valid during the call.
    template <class OnEvent>
    void feed(std::string_view bytes, OnEvent&& on_event)
    {
        if (!pending_.empty()) {
            pending_.append(bytes);
            const std::size_t used = split(pending_, on_event);
            pending_.erase(0, used);
            return;
        }
        // The usual case: whole events in one read, no copy of the bytes before splitting.
        const std::size_t used = split(bytes, on_event);
        pending_.assign(bytes.substr(used));
    }

    void reset()
    {
        pending_.clear();
        data_.clear();
        has_data_ = false;
    }

private:
    template <class OnEvent>
    std::size_t split(std::string_view bytes, OnEvent& on_event)
    {
        std::size_t at = 0;
        for (;;) {
            const std::size_t lf = bytes.find('\n', at);
            if (lf == std::string_view::npos) {
                return at;
            }
            std::string_view line = bytes.substr(at, lf - at);
            at = lf + 1;
            if (!line.empty() && line.back() == '\r') {
                line.remove_suffix(1);
            }
            if (line.empty()) {
                if (has_data_) {
                    data_.reserve(data_.size() + simdjson::SIMDJSON_PADDING);
                    on_event(std::string_view(data_), data_.capacity());
                }
                data_.clear();
                has_data_ = false;
            } else if (line.substr(0, 5) == "data:") {
                line.remove_prefix(5);
                if (!line.empty() && line.front() == ' ') {
                    line.remove_prefix(1);
                }
                if (has_data_) {
                    data_.push_back('\n');
                }
                data_.append(line);
                has_data_ = true;
            }
        }
    }

    std::string pending_{};
    std::string data_{};
    bool has_data_ = false;
};

// The text of candidates[0].content.parts, appended to `text`; false when the event is not
// such a document.
[[nodiscard]] inline bool decode_text(simdjson::ondemand::parser& parser, std::string_view data,
                                      std::size_t capacity, std::string& text)
{
    text.clear();
    simdjson::ondemand::document doc;
    if (parser.iterate(simdjson::padded_string_view(data.data(), data.size(), capacity)).get(doc)) {
        return false;
    }
    simdjson::ondemand::array candidates;
    if (doc["candidates"].get_array().get(candidates)) {
        return false;
    }
    for (auto candidate : candidates) {
        simdjson::ondemand::array parts;
        if (candidate["content"]["parts"].get_array().get(parts)) {
            return false;
        }
        for (auto part : parts) {
            std::string_view t;
            if (!part["text"].get_string().get(t)) {
                text.append(t);
            }
        }
        return true;   // candidates[0] only
    }
    return false;
}

// The samples of one run and its JSON line.
class recorder {
public:
    explicit recorder(const args& a) : args_(a)
    {
        ttft_.reserve(a.concurrency * a.per_stream);
        itl_.reserve(a.concurrency * a.per_stream * a.events);
    }

    // One request: begin(), then event(text) per decoded event, then end(ok) (ok: no failure
    // seen by the transport or the decoder). The event count is checked here.
    struct request {
        clock::time_point start{};
        clock::time_point last{};
        std::size_t seen = 0;
        bool have_ttft = false;
    };
    void begin(request& r) const { r = request{.start = clock::now()}; }
    void event(request& r, std::string_view text)
    {
        const auto now = clock::now();
        if (r.seen > 0) {
            itl_.push_back(ms(now - r.last));
        }
        if (!r.have_ttft && !text.empty()) {
            ttft_.push_back(ms(now - r.start));
            r.have_ttft = true;
        }
        r.last = now;
        ++r.seen;
    }
    void end(const request& r, bool ok, const char* why = nullptr)
    {
        events_ += r.seen;
        if (!ok || r.seen != args_.events) {
            if (errors_++ == 0) {
                std::fprintf(stderr, "first failed request: %s (%zu events, expected %zu)\n",
                             why ? why : (ok ? "wrong event count" : "failed"), r.seen, args_.events);
            }
        }
    }

    void start_job()
    {
        getrusage(RUSAGE_SELF, &ru0_);
        wall0_ = clock::now();
    }
    void end_job()
    {
        wall_ = std::chrono::duration<double>(clock::now() - wall0_).count();
        getrusage(RUSAGE_SELF, &ru1_);
    }

    void print(const char* peer)
    {
        std::sort(ttft_.begin(), ttft_.end());
        std::sort(itl_.begin(), itl_.end());
        std::printf("{\"peer\":\"%s\",\"concurrency\":%zu,\"requests\":%zu,\"events\":%zu,\"errors\":%zu,"
                    "\"wall_s\":%.6f,\"cpu_user_s\":%.6f,\"cpu_sys_s\":%.6f,"
                    "\"ttft_p50_ms\":%s,\"ttft_p99_ms\":%s,\"itl_p50_ms\":%s,\"itl_p99_ms\":%s}\n",
                    peer, args_.concurrency, args_.concurrency * args_.per_stream, events_, errors_, wall_,
                    seconds(ru0_.ru_utime, ru1_.ru_utime), seconds(ru0_.ru_stime, ru1_.ru_stime),
                    pct(ttft_, 50).c_str(), pct(ttft_, 99).c_str(), pct(itl_, 50).c_str(), pct(itl_, 99).c_str());
        std::fflush(stdout);
    }

private:
    static double ms(clock::duration d) { return std::chrono::duration<double, std::milli>(d).count(); }
    static double seconds(const timeval& a, const timeval& b)
    {
        return static_cast<double>(b.tv_sec - a.tv_sec) + static_cast<double>(b.tv_usec - a.tv_usec) / 1e6;
    }
    // Nearest rank, as the Node and Python peers; "null" without samples.
    static std::string pct(const std::vector<double>& sorted, double p)
    {
        if (sorted.empty()) {
            return "null";
        }
        const auto rank = std::max<std::size_t>(1, static_cast<std::size_t>(std::ceil(p / 100.0 * static_cast<double>(sorted.size()))));
        char out[32];
        std::snprintf(out, sizeof out, "%.3f", sorted[rank - 1]);
        return out;
    }

    const args& args_;
    std::vector<double> ttft_{};
    std::vector<double> itl_{};
    std::size_t events_ = 0;
    std::size_t errors_ = 0;
    rusage ru0_{};
    rusage ru1_{};
    clock::time_point wall0_{};
    double wall_ = 0;
};

} // namespace peers

#endif
