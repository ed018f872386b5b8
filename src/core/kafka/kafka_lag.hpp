#pragma once
// One round of Kafka offsets for lag views: topic watermarks and, per consumer
// group, committed offsets and lag per partition. Collection only; the verdict
// (OK/WARN/STALL/STOP/ERR) comes from lag_status over a window of rounds.
#include "core/kafka/kafka_admin.hpp"
#include "core/kafka/lag_status.hpp"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace ebap {

struct TopicOffsets {
    std::string name;
    std::vector<Watermark> watermarks; // index == partition
    int64_t messages = 0;              // sum(high - low): what the topic holds now
    int64_t high_sum = 0;              // sum(high): grows by what producers wrote
};

struct PartitionLag {
    std::string topic;
    int32_t partition = 0;
    int64_t low = -1;
    int64_t high = -1;
    int64_t committed = -1; // -1: none
    int64_t lag = -1; // high - committed; -1 without a commit (or on error)
    std::string error; // watermark or committed-offset fetch error
};

struct GroupLag {
    std::string group;
    std::string state = "unknown";
    int members = -1;                     // -1 unknown
    std::vector<PartitionLag> partitions; // sorted by topic, partition
    int64_t total_lag = 0;
};

struct KafkaLagSnapshot {
    int64_t ts_ms = 0;
    std::string bootstrap;
    std::vector<TopicOffsets> topics; // non-internal topics, sorted by name
    std::vector<GroupLag> groups;     // in the order asked
};

// Metadata + watermarks + each group's committed offsets and state.
// Throws Error when the cluster does not answer (names bootstrap and deadline).
KafkaLagSnapshot collect_kafka_lag(KafkaAdmin& admin, const std::vector<std::string>& groups);

// A group's lag from topic watermarks and its committed offsets (pure). Topics
// where the group has no committed offset on any partition are not the group's
// and are left out: without DescribeGroups (missing on the mock) this is how a
// group's topics are found.
GroupLag compute_group_lag(const std::string& group, const std::vector<TopicOffsets>& topics,
                           const std::vector<CommittedOffset>& committed, const GroupInfo& info);

// Feeds one round into a group's windows (partitions with a fetch error add
// nothing; vanished partitions are forgotten) and returns the evaluator's
// input for that round.
std::vector<PartitionInput> observe_group(LagHistory& history, const GroupLag& lag, int64_t ts_ms);

// Produce rate per topic from high-watermark deltas between two rounds.
class TopicRates {
  public:
    // msg/s per topic since the previous update; a topic seen for the first
    // time, or whose offsets went backwards (recreated), has no rate yet.
    std::map<std::string, double> update(int64_t ts_ms, const std::vector<TopicOffsets>& topics);
    nlohmann::json to_json() const;
    static TopicRates from_json(const nlohmann::json& j);

  private:
    int64_t prev_ts_ = 0;
    std::map<std::string, int64_t> prev_high_;
};

} // namespace ebap
