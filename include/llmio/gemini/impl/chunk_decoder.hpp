// Bodies of llmio/gemini/chunk_decoder.hpp.
//
// One pass over each object in document order (On-Demand's fast path): every object is walked
// field by field and each key compared against the names it may hold; unknown fields are
// skipped without being materialised, so new fields from the service cost nothing and break
// nothing (GEMINI_API.md, "Tolerate").
#ifndef LLMIO_GEMINI_IMPL_CHUNK_DECODER_HPP
#define LLMIO_GEMINI_IMPL_CHUNK_DECODER_HPP

#include <algorithm>
#include <charconv>
#include <type_traits>
#include <utility>

namespace llmio::gemini {

namespace detail {

using simdjson::error_code;
using od_value = simdjson::ondemand::value;

[[nodiscard]] inline error_code get_string(od_value& v, std::string_view& out) noexcept
{
    return v.get_string().get(out);
}

/// A string field that may also be sent as a number (quotaValue is "10" on the wire; accept 10).
[[nodiscard]] inline error_code get_int_or_string(od_value& v, std::optional<std::int64_t>& out) noexcept
{
    simdjson::ondemand::json_type type;
    if (auto e = v.type().get(type)) {
        return e;
    }
    if (type == simdjson::ondemand::json_type::number) {
        std::int64_t n = 0;
        if (auto e = v.get_int64().get(n)) {
            return e;
        }
        out = n;
        return simdjson::SUCCESS;
    }
    std::string_view s;
    if (auto e = v.get_string().get(s)) {
        return e;
    }
    std::int64_t n = 0;
    const auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
    if (ec == std::errc{} && ptr == s.data() + s.size()) {
        out = n;
    }
    return simdjson::SUCCESS;   // a non-numeric quotaValue is tolerated, not an error
}

/// Raw JSON of an object that may be null: "{}" stands for null and for absent (function args).
[[nodiscard]] inline error_code get_raw_object(od_value& v, std::string_view& out) noexcept
{
    bool null = false;
    if (auto e = v.is_null().get(null)) {
        return e;
    }
    if (null) {
        out = "{}";
        return simdjson::SUCCESS;
    }
    simdjson::ondemand::object object;
    if (auto e = v.get_object().get(object)) {
        return e;
    }
    if (auto e = object.raw_json().get(out)) {
        return e;
    }
    // raw_json() runs to the next token: drop the white space before it.
    while (!out.empty() && (out.back() == ' ' || out.back() == '\n' || out.back() == '\r' ||
                            out.back() == '\t')) {
        out.remove_suffix(1);
    }
    return simdjson::SUCCESS;
}

/// Walks an object in document order: `f(key, value)` for each field, stopping at the first
/// error. Fields `f` does not read are skipped by the iteration, unmaterialised.
template <class F>
[[nodiscard]] inline error_code fields(od_value& v, F&& f) noexcept
{
    simdjson::ondemand::object object;
    if (auto e = v.get_object().get(object)) {
        return e;
    }
    for (auto step : object) {
        if (auto e = step.error()) {
            return e;
        }
        // The field is used where the iterator built it, not moved into a local: GCC copies
        // such a move with 16-byte loads of what was just stored in 8- and 4-byte halves, a
        // failed store-to-load forward on every field (a quarter of the decode time, at -O3).
        auto&& field = std::move(step).value_unsafe();
        if (auto e = f(field.key(), field.value())) {
            return e;
        }
    }
    return simdjson::SUCCESS;
}

/// Walks an array: `f(value)` for each element, stopping at the first error.
template <class F>
[[nodiscard]] inline error_code elements(od_value& v, F&& f) noexcept
{
    simdjson::ondemand::array array;
    if (auto e = v.get_array().get(array)) {
        return e;
    }
    for (auto step : array) {
        if (auto e = step.error()) {
            return e;
        }
        auto&& element = std::move(step).value_unsafe();   // in place, as in fields()
        if (auto e = f(element)) {
            return e;
        }
    }
    return simdjson::SUCCESS;
}

[[nodiscard]] inline error_code get_int(od_value& v, std::optional<std::int64_t>& out) noexcept
{
    std::int64_t n = 0;
    const error_code e = v.get_int64().get(n);
    out = n;
    return e;
}

[[nodiscard]] inline error_code get_double(od_value& v, std::optional<double>& out) noexcept
{
    double d = 0;
    const error_code e = v.get_double().get(d);
    out = d;
    return e;
}

using key_type = simdjson::ondemand::raw_json_string;

/// `x = T{}` with plain stores: value-initialisation zero-fills first, which GCC lowers to a
/// `rep stos` for objects this size (see chunk_decoder::default_init_allocator). Default
/// initialisation gives the same object because every member has a default member initialiser.
template <class T>
inline void reset(T& x) noexcept
{
    static_assert(std::is_trivially_destructible_v<T>);
    ::new (static_cast<void*>(&x)) T;
}

} // namespace detail

inline chunk_decoder::chunk_decoder(decoder_options options)
    : options_(options), parser_(options.max_document)
{
}

inline void chunk_decoder::clear() noexcept
{
    // clear() keeps each vector's capacity: nothing is freed or allocated per document.
    candidates_.clear();
    ranges_.clear();
    parts_.clear();
    ratings_.clear();
    citations_.clear();
    violations_.clear();
    // feedback_ and api_error_ are only written once their flag is set (finalize included), so
    // they are still default unless it is: skip the stores, which cost a visible share of a
    // small chunk's decode.
    if (has_feedback_) {
        feedback_ = {};
        has_feedback_ = false;
    }
    detail::reset(response_);
    if (has_api_error_) {
        api_error_ = {};
        has_api_error_ = false;
    }
    recognised_ = false;
}

inline std::error_code chunk_decoder::decode(std::string_view json, std::size_t padding) noexcept
{
    clear();
    if (json.size() > options_.max_document) {
        return error::malformed_response;
    }
    if (parse_document(json, padding) != simdjson::SUCCESS) {
        clear();
        return error::malformed_response;
    }
    if (has_api_error_) {
        return classify(api_error_);
    }
    // Once per event: a copy of a ready-made empty code, not a new one (which would call
    // std::system_category() out of line every time).
    static const std::error_code success;
    return success;
}

inline std::error_code chunk_decoder::decode_error_body(int http_status, std::string_view body,
                                                        std::size_t padding) noexcept
{
    clear();
    if (body.size() <= options_.max_document && parse_document(body, padding) == simdjson::SUCCESS &&
        has_api_error_) {
        api_error_.http_status = http_status;
        return classify(api_error_);
    }
    // Not an envelope: a proxy's HTML page, an empty body, a truncated one. The status decides,
    // and the start of the body is kept as the message so the user sees what came back.
    clear();
    has_api_error_ = true;
    api_error_.http_status = http_status;
    api_error_.code = http_status;
    api_error_.message = body.substr(0, std::min<std::size_t>(body.size(), 512));
    return classify(api_error_);
}

inline simdjson::error_code chunk_decoder::parse_document(std::string_view json,
                                                          std::size_t padding) noexcept
{
    const char* text = json.data();
    std::size_t capacity = json.size() + padding;
    if (padding < json_padding) {
        // The only copy the decoder ever makes, and only when the caller's buffer ends too close
        // to the document. padded_ keeps its capacity across documents.
        padded_.assign(json.data(), json.size());
        padded_.resize(json.size() + json_padding);
        text = padded_.data();
        capacity = padded_.size();
    }
    simdjson::ondemand::document doc;
    if (auto e = parser_.iterate(text, json.size(), capacity).get(doc)) {
        return e;
    }
    value root;
    if (auto e = doc.get_value().get(root)) {
        return e;
    }
    std::size_t feedback_begin = 0;
    std::size_t feedback_end = 0;
    const auto top = [&](detail::key_type key, value& v) noexcept -> simdjson::error_code {
        if (key == "candidates") {
            recognised_ = true;
            return detail::elements(v, [&](value& c) noexcept { return decode_candidate(c); });
        }
        if (key == "usageMetadata") {
            recognised_ = true;
            return decode_usage(v);
        }
        if (key == "modelVersion") {
            recognised_ = true;
            return detail::get_string(v, response_.model_version);
        }
        if (key == "responseId") {
            recognised_ = true;
            return detail::get_string(v, response_.response_id);
        }
        if (key == "promptFeedback") {
            recognised_ = has_feedback_ = true;
            feedback_begin = ratings_.size();
            const auto e = decode_feedback(v, feedback_begin);
            feedback_end = ratings_.size();
            return e;
        }
        if (key == "error") {
            recognised_ = has_api_error_ = true;
            return decode_error(v);
        }
        return simdjson::SUCCESS;
    };
    if (auto e = detail::fields(root, top)) {
        return e;
    }
    // Anything after the object (a second document, garbage) makes the text malformed: in
    // bounds means there is more.
    if (!doc.current_location().error()) {
        return simdjson::TRAILING_CONTENT;
    }
    if (!recognised_) {
        // Valid JSON that is not a response (fixture streaming-failure-invalid-json.txt).
        return simdjson::INCORRECT_TYPE;
    }
    finalize(feedback_begin, feedback_end);
    return simdjson::SUCCESS;
}

inline void chunk_decoder::finalize(std::size_t feedback_begin, std::size_t feedback_end) noexcept
{
    // Spans are made only now: the vectors may have moved while they grew.
    for (std::size_t i = 0; i < candidates_.size(); ++i) {
        const candidate_ranges& r = ranges_[i];
        candidate& c = candidates_[i];
        c.parts = std::span<const part>(parts_.data() + r.parts_begin, r.parts_end - r.parts_begin);
        c.safety_ratings = std::span<const safety_rating>(ratings_.data() + r.ratings_begin,
                                                          r.ratings_end - r.ratings_begin);
        c.citations = std::span<const citation_source>(citations_.data() + r.citations_begin,
                                                       r.citations_end - r.citations_begin);
    }
    response_.candidates = std::span<const candidate>(candidates_.data(), candidates_.size());
    if (has_feedback_) {
        feedback_.safety_ratings = std::span<const safety_rating>(ratings_.data() + feedback_begin,
                                                                  feedback_end - feedback_begin);
        response_.feedback = feedback_;
    }
    if (has_api_error_) {
        api_error_.violations = std::span<const quota_violation>(violations_.data(), violations_.size());
    }
}

inline simdjson::error_code chunk_decoder::decode_candidate(value& v) noexcept
{
    // Built in place, like parts (decode_part): only parts_ and the other arrays grow below.
    candidate& c = candidates_.emplace_back();
    candidate_ranges& r = ranges_.emplace_back();
    r.parts_begin = r.parts_end = parts_.size();
    r.ratings_begin = r.ratings_end = ratings_.size();
    r.citations_begin = r.citations_end = citations_.size();
    const auto field = [&](detail::key_type key, value& fv) noexcept -> simdjson::error_code {
        if (key == "content") {
            c.has_content = true;
            r.parts_begin = parts_.size();
            const auto e = detail::fields(fv, [&](detail::key_type k, value& cv) noexcept {
                if (k == "role") {
                    return detail::get_string(cv, c.role);
                }
                if (k == "parts") {
                    return detail::elements(cv, [&](value& p) noexcept { return decode_part(p); });
                }
                return simdjson::SUCCESS;
            });
            r.parts_end = parts_.size();
            return e;
        }
        if (key == "finishReason") {
            const auto e = detail::get_string(fv, c.finish_reason_text);
            c.finish = parse_finish_reason(c.finish_reason_text);
            return e;
        }
        if (key == "finishMessage") {
            return detail::get_string(fv, c.finish_message);
        }
        if (key == "index") {
            return fv.get_int64().get(c.index);
        }
        if (key == "safetyRatings") {
            r.ratings_begin = ratings_.size();
            const auto e = decode_ratings(fv);
            r.ratings_end = ratings_.size();
            return e;
        }
        if (key == "citationMetadata") {
            r.citations_begin = citations_.size();
            const auto e = detail::fields(fv, [&](detail::key_type k, value& list) noexcept {
                // "citationSources" (Gemini API) and "citations" (Vertex AI) hold the same list.
                return k == "citationSources" || k == "citations" ? decode_citations(list)
                                                                  : simdjson::SUCCESS;
            });
            r.citations_end = citations_.size();
            return e;
        }
        if (key == "groundingMetadata") {
            return detail::get_raw_object(fv, c.grounding_metadata);
        }
        if (key == "urlContextMetadata") {
            return detail::get_raw_object(fv, c.url_context_metadata);
        }
        return simdjson::SUCCESS;
    };
    return detail::fields(v, field);
}

inline simdjson::error_code chunk_decoder::decode_part(value& v) noexcept
{
    // Built in place: nothing below adds to parts_, so the reference stays valid. A failed
    // document leaves a partial part behind, which decode() then clears with everything else.
    part& p = parts_.emplace_back();
    // The payload objects: which wire names fill `text` and `language` differs per kind.
    const auto payload = [&](value& fv, part_kind kind, std::string_view text_name,
                             std::string_view language_name) noexcept {
        p.kind = kind;
        return detail::fields(fv, [&](detail::key_type k, value& x) noexcept {
            if (k == text_name) {
                return detail::get_string(x, p.text);
            }
            if (k == language_name) {
                return detail::get_string(x, p.language);
            }
            return simdjson::SUCCESS;
        });
    };
    const auto data = [&](value& fv, part_kind kind, std::string_view data_name) noexcept {
        p.kind = kind;
        return detail::fields(fv, [&](detail::key_type k, value& x) noexcept {
            if (k == "mimeType") {
                return detail::get_string(x, p.mime_type);
            }
            if (k == data_name) {
                return detail::get_string(x, p.data);
            }
            return simdjson::SUCCESS;
        });
    };
    const auto call = [&](value& fv, part_kind kind, std::string_view args_name) noexcept {
        p.kind = kind;
        p.args = "{}";
        return detail::fields(fv, [&](detail::key_type k, value& x) noexcept {
            if (k == "id") {
                return detail::get_string(x, p.id);
            }
            if (k == "name") {
                return detail::get_string(x, p.name);
            }
            if (k == args_name) {
                return detail::get_raw_object(x, p.args);
            }
            return simdjson::SUCCESS;
        });
    };
    const auto field = [&](detail::key_type key, value& fv) noexcept -> simdjson::error_code {
        if (key == "text") {
            p.kind = part_kind::text;
            return detail::get_string(fv, p.text);
        }
        if (key == "thought") {
            return fv.get_bool().get(p.thought);
        }
        if (key == "thoughtSignature") {
            return detail::get_string(fv, p.thought_signature);
        }
        if (key == "functionCall") {
            return call(fv, part_kind::function_call, "args");
        }
        if (key == "functionResponse") {
            return call(fv, part_kind::function_response, "response");
        }
        if (key == "inlineData") {
            return data(fv, part_kind::inline_data, "data");
        }
        if (key == "fileData") {
            return data(fv, part_kind::file_data, "fileUri");
        }
        if (key == "executableCode") {
            return payload(fv, part_kind::executable_code, "code", "language");
        }
        if (key == "codeExecutionResult") {
            return payload(fv, part_kind::code_execution_result, "output", "outcome");
        }
        return simdjson::SUCCESS;
    };
    return detail::fields(v, field);
}

inline simdjson::error_code chunk_decoder::decode_ratings(value& v) noexcept
{
    return detail::elements(v, [&](value& element) noexcept {
        safety_rating& r = ratings_.emplace_back();
        return detail::fields(element, [&](detail::key_type k, value& x) noexcept {
            if (k == "category") {
                return detail::get_string(x, r.category);
            }
            if (k == "probability") {
                return detail::get_string(x, r.probability);
            }
            if (k == "blocked") {
                return x.get_bool().get(r.blocked);
            }
            if (k == "probabilityScore") {
                return detail::get_double(x, r.probability_score);
            }
            if (k == "severity") {
                return detail::get_string(x, r.severity);
            }
            if (k == "severityScore") {
                return detail::get_double(x, r.severity_score);
            }
            return simdjson::SUCCESS;
        });
    });
}

inline simdjson::error_code chunk_decoder::decode_citations(value& v) noexcept
{
    return detail::elements(v, [&](value& element) noexcept {
        citation_source& c = citations_.emplace_back();
        return detail::fields(element, [&](detail::key_type k, value& x) noexcept {
            if (k == "startIndex") {
                return detail::get_int(x, c.start_index);
            }
            if (k == "endIndex") {
                return detail::get_int(x, c.end_index);
            }
            if (k == "uri") {
                return detail::get_string(x, c.uri);
            }
            if (k == "title") {
                return detail::get_string(x, c.title);
            }
            if (k == "license") {
                return detail::get_string(x, c.license);
            }
            return simdjson::SUCCESS;
        });
    });
}

inline simdjson::error_code chunk_decoder::decode_feedback(value& v, std::size_t& ratings_begin) noexcept
{
    return detail::fields(v, [&](detail::key_type k, value& x) noexcept {
        if (k == "blockReason") {
            const auto e = detail::get_string(x, feedback_.block_reason_text);
            feedback_.block = parse_block_reason(feedback_.block_reason_text);
            return e;
        }
        if (k == "blockReasonMessage") {
            return detail::get_string(x, feedback_.block_reason_message);
        }
        if (k == "safetyRatings") {
            ratings_begin = ratings_.size();
            return decode_ratings(x);
        }
        return simdjson::SUCCESS;
    });
}

inline simdjson::error_code chunk_decoder::decode_usage(value& v) noexcept
{
    usage_metadata& u = response_.usage.emplace();
    return detail::fields(v, [&](detail::key_type k, value& x) noexcept {
        std::int64_t* target = k == "promptTokenCount"          ? &u.prompt
                               : k == "candidatesTokenCount"    ? &u.candidates
                               : k == "totalTokenCount"         ? &u.total
                               : k == "thoughtsTokenCount"      ? &u.thoughts
                               : k == "cachedContentTokenCount" ? &u.cached_content
                               : k == "toolUsePromptTokenCount" ? &u.tool_use_prompt
                                                                : nullptr;
        return target != nullptr ? x.get_int64().get(*target) : simdjson::SUCCESS;
    });
}

} // namespace llmio::gemini

#include <llmio/gemini/impl/chunk_decoder_envelope.hpp>

#endif
