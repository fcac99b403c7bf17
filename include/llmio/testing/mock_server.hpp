// llmio/testing/mock_server.hpp: a Gemini-compatible HTTP/1.1 server on Asio, embedded in the
// test process (or run alone as `llmio-mock-server`), with pacing and fault injection.
//
// It speaks the wire format of the real service (GEMINI_API.md): `streamGenerateContent?alt=sse`
// as chunked `data: {json}\r\n\r\n` events, `generateContent`, `countTokens`, `embedContent`,
// `batchEmbedContents`, `models`, and the OpenAI-compatible `chat/completions`; errors as the
// pretty-printed `{"error":{code,message,status,details[]}}` envelope in the shapes the service
// sends. Everything it answers is deterministic for a given request and options (text comes
// from a fixed word list, embeddings from a hash of the content), so tests can assert exact
// output, and every fault a client must survive can be asked for per request. Quotas (rpm, rpd,
// tpm) are enforced per project and model as the service enforces them, and a function-calling
// answer lets a client's tool loop run end to end:
//
//     asio::io_context io;
//     llmio::testing::mock_server server(io.get_executor(), {.ttft = 30ms, .events = 4});
//     const asio::ip::tcp::endpoint at = server.start();   // 127.0.0.1, a free port
//     // ... a client POSTs to http://127.0.0.1:<port>/v1beta/models/gemini-2.0-flash:
//     //     streamGenerateContent?alt=sse, with "x-llmio-mock-fault: quota_per_minute" to get
//     //     the 429 the service sends for its per-minute quota ...
//     server.stop();   // io.run() returns once the connections have wound down
//
// Threads: none of its own. Everything runs on the executor given to the constructor; nothing
// blocks (the TLS certificate is made once, in start()). The server is not thread-safe: call
// its members from the executor's thread (use a strand executor with a multi-threaded
// io_context).
#ifndef LLMIO_TESTING_MOCK_SERVER_HPP
#define LLMIO_TESTING_MOCK_SERVER_HPP

#include <asio/any_io_executor.hpp>
#include <asio/ip/tcp.hpp>

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

