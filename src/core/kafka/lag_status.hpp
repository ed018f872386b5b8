#pragma once
// Burrow-style consumer-lag evaluation: no lag thresholds, only the trend of a
// window of commits per partition, judged by the rules of LinkedIn Burrow's
// evaluator (core/internal/evaluator/caching.go, and the wiki page "Consumer Lag
// Evaluation Rules") as they stand after linkedin/Burrow#292 and #716. Pure
// logic: kafka_lag feeds each round's offsets, `ebapctl lag` persists the windows
// between runs (lag_store) and the console keeps them in memory.
//
// What is observed. Burrow is sent every commit; we read committed offsets and
// high watermarks once per round. A commit *observation* is kept when the
// committed offset changes, stamped with the round that first saw it (at most
// one round late). A round in which it did not change adds no observation, so
// a collector sampling every 2 s beside a consumer that commits every 5 s holds
// one observation per commit, as Burrow does. Every round's high watermark is
// kept apart (the last `window` rounds): the current lag and the "caught up
// recently" check read it.
//
// Rules, in this order, for each partition:
//   ERR     offsets could not be fetched this round; or the committed offset is
//           before the log start (retention deleted messages the group never read)
//   OK      no commit yet here (shown as such; its lag is unknown, not high - low)
//           unless the group has committed elsewhere and the log start has moved
//           past 0 (messages were deleted before the group read any): ERR
//   OK      current lag <= lag.allowed_lag
//   STOP    no new commit for longer than the window's span (first to last
//           observation, plus two rounds of slack for our sampling), never longer
//           than lag.stop_after_s (the only bound while the window holds one
//           commit), unless a round in the window saw the group caught up
//           (high <= committed): a consumer that dies right after catching up
//           turns STOP once that round ages out, not OK for the whole window
//   STALL   the STOP condition, while the group still has members: the consumer
//           is alive but does not advance. Burrow tells STALL (commits of an
//           unchanged offset) from STOP (no commits); an offset fetch cannot show
//           a repeated commit, so we tell them apart by group membership, and say
//           STOP when membership is unknown.
//   REWIND  the committed offset went backwards in the window and has not yet
//           come back to where it was (1000 -> 990 -> 1100 is no longer a rewind)
//   OK      the lag was <= allowed_lag at some observation in the window
//   OK      one observation so far: no trend yet
//   WARN    the lag never decreases from one observation to the next (flat
//           included): the consumer is too slow for its input
//   OK      otherwise
// The group's status is its worst partition's; see GroupVerdict for the rest.
#include "core/kafka/topic_partition.hpp"
#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace ebap {

// Ordered by severity: a group takes its worst partition's status.
enum class LagStatus { Ok, Warn, Rewind, Stall, Stop, Err };
const char* lag_status_name(LagStatus s); // "OK", "WARN", "REWIND", "STALL", "STOP", "ERR"

struct LagRules {
    std::size_t window = 10;        // lag.window: commit observations kept per partition
    int64_t stop_after_ms = 300000; // lag.stop_after_s: the longest a commit may be awaited
    int64_t allowed_lag = 0;        // lag.allowed_lag: lag at or under this is OK
};

// Rates from fewer milliseconds of commits than this are noise, not a trend.
inline constexpr int64_t kMinRateSpanMs = 5000;

struct Observation { // a committed offset, first seen at ts_ms
    int64_t ts_ms = 0;      // wall clock, epoch ms (windows outlive a process)
    int64_t committed = 0;
    int64_t lag = 0;        // high - committed in the round that saw it
};

struct Round { // one reading of the partition
    int64_t ts_ms = 0;
    int64_t high = 0;
    int64_t committed = -1; // -1: no commit
};

struct PartitionWindow {
    std::deque<Observation> commits; // oldest first, at most rules.window
    std::deque<Round> rounds;        // oldest first, at most max(window, 2)
};

// The windows of one consumer group.
class LagHistory {
  public:
    explicit LagHistory(std::size_t window = 10) : size_(window < 1 ? 1 : window) {}
    // Adds one round: an observation when the committed offset changed; the
    // window restarts when the high watermark went backwards (topic or cluster
    // recreated), and commits are forgotten when the commit disappears.
    void add(const TopicPartition& key, Round r);
    // Forgets partitions not in `keep` (topics deleted, group moved on).
    void retain(const std::vector<TopicPartition>& keep);
    const PartitionWindow* window(const TopicPartition& key) const;
    const std::map<TopicPartition, PartitionWindow>& windows() const { return windows_; }
    // Restores a stored window as is (trimmed to the window size).
    void restore(const TopicPartition& key, PartitionWindow w);
    std::size_t size() const { return size_; }

  private:
    void trim(PartitionWindow& w) const;
    std::size_t size_;
    std::map<TopicPartition, PartitionWindow> windows_;
};

struct PartitionVerdict {
    LagStatus status = LagStatus::Ok;
    std::string reason;
    bool no_commit = false;   // the group has not committed here: lag unknown
    int64_t lag = -1;         // current lag; -1 unknown
    std::size_t observations = 0;
    double complete = 0;      // observations / window, as Burrow's `complete`
    std::optional<double> consume_rate; // committed-offset advance, msg/s
    std::optional<double> drain_rate;   // lag decrease, msg/s (negative: growing)
};

// Evaluator input for one partition in one round.
struct PartitionInput {
    TopicPartition key;
    std::string error; // fetch error this round; empty when none
    int64_t low = -1;  // log start offset, -1 unknown
};

struct GroupContext {
    int members = -1;              // -1 unknown (no DescribeGroups)
    bool committed_elsewhere = false; // set by evaluate_group
};

PartitionVerdict evaluate_partition(const PartitionWindow& w, const PartitionInput& in,
                                    int64_t now_ms, const LagRules& rules,
                                    const GroupContext& group = {});

enum class Drain {
    None,      // no partitions
    Done,      // no lag above allowed_lag
    KeepingUp, // lag exists but is no backlog: at most kKeepingUpSeconds of consumption
    Estimate,  // drain_seconds holds the slowest partition's time
    Never,     // some lagging partition does not drain (stopped, stalled, growing)
    Unknown,   // no trend yet on some lagging partition
};
const char* drain_name(Drain d); // "none", "done", "current", "estimate", "never", "unknown"

struct GroupVerdict {
    LagStatus status = LagStatus::Ok;
    std::string reason;
    int64_t total_lag = 0; // known lags only (a partition without a commit has none)
    // Burrow's group fields: the share of partitions whose window is full (a
    // verdict from 2 of 10 observations is tentative) and the partition that
    // lags most.
    double complete = 0;
    std::optional<std::size_t> maxlag; // index into partitions
    std::optional<double> consume_rate; // msg/s, sum over partitions with a known rate
    // Time until the lag is gone if the trend holds: the slowest lagging
    // partition's lag over its own drain rate (never a sum of lags over a sum of
    // rates: a fast partition must not hide a slow one).
    Drain drain = Drain::None;
    std::optional<double> drain_seconds;
    std::vector<PartitionVerdict> partitions; // same order as the input
};

inline constexpr double kKeepingUpSeconds = 10.0;

GroupVerdict evaluate_group(const LagHistory& history, const std::vector<PartitionInput>& parts,
                            int64_t now_ms, const LagRules& rules, int members = -1);

} // namespace ebap
