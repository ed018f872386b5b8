#pragma once
// Event-time windows of one consumer thread (docs/ARCHITECTURE.md, "Per-partition watermark"): 1-minute
// tumbling windows, a watermark per partition, and the aggregate DELTA since the last
// flush. Windows themselves live in Redis; this holds one batch.
#include "pipeline/decode/event.hpp"

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ebap::pipeline {

inline constexpr std::int64_t kWindowMs = 60'000;

// Start of the 1-minute window holding ts (floor, also for negative ts).
constexpr std::int64_t window_start_ms(std::int64_t ts) {
    const std::int64_t r = ts % kWindowMs;
    return ts - (r < 0 ? r + kWindowMs : r);
}

// Region used when neither the event nor the user's profile names one.
inline constexpr std::string_view kUnknownRegion = "unknown";

// ---- latency histogram ----
// Fixed upper bounds (ms, inclusive): bucket i holds (bound[i-1], bound[i]]; the last
// bucket holds everything above 10 s. Fixed so histograms from every worker and every
// flush merge by plain addition in Redis (fields lat:<label>).
inline constexpr std::array<double, 17> kLatencyBoundsMs = {
    1, 2, 5, 10, 20, 50, 100, 200, 300, 500, 750, 1000, 1500, 2000, 3000, 5000, 10000};
inline constexpr std::size_t kLatencyBucketCount = kLatencyBoundsMs.size() + 1;
using LatencyCounts = std::array<std::int64_t, kLatencyBucketCount>;

std::size_t latency_bucket(double latency_ms);
// "1", "2", …, "10000", "inf": the Redis field suffix of a bucket.
std::string_view latency_bucket_label(std::size_t bucket);
// Index of a label, for readers of Redis hashes; nullopt when unknown.
std::optional<std::size_t> latency_bucket_of_label(std::string_view label);

// The q-quantile (0 < q <= 1) by nearest rank, rounded UP to its bucket's upper bound:
// the smallest bound b such that at least ceil(q * n) samples are <= b. So the exact
// percentile of the samples lies in that bucket, and the value returned is never below
// it. The overflow bucket reports the last finite bound (10000 ms, read "10 s or more")
// so the number stays finite in JSON and Redis. 0 when there are no samples.
double percentile_from_buckets(const LatencyCounts& counts, double q);
double p95_from_buckets(const LatencyCounts& counts);

// worker.p95_warn_ms / p95_crit_ms / error_warn / error_crit (defaults as in config).
struct HealthThresholds {
    double p95_warn_ms = 500;
    double p95_crit_ms = 1500;
    double error_warn = 0.02;
    double error_crit = 0.10;
};
// "crit" when p95 or the error rate reaches its crit threshold, else "warn" when either
// reaches its warn threshold, else "ok". Thresholds are inclusive (>=).
std::string_view health(double p95_ms, double error_rate, const HealthThresholds& t);

// ---- the delta ----

// User ids to PFADD: appended as they come, deduplicated in bulk (cheaper than a hash
// set per event). ids() is sorted and distinct once normalize() ran (take() does).
class UserIdSet {
  public:
    void add(std::int64_t id) {
        if (!ids_.empty() && ids_.back() == id) return; // the same user's burst
        ids_.push_back(id);
        if (ids_.size() >= compact_at_) normalize();
    }
    void normalize();
    const std::vector<std::int64_t>& ids() const { return ids_; }

  private:
    std::vector<std::int64_t> ids_;
    std::size_t compact_at_ = 4096;
};

struct RegionDelta {
    std::int64_t events = 0, errors = 0;
    double revenue = 0;
    LatencyCounts latency{}; // only events that carry latency_ms
    UserIdSet users;
};

struct WindowDelta {
    std::int64_t events = 0, purchases = 0, errors = 0;
    double revenue = 0;
    std::array<std::int64_t, kEventTypeCount> by_type{}; // index: EventType
    UserIdSet users;
    std::map<std::string, RegionDelta, std::less<>> regions;
};

struct BatchDelta {
    std::map<std::int64_t, WindowDelta> windows;            // key: window start ms
    std::map<std::int64_t, std::int64_t> events_per_second; // key: event-time epoch second
    std::int64_t events = 0;                                // counted (not late)
    std::int64_t late_events = 0;                           // dropped by the watermark rule
    std::int64_t dlq_events = 0;                            // sent to the DLQ (count_dlq)
    bool empty() const { return events == 0 && late_events == 0 && dlq_events == 0; }
};

// One per consumer thread; not thread-safe.
class WindowAggregator {
  public:
    explicit WindowAggregator(std::int64_t watermark_delay_ms = 600'000);

    // Counts e in region (empty: kUnknownRegion) unless it is late: its window ends at or
    // before the partition's watermark (max ts seen on that partition before e, minus the
    // delay). Returns false for a late event (counted in late_events only). Then e's ts
    // advances the partition's max ts, which never decreases here.
    bool add(const Event& e, std::string_view region, std::int32_t partition);
    void count_dlq(std::int64_t n = 1) { delta_.dlq_events += n; }

    // Per-partition max event time: what Redis stores beside the offset. set_max_ts
    // overwrites (restore on assignment; nullopt forgets the partition).
    std::optional<std::int64_t> max_ts(std::int32_t partition) const;
    void set_max_ts(std::int32_t partition, std::optional<std::int64_t> ts);
    std::map<std::int32_t, std::int64_t> max_ts_all() const;

    std::optional<std::int64_t> watermark_ms(std::int32_t partition) const;
    std::optional<std::int64_t> watermark_ms() const; // max over partitions (reported)
    std::int64_t watermark_delay_ms() const { return delay_ms_; }

    // Moves the delta out (id sets normalized) and starts an empty one; max ts are kept.
    BatchDelta take();
    const BatchDelta& pending() const { return delta_; }

  private:
    static constexpr std::int64_t kNoTs = INT64_MIN;
    std::int64_t delay_ms_;
    std::vector<std::int64_t> max_ts_; // index: partition; kNoTs when never seen
    BatchDelta delta_;
    // Last window and second touched: consecutive events nearly always share them.
    WindowDelta* last_window_ = nullptr;
    std::int64_t last_window_start_ = 0;
    std::int64_t* last_second_ = nullptr;
    std::int64_t last_second_key_ = 0;
};

} // namespace ebap::pipeline
