// bench/harness/impl/report_svg.hpp: the SVG writers of report.hpp. Plain SVG 1.1 with inline
// attributes only (no CSS, no script), so any browser or image viewer shows it as written.
#ifndef LLMIO_BENCH_HARNESS_IMPL_REPORT_SVG_HPP
#define LLMIO_BENCH_HARNESS_IMPL_REPORT_SVG_HPP

#include <algorithm>
#include <cmath>
#include <string>
#include <string_view>
#include <vector>

namespace llmio::bench {
namespace detail {

[[nodiscard]] inline std::string xml_text(std::string_view s)
{
    std::string out;
    for (const char c : s) {
        switch (c) {
        case '&': out += "&amp;"; break;
        case '<': out += "&lt;"; break;
        case '>': out += "&gt;"; break;
        case '"': out += "&quot;"; break;
        default: out += c;
        }
    }
    return out;
}

struct point {
    double x = 0;
    double y = 0;
    std::string note{};   // the marker's tooltip
};

struct series {
    std::string name{};
    std::string color{};
    std::vector<point> points{};
};

/// A plot area and the value ranges mapped onto it (y grows upwards in value, downwards in SVG).
struct frame {
    double left = 0, top = 0, width = 0, height = 0;
    double x0 = 0, x1 = 1, y0 = 0, y1 = 1;
    bool log_x = false;

