// gemini_stream_decode with nothing but simdjson On-Demand: the same fields that llmio's
// decoder extracts, from event JSON already cut out and sitting in one padded buffer. No HTTP,
// no SSE, no result types: the floor that llmio's whole pipeline is measured against.
#ifndef LLMIO_BENCH_STREAM_DECODE_SIMDJSON_BARE_HPP
#define LLMIO_BENCH_STREAM_DECODE_SIMDJSON_BARE_HPP

#include "scenario.hpp"

#include <simdjson.h>

#include <stdexcept>
#include <utility>

namespace bench::stream_decode {

class simdjson_bare_impl {
public:
    explicit simdjson_bare_impl(const corpus& c)
    {
        for (const auto& stream : c.streams) {
            for (const std::string& event : stream) {
                spans_.emplace_back(text_.size(), event.size());
                text_ += event;
                text_ += "\r\n\r\n";
            }
        }
        text_.append(simdjson::SIMDJSON_PADDING, ' ');
    }

    [[nodiscard]] std::uint64_t input_bytes() const noexcept
    {
        std::uint64_t n = 0;
        for (const auto& span : spans_) {
            n += span.second;
        }
        return n;
    }

    summary run(bool hash_text = false)
    {
        summary s;
        s.hash_text = hash_text;
        for (const auto& [at, size] : spans_) {
            if (event(text_.data() + at, size, text_.size() - at, s) != simdjson::SUCCESS) {
                throw std::runtime_error("simdjson_bare: bad event");
            }
        }
        return s;
    }

private:
    using value = simdjson::ondemand::value;
    using error_code = simdjson::error_code;

#define BARE_TRY(expr)                                                                           \
    do {                                                                                         \
        if (auto bare_e = (expr); bare_e != simdjson::SUCCESS) return bare_e;                    \
    } while (0)

    template <class T>
    static error_code take(simdjson::simdjson_result<T>& r, T& out) noexcept
    {
        return std::move(r).get(out);
    }

    error_code event(const char* json, std::size_t size, std::size_t capacity, summary& s) noexcept
    {
        simdjson::ondemand::document doc;
        BARE_TRY(parser_.iterate(json, size, capacity).get(doc));
        simdjson::ondemand::object object;
        BARE_TRY(doc.get_object().get(object));
        ++s.events;
        for (auto fr : object) {
            simdjson::ondemand::field f;
            BARE_TRY(take(fr, f));
            const auto key = f.key();
            if (key == "candidates") {
                simdjson::ondemand::array candidates;
                BARE_TRY(f.value().get_array().get(candidates));
                bool first = true;
                for (auto cr : candidates) {
                    value c;
                    BARE_TRY(take(cr, c));
                    BARE_TRY(candidate(c, first, s));
                    first = false;
                }
            }
            else if (key == "usageMetadata") {
                simdjson::ondemand::object usage;
                BARE_TRY(f.value().get_object().get(usage));
                for (auto ur : usage) {
                    simdjson::ondemand::field u;
                    BARE_TRY(take(ur, u));
                    const auto k = u.key();
                    std::int64_t n = 0;
                    if (k == "promptTokenCount" || k == "candidatesTokenCount" || k == "thoughtsTokenCount" ||
                        k == "cachedContentTokenCount" || k == "toolUsePromptTokenCount") {
                        BARE_TRY(u.value().get_int64().get(n));
                        s.sink += static_cast<std::uint64_t>(n);
                    }
                    else if (k == "totalTokenCount") {
                        BARE_TRY(u.value().get_int64().get(n));
                        s.usage_total += n;
                    }
                }
            }
            else if (key == "modelVersion" || key == "responseId") {
                std::string_view v;
                BARE_TRY(f.value().get_string().get(v));
                s.sink += v.size();
                if (key == "modelVersion") {
                    s.model_version_bytes += v.size();
                }
            }
        }
        return simdjson::SUCCESS;
    }

