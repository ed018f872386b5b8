// The Burrow-style evaluator over synthetic observation series: every status,
// the window's edges, and the time-to-drain estimate.
#include "core/kafka/lag_status.hpp"

#include <gtest/gtest.h>

using namespace ebap;

namespace {

const TopicPartition kP0{"t", 0};
const TopicPartition kP1{"t", 1};

// One observation every `step_ms`, starting at t0.
struct Series {
    LagHistory history;
    int64_t t0 = 1'700'000'000'000;
    int64_t step_ms = 10'000;
    int n = 0;
    explicit Series(std::size_t window) : history(window) {}
    int64_t add(int64_t high, int64_t committed, const TopicPartition& key = kP0) {
        int64_t ts = t0 + step_ms * n++;
        int64_t lag = committed >= 0 ? high - committed : high;
        history.add(key, Observation{ts, high, committed, lag, 0});
        return ts;
    }
    int64_t last_ts() const { return t0 + step_ms * (n - 1); }
    PartitionVerdict eval(LagRules rules, int64_t now, const TopicPartition& key = kP0) const {
        return evaluate_partition(*history.window(key), now, rules);
    }
};

LagRules rules(std::size_t window, int64_t stop_after_ms = 300'000) {
    return LagRules{window, stop_after_ms};
}

} // namespace

TEST(LagStatus, NamesInSeverityOrder) {
    EXPECT_STREQ(lag_status_name(LagStatus::Ok), "OK");
    EXPECT_STREQ(lag_status_name(LagStatus::Warn), "WARN");
    EXPECT_STREQ(lag_status_name(LagStatus::Stall), "STALL");
    EXPECT_STREQ(lag_status_name(LagStatus::Stop), "STOP");
    EXPECT_STREQ(lag_status_name(LagStatus::Err), "ERR");
    EXPECT_LT(LagStatus::Ok, LagStatus::Warn);
    EXPECT_LT(LagStatus::Stop, LagStatus::Err);
}

TEST(LagStatus, CaughtUpIsOk) {
    Series s(10);
    s.add(100, 50);
    s.add(120, 120);
    auto v = s.eval(rules(10), s.last_ts());
    EXPECT_EQ(v.status, LagStatus::Ok);
    EXPECT_EQ(v.reason, "caught up");
}

TEST(LagStatus, SingleObservationHasNoTrend) {
    Series s(10);
    s.add(100, 40);
    auto v = s.eval(rules(10), s.last_ts() + 1000);
    EXPECT_EQ(v.status, LagStatus::Ok);
    EXPECT_NE(v.reason.find("1 of 10"), std::string::npos) << v.reason;
    EXPECT_FALSE(v.consume_rate.has_value());
}

TEST(LagStatus, ZeroLagInsideWindowKeepsOk) {
    Series s(4);
    s.add(100, 100); // caught up
    s.add(150, 100); // then the consumer stands still
    s.add(200, 100);
    EXPECT_EQ(s.eval(rules(4), s.last_ts()).status, LagStatus::Ok);
    // Once the zero-lag observation slides out of the window, the stall shows.
    s.add(250, 100);
    EXPECT_EQ(s.eval(rules(4), s.last_ts()).status, LagStatus::Ok);
    s.add(300, 100);
    auto v = s.eval(rules(4), s.last_ts());
    EXPECT_EQ(v.status, LagStatus::Stall) << v.reason;
    EXPECT_NE(v.reason.find("4 observations"), std::string::npos) << v.reason;
}

TEST(LagStatus, StallWhenCommittedFrozenWithLag) {
    Series s(10);
    s.add(100, 40);
    s.add(100, 40);
    auto v = s.eval(rules(10), s.last_ts());
    EXPECT_EQ(v.status, LagStatus::Stall);
    EXPECT_NE(v.reason.find("committed offset 40 unchanged"), std::string::npos) << v.reason;
    EXPECT_NE(v.reason.find("lag is 60"), std::string::npos) << v.reason;
}

TEST(LagStatus, StopAfterConfiguredTimeAtTheEdge) {
    Series s(10);
    int64_t first = s.add(100, 40);
    s.add(100, 40);
    auto stop_after = 60'000;
    EXPECT_EQ(s.eval(rules(10, stop_after), first + stop_after - 1).status, LagStatus::Stall);
    auto v = s.eval(rules(10, stop_after), first + stop_after);
    EXPECT_EQ(v.status, LagStatus::Stop) << v.reason;
    EXPECT_NE(v.reason.find("unchanged for"), std::string::npos) << v.reason;
}

