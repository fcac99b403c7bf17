// bench/llmio_bench/driver.cpp: closed and open loop (driver.hpp).
#include "driver.hpp"

#include <asio/co_spawn.hpp>
#include <asio/experimental/as_tuple.hpp>
#include <asio/steady_timer.hpp>
#include <asio/use_awaitable.hpp>

#include <time.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <exception>
#include <string>

namespace llmio::bench::program {

request_slot* slot_pool::take()
{
    if (free_.empty()) {
        all_.push_back(target_.make_slot());
        return all_.back().get();
    }
    request_slot* s = free_.back();
    free_.pop_back();
    return s;
}

void slot_pool::clear() noexcept
{
    free_.clear();
    all_.clear();
}

namespace {

using clock_type = std::chrono::steady_clock;
constexpr auto tuple_awaitable = asio::experimental::as_tuple(asio::use_awaitable);

class run_state {
public:
    run_state(asio::io_context& io, slot_pool& slots, const run_plan& plan)
        : io_(io), slots_(slots), plan_(plan), out_(std::make_unique<run_outcome>(metrics_options{})),
          progress_timer_(io), window_timer_(io), dispatch_timer_(io), space_timer_(io)
    {
    }

    std::unique_ptr<run_outcome> run()
    {
        start_ = clock_type::now();
        window_begin_ = start_ + plan_.warmup;
        stop_at_ = window_begin_ + plan_.duration;
        metrics_options mo;
        mo.window_begin = window_begin_;
        mo.origin = plan_.origin;
        mo.limits = plan_.goodput;
        out_ = std::make_unique<run_outcome>(mo);

        if (plan_.warmup.count() > 0) {
            spawn(begin_window());
        } else {
            cpu_begin_ = sample_cpu(cpu_scope::thread);
            cpu_begun_ = true;
        }
        if (plan_.progress_period.count() > 0) {
            spawn(progress());
        }

        if (plan_.open_loop) {
            spawn(dispatch());
        } else {
            workers_left_ = plan_.concurrency;
            for (std::size_t i = 0; i < plan_.concurrency; ++i) {
                spawn(worker());
            }
        }
        io_.restart();
        if (plan_.batch.count() > 0) {
            run_coalesced();
        } else {
            io_.run();
        }
        if (failure_) {
            std::rethrow_exception(failure_);
        }
        out_->slots = slots_.size();
        return std::move(out_);
    }

private:
    template <class Awaitable>
    void spawn(Awaitable a)
    {
        ++coroutines_;
        asio::co_spawn(io_, std::move(a), [this](std::exception_ptr e) {
            if (e && !failure_) {
                failure_ = e;
                stopping_ = true;
                finish();   // requests in flight end as they will; nothing new starts
            }
            if (--coroutines_ == 0) {
                io_.stop();   // the run's own work is done; the client's timers stay pending
            }
        });
    }

    /// Whether a request whose origin is `origin` may start; counts it.
    bool admit(steady_time origin)
    {
        if (stopping_) {
            return false;
        }
        const bool measured = origin >= window_begin_;
        if (measured && plan_.duration.count() > 0 && origin >= stop_at_) {
            stopping_ = true;
            return false;
        }
        if (measured && plan_.requests > 0) {
            if (measured_started_ >= plan_.requests) {
                stopping_ = true;
                return false;
            }
            ++measured_started_;
        }
        ++out_->started;
        return true;
    }

    /// The coalescing loop (driver.hpp): run every ready handler (poll() also takes what is
    /// posted meanwhile, so a chain of posts costs no extra round); sleep only when nothing was
    /// ready.
    void run_coalesced()
    {
        timespec pause{0, static_cast<long>(plan_.batch.count()) * 1000};
        while (!io_.stopped()) {
            if (io_.poll() == 0 && !io_.stopped()) {
                timespec left = pause;
                while (::nanosleep(&left, &left) != 0 && errno == EINTR) {
                }
            }
        }
    }

    /// A request with this origin would not be admitted (the run is over by then).
    [[nodiscard]] bool past_the_end(steady_time origin) const noexcept
    {
        if (stopping_) {
            return true;
        }
        if (origin < window_begin_) {
            return false;
        }
        return (plan_.duration.count() > 0 && origin >= stop_at_) ||
               (plan_.requests > 0 && measured_started_ >= plan_.requests);
    }

    /// Counts a request in flight from the moment it is admitted (the dispatcher may admit
    /// several before any of them starts running).
    void admitted() noexcept { out_->peak_in_flight = std::max(out_->peak_in_flight, ++in_flight_); }

    /// One admitted request on `slot`; `intended` unset in closed loop.
    asio::awaitable<void> one_request(request_slot& slot, steady_time intended)
    {
        request_record r;
        r.intended_start = intended;
        r.start = clock_type::now();
        co_await slot.run(r, out_->result);
        --in_flight_;
        ++finished_;
        if (!r.error.empty()) {
            ++errors_;
        }
        out_->result.add(r);
    }

