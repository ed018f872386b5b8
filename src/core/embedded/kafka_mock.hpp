#pragma once
// librdkafka's mock cluster hosted in this process: the embedded broker of the
// demo, `ebapctl broker` and the tests. It speaks the Kafka protocol over
// loopback TCP, so every client (ours, kcat) treats it as a real broker.
//
// Ports: librdkafka 2.0.2 binds each mock broker to 127.0.0.1 on a port the
// kernel picks; the API has no way to choose one. Read bootstrap() after
// construction (and publish it, e.g. `ebapctl broker --bootstrap-file`).
// Limits of the mock (no ListGroups/DescribeGroups/CreateTopics, ~5 MiB kept
// per partition) are listed in docs/ARCHITECTURE.md, "Embedded Kafka broker".
#include <cstdint>
#include <string>

typedef struct rd_kafka_s rd_kafka_t;
typedef struct rd_kafka_mock_cluster_s rd_kafka_mock_cluster_t;

namespace ebap {

class EmbeddedKafka {
  public:
    // Starts `brokers` mock brokers (ids 1..brokers); throws Error on failure.
    explicit EmbeddedKafka(int brokers = 3);
    ~EmbeddedKafka();
    EmbeddedKafka(const EmbeddedKafka&) = delete;
    EmbeddedKafka& operator=(const EmbeddedKafka&) = delete;

    // "127.0.0.1:P1,127.0.0.1:P2,..."
    const std::string& bootstrap() const { return bootstrap_; }
    int broker_count() const { return brokers_; }

    // The mock has no CreateTopics: topics are made here. replication_factor is
    // capped at the broker count. Throws Error (also when the topic exists).
    void create_topic(const std::string& name, int partitions, int replication_factor = 3);
    // The topics of core/kafka/topics.hpp: ebap.events.raw (raw_partitions), ebap.metrics.telemetry 6,
    // ebap.cdc.users 3, ebap.audit.logs 1, ebap.events.dlq 1.
    void create_design_topics(int raw_partitions = 6);

    // Fault injection: a down broker closes its connections and refuses new ones.
    void set_broker_down(int32_t broker_id);
    void set_broker_up(int32_t broker_id);

    // For other fault injection (rd_kafka_mock_push_request_errors, set_leader ...).
    rd_kafka_mock_cluster_t* cluster() const { return cluster_; }

  private:
    rd_kafka_t* handle_ = nullptr; // owns the cluster's bookkeeping; never connects
    rd_kafka_mock_cluster_t* cluster_ = nullptr;
    std::string bootstrap_;
    int brokers_ = 0;
};

} // namespace ebap
