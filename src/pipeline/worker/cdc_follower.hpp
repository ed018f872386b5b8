#pragma once
// The user-profile table of a worker process (GlobalKTable-like): one consumer without
// group membership, assigned to every partition of the CDC topic from the beginning.
// bootstrap() reads up to the high watermarks taken when it starts, BEFORE any event is
// processed; then a background thread keeps applying changes until stop().
#include "pipeline/decode/cdc.hpp"
#include "pipeline/kafka/kafka_handles.hpp"
#include "pipeline/worker/worker_metrics.hpp"

#include <atomic>
#include <cstdint>
#include <map>
#include <string>
#include <thread>

namespace ebap::pipeline {

class CdcFollower {
  public:
    CdcFollower(const std::string& bootstrap, std::string topic, ProfileTable& table,
                WorkerMetrics& metrics, const KafkaProps& overrides = {});
    ~CdcFollower();
    CdcFollower(const CdcFollower&) = delete;
    CdcFollower& operator=(const CdcFollower&) = delete;

    // Applies the topic up to the watermarks of now. Throws Error when Kafka fails or no
    // record arrives for stall_timeout_ms while some are missing. A missing topic is not an
    // error (warned once): events are then joined against an empty table. Returns early
    // (table incomplete) once *stop is set.
    std::int64_t bootstrap(int timeout_ms, const std::atomic<bool>* stop = nullptr,
                           int stall_timeout_ms = 30000);
    void start(); // keep following in a background thread
    void stop();
    bool topic_exists() const { return !partitions_.empty(); }

  private:
    void apply(const rd_kafka_message_t* m);
    void follow();
    void update_behind();

    std::string bootstrap_servers_;
    std::string topic_;
    ProfileTable& table_;
    WorkerMetrics& metrics_;
    KafkaHandle rk_;
    CdcDecoder decoder_;
    std::vector<std::int32_t> partitions_;
    std::map<std::int32_t, std::int64_t> position_; // next offset to read
    std::atomic<bool> stop_{false};
    std::thread thread_;
    std::int64_t errors_logged_ = 0;
};

} // namespace ebap::pipeline
