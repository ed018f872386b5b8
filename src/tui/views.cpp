#include "tui/views.hpp"

#include "core/base/format.hpp"
#include "core/base/time.hpp"
#include "tui/map.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstring>

namespace ebap::tui {
namespace {

Role role_of(Health h) {
    switch (h) {
    case Health::Up:
        return Role::ok;
    case Health::Degraded:
        return Role::warn;
    case Health::Down:
        return Role::crit;
    case Health::Unknown:
        break;
    }
    return Role::muted;
}

const char* glyph_of(Health h, const Glyphs& g) {
    switch (h) {
    case Health::Up:
        return g.ok();
    case Health::Degraded:
        return g.warn();
    case Health::Down:
        return g.crit();
    case Health::Unknown:
        break;
    }
    return g.unknown();
}

const char* short_word(Health h) {
    switch (h) {
    case Health::Up:
        return "UP";
    case Health::Degraded:
        return "DEGR";
    case Health::Down:
        return "DOWN";
    case Health::Unknown:
        break;
    }
    return "?";
}

int severity(Health h) { return h == Health::Down ? 0 : h == Health::Degraded ? 1 : h == Health::Unknown ? 2 : 3; }

Role role_of(LagStatus s) {
    switch (s) {
    case LagStatus::Ok:
        return Role::ok;
    case LagStatus::Warn:
    case LagStatus::Rewind:
    case LagStatus::Stall:
        return Role::warn;
    case LagStatus::Stop:
    case LagStatus::Err:
        return Role::crit;
    }
    return Role::muted;
}

Role role_of_region(const std::string& h) {
    return h == "ok" ? Role::ok : h == "warn" ? Role::warn : h == "crit" ? Role::crit : Role::muted;
}
std::optional<double> RegionHealth::*region_sort_field(int column) {
    switch (column) {
    case 2:
        return &RegionHealth::events_1m;
    case 3:
        return &RegionHealth::active_users_1m;
    case 4:
        return &RegionHealth::revenue_1m;
    case 5:
        return &RegionHealth::error_rate;
    default:
        return &RegionHealth::p95_latency_ms;
    }
}
int region_rank(const std::string& h) { return h == "crit" ? 0 : h == "warn" ? 1 : h == "unknown" ? 2 : 3; }

std::string age_text(std::int64_t ms) {
    if (ms < 0) return "-";
    const std::int64_t s = ms / 1000;
    if (s < 60) return fmt::format("{}s", s);
    if (s < 3600) return fmt::format("{}m", s / 60);
    if (s < 86400) return fmt::format("{}h", s / 3600);
    return fmt::format("{}d", s / 86400);
}

std::vector<const collect::ServiceHealth*> services_worst_first(const Model& m) {
    std::vector<const collect::ServiceHealth*> v;
    if (!m.health) return v;
    for (const auto& s : m.health->data.services)
        v.push_back(&s);
    // Worst first among the required services; optional ones (expected to be absent
    // at times) after them, worst first too.
    std::stable_sort(v.begin(), v.end(), [](auto* a, auto* b) {
        if (a->optional != b->optional) return !a->optional;
        return severity(a->result.state) < severity(b->result.state);
    });
    return v;
}

bool matches(const std::string& text, const std::string& filter) {
    if (filter.empty()) return true;
    const bool invert = filter[0] == '!';
    const std::string f = invert ? filter.substr(1) : filter;
    const bool hit = text.find(f) != std::string::npos;
    return invert ? !hit : hit;
}

// ---- header and key line ------------------------------------------------------------

void draw_header(Screen& s, const Model& m, std::int64_t now) {
    const Glyphs& g = s.glyphs();
    s.fill_row(0, 0, s.cols(), Role::selection);
    std::string kafka = m.kafka;
    if (auto comma = kafka.find(','); comma != std::string::npos) {
        const auto more = std::count(kafka.begin(), kafka.end(), ',');
        kafka = kafka.substr(0, comma) + fmt::format(" +{}", more);
    }
    std::string left = fmt::format(" ebapctl {} {} {} kafka {} {} redis {}", g.dot(), printable(m.catalog),
                                   g.dot(), printable(kafka), g.dot(), printable(m.redis));
    std::string right;
    const auto t = utc_iso(now);
    right = t.size() >= 19 ? t.substr(11, 8) + "Z" : t;
    if (auto age = m.oldest_ms(now))
        right += fmt::format(" {} data {} old", g.dot(), fmt_duration_ms(double(*age)));
    else
        right += fmt::format(" {} waiting for data", g.dot());
    if (m.readonly) right += fmt::format(" {} READONLY", g.dot());
    right += " ";
    const int rw = text_width(right);
    s.put(0, 0, left, Role::selection, true, std::max(0, s.cols() - rw - 1));
    s.put(0, std::max(0, s.cols() - rw), right, Role::selection, m.readonly);
}

void draw_keys(Screen& s, const UiState& ui) {
    const int y = s.rows() - 1;
    s.fill_row(y, 0, s.cols(), Role::bg);
    if (!ui.message.empty()) {
        const Role r = ui.message_tone == 3 ? Role::crit : ui.message_tone == 2 ? Role::warn : Role::accent;
        s.put(y, 1, ui.message, r, false, s.cols() - 2);
        return;
    }
    if (!ui.confirm.empty()) {
        s.fill_row(y, 0, s.cols(), Role::selection);
        s.put(y, 1, ui.confirm + "  [y/N]", Role::warn, true, s.cols() - 2);
        return;
    }
    static const char* kViews[] = {"overview", "services", "lag", "kpi", "geo", "workers", "log"};
    int x = 1;
    for (int i = 0; i < kViewCount; ++i) {
        const bool on = static_cast<int>(ui.view) == i;
        s.put(y, x, std::to_string(i + 1), Role::accent, true);
        s.put(y, x + 2, std::string(kViews[i]), on ? Role::title : Role::muted, on);
        x += 4 + int(std::strlen(kViews[i]));
        if (x > s.cols() - 30) break;
    }
    const std::string hints = ": command  / filter  ? help  q quit";
    if (x + text_width(hints) + 2 < s.cols()) s.put(y, s.cols() - text_width(hints) - 1, hints, Role::muted);
}

// ---- services -------------------------------------------------------------------------

// The last probes, newest right: a low bar while UP, half while DEGRADED, full while DOWN,
// so trouble stands out as spikes in its colour.
void draw_history(Screen& s, int y, int x, const collect::ServiceHealth& svc, int width) {
    const Glyphs& g = s.glyphs();
    const std::size_t n = std::min(svc.history.size(), std::size_t(width));
    int cx = x + width - int(n);
    for (std::size_t i = svc.history.size() - n; i < svc.history.size(); ++i, ++cx) {
        const Health h = svc.history[i];
        const char* glyph = h == Health::Up ? (g.utf8 ? "▁" : "_") : h == Health::Degraded ? (g.utf8 ? "▄" : "-")
                          : h == Health::Down ? (g.utf8 ? "█" : "#") : " ";
        s.put(y, cx, glyph, role_of(h), false, 1);
    }
}

void draw_services(Screen& s, const Rect& r, const Model& m, const UiState& ui, std::int64_t now,
                   bool cursor = false) {
    const Glyphs& g = s.glyphs();
    const auto list = services_worst_first(m);
    int up = 0, required = 0, optional_down = 0;
    for (auto* svc : list) {
        required += !svc->optional;
        up += !svc->optional && svc->result.state == Health::Up;
        optional_down += svc->optional && svc->result.state != Health::Up;
    }
    std::string title = list.empty() ? "Services" : fmt::format("Services {}/{} UP {} worst first", up, required, g.dot());
    if (optional_down) title += fmt::format(" {} {} optional not up", g.dot(), optional_down);
    if (m.health && !m.health->error.empty()) title += " " + std::string(g.dot()) + " " + m.health->error;
    s.frame(r, title);
    const Rect in = r.inner();
    if (in.empty()) return;
    if (list.empty()) {
        s.put(in.y, in.x + 1, "probing the catalog's services…", Role::muted);
        return;
    }
    const int cols = in.w >= 150 ? 3 : in.w >= 100 ? 2 : 1;
    const int cw = in.w / cols;
    int nw = 8;
    for (auto* svc : list)
        nw = std::max(nw, text_width(svc->name));
    nw = std::min(nw, 20);
    int i = 0;
    for (auto* svc : list) {
        if (!matches(svc->name, ui.filter)) continue;
        const int row = i / cols, col = i % cols;
        if (row >= in.h) break;
        const int x = in.x + col * cw, y = in.y + row;
        const Role role = role_of(svc->result.state);
        if (cursor && i == ui.selected) s.put(y, x, ">", Role::accent, true);
        s.put(y, x + 1, glyph_of(svc->result.state, g), role);
        s.put(y, x + 3, pad(svc->name, nw, g), Role::fg, true);
        s.put(y, x + 4 + nw, pad(short_word(svc->result.state), 4, g), role, true);
        int rx = x + 9 + nw;
        if (svc->result.state == Health::Up || svc->result.state == Health::Degraded) {
            s.put(y, rx, pad(fmt::format("{:.0f} ms", svc->result.latency_ms), 7, g, true), Role::fg);
            rx += 8;
        }
        const int spark = cw >= 66 ? 10 : 0;
        const int reason_w = x + cw - 6 - (spark ? spark + 1 : 0) - rx;
        if (reason_w > 4) s.put(y, rx, pad(printable(svc->result.detail), reason_w, g), Role::muted);
        s.put(y, x + cw - 5 - (spark ? spark + 1 : 0), pad(age_text(now - svc->since_ms), 4, g, true), Role::muted);
        if (spark) draw_history(s, y, x + cw - spark - 1, *svc, spark);
        ++i;
    }
}

// The services view: the board with a cursor, and the selected service in full below.
void draw_service_detail(Screen& s, const Rect& r, const Model& m, const UiState& ui, std::int64_t now) {
    const Glyphs& g = s.glyphs();
    std::vector<const collect::ServiceHealth*> list;
    for (auto* svc : services_worst_first(m))
        if (matches(svc->name, ui.filter)) list.push_back(svc);
    if (list.empty()) return;
    const auto* svc = list[std::size_t(std::clamp(ui.selected, 0, int(list.size()) - 1))];
    s.frame(r, "Service " + svc->name);
    const Rect in = r.inner();
    if (in.empty()) return;
    int y = in.y;
    auto line = [&](const std::string& label, const std::string& value, Role role = Role::fg) {
        if (y >= in.y + in.h) return;
        s.put(y, in.x + 1, pad(label, 10, g), Role::muted);
        s.put(y, in.x + 12, value, role, false, in.w - 13);
        ++y;
    };
    const auto& res = svc->result;
    line("state", fmt::format("{} {}{}", glyph_of(res.state, g), health_name(res.state),
                              res.state == Health::Down ? "" : fmt::format(", {:.1f} ms", res.latency_ms)),
         role_of(res.state));
    line("since", fmt::format("{} ({} ago)", utc_iso(svc->since_ms), fmt_duration_ms(double(now - svc->since_ms))));
    line("probe", fmt::format("{} {}", svc->probe_kind, printable(svc->endpoint)));
    line("stack", svc->stack + (svc->optional ? " (optional: not counted when down)" : ""));
    // The reason in full, wrapped.
    bool first = true;
    for (const auto& part : wrap(printable(res.detail), in.w - 13, std::max(1, in.y + in.h - 2 - y), g)) {
        line(first ? "detail" : "", part);
        first = false;
    }
    if (y < in.y + in.h) {
        s.put(y, in.x + 1, pad("last " + std::to_string(svc->history.size()), 10, g), Role::muted);
        draw_history(s, y, in.x + 12, *svc, std::min(int(collect::kHealthHistory), in.w - 13));
        ++y;
    }
    if (y < in.y + in.h) s.put(y, in.x + 12, "probed " + age_text(now - res.at_ms) + " ago", Role::muted);
}

// One line: "9/11 UP · ✖ trino refused 3m · ▲ kafka-connect ..."
void draw_service_summary(Screen& s, int y, const Model& m, std::int64_t now) {
    const Glyphs& g = s.glyphs();
    const auto list = services_worst_first(m);
    int up = 0, required = 0;
    for (auto* svc : list) {
        required += !svc->optional;
        up += !svc->optional && svc->result.state == Health::Up;
    }
    int x = 1;
    const std::string head = fmt::format("{}/{} UP", up, required);
    s.put(y, x, head, up == required ? Role::ok : Role::warn, true);
    x += text_width(head) + 1;
    for (auto* svc : list) {
        if (svc->result.state == Health::Up) continue;
        const std::string item = fmt::format("{} {} {} {} {}", g.dot(), glyph_of(svc->result.state, g), svc->name,
                                             short_word(svc->result.state), printable(svc->result.detail));
        const std::string shown = fit(item, std::min(40, s.cols() - x - 1), g) + " " + age_text(now - svc->since_ms);
        if (x + text_width(shown) >= s.cols() - 1) break;
        s.put(y, x, shown, role_of(svc->result.state));
        x += text_width(shown) + 1;
    }
}

// ---- KPIs -----------------------------------------------------------------------------

std::vector<std::optional<double>> series_of(const Model& m, const KpiGauge& gauge) {
    std::vector<std::optional<double>> v;
    if (gauge.key == "eps" && m.kpi && !m.kpi->data.series.empty()) {
        for (const auto& p : m.kpi->data.series)
            v.push_back(p.eps);
        return v;
    }
    if (gauge.key == "active_users_1m" && m.kpi && !m.kpi->data.series.empty()) {
        for (const auto& p : m.kpi->data.series)
            v.push_back(p.active_users);
        return v;
    }
    if (auto it = m.kpi_history.find(gauge.key); it != m.kpi_history.end())
        v.assign(it->second.begin(), it->second.end());
    return v;
}

std::string value_text(const KpiGauge& k, std::optional<double> v) {
    if (!v) return "-";
    if (k.percent) return fmt::format("{:.2f}%", *v * 100);
    return compact(*v);
}

std::string scale_text(const KpiGauge& k, double v) {
    return k.percent ? fmt::format("{:.0f}%", v * 100) : compact(v);
}

Role value_role(const KpiGauge& k, std::optional<double> v) {
    if (!v) return Role::muted;
    if (k.crit && *v >= *k.crit) return Role::crit;
    if (k.warn && *v >= *k.warn) return Role::warn;
    return Role::title;
}

// The configured maximum, raised to the next 1-2-5 step when the data goes past it: a
// pinned needle says less than a scale that grew (the scale is printed under the gauge).
double scale_max(const KpiGauge& k, const std::vector<std::optional<double>>& series,
                 std::optional<double> v) {
    double top = v.value_or(0);
    for (const auto& x : series)
        if (x && std::isfinite(*x)) top = std::max(top, *x);
    if (top <= k.hi || !std::isfinite(top) || top > 1e15) return k.hi;
    double step = std::pow(10.0, std::floor(std::log10(top)));
    for (double f : {1.0, 2.0, 5.0, 10.0})
        if (f * step >= top) return f * step;
    return 10 * step;
}

void draw_gauge_box(Screen& s, const Rect& r, const Model& m, const KpiGauge& given, bool stale) {
    const Glyphs& g = s.glyphs();
    KpiGauge k = given;
    const auto series = series_of(m, given);
    k.hi = scale_max(given, series, m.kpi ? m.kpi->data.now.*(given.member) : std::nullopt);
    s.frame(r, k.title, stale ? Role::muted : Role::title);
    if (stale && r.w > 12) s.put(r.y + r.h - 1, r.x + 2, " no live data ", Role::muted);
    const Rect in = r.inner();
    if (in.h < 3 || in.w < 10) return;
    const std::optional<double> v = m.kpi ? m.kpi->data.now.*(k.member) : std::nullopt;
    const int spark_rows = 1, scale_rows = 1;
    const int gh = std::max(2, in.h - spark_rows - scale_rows);
    const int gw = std::min(in.w - 2, gh * 4);
    const int gx = in.x + (in.w - gw) / 2;
    GaugeSpec spec{v.value_or(0), k.lo, k.hi, k.warn, k.crit};
    if (!spec.warn) spec.warn = k.lo + (k.hi - k.lo) * 0.6;
    if (!spec.crit) spec.crit = k.lo + (k.hi - k.lo) * 0.85;
    s.put_cells(in.y, gx, gauge(spec, gw, gh, g));
    const std::string text = value_text(k, v);
    const Role vr = stale ? Role::muted : value_role(k, v);
    if (gh >= 5 && big_width(text) <= gw * 2 / 3) {
        const auto rows = big_text(text, g);
        const int bx = in.x + (in.w - big_width(text)) / 2;
        for (int i = 0; i < 3; ++i) {
            const std::string& row = rows[std::size_t(i)];
            int col = 0;
            for (std::size_t k = 0; k < row.size();) {
                const std::size_t n = (static_cast<unsigned char>(row[k]) & 0x80) ? 3 : 1;
                if (row[k] != ' ') s.put(in.y + gh - 3 + i, bx + col, row.substr(k, n), vr, false, 1);
                k += n, ++col;
            }
        }
    } else {
        s.put(in.y + gh - 1, in.x + (in.w - text_width(text)) / 2, text, vr, true);
    }
    const std::string lo = scale_text(k, k.lo), hi = scale_text(k, k.hi);
    s.put(in.y + gh, gx, lo, Role::muted);
    s.put(in.y + gh, gx + gw - text_width(hi), hi, Role::muted);
    s.put(in.y + gh + 1, in.x + 1, sparkline(series, in.w - 2, g), Role::graph_start);
}

void draw_kpis(Screen& s, const Rect& r, const Model& m) {
    const bool stale = !m.kpi || m.kpi->data.now.stale;
    const int n = int(m.gauges.size());
    if (n == 0) return;
    const int w = r.w / n;
    for (int i = 0; i < n; ++i) {
        Rect box{r.y, r.x + i * w, r.h, i == n - 1 ? r.w - i * w : w};
        draw_gauge_box(s, box, m, m.gauges[std::size_t(i)], stale);
    }
}

// One line per KPI: title, value, meter, sparkline (80x24).
void draw_kpi_lines(Screen& s, const Rect& r, const Model& m) {
    const Glyphs& g = s.glyphs();
    int y = r.y;
    for (const auto& given : m.gauges) {
        if (y >= r.y + r.h) break;
        KpiGauge k = given;
        const std::optional<double> v = m.kpi ? m.kpi->data.now.*(k.member) : std::nullopt;
        k.hi = scale_max(given, series_of(m, given), v);
        s.put(y, r.x + 1, pad(k.title, 16, g), Role::fg);
        // The exact value (thousands separators), not the gauge's short form.
        const std::string exact = !v ? "-" : k.percent ? fmt::format("{:.2f}%", *v * 100)
                                         : std::fabs(*v) >= 1e9 ? compact(*v)
                                         : std::floor(*v) == *v ? thousands(*v)
                                                                : fmt::format("{:.1f}", *v);
        s.put(y, r.x + 18, pad(exact, 9, g, true), value_role(k, v), true);
        const int mw = std::max(10, (r.w - 30) / 2);
        const Meter mt = meter(v.value_or(0), k.lo, k.hi, mw, g);
        const Role mr = value_role(k, v) == Role::title ? Role::gauge_low : value_role(k, v);
        // filled and track in their own colours
        std::string filled, track;
        const std::string full = g.utf8 ? "█" : "#", empty = g.utf8 ? "░" : "-";
        for (int i = 0; i < mt.width; ++i)
            (i < mt.filled ? filled : track) += i < mt.filled ? full : empty;
        s.put(y, r.x + 28, filled, mr);
        s.put(y, r.x + 28 + mt.filled, track, Role::muted);
        const int sw = r.w - 30 - mw - 1;
        if (sw > 4) s.put(y, r.x + 29 + mw, sparkline(series_of(m, k), sw, g), Role::graph_start);
        ++y;
    }
}

// One line for the overview: "workers running · 2 threads · 2,001 rec/s · queue 35 · dlq 12".
std::string workers_line(const Model& m, const Glyphs& g) {
    if (!m.workers || m.workers->data.state == "none") return {};
    const auto& d = m.workers->data;
    std::string s = fmt::format("workers {}", d.state);
    if (!d.metrics.threads.empty())
        s += fmt::format(" {} {} threads {} {} rec/s {} queue {} {} late {} {} dlq {}", g.dot(),
                         d.metrics.threads.size(), g.dot(), thousands(d.total.records_per_s), g.dot(),
                         thousands(double(d.total.queue_depth)), g.dot(), thousands(double(d.total.late)),
                         g.dot(), thousands(double(d.total.dlq)));
    if (!d.error.empty()) s += " " + std::string(g.dot()) + " " + d.error;
    return s;
}

// ---- topics and lag -------------------------------------------------------------------

std::string drain_word(const GroupVerdict& v) {
    switch (v.drain) {
    case Drain::None:
        return "-";
    case Drain::Done:
        return "done";
    case Drain::KeepingUp:
        return "current";
    case Drain::Estimate:
        return fmt_duration_ms(v.drain_seconds.value_or(0) * 1000);
    case Drain::Never:
        return "never";
    case Drain::Unknown:
        break;
    }
    return "?";
}

void draw_lag(Screen& s, const Rect& r, const Model& m, const UiState& ui, bool compact_mode) {
    const Glyphs& g = s.glyphs();
    std::string title = "Topics and lag";
    if (m.lag && !m.lag->error.empty()) title += " " + std::string(g.dot()) + " " + m.lag->error;
    if (!compact_mode) s.frame(r, title, m.lag && !m.lag->error.empty() ? Role::crit : Role::title);
    const Rect in = compact_mode ? r : r.inner();
    if (in.empty()) return;
    int y = in.y;
    if (!m.lag || !m.lag->taken_ms) {
        s.put(y, in.x + 1, m.lag && !m.lag->error.empty() ? "Kafka unreachable" : "reading offsets…", Role::muted);
        return;
    }
    const auto& d = m.lag->data;
    const int name_w = std::max(12, std::min(28, in.w / 3));
    if (!compact_mode) {
        s.put(y, in.x + 1, pad("TOPIC", name_w, g) + pad("MSG/S", 10, g, true) + pad("P", 4, g, true) +
                               pad("MESSAGES", 12, g, true),
              Role::muted, true);
        ++y;
        for (const auto& t : d.kafka.topics) {
            if (y >= in.y + in.h - 1 - int(d.groups.size()) * 2) break;
            if (!matches(t.name, ui.filter)) continue;
            auto rate = d.rates.find(t.name);
            const std::string rs = rate == d.rates.end() ? "-" : thousands(rate->second) + "/s";
            s.put(y, in.x + 1, pad(t.name, name_w, g) + pad(rs, 10, g, true) +
                                   pad(std::to_string(t.watermarks.size()), 4, g, true) +
                                   pad(thousands(double(t.messages)), 12, g, true),
                  Role::fg);
            ++y;
        }
        ++y;
    }
    for (const auto& gr : d.groups) {
        if (y >= in.y + in.h) break;
        const auto& v = gr.verdict;
        const Role st = role_of(v.status);
        auto prev = m.prev_group_lag.find(gr.lag.group);
        const char* arrow = trend(double(v.total_lag), prev == m.prev_group_lag.end() ? std::nullopt : prev->second, g);
        // group · status · lag and trend · drain · sparkline, each only where it fits.
        const int gw = std::min(name_w, std::max(8, in.w - 40));
        int x = in.x + 1;
        const int right = in.x + in.w - 1;
        s.put(y, x, pad(gr.lag.group, gw, g), Role::fg, true);
        x += gw + 1;
        s.put(y, x, pad(lag_status_name(v.status), 6, g), st, true, right - x);
        x += 7;
        s.put(y, x, pad("lag " + thousands(double(v.total_lag)), 13, g, true) + " " + arrow, Role::fg, false, right - x);
        x += 16;
        s.put(y, x, pad("drain " + drain_word(v), 15, g), Role::muted, false, std::max(0, right - x));
        x += 16;
        if (right - x > 4) {
            auto hist = m.lag_history.find(gr.lag.group);
            if (hist != m.lag_history.end())
                s.put(y, x, sparkline({hist->second.begin(), hist->second.end()}, right - x, g), st);
        }
        ++y;
        if (!compact_mode && y < in.y + in.h) {
            s.put(y, in.x + 3, fit(printable(v.reason), in.w - 4, g), Role::muted);
            ++y;
        }
    }
    if (d.groups.empty() && y < in.y + in.h) s.put(y++, in.x + 1, "no consumer groups (kafka.groups)", Role::muted);
    if (const std::string w = workers_line(m, g); !w.empty() && y < in.y + in.h)
        s.put(compact_mode ? y : in.y + in.h - 1, in.x + 1, w,
              m.workers->data.state == "failed" ? Role::crit : Role::accent, false, in.w - 2);
}

// ---- regions --------------------------------------------------------------------------

// Absurd values (1e300 from a bad writer) stay inside their column.
std::string num_or_dash(std::optional<double> v) {
    if (!v || !std::isfinite(*v)) return "-";
    if (std::fabs(*v) >= 1e6) return compact(*v);
    return thousands(*v);
}

// The regions the `/` filter keeps: worst first (sort 0), or by the column picked with <
// and > (numbers largest first).
std::vector<const RegionHealth*> regions_in_order(const Model& m, const UiState& ui, int sort) {
    std::vector<const RegionHealth*> rows;
    if (!m.kpi) return rows;
    for (const auto& reg : m.kpi->data.regions)
        if (matches(reg.region, ui.filter)) rows.push_back(&reg);
    std::stable_sort(rows.begin(), rows.end(), [&](auto* a, auto* b) {
        if (sort == 1) return a->region < b->region;
        if (sort >= 2) {
            const auto member = region_sort_field(sort);
            return (a->*member).value_or(-1) > (b->*member).value_or(-1);
        }
        if (region_rank(a->health) != region_rank(b->health)) return region_rank(a->health) < region_rank(b->health);
        return a->events_1m.value_or(0) > b->events_1m.value_or(0);
    });
    return rows;
}

const char* region_glyph(const std::string& health, const Glyphs& g) {
    return health == "ok" ? g.ok() : health == "warn" ? g.warn() : health == "crit" ? g.crit() : g.unknown();
}

void draw_regions(Screen& s, const Rect& r, const Model& m, const UiState& ui, int limit) {
    const Glyphs& g = s.glyphs();
    static const char* kSortNames[] = {"worst first", "by region", "by events/min", "by users",
                                       "by revenue", "by error rate", "by p95"};
    s.frame(r, fmt::format("Regions {} {} {} < > sort", g.dot(), kSortNames[std::clamp(ui.region_sort, 0, 6)], g.dot()));
    const Rect in = r.inner();
    if (in.empty()) return;
    if (!m.kpi || m.kpi->data.regions.empty()) {
        s.put(in.y, in.x + 1, m.kpi && !m.kpi->error.empty() ? "Redis unreachable" : "no regions yet", Role::muted);
        return;
    }
    const auto rows = regions_in_order(m, ui, std::clamp(ui.region_sort, 0, 6));
    int name_w = 6;
    for (auto* reg : rows)
        name_w = std::max(name_w, text_width(printable(reg->region)));
    // The USERS column goes first when the names would not fit beside it.
    const bool users = in.w - 1 >= 47 + std::min(name_w, 12);
    const int fixed = 8 + 8 + (users ? 7 : 0) + 8 + 6 + 7 + 3;
    name_w = std::clamp(name_w, 6, std::max(6, std::min(24, in.w - fixed - 1)));
    s.put(in.y, in.x + 1, pad("REGION", name_w, g) + pad(" HEALTH", 8, g) + pad("EV/MIN", 8, g, true) +
                              (users ? pad("USERS", 7, g, true) : "") + pad("REV", 8, g, true) +
                              pad("ERR%", 6, g, true) + pad("P95", 7, g, true),
          Role::muted, true);
    int y = in.y + 1, shown = 0;
    for (auto* reg : rows) {
        if (y >= in.y + in.h || (limit > 0 && shown >= limit)) break;
        const Role hr = role_of_region(reg->health);
        const char* glyph = region_glyph(reg->health, g);
        auto prev = m.prev_regions.find(reg->region);
        const char* arrow = trend(reg->events_1m, prev == m.prev_regions.end() ? std::nullopt : prev->second.events_1m, g);
        std::string err = "-";
        if (reg->error_rate && std::isfinite(*reg->error_rate))
            err = *reg->error_rate > 1 ? ">100" : fmt::format("{:.2f}", *reg->error_rate * 100);
        s.put(y, in.x + 1, pad(printable(reg->region), name_w, g), Role::fg, true);
        s.put(y, in.x + 2 + name_w, std::string(glyph) + " " + pad(reg->health, 5, g), hr, true);
        s.put(y, in.x + 9 + name_w,
              pad(num_or_dash(reg->events_1m), 8, g, true) +
                  (users ? pad(num_or_dash(reg->active_users_1m), 7, g, true) : "") +
                  pad(num_or_dash(reg->revenue_1m), 8, g, true) + pad(err, 6, g, true) +
                  pad(num_or_dash(reg->p95_latency_ms), 7, g, true) + " " + arrow,
              reg->stale ? Role::muted : Role::fg);
        ++y, ++shown;
    }
}

// ---- geo ------------------------------------------------------------------------------

// The largest map with the projection's proportions inside w x h cells.
std::pair<int, int> map_size(int w, int h) {
    int mh = std::max(0, h);
    while (mh > 0 && map_width_for(mh) > w)
        --mh;
    return {std::min(std::max(0, w), map_width_for(mh)), mh};
}

// The land depends only on the size: drawn once a size (the UI thread is the only caller).
const CellRows& land_cells(int w, int h, const Glyphs& g) {
    static struct {
        int w = -1, h = -1;
        bool utf8 = false;
        CellRows rows;
    } cache;
    if (cache.w != w || cache.h != h || cache.utf8 != g.utf8) cache = {w, h, g.utf8, world_map(w, h, g)};
    return cache.rows;
}

bool on_map(const Model& m, const RegionHealth& reg) {
    const auto it = m.region_coords.find(reg.region);
    return it != m.region_coords.end() && map_cell(it->second.lat, it->second.lon, 1, 1);
}

// The map `mw` x `mh` centred in the frame: each region a marker in its health's colour
// and shape, labelled where there is room (the worst first); the regions it cannot place
// on a line below.
void draw_map(Screen& s, const Rect& r, const Model& m, const std::vector<const RegionHealth*>& worst_first,
              int mw, int mh) {
    const Glyphs& g = s.glyphs();
    std::vector<MapMarker> markers;
    std::vector<const RegionHealth*> marked;
    for (const auto* reg : worst_first) {
        const auto it = m.region_coords.find(reg->region);
        if (it == m.region_coords.end()) continue;
        markers.push_back({it->second.lat, it->second.lon, region_glyph(reg->health, g),
                           role_of_region(reg->health), fit(printable(reg->region), 14, g)});
        marked.push_back(reg);
    }
    CellRows cells = land_cells(mw, mh, g);
    const auto placed = draw_markers(cells, markers);
    std::vector<std::string> off;
    for (const auto* reg : worst_first) {
        const auto at = std::find(marked.begin(), marked.end(), reg);
        if (at == marked.end() || !placed[std::size_t(at - marked.begin())])
            off.push_back(printable(reg->region));
    }
    const std::size_t shown = worst_first.size() - off.size();
    s.frame(r, worst_first.empty() ? "Map"
                                   : fmt::format("Map {} {} of {} regions", g.dot(), shown, worst_first.size()));
    // Where the land comes from, in the bottom border (data/README.md has the rest).
    const std::string source = " land: GSHHG 2.3.7 ";
    const int sw = text_width(source);
    if (r.w > sw + 20) s.put(r.y + r.h - 1, r.x + r.w - 2 - sw, source, Role::muted);
    const Rect in = r.inner();
    s.put_cells(in.y, in.x + (in.w - mw) / 2, cells);
    if (!off.empty() && in.h > mh) {
        std::string line = "not on the map:";
        for (std::size_t i = 0; i < off.size(); ++i)
            line += (i ? ", " : " ") + off[i];
        s.put(in.y + mh, in.x + 1, fit(line, in.w - 2, g), Role::muted);
    }
}

// The regions table and the map: the map below the table, or beside it when that makes
// it larger (a wide, short terminal); only the table when no map of a useful size fits.
void draw_geo(Screen& s, const Rect& body, const Model& m, const UiState& ui) {
    const auto worst_first = regions_in_order(m, ui, 0);
    const int notes = std::any_of(worst_first.begin(), worst_first.end(),
                                  [&](const RegionHealth* reg) { return !on_map(m, *reg); });
    const int map_chrome = 2 + notes; // the frame, and the line of regions not on it
    const int rows = std::max<int>(1, int(worst_first.size())) + 3;
    const int table_h = std::min(rows, std::max(5, body.h - 5 - map_chrome));
    const auto [sw, sh] = map_size(body.w - 2, body.h - table_h - map_chrome);
    int name_w = 6;
    for (const auto* reg : worst_first)
        name_w = std::max(name_w, text_width(printable(reg->region)));
    const int table_w = std::min(name_w, 24) + 50;
    const auto [bw, bh] = map_size(body.w - table_w - 2, body.h - map_chrome);
    const bool beside = bw * bh > sw * sh;
    const int mw = beside ? bw : sw, mh = beside ? bh : sh;
    if (mh < 5 || mw < 24) {
        draw_regions(s, body, m, ui, 0);
        return;
    }
    if (beside) {
        draw_regions(s, Rect{body.y, body.x, body.h, table_w}, m, ui, 0);
        draw_map(s, Rect{body.y, body.x + table_w, mh + map_chrome, body.w - table_w}, m, worst_first, mw, mh);
    } else {
        draw_regions(s, Rect{body.y, body.x, table_h, body.w}, m, ui, 0);
        draw_map(s, Rect{body.y + table_h, body.x, mh + map_chrome, body.w}, m, worst_first, mw, mh);
    }
}

// ---- workers --------------------------------------------------------------------------

void draw_workers(Screen& s, const Rect& r, const Model& m, const UiState& ui) {
    const Glyphs& g = s.glyphs();
    const auto* d = m.workers ? &m.workers->data : nullptr;
    std::string title = "Workers";
    if (d) title += fmt::format(" {} {} {} {}", g.dot(), d->source, g.dot(), d->state);
    s.frame(r, title, d && d->state == "failed" ? Role::crit : Role::title);
    const Rect in = r.inner();
    if (in.empty()) return;
    if (!d || d->state == "none") {
        s.put(in.y, in.x + 1, "no workers run in this console: :worker start N starts N consumer threads", Role::muted);
        return;
    }
    int y = in.y;
    if (!d->error.empty()) s.put(y++, in.x + 1, d->error, Role::crit, true, in.w - 2);
    const auto& threads = d->metrics.threads;
    const int label_w = 22;
    int col_w = 10;
    for (const auto& def : pipeline::thread_metric_defs()) {
        col_w = std::max(col_w, text_width(pipeline::metric_display(def, d->total)) + 2);
        for (const auto& t : threads)
            col_w = std::max(col_w, text_width(pipeline::metric_display(def, t)) + 2);
    }
    col_w = std::min(col_w, std::max(10, (in.w - label_w - 2) / std::max<int>(1, int(threads.size()) + 1)));
    std::string head = pad("METRIC", label_w, g);
    for (const auto& t : threads)
        head += pad(fmt::format("thread {}", t.index), col_w, g, true);
    head += pad("TOTAL", col_w, g, true);
    s.put(y++, in.x + 1, head, Role::muted, true);
    for (const auto& def : pipeline::thread_metric_defs()) {
        if (y >= in.y + in.h - 2) break;
        if (!matches(def.label, ui.filter)) continue;
        std::string row = pad(def.label, label_w, g);
        for (const auto& t : threads)
            row += pad(pipeline::metric_display(def, t), col_w, g, true);
        row += pad(pipeline::metric_display(def, d->total), col_w, g, true);
        s.put(y++, in.x + 1, row, Role::fg);
    }
    const auto& mt = d->metrics;
    if (y < in.y + in.h)
        s.put(in.y + in.h - 1, in.x + 1,
              fmt::format("CDC {} records, {} errors, {} profiles, {} behind {} views refreshed {} ({} errors)",
                          thousands(double(mt.cdc_records_total)), thousands(double(mt.cdc_errors_total)),
                          thousands(double(mt.profiles)), thousands(double(mt.cdc_behind)), g.dot(),
                          thousands(double(mt.view_refreshes_total)), thousands(double(mt.view_errors_total))),
              Role::muted, false, in.w - 2);
}

// ---- log ------------------------------------------------------------------------------

void draw_log(Screen& s, const Rect& r, const Model& m, const UiState& ui) {
    const Glyphs& g = s.glyphs();
    s.frame(r, "Log " + std::string(g.dot()) + " state changes, newest last");
    const Rect in = r.inner();
    std::vector<const LogLine*> lines;
    for (const auto& l : m.log)
        if (matches(l.text, ui.filter)) lines.push_back(&l);
    const int first = std::max(0, int(lines.size()) - in.h - ui.scroll);
    int y = in.y;
    for (int i = first; i < int(lines.size()) && y < in.y + in.h; ++i, ++y) {
        const auto* l = lines[std::size_t(i)];
        const Role role = l->tone == 3 ? Role::crit : l->tone == 2 ? Role::warn : l->tone == 1 ? Role::ok : Role::fg;
        const std::string t = utc_iso(l->ms);
        s.put(y, in.x + 1, t.size() >= 19 ? t.substr(11, 8) : t, Role::muted);
        s.put(y, in.x + 11, l->text, role, false, in.w - 11);
    }
    if (lines.empty()) s.put(in.y, in.x + 1, "nothing has happened yet", Role::muted);
}

void draw_help(Screen& s) {
    const Glyphs& g = s.glyphs();
    const std::vector<std::pair<std::string, std::string>> keys = {
        {"1-7", "overview, services, lag, kpi, geo, workers, log"},
        {":worker start N", "host N streaming worker threads in this console"},
        {":worker stop", "stop them (flush, commit; asks first; refused under --readonly)"},
        {":", "command line (Tab completes, Up/Down history, Ctrl-R search)"},
        {"/", "filter the current table (substring; !text inverts)"},
        {"Esc", "clear the filter, close help"},
        {"-", "previous view"},
        {"Up Down j k", "services: move the cursor (its probe in full below); elsewhere scroll"},
        {"< >", "sort the regions by the previous / next column"},
        {"?", "this help"},
        {"q", "quit (also :q, Ctrl-C)"},
        {":theme NAME", "switch theme (default, light, solarized-dark, gruvbox, high-contrast, mono)"},
        {":refresh S", "collector interval in seconds"},
    };
    const int w = std::min(s.cols() - 4, 84), h = int(keys.size()) + 4;
    const Rect r{(s.rows() - h) / 2, (s.cols() - w) / 2, h, w};
    for (int y = r.y; y < r.y + r.h; ++y)
        s.fill_row(y, r.x, r.w, Role::bg);
    s.frame(r, "Keys and commands");
    int y = r.y + 2;
    for (const auto& [k, v] : keys) {
        s.put(y, r.x + 2, pad(k, 14, g), Role::accent, true);
        s.put(y, r.x + 16, v, Role::fg, false, r.w - 18);
        ++y;
    }
}

} // namespace

const char* view_name(View v) {
    switch (v) {
    case View::overview:
        return "overview";
    case View::services:
        return "services";
    case View::lag:
        return "lag";
    case View::kpi:
        return "kpi";
    case View::geo:
        return "geo";
    case View::workers:
        return "workers";
    case View::log:
        return "log";
    }
    return "overview";
}

void draw(Screen& s, const Model& m, const UiState& ui, std::int64_t now) {
    s.clear();
    const int rows = s.rows(), cols = s.cols();
    if (cols < kMinCols || rows < kMinRows) {
        const std::string msg = fmt::format("ebapctl needs at least {}x{} (this is {}x{})", kMinCols, kMinRows, cols, rows);
        s.put(rows / 2, std::max(0, (cols - text_width(msg)) / 2), msg, Role::warn, true);
        s.show();
        return;
    }
    draw_header(s, m, now);
    const Rect body{1, 0, rows - 2, cols};
    switch (ui.view) {
    case View::overview: {
        const bool small = rows < 34 || cols < 110;
        if (small) {
            // 80x24: a one-line service summary, KPI meters, the groups, the worst regions.
            draw_service_summary(s, 1, m, now);
            draw_kpi_lines(s, Rect{2, 0, int(m.gauges.size()), cols}, m);
            const int y = 3 + int(m.gauges.size());
            const int groups = m.lag ? std::max<int>(1, int(m.lag->data.groups.size())) : 1;
            const int lag_h = std::min(groups, std::max(1, (rows - y - 4) / 2)) + 1;
            draw_lag(s, Rect{y, 0, lag_h, cols}, m, ui, true);
            draw_regions(s, Rect{y + lag_h, 0, rows - 1 - (y + lag_h), cols}, m, ui, 0);
        } else {
            const std::size_t n = m.health ? m.health->data.services.size() : 1;
            const int svc_cols = cols >= 152 ? 3 : 2;
            const int svc_h = std::min<int>(int((n + svc_cols - 1) / svc_cols) + 2, rows / 3);
            draw_services(s, Rect{1, 0, svc_h, cols}, m, ui, now);
            const int kpi_h = std::min(11, std::max(7, (rows - svc_h) / 3));
            draw_kpis(s, Rect{1 + svc_h, 0, kpi_h, cols}, m);
            const int y = 1 + svc_h + kpi_h, h = rows - 1 - y;
            const int lw = cols * 52 / 100;
            draw_lag(s, Rect{y, 0, h, lw}, m, ui, false);
            draw_regions(s, Rect{y, lw, h, cols - lw}, m, ui, 0);
        }
        break;
    }
    case View::services: {
        const std::size_t n = m.health ? m.health->data.services.size() : 1;
        const int svc_cols = cols >= 152 ? 3 : cols >= 102 ? 2 : 1;
        const int board_h = std::min<int>(int((n + svc_cols - 1) / svc_cols) + 2, body.h - 9);
        draw_services(s, Rect{body.y, 0, board_h, cols}, m, ui, now, true);
        draw_service_detail(s, Rect{body.y + board_h, 0, body.h - board_h, cols}, m, ui, now);
        break;
    }
    case View::lag:
        draw_lag(s, body, m, ui, false);
        break;
    case View::kpi:
        draw_kpis(s, Rect{1, 0, std::min(rows - 2, 16), cols}, m);
        if (rows > 20) draw_kpi_lines(s, Rect{18, 0, rows - 19, cols}, m);
        break;
    case View::geo:
        draw_geo(s, body, m, ui);
        break;
    case View::workers:
        draw_workers(s, body, m, ui);
        break;
    case View::log:
        draw_log(s, body, m, ui);
        break;
    }
    draw_keys(s, ui);
    if (ui.help) draw_help(s);
    s.show();
}

} // namespace ebap::tui