namespace llmio::testing {

/// What can go wrong on purpose. Chosen per request by the header `x-llmio-mock-fault: NAME`,
/// the query parameter `fault=NAME`, or `mock_options::fault` with `fault_rate`. The names are
/// the enumerators' names. Error faults answer on every endpoint; stream faults act on the
/// streaming endpoints and, where it makes sense, on unary bodies (see each).
enum class mock_fault : std::uint8_t {
    none,
    /// 429 RESOURCE_EXHAUSTED: QuotaFailure GenerateRequestsPerMinutePerProjectPerModel-FreeTier
    /// (quotaValue: `rpm`, or 15), Help, RetryInfo `fault_retry_delay` ("2s").
    quota_per_minute,
    /// The same with GenerateRequestsPerDayPerProjectPerModel-FreeTier (quotaValue: `rpd`, or 1500).
    quota_per_day,
    /// The same with GenerateContentInputTokensPerModelPerMinute-FreeTier (quotaValue 1000000).
    quota_input_tokens,
    /// 500 INTERNAL.
    internal,
    /// 503 UNAVAILABLE "The model is overloaded. Please try again later."
    unavailable,
    /// 400 INVALID_ARGUMENT with ErrorInfo API_KEY_INVALID, as for a wrong key.
    api_key_invalid,
    /// 400 FAILED_PRECONDITION "User location is not supported for the API use."
    location,
    /// A 200 stream: two events (at most `events`) without a finish reason, then a raw pretty-printed
    /// `{"error":{"code":499,...,"status":"CANCELLED"}}` on its own lines, then the end of the
    /// body (vertexai/streaming-failure-error-mid-stream.txt). Unary endpoints: no effect.
    error_mid_stream_raw,
    /// A 200 stream: two events, then `data: {"error":{"code":503,...UNAVAILABLE}}`, then the end.
    error_mid_stream_data,
    /// 429 labelled `Content-Type: text/event-stream`, the per-minute envelope as a chunked body.
    error_status_sse,
    /// Two events (one fewer than `events` when that is less), then half of the next event's
    /// chunk, then the socket is closed (no TLS close_notify). Unary: half of the
    /// Content-Length body, then the close.
    disconnect,
    /// Every event, STOP included, but the chunked body ends without its last-chunk: the socket
    /// is closed. Unary: the body is sent chunked, without the last-chunk.
    truncated_chunked,
    /// The response head is written one byte at a time, `slow_head_delay` apart; the rest as usual.
    slow_head,
    /// The head and one event (unary: half the body), then nothing until the client closes the
    /// connection or stop() is called.
    stall,
    /// One event (none when `events` is 1), then an event whose JSON is cut off, then the end.
    /// Unary: the JSON body cut off (Content-Length matches what is sent).
    malformed_json,
    /// The response to the `close_after_requests`-th request on a connection (and any later
    /// one) says `Connection: close`, and the server closes after it; earlier ones are normal.
    close_after,
    /// 403 PERMISSION_DENIED "Permission denied: Consumer 'api_key:<redacted>' has been
    /// suspended." with ErrorInfo CONSUMER_SUSPENDED and a LocalizedMessage, as for a suspended
    /// key (the service echoes the key; the mock never does).
    permission_denied,
    /// 403 PERMISSION_DENIED "Generative Language API has not been used in project ... or it is
    /// disabled" with Help (the console's activation link) and ErrorInfo SERVICE_DISABLED, domain
    /// googleapis.com (googleai/unary-failure-generativelanguage-api-not-enabled.json).
    api_not_enabled,
    /// 400 INVALID_ARGUMENT "Invalid JSON payload received. Unknown name \"mockField\" at
    /// 'generation_config': Cannot find field." with a BadRequest fieldViolations detail.
    invalid_argument,
    /// 504 DEADLINE_EXCEEDED "Deadline expired before operation could complete."
    gateway_timeout,
    /// 502 with the front end's HTML error page (`text/html`, not JSON), as a proxy or load
    /// balancer in front of the service answers.
    bad_gateway,
    /// 503 UNAVAILABLE (the overload envelope) with a `Retry-After: N` header, N being
    /// `retry_after` in seconds, and no RetryInfo detail.
    retry_after,
    /// Content faults: streamGenerateContent and generateContent only (elsewhere no effect).
    /// A 200 whose only answer is `{"promptFeedback":{"blockReason":"SAFETY","safetyRatings":[..]},
    /// "usageMetadata":{..},"modelVersion","responseId"}`, no candidates: one event, or the same
    /// as a unary body.
    prompt_blocked,
    /// The usual text events, the last one with finishReason SAFETY and four safetyRatings of
    /// which HARM_CATEGORY_HARASSMENT has `"blocked": true`. Unary: the same as one body.
    finish_safety,
    /// The same with finishReason RECITATION and citationMetadata (one citationSource spanning
    /// the answer's bytes) instead of the ratings.
    finish_recitation,
    /// The model calls functions instead of answering: for every name in the request's
    /// `tools[].functionDeclarations[]`, in order, one `{"functionCall":{"name","args":{}}}` part,
    /// the first with a `thoughtSignature`, all in one event (parallel calls) with finishReason
    /// STOP; candidatesTokenCount 6 per call. When the last turn of `contents` holds
    /// functionResponse parts, the conversation goes on instead: the usual text, prefixed with
    /// "Results for: NAME1, NAME2. " (the functionResponse names, in order). A request without
    /// function declarations, or with `toolConfig.functionCallingConfig.mode` "NONE", gets the
    /// usual text (not counted as injected). See also `mock_options::function_calls`.
    function_call,
};
inline constexpr std::size_t mock_fault_count = 27;

/// The fault's name ("quota_per_minute"); "none" for none.
[[nodiscard]] std::string_view to_string(mock_fault f) noexcept;
/// The fault named `name`; nullopt for an unknown name. "none" gives mock_fault::none.
[[nodiscard]] std::optional<mock_fault> parse_mock_fault(std::string_view name) noexcept;

/// What a request asked for, for the counters.
enum class mock_endpoint : std::uint8_t {
    stream_generate_content,   ///< POST /v1beta/models/{m}:streamGenerateContent
    generate_content,          ///< POST /v1beta/models/{m}:generateContent
    count_tokens,              ///< POST /v1beta/models/{m}:countTokens
    embed_content,             ///< POST /v1beta/models/{m}:embedContent
    batch_embed_contents,      ///< POST /v1beta/models/{m}:batchEmbedContents
    list_models,               ///< GET /v1beta/models
    get_model,                 ///< GET /v1beta/models/{m}
    chat_completions,          ///< POST /v1beta/openai/chat/completions
    unknown,                   ///< anything else: 404
};
inline constexpr std::size_t mock_endpoint_count = 9;

/// The server's certificate when `mock_options::tls` is set: a self-signed X.509 certificate
/// (it is its own CA: basicConstraints CA:TRUE) on a fresh EC P-256 key, made at start().
/// The defaults make one a client accepts for `localhost` and `127.0.0.1` when it trusts
/// `ca_certificate_pem()`; the factories make ones a client must refuse.
struct certificate_options {
    std::string common_name = "llmio mock server";
    /// subjectAltName DNS entries.
    std::vector<std::string> dns_names{"localhost"};
    /// subjectAltName IP entries (IPv4 or IPv6 text).
    std::vector<std::string> ip_addresses{"127.0.0.1"};
    /// Validity, relative to the time of start().
    std::chrono::seconds not_before{0};
    std::chrono::seconds not_after{std::chrono::hours(24)};

