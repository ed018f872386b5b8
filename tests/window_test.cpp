// WindowAggregator (docs/ARCHITECTURE.md, "Per-partition watermark"): window bounds, the per-partition
// late rule at its exact boundary, take() semantics against a brute-force oracle, and the
// latency histogram / health helpers.
#include "core/base/error.hpp"
#include "pipeline/window/window.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <random>
#include <set>
#include <string>
#include <vector>

namespace ebap::pipeline {
namespace {

constexpr std::int64_t kDelay = 600'000; // the default 10 min

Event event(std::int64_t ts, std::int64_t user = 1, EventType type = EventType::view) {
    Event e;
    e.event_id = "e";
    e.user_id = user;
    e.type = type;
    e.ts_ms = ts;
    return e;
}

TEST(Window, StartIsTheFloorMinute) {
    EXPECT_EQ(window_start_ms(0), 0);
    EXPECT_EQ(window_start_ms(59'999), 0);
    EXPECT_EQ(window_start_ms(60'000), 60'000);
    EXPECT_EQ(window_start_ms(1'718'000'012'345), 1'717'999'980'000); // 2024-06-10T06:13:00Z
    EXPECT_EQ(window_start_ms(-1), -60'000);
    EXPECT_EQ(window_start_ms(-60'000), -60'000);
}

TEST(Window, LateExactlyAtTheBoundary) {
    const std::int64_t w = 1000 * kWindowMs; // a window [w, w + 1 min)
    const std::int64_t end = w + kWindowMs;

    // Watermark == window end: late.
    WindowAggregator agg(kDelay);
    ASSERT_TRUE(agg.add(event(end + kDelay), "r", 0));
    EXPECT_EQ(agg.watermark_ms(0), end);
    EXPECT_FALSE(agg.add(event(w), "r", 0));
    EXPECT_FALSE(agg.add(event(end - 1), "r", 0));
    EXPECT_TRUE(agg.add(event(end), "r", 0)) << "the next window ends after the watermark";

    // Watermark one ms before the window end: counted.
    WindowAggregator agg2(kDelay);
    ASSERT_TRUE(agg2.add(event(end + kDelay - 1), "r", 0));
    EXPECT_EQ(agg2.watermark_ms(0), end - 1);
    EXPECT_TRUE(agg2.add(event(w), "r", 0));
    EXPECT_TRUE(agg2.add(event(end - 1), "r", 0));

    const BatchDelta d = agg.take();
    EXPECT_EQ(d.late_events, 2);
    EXPECT_EQ(d.events, 2);
    EXPECT_EQ(d.windows.count(w), 0u) << "late events leave no trace in their window";
}

TEST(Window, WatermarkIsPerPartitionAndNeverDecreases) {
    WindowAggregator agg(kDelay);
    EXPECT_FALSE(agg.watermark_ms());
    EXPECT_FALSE(agg.watermark_ms(3));
    const std::int64_t t = 5000 * kWindowMs;
    ASSERT_TRUE(agg.add(event(t), "r", 3));
    ASSERT_TRUE(agg.add(event(t - kDelay / 2), "r", 3)); // older but not late
    EXPECT_EQ(agg.max_ts(3), t);
    EXPECT_EQ(agg.watermark_ms(3), t - kDelay);
    // Partition 1 has seen nothing: an event that would be late on 3 counts there.
    EXPECT_FALSE(agg.add(event(t - 2 * kDelay), "r", 3));
    EXPECT_TRUE(agg.add(event(t - 2 * kDelay), "r", 1));
    EXPECT_EQ(agg.watermark_ms(1), t - 3 * kDelay);
    EXPECT_EQ(agg.watermark_ms(), t - kDelay) << "reported: max over partitions";
    EXPECT_EQ(agg.max_ts_all(),
              (std::map<std::int32_t, std::int64_t>{{1, t - 2 * kDelay}, {3, t}}));
    EXPECT_THROW(agg.add(event(t), "r", -1), Error);
}

TEST(Window, RestoredMaxTsClassifiesLikeTheFirstRun) {
    // First run: a partition's records in order; remember each verdict.
    std::mt19937_64 rng(7);
    std::vector<std::int64_t> ts;
    std::int64_t t = 100'000 * kWindowMs;
    for (int i = 0; i < 2000; ++i) {
        t += static_cast<std::int64_t>(rng() % 5000);
        const bool straggler = rng() % 10 == 0;
        ts.push_back(straggler ? t - static_cast<std::int64_t>(rng() % (3 * kDelay)) : t);
    }
    WindowAggregator first(kDelay);
    std::vector<bool> verdict;
    std::optional<std::int64_t> max_at_cut;
    const std::size_t cut = 1234; // a flush boundary: offset and max ts committed together
    for (std::size_t i = 0; i < ts.size(); ++i) {
        if (i == cut) max_at_cut = first.max_ts(0);
        verdict.push_back(first.add(event(ts[i]), "r", 0));
    }
    ASSERT_GT(std::count(verdict.begin(), verdict.end(), false), 0)
        << "the data must have late events";

    // Replay from the cut in a fresh worker with the restored max ts: same verdicts.
    WindowAggregator replay(kDelay);
    replay.set_max_ts(0, max_at_cut);
    EXPECT_EQ(replay.max_ts(0), max_at_cut);
    for (std::size_t i = cut; i < ts.size(); ++i)
        ASSERT_EQ(replay.add(event(ts[i]), "r", 0), verdict[i]) << i;

    // Without the restore the verdicts would differ (the test would catch a lost max).
    WindowAggregator fresh(kDelay);
    bool differs = false;
    for (std::size_t i = cut; i < ts.size(); ++i)
        differs |= fresh.add(event(ts[i]), "r", 0) != verdict[i];
    EXPECT_TRUE(differs);

    replay.set_max_ts(0, std::nullopt);
    EXPECT_FALSE(replay.max_ts(0));
    replay.set_max_ts(0, 5);
    EXPECT_EQ(replay.max_ts(0), 5) << "restore overwrites, even downwards";
}

TEST(Window, TakeMatchesABruteForceOracle) {
    std::mt19937_64 rng(99);
    WindowAggregator agg(kDelay);
    const std::string regions[] = {"eu-west", "us-east", "", "ap-south"};
    struct RegionOracle {
        std::int64_t events = 0, errors = 0;
        double revenue = 0;
        LatencyCounts lat{};
        std::set<std::int64_t> users;
    };
    struct WindowOracle {
        std::int64_t events = 0, purchases = 0, errors = 0;
        double revenue = 0;
        std::array<std::int64_t, kEventTypeCount> by_type{};
        std::set<std::int64_t> users;
        std::map<std::string, RegionOracle> regions;
    };
    std::map<std::int64_t, WindowOracle> windows;
    std::map<std::int64_t, std::int64_t> seconds;
    const std::int64_t t0 = 28'633'333 * kWindowMs;
    for (int i = 0; i < 20'000; ++i) {
        Event e = event(t0 + static_cast<std::int64_t>(rng() % (5 * kWindowMs)),
                        static_cast<std::int64_t>(rng() % 3000),
                        static_cast<EventType>(rng() % kEventTypeCount));
        e.amount = e.type == EventType::purchase ? static_cast<double>(rng() % 10000) / 4 : 0;
        e.latency_ms = rng() % 5 ? static_cast<double>(rng() % 12000) / 3 : -1;
        e.error = e.type == EventType::error || rng() % 50 == 0;
        const std::string& region = regions[rng() % 4];
        ASSERT_TRUE(agg.add(e, region, static_cast<std::int32_t>(rng() % 6)));

        WindowOracle& w = windows[e.ts_ms - e.ts_ms % kWindowMs];
        ++w.events;
        ++w.by_type[static_cast<std::size_t>(e.type)];
        w.purchases += e.type == EventType::purchase;
        w.revenue += e.type == EventType::purchase ? e.amount : 0;
        w.errors += e.error;
        w.users.insert(e.user_id);
        RegionOracle& r = w.regions[region.empty() ? "unknown" : region];
        ++r.events;
        r.errors += e.error;
        r.revenue += e.type == EventType::purchase ? e.amount : 0;
        if (e.latency_ms >= 0) {
            // Oracle bucket by linear scan over the bounds (value <= bound).
            std::size_t b = 0;
            while (b < kLatencyBoundsMs.size() && e.latency_ms > kLatencyBoundsMs[b])
                ++b;
            ++r.lat[b];
        }
        r.users.insert(e.user_id);
        ++seconds[e.ts_ms / 1000];
    }
    agg.count_dlq(3);
    const auto max_before = agg.max_ts_all();
    const BatchDelta d = agg.take();

    EXPECT_EQ(d.events, 20'000);
    EXPECT_EQ(d.late_events, 0);
    EXPECT_EQ(d.dlq_events, 3);
    EXPECT_EQ(d.events_per_second, seconds);
    ASSERT_EQ(d.windows.size(), windows.size());
    for (const auto& [start, ow] : windows) {
        const WindowDelta& w = d.windows.at(start);
        EXPECT_EQ(w.events, ow.events);
        EXPECT_EQ(w.purchases, ow.purchases);
        EXPECT_EQ(w.errors, ow.errors);
        EXPECT_NEAR(w.revenue, ow.revenue, 1e-6);
        EXPECT_EQ(w.by_type, ow.by_type);
        EXPECT_EQ(w.users.ids(), std::vector<std::int64_t>(ow.users.begin(), ow.users.end()));
        ASSERT_EQ(w.regions.size(), ow.regions.size());
        for (const auto& [name, orr] : ow.regions) {
            const RegionDelta& r = w.regions.find(name)->second;
            EXPECT_EQ(r.events, orr.events);
            EXPECT_EQ(r.errors, orr.errors);
            EXPECT_NEAR(r.revenue, orr.revenue, 1e-6);
            EXPECT_EQ(r.latency, orr.lat);
            EXPECT_EQ(r.users.ids(), std::vector<std::int64_t>(orr.users.begin(), orr.users.end()));
        }
    }

    // take() leaves an empty delta and keeps the watermark state.
    EXPECT_TRUE(agg.pending().empty());
    EXPECT_TRUE(agg.pending().windows.empty());
    EXPECT_EQ(agg.max_ts_all(), max_before);
    EXPECT_TRUE(agg.take().empty());
    ASSERT_TRUE(agg.add(event(t0 + 1, 5), "eu-west", 0));
    const BatchDelta next = agg.take();
    EXPECT_EQ(next.events, 1);
    ASSERT_EQ(next.windows.size(), 1u);
    EXPECT_EQ(next.windows.begin()->second.users.ids(), std::vector<std::int64_t>{5});
}

TEST(Window, NegativeDelayIsAConfigError) {
    EXPECT_THROW(WindowAggregator(-1), UsageError);
}

// The bucket an oracle finds by a linear scan over the bounds (value <= bound), for the
// tests that must not take it from latency_bucket itself.
std::size_t oracle_bucket(double ms) {
    std::size_t b = 0;
    while (b < kLatencyBoundsMs.size() && ms > kLatencyBoundsMs[b])
        ++b;
    return b;
}

TEST(Latency, BucketsAndLabels) {
    EXPECT_EQ(latency_bucket(0), 0u);
    EXPECT_EQ(latency_bucket(1), 0u);
    EXPECT_EQ(latency_bucket(1.0001), 1u);
    EXPECT_EQ(latency_bucket(10000), kLatencyBoundsMs.size() - 1);
    EXPECT_EQ(latency_bucket(10000.5), kLatencyBucketCount - 1);
    EXPECT_EQ(latency_bucket(1e9), kLatencyBucketCount - 1);
    // The labels are Redis field names (lat:<label>) every worker and reader shares.
    const std::vector<std::string> want = {"1",    "2",    "5",    "10",   "20",    "50",
                                           "100",  "200",  "300",  "500",  "750",   "1000",
                                           "1500", "2000", "3000", "5000", "10000", "inf"};
    ASSERT_EQ(kLatencyBucketCount, want.size());
    for (std::size_t i = 0; i < kLatencyBucketCount; ++i) {
        EXPECT_EQ(latency_bucket_label(i), want[i]) << i;
        EXPECT_EQ(latency_bucket_of_label(want[i]), i) << want[i];
    }
    EXPECT_FALSE(latency_bucket_of_label("7"));
}

// Nearest-rank percentile of raw samples.
double brute_percentile(std::vector<double> v, double q) {
    std::sort(v.begin(), v.end());
    const auto rank = static_cast<std::size_t>(std::ceil(q * static_cast<double>(v.size()) - 1e-9));
    return v[std::max<std::size_t>(rank, 1) - 1];
}

TEST(Latency, P95FromBucketsBracketsTheTruePercentile) {
    std::mt19937_64 rng(2024);
    for (int trial = 0; trial < 500; ++trial) {
        const std::size_t n = 1 + rng() % 3000;
        // Mixtures: sometimes all inside one bucket, sometimes spread across many.
        const bool one_bucket = trial % 2 == 0;
        const std::size_t b = rng() % kLatencyBoundsMs.size();
        const double lo = b == 0 ? 0 : kLatencyBoundsMs[b - 1];
        const double hi = kLatencyBoundsMs[b];
        std::uniform_real_distribution<double> in_bucket(std::nextafter(lo, hi), hi);
        std::lognormal_distribution<double> spread(4.0, 1.5);
        std::vector<double> samples;
        LatencyCounts counts{};
        for (std::size_t i = 0; i < n; ++i) {
            const double ms = one_bucket ? in_bucket(rng) : spread(rng);
            samples.push_back(ms);
            ++counts[oracle_bucket(ms)];
        }
        const double truth = brute_percentile(samples, 0.95);
        const double p95 = p95_from_buckets(counts);
        if (one_bucket) {
            EXPECT_EQ(p95, hi) << "all samples in (" << lo << ", " << hi << "]";
        }
        const std::size_t tb = oracle_bucket(truth);
        if (tb < kLatencyBoundsMs.size()) {
            EXPECT_EQ(p95, kLatencyBoundsMs[tb]) << "truth " << truth;
            EXPECT_GE(p95, truth);
            EXPECT_LT(tb == 0 ? 0.0 : kLatencyBoundsMs[tb - 1], truth);
        } else {
            EXPECT_EQ(p95, kLatencyBoundsMs.back()) << "overflow reads as the last bound";
        }
    }
}

TEST(Latency, PercentileEdges) {
    LatencyCounts c{};
    EXPECT_EQ(p95_from_buckets(c), 0) << "no samples";
    c[3] = 95; // 95 samples <= 10 ms, 5 samples in (1000, 1500]
    c[12] = 5;
    EXPECT_EQ(p95_from_buckets(c), 10) << "rank 95 of 100 is the last fast sample";
    c[3] = 94;
    c[12] = 6;
    EXPECT_EQ(p95_from_buckets(c), 1500);
    EXPECT_EQ(percentile_from_buckets(c, 0.5), 10);
    EXPECT_EQ(percentile_from_buckets(c, 1.0), 1500);
}

TEST(Health, ThresholdsAreInclusive) {
    const HealthThresholds t{
        .p95_warn_ms = 500, .p95_crit_ms = 1500, .error_warn = 0.02, .error_crit = 0.10};
    EXPECT_EQ(health(0, 0, t), "ok");
    EXPECT_EQ(health(499.9, 0.0199, t), "ok");
    EXPECT_EQ(health(500, 0, t), "warn");
    EXPECT_EQ(health(0, 0.02, t), "warn");
    EXPECT_EQ(health(1499, 0.0999, t), "warn");
    EXPECT_EQ(health(1500, 0, t), "crit");
    EXPECT_EQ(health(0, 0.10, t), "crit");
    EXPECT_EQ(health(600, 0.5, t), "crit") << "the worse of the two wins";
}

TEST(UserIds, DistinctAndSortedAfterNormalize) {
    std::mt19937_64 rng(5);
    UserIdSet set;
    std::set<std::int64_t> oracle;
    for (int i = 0; i < 50'000; ++i) { // crosses the compaction threshold many times
        const auto id = static_cast<std::int64_t>(rng() % 700) - 100;
        set.add(id);
        oracle.insert(id);
    }
    EXPECT_LE(set.ids().size(), 8192u) << "kept compact while adding";
    set.normalize();
    EXPECT_EQ(set.ids(), std::vector<std::int64_t>(oracle.begin(), oracle.end()));
}

} // namespace
} // namespace ebap::pipeline
