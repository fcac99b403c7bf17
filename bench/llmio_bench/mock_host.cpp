// bench/llmio_bench/mock_host.cpp: the embedded mock on its own thread (mock_host.hpp).
#include "mock_host.hpp"

#include <llmio/testing/mock_server.hpp>

#include <asio/io_context.hpp>
#include <asio/post.hpp>

#include <pthread.h>
#include <sys/prctl.h>
#include <time.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <thread>

namespace llmio::bench::program {

bool tighten_timer_slack() noexcept
{
#ifdef PR_SET_TIMERSLACK
    return ::prctl(PR_SET_TIMERSLACK, 1UL, 0UL, 0UL, 0UL) == 0;
#else
    return false;
#endif
}

struct mock_host::state {
    asio::io_context io{1};
    std::unique_ptr<testing::mock_server> server;
    std::thread thread;
    mock_endpoint_info endpoint;
};

mock_host::mock_host() : state_(std::make_unique<state>()) {}

mock_host::~mock_host()
{
    if (state_->thread.joinable()) {
        // The server's members belong to its thread: stop it there.
        asio::post(state_->io, [s = state_.get()] { s->server->stop(); });
        state_->thread.join();
    }
}

std::error_code mock_host::start(const settings& s)
{
    using std::chrono::nanoseconds;
    testing::mock_options o;
    o.ttft = nanoseconds(std::llround(s.mock_ttft_ms * 1e6));
    o.itl = nanoseconds(std::llround(s.mock_itl_ms * 1e6));
    o.events = s.mock_events;
    o.words_per_event = s.mock_words;
    o.tls = s.mock_tls;
    if (!s.mock_fault.empty()) {
        const auto f = testing::parse_mock_fault(s.mock_fault);
        if (!f) {
            return std::make_error_code(std::errc::invalid_argument);
        }
        o.fault = *f;
        o.fault_rate = s.mock_fault_rate;
    }
    // Any model name the caller gives is served (the bench is not about 404s).
    o.known_models.clear();
    state_->server = std::make_unique<testing::mock_server>(state_->io.get_executor(), std::move(o));
    std::error_code ec;
    (void)state_->server->start(ec);
    if (ec) {
        return ec;
    }
    state_->endpoint.base_url = state_->server->base_url();
    state_->endpoint.ca_pem = std::string(state_->server->ca_certificate_pem());
    // Safe to hand over: the server was made and started before its thread exists.
    state_->thread = std::thread([s = state_.get()] {
        (void)tighten_timer_slack();
        try {
            s->io.run();
        } catch (const std::exception& e) {
            std::fprintf(stderr, "llmio-bench: the mock server failed: %s\n", e.what());
            std::abort();
        }
    });
    return {};
}

const mock_endpoint_info& mock_host::endpoint() const noexcept { return state_->endpoint; }

double mock_host::cpu_seconds() const
{
    if (!state_->thread.joinable()) {
        return -1;
    }
    clockid_t id{};
    timespec ts{};
    if (pthread_getcpuclockid(state_->thread.native_handle(), &id) != 0 || clock_gettime(id, &ts) != 0) {
        return -1;
    }
    return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

} // namespace llmio::bench::program
