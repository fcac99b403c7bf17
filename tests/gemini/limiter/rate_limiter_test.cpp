// The rate limiter on a manual clock: each dimension, several projects, pauses and learned
// limits, deadlines, cancellation and the limiter's end, the usage callback, completion forms.
#include "limiter_support.hpp"

#include <asio/bind_cancellation_slot.hpp>
#include <asio/cancellation_signal.hpp>
#include <asio/use_future.hpp>

#include <algorithm>
#include <future>
#include <vector>

using namespace limiter_test;

TEST_CASE("limiter errors answer condition::rate_limited and say what to do", "[limiter]")
{
    for (const auto e : {limiter_error::would_exceed_deadline, limiter_error::daily_quota_exhausted,
                         limiter_error::request_too_large, limiter_error::no_project}) {
        const std::error_code ec = e;
        CHECK(ec == llmio::condition::rate_limited);
        CHECK(ec != llmio::condition::retryable);
        CHECK(std::string(ec.category().name()) == "llmio.gemini.limiter");
        CHECK(ec.message().find("unknown") == std::string::npos);
    }
    CHECK(std::error_code(limiter_error::would_exceed_deadline).message() ==
          "waiting for the client-side rate limit would pass the request's deadline");
}

TEST_CASE("RPM: exactly N at once, the next when the first leaves the window plus margin", "[limiter][rpm]")
{
    fixture f;
    f.limiter.add_project("p", {.requests_per_minute = 3});
    CHECK(f.limiter.projects() == 1);
    std::vector<acquisition*> a;
    for (int i = 0; i < 4; ++i) {
        a.push_back(&f.acquire());
    }
    // Never inside async_acquire, even when admitted at once.
    for (auto* x : a) {
        CHECK(x->pending());
    }
    f.drain();
    CHECK(a[0]->admitted());
    CHECK(a[1]->admitted());
    CHECK(a[2]->admitted());
    CHECK(a[3]->pending());
    CHECK(a[0]->ticket.waited() == 0ns);
    CHECK(a[0]->ticket.admitted_project() == 0);
    CHECK(f.limiter.waiting() == 1);

    f.advance(60s);
    CHECK(a[3]->pending());
    f.advance(1s - 1ns);
    CHECK(a[3]->pending());
    f.advance(1ns);
    REQUIRE(a[3]->admitted());
    CHECK(a[3]->ticket.waited() == 61s);
    CHECK(f.limiter.waiting() == 0);
    CHECK(f.clock.armed() == 0);   // nothing left waiting on the clock

    // The ticket is reused: the window now holds admissions at 0, 0, 0 (left) and 61 s.
    f.advance(1s);
    f.start(*a[0]);
    f.start(*a[1]);
    f.start(*a[2]);
    f.drain();
    CHECK(a[0]->admitted());
    CHECK(a[1]->admitted());
    CHECK(a[2]->pending());
    f.advance(60s - 1ns);   // now 122 s - 1 ns: 61 s after the admission at 61 s is 122 s
    CHECK(a[2]->pending());
    f.advance(1ns);
    CHECK(a[2]->admitted());
}

TEST_CASE("RPM: the window margin is configurable", "[limiter][rpm]")
{
    fixture f({.window_margin = 0s});
    f.limiter.add_project("p", {.requests_per_minute = 1});
    auto& a = f.acquire();
    auto& b = f.acquire();
    f.drain();
    CHECK(a.admitted());
    f.advance(60s - 1ns);
    CHECK(b.pending());
    f.advance(1ns);
    CHECK(b.admitted());
}

TEST_CASE("priority: higher first, FIFO within a priority", "[limiter][rpm]")
{
    fixture f;
    f.limiter.add_project("p", {.requests_per_minute = 1});
    auto& first = f.acquire();
    f.drain();
    REQUIRE(first.admitted());
    std::vector<acquisition*> order;
    auto& a = f.make();
    auto& b = f.make();
    auto& c = f.make();
    auto& d = f.make();
    c.ticket.priority = 5;
    d.ticket.priority = 5;
    for (auto* x : {&a, &b, &c, &d}) {
        f.start(*x);
    }
    f.drain();
    CHECK(f.limiter.waiting() == 4);
    for (auto* expected : {&c, &d, &a, &b}) {
        f.advance(61s);
        CHECK(expected->admitted());
        CHECK(f.limiter.waiting() == static_cast<std::size_t>(std::count_if(
                                         f.started.begin(), f.started.end(), [](auto& x) { return x->pending(); })));
    }
}

