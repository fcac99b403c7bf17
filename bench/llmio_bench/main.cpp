// llmio-bench: the load harness for throughput tuning (issue 5). It drives a streaming LLM
// endpoint (the embedded mock by default, a Gemini endpoint, or an OpenAI-compatible one) in
// closed loop at a concurrency or open loop at a request rate, over one load or a sweep, and
// reports TTFT, ITL, TPOT, end-to-end latency, throughput, goodput, errors by kind, retries,
// limiter wait and dispatch delay (definitions: bench/harness/metrics.hpp), with the client
// thread's own CPU use and a warning past 70% of a core.
//
//     llmio-bench --concurrency 64 --duration 10 --warmup 2
//     llmio-bench --rate 200 --arrival poisson --duration 20 --json run.json --svg cdf.svg
//     llmio-bench --sweep 1,8,64,512 --duration 5 --svg knee.svg --csv knee.csv
//     GEMINI_API_KEY=... llmio-bench --target gemini --model gemini-2.5-flash --concurrency 4 --requests 40
//
// Threads: the client runs on this (the main) thread and one io_context; the embedded mock on
// a thread of its own. Exit status: 0, 1 when a run had no successful request or the target
// could not be set up, 2 for bad flags, 3 when an output file could not be written.
#include "driver.hpp"
#include "harness/report.hpp"
#include "mock_host.hpp"
#include "settings.hpp"
#include "target.hpp"

#include <asio/io_context.hpp>

#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <exception>
#include <fstream>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace {

using namespace llmio::bench;
using namespace llmio::bench::program;

/// Open files up to the hard limit: 1,000 streams need about 2,000 descriptors with the
/// in-process mock (both ends of every connection). Returns the soft limit now in force.
rlim_t raise_open_files_limit()
{
    rlimit l{};
    if (getrlimit(RLIMIT_NOFILE, &l) != 0) {
        return 0;
    }
    if (l.rlim_cur < l.rlim_max) {
        l.rlim_cur = l.rlim_max;
        (void)setrlimit(RLIMIT_NOFILE, &l);
        (void)getrlimit(RLIMIT_NOFILE, &l);
    }
    return l.rlim_cur;
}

std::string number_text(double v)
{
    char buf[64];
    std::snprintf(buf, sizeof buf, "%g", v);
    return buf;
}

/// What each run's settings record, in this order (JSON "settings", CSV columns).
std::vector<setting> settings_of(const settings& s, const target& t, const run_plan& plan, const run_outcome& out,
                                 double server_cpu_percent)
{
    std::vector<setting> v;
    v.push_back(text_setting("target", std::string(to_string(s.target))));
    v.push_back(text_setting("api", std::string(to_string(s.api))));
    v.push_back(text_setting("endpoint", t.describe()));
    v.push_back(text_setting("model", s.model));
    v.push_back(text_setting("load", plan.open_loop ? "open" : "closed"));
    if (plan.open_loop) {
        v.push_back(number_setting("rate", plan.rate));
        v.push_back(text_setting("arrival", plan.arrival_kind == arrival::poisson ? "poisson" : "constant"));
        v.push_back(number_setting("max_in_flight", static_cast<double>(plan.max_in_flight)));
    } else {
        v.push_back(number_setting("concurrency", static_cast<double>(plan.concurrency)));
    }
    v.push_back(number_setting("duration_s", std::chrono::duration<double>(plan.duration).count()));
    v.push_back(number_setting("requests", static_cast<double>(plan.requests)));
    v.push_back(number_setting("warmup_s", std::chrono::duration<double>(plan.warmup).count()));
    v.push_back(text_setting("latency_origin", plan.origin == latency_origin::intended ? "intended" : "actual"));
    v.push_back(number_setting("prompt_words", static_cast<double>(s.prompt_words)));
    v.push_back(number_setting("max_output_tokens", s.max_output_tokens));
    if (s.target == target_kind::mock) {
        v.push_back(number_setting("mock_ttft_ms", s.mock_ttft_ms));
        v.push_back(number_setting("mock_itl_ms", s.mock_itl_ms));
        v.push_back(number_setting("mock_events", static_cast<double>(s.mock_events)));
        v.push_back(number_setting("mock_words_per_event", static_cast<double>(s.mock_words)));
        v.push_back(text_setting("mock_tls", s.mock_tls ? "true" : "false"));
        v.push_back(text_setting("mock_fault", s.mock_fault.empty() ? "none" : s.mock_fault));
        v.push_back(number_setting("mock_server_cpu_percent", server_cpu_percent));
    }
    // What the run did besides its metrics.
    v.push_back(number_setting("requests_started", static_cast<double>(out.started)));
    v.push_back(number_setting("peak_in_flight", static_cast<double>(out.peak_in_flight)));
    v.push_back(number_setting("stream_objects", static_cast<double>(out.slots)));
    v.push_back(number_setting("batch_us", static_cast<double>(plan.batch.count())));
    v.push_back(text_setting("client_cpu_scope", "client thread (getrusage RUSAGE_THREAD)"));
    return v;
}

