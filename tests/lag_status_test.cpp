// The Burrow-style evaluator over hand-built round series. The scenarios are the
// cases of LinkedIn Burrow's evaluator (core/internal/evaluator/caching.go: rule
// order STOP, REWIND, zero lag, STALL, WARN since linkedin/Burrow#292 and #716)
// and of its wiki page "Consumer Lag Evaluation Rules", replayed as an offset
// reader sees them: one reading per round, commits only where the committed
// offset moved. Every expected value below is worked out by hand.
#include "core/kafka/lag_status.hpp"

#include <gtest/gtest.h>

using namespace ebap;

namespace {

const TopicPartition kP0{"t", 0};
const TopicPartition kP1{"t", 1};
constexpr int64_t kT0 = 1'700'000'000'000;

// Rounds at explicit seconds after kT0.
struct Feed {
    LagHistory history;
    explicit Feed(std::size_t window) : history(window) {}
    void round(double s, int64_t high, int64_t committed, const TopicPartition& key = kP0) {
        history.add(key, Round{at(s), high, committed});
    }
    static int64_t at(double s) { return kT0 + static_cast<int64_t>(s * 1000); }
    PartitionVerdict eval(const LagRules& r, double now_s, const TopicPartition& key = kP0,
                          int members = -1, int64_t low = 0) const {
        return evaluate_partition(*history.window(key), {key, "", low}, at(now_s), r,
                                  {members, false});
    }
    GroupVerdict group(const LagRules& r, double now_s, std::vector<PartitionInput> parts,
                       int members = -1) const {
        return evaluate_group(history, parts, at(now_s), r, members);
    }
};

LagRules rules(std::size_t window, int64_t stop_after_ms = 300'000, int64_t allowed = 0) {
    return LagRules{window, stop_after_ms, allowed};
}

bool has(const std::string& text, const std::string& part) {
    return text.find(part) != std::string::npos;
}

} // namespace

TEST(LagStatus, NamesInSeverityOrder) {
    EXPECT_STREQ(lag_status_name(LagStatus::Ok), "OK");
    EXPECT_STREQ(lag_status_name(LagStatus::Warn), "WARN");
    EXPECT_STREQ(lag_status_name(LagStatus::Rewind), "REWIND");
    EXPECT_STREQ(lag_status_name(LagStatus::Stall), "STALL");
    EXPECT_STREQ(lag_status_name(LagStatus::Stop), "STOP");
    EXPECT_STREQ(lag_status_name(LagStatus::Err), "ERR");
    EXPECT_LT(LagStatus::Warn, LagStatus::Rewind);
    EXPECT_LT(LagStatus::Stop, LagStatus::Err);
}

TEST(LagStatus, OnlyCommitsThatMoveTheOffsetAreObservations) {
    Feed f(10);
    f.round(0, 100, 40);
    f.round(2, 130, 40); // same offset: a round, not an observation
    f.round(4, 160, 90);
    const PartitionWindow& w = *f.history.window(kP0);
    ASSERT_EQ(w.commits.size(), 2u);
    EXPECT_EQ(w.commits[0].ts_ms, Feed::at(0));
    EXPECT_EQ(w.commits[0].lag, 60);
    EXPECT_EQ(w.commits[1].ts_ms, Feed::at(4));
    EXPECT_EQ(w.commits[1].lag, 70);
    EXPECT_EQ(w.rounds.size(), 3u);
}

TEST(LagStatus, SamplingFasterThanTheConsumerCommitsIsNotAStall) {
    // A collector reading every 2 s beside a consumer committing every 5 s that keeps
    // up with 100 msg/s: most rounds see an unchanged offset while lag > 0.
    Feed f(10);
    for (int i = 0; i <= 30; ++i) {
        const double s = 2.0 * i;
        const int64_t high = 1000 + 100 * static_cast<int64_t>(s);
        const int64_t committed = 1000 + 100 * 5 * static_cast<int64_t>(s / 5) - 50;
        f.round(s, high, committed);
        const auto v = f.eval(rules(10), s);
        ASSERT_NE(v.status, LagStatus::Stall) << "round at " << s << " s: " << v.reason;
        ASSERT_NE(v.status, LagStatus::Stop) << "round at " << s << " s: " << v.reason;
        // From the third commit on, the lag at commits (50, 150, 50, ...) decreases
        // somewhere: OK. Before that, 50 -> 150 reads as WARN, as in Burrow.
        if (s >= 10) {
            ASSERT_EQ(v.status, LagStatus::Ok) << "round at " << s << " s: " << v.reason;
        }
    }
}

