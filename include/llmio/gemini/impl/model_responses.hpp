// Decoders of the non-content answers: countTokens, embedContent, batchEmbedContents, models.
// Not API. Shapes from GEMINI_API.md ("Endpoints"); unknown fields are skipped, a missing
// required one is client_error::unexpected_response.
#ifndef LLMIO_GEMINI_IMPL_MODEL_RESPONSES_HPP
#define LLMIO_GEMINI_IMPL_MODEL_RESPONSES_HPP

#include <llmio/gemini/client.hpp>

#include <simdjson.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

namespace llmio::gemini::detail {

using od_object = simdjson::ondemand::object;
using od_value = simdjson::ondemand::value;

[[nodiscard]] inline bool read_values(od_value v, std::vector<float>& out)
{
    simdjson::ondemand::array values;
    if (v.get_array().get(values) != simdjson::SUCCESS) {
        return false;
    }
    out.clear();
    for (auto element : values) {
        double d = 0;
        if (element.get_double().get(d) != simdjson::SUCCESS) {
            return false;
        }
        out.push_back(static_cast<float>(d));
    }
    return true;
}

/// {"values": [...]}
[[nodiscard]] inline bool read_embedding(od_value v, std::vector<float>& out)
{
    od_object o;
    if (v.get_object().get(o) != simdjson::SUCCESS) {
        return false;
    }
    for (auto field : o) {
        std::string_view k;
        if (field.unescaped_key().get(k) != simdjson::SUCCESS) {
            return false;
        }
        if (k == "values") {
            return read_values(field.value(), out);
        }
    }
    return false;
}

/// Appends one element to `out` per array element, read by `read(value, element&)`.
template <class T, class Read>
[[nodiscard]] bool read_array(od_value v, std::vector<T>& out, Read read)
{
    simdjson::ondemand::array a;
    if (v.get_array().get(a) != simdjson::SUCCESS) {
        return false;
    }
    for (auto element : a) {
        od_value e;
        if (element.get(e) != simdjson::SUCCESS) {
            return false;
        }
        out.emplace_back();
        if (!read(e, out.back())) {
            return false;
        }
    }
    return true;
}

/// Runs `f(key, value)` over the top-level object of `body`; false when it is not one.
template <class F>
[[nodiscard]] bool for_each_member(std::string_view body, F&& f)
{
    simdjson::ondemand::parser parser;
    const simdjson::padded_string text(body);
    simdjson::ondemand::document doc;
    if (parser.iterate(text).get(doc) != simdjson::SUCCESS) {
        return false;
    }
    od_object o;
    if (doc.get_object().get(o) != simdjson::SUCCESS) {
        return false;
    }
    for (auto field : o) {
        std::string_view k;
        od_value v;
        if (field.unescaped_key().get(k) != simdjson::SUCCESS || field.value().get(v) != simdjson::SUCCESS) {
            return false;
        }
        if (!f(k, v)) {
            return false;
        }
    }
    return true;
}

[[nodiscard]] inline std::error_code decode_count_tokens(std::string_view body, count_tokens_result& out)
{
    bool seen = false;
    const bool ok = for_each_member(body, [&](std::string_view k, od_value v) {
        if (k == "totalTokens") {
            seen = true;
            return v.get_int64().get(out.total_tokens) == simdjson::SUCCESS;
        }
        if (k == "cachedContentTokenCount") {
            return v.get_int64().get(out.cached_content_tokens) == simdjson::SUCCESS;
        }
        return true;
    });
    return ok && seen ? std::error_code() : make_error_code(client_error::unexpected_response);
}

[[nodiscard]] inline std::error_code decode_embedding(std::string_view body, std::vector<float>& out)
{
    bool seen = false;
    const bool ok = for_each_member(body, [&](std::string_view k, od_value v) {
        if (k == "embedding") {
            seen = true;
            return read_embedding(v, out);
        }
        return true;
    });
    return ok && seen ? std::error_code() : make_error_code(client_error::unexpected_response);
}

[[nodiscard]] inline std::error_code decode_embeddings(std::string_view body, std::vector<std::vector<float>>& out)
{
    bool seen = false;
    const bool ok = for_each_member(body, [&](std::string_view k, od_value v) {
        if (k != "embeddings") {
            return true;
        }
        seen = true;
        return read_array(v, out, read_embedding);
    });
    return ok && seen ? std::error_code() : make_error_code(client_error::unexpected_response);
}

[[nodiscard]] inline bool read_string(od_value v, std::string& out)
{
    std::string_view s;
    if (v.get_string().get(s) != simdjson::SUCCESS) {
        return false;
    }
    out.assign(s);
    return true;
}

[[nodiscard]] inline bool read_model(od_value v, model_info& m)
{
    od_object o;
    if (v.get_object().get(o) != simdjson::SUCCESS) {
        return false;
    }
    for (auto field : o) {
        std::string_view k;
        od_value fv;
        if (field.unescaped_key().get(k) != simdjson::SUCCESS || field.value().get(fv) != simdjson::SUCCESS) {
            return false;
        }
        bool ok = true;
        double d = 0;
        if (k == "name") {
            ok = read_string(fv, m.name);
        }
        else if (k == "baseModelId") {
            ok = read_string(fv, m.base_model_id);
        }
        else if (k == "version") {
            ok = read_string(fv, m.version);
        }
        else if (k == "displayName") {
            ok = read_string(fv, m.display_name);
        }
        else if (k == "description") {
            ok = read_string(fv, m.description);
        }
        else if (k == "inputTokenLimit") {
            ok = fv.get_int64().get(m.input_token_limit) == simdjson::SUCCESS;
        }
        else if (k == "outputTokenLimit") {
            ok = fv.get_int64().get(m.output_token_limit) == simdjson::SUCCESS;
        }
        else if (k == "supportedGenerationMethods") {
            simdjson::ondemand::array a;
            ok = fv.get_array().get(a) == simdjson::SUCCESS;
            for (auto element : a) {
                std::string_view s;
                if (!ok || element.get_string().get(s) != simdjson::SUCCESS) {
                    return false;
                }
                m.supported_generation_methods.emplace_back(s);
            }
        }
        else if (k == "temperature") {
            ok = fv.get_double().get(d) == simdjson::SUCCESS;
            m.temperature = d;
        }
        else if (k == "maxTemperature") {
            ok = fv.get_double().get(d) == simdjson::SUCCESS;
            m.max_temperature = d;
        }
        else if (k == "topP") {
            ok = fv.get_double().get(d) == simdjson::SUCCESS;
            m.top_p = d;
        }
        else if (k == "topK") {
            std::int64_t i = 0;
            ok = fv.get_int64().get(i) == simdjson::SUCCESS;
            m.top_k = i;
        }
        else if (k == "thinking") {
            ok = fv.get_bool().get(m.thinking) == simdjson::SUCCESS;
        }
        if (!ok) {
            return false;
        }
    }
    return !m.name.empty();
}

[[nodiscard]] inline std::error_code decode_model(std::string_view body, model_info& out)
{
    simdjson::ondemand::parser parser;
    const simdjson::padded_string text(body);
    simdjson::ondemand::document doc;
    od_value v;
    if (parser.iterate(text).get(doc) != simdjson::SUCCESS || doc.get_value().get(v) != simdjson::SUCCESS ||
        !read_model(v, out)) {
        return client_error::unexpected_response;
    }
    return {};
}

/// One page of `models`; `next_page` is the nextPageToken ("" on the last page).
[[nodiscard]] inline std::error_code decode_model_page(std::string_view body, std::vector<model_info>& out,
                                                       std::string& next_page)
{
    next_page.clear();
    const bool ok = for_each_member(body, [&](std::string_view k, od_value v) {
        if (k == "models") {
            return read_array(v, out, read_model);
        }
        if (k == "nextPageToken") {
            return read_string(v, next_page);
        }
        return true;
    });
    return ok ? std::error_code() : make_error_code(client_error::unexpected_response);
}

} // namespace llmio::gemini::detail

#endif // LLMIO_GEMINI_IMPL_MODEL_RESPONSES_HPP
