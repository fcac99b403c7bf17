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

/// Takes the value out of one step of an On-Demand iteration.
template <class T>
[[nodiscard]] inline error_code take(simdjson::simdjson_result<T>& result, T& out) noexcept
{
    return std::move(result).get(out);
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
    feedback_ = {};
    has_feedback_ = false;
    response_ = {};
    api_error_ = {};
    has_api_error_ = false;
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
    return {};
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
    simdjson::ondemand::object object;
    if (auto e = doc.get_object().get(object)) {
        return e;
    }
    std::size_t feedback_begin = 0;
    std::size_t feedback_end = 0;
    for (auto field_result : object) {
        simdjson::ondemand::field field;
        if (auto e = detail::take(field_result, field)) {
            return e;
        }
        const simdjson::ondemand::raw_json_string key = field.key();
        value& v = field.value();
        simdjson::error_code e = simdjson::SUCCESS;
        if (key == "candidates") {
            e = decode_candidates(v);
            recognised_ = true;
        }
        else if (key == "usageMetadata") {
            e = decode_usage(v);
            recognised_ = true;
        }
        else if (key == "modelVersion") {
            e = detail::get_string(v, response_.model_version);
            recognised_ = true;
        }
        else if (key == "responseId") {
            e = detail::get_string(v, response_.response_id);
            recognised_ = true;
        }
        else if (key == "promptFeedback") {
            feedback_begin = ratings_.size();
            e = decode_feedback(v, feedback_begin);
            feedback_end = ratings_.size();
            has_feedback_ = true;
            recognised_ = true;
        }
        else if (key == "error") {
            e = decode_error(v);
            has_api_error_ = true;
            recognised_ = true;
        }
        if (e != simdjson::SUCCESS) {
            return e;
        }
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
    api_error_.violations = std::span<const quota_violation>(violations_.data(), violations_.size());
}

inline simdjson::error_code chunk_decoder::decode_candidates(value v) noexcept
{
    simdjson::ondemand::array array;
    if (auto e = v.get_array().get(array)) {
        return e;
    }
    for (auto element : array) {
        value c;
        if (auto e = detail::take(element, c)) {
            return e;
        }
        if (auto e = decode_candidate(c)) {
            return e;
        }
    }
    return simdjson::SUCCESS;
}

inline simdjson::error_code chunk_decoder::decode_candidate(value v) noexcept
{
    simdjson::ondemand::object object;
    if (auto e = v.get_object().get(object)) {
        return e;
    }
    candidate c;
    candidate_ranges r{};
    r.parts_begin = r.parts_end = parts_.size();
    r.ratings_begin = r.ratings_end = ratings_.size();
    r.citations_begin = r.citations_end = citations_.size();
    for (auto field_result : object) {
        simdjson::ondemand::field field;
        if (auto e = detail::take(field_result, field)) {
            return e;
        }
        const auto key = field.key();
        value& fv = field.value();
        simdjson::error_code e = simdjson::SUCCESS;
        if (key == "content") {
            r.parts_begin = parts_.size();
            e = decode_content(fv, c);
            r.parts_end = parts_.size();
        }
        else if (key == "finishReason") {
            e = detail::get_string(fv, c.finish_reason_text);
            c.finish = parse_finish_reason(c.finish_reason_text);
        }
        else if (key == "finishMessage") {
            e = detail::get_string(fv, c.finish_message);
        }
        else if (key == "index") {
            e = fv.get_int64().get(c.index);
        }
        else if (key == "safetyRatings") {
            r.ratings_begin = ratings_.size();
            e = decode_ratings(fv);
            r.ratings_end = ratings_.size();
        }
        else if (key == "citationMetadata") {
            simdjson::ondemand::object meta;
            e = fv.get_object().get(meta);
            r.citations_begin = citations_.size();
            for (auto mf : meta) {
                if (e != simdjson::SUCCESS) {
                    break;
                }
                simdjson::ondemand::field f;
                if ((e = detail::take(mf, f)) != simdjson::SUCCESS) {
                    break;
                }
                // "citationSources" (Gemini API) and "citations" (Vertex AI) hold the same list.
                if (f.key() == "citationSources" || f.key() == "citations") {
                    e = decode_citations(f.value());
                }
            }
            r.citations_end = citations_.size();
        }
        else if (key == "groundingMetadata") {
            e = detail::get_raw_object(fv, c.grounding_metadata);
        }
        else if (key == "urlContextMetadata") {
            e = detail::get_raw_object(fv, c.url_context_metadata);
        }
        if (e != simdjson::SUCCESS) {
            return e;
        }
    }
    candidates_.push_back(c);
    ranges_.push_back(r);
    return simdjson::SUCCESS;
}

inline simdjson::error_code chunk_decoder::decode_content(value v, candidate& c) noexcept
{
    simdjson::ondemand::object object;
    if (auto e = v.get_object().get(object)) {
        return e;
    }
    c.has_content = true;
    for (auto field_result : object) {
        simdjson::ondemand::field field;
        if (auto e = detail::take(field_result, field)) {
            return e;
        }
        const auto key = field.key();
        if (key == "role") {
            if (auto e = detail::get_string(field.value(), c.role)) {
                return e;
            }
        }
        else if (key == "parts") {
            simdjson::ondemand::array array;
            if (auto e = field.value().get_array().get(array)) {
                return e;
            }
            for (auto element : array) {
                value p;
                if (auto e = detail::take(element, p)) {
                    return e;
                }
                if (auto e = decode_part(p)) {
                    return e;
                }
            }
        }
    }
    return simdjson::SUCCESS;
}

inline simdjson::error_code chunk_decoder::decode_part(value v) noexcept
{
    simdjson::ondemand::object object;
    if (auto e = v.get_object().get(object)) {
        return e;
    }
    part p;
    for (auto field_result : object) {
        simdjson::ondemand::field field;
        if (auto e = detail::take(field_result, field)) {
            return e;
        }
        const auto key = field.key();
        value& fv = field.value();
        simdjson::error_code e = simdjson::SUCCESS;
        if (key == "text") {
            p.kind = part_kind::text;
            e = detail::get_string(fv, p.text);
        }
        else if (key == "thought") {
            e = fv.get_bool().get(p.thought);
        }
        else if (key == "thoughtSignature") {
            e = detail::get_string(fv, p.thought_signature);
        }
        else if (key == "inlineData" || key == "fileData") {
            p.kind = key == "inlineData" ? part_kind::inline_data : part_kind::file_data;
            simdjson::ondemand::object inner;
            e = fv.get_object().get(inner);
            for (auto inner_field : inner) {
                simdjson::ondemand::field f;
                if (e != simdjson::SUCCESS || (e = detail::take(inner_field, f)) != simdjson::SUCCESS) {
                    break;
                }
                if (f.key() == "mimeType") {
                    e = detail::get_string(f.value(), p.mime_type);
                }
                else if (f.key() == "data" || f.key() == "fileUri") {
                    e = detail::get_string(f.value(), p.data);
                }
            }
        }
        else if (key == "functionCall" || key == "functionResponse") {
            const bool call = key == "functionCall";
            p.kind = call ? part_kind::function_call : part_kind::function_response;
            p.args = "{}";
            simdjson::ondemand::object inner;
            e = fv.get_object().get(inner);
            for (auto inner_field : inner) {
                simdjson::ondemand::field f;
                if (e != simdjson::SUCCESS || (e = detail::take(inner_field, f)) != simdjson::SUCCESS) {
                    break;
                }
                if (f.key() == "id") {
                    e = detail::get_string(f.value(), p.id);
                }
                else if (f.key() == "name") {
                    e = detail::get_string(f.value(), p.name);
                }
                else if (f.key() == (call ? "args" : "response")) {
                    e = detail::get_raw_object(f.value(), p.args);
                }
            }
        }
        else if (key == "executableCode" || key == "codeExecutionResult") {
            const bool code = key == "executableCode";
            p.kind = code ? part_kind::executable_code : part_kind::code_execution_result;
            simdjson::ondemand::object inner;
            e = fv.get_object().get(inner);
            for (auto inner_field : inner) {
                simdjson::ondemand::field f;
                if (e != simdjson::SUCCESS || (e = detail::take(inner_field, f)) != simdjson::SUCCESS) {
                    break;
                }
                if (f.key() == (code ? "language" : "outcome")) {
                    e = detail::get_string(f.value(), p.language);
                }
                else if (f.key() == (code ? "code" : "output")) {
                    e = detail::get_string(f.value(), p.text);
                }
            }
        }
        if (e != simdjson::SUCCESS) {
            return e;
        }
    }
    parts_.push_back(p);
    return simdjson::SUCCESS;
}

inline simdjson::error_code chunk_decoder::decode_ratings(value v) noexcept
{
    simdjson::ondemand::array array;
    if (auto e = v.get_array().get(array)) {
        return e;
    }
    for (auto element : array) {
        simdjson::ondemand::object object;
        if (auto e = element.get_object().get(object)) {
            return e;
        }
        safety_rating r;
        for (auto field_result : object) {
            simdjson::ondemand::field field;
            if (auto e = detail::take(field_result, field)) {
                return e;
            }
            const auto key = field.key();
            value& fv = field.value();
            simdjson::error_code e = simdjson::SUCCESS;
            if (key == "category") {
                e = detail::get_string(fv, r.category);
            }
            else if (key == "probability") {
                e = detail::get_string(fv, r.probability);
            }
            else if (key == "blocked") {
                e = fv.get_bool().get(r.blocked);
            }
            else if (key == "probabilityScore") {
                double d = 0;
                e = fv.get_double().get(d);
                r.probability_score = d;
            }
            else if (key == "severity") {
                e = detail::get_string(fv, r.severity);
            }
            else if (key == "severityScore") {
                double d = 0;
                e = fv.get_double().get(d);
                r.severity_score = d;
            }
            if (e != simdjson::SUCCESS) {
                return e;
            }
        }
        ratings_.push_back(r);
    }
    return simdjson::SUCCESS;
}

inline simdjson::error_code chunk_decoder::decode_citations(value v) noexcept
{
    simdjson::ondemand::array array;
    if (auto e = v.get_array().get(array)) {
        return e;
    }
    for (auto element : array) {
        simdjson::ondemand::object object;
        if (auto e = element.get_object().get(object)) {
            return e;
        }
        citation_source c;
        for (auto field_result : object) {
            simdjson::ondemand::field field;
            if (auto e = detail::take(field_result, field)) {
                return e;
            }
            const auto key = field.key();
            value& fv = field.value();
            simdjson::error_code e = simdjson::SUCCESS;
            std::int64_t n = 0;
            if (key == "startIndex") {
                e = fv.get_int64().get(n);
                c.start_index = n;
            }
            else if (key == "endIndex") {
                e = fv.get_int64().get(n);
                c.end_index = n;
            }
            else if (key == "uri") {
                e = detail::get_string(fv, c.uri);
            }
            else if (key == "title") {
                e = detail::get_string(fv, c.title);
            }
            else if (key == "license") {
                e = detail::get_string(fv, c.license);
            }
            if (e != simdjson::SUCCESS) {
                return e;
            }
        }
        citations_.push_back(c);
    }
    return simdjson::SUCCESS;
}

inline simdjson::error_code chunk_decoder::decode_feedback(value v, std::size_t& ratings_begin) noexcept
{
    simdjson::ondemand::object object;
    if (auto e = v.get_object().get(object)) {
        return e;
    }
    for (auto field_result : object) {
        simdjson::ondemand::field field;
        if (auto e = detail::take(field_result, field)) {
            return e;
        }
        const auto key = field.key();
        value& fv = field.value();
        simdjson::error_code e = simdjson::SUCCESS;
        if (key == "blockReason") {
            e = detail::get_string(fv, feedback_.block_reason_text);
            feedback_.block = parse_block_reason(feedback_.block_reason_text);
        }
        else if (key == "blockReasonMessage") {
            e = detail::get_string(fv, feedback_.block_reason_message);
        }
        else if (key == "safetyRatings") {
            ratings_begin = ratings_.size();
            e = decode_ratings(fv);
        }
        if (e != simdjson::SUCCESS) {
            return e;
        }
    }
    return simdjson::SUCCESS;
}

inline simdjson::error_code chunk_decoder::decode_usage(value v) noexcept
{
    simdjson::ondemand::object object;
    if (auto e = v.get_object().get(object)) {
        return e;
    }
    usage_metadata u;
    for (auto field_result : object) {
        simdjson::ondemand::field field;
        if (auto e = detail::take(field_result, field)) {
            return e;
        }
        const auto key = field.key();
        std::int64_t* target = nullptr;
        if (key == "promptTokenCount") {
            target = &u.prompt;
        }
        else if (key == "cachedContentTokenCount") {
            target = &u.cached_content;
        }
        else if (key == "candidatesTokenCount") {
            target = &u.candidates;
        }
        else if (key == "toolUsePromptTokenCount") {
            target = &u.tool_use_prompt;
        }
        else if (key == "thoughtsTokenCount") {
            target = &u.thoughts;
        }
        else if (key == "totalTokenCount") {
            target = &u.total;
        }
        if (target != nullptr) {
            if (auto e = field.value().get_int64().get(*target)) {
                return e;
            }
        }
    }
    response_.usage = u;
    return simdjson::SUCCESS;
}

inline simdjson::error_code chunk_decoder::decode_error(value v) noexcept
{
    simdjson::ondemand::object object;
    if (auto e = v.get_object().get(object)) {
        return e;
    }
    for (auto field_result : object) {
        simdjson::ondemand::field field;
        if (auto e = detail::take(field_result, field)) {
            return e;
        }
        const auto key = field.key();
        value& fv = field.value();
        simdjson::error_code e = simdjson::SUCCESS;
        if (key == "code") {
            e = fv.get_int64().get(api_error_.code);
        }
        else if (key == "message") {
            e = detail::get_string(fv, api_error_.message);
        }
        else if (key == "status") {
            e = detail::get_string(fv, api_error_.status);
        }
        else if (key == "details") {
            simdjson::ondemand::array array;
            e = fv.get_array().get(array);
            for (auto element : array) {
                value detail_value;
                if (e != simdjson::SUCCESS || (e = detail::take(element, detail_value)) != simdjson::SUCCESS) {
                    break;
                }
                e = decode_error_detail(detail_value);
            }
        }
        if (e != simdjson::SUCCESS) {
            return e;
        }
    }
    return simdjson::SUCCESS;
}

inline simdjson::error_code chunk_decoder::decode_error_detail(value v) noexcept
{
    // details[] entries are google.rpc messages told apart by "@type". Their field names do not
    // overlap, and "@type" is not always first, so each field is taken by its own name.
    simdjson::ondemand::object object;
    if (auto e = v.get_object().get(object)) {
        return e;
    }
    for (auto field_result : object) {
        simdjson::ondemand::field field;
        if (auto e = detail::take(field_result, field)) {
            return e;
        }
        const auto key = field.key();
        value& fv = field.value();
        simdjson::error_code e = simdjson::SUCCESS;
        if (key == "retryDelay") {   // google.rpc.RetryInfo
            std::string_view text;
            e = detail::get_string(fv, text);
            api_error_.retry_delay = parse_duration(text);
        }
        else if (key == "reason") {   // google.rpc.ErrorInfo
            e = detail::get_string(fv, api_error_.reason);
        }
        else if (key == "domain") {
            e = detail::get_string(fv, api_error_.domain);
        }
        else if (key == "detail") {   // google.rpc.DebugInfo
            e = detail::get_string(fv, api_error_.debug_detail);
        }
        else if (key == "links") {   // google.rpc.Help
            simdjson::ondemand::array links;
            e = fv.get_array().get(links);
            for (auto link : links) {
                simdjson::ondemand::object lo;
                if (e != simdjson::SUCCESS || (e = link.get_object().get(lo)) != simdjson::SUCCESS) {
                    break;
                }
                for (auto lf : lo) {
                    simdjson::ondemand::field f;
                    if ((e = detail::take(lf, f)) != simdjson::SUCCESS) {
                        break;
                    }
                    if (f.key() == "url" && api_error_.help_url.empty()) {
                        e = detail::get_string(f.value(), api_error_.help_url);
                    }
                }
            }
        }
        else if (key == "violations") {   // google.rpc.QuotaFailure (PreconditionFailure too)
            simdjson::ondemand::array array;
            e = fv.get_array().get(array);
            for (auto element : array) {
                simdjson::ondemand::object vo;
                if (e != simdjson::SUCCESS || (e = element.get_object().get(vo)) != simdjson::SUCCESS) {
                    break;
                }
                quota_violation q;
                for (auto vf : vo) {
                    simdjson::ondemand::field f;
                    if ((e = detail::take(vf, f)) != simdjson::SUCCESS) {
                        break;
                    }
                    const auto k = f.key();
                    if (k == "quotaMetric") {
                        e = detail::get_string(f.value(), q.quota_metric);
                    }
                    else if (k == "quotaId") {
                        e = detail::get_string(f.value(), q.quota_id);
                    }
                    else if (k == "quotaValue") {
                        e = detail::get_int_or_string(f.value(), q.quota_value);
                    }
                    else if (k == "quotaDimensions") {
                        simdjson::ondemand::object dims;
                        e = f.value().get_object().get(dims);
                        for (auto df : dims) {
                            simdjson::ondemand::field d;
                            if (e != simdjson::SUCCESS || (e = detail::take(df, d)) != simdjson::SUCCESS) {
                                break;
                            }
                            if (d.key() == "model") {
                                e = detail::get_string(d.value(), q.model);
                            }
                            else if (d.key() == "location") {
                                e = detail::get_string(d.value(), q.location);
                            }
                        }
                    }
                    if (e != simdjson::SUCCESS) {
                        break;
                    }
                }
                if (e == simdjson::SUCCESS && (!q.quota_id.empty() || !q.quota_metric.empty())) {
                    q.kind = classify_quota_id(q.quota_id.empty() ? q.quota_metric : q.quota_id);
                    violations_.push_back(q);
                }
            }
        }
        if (e != simdjson::SUCCESS) {
            return e;
        }
    }
    return simdjson::SUCCESS;
}

} // namespace llmio::gemini

#endif
