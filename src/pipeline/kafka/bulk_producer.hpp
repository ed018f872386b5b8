#pragma once
// A librdkafka producer for bulk keyed JSON (the generator): idempotent, lz4,
// Java-compatible key partitioning, quiet (errors are collected, never logged
// to the terminal), and bounded in time everywhere so an absent broker turns
// into an Error naming the bootstrap servers instead of a hang.
#include <cstdint>
#include <map>
#include <string>
#include <string_view>

typedef struct rd_kafka_s rd_kafka_t;
typedef struct rd_kafka_topic_s rd_kafka_topic_t;
typedef struct rd_kafka_message_s rd_kafka_message_t;

namespace ebap::pipeline {

class BulkProducer {
  public:
    // How long a record may wait for more to share its batch (linger.ms). Every message
    // set costs a broker per fetch (the embedded mock walks a partition's sets from the
    // first; bench/README.md has the numbers); dashboards refresh once a second anyway.
    static constexpr int kDefaultLingerMs = 100;

    // Connects and fetches metadata within timeout_ms; throws Error when the
    // cluster does not answer. message_timeout_ms bounds every delivery.
    BulkProducer(std::string bootstrap, int timeout_ms, int message_timeout_ms = 15000,
                 int linger_ms = kDefaultLingerMs);
    ~BulkProducer();
    BulkProducer(const BulkProducer&) = delete;
    BulkProducer& operator=(const BulkProducer&) = delete;

    // True when the metadata fetched at start listed the topic.
    bool topic_known(const std::string& topic) const;
    // Enqueues one record (copied); waits for queue space while it is full.
    // Returns false when it could not be enqueued (error recorded).
    bool send(const std::string& topic, std::string_view key, std::string_view value);
    // Serves delivery reports without blocking (call often).
    void poll(int timeout_ms = 0);
    // Waits for every queued record; what is still queued at the deadline counts as failed.
    // After a delivery failure the records not yet sent are dropped (and counted) at once.
    void flush(int timeout_ms);

    std::int64_t delivered() const { return delivered_; }
    // Delivered records of one topic.
    std::int64_t delivered(const std::string& topic) const;
    std::int64_t failed() const { return failed_; }
    bool fatal() const { return fatal_; }
    // The first delivery or client error, with the bootstrap servers named.
    std::string first_error() const;
    const std::string& bootstrap() const { return bootstrap_; }

  private:
    static void on_delivery(rd_kafka_t*, const rd_kafka_message_t* msg, void* opaque);
    static void on_error(rd_kafka_t*, int err, const char* reason, void* opaque);
    void record_error(const std::string& what);

    std::string bootstrap_;
    rd_kafka_t* rk_ = nullptr;
    struct Topic {
        rd_kafka_topic_t* handle = nullptr;
        std::int64_t delivered = 0; // the message opaque of its records points here
    };
    Topic& topic(const std::string& name);
    std::map<std::string, Topic> topics_;
    std::map<std::string, int> known_topics_; // name -> partition count
    std::int64_t delivered_ = 0;
    std::int64_t failed_ = 0;
    bool fatal_ = false;
    std::string first_error_;
    std::string last_client_error_; // from the error callback: why brokers are unreachable
};

} // namespace ebap::pipeline
