// bench/harness/impl/report_text.hpp: the table, JSON and CSV writers of report.hpp.
#ifndef LLMIO_BENCH_HARNESS_IMPL_REPORT_TEXT_HPP
#define LLMIO_BENCH_HARNESS_IMPL_REPORT_TEXT_HPP

#include <string>
#include <string_view>
#include <utility>

namespace llmio::bench {
namespace detail {

[[nodiscard]] inline std::string json_string(std::string_view s)
{
    std::string out = "\"";
    for (const char c : s) {
        switch (c) {
        case '"': out += "\\\""; break;
        case '\\': out += "\\\\"; break;
        case '\n': out += "\\n"; break;
        case '\r': out += "\\r"; break;
        case '\t': out += "\\t"; break;
        default:
            if (static_cast<unsigned char>(c) < 0x20) {
                constexpr std::string_view hex = "0123456789abcdef";
                out += "\\u00";
                out += hex[static_cast<unsigned char>(c) >> 4];
                out += hex[static_cast<unsigned char>(c) & 0xf];
            } else {
                out += c;
            }
        }
    }
    return out += '"';
}

[[nodiscard]] inline std::string csv_field(std::string_view s)
{
    if (s.find_first_of(",\"\r\n") == std::string_view::npos)
        return std::string(s);
    std::string out = "\"";
    for (const char c : s) {
        if (c == '"')
            out += '"';
        out += c;
    }
    return out += '"';
}

[[nodiscard]] inline std::string pad_left(std::string s, std::size_t width)
{
    return s.size() >= width ? s : std::string(width - s.size(), ' ') + s;
}

[[nodiscard]] inline std::string pad_right(std::string s, std::size_t width)
{
    return s.size() >= width ? s : s + std::string(width - s.size(), ' ');
}

inline void json_histogram(std::ostream& out, const histogram& h, const metric_info& m)
{
    out << '{' << json_string("unit") << ':' << json_string(m.time ? "ms" : "tokens");
    if (!h.empty()) {
        out << ",\"avg\":" << number(in_unit(h.mean(), m.time));
        for (const percentile_info& p : percentile_list)
            out << ",\"" << p.key << "\":"
                << number(in_unit(static_cast<double>(h.value_at_percentile(p.p)), m.time));
        out << ",\"min\":" << number(in_unit(static_cast<double>(h.min()), m.time))
            << ",\"max\":" << number(in_unit(static_cast<double>(h.max()), m.time))
            << ",\"std\":" << number(in_unit(h.stddev(), m.time));
    }
    out << ",\"count\":" << h.count() << ",\"overflow\":" << h.overflow_count()
        << ",\"definition\":" << json_string(m.definition) << '}';
}

inline void json_rate(std::ostream& out, std::string_view name, std::string_view unit, double v)
{
    out << ',' << json_string(name) << ":{\"unit\":" << json_string(unit) << ",\"avg\":" << number(v) << '}';
}

[[nodiscard]] inline std::string limit_ms(std::chrono::nanoseconds d)
{
    return d.count() > 0 ? number(static_cast<double>(d.count()) / 1e6) : "null";
}

inline void json_run(std::ostream& out, const run_report& run)
{
    out << "{\"label\":" << json_string(run.label) << ",\"settings\":{";
    for (std::size_t i = 0; i < run.settings.size(); ++i) {
        const setting& s = run.settings[i];
        out << (i ? "," : "") << json_string(s.key) << ':' << (s.number ? s.value : json_string(s.value));
    }
    out << '}';
    if (run.result != nullptr) {
        const metrics& m = *run.result;
        out << ",\"request_count\":{\"unit\":\"count\",\"avg\":" << m.requests() << '}';
        for (const metric_info& info : metric_list) {
            out << ',' << json_string(info.json) << ':';
            json_histogram(out, (m.*info.get)(), info);
        }
        json_rate(out, "request_throughput", "requests/sec", m.requests_per_s());
        json_rate(out, "output_token_throughput", "tokens/sec", m.output_tokens_per_s());
        json_rate(out, "request_goodput", "requests/sec", m.goodput_per_s());
        const goodput_limits& l = m.options().limits;
        out << ",\"goodput\":{\"requests\":" << m.good_requests() << ",\"limits_ms\":{\"time_to_first_token\":"
            << limit_ms(l.ttft) << ",\"time_per_output_token\":" << limit_ms(l.tpot)
            << ",\"request_latency\":" << limit_ms(l.e2e) << "}}";
        out << ",\"errors\":{\"total\":" << m.failed() << ",\"by_kind\":{";
        bool first = true;
        for (const error_count& e : m.errors()) {
            out << (first ? "" : ",") << json_string(e.kind) << ':' << e.count;
            first = false;
        }
        out << "}},\"retries\":" << m.retries() << ",\"succeeded\":" << m.succeeded()
            << ",\"output_tokens_total\":" << m.total_output_tokens()
            << ",\"measured_seconds\":" << number(m.measured_seconds())
            << ",\"warmup_excluded\":" << m.warmup_excluded();
    }
    const bool measured = run.client_cpu_percent >= 0;
    out << ",\"client_cpu_percent\":" << (measured ? number(run.client_cpu_percent) : "null")
        << ",\"client_cpu_warning\":"
        << (measured && cpu_warning(run.client_cpu_percent, run.client_threads) ? "true" : "false") << '}';
}

} // namespace detail

inline void write_json(std::ostream& out, const run_report& run)
{
    detail::json_run(out, run);
    out << '\n';
}

inline void write_json(std::ostream& out, std::span<const run_report> runs)
{
    out << "{\"runs\":[";
    for (std::size_t i = 0; i < runs.size(); ++i) {
        out << (i ? ",\n" : "\n");
        detail::json_run(out, runs[i]);
    }
    out << "\n]}\n";
}

inline void write_table(std::ostream& out, const run_report& run)
{
    using detail::fixed;
    constexpr std::size_t name_w = 24, num_w = 11;
    if (!run.label.empty())
        out << run.label << '\n';
    std::string head = detail::pad_right("metric", name_w);
    for (const auto& p : detail::percentile_list)
        head += detail::pad_left(std::string(p.table), num_w);
    head += detail::pad_left("mean", num_w) + detail::pad_left("max", num_w) + detail::pad_left("n", num_w);
    out << head << '\n';
    if (run.result == nullptr) {
        out << "(no measurements)\n";
        return;
    }
    const metrics& m = *run.result;
    std::string overflow_notes;
    for (const detail::metric_info& info : detail::metric_list) {
        const histogram& h = (m.*info.get)();
        if (&h == &m.dispatch_delay() && h.empty() && h.overflow_count() == 0)
            continue;   // closed loop: there is no schedule to be late for
        const int decimals = info.time ? 3 : 1;
        std::string line = detail::pad_right(std::string(info.table), name_w);
        const auto cell = [&](double v) {
            line += detail::pad_left(h.empty() ? "-" : fixed(detail::in_unit(v, info.time), decimals), num_w);
        };
        for (const auto& p : detail::percentile_list)
            cell(static_cast<double>(h.value_at_percentile(p.p)));
        cell(h.mean());
        cell(static_cast<double>(h.max()));
        line += detail::pad_left(std::to_string(h.count()), num_w);
        out << line << '\n';
        if (h.overflow_count() > 0)
            overflow_notes += "  " + std::string(info.table) + ": " + std::to_string(h.overflow_count())
                + " values above the histogram's range, not in the row above\n";
    }
    out << overflow_notes << '\n';

    out << detail::pad_right("requests", 16) << m.succeeded() << " ok, " << m.failed() << " failed, " << m.retries()
        << " retries, " << m.warmup_excluded() << " warm-up excluded, over " << fixed(m.measured_seconds(), 3)
        << " s\n";
    out << detail::pad_right("throughput", 16) << fixed(m.requests_per_s(), 2) << " requests/s, "
        << fixed(m.output_tokens_per_s(), 1) << " output tokens/s\n";
    const goodput_limits& l = m.options().limits;
    out << detail::pad_right("goodput", 16) << fixed(m.goodput_per_s(), 2) << " requests/s";
    if (l.any()) {
        out << " (" << m.good_requests() << " requests within";
        std::string_view separator = " ";
        const auto limit = [&](std::string_view name, std::chrono::nanoseconds d) {
            if (d.count() > 0)
                out << std::exchange(separator, ", ") << name << " <= "
                    << detail::number(static_cast<double>(d.count()) / 1e6) << " ms";
        };
        limit("TTFT", l.ttft);
        limit("TPOT", l.tpot);
        limit("e2e", l.e2e);
        out << ")\n";
    } else {
        out << " (no limits given: every successful request counts)\n";
    }
    out << detail::pad_right("errors", 16);
    if (m.errors().empty())
        out << "none";
    for (std::size_t i = 0; i < m.errors().size(); ++i)
        out << (i ? ", " : "") << m.errors()[i].kind << ' ' << m.errors()[i].count;
    out << '\n' << detail::pad_right("client CPU", 16);
    if (run.client_cpu_percent < 0) {
        out << "not measured\n";
    } else {
        out << fixed(run.client_cpu_percent, 1) << "% (100% = one core)";
        if (cpu_warning(run.client_cpu_percent, run.client_threads))
            out << "  WARNING: " << cpu_warning_text;
        out << '\n';
    }
}

inline void write_csv(std::ostream& out, std::span<const run_report> runs)
{
    std::vector<std::string> keys;
    if (!runs.empty())
        for (const setting& s : runs.front().settings)
            keys.push_back(s.key);
    out << "label";
    for (const std::string& k : keys)
        out << ',' << detail::csv_field(k);
    out << ",requests,succeeded,failed,retries,measured_s,request_throughput,output_token_throughput,request_goodput";
    for (const detail::metric_info& info : detail::metric_list) {
        const std::string unit = info.time ? "_ms" : "";
        for (const auto& p : detail::percentile_list)
            out << ',' << info.csv << '_' << p.key << unit;
        out << ',' << info.csv << "_avg" << unit << ',' << info.csv << "_max" << unit << ',' << info.csv << "_count";
    }
    out << ",client_cpu_percent\n";

    for (const run_report& run : runs) {
        out << detail::csv_field(run.label);
        for (const std::string& k : keys) {
            out << ',';
            for (const setting& s : run.settings)
                if (s.key == k) {
                    out << detail::csv_field(s.value);
                    break;
                }
        }
        const metrics* m = run.result;
        const auto num = [&](double v) { out << ',' << (m ? detail::number(v) : ""); };
        const auto count = [&](std::uint64_t v) { out << ',' << (m ? std::to_string(v) : ""); };
        count(m ? m->requests() : 0);
        count(m ? m->succeeded() : 0);
        count(m ? m->failed() : 0);
        count(m ? m->retries() : 0);
        num(m ? m->measured_seconds() : 0);
        num(m ? m->requests_per_s() : 0);
        num(m ? m->output_tokens_per_s() : 0);
        num(m ? m->goodput_per_s() : 0);
        for (const detail::metric_info& info : detail::metric_list) {
            const histogram* h = m ? &(m->*info.get)() : nullptr;
            const auto stat = [&](double v) {
                out << ',' << (h && !h->empty() ? detail::number(detail::in_unit(v, info.time)) : "");
            };
            for (const auto& p : detail::percentile_list)
                stat(h ? static_cast<double>(h->value_at_percentile(p.p)) : 0);
            stat(h ? h->mean() : 0);
            stat(h ? static_cast<double>(h->max()) : 0);
            count(h ? h->count() : 0);
        }
        out << ',' << (run.client_cpu_percent >= 0 ? detail::number(run.client_cpu_percent) : "") << '\n';
    }
}

} // namespace llmio::bench

#endif