TEST(LagStatus, StopRemembersTheLastChangeBeyondTheWindow) {
    // Window of 3 observations 10 s apart spans 20 s; the committed offset has
    // not moved for 60 s, which only the carried `since` knows.
    Series s(3);
    int64_t changed = s.add(100, 40);
    for (int i = 0; i < 6; ++i)
        s.add(100, 40);
    const ObservationWindow& w = *s.history.window(kP0);
    ASSERT_EQ(w.size(), 3u);
    EXPECT_EQ(w.back().since_ms, changed);
    EXPECT_EQ(s.eval(rules(3, 60'000), s.last_ts()).status, LagStatus::Stop);
    EXPECT_EQ(s.eval(rules(3, 61'000), s.last_ts()).status, LagStatus::Stall);
}

TEST(LagStatus, SinceRestartsWhenCommittedMoves) {
    Series s(10);
    s.add(100, 40);
    int64_t moved = s.add(110, 50);
    s.add(120, 50);
    EXPECT_EQ(s.history.window(kP0)->back().since_ms, moved);
}

TEST(LagStatus, WarnWhenLagNeverShrinksWhileOffsetsMove) {
    Series s(10);
    s.add(100, 50);  // lag 50
    s.add(160, 110); // lag 50 (flat)
    s.add(230, 170); // lag 60
    auto v = s.eval(rules(10), s.last_ts());
    EXPECT_EQ(v.status, LagStatus::Warn) << v.reason;
    EXPECT_NE(v.reason.find("50 -> 60"), std::string::npos) << v.reason;
}

TEST(LagStatus, OkWhenLagShrinksSomewhere) {
    Series s(10);
    s.add(100, 50);  // lag 50
    s.add(160, 130); // lag 30
    s.add(230, 180); // lag 50
    EXPECT_EQ(s.eval(rules(10), s.last_ts()).status, LagStatus::Ok);
}

TEST(LagStatus, ErrWithoutCommitWhileDataWaits) {
    Series s(10);
    s.add(25, -1);
    auto v = s.eval(rules(10), s.last_ts());
    EXPECT_EQ(v.status, LagStatus::Err);
    EXPECT_NE(v.reason.find("no committed offset while 25"), std::string::npos) << v.reason;
    Series empty(10);
    empty.add(0, -1);
    EXPECT_EQ(empty.eval(rules(10), empty.last_ts()).status, LagStatus::Ok);
}

TEST(LagStatus, ErrOnFetchErrorAndOnRewind) {
    Series s(10);
    s.add(100, 100);
    auto v = evaluate_partition(*s.history.window(kP0), s.last_ts(), rules(10), "timed out");
    EXPECT_EQ(v.status, LagStatus::Err);
    EXPECT_NE(v.reason.find("timed out"), std::string::npos);

    Series r(10);
    r.add(100, 80);
    r.add(110, 20);
    auto rw = r.eval(rules(10), r.last_ts());
    EXPECT_EQ(rw.status, LagStatus::Err);
    EXPECT_NE(rw.reason.find("80 -> 20"), std::string::npos) << rw.reason;
}

TEST(LagStatus, WindowOfOneNeverJudgesATrend) {
    Series s(1);
    for (int i = 0; i < 5; ++i)
        s.add(100, 40);
    EXPECT_EQ(s.history.window(kP0)->size(), 1u);
    EXPECT_EQ(s.eval(rules(1), s.last_ts()).status, LagStatus::Ok);
}

TEST(LagStatus, HighWatermarkGoingBackRestartsTheWindow) {
    Series s(10);
    s.add(100, 40);
    s.add(100, 40);
    s.add(10, 5); // recreated topic: old history no longer describes it
    const auto& w = *s.history.window(kP0);
    ASSERT_EQ(w.size(), 1u);
    EXPECT_EQ(w.back().high, 10);
    EXPECT_EQ(s.eval(rules(10), s.last_ts()).status, LagStatus::Ok);
}

TEST(LagStatus, RatesAndDrainEstimate) {
    // 10 s apart: committed 0 -> 100 (10 msg/s), high 100 -> 150, lag 100 -> 50
    // (5 msg/s net), so 50 left drain in 10 s.
    Series s(10);
    s.add(100, 0);
    s.add(150, 100);
    auto v = s.eval(rules(10), s.last_ts());
    ASSERT_TRUE(v.consume_rate && v.drain_rate);
    EXPECT_DOUBLE_EQ(*v.consume_rate, 10.0);
    EXPECT_DOUBLE_EQ(*v.drain_rate, 5.0);
    auto g = evaluate_group(s.history, {{kP0, ""}}, s.last_ts(), rules(10));
    EXPECT_EQ(g.total_lag, 50);
    ASSERT_TRUE(g.drain_seconds);
    EXPECT_DOUBLE_EQ(*g.drain_seconds, 10.0);
    ASSERT_TRUE(g.consume_rate);
    EXPECT_DOUBLE_EQ(*g.consume_rate, 10.0);
}

TEST(LagStatus, NoDrainEstimateWhenLagGrowsOrNoTrend) {
    Series grow(10);
    grow.add(100, 50);
    grow.add(200, 60);
    auto g = evaluate_group(grow.history, {{kP0, ""}}, grow.last_ts(), rules(10));
    EXPECT_EQ(g.total_lag, 140);
    EXPECT_FALSE(g.drain_seconds.has_value());

    Series one(10);
    one.add(100, 50);
    EXPECT_FALSE(evaluate_group(one.history, {{kP0, ""}}, one.last_ts(), rules(10)).drain_seconds);

    Series done(10);
    done.add(100, 100);
    auto d = evaluate_group(done.history, {{kP0, ""}}, done.last_ts(), rules(10));
    ASSERT_TRUE(d.drain_seconds);
    EXPECT_EQ(*d.drain_seconds, 0.0);
}

TEST(LagStatus, SmallSteadyLagOfAStreamingConsumerIsKeepingUp) {
    // Consuming 10 msg/s as fast as produced, 50 behind (5 s of consumption): no backlog.
    Series s(10);
    s.add(1000, 950);
    s.add(1100, 1050);
    auto g = evaluate_group(s.history, {{kP0, ""}}, s.last_ts(), rules(10));
    EXPECT_EQ(g.total_lag, 50);
    EXPECT_FALSE(g.drain_seconds.has_value()); // not shrinking
    EXPECT_TRUE(g.keeping_up);

    // The same rate 200 behind (20 s) is a backlog that does not drain.
    Series behind(10);
    behind.add(1000, 800);
    behind.add(1100, 900);
    g = evaluate_group(behind.history, {{kP0, ""}}, behind.last_ts(), rules(10));
    EXPECT_FALSE(g.keeping_up);

    // No lag is "done", not "keeping up"; no rate known yet is neither.
    Series done(10);
    done.add(100, 100);
    done.add(200, 200);
    EXPECT_FALSE(evaluate_group(done.history, {{kP0, ""}}, done.last_ts(), rules(10)).keeping_up);
    Series one(10);
    one.add(100, 50);
    EXPECT_FALSE(evaluate_group(one.history, {{kP0, ""}}, one.last_ts(), rules(10)).keeping_up);
}

TEST(LagStatus, GroupTakesWorstPartitionAndNamesIt) {
    Series s(10);
    s.add(100, 100, kP0);
    s.add(100, 30, kP1);
    s.n = 1; // same instants for both partitions
    s.add(150, 150, kP0);
    s.add(100, 30, kP1);
    auto g = evaluate_group(s.history, {{kP0, ""}, {kP1, ""}}, s.last_ts(), rules(10));
    EXPECT_EQ(g.status, LagStatus::Stall);
    EXPECT_EQ(g.partitions[0].status, LagStatus::Ok);
    EXPECT_EQ(g.partitions[1].status, LagStatus::Stall);
    EXPECT_EQ(g.reason.rfind("t[1]: ", 0), 0u) << g.reason;
    EXPECT_EQ(g.total_lag, 70);

    auto e = evaluate_group(s.history, {{kP0, "leader not available"}, {kP1, ""}}, s.last_ts(),
                            rules(10));
    EXPECT_EQ(e.status, LagStatus::Err);
    EXPECT_EQ(e.reason.rfind("t[0]: offsets unavailable", 0), 0u) << e.reason;
}

TEST(LagStatus, GroupCountsPartitionsSharingTheWorstStatus) {
    Series s(10);
    s.add(100, 10, kP0);
    s.add(100, 20, kP1);
    s.n = 1;
    s.add(100, 10, kP0);
    s.add(100, 20, kP1);
    auto g = evaluate_group(s.history, {{kP0, ""}, {kP1, ""}}, s.last_ts(), rules(10));
    EXPECT_EQ(g.status, LagStatus::Stall);
    EXPECT_NE(g.reason.find("(+1 more STALL)"), std::string::npos) << g.reason;
}

TEST(LagStatus, GroupWithoutPartitionsIsErr) {
    LagHistory h(10);
    auto g = evaluate_group(h, {}, 0, rules(10));
    EXPECT_EQ(g.status, LagStatus::Err);
    EXPECT_NE(g.reason.find("no committed offsets"), std::string::npos);
}

TEST(LagStatus, RetainDropsVanishedPartitions) {
    Series s(10);
    s.add(10, 5, kP0);
    s.add(10, 5, kP1);
    s.history.retain({kP1});
    EXPECT_EQ(s.history.window(kP0), nullptr);
    EXPECT_NE(s.history.window(kP1), nullptr);
}
