// One operation's machinery, behind gemini::stream: the request as bytes, the attempts
// (limiter, key, exchange, retry waits), decoding, and the output gathered for the caller.
// Not API.
//
// `next_op` (impl/next_op.hpp) is the whole of stream::async_next as one async_compose state machine (no
// coroutine frames to allocate). It starts or continues the operation and completes at the next
// chunk, at the end, or at an error. The order of one attempt: limiter -> key -> exchange (head)
// -> body: a stream is decoded event by event as it arrives; a unary or non-2xx body is gathered
// first. A failure before any chunk was handed out goes to `attempt_failed`, which applies the
// quota side effects and asks retry_state whether and when to try again; after a chunk, the
// failure ends the operation with the partial output.
#ifndef LLMIO_GEMINI_IMPL_CALL_CORE_HPP
#define LLMIO_GEMINI_IMPL_CALL_CORE_HPP

#include <llmio/gemini/chunk_decoder.hpp>
#include <llmio/gemini/content_error.hpp>
#include <llmio/gemini/impl/client_state.hpp>
#include <llmio/gemini/request_encoder.hpp>
#include <llmio/gemini/stream_decoder.hpp>
#include <llmio/http/request_writer.hpp>
#include <llmio/net/error.hpp>
#include <llmio/net/exchange.hpp>

#include <asio/bind_allocator.hpp>
#include <asio/bind_executor.hpp>
#include <asio/compose.hpp>
#include <asio/io_context.hpp>
#include <asio/post.hpp>
#include <asio/recycling_allocator.hpp>
#include <asio/steady_timer.hpp>

#include <charconv>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>

namespace llmio::gemini::detail {

enum class call_mode : std::uint8_t {
    stream,   ///< streamGenerateContent?alt=sse: chunks as they arrive
    unary,    ///< generateContent: the whole body, one chunk
    raw,      ///< the other endpoints: the body, for the caller to decode
};

enum class call_phase : std::uint8_t {
    idle,        ///< never started
    ready,       ///< started; the first async_next sends
    streaming,   ///< a 200 stream is being decoded
    done,        ///< ended: `result` says how
};

/// Bytes of a non-2xx body kept for decoding the envelope (the rest is read and dropped).
inline constexpr std::size_t max_error_body = 64 * 1024;

[[nodiscard]] inline bool valid_model_name(std::string_view m) noexcept
{
    if (m.empty() || m.size() > 256) {
        return false;
    }
    for (const char ch : m) {
        const bool ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
                        ch == '-' || ch == '_' || ch == '.';
        if (!ok) {
            return false;
        }
    }
    return true;
}

/// "models/gemini-2.5-flash" and "gemini-2.5-flash" name the same model.
[[nodiscard]] inline std::string_view strip_models_prefix(std::string_view m) noexcept
{
    constexpr std::string_view prefix = "models/";
    return m.starts_with(prefix) ? m.substr(prefix.size()) : m;
}

/// Replaces every occurrence of `key` in `text` by its redacted form.
inline void redact_in_place(std::string& text, std::string_view key)
{
    if (key.empty()) {
        return;
    }
    std::size_t at = text.find(key);
    if (at == std::string::npos) {
        return;
    }
    const std::string shown = redact_key(key);
    while (at != std::string::npos) {
        text.replace(at, key.size(), shown);
        at = text.find(key, at + shown.size());
    }
}

/// Memory for the Asio operations one stream has in flight (at most one or two at a time: a
/// socket read, a timer wait, a post). Bound to every handler the stream launches, so those
/// operations take their memory from the stream, not from the heap or Asio's per-thread cache
/// of two blocks, which misses as soon as several streams are in flight. Asio frees an
/// operation's memory before calling its handler, so the slots are free again for the next one.
/// Larger or additional requests fall back to Asio's per-thread recycling allocator.
struct op_memory {
    static constexpr std::size_t slot_size = 1024;
    static constexpr std::size_t slots = 3;
    alignas(std::max_align_t) unsigned char bytes[slots][slot_size];
    bool used[slots] = {};
};

template <class T>
struct op_allocator {
    using value_type = T;
    op_memory* memory;

    explicit op_allocator(op_memory* m) noexcept : memory(m) {}
    template <class U>
    op_allocator(const op_allocator<U>& other) noexcept : memory(other.memory)
    {
    }