TEST_CASE("TPM: GCRA over the window, settle up and down, too large at once", "[limiter][tpm]")
{
    fixture f;   // window 61 s: 1000 tokens cost 61 s, 600 cost 36.6 s
    f.limiter.add_project("p", {.input_tokens_per_minute = 1000});

    SECTION("a burst up to the limit, then the rate")
    {
        auto& a = f.acquire("m", 600);
        auto& b = f.acquire("m", 600);
        f.drain();
        CHECK(a.admitted());
        CHECK(b.pending());
        // b fits once the backlog (36.6 s) plus its cost (36.6 s) is one window: at 12.2 s.
        f.advance(12200ms - 1ns);
        CHECK(b.pending());
        f.advance(1ns);
        CHECK(b.admitted());
    }
    SECTION("settle down frees the difference at once")
    {
        auto& a = f.acquire("m", 1000);
        auto& b = f.acquire("m", 500);
        f.drain();
        CHECK(a.admitted());
        CHECK(b.pending());
        f.limiter.settle(a.ticket, 200);   // backlog 12.2 s: 500 more fit
        f.drain();
        CHECK(b.admitted());
    }
    SECTION("settle up delays the next")
    {
        auto& a = f.acquire("m", 100);
        f.drain();
        CHECK(a.admitted());
        f.limiter.settle(a.ticket, 1000);   // the backlog is a whole window now
        auto& b = f.acquire("m", 500);
        f.drain();
        CHECK(b.pending());
        f.advance(30500ms - 1ns);
        CHECK(b.pending());
        f.advance(1ns);
        CHECK(b.admitted());
        // Settling twice replaces the correction, it does not add to it.
        f.limiter.settle(b.ticket, 0);
        f.limiter.settle(b.ticket, 0);
        auto& c = f.acquire("m", 500);
        f.drain();
        CHECK(c.admitted());
    }
    SECTION("an estimate above the limit fails at once")
    {
        auto& a = f.acquire("m", 1001);
        CHECK(a.pending());
        f.drain();
        REQUIRE(a.result);
        CHECK(*a.result == limiter_error::request_too_large);
        CHECK(*a.result == llmio::condition::rate_limited);
        auto& b = f.acquire("m", 1000);   // exactly the limit passes
        f.drain();
        CHECK(b.admitted());
    }
    SECTION("a settle from another limiter is ignored")
    {
        gemini::rate_limiter other(f.io.get_executor(), {.clock = &f.clock});
        other.add_project("q", {.input_tokens_per_minute = 1000});
        auto& a = f.acquire("m", 1000);
        f.drain();
        other.settle(a.ticket, 0);
        auto& b = f.acquire("m", 1);
        f.drain();
        CHECK(b.pending());
    }
}

TEST_CASE("RPD: counted, exhausted at once, reset at Pacific midnight on both transition days", "[limiter][rpd]")
{
    // Each midnight: the one that begins and the one that ends each 2026 transition day.
    const std::chrono::system_clock::time_point midnights[] = {
        utc(2026, 3, 8, 8), utc(2026, 3, 9, 7), utc(2026, 11, 1, 7), utc(2026, 11, 2, 8)};
    for (const auto midnight : midnights) {
        CAPTURE(midnight.time_since_epoch().count());
        fixture f;
        f.clock.set_system_now(midnight - 10s);
        f.limiter.add_project("p", {.requests_per_day = 3});
        for (int i = 0; i < 3; ++i) {
            f.acquire();
        }
        auto& over = f.acquire();
        f.drain();
        CHECK(std::count_if(f.started.begin(), f.started.end(), [](auto& x) { return x->admitted(); }) == 3);
        REQUIRE(over.result);
        CHECK(*over.result == limiter_error::daily_quota_exhausted);   // at once: no waiting for hours
        CHECK_FALSE(f.limiter.has_daily_quota(0, "m"));
        CHECK(f.limiter.has_daily_quota(0, "other-model"));

        f.advance(10s - 1ns);
        CHECK_FALSE(f.limiter.has_daily_quota(0, "m"));
        f.start(over);
        f.drain();
        CHECK(*over.result == limiter_error::daily_quota_exhausted);
        f.advance(1ns);   // midnight Pacific
        CHECK(f.limiter.has_daily_quota(0, "m"));
        f.start(over);
        f.drain();
        CHECK(over.admitted());
    }
}

