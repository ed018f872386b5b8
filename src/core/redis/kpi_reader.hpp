#pragma once
// Typed reads of the Redis hot-path contract (docs/ARCHITECTURE.md, "Redis hot-path
// contract"). Bad data never throws: a missing key, a key of the wrong type or
// an unparseable field reads as unknown (nullopt) with a note saying why. Only
// an unreachable or refusing server throws ebap::Error (from RedisClient).
#include "core/redis/redis_client.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace ebap {

// Data whose updated_ms is older than this is flagged stale (workers flush every ~1 s).
inline constexpr std::int64_t kKpiStaleAfterMs = 10'000;

// <prefix>kpi:now
struct KpiNow {
    std::optional<double> eps, active_users_1m, purchases_1m, revenue_1m, error_rate_1m,
        late_events, dlq_events, watermark_ms, updated_ms;
    bool present = false;           // the key exists and is a hash
    bool stale = true;              // missing, no updated_ms, or older than the threshold
    std::optional<double> age_ms;   // now - updated_ms (never negative; unknown when skewed)
    // How far updated_ms is ahead of this host's clock, when by more than the stale
    // threshold: clock skew (or a bogus value). Such data is stale, never fresh.
    std::optional<double> clock_skew_ms;
    // The event-time watermark lies ahead of this clock by more than the stale threshold:
    // an event timed in the future moved it (the workers refuse those beyond
    // worker.future_tolerance_s), or the writer's clock runs fast. Every later event of
    // that partition would count as late.
    std::optional<double> watermark_ahead_ms;
    std::vector<std::string> notes; // why something reads as unknown or stale
};

// The fields of KpiNow in contract order, for tables and JSON. A value outside
// [min, max] (a negative count, an error rate of 5) reads as unknown with a note.
struct KpiField {
    const char* name;
    std::optional<double> KpiNow::*member;
    double min = 0, max = 1e308;
};
const std::vector<KpiField>& kpi_fields();

// <prefix>region:<region>, for each name in the set <prefix>regions.
struct RegionHealth {
    std::string region;
    std::string health = "unknown"; // ok, warn, crit or unknown
    std::optional<double> events_1m, active_users_1m, revenue_1m, error_rate, p95_latency_ms,
        window_start_ms, updated_ms;
    bool present = false; // the region's hash exists
    bool stale = true;
    std::optional<double> age_ms;
    std::optional<double> clock_skew_ms; // as KpiNow::clock_skew_ms
    std::vector<std::string> notes;
};

struct RegionField {
    const char* name;
    std::optional<double> RegionHealth::*member;
    double min = 0, max = 1e308;
};
const std::vector<RegionField>& region_fields(); // the numeric fields, contract order

// One entry of the stream <prefix>ts:kpi.
struct KpiPoint {
    std::int64_t ms = 0; // from the entry id "<ms>-<seq>"
    std::optional<double> eps, active_users;
};

class KpiReader {
  public:
    KpiReader(RedisClient& client,
              std::string prefix = "ebap:", std::int64_t stale_after_ms = kKpiStaleAfterMs);

    KpiNow read_kpi_now();
    // Sorted by region name. Notes about the set itself go to *notes when given.
    std::vector<RegionHealth> read_regions(std::vector<std::string>* notes = nullptr);
    // The last n entries, oldest first.
    std::vector<KpiPoint> read_kpi_series(std::size_t n, std::vector<std::string>* notes = nullptr);

    const std::string& prefix() const { return prefix_; }
    std::int64_t stale_after_ms() const { return stale_after_ms_; }

  private:
    RedisClient& client_;
    std::string prefix_;
    std::int64_t stale_after_ms_;
};

// "1h 00m in the future — clock skew?" for a time ahead_ms ahead of this host's clock
// ("far in the future (not a plausible time)" beyond a century).
std::string future_text(double ahead_ms);

// Parses a whole string as a finite number ("12", "3.5", "1e3"); nullopt otherwise.
std::optional<double> parse_number(const std::string& text);

} // namespace ebap
