// ebapctl kpi [--series N]: the live KPIs of the hot path (hash <prefix>kpi:now)
// and optionally the last N per-second points of the stream <prefix>ts:kpi.
//   exit 0  the KPIs were read and are fresh
//   exit 3  <prefix>kpi:now is missing, unusable, has no updated_ms, or its
//           updated_ms is older than 10 s (stale); the values are still printed
//   exit 1  Redis is unreachable, times out or refuses AUTH (message names host:port)
//   exit 2  usage
// ebapctl geo: regional health (set <prefix>regions, hashes <prefix>region:<r>).
//   exit 0  the regions were read and none is crit (also when no region is known)
//   exit 3  at least one region's health is crit
//   exit 1  Redis is unreachable, times out or refuses AUTH
//   exit 2  usage
// Unknown values print as "-" in tables and null in --json; the reasons (missing
// key, wrong type, non-numeric field, stale) go to stderr as notes, or into the
// document's "notes" with --json. Rates (error_rate*) are fractions in Redis and
// percentages in tables.
#include "cli/command.hpp"
#include "cli/options.hpp"
#include "cli/views.hpp"
#include "core/collect/kpi_collector.hpp"
#include "core/base/error.hpp"
#include "core/redis/kpi_reader.hpp"
#include "cli/output.hpp"

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <ctime>
#include <memory>