bool write_file(const std::string& path, const auto& write)
{
    std::ofstream f(path, std::ios::binary | std::ios::trunc);
    if (!f) {
        std::fprintf(stderr, "llmio-bench: cannot write %s\n", path.c_str());
        return false;
    }
    write(f);
    f.flush();
    if (!f) {
        std::fprintf(stderr, "llmio-bench: cannot write %s\n", path.c_str());
        return false;
    }
    return true;
}

/// One line per run of a sweep, after the runs' tables.
void print_sweep_summary(const std::vector<run_report>& reports)
{
    std::printf("\n%-22s %10s %10s %10s %10s %10s %10s %10s %7s\n", "run", "req/s", "tokens/s", "TTFT p50",
                "TTFT p99", "ITL p50", "ITL p99", "e2e p99", "CPU %");
    for (const run_report& r : reports) {
        const metrics& m = *r.result;
        const auto ms = [](const histogram& h, double p) {
            return h.empty() ? std::nan("") : static_cast<double>(h.value_at_percentile(p)) / 1e6;
        };
        std::printf("%-22s %10.1f %10.1f %10.2f %10.2f %10.3f %10.3f %10.2f %7.1f%s\n", r.label.c_str(),
                    m.requests_per_s(), m.output_tokens_per_s(), ms(m.ttft(), 50), ms(m.ttft(), 99), ms(m.itl(), 50),
                    ms(m.itl(), 99), ms(m.e2e(), 99), r.client_cpu_percent,
                    cpu_warning(r.client_cpu_percent) ? "  !" : "");
    }
    std::printf("(latencies in ms; \"!\": client CPU above 70%%, the numbers may describe the harness)\n");
}