    /// Valid from two days ago until one day ago.
    [[nodiscard]] static certificate_options expired();
    /// Valid now, but only for `wrong.invalid` (no IP entry).
    [[nodiscard]] static certificate_options wrong_host();
};

/// A project of `mock_options::projects`: the service applies its quotas per project, and
/// every key of a project shares them (GEMINI_API.md, "Rate limits").
struct mock_project {
    std::string name{};
    std::vector<std::string> keys{};
};

struct mock_options {
    // ---- Where --------------------------------------------------------------------------------
    /// The address to bind; loopback by default so tests never listen on the network.
    std::string address = "127.0.0.1";
    /// 0: the system picks a free port (read it from start() or port()).
    std::uint16_t port = 0;

    // ---- Who ----------------------------------------------------------------------------------
    /// When non-empty, requests must carry it in `x-goog-api-key` (or `?key=`, or for the
    /// OpenAI-compatible endpoint `Authorization: Bearer`): missing or wrong is answered 400
    /// INVALID_ARGUMENT with ErrorInfo reason API_KEY_INVALID, as the service does.
    std::string api_key;
    /// When non-empty, a request's key (found as for `api_key`, which is then not used) must be
    /// one of these projects' keys, else API_KEY_INVALID; and `rpm`, `rpd` and `tpm` apply per
    /// project and per model, each (project, model) with windows of its own, as the service
    /// applies them. Empty: one set of windows for all requests and models.
    std::vector<mock_project> projects{};
    /// Model names served; any other is answered 404 NOT_FOUND. Empty: every name that looks
    /// like one (letters, digits, '.', '-', '_').
    std::vector<std::string> known_models{"gemini-2.0-flash", "gemini-2.0-flash-lite",
                                          "gemini-2.5-flash", "gemini-2.5-flash-lite",
                                          "gemini-2.5-pro", "text-embedding-004",
                                          "gemini-embedding-001"};

    // ---- Pacing and content -------------------------------------------------------------------
    /// Time to first event: the delay before the first event of a stream, and before the
    /// body of a unary generateContent or chat/completions answer. The head goes out with the
    /// first event (the service sends its head once the first chunk is ready), unless
    /// `head_before_ttft`.
    std::chrono::steady_clock::duration ttft{0};
    /// Inter-token latency: the gap between two events of a stream.
    std::chrono::steady_clock::duration itl{0};
    /// Events per streamed response (at least 1); a unary answer holds the same text.
    std::size_t events = 3;
    /// Words per event (at least 1): each counts as one candidate token.
    std::size_t words_per_event = 4;
    /// Send a stream's head at once, then wait `ttft` before the first event.
    bool head_before_ttft = false;
    /// Values per embedding unless the request's `outputDimensionality` says otherwise.
    std::size_t embedding_dimensions = 768;
    /// Answer every content request that chooses no fault as if it asked for
    /// mock_fault::function_call (counted as that fault), so a whole session can exercise a
    /// client's function-calling loop. `x-llmio-mock-fault: none` turns it off for a request.
    bool function_calls = false;

