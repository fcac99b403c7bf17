// Bodies of llmio/gemini/chunk_decoder.hpp, continued: the error envelope
// `{"error":{code,message,status,details[]}}` and its google.rpc details.
#ifndef LLMIO_GEMINI_IMPL_CHUNK_DECODER_ENVELOPE_HPP
#define LLMIO_GEMINI_IMPL_CHUNK_DECODER_ENVELOPE_HPP

namespace llmio::gemini {

inline simdjson::error_code chunk_decoder::decode_error(value& v) noexcept
{
    return detail::fields(v, [&](detail::key_type k, value& x) noexcept {
        if (k == "code") {
            return x.get_int64().get(api_error_.code);
        }
        if (k == "message") {
            return detail::get_string(x, api_error_.message);
        }
        if (k == "status") {
            return detail::get_string(x, api_error_.status);
        }
        if (k == "details") {
            return detail::elements(x, [&](value& d) noexcept { return decode_error_detail(d); });
        }
        return simdjson::SUCCESS;
    });
}

inline simdjson::error_code chunk_decoder::decode_error_detail(value& v) noexcept
{
    // details[] entries are google.rpc messages told apart by "@type". Their field names do not
    // overlap, and "@type" is not always first, so each field is taken by its own name.
    return detail::fields(v, [&](detail::key_type k, value& x) noexcept -> simdjson::error_code {
        if (k == "retryDelay") {   // google.rpc.RetryInfo
            std::string_view text;
            const auto e = detail::get_string(x, text);
            api_error_.retry_delay = parse_duration(text);
            return e;
        }
        if (k == "reason") {   // google.rpc.ErrorInfo
            return detail::get_string(x, api_error_.reason);
        }
        if (k == "domain") {
            return detail::get_string(x, api_error_.domain);
        }
        if (k == "detail") {   // google.rpc.DebugInfo
            return detail::get_string(x, api_error_.debug_detail);
        }
        if (k == "links") {   // google.rpc.Help: the first link's url
            return detail::elements(x, [&](value& link) noexcept {
                return detail::fields(link, [&](detail::key_type lk, value& lv) noexcept {
                    return lk == "url" && api_error_.help_url.empty()
                               ? detail::get_string(lv, api_error_.help_url)
                               : simdjson::SUCCESS;
                });
            });
        }
        if (k == "violations") {   // google.rpc.QuotaFailure (PreconditionFailure has them too)
            return detail::elements(x, [&](value& element) noexcept { return decode_violation(element); });
        }
        return simdjson::SUCCESS;
    });
}

inline simdjson::error_code chunk_decoder::decode_violation(value& v) noexcept
{
    quota_violation q;
    const auto e = detail::fields(v, [&](detail::key_type k, value& x) noexcept {
        if (k == "quotaMetric") {
            return detail::get_string(x, q.quota_metric);
        }
        if (k == "quotaId") {
            return detail::get_string(x, q.quota_id);
        }
        if (k == "quotaValue") {
            return detail::get_int_or_string(x, q.quota_value);
        }
        if (k == "quotaDimensions") {
            return detail::fields(x, [&](detail::key_type dk, value& dv) noexcept {
                return dk == "model"      ? detail::get_string(dv, q.model)
                       : dk == "location" ? detail::get_string(dv, q.location)
                                          : simdjson::SUCCESS;
            });
        }
        return simdjson::SUCCESS;
    });
    if (e == simdjson::SUCCESS && (!q.quota_id.empty() || !q.quota_metric.empty())) {
        q.kind = classify_quota_id(q.quota_id.empty() ? q.quota_metric : q.quota_id);
        violations_.push_back(q);
    }
    return e;
}

} // namespace llmio::gemini

#endif
