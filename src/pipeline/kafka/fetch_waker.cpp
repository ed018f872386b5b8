#include "pipeline/kafka/fetch_waker.hpp"

#include <algorithm>
#include <chrono>
#include <cstdlib>

namespace ebap::pipeline {

namespace {

constexpr auto kCheckEvery = std::chrono::milliseconds(10);
// Bounds how long a wake-up can hold the waker (and so a shutdown) when a broker is away.
constexpr int kRequestTimeoutMs = 500;

std::int64_t conf_number(rd_kafka_t* rk, const char* key, std::int64_t fallback) {
    char value[64];
    std::size_t size = sizeof value;
    if (rd_kafka_conf_get(rd_kafka_conf(rk), key, value, &size) != RD_KAFKA_CONF_OK)
        return fallback;
    return std::strtoll(value, nullptr, 10);
}

} // namespace

FetchWaker::FetchWaker(rd_kafka_t* rk, rd_kafka_queue_t* queue) : rk_(rk), queue_(queue) {
    low_records_ = std::max<std::int64_t>(1, conf_number(rk, "queued.min.messages", 100000) / 2);
    low_bytes_ =
        std::max<std::int64_t>(1, conf_number(rk, "queued.max.messages.kbytes", 65536) * 512);
    thread_ = std::thread([this] { run(); });
}

FetchWaker::~FetchWaker() {
    {
        std::lock_guard lock(mu_);
        stop_ = true;
    }
    cv_.notify_all();
    if (thread_.joinable()) thread_.join();
}

void FetchWaker::run() {
    std::unique_lock lock(mu_);
    while (!cv_.wait_for(lock, kCheckEvery, [this] { return stop_; })) {
        if (!armed_.load(std::memory_order_relaxed)) continue;
        // Still above half: librdkafka may hold back, but the consumer has work queued.
        if (static_cast<std::int64_t>(rd_kafka_queue_length(queue_)) >= low_records_) continue;
        armed_.store(false, std::memory_order_relaxed);
        lock.unlock();
        rd_kafka_topic_partition_list_t* assigned = nullptr;
        if (rd_kafka_assignment(rk_, &assigned) == RD_KAFKA_RESP_ERR_NO_ERROR && assigned) {
            if (assigned->cnt > 0) {
                for (int i = 0; i < assigned->cnt; ++i)
                    assigned->elems[i].offset = RD_KAFKA_OFFSET_END;
                // The answer does not matter; the requests are the wake-up.
                rd_kafka_offsets_for_times(rk_, assigned, kRequestTimeoutMs);
                wakeups_.fetch_add(1, std::memory_order_relaxed);
            }
            rd_kafka_topic_partition_list_destroy(assigned);
        }
        lock.lock();
    }
}

} // namespace ebap::pipeline