TEST_CASE("two projects: round robin doubles the rate, an exhausted one falls over to the other", "[limiter][projects]")
{
    fixture f;
    SECTION("round robin")
    {
        f.limiter.add_project("a", {.requests_per_minute = 5});
        f.limiter.add_project("b", {.requests_per_minute = 5});
        for (int i = 0; i < 25; ++i) {
            f.acquire();
        }
        f.drain();
        std::size_t on[2] = {};
        std::size_t admitted = 0;
        for (std::size_t i = 0; i < f.started.size(); ++i) {
            auto& x = *f.started[i];
            if (x.admitted()) {
                ++admitted;
                ++on[x.ticket.admitted_project()];
                CHECK(x.ticket.admitted_project() == i % 2);   // alternating
            }
        }
        CHECK(admitted == 10);
        CHECK(on[0] == 5);
        CHECK(on[1] == 5);
        f.advance(61s);
        CHECK(f.limiter.waiting() == 5);
        f.advance(61s);
        CHECK(f.limiter.waiting() == 0);
    }
    SECTION("falls over when one project's day is spent")
    {
        f.limiter.add_project("a", {.requests_per_day = 2});
        f.limiter.add_project("b", {.requests_per_day = 2});
        for (int i = 0; i < 5; ++i) {
            f.acquire();
        }
        f.drain();
        for (int i = 0; i < 4; ++i) {
            CHECK(f.started[static_cast<std::size_t>(i)]->admitted());
        }
        REQUIRE(f.started[4]->result);
        CHECK(*f.started[4]->result == limiter_error::daily_quota_exhausted);
    }
    SECTION("exhaust_day sends everything to the other project until midnight")
    {
        f.limiter.add_project("a");
        f.limiter.add_project("b");
        f.limiter.exhaust_day(0, "m");
        CHECK_FALSE(f.limiter.has_daily_quota(0, "m"));
        CHECK(f.limiter.has_daily_quota(1, "m"));
        for (int i = 0; i < 4; ++i) {
            f.acquire();
        }
        f.drain();
        for (auto& x : f.started) {
            CHECK(x->admitted());
            CHECK(x->ticket.admitted_project() == 1);
        }
        auto& only0 = f.make();
        only0.ticket.project = 0;
        f.start(only0);
        f.drain();
        CHECK(*only0.result == limiter_error::daily_quota_exhausted);
        f.advance(gemini::next_pacific_midnight(f.clock.system_now()) - f.clock.system_now());
        f.start(only0);
        f.drain();
        CHECK(only0.admitted());
    }
    SECTION("a restricted waiter does not hold back others on another project")
    {
        f.limiter.add_project("a", {.requests_per_minute = 1});
        f.limiter.add_project("b", {.requests_per_minute = 1});
        auto& x = f.make();
        x.ticket.project = 0;
        auto& y = f.make();
        y.ticket.project = 0;
        auto& z = f.make();   // any project
        f.start(x);
        f.start(y);
        f.start(z);
        f.drain();
        CHECK(x.admitted());
        CHECK(y.pending());
        CHECK(z.admitted());
        CHECK(z.ticket.admitted_project() == 1);
    }
    SECTION("a project added later takes waiters at once")
    {
        f.limiter.add_project("a", {.requests_per_minute = 1});
        auto& x = f.acquire();
        auto& y = f.acquire();
        f.drain();
        CHECK(x.admitted());
        CHECK(y.pending());
        CHECK(f.limiter.add_project("b", {.requests_per_minute = 1}) == 1);
        f.drain();
        CHECK(y.admitted());
        CHECK(y.ticket.admitted_project() == 1);
    }
    SECTION("unknown project")
    {
        auto& none = f.acquire();
        f.drain();
        CHECK(*none.result == limiter_error::no_project);
        f.limiter.add_project("a");
        auto& bad = f.make();
        bad.ticket.project = 1;
        f.start(bad);
        f.drain();
        CHECK(*bad.result == limiter_error::no_project);
    }
}

