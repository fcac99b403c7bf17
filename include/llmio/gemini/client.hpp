// llmio/gemini/client.hpp: the Gemini client users program against.
//
//     asio::io_context io;
//     gemini::client client(io.get_executor(), {.api_key = key});
//
//     // Streaming, chunk by chunk; `s` is reusable and keeps its buffers warm:
//     gemini::stream s(client);
//     if (auto ec = s.start("gemini-2.5-flash", request)) { ... invalid request ... }
//     for (;;) {
//         auto [ec, chunk] = co_await s.async_next(asio::as_tuple(asio::use_awaitable));
//         if (ec) { report(s.error_message()); use(s.text()); break; }  // partial output kept
//         if (!chunk) break;                                              // finished well
//         std::cout << s.chunk_text();                                    // valid until the next call
//     }
//
//     // One-shot operations, owning results:
//     auto [ec, r] = co_await client.async_generate_content("gemini-2.5-flash", request, {},
//                                                           asio::as_tuple(asio::use_awaitable));
//
// Every operation is an Asio asynchronous operation: coroutines (use_awaitable), callbacks,
// futures (use_future), deferred, all through completion tokens; there is no parallel API per
// style. Everything runs on the client's executor; the client starts no thread and blocks on
// nothing (name resolution is Asio's async_resolve).
//
// What happens inside one operation, in order: the rate limiter admits it on a project that
// has quota (waiting asynchronously, FIFO within a priority); a key of that project is picked
// (round robin; a key refused as API_KEY_INVALID leaves rotation); the request goes out over a
// pooled keep-alive connection; a failure before anything was handed to the caller is retried
// when the policy allows (retry.hpp: backoff with jitter, the server's RetryInfo.retryDelay and
// Retry-After honoured, a retry budget, all inside the total deadline); a 429 pauses the
// limiter for that project and model for the server's delay and teaches it the real limit
// (QuotaFailure.quotaValue); a per-day 429 moves to another project or ends the operation.
// Once a chunk was handed out, a failure is never retried: it is reported with the partial
// output (text(), chunks()).
//
// Lifetimes: the client outlives its streams and pending operations; a request passed by
// reference must stay valid until the operation completes (as Asio's buffers). Thread safety:
// none; use the client from its executor's thread (a strand for a multi-threaded io_context).
// shutdown() (or the destructor) closes pooled connections so that io_context::run() returns.
#ifndef LLMIO_GEMINI_CLIENT_HPP
#define LLMIO_GEMINI_CLIENT_HPP

#include <llmio/error.hpp>
#include <llmio/gemini/api_error.hpp>
#include <llmio/gemini/client_options.hpp>
#include <llmio/gemini/request.hpp>
#include <llmio/gemini/response.hpp>

#include <asio/any_io_executor.hpp>
#include <asio/async_result.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

namespace llmio::gemini {

/// Misuse and configuration errors of the client itself (category "llmio.gemini.client").
enum class client_error {
    /// The model name is empty or holds characters a model name never has ('/', '?', ' ', ...).
    invalid_model = 1,
    /// No API key: none in the options, the config file or the environment.
    no_api_key,
    /// Every key was refused as invalid (API_KEY_INVALID) and left rotation.
    no_usable_key,
    /// The base URL is not http(s)://host[:port][/prefix].
    bad_base_url,
    /// async_next on a stream that was never started.
    not_started,
    /// An operation is already in progress on this stream.
    busy,
    /// A response of the non-content endpoints (count tokens, embed, models) has another shape.
    unexpected_response,
};

[[nodiscard]] const std::error_category& client_error_category() noexcept;
[[nodiscard]] std::error_code make_error_code(client_error e) noexcept;

/// What the service said about a failure, owned (copied out of the decoder), for messages and
/// decisions after the views are gone. Reused by a stream: no allocation once warm.
struct error_details {
    int http_status = 0;
    std::string status{};       ///< "RESOURCE_EXHAUSTED"
    std::string message{};      ///< the service's message (any key in it redacted)
    std::string reason{};       ///< ErrorInfo.reason ("API_KEY_INVALID", "SERVICE_DISABLED")
    std::string quota_id{};     ///< the most binding QuotaFailure violation's quotaId
    std::optional<std::int64_t> quota_value{};
    /// RetryInfo.retryDelay, or Retry-After.
    std::optional<std::chrono::nanoseconds> retry_delay{};
    std::string help_url{};

