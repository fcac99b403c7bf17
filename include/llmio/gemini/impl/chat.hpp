// Bodies of llmio/gemini/chat.hpp. Not API.
//
// chat::next_op is one async_compose state machine over stream::async_next: chunks pass
// through, and the end of a round either completes the reply or runs the calls and continues
// with the next round inside the same operation.
#ifndef LLMIO_GEMINI_IMPL_CHAT_HPP
#define LLMIO_GEMINI_IMPL_CHAT_HPP

#include <asio/compose.hpp>
#include <asio/post.hpp>

#include <algorithm>
#include <utility>
#include <variant>

namespace llmio::gemini {

namespace detail {

class chat_error_category_impl final : public std::error_category {
public:
    [[nodiscard]] const char* name() const noexcept override { return "llmio.gemini.chat"; }

    [[nodiscard]] std::string message(int ev) const override
    {
        switch (static_cast<chat_error>(ev)) {
        case chat_error::too_many_function_rounds:
            return "the model kept calling functions past chat_options::max_function_rounds";
        case chat_error::not_sent: return "no reply to read: call send() first";
        case chat_error::not_a_user_turn: return "send() takes a user turn with at least one part";
        }
        return "unknown llmio.gemini.chat error";
    }

    [[nodiscard]] bool equivalent(int code, const std::error_condition& cond) const noexcept override
    {
        if (cond.category() != condition_category()) {
            return false;
        }
        const auto c = static_cast<condition>(cond.value());
        switch (static_cast<chat_error>(code)) {
        case chat_error::too_many_function_rounds: return c == condition::limit_exceeded;
        case chat_error::not_sent:
        case chat_error::not_a_user_turn: return c == condition::invalid_input;
        }
        return false;
    }
};

/// Where trim_history may cut: a user turn that answers no call.
[[nodiscard]] inline bool starts_exchange(const content& turn) noexcept
{
    if (turn.role != role::user) {
        return false;
    }
    return std::none_of(turn.parts.begin(), turn.parts.end(), [](const content_part& p) {
        return std::holds_alternative<function_response>(p.value);
    });
}

[[nodiscard]] inline std::size_t payload_bytes(const content_part& p) noexcept
{
    struct sizer {
        std::size_t operator()(const std::string& text) const noexcept { return text.size(); }
        std::size_t operator()(const inline_data& d) const noexcept { return d.mime_type.size() + d.data.size(); }
        std::size_t operator()(const file_data& d) const noexcept { return d.mime_type.size() + d.file_uri.size(); }
        std::size_t operator()(const function_call& c) const noexcept
        {
            return c.id.size() + c.name.size() + c.args_json.size();
        }
        std::size_t operator()(const function_response& r) const noexcept
        {
            return r.id.size() + r.name.size() + r.response_json.size();
        }
        std::size_t operator()(const executable_code& c) const noexcept { return c.language.size() + c.code.size(); }
        std::size_t operator()(const code_execution_result& r) const noexcept
        {
            return r.outcome.size() + r.output.size();
        }
    };
    return std::visit(sizer{}, p.value) + p.thought_signature.size();
}

} // namespace detail

inline const std::error_category& chat_error_category() noexcept
{
    static const detail::chat_error_category_impl category;
    return category;
}

inline std::error_code make_error_code(chat_error e) noexcept
{
    return {static_cast<int>(e), chat_error_category()};
}

// ---- Trimming ----------------------------------------------------------------------------------

inline std::size_t estimate_tokens(const content& turn) noexcept
{
    std::size_t bytes = 0;
    for (const content_part& p : turn.parts) {
        bytes += detail::payload_bytes(p);
    }
    return (bytes + 3) / 4;
}

inline std::size_t estimate_tokens(const std::vector<content>& history, counted_prefix known) noexcept
{
    std::size_t from = 0;
    std::size_t total = 0;
    if (known.turns > 0 && known.turns <= history.size()) {
        from = known.turns;
        total = known.tokens;
    }
    for (std::size_t i = from; i < history.size(); ++i) {
        total += estimate_tokens(history[i]);
    }
    return total;
}

inline std::size_t trim_history(std::vector<content>& history, std::size_t max_tokens, counted_prefix known)
{
    if (max_tokens == 0 || history.size() < 2) {
        return 0;
    }
    const std::size_t total = estimate_tokens(history, known);
    if (total <= max_tokens) {
        return 0;
    }
    // Turns inside the counted prefix are taken off at their own estimate: the service's count
    // also holds the system instruction and tools, which no cut removes.
    std::size_t removed = 0;
    std::size_t cut = 0;
    for (std::size_t i = 1; i < history.size(); ++i) {
        removed += estimate_tokens(history[i - 1]);
        if (!detail::starts_exchange(history[i])) {
            continue;
        }
        cut = i;
        if (total - std::min(removed, total) <= max_tokens) {
            break;
        }
    }
    history.erase(history.begin(), history.begin() + static_cast<std::ptrdiff_t>(cut));
    return cut;
}

// ---- chat --------------------------------------------------------------------------------------

inline chat::chat(client& c, chat_options o) : client_(&c), options_(std::move(o)), stream_(c)
{
    options_.call.keep_turn = true;
    request_.system_instruction = options_.system_instruction;
    request_.config = options_.config;
    request_.safety_settings = options_.safety_settings;
    request_.tool_config = options_.tool_config;
}

inline std::error_code chat::send(std::string_view user_text)
{
    return send(content{.role = role::user, .parts = {content_part::from_text(std::string(user_text))}});
}

inline std::error_code chat::send(content user_turn)
{
    if (pending_) {
        return client_error::busy;
    }
    if (user_turn.role != role::user || user_turn.parts.empty()) {
        return chat_error::not_a_user_turn;
    }
    if (phase_ == phase::replying) {
        roll_back();   // an unfinished reply is abandoned; stream::start abandons its exchange
    }
    phase_ = phase::idle;
    failure_.clear();
    reply_.clear();
    rounds_ = 0;
    request_.tools = options_.tools;
    if (options_.functions != nullptr && !options_.functions->empty()) {
        request_.tools.push_back(options_.functions->tool());
    }
    request_.contents.push_back(std::move(user_turn));
    send_start_ = request_.contents.size() - 1;
    if (const std::error_code ec = start_round()) {
        roll_back();
        return ec;
    }
    phase_ = phase::replying;
    return {};
}

inline std::error_code chat::start_round()
{
    if (options_.max_history_tokens != 0) {
        const std::size_t dropped =
            trim_history(request_.contents, options_.max_history_tokens, counted_.value_or(counted_prefix{}));
        if (dropped != 0) {
            // Never past send_start_: the cut is at most the newest user turn without responses,
            // and every turn after send_start_ is a model turn or a turn of responses.
            send_start_ -= std::min(dropped, send_start_);
            trimmed_ += dropped;
            counted_.reset();
        }
    }
    return stream_.start(options_.model, request_, options_.call);
}

inline void chat::roll_back() noexcept
{
    if (send_start_ < request_.contents.size()) {
        request_.contents.erase(request_.contents.begin() + static_cast<std::ptrdiff_t>(send_start_),
                                request_.contents.end());
    }
    counted_.reset();
}

inline std::error_code chat::end_round(bool& next)
{
    next = false;
    if (const std::optional<usage_metadata>& u = stream_.usage(); u && u->prompt > 0) {
        counted_ = counted_prefix{.turns = request_.contents.size(), .tokens = static_cast<std::size_t>(u->prompt)};
    }
    else {
        counted_.reset();
    }
    content turn = stream_.turn();
    turn.role = role::model;
    if (turn.parts.empty()) {
        turn.parts.push_back(content_part::from_text({}));   // keeps user and model turns alternating
    }
    content answers{.role = role::user};
    const bool calls = std::any_of(turn.parts.begin(), turn.parts.end(), [](const content_part& p) {
        return std::holds_alternative<function_call>(p.value);
    });
    if (calls && options_.functions != nullptr) {
        if (rounds_ >= options_.max_function_rounds) {
            return chat_error::too_many_function_rounds;
        }
        for (const content_part& p : turn.parts) {
            if (const auto* call = std::get_if<function_call>(&p.value)) {
                answers.parts.push_back({.value = options_.functions->run(*call)});
            }
        }
    }
    request_.contents.push_back(std::move(turn));
    if (answers.parts.empty()) {
        phase_ = phase::done;
        return {};
    }
    request_.contents.push_back(std::move(answers));
    ++rounds_;
    if (const std::error_code ec = start_round()) {
        return ec;
    }
    next = true;
    return {};
}

struct chat::next_op {
    chat* c;
    bool owner = false;    // this operation set c->pending_
    bool posted = false;   // completing after a post: the result is below
    std::error_code out_ec{};

