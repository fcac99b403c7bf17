// llmio/gemini/chat.hpp: a conversation with a model: its history, streamed replies, the
// function-call loop, and a sliding window over the history.
//
//     gemini::chat session(client, {.model = "gemini-2.5-flash", .functions = &functions});
//     if (auto ec = session.send("What is the weather in Paris?")) { ... }
//     for (;;) {
//         auto [ec, chunk] = co_await session.async_next(asio::as_tuple(asio::use_awaitable));
//         if (ec) { report(session.current().error_message()); break; }   // history as before send()
//         if (!chunk) break;                                                // the reply is complete
//         std::cout << session.chunk_text();
//     }
//     // or: auto [ec, reply] = co_await session.async_send_and_collect("Thanks!", tuple_awaitable);
//
// The history is what the service needs to continue the conversation, exactly: each model
// turn goes in as stream::turn() gathered it, so thought parts and `thoughtSignature`s come
// back byte for byte (Gemini 3 refuses a function-calling turn whose signature was dropped);
// a model turn that came with no parts is kept as one empty text part, so that the turns still
// alternate. When a turn ends with function calls and `chat_options::functions` is set, the
// calls are run (all parallel calls of the turn, in order), their responses go back as one user
// turn of functionResponse parts (each with its call's id and name), and the next round is
// streamed, all inside the same send: the caller sees one reply. Without `functions`, a turn
// with calls ends the send like any other; answer it with send(content) holding the responses.
//
// A send is all or nothing. When its reply fails (a stream error, too many function rounds, a
// request that cannot be encoded), every turn it added (the user turn, and the calls and
// responses of finished rounds) is removed again: history() is what it was before send(), and
// send() can simply be called again. The partial reply stays readable in reply_text() and
// current() until then. A send() while a reply is still unfinished abandons that reply the same
// way.
//
// Trimming (max_history_tokens): before each request, when the history's estimate passes the
// budget, the oldest exchanges are dropped for good (see trim_history). Turns dropped stay
// dropped even when the send then fails.
//
// Lifetimes: the client and `functions` outlive the chat; the chat outlives its pending
// operation. Thread safety: none; use a chat from its client's executor. Function handlers run
// inline on that executor, between two reads of the stream: keep them short, and do not call
// back into the same chat from one.
#ifndef LLMIO_GEMINI_CHAT_HPP
#define LLMIO_GEMINI_CHAT_HPP

#include <llmio/error.hpp>
#include <llmio/gemini/client.hpp>
#include <llmio/gemini/request.hpp>
#include <llmio/gemini/tools.hpp>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

namespace llmio::gemini {

/// How a chat refused or ended a reply (category "llmio.gemini.chat").
enum class chat_error {
    /// The model still asked for functions after `max_function_rounds` rounds of calls in one
    /// send (condition::limit_exceeded). The send's turns are removed as for any failure.
    too_many_function_rounds = 1,
    /// async_next before any send(), or after a send() that failed (condition::invalid_input).
    not_sent,
    /// send(content) with a model turn or a turn without parts (condition::invalid_input).
    not_a_user_turn,
};

[[nodiscard]] const std::error_category& chat_error_category() noexcept;
[[nodiscard]] std::error_code make_error_code(chat_error e) noexcept;

struct chat_options {
    /// "gemini-2.5-flash" or "models/gemini-2.5-flash".
    std::string model{};
    std::optional<content> system_instruction{};
    generation_config config{};
    std::vector<safety_setting> safety_settings{};
    /// Sent besides the registry's declarations (which go last, as one more tool).
    std::vector<tool> tools{};
    std::optional<gemini::tool_config> tool_config{};
    /// Not owned; must outlive the chat. Set: the call loop runs the calls. nullptr: calls end
    /// the send and are the caller's to answer.
    const function_registry* functions = nullptr;
    /// Rounds of calls (model -> functions -> model) one send may run; a model turn with calls
    /// past this many ends the send with chat_error::too_many_function_rounds. 0: any call does.
    int max_function_rounds = 8;
    /// The history's token budget (trim_history); 0: keep everything.
    std::size_t max_history_tokens = 0;
    /// For every request of the chat (keep_turn is always set: the history needs the turns).
    call_options call{};
};

// ---- Trimming, on its own so that it can be tested and reused -------------------------------

/// What the service counted for the first `turns` turns of a history: usage.prompt of the
/// response to a request that sent exactly those turns (system instruction and tools included,
/// which only makes the estimate safer).
struct counted_prefix {
    std::size_t turns = 0;
    std::size_t tokens = 0;
};

/// A turn's tokens, estimated as its payload bytes (text, arguments, results, data, URIs,
/// signatures) / 4, rounded up: about four bytes of English per token.
[[nodiscard]] std::size_t estimate_tokens(const content& turn) noexcept;
/// The history's tokens: `known.tokens` for its first `known.turns` turns when the count is
/// known (turns > 0 and no more than the history holds), plus estimate_tokens of each other turn.
[[nodiscard]] std::size_t estimate_tokens(const std::vector<content>& history, counted_prefix known = {}) noexcept;

/// Drops the oldest turns of `history` while its estimate (above) passes `max_tokens` (0: no
/// limit), and returns how many were dropped. It only ever cuts just before a user turn that
/// holds no functionResponse part, so that:
/// - whole exchanges go (a user turn, the model's reply, and any call rounds between them);
/// - a model turn with function calls is never separated from the user turn answering it;
/// - the history left starts with a user turn, and the newest user turn is never dropped.
/// It drops the fewest turns that bring the estimate within the budget, or, when no cut does,
/// as many as those rules allow: the request may still be larger than the budget.
[[nodiscard]] std::size_t trim_history(std::vector<content>& history, std::size_t max_tokens, counted_prefix known = {});

// ---- The session ---------------------------------------------------------------------------

class chat {
public:
    /// Nothing is sent until send(). `c` must outlive the chat.
    chat(client& c, chat_options o);
    chat(const chat&) = delete;
    chat& operator=(const chat&) = delete;