    [[nodiscard]] double sx(double v) const
    {
        if (log_x)
            return left + (std::log10(std::max(v, x0)) - std::log10(x0)) / (std::log10(x1) - std::log10(x0)) * width;
        return left + (v - x0) / (x1 - x0) * width;
    }
    [[nodiscard]] double sy(double v) const { return top + height - (v - y0) / (y1 - y0) * height; }
};

/// A "nice" tick step (1, 2 or 5 times a power of ten) giving about `ticks` intervals.
[[nodiscard]] inline double nice_step(double span, int ticks)
{
    const double raw = span / ticks;
    const double magnitude = std::pow(10.0, std::floor(std::log10(raw)));
    for (const double m : {1.0, 2.0, 5.0})
        if (raw <= m * magnitude)
            return m * magnitude;
    return 10 * magnitude;
}

/// A linear axis from 0 to a nice value at or above `max`.
inline void linear_range(double max, double& hi, double& step)
{
    if (!(max > 0))
        max = 1;
    step = nice_step(max, 5);
    hi = std::ceil(max / step * (1 - 1e-12)) * step;
}

/// Digits after the point that a tick step of 1, 2 or 5 times 10^k needs.
[[nodiscard]] inline int step_decimals(double step)
{
    return std::max(0, -static_cast<int>(std::floor(std::log10(step) + 1e-9)));
}

inline void svg_text(std::ostream& out, double x, double y, std::string_view text, std::string_view anchor,
                     int size = 12, std::string_view extra = {})
{
    out << "<text x=\"" << fixed(x, 1) << "\" y=\"" << fixed(y, 1) << "\" font-family=\"sans-serif\" font-size=\""
        << size << "\" text-anchor=\"" << anchor << '"' << extra << '>' << xml_text(text) << "</text>\n";
}

inline void svg_line(std::ostream& out, double x1, double y1, double x2, double y2, std::string_view stroke,
                     std::string_view extra = {})
{
    out << "<line x1=\"" << fixed(x1, 1) << "\" y1=\"" << fixed(y1, 1) << "\" x2=\"" << fixed(x2, 1) << "\" y2=\""
        << fixed(y2, 1) << "\" stroke=\"" << stroke << '"' << extra << "/>\n";
}

/// Axes, grid, tick labels and axis titles of a frame. Linear axes get ticks every `x_step` /
/// `y_step`; a log x axis gets one per decade. `y_percent` labels y as percent of 1.
inline void svg_axes(std::ostream& out, const frame& f, double x_step, double y_step, std::string_view x_title,
                     std::string_view y_title, bool y_percent = false)
{
    const double bottom = f.top + f.height;
    const auto x_tick = [&](double v, const std::string& label) {
        const double x = f.sx(v);
        svg_line(out, x, f.top, x, bottom, "#e0e0e0");
        svg_line(out, x, bottom, x, bottom + 5, "#000");
        svg_text(out, x, bottom + 18, label, "middle");
    };
    // Ticks from their index, not a running sum, so labels do not drift (0.30000000000000004).
    if (f.log_x) {
        const int k0 = static_cast<int>(std::lround(std::log10(f.x0)));
        const int k1 = static_cast<int>(std::lround(std::log10(f.x1)));
        for (int k = k0; k <= k1; ++k)
            x_tick(std::pow(10.0, k), fixed(std::pow(10.0, k), std::max(0, -k)));
    } else {
        const auto n = std::lround((f.x1 - f.x0) / x_step);
        for (long i = 0; i <= n; ++i) {
            const double v = f.x0 + static_cast<double>(i) * x_step;
            x_tick(v, fixed(v, step_decimals(x_step)));
        }
    }
    const auto n = std::lround((f.y1 - f.y0) / y_step);
    for (long i = 0; i <= n; ++i) {
        const double v = f.y0 + static_cast<double>(i) * y_step;
        const double y = f.sy(v);
        svg_line(out, f.left, y, f.left + f.width, y, "#e0e0e0");
        svg_line(out, f.left - 5, y, f.left, y, "#000");
        const std::string label =
            y_percent ? fixed(v * 100, step_decimals(y_step * 100)) + "%" : fixed(v, step_decimals(y_step));
        svg_text(out, f.left - 8, y + 4, label, "end");
    }
    svg_line(out, f.left, bottom, f.left + f.width, bottom, "#000");
    svg_line(out, f.left, f.top, f.left, bottom, "#000");
    svg_text(out, f.left + f.width / 2, bottom + 38, x_title, "middle");
    const double yt = f.top + f.height / 2, xt = f.left - 52;
    svg_text(out, xt, yt, y_title, "middle", 12,
             " transform=\"rotate(-90 " + fixed(xt, 1) + ' ' + fixed(yt, 1) + ")\"");
}

/// One polyline (class "series", data-series = name) and a circle marker per point.
inline void svg_series(std::ostream& out, const frame& f, const series& s, bool markers)
{
    out << "<polyline class=\"series\" data-series=\"" << xml_text(s.name) << "\" fill=\"none\" stroke=\""
        << s.color << "\" stroke-width=\"2\" points=\"";
    for (std::size_t i = 0; i < s.points.size(); ++i)
        out << (i ? " " : "") << fixed(f.sx(s.points[i].x), 2) << ',' << fixed(f.sy(s.points[i].y), 2);
    out << "\"/>\n";
    if (!markers)
        return;
    for (const point& p : s.points)
        out << "<circle cx=\"" << fixed(f.sx(p.x), 2) << "\" cy=\"" << fixed(f.sy(p.y), 2) << "\" r=\"3.5\" fill=\""
            << s.color << "\"><title>" << xml_text(p.note) << "</title></circle>\n";
}

inline void svg_legend(std::ostream& out, double x, double y, const std::vector<series>& all)
{
    for (const series& s : all) {
        svg_line(out, x, y, x + 24, y, s.color, " stroke-width=\"3\"");
        svg_text(out, x + 30, y + 4, s.name, "start");
        x += 40 + 8 * static_cast<double>(s.name.size());
    }
}

inline void svg_begin(std::ostream& out, int width, int height, std::string_view title)
{
    out << "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" << width
        << "\" height=\"" << height << "\" viewBox=\"0 0 " << width << ' ' << height << "\">\n<title>"
        << xml_text(title) << "</title>\n<rect width=\"100%\" height=\"100%\" fill=\"#fff\"/>\n";
    svg_text(out, width / 2.0, 26, title, "middle", 16, " font-weight=\"bold\"");
}

} // namespace detail

inline void write_sweep_svg(std::ostream& out, std::span<const run_report> runs, std::string_view title, sweep_axis x)
{
    using detail::series;
    constexpr std::array<double, 3> ps{50, 90, 99};
    constexpr std::array<std::string_view, 3> p_names{"p50", "p90", "p99"};
    constexpr std::array<std::string_view, 3> colors{"#1f77b4", "#ff7f0e", "#d62728"};
    const std::array<const histogram& (metrics::*)() const noexcept, 2> panels{&metrics::ttft, &metrics::e2e};
    const std::array<std::string_view, 2> panel_names{"TTFT", "e2e"};
    const std::string x_title =
        x == sweep_axis::requests_per_s ? "throughput (requests/s)" : "throughput (output tokens/s)";

    // Series per panel, in sweep order; a run without samples for a metric adds no point.
    std::array<std::vector<series>, 2> data;
    double x_max = 0;
    for (std::size_t panel = 0; panel < 2; ++panel)
        for (std::size_t k = 0; k < ps.size(); ++k) {
            series s{std::string(panel_names[panel]) + " " + std::string(p_names[k]), std::string(colors[k]), {}};
            for (const run_report& run : runs) {
                if (run.result == nullptr || (run.result->*panels[panel])().empty())
                    continue;
                const histogram& h = (run.result->*panels[panel])();
                const double tx = x == sweep_axis::requests_per_s ? run.result->requests_per_s()
                                                                  : run.result->output_tokens_per_s();
                const double ty = static_cast<double>(h.value_at_percentile(ps[k])) / 1e6;
                const std::string note = run.label + ": " + detail::fixed(tx, 2) + ", " + detail::fixed(ty, 3) + " ms";
                s.points.push_back({tx, ty, note});
                x_max = std::max(x_max, tx);
            }
            data[panel].push_back(std::move(s));
        }

    constexpr int width = 1000, height = 470;
    detail::svg_begin(out, width, height, title);
    double x_hi = 0, x_step = 0;
    detail::linear_range(x_max, x_hi, x_step);
    for (std::size_t panel = 0; panel < 2; ++panel) {
        double y_max = 0;
        for (const series& s : data[panel])
            for (const detail::point& p : s.points)
                y_max = std::max(y_max, p.y);
        detail::frame f{.left = 90.0 + 480.0 * static_cast<double>(panel), .top = 60, .width = 380, .height = 300,
                        .x0 = 0, .x1 = 1, .y0 = 0, .y1 = 1, .log_x = false};
        double y_step = 0;
        detail::linear_range(y_max, f.y1, y_step);
        f.x1 = x_hi;
        detail::svg_text(out, f.left + f.width / 2, f.top - 10,
                         panel == 0 ? "time to first token" : "end-to-end latency", "middle", 13);
        detail::svg_axes(out, f, x_step, y_step, x_title, std::string(panel_names[panel]) + " (ms)");
        for (const series& s : data[panel])
            detail::svg_series(out, f, s, true);
    }
    std::vector<series> legend;
    for (std::size_t k = 0; k < ps.size(); ++k)
        legend.push_back({std::string(p_names[k]), std::string(colors[k]), {}});
    detail::svg_legend(out, 90, height - 40, legend);
    // Tooltips name each marker's run; a viewer without them still gets the order.
    std::string order = "points in sweep order:";
    for (std::size_t i = 0; i < runs.size() && i < 12; ++i)
        order += (i ? ", " : " ") + (runs[i].label.empty() ? "run " + std::to_string(i + 1) : runs[i].label);
    if (runs.size() > 12)
        order += ", ... (" + std::to_string(runs.size()) + " runs)";
    detail::svg_text(out, 90, height - 14, order, "start", 11, " fill=\"#555\"");
    if (x_max == 0)
        detail::svg_text(out, width / 2.0, height / 2.0, "no data", "middle", 14);
    out << "</svg>\n";
}

inline void write_cdf_svg(std::ostream& out, const run_report& run, std::string_view title)
{
    using detail::series;
    std::vector<series> data{{"TTFT", "#1f77b4", {}}, {"ITL", "#2ca02c", {}}, {"e2e", "#d62728", {}}};
    const std::array<const histogram& (metrics::*)() const noexcept, 3> sources{&metrics::ttft, &metrics::itl,
                                                                                &metrics::e2e};
    double lo = 0, hi = 0;
    for (std::size_t i = 0; i < data.size() && run.result != nullptr; ++i) {
        const histogram& h = (run.result->*sources[i])();
        std::uint64_t seen = 0;
        h.for_each_bucket([&](const histogram::bucket& b) {
            seen += b.count;
            const double ms = static_cast<double>(std::max<std::uint64_t>(b.highest, 1)) / 1e6;
            const double frac = static_cast<double>(seen) / static_cast<double>(h.count());
            data[i].points.push_back({ms, frac, data[i].name + ": " + detail::fixed(frac * 100, 2) + "% <= "
                                                    + detail::number(ms) + " ms"});
            lo = lo == 0 ? ms : std::min(lo, ms);
            hi = std::max(hi, ms);
        });
    }
    constexpr int width = 820, height = 470;
    detail::svg_begin(out, width, height, title);
    // Whole decades around the data, at least one.
    const double x0 = lo > 0 ? std::pow(10.0, std::floor(std::log10(lo))) : 0.001;
    double x1 = hi > 0 ? std::pow(10.0, std::ceil(std::log10(hi))) : 1.0;
    if (x1 <= x0)
        x1 = x0 * 10;
    const detail::frame f{.left = 90, .top = 60, .width = 680, .height = 300, .x0 = x0, .x1 = x1, .y0 = 0, .y1 = 1,
                          .log_x = true};
    detail::svg_axes(out, f, 0, 0.25, "latency (ms, log scale)", "fraction of samples at or below", true);
    for (const series& s : data)
        detail::svg_series(out, f, s, false);
    detail::svg_legend(out, 90, height - 40, data);
    if (hi == 0)
        detail::svg_text(out, width / 2.0, height / 2.0, "no data", "middle", 14);
    out << "</svg>\n";
}

} // namespace llmio::bench

#endif
