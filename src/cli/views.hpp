#pragma once
// The scripted views, each rendering one collector snapshot (a table, or --json): the
// subcommands collect once and call these; `demo --no-console` calls them every refresh.
#include "core/collect/health_collector.hpp"
#include "core/collect/kpi_collector.hpp"
#include "core/collect/lag_collector.hpp"

#include <string>

#include <nlohmann/json.hpp>

namespace ebap::cli {

// `wait` (status --wait: rounds, timed_out, reason) joins the JSON document when given.
void print_health(const collect::HealthData& d, bool json, const nlohmann::json& wait = {});
void print_lag(const collect::LagData& d, bool json);
// Exit statuses as `kpi` and `geo` return them (3: stale KPIs / a region in crit).
int print_kpi(const collect::KpiData& d, const std::string& prefix, bool json);
int print_geo(const collect::KpiData& d, const std::string& prefix, bool json);

} // namespace ebap::cli
