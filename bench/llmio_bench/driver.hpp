// bench/llmio_bench/driver.hpp: one load run on the caller's io_context (one thread: the
// client's), closed or open loop, into a metrics collection.
//
// Closed loop: `concurrency` workers, each with a request slot of its own (a reused
// gemini::stream), sending request after request until the run ends. Latencies count from the
// actual start (there is no schedule).
//
// Open loop: one dispatcher walks the arrival schedule (harness/load.hpp): it waits on a
// steady_timer until each intended send time, takes a free slot from the pool (making one when
// all are busy: the pool grows to the largest number in flight and is kept for the next run)
// and starts the request. Latencies count from the intended time, so a harness or client that
// falls behind shows it in TTFT and e2e (no coordinated omission); how late each request was
// actually handed over is recorded as dispatch delay. At `max_in_flight` the dispatcher waits
// for one to end (that wait is dispatch delay too).
//
// The window: requests whose origin is before `start + warmup` are warm-up (metrics.hpp drops
// them). Duration mode: no request is started whose origin is at or after `window begin +
// duration`; count mode: `requests` measured requests are started. Requests in flight at the
// end are finished and counted (the interval then ends at the last chunk: metrics.hpp).
//
// Wake-up coalescing (`batch` > 0). A thread blocked in epoll_wait is woken by the kernel for
// every arrival; at tens of thousands of events a second, paced so that they rarely coincide,
// the wake-ups (a cross-CPU interrupt, a context switch, an epoll_wait per event) cost about
// as much as reading and decoding the events: on this project's 2-core VMs about 10 us per
// event for any client, llmio's or the hand-written Asio floor (bench/peers, paced runs).
// With `batch` set, the thread runs io_context::poll() (every ready handler, and what they
// post) and, when nothing was ready, sleeps `batch` instead of blocking: each round takes
// whatever arrived during the sleep. Every timestamp is then late by at most `batch` (TTFT and
// e2e by about batch / 2 on average; ITL, a difference of two such delays, is unbiased), and
// the thread wakes once per round (a local timer) instead of once per event. poll() returns
// Asio's per-thread recycled memory at the end of each call, so rounds allocate a little.
//
// CPU: the calling thread's (getrusage(RUSAGE_THREAD)), sampled on it when the window begins
// and when the last request has ended. The io_context is stopped when the run's own work is
// done (the client keeps timers pending between requests, so run() would not return by
// itself); call run_load again for the next point of a sweep.
#ifndef LLMIO_BENCH_LLMIO_BENCH_DRIVER_HPP
#define LLMIO_BENCH_LLMIO_BENCH_DRIVER_HPP

#include "harness/cpu.hpp"
#include "harness/load.hpp"
#include "harness/metrics.hpp"
#include "target.hpp"

#include <asio/io_context.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace llmio::bench::program {

/// Reusable request slots of one target, kept across the runs of a sweep.
class slot_pool {
public:
    explicit slot_pool(target& t) : target_(t) {}

    [[nodiscard]] request_slot* take();
    void give(request_slot* s) { free_.push_back(s); }
    /// Slots made so far.
    [[nodiscard]] std::size_t size() const noexcept { return all_.size(); }
    /// Destroys every slot (all must be free): before the target goes.
    void clear() noexcept;

private:
    target& target_;
    std::vector<std::unique_ptr<request_slot>> all_;
    std::vector<request_slot*> free_;
};

struct run_plan {
    std::string label{};
    bool open_loop = false;
    std::size_t concurrency = 1;
    double rate = 0;
    arrival arrival_kind = arrival::poisson;
    std::uint64_t seed = 0;
    std::size_t max_in_flight = 4096;
    std::chrono::nanoseconds duration{};
    std::uint64_t requests = 0;
    std::chrono::nanoseconds warmup{};
    latency_origin origin = latency_origin::intended;
    goodput_limits goodput{};
    /// Progress lines: none when zero.
    std::chrono::milliseconds progress_period{};
    /// Redraw the progress line in place (a terminal) instead of printing plain lines.
    bool progress_in_place = false;
    /// Wake-up coalescing (see the header comment): 0 = off, the thread blocks in epoll_wait
    /// and wakes for every arrival.
    std::chrono::microseconds batch{};
};

struct run_outcome {
    metrics result;
    /// The client thread over the measured window.
    cpu_usage client_cpu{};
    /// Requests started, warm-up included.
    std::uint64_t started = 0;
    std::size_t peak_in_flight = 0;
    /// Slots in the pool after the run.
    std::size_t slots = 0;

    explicit run_outcome(metrics_options o) : result(o) {}
};

/// Runs one load on `io` (whose run() is called here, on this thread) and returns what it
/// measured. Rethrows an exception a request slot threw (std::bad_alloc).
[[nodiscard]] std::unique_ptr<run_outcome> run_load(asio::io_context& io, slot_pool& slots, const run_plan& plan);

} // namespace llmio::bench::program

#endif