    template <class Self>
    void operator()(Self& self)
    {
        chat& ch = *c;
        if (posted) {
            return finish(self, out_ec, nullptr);
        }
        if (ch.pending_) {
            return post(self, client_error::busy);
        }
        switch (ch.phase_) {
        case phase::idle: return post(self, chat_error::not_sent);
        case phase::done: return post(self, {});
        case phase::failed: return post(self, ch.failure_);
        case phase::replying: break;
        }
        ch.pending_ = true;
        owner = true;
        ch.stream_.async_next(std::move(self));
    }

    template <class Self>
    void operator()(Self& self, std::error_code ec, const response* chunk)
    {
        chat& ch = *c;
        if (ec) {
            return fail(self, ec);
        }
        if (chunk != nullptr) {
            ch.reply_.append(ch.stream_.chunk_text());
            return finish(self, {}, chunk);
        }
        bool next = false;
        if (const std::error_code e = ch.end_round(next)) {
            return fail(self, e);
        }
        if (!next) {
            return finish(self, {}, nullptr);
        }
        ch.stream_.async_next(std::move(self));
    }

private:
    template <class Self>
    void post(Self& self, std::error_code ec)
    {
        posted = true;
        out_ec = ec;
        asio::post(std::move(self));   // never complete inline
    }

