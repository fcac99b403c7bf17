// bench/llmio_bench/openai_target.cpp: an OpenAI-compatible endpoint (vLLM, SGLang, TGI,
// llama.cpp's server, Gemini's /v1beta/openai, OpenAI itself) through llmio's transport:
//
//     POST {base}/chat/completions
//     Authorization: Bearer KEY
//     {"model":M,"messages":[{"role":"user","content":PROMPT}],"stream":true,
//      "stream_options":{"include_usage":true}[,"max_tokens":N]}
//
// answered with `text/event-stream`: `data: {chat.completion.chunk}` events, then
// `data: [DONE]`. Each event's JSON is read with simdjson On-Demand in place (the SSE parser
// hands out views with padding) for `choices[0].delta.content` and, on the last chunk,
// `usage.completion_tokens`. A chunk with non-empty content is a chunk holding output
// (target.hpp). A body that ends without [DONE] is "openai:truncated"; a non-2xx status is
// "http:STATUS" (its body is read to the end so the connection can be reused).
//
// Key: OPENAI_API_KEY (any value for the mock, which checks none unless told to).
#include "error_kind.hpp"
#include "target.hpp"

#include <llmio/http/request_writer.hpp>
#include <llmio/json/writer.hpp>
#include <llmio/net/connection_pool.hpp>
#include <llmio/net/exchange.hpp>
#include <llmio/net/origin.hpp>
#include <llmio/net/tls_context.hpp>
#include <llmio/sse/parser.hpp>

#include <simdjson.h>

#include <asio/experimental/as_tuple.hpp>
#include <asio/use_awaitable.hpp>

#include <cstdlib>
#include <optional>
#include <stdexcept>

namespace llmio::bench::program {

namespace {

using clock_type = std::chrono::steady_clock;
constexpr auto tuple_awaitable = asio::experimental::as_tuple(asio::use_awaitable);

struct openai_shared {
    std::unique_ptr<net::tls_context> tls;
    std::unique_ptr<net::connection_pool> pool;
    net::base_url base{};
    std::string request{};   // the whole HTTP request, the same for every slot
    net::exchange_options exchange{};
};

/// What one event said.
struct chunk_fields {
    bool ok = false;              ///< JSON of the expected shape
    bool has_content = false;     ///< choices[0].delta.content is a non-empty string
    std::optional<std::uint64_t> completion_tokens{};
};

class openai_slot final : public request_slot {
public:
    explicit openai_slot(openai_shared& shared) : shared_(shared), exchange_(*shared.pool) {}

    asio::awaitable<void> run(request_record& r, metrics& m) override
    {
        origin_ = m.origin_of(r);
        previous_ = {};
        record_ = &r;
        metrics_ = &m;
        done_ = false;
        failure_ = {};
        status_ = 0;
        sse_.reset();

        auto [send_ec] = co_await exchange_.async_send(shared_.base.origin, shared_.request, shared_.exchange,
                                                        tuple_awaitable);
        std::error_code ec = send_ec;
        if (!ec) {
            status_ = exchange_.response().status();
        }
        while (!ec) {
            auto [read_ec, body] = co_await exchange_.async_read_body(tuple_awaitable);
            if (read_ec) {
                ec = read_ec;
                break;
            }
            if (body.empty()) {
                break;   // the response is complete; the connection is back in the pool
            }
            if (status_ / 100 == 2 && failure_.empty()) {
                feed(body);
            }
        }
        if (!ec && status_ / 100 == 2 && failure_.empty() && !done_) {
            std::error_code pec;
            while (sse_.finish(pec, true).event == sse::parse_event::event && !pec) {
                on_event(sse_.current());
            }
        }

        if (ec) {
            set_error(error_kind(ec));
        } else if (status_ / 100 != 2) {
            set_error("http:" + std::to_string(status_));
        } else if (!failure_.empty()) {
            set_error(failure_);
        } else if (!done_) {
            set_error("openai:truncated");
        } else {
            r.error = {};
        }
        record_ = nullptr;
        metrics_ = nullptr;
    }

private:
    void feed(std::string_view body)
    {
        std::error_code ec;
        while (!body.empty() && failure_.empty()) {
            const sse::parse_result res = sse_.put(body, ec, net::exchange::padding);
            body.remove_prefix(res.consumed);
            if (ec) {
                failure_ = error_kind(ec);
                return;
            }
            if (res.event == sse::parse_event::event) {
                on_event(sse_.current());
            } else if (res.event == sse::parse_event::need_more) {
                return;
            }
        }
    }

    void on_event(const sse::event& e)
    {
        const steady_time now = clock_type::now();
        if (done_) {
            return;   // nothing counts after [DONE]
        }
        if (e.data == "[DONE]") {
            done_ = true;
            return;
        }
        const chunk_fields f = decode(e);
        if (!f.ok) {
            failure_ = "openai:malformed_chunk";
            return;
        }
        request_record& r = *record_;
        if (f.completion_tokens) {
            r.output_tokens = *f.completion_tokens;
        }
        if (!f.has_content) {
            return;
        }
        if (r.chunks == 0) {
            r.first_chunk = now;
        } else {
            metrics_->add_chunk_gap(now - previous_, origin_);
        }
        previous_ = now;
        r.last_chunk = now;
        ++r.chunks;
    }