    void clear() noexcept;
};

namespace detail {
struct client_state;
struct call_core;
} // namespace detail

class client;

/// One streamed (or unary) generation at a time, reusable: start(), then async_next() until it
/// gives no chunk or an error. Reuse the object for the next request: its buffers (request,
/// read buffer, decoder, text) stay warm, and steady state allocates nothing.
class stream {
public:
    explicit stream(client& c);
    /// Abandons an operation in progress: its connection is closed (never pooled), a wait is
    /// cut short, and the pending handler completes with operation_aborted (it must not touch
    /// the stream any more).
    ~stream();
    stream(const stream&) = delete;
    stream& operator=(const stream&) = delete;

    /// Prepares `streamGenerateContent?alt=sse` for `model` ("gemini-2.5-flash" or
    /// "models/gemini-2.5-flash"): encodes the request now (an encode error or
    /// client_error::invalid_model is returned at once, nothing is sent). `request` is not
    /// referenced afterwards. Fails with client_error::busy while an operation is in progress.
    [[nodiscard]] std::error_code start(std::string_view model, const generate_content_request& request,
                                        const call_options& options = {});
    /// The same for unary `generateContent`: async_next then gives the whole response as one chunk.
    [[nodiscard]] std::error_code start_unary(std::string_view model, const generate_content_request& request,
                                              const call_options& options = {});

    /// The next chunk. Completion signature `void(std::error_code, const response*)`:
    /// - a chunk (also in chunk(), chunk_text()): valid until the next call on this stream;
    /// - nullptr with no error: the stream finished well (finish_reason(), usage());
    /// - an error: everything handed out before it is the partial output (text(), chunks()),
    ///   error_message() says what happened and what to do. Later calls give the same error.
    /// The first call sends the request (limiter, retries and all). Cancellation (terminal,
    /// through the handler's cancellation slot) abandons the request: operation_aborted.
    template <class CompletionToken>
    auto async_next(CompletionToken&& token);
    /// The next chunk when the bytes already read hold it, as async_next would give it but at
    /// once: no operation, no trip through the executor. Several events often arrive in one
    /// read (always, when the service sends faster than the reader reads), so a loop that asks
    /// here first and calls async_next only when this returns false handles them at the cost
    /// of decoding alone; an engine that polls once a frame takes what has arrived the same way.
    /// Returns true with `ec` and `chunk` as async_next's completion would give them: a chunk,
    /// or, once the stream has ended, nullptr and its result (after a first nullptr from
    /// async_next). Returns false, having handed out nothing, when the answer needs an
    /// operation: before the request is sent, when the next bytes must be read, when the
    /// stream is ending (its last steps, a retry included, belong to async_next), or while an
    /// operation is in progress. Call it where async_next would be called (the same thread or
    /// strand); it never blocks and never sends.
    [[nodiscard]] bool try_next(std::error_code& ec, const response*& chunk);

    // ---- The current chunk (after async_next gave one) ----------------------------------------
    [[nodiscard]] const response& chunk() const noexcept;
    /// The non-thought text of the current chunk (its text parts joined).
    [[nodiscard]] std::string_view chunk_text() const noexcept;

    // ---- The whole answer so far -------------------------------------------------------------
    /// All non-thought text handed out so far: the answer, or the partial output after an error.
    [[nodiscard]] std::string_view text() const noexcept;
    /// All thought-summary text handed out so far (with thinking_config.include_thoughts).
    [[nodiscard]] std::string_view thoughts() const noexcept;
    /// The model's turn, parts as the service sent them (with call_options::keep_turn).
    [[nodiscard]] const content& turn() const noexcept;
    [[nodiscard]] std::size_t chunks() const noexcept;
    [[nodiscard]] gemini::finish_reason finish_reason() const noexcept;
    /// The last usage seen (running totals in a stream: the last is the total).
    [[nodiscard]] const std::optional<usage_metadata>& usage() const noexcept;
    /// The body of a non-content operation (count tokens, embed, models) after it completed.
    [[nodiscard]] std::string_view raw_body() const noexcept;

    // ---- How it went -------------------------------------------------------------------------
    /// Empty while running and after success.
    [[nodiscard]] std::error_code error() const noexcept;
    [[nodiscard]] const error_details& details() const noexcept;
    /// One actionable line: what failed, the service's words, the HTTP status, the quota, the
    /// retry delay, the attempts, the partial output, and the key as `AIza...` plus its last 4.
    [[nodiscard]] std::string error_message() const;
    [[nodiscard]] int attempts() const noexcept;
    [[nodiscard]] int http_status() const noexcept;
    /// Time spent waiting in the rate limiter, and from the start to the first chunk.
    [[nodiscard]] clock_source::duration limiter_wait() const noexcept;
    [[nodiscard]] std::optional<clock_source::duration> time_to_first_chunk() const noexcept;
    /// The project the last attempt used.
    [[nodiscard]] std::size_t project() const noexcept;

