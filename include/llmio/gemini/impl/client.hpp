// Bodies of llmio/gemini/client.hpp. Not API.
#ifndef LLMIO_GEMINI_IMPL_CLIENT_HPP
#define LLMIO_GEMINI_IMPL_CLIENT_HPP

#include <llmio/gemini/impl/call_core.hpp>
#include <llmio/gemini/impl/client_state.hpp>
#include <llmio/gemini/impl/model_responses.hpp>
#include <llmio/json/writer.hpp>

#include <asio/compose.hpp>
#include <asio/post.hpp>

#include <cstdio>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace llmio::gemini {

// ---- stream ------------------------------------------------------------------------------------

inline stream::stream(client& c) : core_(std::make_shared<detail::call_core>(*c.state_)) {}

inline stream::~stream()
{
    if (core_ && core_->busy) {
        core_->abandoned = true;
        core_->ex.close();
        core_->timer.cancel();
    }
}

inline std::error_code stream::start(std::string_view model, const generate_content_request& request,
                                     const call_options& options)
{
    detail::call_core& x = *core_;
    if (const std::error_code ec = x.begin(detail::call_mode::stream, "streamGenerateContent", "POST", model, options)) {
        return ec;
    }
    if (const std::error_code ec = x.encoder.encode(request, x.body)) {
        x.phase = detail::call_phase::idle;
        return ec;
    }
    x.set_target(":streamGenerateContent?alt=sse");
    x.token_estimate = x.body.size() / 4 + 1;
    return {};
}

inline std::error_code stream::start_unary(std::string_view model, const generate_content_request& request,
                                           const call_options& options)
{
    detail::call_core& x = *core_;
    if (const std::error_code ec = x.begin(detail::call_mode::unary, "generateContent", "POST", model, options)) {
        return ec;
    }
    if (const std::error_code ec = x.encoder.encode(request, x.body)) {
        x.phase = detail::call_phase::idle;
        return ec;
    }
    x.set_target(":generateContent");
    x.token_estimate = x.body.size() / 4 + 1;
    return {};
}

inline std::error_code stream::start_raw(std::string_view operation, std::string_view method, std::string_view model,
                                         std::string_view target_suffix, std::string_view body,
                                         const call_options& options)
{
    detail::call_core& x = *core_;
    if (const std::error_code ec = x.begin(detail::call_mode::raw, operation, method, model, options)) {
        return ec;
    }
    x.body.assign(body);
    x.set_target(target_suffix);
    x.token_estimate = 0;
    return {};
}

template <class CompletionToken>
auto stream::async_next(CompletionToken&& token)
{
    return asio::async_initiate<CompletionToken, void(std::error_code, const response*)>(detail::initiate_next{},
                                                                                         token, core_);
}

inline bool stream::try_next(std::error_code& ec, const response*& chunk)
{
    detail::call_core& c = *core_;
    if (c.busy) {
        return false;
    }
    if (c.phase == detail::call_phase::done) {
        ec = c.result;   // what every later async_next gives
        chunk = nullptr;
        return true;
    }
    if (!c.decode_ahead()) {
        return false;
    }
    ec.clear();
    chunk = c.current;
    return true;
}

inline const response& stream::chunk() const noexcept
{
    static const response none{};
    return core_->current != nullptr ? *core_->current : none;
}
inline std::string_view stream::chunk_text() const noexcept
{
    return std::string_view(core_->text).substr(core_->chunk_begin);
}
inline std::string_view stream::text() const noexcept { return core_->text; }
inline std::string_view stream::thoughts() const noexcept { return core_->thoughts; }
inline const content& stream::turn() const noexcept { return core_->turn; }
inline std::size_t stream::chunks() const noexcept { return core_->delivered; }
inline gemini::finish_reason stream::finish_reason() const noexcept { return core_->finish; }
inline const std::optional<usage_metadata>& stream::usage() const noexcept { return core_->usage; }
inline std::string_view stream::raw_body() const noexcept { return core_->whole_body; }
inline std::error_code stream::error() const noexcept { return core_->result; }
inline const error_details& stream::details() const noexcept { return core_->details; }
inline int stream::attempts() const noexcept { return core_->attempts; }
inline int stream::http_status() const noexcept { return core_->status; }
inline clock_source::duration stream::limiter_wait() const noexcept { return core_->limiter_waited; }
inline std::optional<clock_source::duration> stream::time_to_first_chunk() const noexcept
{
    return core_->first_chunk_after;
}
inline std::size_t stream::project() const noexcept { return core_->project; }

