#include "pipeline/window/window.hpp"

#include "core/base/error.hpp"

#include <algorithm>
#include <climits>
#include <cmath>
#include <fmt/format.h>

namespace ebap::pipeline {

// ---- latency histogram and health ----

std::size_t latency_bucket(double latency_ms) {
    return static_cast<std::size_t>(
        std::lower_bound(kLatencyBoundsMs.begin(), kLatencyBoundsMs.end(), latency_ms) -
        kLatencyBoundsMs.begin());
}

std::string_view latency_bucket_label(std::size_t bucket) {
    static constexpr std::string_view kLabels[kLatencyBucketCount] = {
        "1",   "2",   "5",    "10",   "20",   "50",   "100",  "200",   "300",
        "500", "750", "1000", "1500", "2000", "3000", "5000", "10000", "inf"};
    return bucket < kLatencyBucketCount ? kLabels[bucket] : std::string_view("inf");
}

std::optional<std::size_t> latency_bucket_of_label(std::string_view label) {
    for (std::size_t i = 0; i < kLatencyBucketCount; ++i)
        if (latency_bucket_label(i) == label) return i;
    return std::nullopt;
}

double percentile_from_buckets(const LatencyCounts& counts, double q) {
    std::int64_t total = 0;
    for (auto c : counts)
        total += c;
    if (total <= 0) return 0;
    // Nearest rank ceil(q * n), 1-based, in integer millionths: 0.95 is not exact in
    // binary and q * n could land a hair above a whole number.
    const std::int64_t q_millionths = std::llround(q * 1e6);
    const std::int64_t rank =
        std::clamp<std::int64_t>((q_millionths * total + 999'999) / 1'000'000, 1, total);
    std::int64_t seen = 0;
    for (std::size_t i = 0; i < kLatencyBoundsMs.size(); ++i) {
        seen += counts[i];
        if (seen >= rank) return kLatencyBoundsMs[i];
    }
    return kLatencyBoundsMs.back();
}

double p95_from_buckets(const LatencyCounts& counts) {
    return percentile_from_buckets(counts, 0.95);
}

std::string_view health(double p95_ms, double error_rate, const HealthThresholds& t) {
    if (p95_ms >= t.p95_crit_ms || error_rate >= t.error_crit) return "crit";
    if (p95_ms >= t.p95_warn_ms || error_rate >= t.error_warn) return "warn";
    return "ok";
}

// ---- delta ----

void UserIdSet::normalize() {
    std::sort(ids_.begin(), ids_.end());
    ids_.erase(std::unique(ids_.begin(), ids_.end()), ids_.end());
    compact_at_ = std::max<std::size_t>(4096, 2 * ids_.size());
}

WindowAggregator::WindowAggregator(std::int64_t watermark_delay_ms)
    : delay_ms_(watermark_delay_ms) {
    if (watermark_delay_ms < 0)
        throw UsageError(
            fmt::format("watermark delay must be >= 0 (worker.watermark_delay_s), got {} ms",
                        watermark_delay_ms));
}

bool WindowAggregator::add(const Event& e, std::string_view region, std::int32_t partition) {
    if (partition < 0) throw Error(fmt::format("invalid Kafka partition {}", partition));
    const auto p = static_cast<std::size_t>(partition);
    if (p >= max_ts_.size()) max_ts_.resize(p + 1, kNoTs);
    std::int64_t& max = max_ts_[p];

    const std::int64_t start = window_start_ms(e.ts_ms);
    if (max != kNoTs && start + kWindowMs <= max - delay_ms_) {
        ++delta_.late_events;
        return false;
    }
    if (e.ts_ms > max) max = e.ts_ms;

    if (!last_window_ || last_window_start_ != start) {
        last_window_ = &delta_.windows[start]; // std::map: the pointer stays valid
        last_window_start_ = start;
    }
    WindowDelta& w = *last_window_;
    const bool purchase = e.type == EventType::purchase;
    ++w.events;
    ++w.by_type[static_cast<std::size_t>(e.type)];
    if (purchase) {
        ++w.purchases;
        w.revenue += e.amount;
    }
    if (e.error) ++w.errors;
    w.users.add(e.user_id);

    if (region.empty()) region = kUnknownRegion;
    auto it = w.regions.find(region);
    if (it == w.regions.end()) it = w.regions.emplace(std::string(region), RegionDelta{}).first;
    RegionDelta& r = it->second;
    ++r.events;
    if (purchase) r.revenue += e.amount;
    if (e.error) ++r.errors;
    if (e.latency_ms >= 0) ++r.latency[latency_bucket(e.latency_ms)];
    r.users.add(e.user_id);

    // Floor division: epoch seconds of event time.
    const std::int64_t sec = e.ts_ms / 1000 - (e.ts_ms % 1000 < 0 ? 1 : 0);
    if (!last_second_ || last_second_key_ != sec) {
        last_second_ = &delta_.events_per_second[sec];
        last_second_key_ = sec;
    }
    ++*last_second_;
    ++delta_.events;
    return true;
}

std::optional<std::int64_t> WindowAggregator::max_ts(std::int32_t partition) const {
    if (partition < 0 || static_cast<std::size_t>(partition) >= max_ts_.size()) return {};
    const std::int64_t v = max_ts_[static_cast<std::size_t>(partition)];
    return v == kNoTs ? std::nullopt : std::optional<std::int64_t>(v);
}

void WindowAggregator::set_max_ts(std::int32_t partition, std::optional<std::int64_t> ts) {
    if (partition < 0) throw Error(fmt::format("invalid Kafka partition {}", partition));
    const auto p = static_cast<std::size_t>(partition);
    if (p >= max_ts_.size()) max_ts_.resize(p + 1, kNoTs);
    max_ts_[p] = ts.value_or(kNoTs);
}

std::map<std::int32_t, std::int64_t> WindowAggregator::max_ts_all() const {
    std::map<std::int32_t, std::int64_t> out;
    for (std::size_t p = 0; p < max_ts_.size(); ++p)
        if (max_ts_[p] != kNoTs) out.emplace(static_cast<std::int32_t>(p), max_ts_[p]);
    return out;
}

std::optional<std::int64_t> WindowAggregator::watermark_ms(std::int32_t partition) const {
    const auto m = max_ts(partition);
    if (!m) return std::nullopt;
    return *m - delay_ms_;
}

std::optional<std::int64_t> WindowAggregator::watermark_ms() const {
    std::optional<std::int64_t> out;
    for (const std::int64_t m : max_ts_)
        if (m != kNoTs && (!out || m - delay_ms_ > *out)) out = m - delay_ms_;
    return out;
}

BatchDelta WindowAggregator::take() {
    for (auto& [start, w] : delta_.windows) {
        w.users.normalize();
        for (auto& [name, r] : w.regions)
            r.users.normalize();
    }
    BatchDelta out = std::move(delta_);
    delta_ = BatchDelta{};
    last_window_ = nullptr;
    last_second_ = nullptr;
    return out;
}

} // namespace ebap::pipeline
