// The reference client: wrk (one thread, N keep-alive connections, C and its own event loop),
// run as a child against the same mock server process right next to llmio's run, so that both
// see the same server and the same machine noise.
#ifndef LLMIO_BENCH_TRANSPORT_WRK_HPP
#define LLMIO_BENCH_TRANSPORT_WRK_HPP

#include "scenario.hpp"

#include <cmath>
#include <cstdlib>
#include <string>
#include <string_view>

namespace bench::transport::wrk {

/// The number after `label` in wrk's report, or -1.
[[nodiscard]] inline double number_after(std::string_view report, std::string_view label)
{
    const std::size_t at = report.find(label);
    if (at == std::string_view::npos) {
        return -1;
    }
    return std::strtod(std::string(report.substr(at + label.size(), 32)).c_str(), nullptr);
}

/// `N requests in 3.00s`: the count is the number before " requests in".
[[nodiscard]] inline double requests_in(std::string_view report)
{
    const std::size_t at = report.find(" requests in ");
    if (at == std::string_view::npos) {
        return -1;
    }
    const std::size_t start = report.find_last_not_of("0123456789", at - 1) + 1;   // npos + 1 == 0
    return std::strtod(std::string(report.substr(start, at - start)).c_str(), nullptr);
}

/// `wrk -t1 -cN -dDs URL`. wrk's CPU comes from wait4() on it; the server's from /proc.
[[nodiscard]] inline load_result run(const std::string& program, const mock_process& server, std::size_t connections,
                                     double duration)
{
    const long whole_seconds = std::lround(std::ceil(duration));   // wrk takes whole seconds
    load_result r;
    const double server_cpu = server.child.running_cpu_seconds();
    auto child = child_process::spawn({program, "-t1", "-c" + std::to_string(connections),
                                       "-d" + std::to_string(whole_seconds) + "s", server.url(unary_target)});
    if (!child) {
        r.errors = 1;
        r.first_error = "cannot start " + program;
        return r;
    }
    const std::string report = child->read_all();
    child->wait();
    r.server_cpu_seconds = server.child.running_cpu_seconds() - server_cpu;
    r.cpu_seconds = cpu_seconds(child->usage());
    const double rps = number_after(report, "Requests/sec:");
    const double count = requests_in(report);
    if (rps <= 0 || count <= 0) {
        r.errors = 1;
        r.first_error = "unreadable wrk report: " + report;
        return r;
    }
    r.requests = static_cast<std::uint64_t>(count);
    r.seconds = count / rps;
    if (report.find("Socket errors") != std::string::npos || report.find("Non-2xx") != std::string::npos) {
        r.errors = 1;
        r.first_error = "wrk saw errors";
    }
    return r;
}

} // namespace bench::transport::wrk

#endif // LLMIO_BENCH_TRANSPORT_WRK_HPP