TEST_CASE("pause holds every waiter of that project and model until it ends", "[limiter][pause]")
{
    fixture f;
    f.limiter.add_project("p");
    f.limiter.pause(0, "m", 30s);
    auto& a = f.acquire();
    auto& b = f.acquire();
    auto& other = f.acquire("other-model");
    f.drain();
    CHECK(a.pending());
    CHECK(b.pending());
    CHECK(other.admitted());
    f.advance(30s - 1ns);
    CHECK(a.pending());
    f.limiter.pause(0, "m", 1ns);   // a shorter pause does not shorten it
    f.advance(1ns);
    CHECK(a.admitted());
    CHECK(b.admitted());
    CHECK(a.ticket.waited() == 30s);

    SECTION("an unrestricted waiter goes to another project meanwhile")
    {
        f.limiter.add_project("q");
        f.limiter.pause(0, "m", 10s);
        auto& c = f.acquire();
        auto& d = f.acquire();
        f.drain();
        CHECK(c.admitted());
        CHECK(d.admitted());
        CHECK(c.ticket.admitted_project() == 1);
        CHECK(d.ticket.admitted_project() == 1);
    }
}

TEST_CASE("learn lowers a limit, never raises it", "[limiter][learn]")
{
    fixture f;
    f.limiter.add_project("p", {.requests_per_minute = 10, .input_tokens_per_minute = 1000});
    using gemini::quota_kind;
    f.limiter.learn(0, "m", quota_kind::requests_per_minute, 5);
    CHECK(f.limiter.limits(0, "m").requests_per_minute == 5);
    f.limiter.learn(0, "m", quota_kind::requests_per_minute, 20);
    CHECK(f.limiter.limits(0, "m").requests_per_minute == 5);
    f.limiter.learn(0, "m", quota_kind::requests_per_minute, 0);
    f.limiter.learn(0, "m", quota_kind::requests_per_minute, -3);
    f.limiter.learn(0, "m", quota_kind::unknown, 1);
    f.limiter.learn(0, "m", quota_kind::requests_per_day, 250);   // unset: learned
    f.limiter.learn(5, "m", quota_kind::requests_per_day, 1);      // no such project: ignored
    CHECK(f.limiter.limits(0, "m") == rate_limits{.requests_per_minute = 5, .input_tokens_per_minute = 1000,
                                                  .requests_per_day = 250});
    CHECK(f.limiter.limits(0, "other") == rate_limits{.requests_per_minute = 10, .input_tokens_per_minute = 1000});
    CHECK(f.limiter.limits(3, "m") == rate_limits{});

    // The learned limit binds.
    for (int i = 0; i < 6; ++i) {
        f.acquire();
    }
    f.drain();
    CHECK(f.limiter.waiting() == 1);

    // A waiter that no longer fits after a lower token limit fails instead of waiting forever.
    f.advance(61s);
    CHECK(f.limiter.waiting() == 0);
    f.limiter.set_limits(0, "t", {.input_tokens_per_minute = 1000});
    auto& big = f.acquire("t", 1000);
    auto& next = f.acquire("t", 800);
    f.drain();
    CHECK(big.admitted());
    CHECK(next.pending());
    f.limiter.learn(0, "t", quota_kind::input_tokens_per_minute, 500);
    f.drain();
    REQUIRE(next.result);
    CHECK(*next.result == limiter_error::request_too_large);

    // Lowering the minute limit keeps the newest admissions of the window.
    f.limiter.set_limits(0, "r", {.requests_per_minute = 4});
    for (int i = 0; i < 4; ++i) {
        f.acquire("r");
        f.drain();
        f.advance(1s);
    }
    f.limiter.learn(0, "r", quota_kind::requests_per_minute, 2);
    auto& r = f.acquire("r");
    f.drain();
    CHECK(r.pending());
    f.advance(59s);   // the third admission (at 2 s) leaves the window at 63 s
    CHECK(r.admitted());
}

