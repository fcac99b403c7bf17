// bench/llmio_bench/gemini_target.cpp: the Gemini target, through llmio's own client: one
// gemini::client on the driver's io_context, one reused gemini::stream per slot
// (target.hpp has the timing rules).
#include "error_kind.hpp"
#include "target.hpp"

#include <llmio/gemini/client.hpp>

#include <asio/experimental/as_tuple.hpp>
#include <asio/use_awaitable.hpp>

#include <algorithm>
#include <array>
#include <utility>

namespace llmio::bench::program {

namespace {

namespace gemini = llmio::gemini;
using clock_type = std::chrono::steady_clock;
constexpr auto tuple_awaitable = asio::experimental::as_tuple(asio::use_awaitable);

struct gemini_shared {
    std::unique_ptr<gemini::client> client;
    gemini::generate_content_request request;
    std::string model;
};

/// A chunk "holds output" when its first candidate has parts (text, thoughts, calls).
[[nodiscard]] bool holds_output(const gemini::response& r) noexcept
{
    return !r.candidates.empty() && !r.candidates.front().parts.empty();
}

class gemini_slot final : public request_slot {
public:
    explicit gemini_slot(gemini_shared& shared) : shared_(shared), stream_(*shared.client) {}

    asio::awaitable<void> run(request_record& r, metrics& m) override
    {
        const steady_time origin = m.origin_of(r);
        steady_time previous{};
        std::error_code ec = stream_.start(shared_.model, shared_.request);
        while (!ec) {
            // Chunks already read are taken at once (stream::try_next); an operation only when
            // bytes must be read. Either way the chunk is timed when the harness gets it.
            std::error_code next_ec;
            const gemini::response* chunk = nullptr;
            if (!stream_.try_next(next_ec, chunk)) {
                auto [e, c] = co_await stream_.async_next(tuple_awaitable);
                next_ec = e;
                chunk = c;
            }
            const steady_time now = clock_type::now();
            if (next_ec) {
                ec = next_ec;
                break;
            }
            if (chunk == nullptr) {
                break;   // finished well
            }
            if (!holds_output(*chunk)) {
                continue;
            }
            if (r.chunks == 0) {
                r.first_chunk = now;
            } else {
                m.add_chunk_gap(now - previous, origin);
            }
            previous = now;
            r.last_chunk = now;
            ++r.chunks;
        }
        r.retries = static_cast<std::uint32_t>(std::max(stream_.attempts() - 1, 0));
        r.limiter_wait = std::chrono::duration_cast<std::chrono::nanoseconds>(stream_.limiter_wait());
        const auto& usage = stream_.usage();
        r.output_tokens = usage && usage->candidates > 0 ? static_cast<std::uint64_t>(usage->candidates) : 0;
        if (ec) {
            // Kinds repeat: remember the last code's key instead of rebuilding it every time.
            if (ec != last_ec_) {
                last_ec_ = ec;
                last_kind_ = error_kind(ec);
            }
            r.error = last_kind_;
        } else {
            r.error = {};
        }
    }

private:
    gemini_shared& shared_;
    gemini::stream stream_;
    std::error_code last_ec_{};
    std::string last_kind_{};
};

class gemini_target final : public target {
public:
    gemini_target(asio::io_context& io, const settings& s, const mock_endpoint_info* mock, std::size_t connections)
    {
        gemini::client_options o;
        if (mock != nullptr) {
            o.api_key = "AIzaLlmioBenchKeyForTheEmbeddedMock000";   // the mock checks none
            o.base_url = mock->base_url;
            if (!mock->ca_pem.empty()) {
                o.tls = {.system_trust = false, .ca_pem = mock->ca_pem};
            }
            o.pool.proxy = net::proxy_settings{};   // loopback: never through a proxy
        } else {
            o.base_url = s.base_url;   // empty: GOOGLE_GEMINI_BASE_URL or the service
        }
        o.pool.max_connections = std::max<std::size_t>(connections, 1);
        o.retry.max_retries = s.max_retries;
        shared_.client = std::make_unique<gemini::client>(io.get_executor(), std::move(o));
        shared_.model = s.model;
        shared_.request.contents.push_back(
            {.role = gemini::role::user, .parts = {gemini::content_part::from_text(make_prompt(s.prompt_words))}});
        if (s.max_output_tokens > 0) {
            shared_.request.config.max_output_tokens = s.max_output_tokens;
        }
        base_ = mock != nullptr ? mock->base_url : s.base_url;
    }

    std::unique_ptr<request_slot> make_slot() override { return std::make_unique<gemini_slot>(shared_); }

    void shutdown() noexcept override { shared_.client->shutdown(); }

    std::string describe() const override
    {
        return "gemini streamGenerateContent at " + (base_.empty() ? std::string("the default endpoint") : base_);
    }

    [[nodiscard]] const std::vector<std::string>& warnings() const noexcept { return shared_.client->warnings(); }

private:
    gemini_shared shared_{};
    std::string base_{};
};

} // namespace

std::string make_prompt(std::size_t words)
{
    static constexpr std::array<std::string_view, 16> list{
        "measure", "the", "latency", "of", "every", "token", "streamed", "back", "from",
        "a", "model", "under", "steady", "concurrent", "load", "today"};
    std::string out;
    out.reserve(words * 8);
    for (std::size_t i = 0; i < words; ++i) {
        if (i > 0) {
            out += ' ';
        }
        out += list[(i * 7 + i / list.size()) % list.size()];
    }
    return out;
}

std::unique_ptr<target> make_gemini_target(asio::io_context& io, const settings& s, const mock_endpoint_info* mock,
                                           std::size_t connections)
{
    return std::make_unique<gemini_target>(io, s, mock, connections);
}

} // namespace llmio::bench::program