    /// Appends a user turn and prepares the reply (the request is encoded now: an encode error
    /// is returned at once, and the history is left as it was); async_next then streams it.
    /// Fails with client_error::busy while an async_next is pending. An unfinished reply is
    /// abandoned (its turns removed). The chat's tools are read from `functions` here, so
    /// functions registered since the last send are offered.
    [[nodiscard]] std::error_code send(std::string_view user_text);
    /// The same with a whole turn (images, files, functionResponse parts answering calls the
    /// caller runs itself); chat_error::not_a_user_turn for a model turn or one without parts.
    [[nodiscard]] std::error_code send(content user_turn);

    /// The next chunk of the reply, across function-call rounds: when a model turn ends with
    /// calls, they are run, their responses appended as one user turn, and the next round is
    /// streamed, until a turn ends without calls (the reply is complete) or the rounds run out.
    ///
    /// Completion signature `void(std::error_code, const response*)`, as stream::async_next:
    /// - a chunk (also chunk_text()): valid until the next call on this chat;
    /// - nullptr with no error: the reply is complete and in history(); later calls give the
    ///   same until the next send();
    /// - an error: the stream's (current().error_message() says more), a call error from
    ///   starting the next round, or chat_error::too_many_function_rounds; the send's turns are
    ///   removed from history(), reply_text() keeps the partial reply; later calls give the
    ///   same error. client_error::busy while another async_next is pending,
    ///   chat_error::not_sent before a send().
    /// Never completes inline. The chat must outlive the operation. Cancellation: terminal,
    /// through the handler's cancellation slot, as stream::async_next (operation_aborted, the
    /// send's turns removed). Thread safety: none (the client's executor).
    template <class CompletionToken>
    auto async_next(CompletionToken&& token);

    /// send(user_text), then async_next until the reply is complete. Completion signature
    /// `void(std::error_code, std::string reply)`: the whole reply text, or the partial text
    /// with the error (a send() error included). `user_text` is copied before this returns.
    template <class CompletionToken>
    auto async_send_and_collect(std::string_view user_text, CompletionToken&& token);

    /// The non-thought text of the current chunk; valid until the next call on this chat.
    [[nodiscard]] std::string_view chunk_text() const noexcept;
    /// All of this send's text so far, every round's; valid until the next send().
    [[nodiscard]] std::string_view reply_text() const noexcept;
    /// The conversation, oldest first, as it will be sent (after trimming).
    [[nodiscard]] const std::vector<content>& history() const noexcept;
    /// The last round's stream: usage(), details(), error_message(), attempts(), turn().
    [[nodiscard]] const stream& current() const noexcept;
    /// Rounds of function calls this send has run.
    [[nodiscard]] int rounds() const noexcept;
    /// Turns trimming has dropped since the chat began.
    [[nodiscard]] std::size_t trimmed_turns() const noexcept;
    [[nodiscard]] const chat_options& options() const noexcept;

private:
    enum class phase : std::uint8_t { idle, replying, done, failed };
    struct next_op;
    struct collect_op;

    [[nodiscard]] std::error_code start_round();
    void roll_back() noexcept;
    /// The reply's round ended well: keep the turn; run the calls (true: a next round started).
    [[nodiscard]] std::error_code end_round(bool& next);

    client* client_;
    chat_options options_;
    stream stream_;
    generate_content_request request_{};   // request_.contents is the history
    std::string reply_{};
    std::size_t send_start_ = 0;           // index of this send's user turn
    int rounds_ = 0;
    phase phase_ = phase::idle;
    bool pending_ = false;                 // an async_next is in flight
    std::error_code failure_{};
    std::optional<counted_prefix> counted_{};
    std::size_t trimmed_ = 0;
};

} // namespace llmio::gemini

template <>
struct std::is_error_code_enum<llmio::gemini::chat_error> : std::true_type {};

#include <llmio/gemini/impl/chat.hpp>

#endif // LLMIO_GEMINI_CHAT_HPP
