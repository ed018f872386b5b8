#pragma once
// What every consumer thread of one worker process shares: resolved settings, the profile
// table, metrics, the drain tracker and the stop flag. Owned by Worker; threads hold a
// reference for their whole life.
#include "core/kafka/topics.hpp"
#include "core/redis/redis_client.hpp"
#include "pipeline/decode/cdc.hpp"
#include "pipeline/sinks/cold/cold_sink.hpp"
#include "pipeline/worker/drain_tracker.hpp"
#include "pipeline/window/window.hpp"
#include "pipeline/kafka/kafka_handles.hpp"
#include "pipeline/worker/worker_metrics.hpp"

#include <atomic>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

namespace ebap::pipeline {

// True at most once per every_ms across threads: rate-limits repeated log lines.
inline bool log_due(std::atomic<std::int64_t>& last, std::int64_t every_ms) {
    const std::int64_t now = std::chrono::duration_cast<std::chrono::milliseconds>(
                                 std::chrono::steady_clock::now().time_since_epoch())
                                 .count();
    std::int64_t prev = last.load();
    return now - prev >= every_ms && last.compare_exchange_strong(prev, now);
}

// What `ebapctl worker` lets an operator choose (flags over config worker.*).
struct WorkerOptions {
    int threads = 0;                        // 0: worker.threads
    std::string group;                      // empty: worker.group
    bool drain = false;                     // stop once everything present at start is committed
    bool cold = true;                       // --no-cold: hot path only
    int flush_ms = 0;                       // 0: worker.flush_ms
    int cold_flush_s = 0;                   // 0: worker.cold_flush_s
    int cold_batch_mib = 0;                 // 0: worker.cold_batch_mib
    std::int64_t max_batch_events = 20'000; // records per batch: the bounded queue
    std::string metrics_addr;               // HOST:PORT of the Prometheus endpoint; empty: none
    KafkaProps kafka_props;                 // -X key=value for every librdkafka client
    bool log_progress = true;               // the 10 s metrics line on stderr
};


struct WorkerShared {
    std::string bootstrap;
    KafkaProps kafka_props;
    std::string events_topic = kEventsTopic;
    std::string telemetry_topic = kTelemetryTopic;
    std::string dlq_topic = kDlqTopic;
    std::string group;
    std::string prefix; // redis.prefix
    RedisOptions redis;
    std::optional<ColdSinkOptions> cold; // nullopt: --no-cold
    std::int64_t watermark_delay_ms = 600'000;
    std::int64_t future_tolerance_ms = 300'000; // later event times go to the DLQ
    HealthThresholds thresholds;
    int flush_ms = 1000;
    int cold_flush_s = 60;                    // cold batches: written at least this often,
    std::int64_t cold_batch_bytes = 32 << 20; // or when a thread holds this much
    std::int64_t max_batch_events = 20'000;
    int kafka_timeout_ms = 5000;

    ProfileTable* profiles = nullptr;
    WorkerMetrics* metrics = nullptr;
    DrainTracker* drain = nullptr; // set in --drain mode

    std::atomic<bool> stop{false};                     // stop fetching, flush, commit, close
    std::atomic<bool> profiles_ready{false};           // the CDC bootstrap is complete
    std::atomic<std::int64_t> first_assign_ms{0};      // wall clock of the first assignment
    std::atomic<std::int64_t> last_view_refresh_ms{0}; // views: at most once a second
    std::atomic<int> failed_threads{0};
    int threads = 1;                    // consumer threads of this process
    std::atomic<int> ready_to_close{0}; // threads done with their last flush

    // Claims the right to refresh the derived views now (true at most once per second).
    bool claim_view_refresh(std::int64_t now_ms) {
        std::int64_t last = last_view_refresh_ms.load();
        return now_ms - last >= 1000 && last_view_refresh_ms.compare_exchange_strong(last, now_ms);
    }
    // The process's reported watermark: max over every thread's partitions.
    std::optional<std::int64_t> watermark_ms() const {
        std::int64_t wm = 0;
        for (int i = 0; i < metrics->thread_count(); ++i)
            wm = std::max(wm, metrics->thread(i).watermark_ms.load(std::memory_order_relaxed));
        return wm > 0 ? std::optional(wm) : std::nullopt;
    }
};

} // namespace ebap::pipeline