    [[nodiscard]] chunk_fields decode(const sse::event& e)
    {
        simdjson::padded_string_view json;
        if (e.data_padding >= simdjson::SIMDJSON_PADDING) {
            json = simdjson::padded_string_view(e.data.data(), e.data.size(), e.data.size() + e.data_padding);
        } else {
            copy_.assign(e.data);
            copy_.append(simdjson::SIMDJSON_PADDING, '\0');
            json = simdjson::padded_string_view(copy_.data(), e.data.size(), copy_.size());
        }
        chunk_fields f;
        simdjson::ondemand::document doc;
        if (json_.iterate(json).get(doc) != simdjson::SUCCESS) {
            return f;
        }
        simdjson::ondemand::object root;
        if (doc.get_object().get(root) != simdjson::SUCCESS) {
            return f;
        }
        // Fields in any order: walk the object once.
        for (auto field : root) {
            std::string_view key;
            if (field.unescaped_key().get(key) != simdjson::SUCCESS) {
                return f;
            }
            if (key == "choices") {
                simdjson::ondemand::array choices;
                if (field.value().get_array().get(choices) != simdjson::SUCCESS) {
                    return f;
                }
                for (auto choice : choices) {
                    simdjson::ondemand::object delta;
                    if (choice["delta"].get_object().get(delta) == simdjson::SUCCESS) {
                        std::string_view content;
                        if (delta["content"].get_string().get(content) == simdjson::SUCCESS) {
                            f.has_content = !content.empty();
                        }
                    }
                    break;   // choices[0] only
                }
            } else if (key == "usage") {
                simdjson::ondemand::object usage;
                if (field.value().get_object().get(usage) == simdjson::SUCCESS) {
                    std::uint64_t tokens = 0;
                    if (usage["completion_tokens"].get_uint64().get(tokens) == simdjson::SUCCESS) {
                        f.completion_tokens = tokens;
                    }
                }
            }
        }
        f.ok = true;
        return f;
    }

    void set_error(std::string kind)
    {
        kind_ = std::move(kind);
        record_->error = kind_;
    }

    openai_shared& shared_;
    net::exchange exchange_;
    sse::parser sse_{};
    simdjson::ondemand::parser json_{};
    std::string copy_{};
    std::string kind_{};
    std::string failure_{};
    request_record* record_ = nullptr;
    metrics* metrics_ = nullptr;
    steady_time origin_{};
    steady_time previous_{};
    int status_ = 0;
    bool done_ = false;
};

class openai_target final : public target {
public:
    openai_target(asio::io_context& io, const settings& s, const mock_endpoint_info* mock, std::size_t connections)
    {
        std::string url = mock != nullptr ? mock->base_url + "/v1beta/openai"
                          : s.base_url.empty() ? std::string("https://api.openai.com/v1")
                                               : s.base_url;
        if (const std::error_code ec = net::parse_base_url(url, shared_.base)) {
            throw std::system_error(ec, "--base-url " + url);
        }
        describe_ = "openai chat/completions at " + url;
        net::tls_options tls;
        if (mock != nullptr && !mock->ca_pem.empty()) {
            tls = {.system_trust = false, .ca_pem = mock->ca_pem};
        }
        shared_.tls = std::make_unique<net::tls_context>(tls);
        net::pool_options pool;
        pool.max_connections = std::max<std::size_t>(connections, 1);
        if (mock != nullptr) {
            pool.proxy = net::proxy_settings{};
        }
        shared_.pool = std::make_unique<net::connection_pool>(io.get_executor(), pool, shared_.tls.get());
        shared_.exchange.head_timeout = std::chrono::seconds(300);
        shared_.exchange.idle_timeout = std::chrono::seconds(120);
        shared_.exchange.replayable = true;   // a completion changes no server state

        std::string key = "llmio-bench";
        if (mock == nullptr) {
            const char* env = std::getenv("OPENAI_API_KEY");
            if (env == nullptr || *env == '\0') {
                throw std::runtime_error("--target openai: set OPENAI_API_KEY");
            }
            key = env;
        }

        std::string body;
        json::writer w(body);
        w.begin_object();
        w.key("model");
        w.string(s.model);
        w.key("messages");
        w.begin_array();
        w.begin_object();
        w.key("role");
        w.string("user");
        w.key("content");
        w.string(make_prompt(s.prompt_words));
        w.end_object();
        w.end_array();
        w.key("stream");
        w.boolean(true);
        w.key("stream_options");
        w.begin_object();
        w.key("include_usage");
        w.boolean(true);
        w.end_object();
        if (s.max_output_tokens > 0) {
            w.key("max_tokens");
            w.number(static_cast<std::int64_t>(s.max_output_tokens));
        }
        w.end_object();
        if (const std::error_code ec = w.error()) {
            throw std::system_error(ec, "the request body");
        }

        http::request_writer rw(shared_.request);
        rw.start("POST", shared_.base.path_prefix + "/chat/completions")
            .header("Host", shared_.base.origin.authority())
            .header("Authorization", "Bearer " + key)
            .header("Content-Type", "application/json")
            .header("Accept", "text/event-stream")
            .header("User-Agent", "llmio-bench");
        if (const std::error_code ec = rw.finish(body)) {
            throw std::system_error(ec, "the request");
        }
    }

    std::unique_ptr<request_slot> make_slot() override { return std::make_unique<openai_slot>(shared_); }

    void shutdown() noexcept override { shared_.pool->shutdown(); }

    std::string describe() const override { return describe_; }

private:
    openai_shared shared_{};
    std::string describe_{};
};

} // namespace

std::unique_ptr<target> make_openai_target(asio::io_context& io, const settings& s, const mock_endpoint_info* mock,
                                           std::size_t connections)
{
    return std::make_unique<openai_target>(io, s, mock, connections);
}

} // namespace llmio::bench::program