    error_code candidate(value v, bool first, summary& s) noexcept
    {
        simdjson::ondemand::object object;
        BARE_TRY(v.get_object().get(object));
        summary ignored;
        summary& out = first ? s : ignored;
        struct fold {   // what `ignored` gathered still counts as used
            summary& into;
            summary& from;
            ~fold() { into.sink += from.sink + from.text_bytes + from.safety_ratings; }
        } folded{s, ignored};
        for (auto fr : object) {
            simdjson::ondemand::field f;
            BARE_TRY(take(fr, f));
            const auto key = f.key();
            if (key == "content") {
                simdjson::ondemand::object content;
                BARE_TRY(f.value().get_object().get(content));
                for (auto cr : content) {
                    simdjson::ondemand::field cf;
                    BARE_TRY(take(cr, cf));
                    if (cf.key() == "role") {
                        std::string_view role;
                        BARE_TRY(cf.value().get_string().get(role));
                        out.sink += role.size();
                    }
                    else if (cf.key() == "parts") {
                        simdjson::ondemand::array parts;
                        BARE_TRY(cf.value().get_array().get(parts));
                        for (auto pr : parts) {
                            value p;
                            BARE_TRY(take(pr, p));
                            BARE_TRY(part(p, out));
                        }
                    }
                }
            }
            else if (key == "finishReason" || key == "finishMessage") {
                std::string_view reason;
                BARE_TRY(f.value().get_string().get(reason));
                out.sink += reason.size();
                out.finish_reasons += key == "finishReason";
            }
            else if (key == "index") {
                std::int64_t index = 0;
                BARE_TRY(f.value().get_int64().get(index));
                out.sink += static_cast<std::uint64_t>(index);
            }
            else if (key == "safetyRatings") {
                simdjson::ondemand::array ratings;
                BARE_TRY(f.value().get_array().get(ratings));
                for (auto rr : ratings) {
                    simdjson::ondemand::object r;
                    BARE_TRY(rr.get_object().get(r));
                    for (auto rf_result : r) {
                        simdjson::ondemand::field rf;
                        BARE_TRY(take(rf_result, rf));
                        const auto k = rf.key();
                        std::string_view text;
                        double d = 0;
                        bool b = false;
                        if (k == "category" || k == "probability" || k == "severity") {
                            BARE_TRY(rf.value().get_string().get(text));
                        }
                        else if (k == "probabilityScore" || k == "severityScore") {
                            BARE_TRY(rf.value().get_double().get(d));
                        }
                        else if (k == "blocked") {
                            BARE_TRY(rf.value().get_bool().get(b));
                        }
                        out.sink += text.size() + static_cast<std::uint64_t>(d * 1e6) + b;
                    }
                    ++out.safety_ratings;
                }
            }
            else if (key == "citationMetadata") {
                simdjson::ondemand::object meta;
                BARE_TRY(f.value().get_object().get(meta));
                for (auto mr : meta) {
                    simdjson::ondemand::field mf;
                    BARE_TRY(take(mr, mf));
                    if (mf.key() != "citationSources") {
                        continue;
                    }
                    simdjson::ondemand::array sources;
                    BARE_TRY(mf.value().get_array().get(sources));
                    for (auto sr : sources) {
                        simdjson::ondemand::object src;
                        BARE_TRY(sr.get_object().get(src));
                        for (auto sf_result : src) {
                            simdjson::ondemand::field sf;
                            BARE_TRY(take(sf_result, sf));
                            const auto k = sf.key();
                            std::int64_t n = 0;
                            std::string_view text;
                            if (k == "startIndex" || k == "endIndex") {
                                BARE_TRY(sf.value().get_int64().get(n));
                            }
                            else if (k == "uri" || k == "title" || k == "license") {
                                BARE_TRY(sf.value().get_string().get(text));
                            }
                            out.sink += static_cast<std::uint64_t>(n) + text.size();
                        }
                        ++out.citations;
                    }
                }
            }
            else if (key == "groundingMetadata" || key == "urlContextMetadata") {
                simdjson::ondemand::object meta;
                std::string_view raw;
                BARE_TRY(f.value().get_object().get(meta));
                BARE_TRY(meta.raw_json().get(raw));
                out.sink += raw.size();
            }
        }
        return simdjson::SUCCESS;
    }

    error_code part(value v, summary& s) noexcept
    {
        simdjson::ondemand::object object;
        BARE_TRY(v.get_object().get(object));
        std::string_view text;
        bool thought = false;
        for (auto fr : object) {
            simdjson::ondemand::field f;
            BARE_TRY(take(fr, f));
            const auto key = f.key();
            if (key == "text") {
                BARE_TRY(f.value().get_string().get(text));
            }
            else if (key == "thought") {
                BARE_TRY(f.value().get_bool().get(thought));
            }
            else if (key == "thoughtSignature") {
                std::string_view sig;
                BARE_TRY(f.value().get_string().get(sig));
                s.signature_bytes += sig.size();
            }
            else if (key == "functionCall") {
                simdjson::ondemand::object call;
                BARE_TRY(f.value().get_object().get(call));
                for (auto cr : call) {
                    simdjson::ondemand::field cf;
                    BARE_TRY(take(cr, cf));
                    std::string_view name;
                    if (cf.key() == "name" || cf.key() == "id") {
                        BARE_TRY(cf.value().get_string().get(name));
                    }
                    else if (cf.key() == "args") {
                        simdjson::ondemand::object args;
                        BARE_TRY(cf.value().get_object().get(args));
                        BARE_TRY(args.raw_json().get(name));
                    }
                    s.sink += name.size();
                }
                ++s.function_calls;
            }
            else if (key == "executableCode" || key == "codeExecutionResult" || key == "inlineData") {
                simdjson::ondemand::object inner;
                BARE_TRY(f.value().get_object().get(inner));
                for (auto ir : inner) {
                    simdjson::ondemand::field inf;
                    BARE_TRY(take(ir, inf));
                    std::string_view field_text;
                    BARE_TRY(inf.value().get_string().get(field_text));
                    s.sink += field_text.size();
                }
            }
        }
        if (thought) {
            s.thought_bytes += text.size();
        }
        else if (!text.empty()) {
            s.add_text(text);
        }
        return simdjson::SUCCESS;
    }

#undef BARE_TRY

    simdjson::ondemand::parser parser_;
    std::string text_;
    std::vector<std::pair<std::size_t, std::size_t>> spans_;
};

} // namespace bench::stream_decode

#endif