    asio::awaitable<void> worker()
    {
        request_slot* slot = slots_.take();
        while (admit(clock_type::now())) {
            admitted();
            co_await one_request(*slot, {});
        }
        slots_.give(slot);
        if (--workers_left_ == 0) {
            finish();
        }
    }

    asio::awaitable<void> open_request(request_slot* slot, steady_time intended)
    {
        co_await one_request(*slot, intended);
        slots_.give(slot);
        if (waiting_for_space_) {
            space_timer_.cancel();
        }
        if (dispatch_done_ && in_flight_ == 0) {
            finish();
        }
    }

    asio::awaitable<void> dispatch()
    {
        arrival_schedule schedule(plan_.rate, plan_.arrival_kind, plan_.seed);
        for (;;) {
            const steady_time intended = start_ + schedule.next();
            if (past_the_end(intended)) {
                break;   // without waiting for a send time that will not be used
            }
            if (intended > clock_type::now()) {
                dispatch_timer_.expires_at(intended);
                (void)co_await dispatch_timer_.async_wait(tuple_awaitable);
            }
            while (in_flight_ >= plan_.max_in_flight && !stopping_) {
                waiting_for_space_ = true;
                space_timer_.expires_at(steady_time::max());
                (void)co_await space_timer_.async_wait(tuple_awaitable);
                waiting_for_space_ = false;
            }
            if (!admit(intended)) {
                break;
            }
            admitted();
            spawn(open_request(slots_.take(), intended));
        }
        dispatch_done_ = true;
        if (in_flight_ == 0) {
            finish();
        }
    }

    asio::awaitable<void> begin_window()
    {
        window_timer_.expires_at(window_begin_);
        (void)co_await window_timer_.async_wait(tuple_awaitable);
        if (!done_) {
            cpu_begin_ = sample_cpu(cpu_scope::thread);
            cpu_begun_ = true;
        }
    }

    asio::awaitable<void> progress()
    {
        std::uint64_t last_finished = 0;
        steady_time last = clock_type::now();
        bool printed = false;
        while (!done_) {
            progress_timer_.expires_after(plan_.progress_period);
            (void)co_await progress_timer_.async_wait(tuple_awaitable);
            if (done_) {
                break;
            }
            const steady_time now = clock_type::now();
            const double rate = static_cast<double>(finished_ - last_finished) /
                                std::max(std::chrono::duration<double>(now - last).count(), 1e-9);
            last_finished = finished_;
            last = now;
            const metrics& m = out_->result;
            const auto p50 = [](const histogram& h) {
                return h.empty() ? 0.0 : static_cast<double>(h.value_at_percentile(50)) / 1e6;
            };
            std::fprintf(stderr, "%s%s%6.1f s %-9s %8llu done %6zu in flight %9.1f req/s  TTFT p50 %7.2f ms  ITL p50 %6.2f ms  errors %llu%s",
                         plan_.progress_in_place ? "\r" : "", plan_.label.empty() ? "" : (plan_.label + "  ").c_str(),
                         std::chrono::duration<double>(now - start_).count(),
                         now < window_begin_ ? "warm-up" : "measuring", static_cast<unsigned long long>(finished_),
                         in_flight_, rate, p50(m.ttft()), p50(m.itl()), static_cast<unsigned long long>(errors_),
                         plan_.progress_in_place ? "  " : "\n");
            std::fflush(stderr);
            printed = true;
        }
        if (printed && plan_.progress_in_place) {
            std::fputs("\n", stderr);
        }
    }

    void finish()
    {
        if (done_) {
            return;
        }
        done_ = true;
        const cpu_sample end = sample_cpu(cpu_scope::thread);
        if (!cpu_begun_) {
            cpu_begin_ = end;   // the run ended before its window began: nothing measured
        }
        out_->client_cpu = cpu_between(cpu_begin_, end);
        progress_timer_.cancel();
        window_timer_.cancel();
        dispatch_timer_.cancel();
        space_timer_.cancel();
    }

    asio::io_context& io_;
    slot_pool& slots_;
    const run_plan& plan_;
    std::unique_ptr<run_outcome> out_;
    asio::steady_timer progress_timer_, window_timer_, dispatch_timer_, space_timer_;
    steady_time start_{}, window_begin_{}, stop_at_{};
    cpu_sample cpu_begin_{};
    bool cpu_begun_ = false;
    bool stopping_ = false;
    bool done_ = false;
    bool dispatch_done_ = false;
    bool waiting_for_space_ = false;
    std::uint64_t measured_started_ = 0;
    std::uint64_t finished_ = 0;
    std::uint64_t errors_ = 0;
    std::size_t in_flight_ = 0;
    std::size_t workers_left_ = 0;
    std::size_t coroutines_ = 0;
    std::exception_ptr failure_{};
};

} // namespace

std::unique_ptr<run_outcome> run_load(asio::io_context& io, slot_pool& slots, const run_plan& plan)
{
    run_state state(io, slots, plan);
    return state.run();
}

} // namespace llmio::bench::program