    /// Internal: the raw operations of the client (count tokens, embed, models) use it.
    [[nodiscard]] std::error_code start_raw(std::string_view operation, std::string_view method,
                                            std::string_view model, std::string_view target_suffix,
                                            std::string_view body, const call_options& options);

private:
    friend class client;
    std::shared_ptr<detail::call_core> core_;
};

/// The owned result of client::async_generate_content.
struct generate_result {
    std::string text{};        ///< non-thought text (partial after an error)
    std::string thoughts{};
    content turn{};            ///< the model's turn: text, thoughts, function calls, signatures
    gemini::finish_reason finish = gemini::finish_reason::none;
    std::optional<usage_metadata> usage{};
    std::string model_version{};
    std::string response_id{};
    error_details error{};     ///< when the operation failed
    std::string error_message{};
    int attempts = 0;
};

struct count_tokens_result {
    std::int64_t total_tokens = 0;
    std::int64_t cached_content_tokens = 0;
};

/// One entry of `models` (the fields a client decides on).
struct model_info {
    std::string name{};                 ///< "models/gemini-2.5-flash"
    std::string base_model_id{};
    std::string version{};
    std::string display_name{};
    std::string description{};
    std::int64_t input_token_limit = 0;
    std::int64_t output_token_limit = 0;
    std::vector<std::string> supported_generation_methods{};
    std::optional<double> temperature{};
    std::optional<double> max_temperature{};
    std::optional<double> top_p{};
    std::optional<std::int64_t> top_k{};
    bool thinking = false;
};

class client {
public:
    using executor_type = asio::any_io_executor;

    /// Reads keys (options, config file, environment) and the base URL. Throws
    /// std::system_error (client_error::no_api_key, bad_base_url, a key_error, a TLS trust
    /// source that cannot be read): a client that cannot work says so before the first request.
    explicit client(executor_type ex, client_options options = {});
    /// The same, reporting through `ec`; the client is unusable when it is set.
    client(executor_type ex, client_options options, std::error_code& ec);
    /// shutdown().
    ~client();
    client(const client&) = delete;
    client& operator=(const client&) = delete;

    [[nodiscard]] executor_type get_executor() const noexcept;
    [[nodiscard]] const client_options& options() const noexcept;
    /// Closes idle connections; waiting acquisitions fail. io_context::run() returns once the
    /// streams in flight have ended. Idempotent.
    void shutdown() noexcept;

    [[nodiscard]] rate_limiter& limiter() noexcept;
    [[nodiscard]] key_ring& keys() noexcept;
    [[nodiscard]] retry_budget& budget() noexcept;
    [[nodiscard]] net::connection_pool& pool() noexcept;
    /// Warnings the configuration produced (also given to the observer).
    [[nodiscard]] const std::vector<std::string>& warnings() const noexcept;

    // ---- One-shot operations with owned results (each allocates its state) -------------------

    /// `generateContent`. Signature `void(std::error_code, generate_result)`; on error the
    /// result holds the partial output and the details.
    template <class CompletionToken>
    auto async_generate_content(std::string_view model, const generate_content_request& request,
                                const call_options& options, CompletionToken&& token);
    /// `countTokens` of the request's contents. `void(std::error_code, count_tokens_result)`.
    template <class CompletionToken>
    auto async_count_tokens(std::string_view model, const generate_content_request& request,
                            const call_options& options, CompletionToken&& token);
    /// `embedContent` of one text. `void(std::error_code, std::vector<float>)`.
    template <class CompletionToken>
    auto async_embed_content(std::string_view model, std::string_view text, const embed_content_config& config,
                             const call_options& options, CompletionToken&& token);
    /// `batchEmbedContents`, one embedding per text, in order.
    /// `void(std::error_code, std::vector<std::vector<float>>)`.
    template <class CompletionToken>
    auto async_batch_embed_contents(std::string_view model, const std::vector<std::string>& texts,
                                    const embed_content_config& config, const call_options& options,
                                    CompletionToken&& token);
    /// `models`, every page. `void(std::error_code, std::vector<model_info>)`.
    template <class CompletionToken>
    auto async_list_models(const call_options& options, CompletionToken&& token);
    /// `models/{model}`. `void(std::error_code, model_info)`.
    template <class CompletionToken>
    auto async_get_model(std::string_view model, const call_options& options, CompletionToken&& token);

private:
    friend class stream;
    std::unique_ptr<detail::client_state> state_;
};

} // namespace llmio::gemini

template <>
struct std::is_error_code_enum<llmio::gemini::client_error> : std::true_type {};

#include <llmio/gemini/impl/client.hpp>

#endif // LLMIO_GEMINI_CLIENT_HPP
