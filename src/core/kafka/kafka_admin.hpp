#pragma once
// Read-only Kafka administration for lag views and probes: cluster metadata,
// watermarks, a group's committed offsets and its state.
//
// Every call keeps the caller's deadline (timeout_ms plus a small grace):
// librdkafka calls can block far past their own timeout when brokers are down
// (rd_kafka_query_watermark_offsets never returns with every broker down), so
// each call runs on a detached worker thread that shares ownership of the
// client handle; the caller stops waiting at the deadline and the worker frees
// the handle whenever it finishes. Nothing is ever printed: librdkafka's log
// lines are kept for error messages.
#include "core/kafka/topic_partition.hpp"
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace ebap {

struct BrokerInfo {
    int32_t id = -1;
    std::string host;
    int port = 0;
};

struct TopicInfo {
    std::string name;
    int partitions = 0;
    std::string error; // per-topic metadata error, empty when fine
};

struct ClusterInfo {
    std::vector<BrokerInfo> brokers;
    int32_t controller_id = -1;    // -1 when the cluster did not say
    std::vector<TopicInfo> topics; // sorted by name
};

struct Watermark {
    int32_t partition = 0;
    int64_t low = -1;
    int64_t high = -1;
    std::string error; // empty when low/high are valid
};

struct TopicWatermarks {
    std::string topic;
    std::vector<Watermark> partitions; // index == partition id
};

struct CommittedOffset {
    std::string topic;
    int32_t partition = 0;
    int64_t offset = -1; // -1: the group has no committed offset here
    std::string error;
};

struct GroupInfo {
    std::string state = "unknown"; // Stable, Empty, PreparingRebalance ... or "unknown"
    int members = -1;              // -1 when unknown
    std::string detail;            // why state is unknown
};

class KafkaAdmin {
  public:
    KafkaAdmin(std::string bootstrap, int timeout_ms);
    ~KafkaAdmin();
    KafkaAdmin(const KafkaAdmin&) = delete;
    KafkaAdmin& operator=(const KafkaAdmin&) = delete;

    // Brokers, controller and topics; topics starting with "__" only when asked.
    // Throws Error "kafka: no answer from BOOTSTRAP within N ms ..." when unreachable.
    ClusterInfo metadata(bool include_internal = false);

    // Low/high watermark of every partition of the given topics, queried in
    // parallel under one deadline. A partition that does not answer in time
    // carries an error; only "no partition answered at all" throws.
    std::vector<TopicWatermarks> watermarks(const std::vector<TopicInfo>& topics);
    // One topic (looks up its partition count first).
    std::vector<Watermark> watermarks(const std::string& topic);

    // The group's committed offsets for exactly these partitions (a consumer
    // handle with group.id that never joins). Errors land on the entries.
    std::vector<CommittedOffset> committed(const std::string& group,
                                           const std::vector<TopicPartition>& partitions);

    // Group state and member count via ListGroups/DescribeGroups (real brokers).
    // Never throws: "unknown" with a detail when the broker cannot tell.
    GroupInfo group_info(const std::string& group);

    const std::string& bootstrap() const { return bootstrap_; }
    int timeout_ms() const { return timeout_ms_; }

    struct Client; // the rd_kafka_t and its last log line, shared with workers

  private:
    std::string no_answer(const std::string& why = {}) const;
    std::string bootstrap_;
    int timeout_ms_;
    std::shared_ptr<Client> client_;
};

} // namespace ebap
