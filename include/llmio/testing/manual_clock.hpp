// llmio/testing/manual_clock.hpp: a clock_source that moves only when a test says so.
//
//     llmio::testing::manual_clock clock;            // steady time starts at an arbitrary epoch
//     options.clock = &clock;                        // give it to the client / limiter
//     ... start a request that will back off for 2 s ...
//     clock.advance(std::chrono::seconds(2));        // wakes every timer armed for <= now()
//     io.run_one();                                  // ... and the waiter runs
//
// Timers armed through it never expire on their own: their expiry is set to "never", and
// advance() cancels those whose time has come (the waiter re-reads now(), see clock.hpp).
// Not thread-safe: use it from the thread that runs the timers' executor.
#ifndef LLMIO_TESTING_MANUAL_CLOCK_HPP
#define LLMIO_TESTING_MANUAL_CLOCK_HPP

#include <llmio/clock.hpp>

#include <algorithm>
#include <chrono>
#include <vector>

namespace llmio::testing {

class manual_clock final : public clock_source {
public:
    /// Steady time starts at `start` (a fixed point, so runs are repeatable); wall time at
    /// `system_start` (2026-01-15 12:00:00 UTC unless given).
    explicit manual_clock(time_point start = time_point(std::chrono::hours(1000)),
                          std::chrono::system_clock::time_point system_start
                          = std::chrono::system_clock::time_point(std::chrono::seconds(1768478400)))
        : now_(start), system_(system_start)
    {
    }

    [[nodiscard]] time_point now() const noexcept override { return now_; }
    [[nodiscard]] std::chrono::system_clock::time_point system_now() const noexcept override
    {
        return system_;
    }

    void arm(asio::steady_timer& timer, time_point t) override
    {
        disarm(timer);
        timer.expires_at(time_point::max());
        if (t <= now_) {
            // Already due: complete the next wait at once.
            timer.expires_at(std::chrono::steady_clock::time_point::min());
            return;
        }
        armed_.push_back({&timer, t});
    }

    void disarm(asio::steady_timer& timer) noexcept override
    {
        std::erase_if(armed_, [&](const entry& e) { return e.timer == &timer; });
    }

    /// Moves both clocks forward by `d` and wakes every timer whose time has come, earliest
    /// first.
    void advance(duration d)
    {
        now_ += d;
        system_ += std::chrono::duration_cast<std::chrono::system_clock::duration>(d);
        wake();
    }

    /// Sets the wall clock alone (steady time does not jump), e.g. to a minute before a
    /// daylight-saving transition.
    void set_system_now(std::chrono::system_clock::time_point t) noexcept { system_ = t; }

    /// Timers armed and not yet woken.
    [[nodiscard]] std::size_t armed() const noexcept { return armed_.size(); }
    /// The earliest armed time (time_point::max() when none).
    [[nodiscard]] time_point next_expiry() const noexcept
    {
        time_point t = time_point::max();
        for (const entry& e : armed_) {
            t = std::min(t, e.at);
        }
        return t;
    }

private:
    struct entry {
        asio::steady_timer* timer;
        time_point at;
    };

    void wake()
    {
        std::vector<entry> due;
        std::erase_if(armed_, [&](const entry& e) {
            if (e.at <= now_) {
                due.push_back(e);
                return true;
            }
            return false;
        });
        std::stable_sort(due.begin(), due.end(), [](const entry& a, const entry& b) { return a.at < b.at; });
        for (const entry& e : due) {
            // Completes a pending wait now, and any wait started later at once.
            e.timer->expires_at(std::chrono::steady_clock::time_point::min());
        }
    }

    time_point now_;
    std::chrono::system_clock::time_point system_;
    std::vector<entry> armed_;
};

} // namespace llmio::testing

#endif // LLMIO_TESTING_MANUAL_CLOCK_HPP
