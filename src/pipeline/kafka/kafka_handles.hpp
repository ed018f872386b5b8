#pragma once
// librdkafka plumbing shared by the worker's parts: owned handles, configuration that
// throws with the key named, metadata and watermark lookups bounded by deadlines, and a
// quiet log sink (librdkafka's own stderr chatter would flood an operator's terminal when
// a broker is away; errors are still reported once, with the bootstrap servers).
#include "pipeline/sinks/redis/redis_sink.hpp" // TopicPartition

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <librdkafka/rdkafka.h>

namespace ebap::pipeline {

struct KafkaDeleter {
    void operator()(rd_kafka_t* rk) const;
};
using KafkaHandle = std::unique_ptr<rd_kafka_t, KafkaDeleter>;

struct PartitionListDeleter {
    void operator()(rd_kafka_topic_partition_list_t* l) const {
        if (l) rd_kafka_topic_partition_list_destroy(l);
    }
};
using PartitionList = std::unique_ptr<rd_kafka_topic_partition_list_t, PartitionListDeleter>;
PartitionList make_partition_list(int size = 0);

// librdkafka properties an operator adds (`ebapctl worker -X key=value`), e.g. security
// settings of a real cluster or session.timeout.ms; applied last, over our defaults.
using KafkaProps = std::vector<std::pair<std::string, std::string>>;

// A configuration under construction; set() throws Error naming the key.
class KafkaConf {
  public:
    explicit KafkaConf(const std::string& bootstrap, const KafkaProps& overrides = {});
    ~KafkaConf();
    KafkaConf(const KafkaConf&) = delete;
    KafkaConf& operator=(const KafkaConf&) = delete;
    KafkaConf& set(const std::string& key, const std::string& value);
    rd_kafka_conf_t* get() { return conf_; }
    // Creates the client; the configuration is consumed. Throws Error.
    KafkaHandle create(rd_kafka_type_t type);

  private:
    rd_kafka_conf_t* conf_;
    std::string bootstrap_;
    KafkaProps overrides_;
};

// Partition ids of topic (empty when the topic does not exist); throws Error naming the
// bootstrap servers when the cluster does not answer within timeout_ms.
std::vector<std::int32_t> topic_partitions(rd_kafka_t* rk, const std::string& topic, int timeout_ms,
                                           const std::string& bootstrap);
// Asks the cluster for its metadata: throws Error "kafka BOOTSTRAP: unreachable ...".
void check_kafka_reachable(rd_kafka_t* rk, int timeout_ms, const std::string& bootstrap);

// The end offsets of every partition of the topics (missing topics are skipped): where a
// consumer with rk's isolation.level stops reading now (read_committed, librdkafka's
// default: the last stable offset, which is the high watermark unless a transaction is
// open). One ListOffsets request per partition leader, bounded by timeout_ms; throws
// Error naming the partition when one fails.
std::map<TopicPartition, std::int64_t> end_offsets(rd_kafka_t* rk,
                                                   const std::vector<std::string>& topics,
                                                   int timeout_ms, const std::string& bootstrap);

// The last error librdkafka reported on any handle made through KafkaConf (for messages).
std::string last_kafka_error();

} // namespace ebap::pipeline