namespace ebap::cli {
namespace {

const char* const kUnknown = "-";

// Integral values (counts, epoch ms) print as JSON integers, the rest as doubles.
nlohmann::json json_number(const std::optional<double>& v) {
    if (!v) return nullptr;
    if (std::floor(*v) == *v && std::fabs(*v) < 9.0e15) return static_cast<std::int64_t>(*v);
    return *v;
}

// Redis holds doubles: anything beyond an int64 of milliseconds is not a date.
std::string utc_time(double epoch_ms) {
    return std::isfinite(epoch_ms) && std::fabs(epoch_ms) < 9.0e15
               ? utc_iso(static_cast<std::int64_t>(epoch_ms))
               : "out of range";
}

// Beyond this a value prints in scientific notation: 1e300 is "1e+300", not 300 digits
// that widen every row of the table.
constexpr double kFixedLimit = 1e12;

std::string fixed(const std::optional<double>& v, int decimals) {
    if (!v) return kUnknown;
    if (std::fabs(*v) >= kFixedLimit) return fmt::format("{:.3g}", *v);
    return fmt::format("{:.{}f}", *v, decimals);
}

// Rates are fractions 0..1 (the reader refuses others) shown as percentages.
std::string percent(const std::optional<double>& v) {
    return v ? fmt::format("{:.2f}", *v * 100) : kUnknown;
}

std::string timestamp(const std::optional<double>& v, std::int64_t skew_after_ms) {
    if (!v) return kUnknown;
    const double ahead = *v - static_cast<double>(now_ms());
    if (ahead > static_cast<double>(skew_after_ms))
        return utc_time(*v) + " (" + future_text(ahead) + ")";
    return utc_time(*v) + " (" + fmt_duration_ms(std::max(0.0, -ahead)) + " ago)";
}

std::string kpi_cell(const std::string& name, const std::optional<double>& v, const KpiNow& k) {
    // The reader judged updated_ms against its threshold: skew is its verdict.
    if (name == "updated_ms" && v && k.clock_skew_ms)
        return utc_time(*v) + " (" + future_text(*k.clock_skew_ms) + ")";
    if (name == "eps" || name == "revenue_1m") return fixed(v, name == "eps" ? 1 : 2);
    if (name == "error_rate_1m") return v ? percent(v) + " %" : kUnknown;
    if (name == "watermark_ms" || name == "updated_ms") return timestamp(v, kKpiStaleAfterMs);
    return fixed(v, 0);
}

void print_notes(const std::vector<std::string>& notes) {
    for (const auto& n : notes)
        std::fprintf(stderr, "ebapctl: note: %s\n", printable(n).c_str());
}

} // namespace

int print_kpi(const collect::KpiData& d, const std::string& prefix, bool json) {
    const KpiNow& k = d.now;
    std::vector<std::string> notes = k.notes;
    notes.insert(notes.end(), d.notes.begin(), d.notes.end());
    const std::vector<KpiPoint>& series = d.series;
    if (json) {
        nlohmann::json kpi = nlohmann::json::object();
        for (const auto& f : kpi_fields())
            kpi[f.name] = json_number(k.*f.member);
        nlohmann::json points = nlohmann::json::array();
        for (const auto& p : series)
            points.push_back({{"ms", p.ms},
                              {"eps", json_number(p.eps)},
                              {"active_users", json_number(p.active_users)}});
        print_json({{"prefix", prefix},
                    {"kpi", kpi},
                    {"present", k.present},
                    {"stale", k.stale},
                    {"age_ms", json_number(k.age_ms)},
                    {"clock_skew_ms", json_number(k.clock_skew_ms)},
                    {"watermark_ahead_ms", json_number(k.watermark_ahead_ms)},
                    {"notes", notes},
                    {"series", points}});
    } else {
        Table t({{"METRIC"}, {"VALUE", Table::Right}});
        for (const auto& f : kpi_fields()) {
            const auto& v = k.*f.member;
            Tone tone = !v                                                 ? Tone::Dim
                        : (std::string(f.name) == "updated_ms" && k.stale) ? Tone::Warn
                        : (std::string(f.name) == "watermark_ms" && k.watermark_ahead_ms)
                            ? Tone::Crit
                            : Tone::Plain;
            t.add({f.name, kpi_cell(f.name, v, k)}, {Tone::Plain, tone});
        }
        print_table(t);
        if (!series.empty()) {
            Table s({{"TIME"}, {"EPS", Table::Right}, {"ACTIVE USERS", Table::Right}});
            for (const auto& p : series)
                s.add({utc_time(static_cast<double>(p.ms)), fixed(p.eps, 1),
                       fixed(p.active_users, 0)});
            std::fputc('\n', stdout);
            print_table(s);
        }
        std::fflush(stdout);
        print_notes(notes);
    }
    return k.present && !k.stale && !k.watermark_ahead_ms ? kExitOk : kExitUnhealthy;
}

int print_geo(const collect::KpiData& d, const std::string& prefix, bool json) {
    std::vector<std::string> notes = d.notes;
    const std::vector<RegionHealth>& regions = d.regions;
    bool any_crit = false;
    for (const auto& r : regions)
        any_crit = any_crit || r.health == "crit";

    if (json) {
        nlohmann::json list = nlohmann::json::array();
        for (const auto& r : regions) {
            nlohmann::json row = {{"region", r.region}, {"health", r.health}};
            for (const auto& f : region_fields())
                row[f.name] = json_number(r.*f.member);
            row["present"] = r.present;
            row["stale"] = r.stale;
            row["age_ms"] = json_number(r.age_ms);
            row["clock_skew_ms"] = json_number(r.clock_skew_ms);
            row["notes"] = r.notes;
            list.push_back(std::move(row));
        }
        print_json({{"prefix", prefix}, {"regions", list}, {"notes", notes}});
    } else {
        Table t({{"REGION"},
                 {"HEALTH"},
                 {"EVENTS/1M", Table::Right},
                 {"ACTIVE USERS", Table::Right},
                 {"REVENUE", Table::Right},
                 {"ERROR %", Table::Right},
                 {"P95 MS", Table::Right},
                 {"AGE", Table::Right}});
        for (const auto& r : regions) {
            std::string age = r.clock_skew_ms ? "in the future"
                              : r.age_ms      ? fmt_duration_ms(*r.age_ms)
                                              : kUnknown;
            t.add({r.region, r.health, fixed(r.events_1m, 0), fixed(r.active_users_1m, 0),
                   fixed(r.revenue_1m, 2), percent(r.error_rate), fixed(r.p95_latency_ms, 0), age},
                  {Tone::Plain, tone_of(r.health), Tone::Plain, Tone::Plain, Tone::Plain,
                   Tone::Plain, Tone::Plain, r.stale ? Tone::Warn : Tone::Plain});
            notes.insert(notes.end(), r.notes.begin(), r.notes.end());
        }
        print_table(t);
        std::fflush(stdout);
        print_notes(notes);
    }
    return any_crit ? kExitUnhealthy : kExitOk;
}

namespace {

int run_kpi(Context& ctx, int series_n) {
    collect::KpiCollector collector(
        ctx.shared_config(), {.now = true, .regions = false, .series = std::size_t(series_n)});
    return print_kpi(collector.collect_once(/*rethrow=*/true)->data, ctx.config().redis_prefix(),
                     ctx.global.json);
}

int run_geo(Context& ctx) {
    collect::KpiCollector collector(ctx.shared_config(),
                                    {.now = false, .regions = true, .series = 0});
    return print_geo(collector.collect_once(/*rethrow=*/true)->data, ctx.config().redis_prefix(),
                     ctx.global.json);
}

} // namespace

CommandDef kpi_command() {
    return {"kpi", "live KPIs from the Redis hot path", false,
            [](CLI::App& sub, Context& ctx) -> Action {
                auto series = std::make_shared<int>(0);
                sub.add_option("--series", *series,
                               "also print the last N per-second points (0-86400)")
                    ->check(integer_range(0, 86400));
                return [&ctx, series] { return run_kpi(ctx, *series); };
            }};
}

CommandDef geo_command() {
    return {"geo", "regional health from the Redis hot path", false,
            [](CLI::App&, Context& ctx) -> Action { return [&ctx] { return run_geo(ctx); }; }};
}

} // namespace ebap::cli