    template <class Self>
    void fail(Self& self, std::error_code ec)
    {
        chat& ch = *c;
        ch.roll_back();
        ch.phase_ = phase::failed;
        ch.failure_ = ec;
        finish(self, ec, nullptr);
    }

    template <class Self>
    void finish(Self& self, std::error_code ec, const response* chunk)
    {
        if (owner) {
            c->pending_ = false;
        }
        self.complete(ec, chunk);
    }
};

struct chat::collect_op {
    chat* c;
    std::error_code send_ec;
    bool started = false;

    template <class Self>
    void operator()(Self& self)
    {
        if (started) {
            self.complete(send_ec, std::string{});
            return;
        }
        started = true;
        if (send_ec) {
            asio::post(std::move(self));   // never complete inline
            return;
        }
        chat& ch = *c;
        ch.async_next(std::move(self));
    }

    template <class Self>
    void operator()(Self& self, std::error_code ec, const response* chunk)
    {
        chat& ch = *c;
        if (!ec && chunk != nullptr) {
            ch.async_next(std::move(self));
            return;
        }
        self.complete(ec, std::string(ch.reply_text()));
    }
};

template <class CompletionToken>
auto chat::async_next(CompletionToken&& token)
{
    return asio::async_compose<CompletionToken, void(std::error_code, const response*)>(next_op{this}, token,
                                                                                       client_->get_executor());
}

template <class CompletionToken>
auto chat::async_send_and_collect(std::string_view user_text, CompletionToken&& token)
{
    const std::error_code ec = send(user_text);
    return asio::async_compose<CompletionToken, void(std::error_code, std::string)>(collect_op{this, ec}, token,
                                                                                   client_->get_executor());
}

inline std::string_view chat::chunk_text() const noexcept { return stream_.chunk_text(); }
inline std::string_view chat::reply_text() const noexcept { return reply_; }
inline const std::vector<content>& chat::history() const noexcept { return request_.contents; }
inline const stream& chat::current() const noexcept { return stream_; }
inline int chat::rounds() const noexcept { return rounds_; }
inline std::size_t chat::trimmed_turns() const noexcept { return trimmed_; }
inline const chat_options& chat::options() const noexcept { return options_; }

} // namespace llmio::gemini

#endif // LLMIO_GEMINI_IMPL_CHAT_HPP
