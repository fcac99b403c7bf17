// bench/llmio_bench/mock_host.hpp: the embedded mock server, on a thread of its own with its
// own io_context, as a server elsewhere would be: the driver's io_context then carries the
// client alone, and the harness's CPU (sampled on the client thread) is not the server's.
//
// Pacing: the mock waits `ttft` before a stream's first event and `itl` between events, each
// wait measured from the end of the previous write (mock_server.hpp). The thread asks the
// kernel for 1 ns of timer slack (PR_SET_TIMERSLACK; the default is 50 us for a normal thread)
// so that its timers fire when due rather than up to 50 us late, which is a quarter of the
// 0.2 ms the accuracy test allows on ITL.
#ifndef LLMIO_BENCH_LLMIO_BENCH_MOCK_HOST_HPP
#define LLMIO_BENCH_LLMIO_BENCH_MOCK_HOST_HPP

#include "settings.hpp"
#include "target.hpp"

#include <memory>
#include <string>
#include <system_error>

namespace llmio::bench::program {

class mock_host {
public:
    mock_host();
    /// Stops the server on its thread and joins it.
    ~mock_host();
    mock_host(const mock_host&) = delete;
    mock_host& operator=(const mock_host&) = delete;

    /// Makes the server from the --mock-* settings, binds 127.0.0.1 on a free port and starts
    /// the thread. An error (a bad --mock-fault name: std::errc::invalid_argument) leaves no thread.
    [[nodiscard]] std::error_code start(const settings& s);

    [[nodiscard]] const mock_endpoint_info& endpoint() const noexcept;
    /// CPU time of the server's thread so far, in seconds (from /proc; -1 if unreadable).
    [[nodiscard]] double cpu_seconds() const;

private:
    struct state;
    std::unique_ptr<state> state_;
};

/// Asks the kernel for the least timer slack for the calling thread (see above); false when
/// it refuses (non-Linux).
bool tighten_timer_slack() noexcept;

} // namespace llmio::bench::program

#endif