    [[nodiscard]] T* allocate(std::size_t n)
    {
        if (n * sizeof(T) <= op_memory::slot_size && alignof(T) <= alignof(std::max_align_t)) {
            for (std::size_t i = 0; i < op_memory::slots; ++i) {
                if (!memory->used[i]) {
                    memory->used[i] = true;
                    return reinterpret_cast<T*>(memory->bytes[i]);
                }
            }
        }
        return asio::recycling_allocator<T>().allocate(n);
    }

    void deallocate(T* p, std::size_t n) noexcept
    {
        for (std::size_t i = 0; i < op_memory::slots; ++i) {
            if (reinterpret_cast<unsigned char*>(p) == memory->bytes[i]) {
                memory->used[i] = false;
                return;
            }
        }
        asio::recycling_allocator<T>().deallocate(p, n);
    }

    template <class U>
    friend bool operator==(const op_allocator& a, const op_allocator<U>& b) noexcept
    {
        return a.memory == b.memory;
    }
};

struct call_core {
    using time_point = clock_source::time_point;
    using duration = clock_source::duration;

    explicit call_core(client_state& state)
        : c(state), ex(*state.pool), ticket(state.ex), timer(state.ex), retry(state.options.retry)
    {
        c.cores.push_back(this);
    }

    ~call_core()
    {
        c.clock->disarm(timer);
        std::erase(c.cores, this);
    }

    call_core(const call_core&) = delete;
    call_core& operator=(const call_core&) = delete;

    client_state& c;
    op_memory memory;   // first: the operations using it end before the members below go
    net::exchange ex;
    stream_decoder decoder;
    chunk_decoder body_decoder;
    request_encoder encoder;
    limiter_ticket ticket;
    asio::steady_timer timer;
    retry_state retry;
    net::exchange_options xopts{};

    // ---- The request ----
    call_mode mode = call_mode::stream;
    std::string_view operation;   // a literal
    std::string method;
    std::string model;
    std::string target;
    std::string body;
    std::string http_request;
    call_options opts{};
    std::uint64_t id = 0;
    time_point started{};
    time_point deadline = time_point::max();
    std::uint64_t token_estimate = 0;

    // ---- The attempt ----
    const std::string* key = nullptr;
    std::size_t project = 0;
    int attempts = 0;
    int status = 0;
    bool admitted = false;
    bool reading_error_body = false;
    time_point wake_at{};
    retry_verdict gave_up = retry_verdict::retry;

    // ---- The response ----
    std::string whole_body;
    std::string_view pending;
    bool body_complete = false;
    const response* current = nullptr;
    std::size_t delivered = 0;
    std::string text;
    std::string thoughts;
    std::size_t chunk_begin = 0;   // the current chunk's text is text[chunk_begin, end)
    content turn{.role = role::model};
    std::optional<usage_metadata> usage;
    gemini::finish_reason finish = gemini::finish_reason::none;
    std::optional<duration> first_chunk_after;
    duration limiter_waited{};

    // ---- The outcome ----
    call_phase phase = call_phase::idle;
    bool busy = false;
    bool abandoned = false;   // the stream object is gone: end at the next step
    std::error_code result;
    error_details details;

    [[nodiscard]] request_info info() const noexcept
    {
        request_info i;
        i.id = id;
        i.operation = operation;
        i.model = model;
        i.project = project;
        if (project < c.keys.projects()) {
            i.project_name = c.keys.project(project).name;
        }
        i.attempt = attempts;
        return i;
    }

    /// Everything but the request: a new operation.
    [[nodiscard]] std::error_code begin(call_mode m, std::string_view op, std::string_view http_method,
                                        std::string_view model_name, const call_options& o)
    {
        if (busy) {
            return client_error::busy;
        }
        mode = m;
        operation = op;
        method.assign(http_method);
        model.assign(strip_models_prefix(model_name));
        if ((m != call_mode::raw || !model.empty()) && !valid_model_name(model)) {
            phase = call_phase::idle;
            return client_error::invalid_model;
        }
        opts = o;
        id = ++c.next_id;
        attempts = 0;
        status = 0;
        admitted = false;
        gave_up = retry_verdict::retry;
        retry.reset();
        current = nullptr;
        delivered = 0;
        text.clear();
        thoughts.clear();
        chunk_begin = 0;
        turn.parts.clear();
        usage.reset();
        finish = gemini::finish_reason::none;
        first_chunk_after.reset();
        limiter_waited = {};
        result.clear();
        details.clear();
        whole_body.clear();
        pending = {};
        body_complete = false;
        prefetched = false;
        phase = call_phase::ready;
        return {};
    }