    // ---- Faults -------------------------------------------------------------------------------
    /// Injected into requests that do not choose one themselves, with probability
    /// `fault_rate` per request, drawn from std::mt19937 seeded with `seed`.
    mock_fault fault = mock_fault::none;
    double fault_rate = 1.0;
    std::uint32_t seed = 1;
    /// At most this many requests get `fault` (0: no limit); later ones are served normally,
    /// so a test can ask for one failure and then see the retry succeed.
    std::uint64_t fault_limit = 0;
    /// For mock_fault::close_after: the request on a connection whose response closes it (1:
    /// the first; 0 counts as 1).
    std::size_t close_after_requests = 1;
    /// For mock_fault::slow_head: the pause after each byte of the head.
    std::chrono::steady_clock::duration slow_head_delay = std::chrono::milliseconds(2);
    /// RetryInfo.retryDelay of the quota faults (whole seconds on the wire: "2s").
    std::chrono::seconds fault_retry_delay{2};
    /// For mock_fault::retry_after: the `Retry-After` header's value, in seconds.
    std::chrono::seconds retry_after{3};

    // ---- Quota enforcement (0: off) -----------------------------------------------------------
    // Per (project, model) with `projects`, else for all requests together. A refused request
    // does not use up any quota. The 429 is the service's: QuotaFailure with quotaDimensions
    // {location "global", model} and quotaValue = the limit, Help, RetryInfo. Checked in this
    // order: rpd, rpm, tpm. "60 s" below is `quota_window`.
    /// Content requests (generateContent, streamGenerateContent, chat/completions) allowed in
    /// any 60 s window, over all connections; the next one gets the per-minute 429 with the
    /// time until a slot frees as its retryDelay (rounded up to whole seconds, at least 1 s).
    std::uint32_t rpm = 0;
    /// Content requests allowed since start(); then the per-day 429 (retryDelay
    /// `fault_retry_delay`) for every one.
    std::uint32_t rpd = 0;
    /// Input tokens (mock_server::prompt_tokens of each request) allowed in any 60 s window;
    /// a request that would go past it gets the input-token 429
    /// (GenerateContentInputTokensPerModelPerMinute-FreeTier) with the time until enough
    /// tokens leave the window as its retryDelay (whole seconds, at least 1 s). A request
    /// larger than `tpm` on its own never fits: its retryDelay is 60 s.
    std::uint64_t tpm = 0;
    /// The length of the rpm and tpm windows: the service's minute by default; a test that
    /// must see a window roll over sets it shorter. RetryInfo stays whole seconds, at least 1 s.
    std::chrono::steady_clock::duration quota_window = std::chrono::minutes(1);

    // ---- TLS ----------------------------------------------------------------------------------
    /// Serve HTTPS (TLS 1.2+, ALPN http/1.1) with a certificate made at start().
    bool tls = false;
    certificate_options certificate{};

    // ---- Limits -------------------------------------------------------------------------------
    /// A request head past this is answered 431; a body past `max_body` 413; then the close.
    std::size_t max_head = 64 * 1024;
    std::size_t max_fields = 100;
    std::size_t max_body = 16 * 1024 * 1024;
};

/// What the server has done since start(). Read them from the executor's thread.
struct mock_counters {
    std::uint64_t connections = 0;              ///< accepted (TLS: handshake done)
    std::uint64_t tls_handshake_failures = 0;   ///< e.g. a client that refused the certificate
    std::uint64_t requests = 0;                 ///< complete requests read (well-formed)
    std::uint64_t bad_requests = 0;             ///< refused by the request reader (4xx/5xx, close)
    std::uint64_t faults_injected = 0;          ///< requests a fault acted on
    std::uint64_t rate_limited = 0;             ///< 429s sent, by faults and by enforcement
    std::uint64_t auth_failures = 0;            ///< API_KEY_INVALID for a missing or wrong key
    std::array<std::uint64_t, mock_endpoint_count> by_endpoint{};
    std::array<std::uint64_t, mock_fault_count> by_fault{};
    /// Per project of `mock_options::projects` (the same index; empty without projects):
    /// content requests admitted, and 429s sent (by faults and by enforcement).
    std::vector<std::uint64_t> project_requests{};
    std::vector<std::uint64_t> project_rate_limited{};

