#pragma once
// Live counters of the streaming worker: one block of atomics per consumer thread (written
// only by that thread, relaxed) plus the process-wide CDC and view counters. Readers (the
// console, the 10 s log line, /metrics) take snapshot(): a plain copyable struct, never a
// reference into live state.
#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace ebap::pipeline {

// Copy of one consumer thread's counters. *_total fields only grow.
struct ThreadMetricsSnapshot {
    int index = 0;
    // consume stage
    std::int64_t records_total = 0;     // every record read (events + telemetry)
    std::int64_t bytes_total = 0;       // value bytes read
    std::int64_t events_total = 0;      // valid events counted in windows
    std::int64_t late_total = 0;        // dropped by the watermark rule
    std::int64_t dlq_total = 0;         // records sent to the DLQ
    std::int64_t join_misses_total = 0; // events whose user has no profile
    std::int64_t telemetry_total = 0;
    // window stage (gauges)
    std::int64_t watermark_ms = 0; // max over the thread's partitions; 0 = none yet
    std::int64_t open_windows = 0; // windows in the pending delta
    std::int64_t queue_depth = 0;  // records in the pending batch (bounded queue)
    std::int64_t cold_pending = 0; // records read but not yet in cold-path objects
    std::int64_t assigned_partitions = 0;
    std::int64_t assignments_total = 0; // partition assignments received (rebalances)
    std::int64_t consumer_lag = 0;      // high watermark - position, summed
    bool paused = false;                // partitions paused while a sink fails
    // flush stage
    std::int64_t flushes_total = 0;
    std::int64_t flush_last_us = 0, flush_max_us = 0;
    std::int64_t cold_last_us = 0, redis_last_us = 0;
    std::int64_t cold_objects_total = 0, cold_bytes_total = 0;
    std::int64_t sink_errors_total = 0; // failed cold / Redis / DLQ attempts (retried)
    // where the thread's time went (microseconds): waiting in the consume call, handling
    // records, hot-path flushes, cold-path writes
    std::int64_t poll_us_total = 0, process_us_total = 0, flush_us_total = 0, cold_us_total = 0;
    std::int64_t commit_errors_total = 0; // Kafka offset commits that failed (informational)
    std::int64_t fetch_wakeups_total = 0; // FetchWaker nudges after a full prefetch queue
    std::int64_t fenced_total = 0;        // batches refused: their partitions had a new owner
    // rates over the last tick (about one second)
    double events_per_s = 0, bytes_per_s = 0;
};

struct WorkerMetricsSnapshot {
    std::int64_t taken_ms = 0; // wall clock
    std::int64_t started_ms = 0;
    std::vector<ThreadMetricsSnapshot> threads;
    // CDC follower
    std::int64_t cdc_records_total = 0, cdc_errors_total = 0;
    std::int64_t cdc_lag_ms = 0; // last record: envelope ts_ms - source.ts_ms
    std::int64_t cdc_behind = 0; // records the CDC follower still has to read
    std::int64_t profiles = 0;
    std::int64_t cdc_bootstrap_ms = 0; // time the initial CDC load took
    // derived views
    std::int64_t view_refreshes_total = 0, view_errors_total = 0;

    ThreadMetricsSnapshot total() const; // sums (gauges: max for watermark and latencies)
    // now - watermark (ms), 0 while no watermark exists.
    std::int64_t watermark_delay_ms() const;
};

// Written by one consumer thread.
struct ThreadMetrics {
    std::atomic<std::int64_t> records{0}, bytes{0}, events{0}, late{0}, dlq{0}, join_misses{0},
        telemetry{0};
    std::atomic<std::int64_t> watermark_ms{0}, open_windows{0}, queue_depth{0}, cold_pending{0},
        assigned_partitions{0}, consumer_lag{0}, assignments{0};
    std::atomic<bool> paused{false};
    std::atomic<std::int64_t> flushes{0}, flush_last_us{0}, flush_max_us{0}, cold_last_us{0},
        redis_last_us{0}, cold_objects{0}, cold_bytes{0}, sink_errors{0}, commit_errors{0},
        fetch_wakeups{0}, fenced{0};
    std::atomic<std::int64_t> poll_us{0}, process_us{0}, flush_us{0}, cold_us{0};
    std::atomic<double> events_per_s{0}, bytes_per_s{0};

    static void add(std::atomic<std::int64_t>& a, std::int64_t n) {
        a.fetch_add(n, std::memory_order_relaxed);
    }
    static void set(std::atomic<std::int64_t>& a, std::int64_t v) {
        a.store(v, std::memory_order_relaxed);
    }
    void record_flush(std::int64_t us);
};

class WorkerMetrics {
  public:
    explicit WorkerMetrics(int threads);

    ThreadMetrics& thread(int i) { return *threads_[static_cast<std::size_t>(i)]; }
    int thread_count() const { return static_cast<int>(threads_.size()); }

    std::atomic<std::int64_t> cdc_records{0}, cdc_errors{0}, cdc_lag_ms{0}, cdc_behind{0},
        profiles{0}, cdc_bootstrap_ms{0}, view_refreshes{0}, view_errors{0};

    // Recomputes the per-thread rates from the totals since the previous tick.
    void tick(std::int64_t now_ms);
    WorkerMetricsSnapshot snapshot() const;

  private:
    std::int64_t started_ms_;
    std::vector<std::unique_ptr<ThreadMetrics>> threads_; // atomics never move
    std::mutex tick_mu_;
    std::int64_t last_tick_ms_ = 0;
    std::vector<std::int64_t> last_events_, last_bytes_;
};

// One operator log line: "worker: 12.3K events/s, ...".
std::string metrics_log_line(const WorkerMetricsSnapshot& s);

} // namespace ebap::pipeline
