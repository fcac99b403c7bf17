// Helpers for the rate limiter's tests: a manual clock, an io_context driven by hand, and
// acquisitions whose results the test reads.
#pragma once

#include "support/catch.hpp"

#include <llmio/gemini/rate_limiter.hpp>
#include <llmio/testing/manual_clock.hpp>

#include <asio/io_context.hpp>

#include <chrono>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <system_error>

namespace limiter_test {

using namespace std::chrono_literals;
namespace gemini = llmio::gemini;
using gemini::limiter_error;
using gemini::rate_limits;

/// UTC instant of a civil date and time.
inline std::chrono::system_clock::time_point utc(int y, unsigned m, unsigned d, int hh = 0, int mm = 0, int ss = 0)
{
    return std::chrono::system_clock::time_point(
        std::chrono::seconds(gemini::detail::days_from_civil(y, m, d) * 86400 + hh * 3600 + mm * 60 + ss));
}

/// One request's acquisition: its ticket and, once completed, its result.
struct acquisition {
    explicit acquisition(asio::any_io_executor ex) : ticket(std::move(ex)) {}
    gemini::limiter_ticket ticket;
    std::optional<std::error_code> result{};
    [[nodiscard]] bool admitted() const { return result && !*result; }
    [[nodiscard]] bool pending() const { return !result; }
};

/// Clock first: it outlives the io_context and the limiter (the limiter disarms through it).
struct fixture {
    explicit fixture(gemini::limiter_options options = {})
        : limiter(io.get_executor(), with_clock(std::move(options)))
    {
    }

    llmio::testing::manual_clock clock{};
    asio::io_context io{};
    gemini::rate_limiter limiter;
    std::deque<std::unique_ptr<acquisition>> started{};

    gemini::limiter_options with_clock(gemini::limiter_options o)
    {
        o.clock = &clock;
        return o;
    }

    /// Runs every handler that is ready.
    void drain()
    {
        io.restart();
        io.poll();
    }

    void advance(std::chrono::nanoseconds d)
    {
        clock.advance(d);
        drain();
    }

    /// A ticket for `model`, not started yet.
    acquisition& make(std::string model = "m", std::uint64_t tokens = 0)
    {
        started.push_back(std::make_unique<acquisition>(io.get_executor()));
        acquisition& a = *started.back();
        a.ticket.model = std::move(model);
        a.ticket.input_tokens = tokens;
        return a;
    }

    /// Starts `a`'s acquisition with a callback (nothing completes before drain()).
    acquisition& start(acquisition& a)
    {
        a.result.reset();
        limiter.async_acquire(a.ticket, [&a](std::error_code ec) { a.result = ec; });
        return a;
    }

    acquisition& acquire(std::string model = "m", std::uint64_t tokens = 0)
    {
        return start(make(std::move(model), tokens));
    }
};

} // namespace limiter_test
