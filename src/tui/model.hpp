#pragma once
// What the console draws: the collectors' latest snapshots plus the little history the
// UI keeps itself (KPI values per snapshot, group lag per round, the previous region
// reading for trend arrows, the log of state changes). Updated on the UI thread only,
// from snapshots; drawing reads it and never waits on I/O.
#include "core/collect/health_collector.hpp"
#include "core/config/region_coords.hpp"
#include "core/collect/kpi_collector.hpp"
#include "core/collect/lag_collector.hpp"
#include "pipeline/worker/worker_collector.hpp"
#include "tui/sql_session.hpp"

#include <deque>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace ebap::tui {

inline constexpr std::size_t kKpiHistory = 600; // one a second: 10 minutes
inline constexpr std::size_t kLagHistory = 120;
inline constexpr std::size_t kLogLines = 2000;

struct LogLine {
    std::int64_t ms = 0;
    std::string text;
    int tone = 0; // 0 plain, 1 ok, 2 warn, 3 crit
};

// One KPI speedometer: what it reads, its scale and thresholds.
struct KpiGauge {
    std::string title, key; // key: the ebap:kpi:now field
    double lo = 0, hi = 1;
    std::optional<double> warn, crit;
    bool percent = false; // value is a fraction shown as %
    std::optional<double> KpiNow::*member = nullptr;
};

// The SQL view's result as the UI thread holds it: the session's latest snapshot and the
// rows the `/` filter keeps (filtered as rows arrive, not again every frame).
struct SqlModel {
    std::string unavailable; // why not (the engine refused its settings)
    SqlSnapshot snap;
    std::vector<std::uint32_t> shown; // row indexes the filter keeps; all when it is empty
    std::string filter_for;           // the filter `shown` was made with
    std::uint64_t serial_for = 0;     // and the statement
    std::size_t scanned = 0;          // rows looked at so far
    std::size_t rows() const { return filter_for.empty() ? snap.rows.count : shown.size(); }
    std::size_t row(std::size_t i) const { return filter_for.empty() ? i : shown[i]; }
};

struct Model {
    std::string catalog, kafka, redis, postgres;
    collect::Collector<collect::HealthData>::Ptr health;
    collect::Collector<collect::LagData>::Ptr lag;
    collect::Collector<collect::KpiData>::Ptr kpi;
    collect::Collector<pipeline::WorkerData>::Ptr workers;
    std::vector<KpiGauge> gauges;
    std::map<std::string, GeoPoint> region_coords; // where the geo view's map puts a region

    std::map<std::string, std::deque<std::optional<double>>> kpi_history; // by gauge key
    std::map<std::string, std::deque<std::optional<double>>> lag_history; // by group
    std::map<std::string, std::optional<double>> prev_group_lag;
    std::map<std::string, RegionHealth> prev_regions;
    std::map<std::string, std::string> last_state; // "svc:name", "lag:group" -> word
    std::deque<LogLine> log;
    bool readonly = false;
    SqlModel sql;

    // Folds in snapshots newer than the ones seen; true when something changed.
    bool absorb(const collect::Collector<collect::HealthData>::Ptr& h,
                const collect::Collector<collect::LagData>::Ptr& l,
                const collect::Collector<collect::KpiData>::Ptr& k,
                const collect::Collector<pipeline::WorkerData>::Ptr& w);
    void note(std::int64_t ms, std::string text, int tone = 0);
    // Age in ms of the oldest snapshot shown (nullopt before any).
    std::optional<std::int64_t> oldest_ms(std::int64_t now) const;
};

std::vector<KpiGauge> default_gauges(double error_warn, double error_crit);
// console.gauge.KEY = "MIN MAX [WARN [CRIT]]" over the defaults; a bad value is added to
// `problems` with where it came from, and that gauge keeps its default.
void apply_gauge_config(const Config& config, std::vector<KpiGauge>& gauges, std::vector<std::string>* problems);

} // namespace ebap::tui
