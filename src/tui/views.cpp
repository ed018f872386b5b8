#include "tui/views.hpp"

#include "core/base/format.hpp"
#include "core/base/time.hpp"
#include "tui/map.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <regex>

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

// The `/` filter: a regular expression (case-insensitive) when it is one, else a
// substring; a leading ! keeps the rows that do not match.
bool matches(const std::string& text, const std::string& filter) {
    if (filter.empty() || filter == "!") return true;
    const bool invert = filter[0] == '!';
    const std::string f = invert ? filter.substr(1) : filter;
    static thread_local std::string compiled_for;
    static thread_local std::optional<std::regex> re;
    if (compiled_for != f) {
        compiled_for = f;
        try {
            re.emplace(f, std::regex::ECMAScript | std::regex::icase);
        } catch (const std::regex_error&) {
            re.reset();
        }
    }
    const bool hit = re ? std::regex_search(text, *re) : text.find(f) != std::string::npos;
    return invert ? !hit : hit;
}

// Worst first among the required services, optional ones (expected to be absent at
// times) after them; or by the column picked with < and >.
std::vector<const collect::ServiceHealth*> services_sorted(const Model& m, const UiState& ui) {
    std::vector<const collect::ServiceHealth*> v;
    if (!m.health) return v;
    for (const auto& s : m.health->data.services)
        v.push_back(&s);
    const int sort = ui.service_sort;
    std::stable_sort(v.begin(), v.end(), [&](auto* a, auto* b) {
        switch (sort) {
        case 1:
            return a->name < b->name;
        case 2:
            return a->result.latency_ms > b->result.latency_ms;
        case 3:
            return a->since_ms > b->since_ms; // the latest change first
        default:
            if (a->optional != b->optional) return !a->optional;
            return severity(a->result.state) < severity(b->result.state);
        }
    });
    if (ui.reverse && sort != 0) std::reverse(v.begin(), v.end());
    return v;
}

std::vector<const collect::ServiceHealth*> services_shown(const Model& m, const UiState& ui) {
    std::vector<const collect::ServiceHealth*> v;
    for (auto* svc : services_sorted(m, ui))
        if (matches(svc->name, ui.filter)) v.push_back(svc);
    return v;
}

// What a widget shows, folded into one number: equal signatures draw equal cells.
struct Sig {
    std::uint64_t h = 1469598103934665603ull;
    Sig& operator<<(std::uint64_t v) {
        for (int i = 0; i < 8; ++i, v >>= 8)
            h = (h ^ (v & 0xff)) * 1099511628211ull;
        return *this;
    }
    Sig& operator<<(std::int64_t v) { return *this << std::uint64_t(v); }
    Sig& operator<<(int v) { return *this << std::uint64_t(std::int64_t(v)); }
    Sig& operator<<(bool v) { return *this << std::uint64_t(v); }
    Sig& operator<<(double v) {
        std::uint64_t bits;
        std::memcpy(&bits, &v, sizeof bits);
        return *this << bits;
    }
    Sig& operator<<(const std::optional<double>& v) { return v ? *this << true << *v : *this << false; }
    Sig& operator<<(const std::string& s) {
        for (unsigned char c : s)
            h = (h ^ c) * 1099511628211ull;
        return *this << std::uint64_t(s.size());
    }
    Sig& operator<<(const Rect& r) { return *this << r.y << r.x << r.h << r.w; }
};

template <class T>
std::uint64_t rounds_of(const T& snapshot) {
    return snapshot ? snapshot->rounds * 2 + (snapshot->taken_ms != 0) : 0;
}

// The frame being drawn: a widget asks whether it must draw (its signature changed or
// the layout did) and, when it does, starts from a blank rectangle.
struct Painter {
    Screen& s;
    Frame& f;
    bool fresh; // the whole screen was cleared for this frame
    std::vector<Hit>* hits = nullptr;
    std::map<int, Rect> placed; // this frame's widgets and where they went
    bool need(int id, const Rect& r, Sig sig) {
        placed[id] = r;
        sig << r;
        auto it = f.sig.find(id);
        if (!fresh && it != f.sig.end() && it->second == sig.h) return false;
        f.sig[id] = sig.h;
        if (!fresh)
            for (int y = r.y; y < r.y + r.h; ++y)
                s.fill_row(y, r.x, r.w, Role::bg);
        hits = &f.hits[id];
        hits->clear();
        ++f.drawn;
        return true;
    }
    void hit(const Rect& r, Panel p, int row = -1) {
        if (hits) hits->push_back({r, p, row});
    }
};

// ---- header and key line ------------------------------------------------------------

void draw_header(Painter& p, const Model& m, std::int64_t now) {
    Screen& s = p.s;
    const Glyphs& g = s.glyphs();
    Sig sig;
    sig << now / 1000 << m.readonly << m.catalog << (m.oldest_ms(now) ? *m.oldest_ms(now) / 1000 : -1);
    if (!p.need(100, Rect{0, 0, 1, s.cols()}, sig)) return;
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
        // Whole seconds: the header redraws once a second, a millisecond count would freeze.
        right += *age < 1000 ? fmt::format(" {} data <1 s old", g.dot())
                             : fmt::format(" {} data {} old", g.dot(), fmt_duration_ms(double(*age / 1000 * 1000)));
    else
        right += fmt::format(" {} waiting for data", g.dot());
    if (m.readonly) right += fmt::format(" {} READONLY", g.dot());
    right += " ";
    const int rw = text_width(right);
    s.put(0, 0, left, Role::selection, true, std::max(0, s.cols() - rw - 1));
    s.put(0, std::max(0, s.cols() - rw), right, Role::selection, m.readonly);
}