int run_program(const settings& s)
{
    const rlim_t files = raise_open_files_limit();
    (void)tighten_timer_slack();   // the open-loop dispatcher's timer fires when due

    const std::size_t largest_concurrency =
        s.sweep.empty() || s.open_loop ? s.concurrency
                                       : static_cast<std::size_t>(*std::max_element(s.sweep.begin(), s.sweep.end()));
    const std::size_t connections = s.open_loop ? s.max_in_flight : largest_concurrency;
    const std::size_t fds_wanted = connections * (s.target == target_kind::mock ? 2 : 1) + 64;
    if (files != 0 && files < fds_wanted) {
        std::fprintf(stderr, "llmio-bench: warning: open files limited to %llu; about %zu wanted\n",
                     static_cast<unsigned long long>(files), fds_wanted);
    }

    mock_host mock;
    const mock_endpoint_info* mock_endpoint = nullptr;
    if (s.target == target_kind::mock) {
        if (const std::error_code ec = mock.start(s)) {
            std::fprintf(stderr, "llmio-bench: cannot start the mock server: %s%s\n", ec.message().c_str(),
                         s.mock_fault.empty() ? "" : " (is --mock-fault a fault name?)");
            return ec == std::errc::invalid_argument ? 2 : 1;
        }
        mock_endpoint = &mock.endpoint();
    }

    asio::io_context io(1);
    std::unique_ptr<target> t;
    try {
        t = s.api == api_kind::gemini ? make_gemini_target(io, s, mock_endpoint, connections)
                                      : make_openai_target(io, s, mock_endpoint, connections);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "llmio-bench: cannot set up the target: %s\n", e.what());
        return 1;
    }
    std::fprintf(stderr, "llmio-bench: %s\n", t->describe().c_str());

    std::vector<run_plan> plans;
    const std::vector<double> points = s.sweep.empty() ? std::vector<double>{s.open_loop ? s.rate : static_cast<double>(s.concurrency)}
                                                       : s.sweep;
    const bool terminal = ::isatty(STDERR_FILENO) != 0;
    for (const double point : points) {
        run_plan p;
        p.open_loop = s.open_loop;
        if (s.open_loop) {
            p.rate = point;
            p.label = "rate " + number_text(point) + "/s";
        } else {
            p.concurrency = static_cast<std::size_t>(point);
            p.label = "concurrency " + number_text(point);
        }
        p.arrival_kind = s.arrival_kind;
        p.seed = s.seed;
        p.max_in_flight = s.max_in_flight;
        p.duration = s.duration;
        p.requests = s.requests;
        p.warmup = s.warmup;
        p.origin = s.origin;
        p.goodput = s.goodput;
        if (!s.quiet) {
            p.progress_period = s.progress_period.count() > 0 ? s.progress_period
                                : terminal ? std::chrono::milliseconds(250)
                                           : std::chrono::milliseconds(5000);
        }
        p.progress_in_place = terminal;
        p.batch = s.batch;
        plans.push_back(p);
    }

    slot_pool slots(*t);
    std::vector<std::unique_ptr<run_outcome>> outcomes;
    std::vector<run_report> reports;
    int status = 0;
    for (const run_plan& p : plans) {
        const double server0 = mock_endpoint != nullptr ? mock.cpu_seconds() : -1;
        const auto wall0 = std::chrono::steady_clock::now();
        outcomes.push_back(run_load(io, slots, p));
        const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - wall0).count();
        const double server_cpu =
            mock_endpoint != nullptr && server0 >= 0 ? 100.0 * (mock.cpu_seconds() - server0) / std::max(wall, 1e-9) : -1;
        const run_outcome& out = *outcomes.back();
        run_report r;
        r.label = p.label;
        r.settings = settings_of(s, *t, p, out, server_cpu);
        r.result = &out.result;
        r.client_cpu_percent = out.client_cpu.percent();
        r.client_threads = 1;
        write_table(std::cout, r);
        std::cout << std::endl;
        if (out.result.succeeded() == 0) {
            status = 1;
        }
        reports.push_back(std::move(r));
    }
    if (reports.size() > 1) {
        print_sweep_summary(reports);
    }
    std::fflush(stdout);

    if (!s.json_path.empty() &&
        !write_file(s.json_path, [&](std::ostream& o) {
            if (reports.size() == 1) {
                write_json(o, reports.front());
            } else {
                write_json(o, std::span<const run_report>(reports));
            }
        })) {
        status = 3;
    }
    if (!s.csv_path.empty() &&
        !write_file(s.csv_path, [&](std::ostream& o) { write_csv(o, std::span<const run_report>(reports)); })) {
        status = 3;
    }
    if (!s.svg_path.empty() && !write_file(s.svg_path, [&](std::ostream& o) {
            const std::string title = "llmio-bench: " + t->describe();
            if (reports.size() == 1) {
                write_cdf_svg(o, reports.front(), title);
            } else {
                write_sweep_svg(o, std::span<const run_report>(reports), title);
            }
        })) {
        status = 3;
    }

    // Streams before their client; the client's connections closed before the mock stops.
    slots.clear();
    t->shutdown();
    io.restart();
    io.run_for(std::chrono::seconds(2));
    t.reset();
    return status;
}

} // namespace

int main(int argc, char** argv)
{
    settings s;
    const std::string problem = parse_settings(argc, argv, s);
    if (problem == "help") {
        std::fputs(usage_text().data(), stdout);
        return 0;
    }
    if (!problem.empty()) {
        std::fprintf(stderr, "llmio-bench: %s\n", problem.c_str());
        return 2;
    }
    try {
        return run_program(s);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "llmio-bench: %s\n", e.what());
        return 1;
    }
}