TEST_CASE("deadlines: at once when the earliest admission is after it, or when it passes", "[limiter][deadline]")
{
    fixture f;
    f.limiter.add_project("p", {.requests_per_minute = 1});
    auto& first = f.acquire();
    f.drain();
    REQUIRE(first.admitted());

    auto& hopeless = f.make();
    hopeless.ticket.deadline = f.clock.now() + 60s;   // the earliest is 61 s
    f.start(hopeless);
    CHECK(hopeless.pending());
    f.drain();
    REQUIRE(hopeless.result);
    CHECK(*hopeless.result == limiter_error::would_exceed_deadline);
    CHECK(f.limiter.waiting() == 0);

    auto& exact = f.make();
    exact.ticket.deadline = f.clock.now() + 61s;   // admitted exactly at its deadline
    auto& behind = f.make();
    behind.ticket.deadline = f.clock.now() + 70s;  // first in line it could make it; behind, not
    f.start(exact);
    f.start(behind);
    f.drain();
    CHECK(exact.pending());
    CHECK(behind.pending());
    f.advance(61s);
    CHECK(exact.admitted());
    CHECK(behind.pending());
    f.advance(9s - 1ns);
    CHECK(behind.pending());
    f.advance(1ns);
    REQUIRE(behind.result);
    CHECK(*behind.result == limiter_error::would_exceed_deadline);
    CHECK(behind.ticket.waited() == 70s);
    CHECK(f.limiter.waiting() == 0);
    CHECK(f.clock.armed() == 0);
}

TEST_CASE("cancellation: the waiter completes with operation_aborted, the next takes its place", "[limiter][cancel]")
{
    fixture f;
    f.limiter.add_project("p", {.input_tokens_per_minute = 1000});
    auto& holder = f.acquire("m", 600);
    f.drain();
    REQUIRE(holder.admitted());
    // `big` waits for token credit; `small` would fit now but may not overtake it.
    auto& big = f.make("m", 600);
    auto& small = f.make("m", 300);
    asio::cancellation_signal signal;
    std::optional<std::error_code> big_result;
    f.limiter.async_acquire(big.ticket, asio::bind_cancellation_slot(signal.slot(), [&](std::error_code ec) {
                                big_result = ec;
                            }));
    f.start(small);
    f.drain();
    CHECK_FALSE(big_result);
    CHECK(small.pending());
    CHECK(f.limiter.waiting() == 2);

    SECTION("terminal")
    {
        signal.emit(asio::cancellation_type::terminal);
    }
    SECTION("partial")
    {
        signal.emit(asio::cancellation_type::partial);
    }
    f.drain();
    REQUIRE(big_result);
    CHECK(*big_result == asio::error::operation_aborted);
    CHECK(small.admitted());
    CHECK(f.limiter.waiting() == 0);
    CHECK(f.clock.armed() == 0);
}

TEST_CASE("a ticket destroyed while it waits leaves the queue", "[limiter][cancel]")
{
    fixture f;
    f.limiter.add_project("p", {.requests_per_minute = 1});
    f.acquire();
    auto gone = std::make_unique<acquisition>(f.io.get_executor());
    gone->ticket.model = "m";
    std::optional<std::error_code> gone_result;
    f.limiter.async_acquire(gone->ticket, [&](std::error_code ec) { gone_result = ec; });
    auto& next = f.acquire();
    f.drain();
    CHECK(f.limiter.waiting() == 2);
    gone.reset();
    CHECK(f.limiter.waiting() == 1);
    f.drain();
    REQUIRE(gone_result);
    CHECK(*gone_result == asio::error::operation_aborted);
    f.advance(61s);
    CHECK(next.admitted());
}