    [[nodiscard]] std::uint64_t endpoint(mock_endpoint e) const noexcept
    {
        return by_endpoint[static_cast<std::size_t>(e)];
    }
    [[nodiscard]] std::uint64_t fault(mock_fault f) const noexcept
    {
        return by_fault[static_cast<std::size_t>(f)];
    }
};

namespace detail::mock_io {
struct mock_state;
}

class mock_server {
public:
    using executor_type = asio::any_io_executor;

    /// A server that will run on `ex`. Nothing is bound before start().
    explicit mock_server(executor_type ex, mock_options options = {});
    /// stop(). Operations still pending on the executor hold the server's state and finish
    /// on their own (they see closed sockets).
    ~mock_server();
    mock_server(const mock_server&) = delete;
    mock_server& operator=(const mock_server&) = delete;

    /// Makes the certificate (TLS), binds `options.address:options.port`, listens, and starts
    /// accepting on the executor. Returns the bound endpoint (the real port when 0 was asked).
    /// Once per server: a second call fails with asio::error::already_started.
    [[nodiscard]] asio::ip::tcp::endpoint start(std::error_code& ec);
    /// The same; throws std::system_error.
    [[nodiscard]] asio::ip::tcp::endpoint start();

    /// Closes the acceptor and every connection, and cancels their timers: a stalled or paced
    /// response ends at once. Pending operations complete on the executor with
    /// operation_aborted; `io_context::run()` returns when they have (and nothing else runs).
    /// Idempotent.
    void stop() noexcept;

    /// The endpoint start() bound; unspecified before.
    [[nodiscard]] asio::ip::tcp::endpoint endpoint() const noexcept;
    [[nodiscard]] std::uint16_t port() const noexcept { return endpoint().port(); }
    /// "http://127.0.0.1:PORT" (https://localhost:PORT with TLS, the name the certificate
    /// carries).
    [[nodiscard]] std::string base_url() const;
    /// The server certificate in PEM when TLS is on ("" otherwise): trust it as a CA
    /// (asio::ssl::context::add_certificate_authority). Valid for the server's lifetime.
    [[nodiscard]] std::string_view ca_certificate_pem() const noexcept;
    /// Valid for the server's lifetime; updated as requests are served.
    [[nodiscard]] const mock_counters& counters() const noexcept;
    [[nodiscard]] const mock_options& options() const noexcept;
    /// Connections currently open.
    [[nodiscard]] std::size_t open_connections() const noexcept;
    [[nodiscard]] executor_type get_executor() const noexcept;

    /// The text the server answers a content request whose body is `request_body` with, for
    /// `options` (all events joined): tests compare the decoded text with it.
    [[nodiscard]] static std::string expected_text(std::string_view request_body, const mock_options& options);

    /// The prompt token count the server reports for a request whose body is `request_body`
    /// (usageMetadata.promptTokenCount, countTokens' totalTokens, chat usage.prompt_tokens) and
    /// charges to `tpm`: a quarter of the body's bytes, rounded down, at least 1 (the service
    /// counts about four bytes of English per token). Deterministic, so tests can predict it.
    [[nodiscard]] static std::int64_t prompt_tokens(std::string_view request_body) noexcept;

private:
    std::shared_ptr<detail::mock_io::mock_state> state_;
};

} // namespace llmio::testing

#include <llmio/testing/impl/mock_server.hpp>

#endif // LLMIO_TESTING_MOCK_SERVER_HPP