inline std::string stream::error_message() const
{
    const detail::call_core& x = *core_;
    if (!x.result) {
        return {};
    }
    std::string m = x.result.message();
    const error_details& d = x.details;
    if (!d.message.empty()) {
        m += ": \"";
        m += d.message;
        m += '"';
    }
    std::string facts;
    auto add = [&](const std::string& s) {
        facts += facts.empty() ? " (" : "; ";
        facts += s;
    };
    if (d.http_status != 0) {
        add("HTTP " + std::to_string(d.http_status) + (d.status.empty() ? "" : " " + d.status));
    }
    if (!d.reason.empty()) {
        add("reason " + d.reason);
    }
    if (!d.quota_id.empty()) {
        add("quota " + d.quota_id + (d.quota_value ? " = " + std::to_string(*d.quota_value) : ""));
    }
    if (d.retry_delay) {
        char text[48];
        std::snprintf(text, sizeof text, "server asks to retry after %.3g s",
                      std::chrono::duration<double>(*d.retry_delay).count());
        add(text);
    }
    if (x.gave_up == retry_verdict::deadline) {
        add("no retry: the deadline comes first");
    }
    else if (x.gave_up == retry_verdict::budget_exhausted) {
        add("no retry: the client's retry budget is spent (too many failures)");
    }
    if (x.attempts > 1) {
        add(std::to_string(x.attempts) + " attempts");
    }
    if (x.delivered > 0) {
        add(std::to_string(x.delivered) + " chunks, " + std::to_string(x.text.size()) +
            " bytes of text delivered before the error (partial output)");
    }
    if (x.key != nullptr) {
        add("key " + redact_key(*x.key));
    }
    if (!d.help_url.empty()) {
        add("see " + d.help_url);
    }
    if (!facts.empty()) {
        m += facts;
        m += ')';
    }
    return m;
}

// ---- client ------------------------------------------------------------------------------------

inline client::client(executor_type ex, client_options options) : state_(std::make_unique<detail::client_state>())
{
    if (const std::error_code ec = state_->configure(std::move(ex), std::move(options))) {
        throw std::system_error(ec, "llmio::gemini::client");
    }
}

inline client::client(executor_type ex, client_options options, std::error_code& ec)
    : state_(std::make_unique<detail::client_state>())
{
    ec = state_->configure(std::move(ex), std::move(options));
}

inline client::~client()
{
    if (state_) {
        state_->shutdown();
    }
}

inline client::executor_type client::get_executor() const noexcept { return state_->ex; }
inline const client_options& client::options() const noexcept { return state_->options; }
inline void client::shutdown() noexcept { state_->shutdown(); }
inline rate_limiter& client::limiter() noexcept { return *state_->limiter; }
inline key_ring& client::keys() noexcept { return state_->keys; }
inline retry_budget& client::budget() noexcept { return *state_->budget; }
inline net::connection_pool& client::pool() noexcept { return *state_->pool; }
inline const std::vector<std::string>& client::warnings() const noexcept { return state_->warnings; }

namespace detail {

/// A one-shot operation on a stream of its own: start (done by the caller), async_next, then
/// `Finish` turns the stream into the owned result.
template <class Finish>
struct owned_op {
    std::unique_ptr<stream> s;
    std::error_code start_ec;
    Finish finish;
    bool started = false;

    template <class Self>
    void operator()(Self& self)
    {
        if (!started) {
            started = true;
            if (start_ec) {
                asio::post(std::move(self));   // never complete inline
                return;
            }
            stream& st = *s;
            st.async_next(std::move(self));
            return;
        }
        self.complete(start_ec, typename Finish::result_type{});
    }