    void set_target(std::string_view suffix)
    {
        target.assign(c.api_prefix);
        if (!model.empty()) {
            target.append("/models/");
            target.append(model);
        }
        target.append(suffix);
    }

    /// The request bytes of one attempt: the key may differ between attempts.
    [[nodiscard]] std::error_code write_request()
    {
        http_request.clear();
        http::request_writer w(http_request);
        w.start(method, target).header("Host", c.authority).header("User-Agent", "llmio/0.1");
        if (key != nullptr) {
            w.header("x-goog-api-key", *key);
        }
        if (c.options.send_server_timeout && deadline != time_point::max()) {
            const auto left = deadline - c.clock->now();
            const auto secs = std::max<std::int64_t>(
                1, std::chrono::ceil<std::chrono::seconds>(left).count());
            char digits[24];
            const auto r = std::to_chars(digits, digits + sizeof digits, secs);
            w.header("X-Server-Timeout", std::string_view(digits, static_cast<std::size_t>(r.ptr - digits)));
        }
        if (method == "GET") {
            return w.finish({});
        }
        w.header("Content-Type", "application/json");
        return w.finish(body);
    }

    /// Copies what the service said (the decoder's views die with the next decode), and
    /// applies the quota lessons to the limiter.
    void capture(const api_error& e)
    {
        details.http_status = e.http_status != 0 ? e.http_status : static_cast<int>(e.code);
        details.status.assign(e.status);
        details.message.assign(e.message);
        if (key != nullptr) {
            redact_in_place(details.message, *key);
        }
        details.reason.assign(e.reason);
        details.help_url.assign(e.help_url);
        details.retry_delay = e.retry_delay;
        const quota_violation* binding = nullptr;
        auto rank = [](quota_kind k) {
            switch (k) {
            case quota_kind::requests_per_day: return 3;
            case quota_kind::input_tokens_per_minute: return 2;
            case quota_kind::requests_per_minute: return 1;
            case quota_kind::unknown: return 0;
            }
            return 0;
        };
        for (const quota_violation& v : e.violations) {
            if (binding == nullptr || rank(v.kind) > rank(binding->kind)) {
                binding = &v;
            }
            if (admitted && v.quota_value && *v.quota_value > 0 && v.kind != quota_kind::unknown) {
                c.limiter->learn(project, model, v.kind, *v.quota_value);
            }
        }
        if (binding != nullptr) {
            details.quota_id.assign(binding->quota_id);
            details.quota_value = binding->quota_value;
        }
    }

    /// Where decoding the stream got to with the bytes at hand (decode_buffered).
    enum class decoded : std::uint8_t {
        chunk,      ///< a chunk was taken: `current`
        need_read,  ///< the next bytes must be read from the connection
        finished,   ///< the stream ended cleanly
        failed,     ///< malformed, truncated, an error event, or the body read failed
    };
    // Where decode_buffered stopped when it was run ahead of an operation (stream::try_next, or
    // async_next's initiation) and gave no chunk: the next operation goes on from there.
    bool prefetched = false;
    decoded prefetch = decoded::need_read;
    std::error_code prefetch_ec;

    /// decode_buffered run ahead of an operation, when the stream is mid-body with nothing
    /// pending: a chunk is taken and handed out at once (true); anything else is kept for the
    /// next operation to go on from (a read, the ending, a retry).
    [[nodiscard]] bool decode_ahead()
    {
        if (phase != call_phase::streaming || busy || prefetched) {
            return false;
        }
        const decoded d = decode_buffered(prefetch_ec);
        if (d == decoded::chunk) {
            return true;
        }
        prefetched = true;
        prefetch = d;
        return false;
    }