TEST_CASE("destroying the limiter aborts its waiters", "[limiter][cancel]")
{
    llmio::testing::manual_clock clock;
    asio::io_context io;
    auto limiter = std::make_unique<gemini::rate_limiter>(io.get_executor(), gemini::limiter_options{.clock = &clock});
    limiter->add_project("p", {.requests_per_minute = 1});
    std::vector<std::unique_ptr<acquisition>> a;
    for (int i = 0; i < 3; ++i) {
        a.push_back(std::make_unique<acquisition>(io.get_executor()));
        a.back()->ticket.model = "m";
        acquisition* x = a.back().get();
        limiter->async_acquire(x->ticket, [x](std::error_code ec) { x->result = ec; });
    }
    io.poll();
    CHECK(a[0]->admitted());
    CHECK(clock.armed() == 3);   // two deadlines (never) and the pump
    limiter.reset();
    CHECK(clock.armed() == 0);
    io.restart();
    io.poll();
    CHECK(*a[1]->result == asio::error::operation_aborted);
    CHECK(*a[2]->result == asio::error::operation_aborted);
    a.clear();   // tickets outlive the limiter safely
    io.restart();
    CHECK(io.poll() == 0);
    CHECK(io.stopped());   // nothing left pending
}

TEST_CASE("on_usage fires at 80% of the daily quota exactly once per day", "[limiter][usage]")
{
    std::vector<gemini::usage_event> seen;
    std::vector<std::string> names;
    fixture f({.on_usage = [&](const gemini::usage_event& e) {
        seen.push_back(e);
        names.emplace_back(std::string(e.project_name) + "/" + std::string(e.model));
    }});
    f.limiter.add_project("proj", {.requests_per_day = 10});
    f.clock.set_system_now(utc(2026, 11, 1, 20));   // the 25-hour day
    const auto day = [&] {
        for (int i = 0; i < 11; ++i) {
            f.acquire();
            f.drain();
        }
    };
    day();
    REQUIRE(seen.size() == 1);
    CHECK(seen[0].which == gemini::usage_event::dimension::requests_per_day);
    CHECK(seen[0].used == 8);
    CHECK(seen[0].limit == 10);
    CHECK(seen[0].threshold == 0.8);
    CHECK(seen[0].project == 0);
    CHECK(names[0] == "proj/m");
    CHECK(*f.started.back()->result == limiter_error::daily_quota_exhausted);
    f.advance(gemini::next_pacific_midnight(f.clock.system_now()) - f.clock.system_now());
    day();
    CHECK(seen.size() == 2);
}

TEST_CASE("on_usage per minute: once per crossing, again in a later window", "[limiter][usage]")
{
    int rpm_events = 0;
    int tpm_events = 0;
    fixture f({.usage_thresholds = {0.5, 1.0}, .on_usage = [&](const gemini::usage_event& e) {
                   if (e.which == gemini::usage_event::dimension::requests_per_minute) {
                       ++rpm_events;
                   }
                   else if (e.which == gemini::usage_event::dimension::input_tokens_per_minute) {
                       ++tpm_events;
                       CHECK(e.used >= 500);
                   }
               }});
    f.limiter.add_project("p", {.requests_per_minute = 4, .input_tokens_per_minute = 1000});
    for (int i = 0; i < 4; ++i) {
        f.acquire();
    }
    f.drain();
    CHECK(rpm_events == 2);   // 2 of 4, then 4 of 4
    f.advance(61s);
    f.acquire();
    f.drain();
    CHECK(rpm_events == 2);   // 1 of 4: below both
    f.acquire();
    f.drain();
    CHECK(rpm_events == 3);
    auto& t = f.acquire("tokens", 100);
    f.drain();
    CHECK(tpm_events == 0);
    f.limiter.settle(t.ticket, 600);   // settle counts too
    CHECK(tpm_events == 1);
}

TEST_CASE("on_usage may call the limiter back", "[limiter][usage]")
{
    gemini::rate_limiter* self = nullptr;
    int events = 0;
    fixture f({.on_usage = [&](const gemini::usage_event& e) {
        ++events;
        self->pause(e.project, e.model, 10s);
    }});
    self = &f.limiter;
    f.limiter.add_project("p", {.requests_per_minute = 10});
    for (int i = 0; i < 9; ++i) {
        f.acquire();
    }
    f.drain();
    CHECK(events == 1);
    CHECK(f.limiter.waiting() == 1);   // the 9th waits for the pause that the 8th caused
    f.advance(10s);
    CHECK(f.limiter.waiting() == 0);
}