    template <class Self>
    void operator()(Self& self, std::error_code ec, const response*)
    {
        typename Finish::result_type out{};
        ec = finish(*s, ec, out);
        self.complete(ec, std::move(out));
    }
};

struct finish_generate {
    using result_type = generate_result;
    std::error_code operator()(stream& s, std::error_code ec, generate_result& out) const
    {
        out.text.assign(s.text());
        out.thoughts.assign(s.thoughts());
        out.turn = s.turn();
        out.finish = s.finish_reason();
        out.usage = s.usage();
        out.model_version.assign(s.chunk().model_version);
        out.response_id.assign(s.chunk().response_id);
        out.attempts = s.attempts();
        if (ec) {
            out.error = s.details();
            out.error_message = s.error_message();
        }
        return ec;
    }
};

struct finish_count_tokens {
    using result_type = count_tokens_result;
    std::error_code operator()(stream& s, std::error_code ec, count_tokens_result& out) const
    {
        return ec ? ec : decode_count_tokens(s.raw_body(), out);
    }
};

struct finish_embedding {
    using result_type = std::vector<float>;
    std::error_code operator()(stream& s, std::error_code ec, std::vector<float>& out) const
    {
        return ec ? ec : decode_embedding(s.raw_body(), out);
    }
};

struct finish_embeddings {
    using result_type = std::vector<std::vector<float>>;
    std::size_t expected = 0;
    std::error_code operator()(stream& s, std::error_code ec, std::vector<std::vector<float>>& out) const
    {
        if (ec) {
            return ec;
        }
        ec = decode_embeddings(s.raw_body(), out);
        if (!ec && out.size() != expected) {
            ec = client_error::unexpected_response;
        }
        return ec;
    }
};

struct finish_model {
    using result_type = model_info;
    std::error_code operator()(stream& s, std::error_code ec, model_info& out) const
    {
        return ec ? ec : decode_model(s.raw_body(), out);
    }
};

/// `models`, page after page.
struct list_models_op {
    std::unique_ptr<stream> s;
    call_options options;
    std::vector<model_info> models{};
    std::string next_page{};
    std::string suffix{};
    std::error_code failed{};
    bool started = false;

    template <class Self>
    void operator()(Self& self)
    {
        if (started) {
            self.complete(failed, std::move(models));
            return;
        }
        started = true;
        next_page_or_end(self);
    }

    template <class Self>
    void operator()(Self& self, std::error_code ec, const response*)
    {
        if (!ec) {
            ec = decode_model_page(s->raw_body(), models, next_page);
        }
        if (ec) {
            self.complete(ec, std::vector<model_info>{});
            return;
        }
        if (next_page.empty()) {
            self.complete({}, std::move(models));
            return;
        }
        next_page_or_end(self);
    }

    template <class Self>
    void next_page_or_end(Self& self)
    {
        suffix = "/models?pageSize=1000";
        if (!next_page.empty()) {
            suffix += "&pageToken=";
            for (const char ch : next_page) {   // tokens are base64-ish: escape what a query cannot hold
                const bool plain = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
                                   ch == '-' || ch == '_' || ch == '.' || ch == '~';
                if (plain) {
                    suffix += ch;
                }
                else {
                    char esc[4];
                    std::snprintf(esc, sizeof esc, "%%%02X", static_cast<unsigned char>(ch));
                    suffix += esc;
                }
            }
        }
        failed = s->start_raw("listModels", "GET", "", suffix, "", options);
        if (failed) {
            asio::post(std::move(self));
            return;
        }
        stream& st = *s;
        st.async_next(std::move(self));
    }
};

} // namespace detail

template <class CompletionToken>
auto client::async_generate_content(std::string_view model, const generate_content_request& request,
                                    const call_options& options, CompletionToken&& token)
{
    auto s = std::make_unique<stream>(*this);
    call_options o = options;
    o.keep_turn = true;
    const std::error_code ec = s->start_unary(model, request, o);
    return asio::async_compose<CompletionToken, void(std::error_code, generate_result)>(
        detail::owned_op<detail::finish_generate>{std::move(s), ec, {}}, token, state_->ex);
}