void draw_keys(Painter& p, const UiState& ui) {
    Screen& s = p.s;
    const int y = s.rows() - 1;
    Sig sig;
    sig << int(ui.view) << ui.message << ui.message_tone << ui.confirm << ui.hints << ui.cmdline_open;
    if (!p.need(101, Rect{y, 0, 1, s.cols()}, sig)) return;
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
    static const char* kViews[] = {"overview", "services", "lag", "kpi", "geo", "workers", "sql", "log"};
    const std::string& hints = ui.hints;
    // Every view named when they fit beside the hints; else only the current one is.
    int full = 1;
    for (const char* v : kViews)
        full += 4 + int(std::strlen(v));
    const bool names = full + text_width(hints) + 2 < s.cols();
    int x = 1;
    for (int i = 0; i < kViewCount; ++i) {
        const bool on = static_cast<int>(ui.view) == i;
        s.put(y, x, std::to_string(i + 1), Role::accent, true);
        if (names || on) {
            s.put(y, x + 2, std::string(kViews[i]), on ? Role::title : Role::muted, on);
            x += 2 + int(std::strlen(kViews[i]));
        }
        x += 2;
    }
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

const char* kServiceSorts[] = {"worst first", "by name", "by latency", "by last change"};

void draw_services(Painter& p, const Rect& r, const Model& m, const UiState& ui, std::int64_t now,
                   bool cursor, bool focused) {
    Screen& s = p.s;
    const Glyphs& g = s.glyphs();
    Sig sig;
    sig << rounds_of(m.health) << now / 1000 << cursor << focused << ui.selected[int(View::services)]
        << ui.service_sort << ui.reverse << ui.filter;
    if (!p.need(1, r, sig)) return;
    p.hit(r, Panel::services);
    const auto all = services_sorted(m, ui);
    int up = 0, required = 0, optional_down = 0;
    for (auto* svc : all) {
        required += !svc->optional;
        up += !svc->optional && svc->result.state == Health::Up;
        optional_down += svc->optional && svc->result.state != Health::Up;
    }
    std::string title = all.empty() ? "Services"
                                    : fmt::format("Services {}/{} UP {} {}", up, required, g.dot(),
                                                  kServiceSorts[std::clamp(ui.service_sort, 0, 3)]);
    if (ui.reverse && ui.service_sort) title += " (reversed)";
    if (optional_down) title += fmt::format(" {} {} optional not up", g.dot(), optional_down);
    if (m.health && !m.health->error.empty()) title += " " + std::string(g.dot()) + " " + m.health->error;
    s.frame(r, title, focused ? Role::accent : Role::title);
    const Rect in = r.inner();
    if (in.empty()) return;
    if (all.empty()) {
        s.put(in.y, in.x + 1, "probing the catalog's services…", Role::muted);
        return;
    }
    const auto list = services_shown(m, ui);
    if (list.empty()) {
        s.put(in.y, in.x + 1, "no service matches /" + ui.filter, Role::muted);
        return;
    }
    const int cols = in.w >= 150 ? 3 : in.w >= 100 ? 2 : 1;
    const int cw = in.w / cols;
    int nw = 8;
    for (auto* svc : list)
        nw = std::max(nw, text_width(svc->name));
    nw = std::min(nw, 20);
    // The cursor's row stays on screen: rows before it scroll away.
    const int sel = std::clamp(ui.selected[int(View::services)], 0, int(list.size()) - 1);
    const int first_row = cursor ? std::max(0, sel / cols - in.h + 1) : 0;
    for (int i = first_row * cols; i < int(list.size()); ++i) {
        const auto* svc = list[std::size_t(i)];
        const int row = i / cols - first_row, col = i % cols;
        if (row >= in.h) break;
        const int x = in.x + col * cw, y = in.y + row;
        const Role role = role_of(svc->result.state);
        const bool here = cursor && i == sel;
        if (here) s.put(y, x, g.utf8 ? "▶" : ">", Role::accent, true);
        s.put(y, x + 1, glyph_of(svc->result.state, g), role);
        s.put(y, x + 3, pad(svc->name, nw, g), here ? Role::accent : Role::fg, true);
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
        p.hit(Rect{y, x, 1, cw}, Panel::services, i);
    }
}

// The selected service in full: its state, since when, the probe and endpoint, the
// reason wrapped, the state history and the latency of the last probes.
void draw_service_detail(Painter& p, const Rect& r, const Model& m, const UiState& ui, std::int64_t now) {
    Screen& s = p.s;
    const Glyphs& g = s.glyphs();
    Sig sig;
    sig << rounds_of(m.health) << now / 1000 << ui.selected[int(View::services)] << ui.service_sort << ui.reverse
        << ui.filter << ui.zoom;
    if (!p.need(2, r, sig)) return;
    p.hit(r, Panel::detail);
    const auto list = services_shown(m, ui);
    if (list.empty()) return;
    const auto* svc = list[std::size_t(std::clamp(ui.selected[int(View::services)], 0, int(list.size()) - 1))];
    s.frame(r, "Service " + svc->name + (ui.zoom ? "  Esc back" : "  Enter: full view"));
    const Rect in = r.inner();
    if (in.empty()) return;
    int y = in.y;
    const int vw = in.w - 13;
    auto line = [&](const std::string& label, const std::string& value, Role role = Role::fg) {
        if (y >= in.y + in.h) return;
        s.put(y, in.x + 1, pad(label, 10, g), Role::muted);
        s.put(y, in.x + 12, value, role, false, vw);
        ++y;
    };
    const auto& res = svc->result;
    line("state", fmt::format("{} {}{}", glyph_of(res.state, g), health_name(res.state),
                              res.state == Health::Down ? "" : fmt::format(", {:.1f} ms", res.latency_ms)),
         role_of(res.state));
    line("since", fmt::format("{} ({} ago)", utc_iso(svc->since_ms), fmt_duration_ms(double(now - svc->since_ms))));
    line("probe", fmt::format("{} {}", svc->probe_kind, printable(svc->endpoint)));
    line("stack", svc->stack + (svc->optional ? " (optional: not counted when down)" : ""));
    // The reason in full, wrapped; what is left below holds the histories.
    bool first = true;
    for (const auto& part : wrap(printable(res.detail), vw, std::max(1, in.y + in.h - 4 - y), g)) {
        line(first ? "detail" : "", part);
        first = false;
    }
    // Both histories start at the left, newest right, one cell per probe.
    const int hw = std::max(1, std::min({int(collect::kHealthHistory), vw - 30, int(svc->history.size())}));
    if (y < in.y + in.h) {
        s.put(y, in.x + 1, pad("states", 10, g), Role::muted);
        draw_history(s, y, in.x + 12, *svc, hw);
        s.put(y, in.x + 13 + hw, fmt::format("last {} probes, newest right", svc->history.size()), Role::muted,
              false, std::max(0, in.x + in.w - (in.x + 13 + hw)));
        ++y;
    }
    if (y < in.y + in.h && !svc->latency.empty()) {
        std::vector<std::optional<double>> lat(svc->latency.begin(), svc->latency.end());
        double lo = 0, hi = 0;
        bool any = false;
        for (const auto& v : lat)
            if (v) hi = any ? std::max(hi, *v) : *v, lo = any ? std::min(lo, *v) : *v, any = true;
        s.put(y, in.x + 1, pad("latency", 10, g), Role::muted);
        s.put(y, in.x + 12 + hw - std::min(hw, int(lat.size())), sparkline(lat, std::min(hw, int(lat.size())), g),
              Role::graph_start);
        if (any)
            s.put(y, in.x + 13 + hw, fmt::format("{:.1f} to {:.1f} ms", lo, hi), Role::muted, false,
                  std::max(0, in.x + in.w - (in.x + 13 + hw)));
        ++y;
    }
    if (y < in.y + in.h) s.put(y, in.x + 12, "probed " + age_text(now - res.at_ms) + " ago", Role::muted);
}

// One line: "9/11 UP · ✖ trino refused 3m · ▲ kafka-connect ..."
void draw_service_summary(Painter& p, int y, const Model& m, std::int64_t now, bool focused) {
    Screen& s = p.s;
    const Glyphs& g = s.glyphs();
    const Rect r{y, 0, 1, s.cols()};
    Sig sig;
    sig << rounds_of(m.health) << now / 1000 << focused;
    if (!p.need(1, r, sig)) return;
    p.hit(r, Panel::services);
    const auto list = services_sorted(m, UiState{});
    int up = 0, required = 0;
    for (auto* svc : list) {
        required += !svc->optional;
        up += !svc->optional && svc->result.state == Health::Up;
    }
    int x = 1;
    if (focused) s.put(y, 0, g.utf8 ? "▶" : ">", Role::accent, true);
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

Sig& operator<<(Sig& sig, const std::vector<std::optional<double>>& series) {
    for (const auto& v : series)
        sig << v;
    return sig << std::uint64_t(series.size());
}

void draw_gauge_box(Painter& p, int id, const Rect& r, const Model& m, const KpiGauge& given, bool stale,
                    bool focused) {
    Screen& s = p.s;
    const Glyphs& g = s.glyphs();
    KpiGauge k = given;
    const auto series = series_of(m, given);
    k.hi = scale_max(given, series, m.kpi ? m.kpi->data.now.*(given.member) : std::nullopt);
    Sig sig;
    sig << (m.kpi ? m.kpi->data.now.*(k.member) : std::nullopt) << k.hi << stale << focused << series;
    if (!p.need(id, r, sig)) return;
    p.hit(r, Panel::kpi);
    s.frame(r, k.title, stale ? Role::muted : focused ? Role::accent : Role::title);
    if (stale && r.w > 12) s.put(r.y + r.h - 1, r.x + 2, " no live data ", Role::muted);
    const Rect in = r.inner();
    if (in.h < 3 || in.w < 10) return;
    const std::optional<double> v = m.kpi ? m.kpi->data.now.*(k.member) : std::nullopt;
    // A semicircle is twice as wide as tall, and a cell twice as tall as wide: gw = 4 gh.
    // Under it the scale; the sparkline on the box's last row; spare rows above and below.
    const int gh = std::max(2, std::min(in.h - 2, (in.w - 2) / 4 + 1));
    const int gw = std::min(in.w - 2, gh * 4);
    const int gx = in.x + (in.w - gw) / 2;
    const Rect top{in.y + std::max(0, (in.h - 2 - gh) / 2), in.x, gh, in.w};
    GaugeSpec spec{v.value_or(0), k.lo, k.hi, k.warn, k.crit};
    // Only configured thresholds colour the arc: more purchases are not a warning.
    s.put_cells(top.y, gx, gauge(spec, gw, gh, g));
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
                if (row[k] != ' ') s.put(top.y + gh - 3 + i, bx + col, row.substr(k, n), vr, false, 1);
                k += n, ++col;
            }
        }
    } else {
        s.put(top.y + gh - 1, in.x + (in.w - text_width(text)) / 2, text, vr, true);
    }
    const std::string lo = scale_text(k, k.lo), hi = scale_text(k, k.hi);
    s.put(top.y + gh, gx, lo, Role::muted);
    s.put(top.y + gh, gx + gw - text_width(hi), hi, Role::muted);
    s.put(in.y + in.h - 1, in.x + 1, sparkline(series, in.w - 2, g), Role::graph_start);
}

