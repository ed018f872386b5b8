#pragma once
// The dead-letter producer of one consumer thread (docs/ARCHITECTURE.md, "Dead letters before offsets"): records go out with the
// original key and bytes and headers error / source.topic / source.partition /
// source.offset, acks=all and idempotence on. A copy of each record is kept until its
// delivery is confirmed, so the flush that commits the covering offsets can wait for
// them and resend failures: at-least-once, never lost.
#include "pipeline/kafka/kafka_handles.hpp"

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace ebap::pipeline {

class DlqWriter {
  public:
    DlqWriter(const std::string& bootstrap, std::string topic, const KafkaProps& overrides = {});

    // value_null: the source record had a null value (sent as null, not as empty bytes).
    void send(std::string_view key, bool key_null, std::string_view value, bool value_null,
              std::string_view error, std::string_view source_topic, std::int32_t source_partition,
              std::int64_t source_offset);
    // Waits up to timeout_ms for every record sent since the last successful flush and
    // resends those that failed. True when all were delivered (the buffer is then empty).
    bool flush(int timeout_ms);
    std::size_t pending() const { return records_.size(); }
    // Drops the undelivered copies (their batch was abandoned; its replay resends them).
    void discard();
    const std::string& last_error() const { return last_error_; }

  private:
    struct Record {
        std::string key, value, error, source_topic;
        bool key_null = false, value_null = false;
        std::int32_t source_partition = 0;
        std::int64_t source_offset = 0;
        enum class State : std::uint8_t { queued, delivered, failed } state = State::queued;
    };
    static void on_delivery(rd_kafka_t*, const rd_kafka_message_t* msg, void* opaque);
    void produce(std::size_t index);

    KafkaHandle rk_;
    std::string topic_;
    std::vector<Record> records_;
    std::string last_error_;
    std::uintptr_t generation_ = 1; // high half of each record's opaque tag
};

} // namespace ebap::pipeline