template <class CompletionToken>
auto client::async_count_tokens(std::string_view model, const generate_content_request& request,
                                const call_options& options, CompletionToken&& token)
{
    auto s = std::make_unique<stream>(*this);
    std::string body;
    std::error_code ec = s->core_->encoder.encode_count_tokens(request, body);
    if (!ec) {
        ec = s->start_raw("countTokens", "POST", model, ":countTokens", body, options);
    }
    if (!ec && s->core_->model.empty()) {
        ec = client_error::invalid_model;
    }
    return asio::async_compose<CompletionToken, void(std::error_code, count_tokens_result)>(
        detail::owned_op<detail::finish_count_tokens>{std::move(s), ec, {}}, token, state_->ex);
}

template <class CompletionToken>
auto client::async_embed_content(std::string_view model, std::string_view text, const embed_content_config& config,
                                 const call_options& options, CompletionToken&& token)
{
    auto s = std::make_unique<stream>(*this);
    std::string body;
    std::error_code ec = s->core_->encoder.encode_embed_content(text, config, body);
    if (!ec) {
        ec = s->start_raw("embedContent", "POST", model, ":embedContent", body, options);
    }
    if (!ec && s->core_->model.empty()) {
        ec = client_error::invalid_model;
    }
    return asio::async_compose<CompletionToken, void(std::error_code, std::vector<float>)>(
        detail::owned_op<detail::finish_embedding>{std::move(s), ec, {}}, token, state_->ex);
}

template <class CompletionToken>
auto client::async_batch_embed_contents(std::string_view model, const std::vector<std::string>& texts,
                                        const embed_content_config& config, const call_options& options,
                                        CompletionToken&& token)
{
    auto s = std::make_unique<stream>(*this);
    const std::string name = "models/" + std::string(detail::strip_models_prefix(model));
    std::string body;
    json::writer w(body);
    w.begin_object();
    w.key("requests");
    w.begin_array();
    for (const std::string& t : texts) {
        w.begin_object();
        w.key("model");
        w.string(name);
        w.key("content");
        w.begin_object();
        w.key("parts");
        w.begin_array();
        w.begin_object();
        w.key("text");
        w.string(t);
        w.end_object();
        w.end_array();
        w.end_object();
        if (!config.task_type.empty()) {
            w.key("taskType");
            w.string(config.task_type);
        }
        if (!config.title.empty()) {
            w.key("title");
            w.string(config.title);
        }
        if (config.output_dimensionality) {
            w.key("outputDimensionality");
            w.number(static_cast<std::int64_t>(*config.output_dimensionality));
        }
        w.end_object();
    }
    w.end_array();
    w.end_object();
    std::error_code ec = w.error();
    if (!ec) {
        ec = s->start_raw("batchEmbedContents", "POST", model, ":batchEmbedContents", body, options);
    }
    if (!ec && s->core_->model.empty()) {
        ec = client_error::invalid_model;
    }
    return asio::async_compose<CompletionToken, void(std::error_code, std::vector<std::vector<float>>)>(
        detail::owned_op<detail::finish_embeddings>{std::move(s), ec, {texts.size()}}, token, state_->ex);
}

template <class CompletionToken>
auto client::async_list_models(const call_options& options, CompletionToken&& token)
{
    return asio::async_compose<CompletionToken, void(std::error_code, std::vector<model_info>)>(
        detail::list_models_op{std::make_unique<stream>(*this), options}, token, state_->ex);
}

template <class CompletionToken>
auto client::async_get_model(std::string_view model, const call_options& options, CompletionToken&& token)
{
    auto s = std::make_unique<stream>(*this);
    std::error_code ec = s->start_raw("getModel", "GET", model, "", "", options);
    if (!ec && s->core_->model.empty()) {
        ec = client_error::invalid_model;
    }
    return asio::async_compose<CompletionToken, void(std::error_code, model_info)>(
        detail::owned_op<detail::finish_model>{std::move(s), ec, {}}, token, state_->ex);
}

} // namespace llmio::gemini

#endif // LLMIO_GEMINI_IMPL_CLIENT_HPP