void draw_kpis(Painter& p, const Rect& r, const Model& m, bool focused) {
    const bool stale = !m.kpi || m.kpi->data.now.stale;
    const int n = int(m.gauges.size());
    if (n == 0) return;
    const int w = r.w / n;
    for (int i = 0; i < n; ++i) {
        Rect box{r.y, r.x + i * w, r.h, i == n - 1 ? r.w - i * w : w};
        draw_gauge_box(p, 10 + i, box, m, m.gauges[std::size_t(i)], stale, focused);
    }
}

// One line per KPI: title, value, meter, sparkline (80x24).
void draw_kpi_lines(Painter& p, const Rect& r, const Model& m, bool focused, bool long_spark = false) {
    Screen& s = p.s;
    const Glyphs& g = s.glyphs();
    Sig sig;
    sig << focused;
    for (const auto& k : m.gauges)
        sig << (m.kpi ? m.kpi->data.now.*(k.member) : std::nullopt) << series_of(m, k);
    if (!p.need(20, r, sig)) return;
    p.hit(r, Panel::kpi);
    if (focused) s.put(r.y, r.x, g.utf8 ? "▶" : ">", Role::accent, true);
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
                                         : std::floor(*v) == *v || std::fabs(*v) >= 1000 ? thousands(std::round(*v))
                                                                : fmt::format("{:.1f}", *v);
        s.put(y, r.x + 18, pad(exact, 9, g, true), value_role(k, v), true);
        const int mw = long_spark ? std::min(20, std::max(10, (r.w - 30) / 4)) : std::max(10, (r.w - 30) / 2);
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

// Groups in the order asked (kafka.groups), filtered.
std::vector<const collect::GroupReport*> groups_shown(const Model& m, const UiState& ui) {
    std::vector<const collect::GroupReport*> v;
    if (!m.lag) return v;
    for (const auto& gr : m.lag->data.groups)
        if (matches(gr.lag.group, ui.filter)) v.push_back(&gr);
    return v;
}

// One group on one line: name · status · lag and trend · drain · sparkline, each where it
// fits; `cursor` marks the selected one.
void draw_group_line(Painter& p, int y, const Rect& in, int name_w, const Model& m, const collect::GroupReport& gr,
                     bool cursor) {
    Screen& s = p.s;
    const Glyphs& g = s.glyphs();
    const auto& v = gr.verdict;
    const Role st = role_of(v.status);
    auto prev = m.prev_group_lag.find(gr.lag.group);
    const char* arrow = trend(double(v.total_lag), prev == m.prev_group_lag.end() ? std::nullopt : prev->second, g);
    const int gw = std::min(name_w, std::max(8, in.w - 40));
    int x = in.x + 1;
    const int right = in.x + in.w - 1;
    if (cursor) s.put(y, in.x, g.utf8 ? "▶" : ">", Role::accent, true);
    s.put(y, x, pad(printable(gr.lag.group), gw, g), cursor ? Role::accent : Role::fg, true);
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
}

// The overview's topics-and-lag panel (framed), or its 80x24 form (groups only).
void draw_lag(Painter& p, const Rect& r, const Model& m, const UiState& ui, bool compact_mode, bool focused) {
    Screen& s = p.s;
    const Glyphs& g = s.glyphs();
    Sig sig;
    sig << rounds_of(m.lag) << rounds_of(m.workers) << ui.filter << compact_mode << focused;
    if (!p.need(30, r, sig)) return;
    p.hit(r, Panel::lag);
    std::string title = "Topics and lag";
    if (m.lag && !m.lag->error.empty()) title += " " + std::string(g.dot()) + " " + m.lag->error;
    if (!compact_mode)
        s.frame(r, title, m.lag && !m.lag->error.empty() ? Role::crit : focused ? Role::accent : Role::title);
    const Rect in = compact_mode ? r : r.inner();
    if (in.empty()) return;
    int y = in.y;
    if (!m.lag || !m.lag->taken_ms) {
        s.put(y, in.x + 1, m.lag && !m.lag->error.empty() ? "Kafka unreachable" : "reading offsets…", Role::muted);
        return;
    }
    const auto& d = m.lag->data;
    const auto groups = groups_shown(m, ui);
    int name_w = 12;
    for (auto* gr : groups)
        name_w = std::max(name_w, text_width(printable(gr->lag.group)));
    name_w = std::min(name_w, std::max(12, in.w - 41));
    if (!compact_mode) {
        int tw = 12;
        for (const auto& t : d.kafka.topics)
            tw = std::max(tw, text_width(t.name));
        tw = std::min(tw, std::max(12, in.w - 30));
        s.put(y, in.x + 1, pad("TOPIC", tw, g) + pad("MSG/S", 10, g, true) + pad("P", 4, g, true) +
                               pad("MESSAGES", 12, g, true),
              Role::muted, true);
        ++y;
        for (const auto& t : d.kafka.topics) {
            if (y >= in.y + in.h - 1 - int(groups.size()) * 2) break;
            if (!matches(t.name, ui.filter)) continue;
            auto rate = d.rates.find(t.name);
            const std::string rs = rate == d.rates.end() ? "-" : thousands(rate->second) + "/s";
            s.put(y, in.x + 1, pad(t.name, tw, g) + pad(rs, 10, g, true) +
                                   pad(std::to_string(t.watermarks.size()), 4, g, true) +
                                   pad(thousands(double(t.messages)), 12, g, true),
                  Role::fg);
            ++y;
        }
        ++y;
    }
    for (std::size_t i = 0; i < groups.size(); ++i) {
        if (y >= in.y + in.h) break;
        draw_group_line(p, y, in, name_w, m, *groups[i], false);
        p.hit(Rect{y, in.x, 1, in.w}, Panel::lag, int(i));
        ++y;
        if (!compact_mode && y < in.y + in.h) {
            s.put(y, in.x + 3, fit(printable(groups[i]->verdict.reason), in.w - 4, g), Role::muted);
            ++y;
        }
    }
    if (d.groups.empty() && y < in.y + in.h) s.put(y++, in.x + 1, "no consumer groups (kafka.groups)", Role::muted);
    // Room left: the most lagging group's partitions as bars, so skew shows at a glance.
    const std::string w = workers_line(m, g);
    const int room = in.y + in.h - y - (w.empty() ? 0 : 1) - 1;
    const collect::GroupReport* worst = nullptr;
    for (auto* gr : groups)
        if (!worst || gr->verdict.total_lag > worst->verdict.total_lag) worst = gr;
    if (!compact_mode && worst && room >= 3 && !worst->lag.partitions.empty()) {
        const auto& parts = worst->lag.partitions;
        std::int64_t max_lag = 0;
        bool one_topic = true;
        for (const auto& pl : parts) {
            max_lag = std::max(max_lag, pl.lag);
            one_topic = one_topic && pl.topic == parts.front().topic;
        }
        ++y;
        s.put(y++, in.x + 1,
              fit(fmt::format("lag per partition of {}{}", printable(worst->lag.group),
                              one_topic ? " on " + printable(parts.front().topic) : ""),
                  in.w - 2, g),
              Role::muted);
        const int label_w = one_topic ? 5 : std::min(24, in.w / 3);
        const int bar_w = std::max(4, in.w - label_w - 14);
        const int shown = int(parts.size()) <= room - 1 ? int(parts.size()) : room - 2;
        for (int i = 0; i < shown; ++i) {
            const auto& pl = parts[std::size_t(i)];
            const std::string label = one_topic ? fmt::format("[{}]", pl.partition)
                                                : fit(fmt::format("{}[{}]", printable(pl.topic), pl.partition), label_w, g);
            const double frac = max_lag > 0 && pl.lag > 0 ? double(pl.lag) / double(max_lag) : 0;
            const PartitionVerdict* pv =
                std::size_t(i) < worst->verdict.partitions.size() ? &worst->verdict.partitions[std::size_t(i)] : nullptr;
            s.put(y, in.x + 1, pad(label, label_w, g), Role::fg);
            s.put(y, in.x + 2 + label_w, bar(frac, bar_w, g), pv && pv->status != LagStatus::Ok ? role_of(pv->status) : Role::gauge_low);
            s.put(y, in.x + 3 + label_w + bar_w, pad(pl.lag < 0 ? "-" : thousands(double(pl.lag)), 10, g, true), Role::fg);
            ++y;
        }
        if (shown < int(parts.size()))
            s.put(y++, in.x + 1, fmt::format("{} {} more in the lag view (3)", g.utf8 ? "…" : "...", int(parts.size()) - shown),
                  Role::muted);
    }
    if (!w.empty() && y < in.y + in.h)
        s.put(compact_mode ? y : in.y + in.h - 1, in.x + 1, w,
              m.workers->data.state == "failed" ? Role::crit : Role::accent, false, in.w - 2);
}

// The lag view's topics: messages/s from watermark deltas, partitions, messages.
void draw_topics(Painter& p, const Rect& r, const Model& m, const UiState& ui) {
    Screen& s = p.s;
    const Glyphs& g = s.glyphs();
    Sig sig;
    sig << rounds_of(m.lag) << ui.filter;
    if (!p.need(33, r, sig)) return;
    s.frame(r, "Topics");
    const Rect in = r.inner();
    if (in.empty() || !m.lag || !m.lag->taken_ms) return;
    const auto& d = m.lag->data;
    int tw = 12;
    for (const auto& t : d.kafka.topics)
        tw = std::max(tw, text_width(printable(t.name)));
    tw = std::min(tw, std::max(12, in.w - 40));
    s.put(in.y, in.x + 1, pad("TOPIC", tw, g) + pad("MSG/S", 12, g, true) + pad("PARTITIONS", 12, g, true) +
                              pad("MESSAGES", 14, g, true),
          Role::muted, true);
    int y = in.y + 1;
    for (const auto& t : d.kafka.topics) {
        if (y >= in.y + in.h) break;
        if (!matches(t.name, ui.filter)) continue;
        auto rate = d.rates.find(t.name);
        const std::string rs = rate == d.rates.end() ? "-" : thousands(rate->second) + "/s";
        s.put(y++, in.x + 1, pad(printable(t.name), tw, g) + pad(rs, 12, g, true) +
                                 pad(std::to_string(t.watermarks.size()), 12, g, true) +
                                 pad(thousands(double(t.messages)), 14, g, true),
              Role::fg);
    }
}

// The lag view's groups: one line each with a cursor, the reason under it.
void draw_groups(Painter& p, const Rect& r, const Model& m, const UiState& ui) {
    Screen& s = p.s;
    const Glyphs& g = s.glyphs();
    Sig sig;
    sig << rounds_of(m.lag) << rounds_of(m.workers) << ui.filter << ui.focus << ui.selected[int(View::lag)];
    if (!p.need(31, r, sig)) return;
    p.hit(r, Panel::groups);
    std::string title = "Consumer groups";
    if (m.lag && !m.lag->error.empty()) title += " " + std::string(g.dot()) + " " + m.lag->error;
    s.frame(r, title, m.lag && !m.lag->error.empty() ? Role::crit : ui.focus == 0 ? Role::accent : Role::title);
    const Rect in = r.inner();
    if (in.empty()) return;
    if (!m.lag || !m.lag->taken_ms) {
        s.put(in.y, in.x + 1, m.lag && !m.lag->error.empty() ? "Kafka unreachable" : "reading offsets…", Role::muted);
        return;
    }
    const auto groups = groups_shown(m, ui);
    if (groups.empty()) {
        s.put(in.y, in.x + 1, m.lag->data.groups.empty() ? "no consumer groups (kafka.groups)" : "no group matches /" + ui.filter,
              Role::muted);
        return;
    }
    int name_w = 12;
    for (auto* gr : groups)
        name_w = std::max(name_w, text_width(printable(gr->lag.group)));
    name_w = std::min(name_w, std::max(12, in.w - 41));
    const int sel = std::clamp(ui.selected[int(View::lag)], 0, int(groups.size()) - 1);
    const int per = in.h >= int(groups.size()) * 2 ? 2 : 1;
    int y = in.y;
    for (int i = std::max(0, sel - in.h / per + 1); i < int(groups.size()) && y < in.y + in.h; ++i) {
        draw_group_line(p, y, in, name_w, m, *groups[std::size_t(i)], i == sel);
        p.hit(Rect{y, in.x, per, in.w}, Panel::groups, i);
        ++y;
        if (per == 2) {
            const auto& v = groups[std::size_t(i)]->verdict;
            const auto& gl = groups[std::size_t(i)]->lag;
            std::string facts = gl.members < 0 ? std::string("membership unknown")
                                               : fmt::format("{}, {} member{}", printable(gl.state), gl.members,
                                                             gl.members == 1 ? "" : "s");
            facts += fmt::format(" {} window {}% full", g.dot(), int(std::lround(v.complete * 100)));
            s.put(y, in.x + 3, facts + " " + g.dot() + " " + printable(v.reason), Role::muted, false, in.w - 4);
            ++y;
        }
    }
}

// The selected group's partitions: offsets, status, rates, and a bar per partition in
// proportion to the group's largest lag, so one slow partition stands out.
void draw_partitions(Painter& p, const Rect& r, const Model& m, const UiState& ui) {
    Screen& s = p.s;
    const Glyphs& g = s.glyphs();
    Sig sig;
    sig << rounds_of(m.lag) << ui.filter << ui.focus << ui.selected[int(View::lag)] << ui.partition << ui.zoom;
    if (!p.need(32, r, sig)) return;
    p.hit(r, Panel::partitions);
    const auto groups = groups_shown(m, ui);
    if (groups.empty()) {
        s.frame(r, "Partitions");
        return;
    }
    const auto& gr = *groups[std::size_t(std::clamp(ui.selected[int(View::lag)], 0, int(groups.size()) - 1))];
    const auto& parts = gr.lag.partitions;
    const auto& verdicts = gr.verdict.partitions;
    std::int64_t max_lag = 0;
    for (const auto& pl : parts)
        max_lag = std::max(max_lag, pl.lag);
    std::string title = fmt::format("Partitions of {} {} {}", printable(gr.lag.group), g.dot(), parts.size());
    if (gr.verdict.maxlag && *gr.verdict.maxlag < parts.size())
        title += fmt::format(" {} most behind: {} [{}] lag {}", g.dot(), printable(parts[*gr.verdict.maxlag].topic),
                             parts[*gr.verdict.maxlag].partition, thousands(double(max_lag)));
    s.frame(r, title, ui.focus == 1 ? Role::accent : Role::title);
    const Rect in = r.inner();
    if (in.empty()) return;
    if (parts.empty()) {
        s.put(in.y, in.x + 1, "the group has no committed offsets on any topic yet", Role::muted);
        return;
    }
    int tw = 8;
    for (const auto& pl : parts)
        tw = std::max(tw, text_width(printable(pl.topic)) + 5);
    tw = std::min(tw, 32);
    const int fixed = tw + 7 + 12 + 12 + 11 + 10 + 10 + 2;
    const int bar_w = std::clamp(in.w - fixed - 2, 0, 40);
    const bool rates = in.w >= tw + 7 + 12 + 12 + 11 + 2 + 20;
    s.put(in.y, in.x + 1,
          pad("PARTITION", tw, g) + pad("STATUS", 7, g) + pad("COMMITTED", 12, g, true) + pad("HIGH", 12, g, true) +
              pad("LAG", 11, g, true) + (bar_w > 0 ? " " + pad("SKEW", bar_w, g) : "") +
              (rates ? pad("MSG/S", 10, g, true) + pad("DRAIN/S", 10, g, true) : ""),
          Role::muted, true);
    const int rows = in.h - 1;
    const int sel = std::clamp(ui.partition, 0, int(parts.size()) - 1);
    const int first = ui.focus == 1 ? std::max(0, sel - rows + 1) : 0;
    int y = in.y + 1;
    for (int i = first; i < int(parts.size()) && y < in.y + in.h; ++i, ++y) {
        const auto& pl = parts[std::size_t(i)];
        const PartitionVerdict* pv = std::size_t(i) < verdicts.size() ? &verdicts[std::size_t(i)] : nullptr;
        const bool here = ui.focus == 1 && i == sel;
        if (here) s.put(y, in.x, g.utf8 ? "▶" : ">", Role::accent, true);
        const Role st = pv ? role_of(pv->status) : Role::muted;
        const std::string status = !pl.error.empty() ? "ERR" : pv && pv->no_commit ? "none" : pv ? lag_status_name(pv->status) : "?";
        int x = in.x + 1;
        s.put(y, x, pad(fmt::format("{} [{}]", printable(pl.topic), pl.partition), tw, g), here ? Role::accent : Role::fg);
        x += tw;
        s.put(y, x, pad(status, 7, g), st, true);
        x += 7;
        s.put(y, x, pad(pl.committed < 0 ? "-" : thousands(double(pl.committed)), 12, g, true) +
                        pad(pl.high < 0 ? "-" : thousands(double(pl.high)), 12, g, true) +
                        pad(pl.lag < 0 ? "-" : thousands(double(pl.lag)), 11, g, true),
              Role::fg);
        x += 35;
        if (bar_w > 0) {
            const double frac = max_lag > 0 && pl.lag > 0 ? double(pl.lag) / double(max_lag) : 0;
            s.put(y, x + 1, bar(frac, bar_w, g), pl.lag > 0 && pl.lag == max_lag ? st : Role::gauge_low);
            x += bar_w + 1;
        }
        if (rates && pv) {
            auto rate = [&](const std::optional<double>& v) { return v ? fmt::format("{:.1f}", *v) : std::string("-"); };
            s.put(y, x, pad(rate(pv->consume_rate), 10, g, true) + pad(rate(pv->drain_rate), 10, g, true), Role::muted);
        }
        if (!pl.error.empty() && y + 1 < in.y + in.h) s.put(++y, in.x + 3, printable(pl.error), Role::crit, false, in.w - 4);
        p.hit(Rect{y, in.x, 1, in.w}, Panel::partitions, i);
    }
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

// Regions as the table shows them: the picked column, reversed when asked.
std::vector<const RegionHealth*> regions_shown(const Model& m, const UiState& ui) {
    const int sort = std::clamp(ui.region_sort, 0, 6);
    auto rows = regions_in_order(m, ui, sort);
    if (ui.reverse && sort != 0) std::reverse(rows.begin(), rows.end());
    return rows;
}

const char* region_glyph(const std::string& health, const Glyphs& g) {
    return health == "ok" ? g.ok() : health == "warn" ? g.warn() : health == "crit" ? g.crit() : g.unknown();
}

void draw_regions(Painter& p, const Rect& r, const Model& m, const UiState& ui, bool cursor, bool focused) {
    Screen& s = p.s;
    const Glyphs& g = s.glyphs();
    Sig sig;
    sig << rounds_of(m.kpi) << ui.filter << ui.region_sort << ui.reverse << cursor << focused
        << ui.selected[int(View::geo)];
    if (!p.need(40, r, sig)) return;
    p.hit(r, Panel::regions);
    static const char* kSortNames[] = {"worst first", "by region", "by events/min", "by users",
                                       "by revenue", "by error rate", "by p95"};
    s.frame(r,
            fmt::format("Regions {} {}{} {} < > sort", g.dot(), kSortNames[std::clamp(ui.region_sort, 0, 6)],
                        ui.reverse && ui.region_sort ? " (reversed)" : "", g.dot()),
            focused ? Role::accent : Role::title);
    const Rect in = r.inner();
    if (in.empty()) return;
    if (!m.kpi || m.kpi->data.regions.empty()) {
        s.put(in.y, in.x + 1, m.kpi && !m.kpi->error.empty() ? "Redis unreachable" : "no regions yet", Role::muted);
        return;
    }
    const auto rows = regions_shown(m, ui);
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
        if (y >= in.y + in.h) break;
        const Role hr = role_of_region(reg->health);
        const char* glyph = region_glyph(reg->health, g);
        auto prev = m.prev_regions.find(reg->region);
        const char* arrow = trend(reg->events_1m, prev == m.prev_regions.end() ? std::nullopt : prev->second.events_1m, g);
        std::string err = "-";
        if (reg->error_rate && std::isfinite(*reg->error_rate))
            err = *reg->error_rate > 1 ? ">100" : fmt::format("{:.2f}", *reg->error_rate * 100);
        const bool here = cursor && shown == std::clamp(ui.selected[int(View::geo)], 0, int(rows.size()) - 1);
        if (here) s.put(y, in.x, g.utf8 ? "▶" : ">", Role::accent, true);
        s.put(y, in.x + 1, pad(printable(reg->region), name_w, g), here ? Role::accent : Role::fg, true);
        p.hit(Rect{y, in.x, 1, in.w}, Panel::regions, shown);
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
void draw_map(Painter& p, const Rect& r, const Model& m, const UiState& ui,
              const std::vector<const RegionHealth*>& worst_first, int mw, int mh) {
    Screen& s = p.s;
    const Glyphs& g = s.glyphs();
    Sig sig;
    sig << mw << mh << ui.filter;
    for (const auto* reg : worst_first)
        sig << reg->region << reg->health;
    if (!p.need(41, r, sig)) return;
    p.hit(r, Panel::regions);
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
void draw_geo(Painter& p, const Rect& body, const Model& m, const UiState& ui) {
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
        draw_regions(p, body, m, ui, true, false);
        return;
    }
    if (beside) {
        draw_regions(p, Rect{body.y, body.x, body.h, table_w}, m, ui, true, false);
        draw_map(p, Rect{body.y, body.x + table_w, mh + map_chrome, body.w - table_w}, m, ui, worst_first, mw, mh);
    } else {
        draw_regions(p, Rect{body.y, body.x, table_h, body.w}, m, ui, true, false);
        draw_map(p, Rect{body.y + table_h, body.x, mh + map_chrome, body.w}, m, ui, worst_first, mw, mh);
    }
}

// ---- workers --------------------------------------------------------------------------

void draw_workers(Painter& p, const Rect& r, const Model& m, const UiState& ui) {
    Screen& s = p.s;
    const Glyphs& g = s.glyphs();
    Sig sig;
    sig << rounds_of(m.workers) << ui.filter;
    if (!p.need(50, r, sig)) return;
    p.hit(r, Panel::workers);
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

// ---- SQL ------------------------------------------------------------------------------

// The `/` filter over many rows: a case-insensitive substring when the text has no regex
// syntax (as fast as a search can be), else the same regex as matches(); a cell matches,
// so ^ and $ anchor to a value.
struct RowMatcher {
    bool invert = false, literal = true;
    std::string needle;
    std::optional<std::regex> re;
    explicit RowMatcher(const std::string& filter) {
        invert = !filter.empty() && filter[0] == '!';
        needle = invert ? filter.substr(1) : filter;
        literal = needle.find_first_of(".^$|()[]{}*+?\\") == std::string::npos;
        if (literal) {
            for (char& c : needle) c = char(std::tolower(static_cast<unsigned char>(c)));
            return;
        }
        try {
            re.emplace(needle, std::regex::ECMAScript | std::regex::icase);
        } catch (const std::regex_error&) {
            re.reset(); // not a regex after all: the text as it is
        }
    }
    bool hit(std::string_view text) const {
        if (literal) {
            const auto it = std::search(text.begin(), text.end(), needle.begin(), needle.end(), [](char a, char b) {
                return std::tolower(static_cast<unsigned char>(a)) == b;
            });
            return it != text.end() || needle.empty();
        }
        if (re) return std::regex_search(text.begin(), text.end(), *re);
        return text.find(needle) != std::string_view::npos;
    }
};

std::string one_line(const std::string& s) {
    std::string out;
    for (char c : s) {
        const bool blank = c == '\n' || c == '\r' || c == '\t' || c == ' ';
        if (blank && (out.empty() || out.back() == ' ')) continue;
        out.push_back(blank ? ' ' : c);
    }
    while (!out.empty() && out.back() == ' ')
        out.pop_back();
    return printable(out);
}

const char* sql_state_word(SqlState st) {
    switch (st) {
    case SqlState::idle: return "IDLE";
    case SqlState::running: return "RUNNING";
    case SqlState::finished: return "FINISHED";
    case SqlState::failed: return "FAILED";
    case SqlState::cancelled: return "CANCELLED";
    }
    return "";
}

void draw_sql_status(Painter& p, int y, const Model& m, std::int64_t now) {
    Screen& s = p.s;
    const Glyphs& g = s.glyphs();
    const SqlModel& q = m.sql;
    const SqlSnapshot& snap = q.snap;
    const bool running = snap.state == SqlState::running;
    Sig sig;
    sig << snap.version << std::uint64_t(q.rows()) << q.filter_for << (running ? now / 1000 : 0) << q.unavailable;
    if (!p.need(71, Rect{y, 0, 1, s.cols()}, sig)) return;
    const int w = s.cols();
    if (!q.unavailable.empty()) {
        s.put(y, 1, q.unavailable, Role::crit, false, w - 2);
        return;
    }
    if (snap.state == SqlState::idle) {
        s.put(y, 1, fmt::format("{} at {}  {}  i types a statement, Enter runs it; :sql STATEMENT runs one", snap.engine,
                                mask_url_credentials(snap.endpoint), g.dot()),
              Role::muted, false, w - 2);
        return;
    }
    const Role role = running ? Role::accent : snap.state == SqlState::finished ? Role::ok
                      : snap.state == SqlState::failed                          ? Role::crit
                                                                                : Role::warn;
    const char* glyph = running ? g.unknown() : snap.state == SqlState::finished ? g.ok()
                        : snap.state == SqlState::failed                          ? g.crit()
                                                                                  : g.warn();
    int x = 1;
    const std::string word = fmt::format("{} {}", glyph, sql_state_word(snap.state));
    s.put(y, x, word, role, true);
    x += text_width(word) + 2;
    const auto& st = snap.stats;
    const std::int64_t elapsed = running ? now - snap.started_ms : snap.finished_ms - snap.started_ms;
    if (running) {
        std::optional<double> fraction;
        if (st.progress_percent) fraction = *st.progress_percent / 100;
        else if (st.total_splits > 0) fraction = double(st.completed_splits) / st.total_splits;
        if (fraction) {
            const double f = std::clamp(*fraction, 0.0, 1.0);
            const std::string b = bar(f, 20, g);
            s.put(y, x, g.utf8 ? "▕" : "[", Role::muted);
            s.put(y, x + 1, b, Role::accent);
            s.put(y, x + 21, g.utf8 ? "▏" : "]", Role::muted);
            s.put(y, x + 23, fmt::format("{:3.0f}%", f * 100), Role::accent, true);
            x += 29;
        }
    }
    std::vector<std::string> parts;
    parts.push_back(fmt_duration_ms(double(std::max<std::int64_t>(0, elapsed))));
    if (!snap.summary.empty()) parts.push_back(printable(snap.summary));
    if (!snap.columns.empty() || running) {
        const std::int64_t got = std::int64_t(snap.rows.count);
        parts.push_back(fmt::format("{} row{}", thousands(double(got)), got == 1 ? "" : "s"));
        if (elapsed > 0 && got > 0) parts.push_back(fmt::format("{} rows/s", fmt_count(double(got) * 1000 / double(elapsed))));
    }
    if (st.processed_bytes > 0) parts.push_back(fmt_bytes(double(st.processed_bytes)) + " read");
    if (st.total_splits > 0) parts.push_back(fmt::format("splits {}/{}", st.completed_splits, st.total_splits));
    if (snap.truncated) parts.push_back(fmt::format("first {} kept, the rest cancelled (console.sql_max_rows)",
                                                    thousands(double(snap.rows.count))));
    if (!q.filter_for.empty())
        parts.push_back(fmt::format("/{}: {} of {}", q.filter_for, thousands(double(q.rows())),
                                    thousands(double(snap.rows.count))));
    if (running) parts.push_back("Esc cancels");
    std::string text;
    for (const auto& part : parts)
        text += (text.empty() ? "" : fmt::format(" {} ", g.dot())) + part;
    s.put(y, x, text, Role::fg, false, w - x - 1);
}

// The selected row in full: a column per line, long values wrapped.
void draw_sql_record(Screen& s, const Rect& in, int y, const SqlSnapshot& snap, std::size_t row) {
    const Glyphs& g = s.glyphs();
    int name_w = 4;
    for (const auto& c : snap.columns)
        name_w = std::max(name_w, std::min(30, text_width(grid_text(c.name))));
    const auto [page, r] = snap.rows.at(row);
    const int value_w = std::max(10, in.w - name_w - 5);
    for (std::size_t c = 0; c < snap.columns.size() && y < in.y + in.h; ++c) {
        s.put(y, in.x + 1, pad(grid_text(snap.columns[c].name), name_w, g), Role::accent, true);
        s.put(y, in.x + 2 + name_w, g.utf8 ? "│" : "|", Role::muted);
        const sql::Cell& cell = page->cell(r, c);
        if (cell.kind == sql::CellKind::Null) {
            s.put(y++, in.x + 4 + name_w, "NULL", Role::muted);
            continue;
        }
        for (const auto& line : wrap(grid_text(page->text(cell)), value_w, in.y + in.h - y, g))
            s.put(y++, in.x + 4 + name_w, line, Role::fg, false, value_w);
    }
}

void draw_sql_result(Painter& p, const Rect& box, const Model& m, const UiState& ui) {
    Screen& s = p.s;
    const Glyphs& g = s.glyphs();
    const SqlModel& q = m.sql;
    const SqlSnapshot& snap = q.snap;
    const std::size_t rows = q.rows();
    const int cursor = rows ? std::clamp(ui.selected[int(View::sql)], 0, int(rows) - 1) : 0;
    Sig sig;
    sig << snap.version << std::uint64_t(rows) << q.filter_for << cursor << ui.sql_column << ui.sql_vertical
        << ui.zoom << q.unavailable;
    if (!p.need(72, box, sig)) return;
    p.hit(box, Panel::sql);
    const int ncol = int(snap.columns.size());
    const int first_col = ncol ? std::clamp(ui.sql_column, 0, ncol - 1) : 0;
    const Rect in = box.inner();
    // The columns that fit from the first one on.
    std::vector<int> shown, widths;
    for (int c = first_col, x = 1; c < ncol; ++c) {
        int w = snap.widths[std::size_t(c)];
        if (x + w > in.w - 1) {
            if (!shown.empty()) break;
            w = std::max(1, in.w - 2);
        }
        shown.push_back(c), widths.push_back(w);
        x += w + 3;
    }
    std::string title = ui.zoom && rows ? fmt::format("Row {} of {}", thousands(cursor + 1.0), thousands(double(rows)))
                        : ui.sql_vertical ? "Records"
                                          : "Result";
    if (ncol > 0 && !ui.zoom && !ui.sql_vertical && int(shown.size()) < ncol)
        title += fmt::format(" {} columns {}-{} of {} (h/l scroll)", g.dot(), first_col + 1, first_col + int(shown.size()), ncol);
    const bool bad = snap.state == SqlState::failed || !q.unavailable.empty();
    s.frame(box, title, bad ? Role::crit : Role::title);
    if (in.empty()) return;
    int y = in.y;
    for (std::size_t i = 0; i < snap.notices.size() && i < 3 && y < in.y + in.h; ++i)
        s.put(y++, in.x + 1, snap.notices[snap.notices.size() - 1 - i], Role::warn, false, in.w - 2);
    if (!snap.error.empty()) {
        // The message, then the statement's line with the caret under the place.
        std::size_t from = 0;
        for (int line = 0; y < in.y + in.h; ++line) {
            const auto nl = snap.error.find('\n', from);
            const std::string text = snap.error.substr(from, nl == std::string::npos ? nl : nl - from);
            s.put(y++, in.x + 1, text, line == 0 ? Role::crit : text.find('^') != std::string::npos ? Role::crit : Role::fg,
                  line == 0, in.w - 2);
            if (nl == std::string::npos) break;
            from = nl + 1;
        }
        if (snap.state != SqlState::cancelled || ncol == 0) return;
        ++y;
    }
    if (ncol == 0) {
        if (snap.state == SqlState::running)
            s.put(y, in.x + 1, "waiting for the first rows…", Role::muted);
        else if (snap.state == SqlState::finished)
            s.put(y, in.x + 1, snap.summary.empty() ? "done: the statement returned no rows" : printable(snap.summary), Role::ok);
        else if (snap.state == SqlState::idle && q.unavailable.empty())
            s.put(y, in.x + 1,
                  "i types a statement, Enter runs it. Esc cancels it on the server, e exports the rows, v shows "
                  "records, / filters the fetched rows, h/l scroll the columns.",
                  Role::muted, false, in.w - 2);
        return;
    }
    if (ui.zoom && rows) {
        draw_sql_record(s, in, y, snap, q.row(std::size_t(cursor)));
        return;
    }
    const int h = in.y + in.h - y;
    if (ui.sql_vertical) {
        int name_w = 4;
        for (const auto& c : snap.columns)
            name_w = std::max(name_w, std::min(30, text_width(grid_text(c.name))));
        const int value_w = std::max(4, in.w - name_w - 5);
        for (std::size_t i = std::size_t(cursor); i < rows && y < in.y + in.h; ++i) {
            const std::string head = fmt::format("-[ RECORD {} ]", i + 1);
            s.put(y++, in.x + 1, head + std::string(std::size_t(std::max(0, in.w - 2 - int(head.size()))), '-'),
                  int(i) == cursor ? Role::accent : Role::muted, int(i) == cursor, in.w - 2);
            const auto [page, r] = snap.rows.at(q.row(i));
            for (int c = 0; c < ncol && y < in.y + in.h; ++c, ++y) {
                s.put(y, in.x + 1, pad(grid_text(snap.columns[std::size_t(c)].name), name_w, g), Role::accent);
                s.put(y, in.x + 2 + name_w, g.utf8 ? "│" : "|", Role::muted);
                const sql::Cell& cell = page->cell(r, std::size_t(c));
                if (cell.kind == sql::CellKind::Null) s.put(y, in.x + 4 + name_w, "NULL", Role::muted);
                else s.put(y, in.x + 4 + name_w, fit(grid_text(page->text(cell)), value_w, g), Role::fg);
            }
        }
        return;
    }
    // The grid: a header, a rule, then the rows from the first one on screen.
    const char* bar_glyph = g.utf8 ? "│" : "|";
    int x = in.x + 1;
    for (std::size_t i = 0; i < shown.size(); ++i) {
        const auto& col = snap.columns[std::size_t(shown[i])];
        s.put(y, x, pad(grid_text(col.name), widths[i], g, col.numeric), Role::title, true);
        if (i + 1 < shown.size()) s.put(y, x + widths[i] + 1, bar_glyph, Role::muted);
        x += widths[i] + 3;
    }
    ++y;
    std::string rule;
    for (std::size_t i = 0; i < shown.size(); ++i) {
        for (int k = 0; k < widths[i] + 2; ++k)
            rule += g.utf8 ? "─" : "-";
        if (i + 1 < shown.size()) rule += g.utf8 ? "┼" : "+";
    }
    s.put(y++, in.x, rule, Role::muted, false, in.w);
    const int page_h = std::max(1, h - 2);
    int& top = p.f.sql_top;
    if (cursor < top) top = cursor;
    if (cursor >= top + page_h) top = cursor - page_h + 1;
    top = std::clamp(top, 0, std::max(0, int(rows) - page_h));
    if (rows == 0) {
        s.put(y, in.x + 1, q.filter_for.empty() ? "(no rows)" : "no fetched row matches the filter", Role::muted);
        return;
    }
    for (int i = 0; i < page_h && std::size_t(top + i) < rows; ++i, ++y) {
        const bool sel = top + i == cursor;
        const auto [page, r] = snap.rows.at(q.row(std::size_t(top + i)));
        if (sel) s.fill_row(y, in.x, in.w, Role::selection);
        p.hit(Rect{y, in.x, 1, in.w}, Panel::sql, top + i);
        x = in.x + 1;
        for (std::size_t k = 0; k < shown.size(); ++k) {
            const int c = shown[k];
            const bool numeric = snap.columns[std::size_t(c)].numeric;
            const sql::Cell& cell = page->cell(r, std::size_t(c));
            if (cell.kind == sql::CellKind::Null)
                s.put(y, x + (numeric ? widths[k] - 4 : 0), "NULL", sel ? Role::selection : Role::muted, false,
                      widths[k]);
            else
                s.put(y, x, pad(grid_text(page->text(cell)), widths[k], g, numeric), sel ? Role::selection : Role::fg);
            if (k + 1 < shown.size()) s.put(y, x + widths[k] + 1, bar_glyph, sel ? Role::selection : Role::muted);
            x += widths[k] + 3;
        }
    }
}

void draw_sql(Painter& p, const Rect& body, const Model& m, const UiState& ui, std::int64_t now) {
    Screen& s = p.s;
    const SqlSnapshot& snap = m.sql.snap;
    Sig sig;
    sig << snap.statement << snap.engine << snap.where << ui.sql_editing;
    if (p.need(70, Rect{body.y, 0, 1, s.cols()}, sig) && !ui.sql_editing) {
        // The editor draws itself here while it is open.
        const std::string prompt = sql_prompt(snap);
        s.put(body.y, 0, prompt, Role::accent, true);
        const int px = text_width(prompt);
        if (snap.statement.empty())
            s.put(body.y, px, "(i types a statement)", Role::muted);
        else
            s.put(body.y, px, one_line(snap.statement), Role::fg, false, s.cols() - px - 1);
    }
    draw_sql_status(p, body.y + 1, m, now);
    draw_sql_result(p, Rect{body.y + 2, 0, body.h - 2, s.cols()}, m, ui);
}

// ---- log ------------------------------------------------------------------------------

void draw_log(Painter& p, const Rect& r, const Model& m, const UiState& ui) {
    Screen& s = p.s;
    const Glyphs& g = s.glyphs();
    Sig sig;
    sig << std::uint64_t(m.log.size()) << (m.log.empty() ? std::int64_t(0) : m.log.back().ms)
        << (m.log.empty() ? std::string() : m.log.back().text) << ui.filter << ui.scroll;
    if (!p.need(60, r, sig)) return;
    p.hit(r, Panel::log);
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

// Every key and command from the registry, with the keys as bound now; the rows that do
// not fit are cut with a note.
void draw_help(Screen& s, const UiState& ui) {
    const Glyphs& g = s.glyphs();
    const auto& rows = ui.help_rows;
    const int w = std::min(s.cols() - 4, 116);
    const int h = std::min(int(rows.size()) + 4, s.rows() - 2);
    const Rect r{(s.rows() - h) / 2, (s.cols() - w) / 2, h, w};
    for (int y = r.y; y < r.y + r.h; ++y)
        s.fill_row(y, r.x, r.w, Role::bg);
    s.frame(r, "Keys and commands " + std::string(g.dot()) + " any key closes");
    int kw = 8;
    for (const auto& [k, v] : rows)
        kw = std::max(kw, std::min(26, text_width(k)));
    int y = r.y + 2;
    for (std::size_t i = 0; i < rows.size() && y < r.y + r.h - 1; ++i, ++y) {
        if (y == r.y + r.h - 2 && i + 1 < rows.size()) {
            s.put(y, r.x + 2, fmt::format("… {} more in man ebapctl (CONSOLE)", rows.size() - i), Role::muted);
            break;
        }
        s.put(y, r.x + 2, pad(rows[i].first, kw, g), Role::accent, true);
        s.put(y, r.x + 4 + kw, rows[i].second, Role::fg, false, r.w - 6 - kw);
    }
}

} // namespace

std::string sql_prompt(const SqlSnapshot& s) {
    return (s.engine.empty() ? std::string("sql") : s.engine) + (s.where.empty() ? "" : ":" + printable(s.where)) + "> ";
}

void filter_sql_rows(SqlModel& m, const std::string& filter) {
    const std::string f = filter == "!" ? "" : filter;
    if (f != m.filter_for || m.snap.serial != m.serial_for || m.scanned > m.snap.rows.count) {
        m.shown.clear();
        m.scanned = 0;
        m.filter_for = f;
        m.serial_for = m.snap.serial;
    }
    if (f.empty()) {
        m.scanned = m.snap.rows.count;
        return;
    }
    const RowMatcher match(f);
    const auto& rows = m.snap.rows;
    for (std::size_t pi = 0; pi < rows.pages.size(); ++pi) {
        const sql::RowPage& page = *rows.pages[pi];
        const std::size_t start = rows.starts[pi];
        if (start + page.rows() <= m.scanned) continue;
        for (std::size_t r = m.scanned > start ? m.scanned - start : 0; r < page.rows(); ++r) {
            bool any = false;
            for (std::size_t c = 0; c < page.columns() && !any; ++c) {
                const sql::Cell& cell = page.cell(r, c);
                any = match.hit(cell.kind == sql::CellKind::Null ? std::string_view("NULL") : page.text(cell));
            }
            if (any != match.invert) m.shown.push_back(std::uint32_t(start + r));
        }
    }
    m.scanned = rows.count;
}

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
    case View::sql:
        return "sql";
    case View::log:
        return "log";
    }
    return "overview";
}

std::vector<std::string> shown_names(const Model& m, const UiState& ui, View v) {
    std::vector<std::string> out;
    if (v == View::services)
        for (auto* svc : services_shown(m, ui))
            out.push_back(svc->name);
    if (v == View::lag)
        for (auto* gr : groups_shown(m, ui))
            out.push_back(gr->lag.group);
    if (v == View::geo)
        for (auto* r : regions_shown(m, ui))
            out.push_back(r->region);
    return out;
}

Sources sources_of(View v) {
    switch (v) {
    case View::overview:
        return {true, true, true, true};
    case View::services:
        return {true, false, false, false};
    case View::lag:
        return {false, true, false, true};
    case View::kpi:
    case View::geo:
        return {false, false, true, false};
    case View::workers:
        return {false, false, false, true};
    case View::sql:
    case View::log:
        break;
    }
    return {};
}

const Hit* Frame::at(int y, int x) const {
    const Hit* best = nullptr;
    for (const auto& [id, list] : hits)
        for (const auto& h : list)
            if (y >= h.r.y && y < h.r.y + h.r.h && x >= h.r.x && x < h.r.x + h.r.w &&
                (!best || h.r.h * h.r.w < best->r.h * best->r.w))
                best = &h;
    return best;
}

void draw(Screen& s, const Model& m, const UiState& ui, std::int64_t now, Frame& frame) {
    const int rows = s.rows(), cols = s.cols();
    // What every widget reads besides its own data: when it changes, all redraw.
    Sig layout;
    layout << rows << cols << int(ui.view) << ui.help << ui.zoom << ui.focus << std::uint64_t(s.theme_version())
           << std::uint64_t(m.gauges.size()) << std::uint64_t(m.health ? m.health->data.services.size() : 0)
           << std::uint64_t(m.lag ? m.lag->data.groups.size() : 0);
    const bool fresh = layout.h != frame.layout || ui.help;
    if (fresh) {
        s.clear();
        frame.sig.clear();
        frame.hits.clear();
        frame.layout = layout.h;
    }
    frame.drawn = 0;
    Painter p{s, frame, fresh};
    if (cols < kMinCols || rows < kMinRows) {
        if (fresh) {
            const std::string msg =
                fmt::format("ebapctl needs at least {}x{} (this is {}x{})", kMinCols, kMinRows, cols, rows);
            s.put(rows / 2, std::max(0, (cols - text_width(msg)) / 2), msg, Role::warn, true);
        }
        frame.rects.clear();
        return;
    }
    draw_header(p, m, now);
    const Rect body{1, 0, rows - 2, cols};
    const Panel focus = kOverviewPanels[std::clamp(ui.focus, 0, 3)];
    switch (ui.view) {
    case View::overview: {
        const bool small = rows < 34 || cols < 110;
        if (small) {
            // 80x24: a one-line service summary, KPI meters, the groups, the worst regions.
            draw_service_summary(p, 1, m, now, focus == Panel::services);
            draw_kpi_lines(p, Rect{2, 0, int(m.gauges.size()), cols}, m, focus == Panel::kpi);
            const int y = 3 + int(m.gauges.size());
            const int groups = m.lag ? std::max<int>(1, int(m.lag->data.groups.size())) : 1;
            const int lag_h = std::min(groups, std::max(1, (rows - y - 4) / 2)) + 1;
            draw_lag(p, Rect{y, 0, lag_h, cols}, m, ui, true, focus == Panel::lag);
            draw_regions(p, Rect{y + lag_h, 0, rows - 1 - (y + lag_h), cols}, m, ui, false, focus == Panel::regions);
        } else {
            const std::size_t n = m.health ? m.health->data.services.size() : 1;
            const int svc_cols = cols >= 152 ? 3 : 2;
            const int svc_h = std::min<int>(int((n + svc_cols - 1) / svc_cols) + 2, rows / 3);
            draw_services(p, Rect{1, 0, svc_h, cols}, m, ui, now, false, focus == Panel::services);
            const int kpi_h = std::min(11, std::max(7, (rows - svc_h) / 3));
            draw_kpis(p, Rect{1 + svc_h, 0, kpi_h, cols}, m, focus == Panel::kpi);
            const int y = 1 + svc_h + kpi_h, h = rows - 1 - y;
            const int lw = cols * 52 / 100;
            draw_lag(p, Rect{y, 0, h, lw}, m, ui, false, focus == Panel::lag);
            // The regions, and the world map under them when it has room.
            const Rect regions{y, lw, h, cols - lw};
            const auto worst_first = regions_in_order(m, ui, 0);
            const int table_h = int(worst_first.size()) + 3;
            const auto [mw, mh] = map_size(regions.w - 2, regions.h - table_h - 2);
            if (!worst_first.empty() && mh >= 7 && mw >= 30) {
                draw_regions(p, Rect{regions.y, regions.x, table_h, regions.w}, m, ui, false, focus == Panel::regions);
                draw_map(p, Rect{regions.y + table_h, regions.x, regions.h - table_h, regions.w}, m, ui, worst_first,
                         mw, mh);
            } else {
                draw_regions(p, regions, m, ui, false, focus == Panel::regions);
            }
        }
        break;
    }
    case View::services: {
        if (ui.zoom) {
            draw_service_detail(p, body, m, ui, now);
            break;
        }
        const std::size_t n = m.health ? m.health->data.services.size() : 1;
        const int svc_cols = cols >= 152 ? 3 : cols >= 102 ? 2 : 1;
        const int board_h = std::min<int>(int((n + svc_cols - 1) / svc_cols) + 2, body.h - 9);
        draw_services(p, Rect{body.y, 0, board_h, cols}, m, ui, now, true, false);
        draw_service_detail(p, Rect{body.y + board_h, 0, body.h - board_h, cols}, m, ui, now);
        break;
    }
    case View::lag: {
        if (ui.zoom) {
            draw_partitions(p, body, m, ui);
            break;
        }
        const int n = m.lag ? int(m.lag->data.groups.size()) : 1;
        const int topics = m.lag ? int(m.lag->data.kafka.topics.size()) : 0;
        const int groups_h = std::clamp(n * 2 + 2, 4, body.h / 2);
        // The topics above when the partitions keep at least ten rows.
        const int topics_h = std::min(topics + 3, body.h - groups_h - 12);
        int y = body.y;
        if (topics > 0 && topics_h >= 4) {
            draw_topics(p, Rect{y, 0, topics_h, cols}, m, ui);
            y += topics_h;
        }
        draw_groups(p, Rect{y, 0, groups_h, cols}, m, ui);
        draw_partitions(p, Rect{y + groups_h, 0, body.y + body.h - y - groups_h, cols}, m, ui);
        break;
    }
    case View::kpi: {
        // Large gauges, up to three a row (the last row centred), the lines with the exact
        // values and ten-minute sparklines under them.
        const int n = std::max(1, int(m.gauges.size()));
        const int per_row = std::clamp(cols / 36, 1, 3);
        const int grid_rows = (n + per_row - 1) / per_row;
        const int box_h = std::clamp((body.h - n - 1) / grid_rows, 6, 14);
        const int box_w = cols / per_row;
        const bool stale = !m.kpi || m.kpi->data.now.stale;
        for (int i = 0; i < n && i < int(m.gauges.size()); ++i) {
            const int row = i / per_row, in_row = std::min(per_row, n - row * per_row);
            const int x0 = (cols - in_row * box_w) / 2;
            draw_gauge_box(p, 10 + i, Rect{body.y + row * box_h, x0 + (i % per_row) * box_w, box_h, box_w}, m,
                           m.gauges[std::size_t(i)], stale, false);
        }
        const int y = body.y + grid_rows * box_h + 1;
        if (y + n <= body.y + body.h) draw_kpi_lines(p, Rect{y, 0, body.y + body.h - y, cols}, m, false, true);
        break;
    }
    case View::geo:
        draw_geo(p, body, m, ui);
        break;
    case View::workers:
        draw_workers(p, body, m, ui);
        break;
    case View::sql:
        draw_sql(p, body, m, ui, now);
        break;
    case View::log:
        draw_log(p, body, m, ui);
        break;
    }
    draw_keys(p, ui);
    // A widget that moved, appeared or went away leaves cells no widget owns: start over
    // on a clear screen (a filter that shortens a table moves what is below it).
    if (!fresh && p.placed != frame.rects) {
        frame.invalidate();
        return draw(s, m, ui, now, frame);
    }
    frame.rects = std::move(p.placed);
    if (ui.help) draw_help(s, ui);
}

} // namespace ebap::tui
