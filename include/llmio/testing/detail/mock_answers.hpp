// llmio/testing/detail/mock_answers.hpp: the bodies of the endpoints, and the stream and body
// faults applied to them. Part of mock_handler.hpp; not API.
#ifndef LLMIO_TESTING_DETAIL_MOCK_ANSWERS_HPP
#define LLMIO_TESTING_DETAIL_MOCK_ANSWERS_HPP

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace llmio::testing::detail {

inline void request_handler::serve()
{
    const std::uint64_t offset = fnv1a(req_.body);
    const std::int64_t prompt = estimate_tokens(req_.body.size());
    const std::size_t events = std::max<std::size_t>(o_.events, 1);
    const std::size_t words = std::max<std::size_t>(o_.words_per_event, 1);
    if (is_content()) {
        id_ = endpoint_ == mock_endpoint::chat_completions ? "chatcmpl-mock-" : "mock-";
        id_.append(std::to_string(++core_.sequence));
        created_ = std::chrono::duration_cast<std::chrono::seconds>(
                       std::chrono::system_clock::now().time_since_epoch()).count();
        choose_content();
    }
    if (streams()) {
        return serve_stream(offset, prompt);
    }
    h_.json.clear();
    h_.w.reset(h_.json);
    switch (endpoint_) {
    case mock_endpoint::generate_content:
    case mock_endpoint::chat_completions: {
        h_.text.clear();
        append_answer_text(h_.text, offset, 0, events * words);
        const usage_counts usage{prompt, static_cast<std::int64_t>(events * words)};
        if (content_ == content_kind::blocked) {
            write_blocked_response(h_.w, prompt, model_, id_);
        } else if (content_ == content_kind::calls) {
            write_function_call_response(h_.w, h_.names, prompt, model_, id_);
        } else if (endpoint_ == mock_endpoint::generate_content) {
            write_generate_response(h_.w, h_.text, final_extras(offset), usage, model_, id_);
        } else {
            write_chat_completion(h_.w, h_.text, true, true, usage, model_, id_, created_);
        }
        plan_.first_delay = o_.ttft;
        break;
    }
    case mock_endpoint::count_tokens:
        h_.w.begin_object();
        h_.w.key("totalTokens");
        h_.w.number(prompt);
        h_.w.end_object();
        break;
    case mock_endpoint::embed_content:
    case mock_endpoint::batch_embed_contents:
        if (!write_embeddings()) {
            return;   // answered 400
        }
        break;
    case mock_endpoint::list_models:
    case mock_endpoint::get_model:
        if (!write_models()) {
            return;   // answered 400
        }
        break;
    default:
        return not_found_page();
    }
    unary_response(h_.json);
}

// Unary bodies with the faults that make sense for them; the mid-stream ones do not apply.
inline void request_handler::unary_response(std::string_view body)
{
    const std::string_view half = body.substr(0, body.size() / 2);
    begin_head(plan_.head, 200, "application/json; charset=UTF-8");
    switch (fault_) {
    case mock_fault::disconnect:
    case mock_fault::stall:
        injected();
        end_head_length(plan_.head, body.size(), close_);
        plan_.add_piece().assign(half);
        plan_.end = fault_ == mock_fault::disconnect ? plan_end::abort : plan_end::stall;
        return;
    case mock_fault::truncated_chunked:
        injected();
        end_head_chunked(plan_.head, close_);
        append_chunk(plan_.add_piece(), body);
        plan_.end = plan_end::abort;
        return;
    case mock_fault::malformed_json:
        injected();
        end_head_length(plan_.head, half.size(), close_);
        plan_.add_piece().assign(half);
        return finish();
    default:
        end_head_length(plan_.head, body.size(), close_);
        plan_.add_piece().assign(body);
        return finish();
    }
}

// The text of event `index` of `events`, as the JSON of one chunk in h_.json.
inline void request_handler::build_event(std::uint64_t offset, std::size_t index, bool last, std::int64_t prompt)
{
    const std::size_t words = std::max<std::size_t>(o_.words_per_event, 1);
    const std::size_t events = std::max<std::size_t>(o_.events, 1);
    if (!last && (event_template_ == event_template::ready ||
                  (event_template_ == event_template::unknown && make_event_template(prompt)))) {
        h_.text.clear();
        append_answer_text(h_.text, offset, index * words, words);
        if (json::detail::valid_utf8(h_.text)) {
            h_.json.assign(h_.event_prefix);
            json::detail::append_escaped(h_.json, h_.text);
            h_.json.append(h_.event_suffix);
            return;
        }
    }
    h_.json.clear();
    h_.w.reset(h_.json);
    if (content_ == content_kind::blocked) {
        return write_blocked_response(h_.w, prompt, model_, id_);
    }
    if (content_ == content_kind::calls) {
        return write_function_call_response(h_.w, h_.names, prompt, model_, id_);
    }
    h_.text.clear();
    append_answer_text(h_.text, offset, index * words, words);
    const usage_counts usage{prompt, last ? static_cast<std::int64_t>(events * words) : 0};
    if (endpoint_ == mock_endpoint::chat_completions) {
        write_chat_completion(h_.w, h_.text, last, false, usage, model_, id_, created_);
    } else {
        write_generate_response(h_.w, h_.text, last ? final_extras(offset) : candidate_extras{}, usage, model_, id_);
    }
}

// The events before the last differ only in their text, so the JSON around it is written once
// per request and each of them costs the escaping of its text: writing every key of every event
// was 70% of the mock's instructions per event (callgrind), and the mock's own thread is what
// runs out first at 1,000 paced streams on a 2-core machine. The place of the text is found by
// writing the event with "" and with "a" and checking that they differ in exactly that byte,
// so the spliced events are the ones the writer makes; anything else keeps the writer.
inline bool request_handler::make_event_template(std::int64_t prompt)
{
    event_template_ = event_template::unusable;
    if (content_ == content_kind::blocked || content_ == content_kind::calls) {
        return false;
    }
    const usage_counts usage{prompt, 0};
    const auto write = [&](std::string& out, std::string_view text) {
        out.clear();
        h_.w.reset(out);
        if (endpoint_ == mock_endpoint::chat_completions) {
            write_chat_completion(h_.w, text, false, false, usage, model_, id_, created_);
        } else {
            write_generate_response(h_.w, text, candidate_extras{}, usage, model_, id_);
        }
        return h_.w.complete();
    };
    std::string& empty = h_.event_prefix;
    std::string& one = h_.event_suffix;
    if (!write(empty, "") || !write(one, "a") || one.size() != empty.size() + 1) {
        return false;
    }
    const auto at = static_cast<std::size_t>(std::mismatch(empty.begin(), empty.end(), one.begin()).first - empty.begin());
    if (at == empty.size() || one[at] != 'a' || one.compare(at + 1, std::string::npos, empty, at) != 0) {
        return false;
    }
    one.assign(empty, at);   // the closing quote and all after it
    empty.resize(at);        // all before the text, its opening quote included
    event_template_ = event_template::ready;
    return true;
}

// One event as a chunk: `data: JSON` and the blank line (CRLF CRLF as the service frames its
// events; OpenAI's LF LF for chat/completions), or an element of the JSON array that
// streamGenerateContent sends without alt=sse.
inline void request_handler::frame_event(std::string& piece, std::string_view json) const
{
    h_.scratch.clear();
    if (!sse_) {
        h_.scratch.append(piece_index_ == 0 ? "[" : ",\r\n");
        h_.scratch.append(json);
    } else {
        h_.scratch.append("data: ");
        h_.scratch.append(json);
        h_.scratch.append(endpoint_ == mock_endpoint::chat_completions ? "\n\n" : "\r\n\r\n");
    }
    append_chunk(piece, h_.scratch);
}

inline void request_handler::serve_stream(std::uint64_t offset, std::int64_t prompt)
{
    const std::size_t events = event_count();
    const bool chat = endpoint_ == mock_endpoint::chat_completions;
    sse_ = chat || req_.query_value("alt") == "sse";
    begin_head(plan_.head, 200, sse_ ? "text/event-stream" : "application/json; charset=UTF-8");
    end_head_chunked(plan_.head, close_);
    plan_.first_delay = o_.ttft;
    plan_.gap = o_.itl;
    plan_.head_first = o_.head_before_ttft;

    // `sent` events go out whole; the fault decides what follows them.
    std::size_t sent = events;
    bool last_is_final = true;
    switch (fault_) {
    case mock_fault::error_mid_stream_raw:
    case mock_fault::error_mid_stream_data:
        sent = std::min<std::size_t>(2, events);
        last_is_final = false;
        break;
    case mock_fault::disconnect: sent = std::min<std::size_t>(2, events - 1); break;
    case mock_fault::malformed_json: sent = std::min<std::size_t>(1, events - 1); break;
    case mock_fault::stall:
        sent = 1;
        last_is_final = false;
        break;
    default: break;
    }
    for (piece_index_ = 0; piece_index_ < sent; ++piece_index_) {
        const bool last = piece_index_ + 1 == events && last_is_final;
        build_event(offset, piece_index_, last, prompt);
        frame_event(plan_.add_piece(), h_.json);
    }
    switch (fault_) {
    case mock_fault::error_mid_stream_raw: {
        // Form 2: the envelope on lines of its own after the events, not an event.
        injected();
        h_.body.clear();
        append_error(h_.body, h_.w, h_.scratch, 499, "CANCELLED", "The operation was cancelled.",
                     "[ORIGINAL ERROR] generic::cancelled: ");
        std::string& piece = plan_.add_piece();
        append_chunk(piece, h_.body);
        piece.append(last_chunk);
        return finish();
    }
    case mock_fault::error_mid_stream_data: {
        // Form 3: the envelope as the data of an event.
        injected();
        h_.json.clear();
        h_.w.reset(h_.json);
        begin_envelope(h_.w, 503, "UNAVAILABLE", "The model is overloaded. Please try again later.");
        end_envelope(h_.w);
        h_.body.assign("data: ").append(h_.json).append("\r\n\r\n");
        std::string& piece = plan_.add_piece();
        append_chunk(piece, h_.body);
        piece.append(last_chunk);
        return finish();
    }
    case mock_fault::disconnect: {
        // Half of the next event's chunk: the close lands inside chunk data.
        injected();
        build_event(offset, sent, sent + 1 == events, prompt);
        std::string framed;
        frame_event(framed, h_.json);
        plan_.add_piece().assign(framed, 0, framed.size() / 2);
        plan_.end = plan_end::abort;
        return;
    }
    case mock_fault::malformed_json: {
        injected();
        build_event(offset, sent, sent + 1 == events, prompt);
        h_.json.resize(h_.json.size() / 2);
        std::string& piece = plan_.add_piece();
        frame_event(piece, h_.json);
        piece.append(last_chunk);
        return finish();
    }
    case mock_fault::truncated_chunked:
        injected();   // every event, and no last-chunk
        plan_.end = plan_end::abort;
        return;
    case mock_fault::stall:
        injected();
        plan_.end = plan_end::stall;
        return;
    default: break;
    }
    std::string& last = plan_.pieces[plan_.piece_count - 1];
    if (!sse_) {
        append_chunk(last, "]");
    } else if (chat) {
        append_chunk(last, "data: [DONE]\n\n");
    }
    last.append(last_chunk);
    finish();
}

inline bool request_handler::write_embeddings()
{
    json::writer& w = h_.w;
    // outputDimensionality when given (the service allows up to 3072), else the option.
    const auto dimensions = [&](simdjson::dom::object request, std::size_t& out) {
        std::uint64_t d = 0;
        const auto r = request["outputDimensionality"].get(d);
        if (r == simdjson::NO_SUCH_FIELD) {
            out = std::max<std::size_t>(o_.embedding_dimensions, 1);
            return true;
        }
        out = static_cast<std::size_t>(d);
        return r == simdjson::SUCCESS && d >= 1 && d <= 3072;
    };
    // The values depend on the content only, so equal texts embed equally.
    const auto one = [&](simdjson::dom::object request) {
        simdjson::dom::object content;
        std::size_t dims = 0;
        if (request["content"].get(content) != simdjson::SUCCESS || !dimensions(request, dims)) {
            return false;
        }
        write_embedding(w, fnv1a(simdjson::minify(content)), dims);
        return true;
    };
    const simdjson::dom::object root = doc_.get_object().value_unsafe();
    bool ok = true;
    if (endpoint_ == mock_endpoint::embed_content) {
        w.begin_object();
        w.key("embedding");
        ok = one(root);
        w.end_object();
    } else {
        simdjson::dom::array requests;
        ok = root["requests"].get(requests) == simdjson::SUCCESS && requests.size() > 0;
        w.begin_object();
        w.key("embeddings");
        w.begin_array();
        if (ok) {
            for (simdjson::dom::element r : requests) {
                simdjson::dom::object request;
                ok = ok && r.get(request) == simdjson::SUCCESS && one(request);
            }
        }
        w.end_array();
        w.end_object();
    }
    if (!ok) {
        error(400, "INVALID_ARGUMENT",
              "* EmbedContentRequest.content: content is not specified, or outputDimensionality is out of range\n");
    }
    return ok;
}

inline bool request_handler::write_models()
{
    json::writer& w = h_.w;
    if (endpoint_ == mock_endpoint::get_model) {
        write_model(w, model_);
        return true;
    }
    // pageSize: 50 by default, at most 1000 (as the service); pageToken: where the page starts.
    const auto number = [](std::optional<std::string_view> text, std::size_t fallback, std::size_t& out) {
        if (!text || text->empty()) {
            out = fallback;
            return true;
        }
        std::size_t n = 0;
        for (const char c : *text) {
            if (c < '0' || c > '9' || n > 1'000'000) {
                return false;
            }
            n = n * 10 + static_cast<std::size_t>(c - '0');
        }
        out = n;
        return true;
    };
    std::size_t size = 0;
    std::size_t start = 0;
    const std::vector<std::string>& models = o_.known_models;
    if (!number(req_.query_value("pageSize"), 50, size) || !number(req_.query_value("pageToken"), 0, start) ||
        start > models.size()) {
        error(400, "INVALID_ARGUMENT", "Invalid pageSize or pageToken.");
        return false;
    }
    size = std::clamp<std::size_t>(size == 0 ? 50 : size, 1, 1000);
    const std::size_t end = std::min(models.size(), start + size);
    w.begin_object();
    w.key("models");
    w.begin_array();
    for (std::size_t i = start; i < end; ++i) {
        write_model(w, models[i]);
    }
    w.end_array();
    if (end < models.size()) {
        w.key("nextPageToken");
        w.string(std::to_string(end));
    }
    w.end_object();
    return true;
}

} // namespace llmio::testing::detail

#endif // LLMIO_TESTING_DETAIL_MOCK_ANSWERS_HPP
