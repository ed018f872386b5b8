#include "tui/model.hpp"

#include "core/base/format.hpp"

#include <fmt/format.h>

#include <cmath>
#include <cstdlib>
#include <sstream>

namespace ebap::tui {
namespace {

template <class D>
void push(D& d, std::optional<double> v, std::size_t cap) {
    d.push_back(v);
    while (d.size() > cap)
        d.pop_front();
}

int tone_of_health(Health h) {
    switch (h) {
    case Health::Up:
        return 1;
    case Health::Degraded:
        return 2;
    case Health::Down:
        return 3;
    case Health::Unknown:
        break;
    }
    return 0;
}

} // namespace

std::vector<KpiGauge> default_gauges(double error_warn, double error_crit) {
    return {
        {"events/s", "eps", 0, 10000, 6000, 8500, false, &KpiNow::eps},
        {"active users 1m", "active_users_1m", 0, 2000, std::nullopt, std::nullopt, false,
         &KpiNow::active_users_1m},
        {"purchases/min", "purchases_1m", 0, 300, std::nullopt, std::nullopt, false,
         &KpiNow::purchases_1m},
        {"revenue/min", "revenue_1m", 0, 20000, std::nullopt, std::nullopt, false,
         &KpiNow::revenue_1m},
        {"error rate", "error_rate_1m", 0, std::max(0.05, error_crit * 1.5), error_warn,
         error_crit, true, &KpiNow::error_rate_1m},
    };
}

void apply_gauge_config(const Config& config, std::vector<KpiGauge>& gauges, std::vector<std::string>* problems) {
    for (auto& k : gauges) {
        const std::string key = "console.gauge." + k.key;
        const ConfigValue& v = config.value(key);
        if (v.text.empty()) continue;
        std::istringstream in(v.text);
        std::vector<double> n;
        std::string word;
        bool bad = false;
        while (in >> word) {
            char* end = nullptr;
            const double d = std::strtod(word.c_str(), &end);
            if (*end || !std::isfinite(d)) bad = true;
            n.push_back(d);
        }
        if (bad || n.size() < 2 || n.size() > 4 || !(n[0] < n[1]) || (n.size() > 2 && (n[2] < n[0] || n[2] > n[1])) ||
            (n.size() > 3 && (n[3] < n[2] || n[3] > n[1]))) {
            if (problems)
                problems->push_back(fmt::format("{} ({}): '{}' is not \"MIN MAX [WARN [CRIT]]\" with MIN < MAX and "
                                                "MIN <= WARN <= CRIT <= MAX; the default is used",
                                                key, v.origin, printable(v.text)));
            continue;
        }
        // A fraction shown as % (the error rate) is configured in % too.
        const double unit = k.percent ? 0.01 : 1;
        k.lo = n[0] * unit, k.hi = n[1] * unit;
        k.warn = n.size() > 2 ? std::optional<double>(n[2] * unit) : std::nullopt;
        k.crit = n.size() > 3 ? std::optional<double>(n[3] * unit) : std::nullopt;
    }
}

void Model::note(std::int64_t ms, std::string text, int tone) {
    log.push_back({ms, printable(text), tone});
    while (log.size() > kLogLines)
        log.pop_front();
}

bool Model::absorb(const collect::Collector<collect::HealthData>::Ptr& h,
                   const collect::Collector<collect::LagData>::Ptr& l,
                   const collect::Collector<collect::KpiData>::Ptr& k,
                   const collect::Collector<pipeline::WorkerData>::Ptr& w) {
    bool changed = false;
    if (w && w != workers) {
        changed = true;
        auto& last = last_state["workers"];
        if (last != w->data.state && !(last.empty() && w->data.state == "none")) {
            note(w->taken_ms, "workers " + w->data.state + (w->data.error.empty() ? "" : ": " + w->data.error),
                 w->data.state == "running" ? 1 : w->data.state == "failed" ? 3 : 0);
        }
        last = w->data.state;
        workers = w;
    }
    if (h && h != health) {
        changed = true;
        for (const auto& s : h->data.services) {
            const std::string word = health_name(s.result.state);
            auto& last = last_state["svc:" + s.name];
            if (last != word) {
                note(h->taken_ms,
                     fmt::format("{} {}{}{}", s.name, word, s.result.detail.empty() ? "" : ": ",
                                 s.result.detail),
                     tone_of_health(s.result.state));
                last = word;
            }
        }
        if (!h->error.empty() && (!health || health->error != h->error))
            note(h->error_ms, "health: " + h->error, 3);
        health = h;
    }
    if (l && l != lag) {
        changed = true;
        if (l->taken_ms && (!lag || lag->taken_ms != l->taken_ms)) {
            for (const auto& g : l->data.groups) {
                const std::string word = lag_status_name(g.verdict.status);
                auto& last = last_state["lag:" + g.lag.group];
                if (last != word) {
                    note(l->taken_ms, fmt::format("group {} {}: {}", g.lag.group, word,
                                                  g.verdict.reason),
                         g.verdict.status == LagStatus::Ok ? 1 : g.verdict.status >= LagStatus::Stop ? 3 : 2);
                    last = word;
                }
                auto& hist = lag_history[g.lag.group];
                prev_group_lag[g.lag.group] =
                    hist.empty() ? std::nullopt : hist.back();
                push(hist, double(g.verdict.total_lag), kLagHistory);
            }
        }
        if (!l->error.empty() && (!lag || lag->error != l->error)) note(l->error_ms, "lag: " + l->error, 3);
        lag = l;
    }
    if (k && k != kpi) {
        changed = true;
        if (k->taken_ms && (!kpi || kpi->taken_ms != k->taken_ms)) {
            if (kpi)
                for (const auto& r : kpi->data.regions)
                    prev_regions[r.region] = r;
            for (const auto& g : gauges)
                push(kpi_history[g.key], k->data.now.*(g.member), kKpiHistory);
            for (const auto& r : k->data.regions) {
                auto& last = last_state["region:" + r.region];
                if (last != r.health) {
                    if (!last.empty() || r.health != "ok")
                        note(k->taken_ms, fmt::format("region {} {}", r.region, r.health),
                             r.health == "ok" ? 1 : r.health == "warn" ? 2 : r.health == "crit" ? 3 : 0);
                    last = r.health;
                }
            }
        }
        if (!k->error.empty() && (!kpi || kpi->error != k->error)) note(k->error_ms, "redis: " + k->error, 3);
        kpi = k;
    }
    return changed;
}

std::optional<std::int64_t> Model::oldest_ms(std::int64_t now) const {
    std::optional<std::int64_t> oldest;
    for (std::int64_t t : {health ? health->taken_ms : 0, lag ? lag->taken_ms : 0,
                           kpi ? kpi->taken_ms : 0})
        if (t > 0) oldest = std::max<std::int64_t>(oldest.value_or(0), now - t);
    return oldest;
}

} // namespace ebap::tui
