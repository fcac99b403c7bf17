// 1,000 coroutines contend for one model at 10 requests per minute while the manual clock moves
// in random steps over 10 simulated minutes: no window of 60 s + margin ever holds more than
// 10 admissions, the limit is used (not starved), and admission follows priority, then FIFO.
#include "limiter_support.hpp"

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/experimental/as_tuple.hpp>
#include <asio/experimental/awaitable_operators.hpp>
#include <asio/steady_timer.hpp>
#include <asio/use_awaitable.hpp>

#include <algorithm>
#include <optional>
#include <random>
#include <vector>

using namespace limiter_test;

namespace {

constexpr auto tuple_awaitable = asio::experimental::as_tuple(asio::use_awaitable);

struct record {
    int priority = 0;
    std::chrono::nanoseconds start_at{-1};   // when it was spawned (scheduled)
    std::size_t start_seq = 0;               // order of async_acquire calls
    llmio::clock_source::time_point started{};
    llmio::clock_source::time_point done_at{};
    std::size_t done_seq = 0;                // order of completions
    std::error_code ec{};
    bool done = false;
};

struct counters {
    std::size_t started = 0;
    std::size_t done = 0;
};

asio::awaitable<void> client(gemini::rate_limiter& limiter, llmio::testing::manual_clock& clock, record& r,
                             counters& n)
{
    const auto ex = co_await asio::this_coro::executor;
    gemini::limiter_ticket ticket(ex);
    ticket.model = "gemini-2.5-flash";
    ticket.priority = r.priority;
    r.start_seq = n.started++;
    r.started = clock.now();
    auto [ec] = co_await limiter.async_acquire(ticket, tuple_awaitable);
    r.ec = ec;
    r.done_at = clock.now();
    r.done_seq = n.done++;
    r.done = true;
}

} // namespace

TEST_CASE("1,000 coroutines at rpm=10 over 10 simulated minutes", "[limiter][rpm][contention]")
{
    const auto seed = GENERATE(1u, 2u, 3u);
    CAPTURE(seed);
    std::mt19937_64 rng(seed);
    constexpr std::size_t clients = 1000;
    constexpr auto span = std::chrono::nanoseconds(600s);
    constexpr auto window = std::chrono::nanoseconds(61s);

    llmio::testing::manual_clock clock;
    asio::io_context io;
    auto limiter = std::make_unique<gemini::rate_limiter>(io.get_executor(), gemini::limiter_options{.clock = &clock});
    limiter->add_project("p", {.requests_per_minute = 10});

    // A burst of 200 at the start, the rest spread over the 10 minutes; priorities 0..2.
    std::vector<record> r(clients);
    std::uniform_int_distribution<std::int64_t> when(0, span.count() - 1);
    std::uniform_int_distribution<int> prio(0, 2);
    for (std::size_t i = 0; i < clients; ++i) {
        r[i].priority = prio(rng);
        r[i].start_at = i < 200 ? 0ns : std::chrono::nanoseconds(when(rng));
    }
    std::vector<std::size_t> by_start(clients);
    for (std::size_t i = 0; i < clients; ++i) {
        by_start[i] = i;
    }
    std::stable_sort(by_start.begin(), by_start.end(), [&](auto a, auto b) { return r[a].start_at < r[b].start_at; });

    counters n;
    std::size_t next = 0;
    const auto t0 = clock.now();
    std::uniform_int_distribution<std::int64_t> step(1, std::chrono::nanoseconds(5s).count());
    while (clock.now() - t0 < span || next < clients) {
        while (next < clients && r[by_start[next]].start_at <= clock.now() - t0) {
            asio::co_spawn(io, client(*limiter, clock, r[by_start[next]], n), asio::detached);
            ++next;
        }
        io.restart();
        io.poll();
        clock.advance(std::chrono::nanoseconds(step(rng)));
    }
    io.restart();
    io.poll();
    REQUIRE(next == clients);
    REQUIRE(n.started == clients);

    std::vector<const record*> admitted;
    for (const auto& x : r) {
        if (x.done) {
            CHECK_FALSE(x.ec);
            admitted.push_back(&x);
        }
    }
    CHECK(limiter->waiting() == clients - admitted.size());
    // Ten windows of 61 s fit in 600 s: the backlog never runs dry, so the limit is used.
    CHECK(admitted.size() >= 90);
    CHECK(admitted.size() <= 100);

    // No window of 61 s holds more than 10 admissions.
    std::vector<llmio::clock_source::time_point> times;
    for (const auto* x : admitted) {
        times.push_back(x->done_at);
    }
    std::sort(times.begin(), times.end());
    std::size_t violations = 0;
    for (std::size_t i = 0; i + 10 < times.size(); ++i) {
        if (times[i + 10] - times[i] < window) {
            ++violations;
        }
    }
    CHECK(violations == 0);

    // Order: nobody of at least X's priority who asked before X is still waiting or admitted
    // after X; nobody of higher priority who was queued before X's admission either. Within
    // one priority, completions come in the order of the calls.
    std::size_t order_violations = 0;
    for (const auto* x : admitted) {
        for (const auto& y : r) {
            if (&y == x) {
                continue;
            }
            const bool ahead = (y.priority >= x->priority && y.start_seq < x->start_seq) ||
                               (y.priority > x->priority && y.started < x->done_at);
            if (ahead && (!y.done || y.done_at > x->done_at)) {
                if (order_violations++ < 3) {
                    UNSCOPED_INFO("ahead: x prio " << x->priority << " seq " << x->start_seq << " started "
                                  << (x->started - t0).count() << " done " << (x->done_at - t0).count() << "; y prio "
                                  << y.priority << " seq " << y.start_seq << " started " << (y.started - t0).count()
                                  << " done " << y.done << " " << (y.done_at - t0).count());
                }
            }
            if (y.done && y.priority == x->priority && (y.start_seq < x->start_seq) != (y.done_seq < x->done_seq)) {
                if (order_violations++ < 3) {
                    UNSCOPED_INFO("fifo: x seq " << x->start_seq << " done_seq " << x->done_seq << "; y seq " << y.start_seq
                                  << " done_seq " << y.done_seq);
                }
            }
        }
    }
    CHECK(order_violations == 0);

    // The limiter's end aborts the rest; every coroutine finishes.
    limiter.reset();
    io.restart();
    io.poll();
    CHECK(n.done == clients);
    for (const auto& x : r) {
        if (x.done_seq >= admitted.size()) {
            CHECK(x.ec == asio::error::operation_aborted);
        }
    }
    CHECK(clock.armed() == 0);
}

