// bench/harness/cpu.hpp: the harness's own CPU use, so a report can say when its numbers
// describe the client rather than the server.
//
// A load generator that saturates its core delays reading responses, and the delay shows up
// as server latency (the Python harnesses do this at a few hundred streams). llmio-bench
// samples CPU time (user + system) and wall time at both ends of the measured window; CPU % =
// CPU time / wall time, 100% = one core fully busy. Past `cpu_warning_percent` of the cores
// the harness uses, reports warn. Two scopes: the whole process (getrusage(RUSAGE_SELF), every
// thread) or the calling thread only (getrusage(RUSAGE_THREAD), Linux): llmio-bench runs the
// embedded mock server on a thread of its own, whose CPU is the server's and not the
// harness's, so it samples its client thread alone (from that thread, at both ends).
#ifndef LLMIO_BENCH_HARNESS_CPU_HPP
#define LLMIO_BENCH_HARNESS_CPU_HPP

#include <sys/resource.h>
#include <sys/time.h>

#include <chrono>

namespace llmio::bench {

/// Process CPU time and wall time at one instant.
struct cpu_sample {
    std::chrono::nanoseconds user{};
    std::chrono::nanoseconds system{};
    std::chrono::steady_clock::time_point wall{};
};

/// CPU used between two samples.
struct cpu_usage {
    std::chrono::nanoseconds user{};
    std::chrono::nanoseconds system{};
    std::chrono::nanoseconds wall{};

    [[nodiscard]] std::chrono::nanoseconds cpu() const noexcept { return user + system; }
    /// CPU time over wall time in percent (100 = one core); 0 when no wall time passed.
    [[nodiscard]] double percent() const noexcept
    {
        return wall.count() > 0 ? 100.0 * static_cast<double>(cpu().count()) / static_cast<double>(wall.count()) : 0;
    }
};

/// The share of a core above which the harness warns (the 70%).
inline constexpr double cpu_warning_percent = 70.0;

/// Whose CPU time a sample counts.
enum class cpu_scope {
    process,   ///< every thread of the process (RUSAGE_SELF)
    thread,    ///< the calling thread only (RUSAGE_THREAD; Linux): sample it from that thread
};

/// CPU time now (zero if getrusage fails, which it does not for RUSAGE_SELF or, on Linux,
/// RUSAGE_THREAD). Both samples of a cpu_between must have the same scope, and for
/// cpu_scope::thread come from the same thread.
[[nodiscard]] inline cpu_sample sample_cpu(cpu_scope scope = cpu_scope::process) noexcept
{
    cpu_sample s;
    s.wall = std::chrono::steady_clock::now();
    rusage r{};
#ifdef RUSAGE_THREAD
    const int who = scope == cpu_scope::thread ? RUSAGE_THREAD : RUSAGE_SELF;
#else
    const int who = RUSAGE_SELF;   // no per-thread accounting here: the process's, all threads
    (void)scope;
#endif
    if (getrusage(who, &r) == 0) {
        const auto ns = [](const timeval& tv) {
            return std::chrono::seconds(tv.tv_sec) + std::chrono::microseconds(tv.tv_usec);
        };
        s.user = ns(r.ru_utime);
        s.system = ns(r.ru_stime);
    }
    return s;
}

[[nodiscard]] inline cpu_usage cpu_between(const cpu_sample& from, const cpu_sample& to) noexcept
{
    return {to.user - from.user, to.system - from.system, to.wall - from.wall};
}

/// True when `percent` (as cpu_usage::percent) is past the warning level for a harness
/// running `threads` busy threads (the level scales with them: 70% of each core).
[[nodiscard]] constexpr bool cpu_warning(double percent, int threads = 1) noexcept
{
    return percent > cpu_warning_percent * (threads > 0 ? threads : 1);
}

} // namespace llmio::bench

#endif