TEST_CASE("completion tokens: use_future, and a second operation on a busy ticket", "[limiter]")
{
    fixture f;
    f.limiter.add_project("p", {.requests_per_minute = 1});
    auto& a = f.make();
    std::future<void> ok = f.limiter.async_acquire(a.ticket, asio::use_future);
    auto& b = f.make();
    b.ticket.deadline = f.clock.now();
    std::future<void> late = f.limiter.async_acquire(b.ticket, asio::use_future);
    f.drain();
    REQUIRE(ok.wait_for(0s) == std::future_status::ready);
    CHECK_NOTHROW(ok.get());
    REQUIRE(late.wait_for(0s) == std::future_status::ready);
    try {
        late.get();
        FAIL("expected an error");
    }
    catch (const std::system_error& e) {
        CHECK(e.code() == limiter_error::would_exceed_deadline);
    }

    auto& c = f.acquire();
    std::optional<std::error_code> second;
    f.limiter.async_acquire(c.ticket, [&](std::error_code ec) { second = ec; });
    f.drain();
    CHECK(*second == asio::error::in_progress);
    CHECK(c.pending());
    f.advance(61s);
    CHECK(c.admitted());
}

TEST_CASE("try_acquire: the answer known now, in place of an operation, and nothing when it would wait",
          "[limiter][try]")
{
    fixture f;
    std::error_code ec;
    acquisition& a = f.make();
    // No project: refused at once, as async_acquire would have been.
    REQUIRE(f.limiter.try_acquire(a.ticket, ec));
    CHECK(ec == limiter_error::no_project);

    f.limiter.add_project("p0", {.requests_per_minute = 2, .requests_per_day = 3});
    f.limiter.add_project("p1", {.requests_per_minute = 1});
    // Admitted at once, round robin over the projects, charged like async_acquire's admissions.
    REQUIRE(f.limiter.try_acquire(a.ticket, ec));
    CHECK(!ec);
    CHECK(a.ticket.admitted_project() == 0);
    CHECK(a.ticket.waited() == 0ns);
    REQUIRE(f.limiter.try_acquire(a.ticket, ec));
    CHECK(a.ticket.admitted_project() == 1);
    REQUIRE(f.limiter.try_acquire(a.ticket, ec));
    CHECK(a.ticket.admitted_project() == 0);
    // Both minute windows are full: it would wait, so nothing happens.
    CHECK_FALSE(f.limiter.try_acquire(a.ticket, ec));
    CHECK(f.limiter.waiting() == 0);
    CHECK(f.clock.armed() == 0);
    f.drain();
    CHECK(a.pending());   // no handler anywhere

    // A waiter keeps its place: with one queued, a later try_acquire never goes ahead of it.
    acquisition& w = f.acquire();
    f.drain();
    CHECK(w.pending());
    CHECK(f.limiter.waiting() == 1);
    CHECK_FALSE(f.limiter.try_acquire(a.ticket, ec));
    f.advance(61s);
    CHECK(w.admitted());
    CHECK(w.ticket.admitted_project() == 1);   // round robin: p1's turn
    // A ticket in an operation is not touched.
    acquisition& busy = f.acquire();
    CHECK_FALSE(f.limiter.try_acquire(busy.ticket, ec));
    f.drain();
    CHECK(busy.admitted());
    CHECK(busy.ticket.admitted_project() == 0);

    // Only project 0, whose day (3) is now spent: refused at once with the daily error.
    a.ticket.project = 0;
    REQUIRE(f.limiter.try_acquire(a.ticket, ec));
    CHECK(ec == limiter_error::daily_quota_exhausted);
    // A deadline before the earliest admission: refused at once.
    a.ticket.project = 1;
    a.ticket.deadline = f.clock.now() + 1s;
    REQUIRE(f.limiter.try_acquire(a.ticket, ec));   // p1's window: free again at 61 s + 61 s
    CHECK(ec == limiter_error::would_exceed_deadline);
    CHECK(f.limiter.waiting() == 0);
}
