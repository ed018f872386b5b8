#pragma once
// Burrow-style consumer-lag evaluation: no thresholds, only the trend of a
// sliding window of observations per partition. Pure logic: the collector
// (kafka_lag) feeds observations, `ebapctl lag` persists the window between
// runs (lag_store) and the TUI keeps it in memory.
//
// Rules, checked in this order for each partition (after Burrow's evaluator,
// adapted to observations we sample instead of commits we are sent):
//   ERR   offsets could not be fetched, or there is no committed offset while
//         the partition holds unread data
//   OK    the lag is zero now or was zero at any point of the window: the
//         consumer caught up recently, so any lag is a burst, not a problem
//   ERR   the committed offset went backwards (group reset or rewound)
//   OK    only one observation so far: no trend to judge yet
//   STOP  the committed offset has not changed for lag.stop_after_s while lag > 0
//         (the consumer is gone or no longer commits)
//   STALL the committed offset is identical across the whole window while lag > 0
//         (the consumer is stuck, e.g. on one record)
//   WARN  offsets move but the lag never shrinks from one observation to the next
//         (the consumer is too slow for its input)
//   OK    otherwise (lag shrinks somewhere in the window)
// The group's status is its worst partition's.
#include "core/kafka/topic_partition.hpp"
#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace ebap {

// Ordered by severity: a group takes its worst partition's status.
enum class LagStatus { Ok, Warn, Stall, Stop, Err };
const char* lag_status_name(LagStatus s); // "OK", "WARN", "STALL", "STOP", "ERR"

struct LagRules {
    std::size_t window = 10;        // lag.window: observations kept per partition
    int64_t stop_after_ms = 300000; // lag.stop_after_s
};

struct Observation {
    int64_t ts_ms = 0;      // wall clock, epoch ms (windows outlive a process)
    int64_t high = 0;       // high watermark
    int64_t committed = -1; // -1: the group has no committed offset here
    int64_t lag = 0;
    int64_t since_ms = 0; // first observation that saw this committed offset (kept by LagHistory)
};

using ObservationWindow = std::deque<Observation>;

// The windows of one consumer group.
class LagHistory {
  public:
    explicit LagHistory(std::size_t window = 10) : size_(window < 1 ? 1 : window) {}
    // Appends an observation: carries since_ms forward while the committed offset
    // is unchanged, drops the oldest beyond the window, and restarts the window
    // when the high watermark went backwards (topic or cluster recreated).
    void add(const TopicPartition& key, Observation o);
    // Forgets partitions not in `keep` (topics deleted, group moved on).
    void retain(const std::vector<TopicPartition>& keep);
    const ObservationWindow* window(const TopicPartition& key) const;
    const std::map<TopicPartition, ObservationWindow>& windows() const { return windows_; }
    // Restores a stored window as is (trimmed to the window size).
    void restore(const TopicPartition& key, ObservationWindow w);
    std::size_t size() const { return size_; }

  private:
    std::size_t size_;
    std::map<TopicPartition, ObservationWindow> windows_;
};

struct PartitionVerdict {
    LagStatus status = LagStatus::Ok;
    std::string reason;
    std::optional<double> consume_rate; // committed-offset advance, msg/s over the window
    std::optional<double> drain_rate;   // lag decrease, msg/s (consume rate minus produce rate)
};

// `fetch_error` is this round's error for the partition (empty when none).
PartitionVerdict evaluate_partition(const ObservationWindow& w, int64_t now_ms,
                                    const LagRules& rules, const std::string& fetch_error = {});

struct PartitionInput {
    TopicPartition key;
    std::string error; // fetch error this round
};

struct GroupVerdict {
    LagStatus status = LagStatus::Ok;
    std::string reason;
    int64_t total_lag = 0;
    std::optional<double> consume_rate; // msg/s, sum over partitions with a known rate
    // Seconds until the lag reaches zero if the window's trend holds: total lag
    // over the summed lag-decrease rate. 0 when there is no lag; empty when the
    // lag is not shrinking (or no trend is known yet): it will not drain.
    std::optional<double> drain_seconds;
    // Lag exists but is no backlog: at most kKeepingUpSeconds of the group's consume rate
    // (a streaming consumer that commits once a second always trails the head a little,
    // and its lag neither grows nor drains). Shown instead of an infinite drain time.
    bool keeping_up = false;
    std::vector<PartitionVerdict> partitions; // same order as the input
};

inline constexpr double kKeepingUpSeconds = 10.0;

GroupVerdict evaluate_group(const LagHistory& history, const std::vector<PartitionInput>& parts,
                            int64_t now_ms, const LagRules& rules);

} // namespace ebap