TEST(LagStatus, StopAdaptsToTheGroupsCommitRate) {
    // Commits every 10 s over 40 s (span 40 s, rounds 10 s apart, slack 2 rounds):
    // silence beyond 60 s is STOP, long before stop_after (300 s).
    Feed f(10);
    // Lag 500, 470, 500, 470, 500 at the commits; the high watermark never comes
    // down to the last commit (900), so no round saw the group caught up.
    for (int i = 0; i <= 4; ++i)
        f.round(10.0 * i, 1000 + 100 * i, 500 + 100 * i + (i % 2) * 30);
    for (int i = 5; i <= 10; ++i)
        f.round(10.0 * i, 1000 + 100 * i, 900); // the consumer is gone
    EXPECT_EQ(f.eval(rules(10), 100).status, LagStatus::Ok) << f.eval(rules(10), 100).reason;
    const auto v = f.eval(rules(10), 100.5);
    EXPECT_EQ(v.status, LagStatus::Stop) << v.reason;
    EXPECT_TRUE(has(v.reason, "no new commit for 1m 00s")) << v.reason;
    EXPECT_TRUE(has(v.reason, "offset 900")) << v.reason;
    EXPECT_TRUE(has(v.reason, "lag is 1100")) << v.reason;
    // stop_after caps the wait: 30 s.
    EXPECT_EQ(f.eval(rules(10, 30'000), 70.5).status, LagStatus::Stop);
    EXPECT_EQ(f.eval(rules(10, 30'000), 70).status, LagStatus::Ok);
}

TEST(LagStatus, OneCommitWaitsForStopAfter) {
    Feed f(10);
    f.round(0, 100, 40);
    f.round(30, 100, 40);
    EXPECT_EQ(f.eval(rules(10, 60'000), 60).status, LagStatus::Ok);
    const auto v = f.eval(rules(10, 60'000), 60.001);
    EXPECT_EQ(v.status, LagStatus::Stop) << v.reason;
}

TEST(LagStatus, StallIsTheStopConditionWithMembersInTheGroup) {
    Feed f(10);
    f.round(0, 100, 40);
    f.round(30, 200, 40);
    const auto v = f.eval(rules(10, 10'000), 30, kP0, /*members=*/2);
    EXPECT_EQ(v.status, LagStatus::Stall) << v.reason;
    EXPECT_TRUE(has(v.reason, "2 members")) << v.reason;
    EXPECT_EQ(f.eval(rules(10, 10'000), 30, kP0, /*members=*/0).status, LagStatus::Stop);
    EXPECT_EQ(f.eval(rules(10, 10'000), 30, kP0, /*unknown*/ -1).status, LagStatus::Stop);
}

TEST(LagStatus, ConsumerThatDiesRightAfterCatchingUpIsStopNotOk) {
    // Burrow #292: zero lag at the last commit used to keep such a partition OK for
    // the whole window. Window of 4: rounds 10 s apart.
    Feed f(4);
    f.round(0, 500, 400);
    f.round(10, 600, 600); // caught up, then dies; producers continue
    f.round(20, 700, 600);
    f.round(30, 800, 600);
    f.round(40, 900, 600);
    // The round at 10 s (high 600 <= committed 600) is still among the last 4:
    // caught up recently, not STOP yet.
    auto v = f.eval(rules(4, 25'000), 40);
    EXPECT_EQ(v.status, LagStatus::Ok) << v.reason;
    f.round(50, 1000, 600); // that round ages out
    v = f.eval(rules(4, 25'000), 50);
    EXPECT_EQ(v.status, LagStatus::Stop) << v.reason;
    EXPECT_TRUE(has(v.reason, "lag is 400")) << v.reason;
}

TEST(LagStatus, RewindIsNamedAndEndsOnceTheOffsetIsPassedAgain) {
    Feed f(10);
    f.round(0, 1200, 1000);
    f.round(5, 1210, 990); // a re-commit during a rebalance
    auto v = f.eval(rules(10), 5);
    EXPECT_EQ(v.status, LagStatus::Rewind) << v.reason;
    EXPECT_TRUE(has(v.reason, "1000 -> 990")) << v.reason;
    f.round(10, 1220, 1100); // past 1000 again: no longer held against the group
    v = f.eval(rules(10), 10);
    EXPECT_EQ(v.status, LagStatus::Ok) << v.reason;
    // Rates start after the rewind: 990 -> 1100 in 5 s is too short; one more commit.
    f.round(15, 1230, 1200);
    v = f.eval(rules(10), 15);
    ASSERT_TRUE(v.consume_rate);
    EXPECT_NEAR(*v.consume_rate, 21.0, 1e-9); // least squares over (5,990) (10,1100) (15,1200)
}

TEST(LagStatus, RewindComesBeforeZeroLagInTheWindow) {
    Feed f(10);
    f.round(0, 100, 100); // caught up
    f.round(5, 120, 0);   // reset to the earliest offset
    const auto v = f.eval(rules(10), 5);
    EXPECT_EQ(v.status, LagStatus::Rewind) << v.reason;
}

TEST(LagStatus, ZeroLagInsideTheWindowKeepsOk) {
    Feed f(10);
    f.round(0, 100, 100);
    f.round(5, 150, 110);
    f.round(10, 200, 120);
    EXPECT_EQ(f.eval(rules(10), 10).status, LagStatus::Ok);
    EXPECT_TRUE(has(f.eval(rules(10), 10).reason, "caught up within the window"));
}

TEST(LagStatus, WarnWhenLagNeverDecreasesFlatIncluded) {
    Feed f(10);
    f.round(0, 100, 50);   // lag 50
    f.round(5, 160, 110);  // lag 50 (flat)
    f.round(10, 230, 170); // lag 60
    auto v = f.eval(rules(10), 10);
    EXPECT_EQ(v.status, LagStatus::Warn) << v.reason;
    EXPECT_TRUE(has(v.reason, "over 3 commits (50 -> 60)")) << v.reason;
    Feed flat(10);
    flat.round(0, 100, 50);
    flat.round(5, 200, 150);
    EXPECT_EQ(flat.eval(rules(10), 5).status, LagStatus::Warn);
    // Under allowed_lag, a steady trail is OK.
    EXPECT_EQ(flat.eval(rules(10, 300'000, 50), 5).status, LagStatus::Ok);
    EXPECT_EQ(flat.eval(rules(10, 300'000, 49), 5).status, LagStatus::Warn);
}

TEST(LagStatus, OkWhenLagDecreasesSomewhere) {
    Feed f(10);
    f.round(0, 100, 50);   // lag 50
    f.round(5, 160, 130);  // lag 30
    f.round(10, 230, 180); // lag 50
    EXPECT_EQ(f.eval(rules(10), 10).status, LagStatus::Ok);
}

TEST(LagStatus, OneObservationHasNoTrend) {
    Feed f(10);
    f.round(0, 100, 40);
    const auto v = f.eval(rules(10), 1);
    EXPECT_EQ(v.status, LagStatus::Ok);
    EXPECT_TRUE(has(v.reason, "1 of 10")) << v.reason;
    EXPECT_DOUBLE_EQ(v.complete, 0.1);
    EXPECT_FALSE(v.consume_rate.has_value());
}

TEST(LagStatus, NoCommitIsShownAsSuchNotAsErr) {
    Feed f(10);
    f.round(0, 25, -1);
    auto v = f.eval(rules(10), 0, kP0, -1, /*low=*/0);
    EXPECT_EQ(v.status, LagStatus::Ok) << v.reason;
    EXPECT_TRUE(v.no_commit);
    EXPECT_EQ(v.lag, -1);
    EXPECT_EQ(v.reason, "no commit yet (25 messages retained)");
    // Committed elsewhere while this partition's log start moved on: data was lost.
    f.round(0, 100, 60, kP1);
    f.round(0, 25, -1, kP0);
    auto g = f.group(rules(10), 0, {{kP0, "", 5}, {kP1, "", 0}});
    EXPECT_EQ(g.partitions[0].status, LagStatus::Err) << g.partitions[0].reason;
    EXPECT_TRUE(has(g.partitions[0].reason, "log start moved to 5")) << g.partitions[0].reason;
    EXPECT_EQ(g.total_lag, 40); // the partition without a commit adds no lag
}

TEST(LagStatus, CommittedBeforeTheLogStartIsErr) {
    Feed f(10);
    f.round(0, 500, 100);
    const auto v = f.eval(rules(10), 0, kP0, -1, /*low=*/300);
    EXPECT_EQ(v.status, LagStatus::Err);
    EXPECT_TRUE(has(v.reason, "200 messages were deleted unread")) << v.reason;
}

TEST(LagStatus, FetchErrorIsErr) {
    Feed f(10);
    f.round(0, 100, 100);
    const auto v =
        evaluate_partition(*f.history.window(kP0), {kP0, "timed out", 0}, Feed::at(0), rules(10));
    EXPECT_EQ(v.status, LagStatus::Err);
    EXPECT_TRUE(has(v.reason, "timed out"));
}

TEST(LagStatus, HighWatermarkGoingBackRestartsTheWindow) {
    Feed f(10);
    f.round(0, 100, 40);
    f.round(5, 120, 60);
    f.round(10, 10, 5); // recreated topic: old history no longer describes it
    const auto& w = *f.history.window(kP0);
    ASSERT_EQ(w.commits.size(), 1u);
    ASSERT_EQ(w.rounds.size(), 1u);
    EXPECT_EQ(w.rounds.back().high, 10);
}

TEST(LagStatus, RatesNeedAMinimumSpan) {
    Feed f(10);
    f.round(0, 1000, 0);
    f.round(4.999, 1000, 500);
    EXPECT_FALSE(f.eval(rules(10), 5).consume_rate.has_value());
    Feed g(10);
    g.round(0, 1000, 0);
    g.round(5, 1000, 500);
    const auto v = g.eval(rules(10), 5);
    ASSERT_TRUE(v.consume_rate && v.drain_rate);
    EXPECT_DOUBLE_EQ(*v.consume_rate, 100.0);
    EXPECT_DOUBLE_EQ(*v.drain_rate, 100.0); // lag 1000 -> 500 in 5 s
}

TEST(LagStatus, TimeToDrainIsTheSlowestPartitionsNotTheSums) {
    // p0: lag 2000 -> 1000 over 10 s (100/s); p1: lag 1010 -> 1000 over 10 s (1/s).
    // Sum over sum would read 2000 / 101 = 19.8 s; the slow partition needs 1000 s.
    Feed f(10);
    f.round(0, 3000, 1000, kP0);
    f.round(0, 2010, 1000, kP1);
    f.round(10, 3000, 2000, kP0);
    f.round(10, 2010, 1010, kP1);
    const auto g = f.group(rules(10), 10, {{kP0, "", 0}, {kP1, "", 0}});
    EXPECT_EQ(g.status, LagStatus::Ok) << g.reason;
    EXPECT_EQ(g.total_lag, 2000);
    EXPECT_EQ(g.drain, Drain::Estimate);
    ASSERT_TRUE(g.drain_seconds);
    EXPECT_DOUBLE_EQ(*g.drain_seconds, 1000.0);
    ASSERT_TRUE(g.consume_rate);
    EXPECT_DOUBLE_EQ(*g.consume_rate, 101.0);
}

TEST(LagStatus, OneLaggingPartitionThatDoesNotDrainMeansNever) {
    Feed f(10);
    f.round(0, 3000, 1000, kP0); // draining 100/s
    f.round(0, 2000, 1000, kP1); // lag grows 1000 -> 1500
    f.round(10, 3000, 2000, kP0);
    f.round(10, 2600, 1100, kP1);
    const auto g = f.group(rules(10), 10, {{kP0, "", 0}, {kP1, "", 0}});
    EXPECT_EQ(g.drain, Drain::Never);
    EXPECT_FALSE(g.drain_seconds);
}

TEST(LagStatus, DrainIsUnknownBeforeATrendAndDoneWithoutLag) {
    Feed one(10);
    one.round(0, 100, 50);
    EXPECT_EQ(one.group(rules(10), 0, {{kP0, "", 0}}).drain, Drain::Unknown);
    Feed done(10);
    done.round(0, 100, 100);
    const auto d = done.group(rules(10), 0, {{kP0, "", 0}});
    EXPECT_EQ(d.drain, Drain::Done);
    EXPECT_EQ(d.drain_seconds, 0.0);
}

TEST(LagStatus, SmallSteadyLagIsCurrentOnlyWhileNothingIsStopped) {
    // Consuming 20 msg/s as fast as produced, 50 behind (2.5 s of consumption).
    Feed f(10);
    f.round(0, 1000, 950);
    f.round(5, 1100, 1050);
    f.round(10, 1200, 1150);
    auto g = f.group(rules(10), 10, {{kP0, "", 0}});
    EXPECT_EQ(g.status, LagStatus::Warn) << g.reason; // flat lag, allowed_lag 0
    EXPECT_EQ(g.drain, Drain::KeepingUp);
    // The same trail 400 behind (20 s of consumption) is a backlog that does not drain.
    Feed behind(10);
    behind.round(0, 1000, 600);
    behind.round(5, 1100, 700);
    behind.round(10, 1200, 800);
    EXPECT_EQ(behind.group(rules(10), 10, {{kP0, "", 0}}).drain, Drain::Never);
    // Once the consumer stops, the same trail is never "current". (Window 3, so the
    // rounds that saw the high watermark at or under the last commit age out.)
    Feed stopped(3);
    stopped.round(0, 1000, 950);
    stopped.round(5, 1100, 1050);
    stopped.round(10, 1200, 1150);
    for (int i = 1; i <= 3; ++i)
        stopped.round(10 + 5 * i, 1200 + 100 * i, 1150);
    g = stopped.group(rules(3), 31, {{kP0, "", 0}}); // 21 s quiet > span 10 s + 2 rounds
    EXPECT_EQ(g.status, LagStatus::Stop) << g.reason;
    EXPECT_EQ(g.drain, Drain::Never);
    EXPECT_EQ(stopped.group(rules(3), 30, {{kP0, "", 0}}).status, LagStatus::Warn);
}

TEST(LagStatus, GroupTakesTheWorstPartitionAndReportsCompleteAndMaxlag) {
    Feed f(4);
    f.round(0, 100, 100, kP0);
    f.round(0, 100, 30, kP1);
    f.round(10, 150, 150, kP0);
    f.round(10, 100, 30, kP1);
    auto g = f.group(rules(4, 5'000), 10, {{kP0, "", 0}, {kP1, "", 0}});
    EXPECT_EQ(g.status, LagStatus::Stop) << g.reason;
    EXPECT_EQ(g.partitions[0].status, LagStatus::Ok);
    EXPECT_EQ(g.reason.rfind("t[1]: no new commit", 0), 0u) << g.reason;
    EXPECT_TRUE(has(g.reason, "tentative: 1 of 4 observations")) << g.reason;
    EXPECT_EQ(g.total_lag, 70);
    ASSERT_TRUE(g.maxlag);
    EXPECT_EQ(*g.maxlag, 1u);
    EXPECT_DOUBLE_EQ(g.complete, 0.0);

    auto e = f.group(rules(4), 10, {{kP0, "leader not available", 0}, {kP1, "", 0}});
    EXPECT_EQ(e.status, LagStatus::Err);
    EXPECT_EQ(e.reason.rfind("t[0]: offsets unavailable", 0), 0u) << e.reason;
}

TEST(LagStatus, AFullWindowIsCompleteAndOkNamesTheMaxlag) {
    Feed f(2);
    f.round(0, 100, 50, kP0);
    f.round(0, 100, 90, kP1);
    f.round(5, 200, 180, kP0);
    f.round(5, 200, 195, kP1);
    const auto g = f.group(rules(2), 5, {{kP0, "", 0}, {kP1, "", 0}});
    EXPECT_EQ(g.status, LagStatus::Ok) << g.reason;
    EXPECT_DOUBLE_EQ(g.complete, 1.0);
    EXPECT_EQ(g.reason, "2 partitions OK, lag 25 (max 20 on t[0])");
}

TEST(LagStatus, GroupCountsPartitionsSharingTheWorstStatus) {
    Feed f(10);
    f.round(0, 100, 10, kP0);
    f.round(0, 100, 20, kP1);
    const auto g = f.group(rules(10, 1000), 5, {{kP0, "", 0}, {kP1, "", 0}});
    EXPECT_EQ(g.status, LagStatus::Stop);
    EXPECT_TRUE(has(g.reason, "(+1 more STOP)")) << g.reason;
}

TEST(LagStatus, GroupWithoutPartitionsIsErr) {
    LagHistory h(10);
    const auto g = evaluate_group(h, {}, 0, rules(10));
    EXPECT_EQ(g.status, LagStatus::Err);
    EXPECT_TRUE(has(g.reason, "no committed offsets"));
}

TEST(LagStatus, RetainDropsVanishedPartitions) {
    Feed f(10);
    f.round(0, 10, 5, kP0);
    f.round(0, 10, 5, kP1);
    f.history.retain({kP1});
    EXPECT_EQ(f.history.window(kP0), nullptr);
    EXPECT_NE(f.history.window(kP1), nullptr);
}
