// Tests of bench/harness/cpu.hpp: the percentage arithmetic, the warning level, and that the
// process's CPU time moves when the process works.
#include "harness/cpu.hpp"

#include "support/catch.hpp"

#include <chrono>
#include <cstdint>

using namespace std::chrono_literals;

TEST_CASE("cpu: percent of one core over an interval", "[bench][cpu]")
{
    llmio::bench::cpu_sample a, b;
    a.wall = std::chrono::steady_clock::time_point{} + 10s;
    b.wall = a.wall + 2s;
    a.user = 1s;
    b.user = 1s + 600ms;
    a.system = 100ms;
    b.system = 500ms;
    const auto u = llmio::bench::cpu_between(a, b);
    CHECK(u.user == 600ms);
    CHECK(u.system == 400ms);
    CHECK(u.cpu() == 1s);
    CHECK(u.wall == 2s);
    CHECK(u.percent() == 50.0);
    CHECK(llmio::bench::cpu_usage{}.percent() == 0);   // no wall time: no division
    const llmio::bench::cpu_usage two_threads{1500ms, 500ms, 1s};
    CHECK(two_threads.percent() == 200.0);             // more than one core is over 100%
}

TEST_CASE("cpu: the 70% warning", "[bench][cpu]")
{
    CHECK_FALSE(llmio::bench::cpu_warning(69.9));
    CHECK_FALSE(llmio::bench::cpu_warning(70.0));
    CHECK(llmio::bench::cpu_warning(70.1));
    CHECK_FALSE(llmio::bench::cpu_warning(139.0, 2));   // 70% of each of two cores
    CHECK(llmio::bench::cpu_warning(141.0, 2));
    CHECK(llmio::bench::cpu_warning(71.0, 0));           // nonsense thread counts mean one
    static_assert(!llmio::bench::cpu_warning(10.0));
}

TEST_CASE("cpu: work shows up as process CPU time", "[bench][cpu]")
{
    const auto before = llmio::bench::sample_cpu();
    // Work until getrusage's clock has moved (its resolution is the scheduler tick or finer);
    // no time limit: the loop ends as soon as any CPU time has been accounted.
    volatile std::uint64_t sink = 0;
    llmio::bench::cpu_usage used;
    do {
        for (int i = 0; i < 1'000'000; ++i)
            sink = sink + static_cast<std::uint64_t>(i) * 2654435761u;
        used = llmio::bench::cpu_between(before, llmio::bench::sample_cpu());
    } while (used.cpu() == 0ns);
    CHECK(used.cpu() > 0ns);
    CHECK(used.user >= 0ns);
    CHECK(used.system >= 0ns);
    CHECK(used.wall > 0ns);
    CHECK(used.percent() > 0);
}