TEST_CASE("awaitable operators: a timer that wins cancels the waiting acquisition", "[limiter][cancel]")
{
    using namespace asio::experimental::awaitable_operators;
    llmio::testing::manual_clock clock;
    asio::io_context io;
    gemini::rate_limiter limiter(io.get_executor(), {.clock = &clock});
    limiter.add_project("p", {.requests_per_minute = 1});
    gemini::limiter_ticket first(io.get_executor());
    first.model = "m";
    bool first_ok = false;
    limiter.async_acquire(first, [&](std::error_code ec) { first_ok = !ec; });

    std::optional<std::size_t> winner;
    asio::co_spawn(io, [&]() -> asio::awaitable<void> {
        const auto ex = co_await asio::this_coro::executor;
        gemini::limiter_ticket ticket(ex);
        ticket.model = "m";
        asio::steady_timer timeout(ex);
        clock.arm(timeout, clock.now() + 5s);
        // Named first: g++ 12 destroys temporaries of a co_await expression twice.
        auto acquire = limiter.async_acquire(ticket, asio::use_awaitable);
        auto wait = timeout.async_wait(tuple_awaitable);
        auto either = std::move(acquire) || std::move(wait);
        auto result = co_await std::move(either);
        clock.disarm(timeout);
        winner = result.index();
    }, asio::detached);
    io.poll();
    CHECK(first_ok);
    CHECK(limiter.waiting() == 1);
    clock.advance(5s);
    io.restart();
    io.poll();
    REQUIRE(winner);
    CHECK(*winner == 1);
    CHECK(limiter.waiting() == 0);
}

TEST_CASE("the system clock: a pause ends on real time and run() returns", "[limiter][realtime]")
{
    asio::io_context io;
    gemini::rate_limiter limiter(io.get_executor());
    limiter.add_project("p");
    limiter.pause(0, "m", 20ms);
    gemini::limiter_ticket a(io.get_executor());
    a.model = "m";
    gemini::limiter_ticket late(io.get_executor());
    late.model = "m";
    late.deadline = llmio::clock_source::system().now() + 5ms;   // before the pause ends
    std::optional<std::error_code> ra;
    std::optional<std::error_code> rlate;
    limiter.async_acquire(a, [&](std::error_code ec) { ra = ec; });
    limiter.async_acquire(late, [&](std::error_code ec) { rlate = ec; });
    io.run();   // returns once nothing is pending: the limiter leaves no timer behind
    REQUIRE(ra);
    CHECK_FALSE(*ra);
    CHECK(a.waited() >= 20ms);
    REQUIRE(rlate);
    CHECK(*rlate == limiter_error::would_exceed_deadline);
}
