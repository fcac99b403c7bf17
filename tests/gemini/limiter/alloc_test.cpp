// The limiter allocates nothing per request once its per-(project, model) state exists: a ticket
// reused for request after request, admitted at once or after waiting for the minute window,
// started from a completion handler as a client does (inside run(), where Asio recycles its
// operation memory). The manual clock's own bookkeeping in advance() is not counted.
#define LLMIO_TESTING_REPLACE_GLOBAL_NEW
#include <llmio/testing/allocation_counter.hpp>

#include "limiter_support.hpp"

#include <asio/post.hpp>

using namespace limiter_test;

namespace {

/// Acquires `left` times in a row with one ticket, each from the previous completion.
struct chain {
    gemini::rate_limiter& limiter;
    gemini::limiter_ticket& ticket;
    std::size_t left = 0;
    std::size_t admitted = 0;

    void start()
    {
        limiter.async_acquire(ticket, [this](std::error_code ec) {
            if (!ec) {
                ++admitted;
                limiter.settle(ticket, 10);
            }
            if (--left > 0) {
                start();
            }
        });
    }
};

} // namespace

TEST_CASE("no allocation per request: admitted at once", "[limiter][alloc]")
{
    fixture f;
    f.limiter.add_project("p", {.input_tokens_per_minute = 1'000'000'000});
    gemini::limiter_ticket ticket(f.io.get_executor());
    ticket.model = "m";
    ticket.input_tokens = 5;
    chain c{f.limiter, ticket, 50};
    asio::post(f.io, [&] { c.start(); });
    f.drain();   // warm: the bucket, Asio's recycled blocks
    REQUIRE(c.admitted == 50);

    c.left = 1000;
    asio::post(f.io, [&] { c.start(); });
    f.io.restart();
    f.io.run_one();   // the post itself is outside the measurement
    llmio::testing::allocation_scope scope;
    f.io.poll();
    CHECK(c.admitted == 1050);
    CHECK(scope.allocations() == 0);
}

TEST_CASE("no allocation per request: try_acquire", "[limiter][alloc][try]")
{
    fixture f;
    f.limiter.add_project("p", {.input_tokens_per_minute = 1'000'000'000});
    gemini::limiter_ticket ticket(f.io.get_executor());
    ticket.model = "m";
    ticket.input_tokens = 5;
    std::error_code ec;
    REQUIRE(f.limiter.try_acquire(ticket, ec));   // warm: the model and its bucket
    std::size_t admitted = 0;
    llmio::testing::allocation_scope scope;
    for (int i = 0; i < 1000; ++i) {
        if (f.limiter.try_acquire(ticket, ec) && !ec) {
            ++admitted;
            f.limiter.settle(ticket, 10);
        }
    }
    CHECK(scope.allocations() == 0);
    CHECK(admitted == 1000);
}

TEST_CASE("no allocation per request: waiting for the minute window", "[limiter][alloc]")
{
    fixture f;
    f.limiter.add_project("p", {.requests_per_minute = 2});
    gemini::limiter_ticket ticket(f.io.get_executor());
    ticket.model = "m";
    chain c{f.limiter, ticket, 100000};
    asio::post(f.io, [&] { c.start(); });
    f.drain();
    for (int i = 0; i < 5; ++i) {   // warm
        f.advance(61s);
    }
    const std::size_t before = c.admitted;
    std::size_t allocations = 0;
    for (int i = 0; i < 200; ++i) {
        f.clock.advance(61s);   // the manual clock's wake list allocates: not the limiter's
        f.io.restart();
        llmio::testing::allocation_scope scope;
        f.io.poll();
        allocations += scope.allocations();
    }
    CHECK(c.admitted - before == 400);
    CHECK(allocations == 0);
    c.left = 1;   // stop the chain at the next completion
    f.advance(61s);
}