    /// Decodes the stream as far as the bytes already read allow, without I/O: what arrived in
    /// one read (a whole burst of events) is handed out without an asynchronous operation per
    /// event. Stops at the first chunk (taken), when a read is needed, at the end, or at an
    /// error (`ec`).
    decoded decode_buffered(std::error_code& ec)
    {
        for (;;) {
            stream_decoder::result r;
            if (!body_complete) {
                if (pending.empty()) {
                    if (!ex.read_body_buffered(pending, ec)) {
                        return decoded::need_read;
                    }
                    if (ec) {
                        return decoded::failed;
                    }
                    if (pending.empty()) {
                        body_complete = true;
                        continue;
                    }
                }
                r = decoder.put(pending, ec, net::exchange::padding);
                pending.remove_prefix(r.consumed);
            }
            else {
                r = decoder.finish(ec);
                if (!ec && r.what == stream_decoder::step::done) {
                    return decoded::finished;
                }
            }
            if (ec) {
                return decoded::failed;
            }
            if (r.what == stream_decoder::step::chunk) {
                const response& chunk = decoder.chunk();
                take(chunk);
                if (observer* o = c.options.observer) {
                    o->on_event(info(), chunk);
                }
                return decoded::chunk;
            }
        }
    }

    /// A chunk is handed out: gather its output.
    void take(const response& r)
    {
        current = &r;
        ++delivered;
        if (!first_chunk_after) {
            first_chunk_after = c.clock->now() - started;   // the clock is read once per request
        }
        chunk_begin = text.size();
        r.for_each_text([&](std::string_view t) { text.append(t); });
        if (r.usage) {
            usage = r.usage;
        }
        if (r.candidates.empty()) {
            return;
        }
        const candidate& cand = r.candidates.front();
        if (cand.finish != gemini::finish_reason::none) {
            finish = cand.finish;
        }
        for (const part& p : cand.parts) {
            if (p.kind == part_kind::text && p.thought) {
                thoughts.append(p.text);
            }
            if (opts.keep_turn) {
                keep(p);
            }
        }
    }

    /// Appends a part to the kept turn, merging consecutive plain text as the SDKs do.
    void keep(const part& p)
    {
        switch (p.kind) {
        case part_kind::text: {
            if (!turn.parts.empty() && p.thought_signature.empty()) {
                content_part& last = turn.parts.back();
                // Never onto a part that carries a signature: it belongs to that part's text.
                if (auto* s = std::get_if<std::string>(&last.value);
                    s != nullptr && last.thought == p.thought && last.thought_signature.empty()) {
                    s->append(p.text);
                    return;
                }
            }
            content_part cp = content_part::from_text(std::string(p.text));
            cp.thought = p.thought;
            cp.thought_signature.assign(p.thought_signature);
            turn.parts.push_back(std::move(cp));
            return;
        }
        case part_kind::function_call: {
            content_part cp = content_part::from_function_call(std::string(p.name), std::string(p.args),
                                                               std::string(p.id));
            cp.thought_signature.assign(p.thought_signature);
            turn.parts.push_back(std::move(cp));
            return;
        }
        case part_kind::inline_data:
            turn.parts.push_back(content_part::from_inline_data(std::string(p.mime_type), std::string(p.data)));
            break;
        case part_kind::file_data:
            turn.parts.push_back(content_part::from_file_data(std::string(p.mime_type), std::string(p.data)));
            break;
        case part_kind::executable_code:
            turn.parts.push_back(content_part::from_executable_code(std::string(p.language), std::string(p.text)));
            break;
        case part_kind::code_execution_result:
            turn.parts.push_back(
                content_part::from_code_execution_result(std::string(p.language), std::string(p.text)));
            break;
        case part_kind::function_response:
        case part_kind::unknown:
            return;
        }
        turn.parts.back().thought_signature.assign(p.thought_signature);
    }

    void settle() noexcept
    {
        if (admitted && usage && mode != call_mode::raw) {
            c.limiter->settle(ticket, static_cast<std::uint64_t>(std::max<std::int64_t>(0, usage->prompt)));
        }
    }

    /// The time left, on the steady clock the exchange uses.
    [[nodiscard]] std::chrono::steady_clock::time_point real_deadline() const noexcept
    {
        if (deadline == time_point::max()) {
            return std::chrono::steady_clock::time_point::max();
        }
        const auto left = deadline - c.clock->now();
        return std::chrono::steady_clock::now() + std::max(left, duration::zero());
    }
};

inline void client_state::shutdown() noexcept
{
    closed = true;
    for (call_core* core : cores) {
        if (!core->busy) {
            core->ex.close();   // its watchdog stays armed between requests otherwise
        }
    }
    if (pool) {
        pool->shutdown();
    }
}

} // namespace llmio::gemini::detail

#include <llmio/gemini/impl/next_op.hpp>

#endif // LLMIO_GEMINI_IMPL_CALL_CORE_HPP
