#pragma once
// Live counters of the streaming worker: one block of atomics per consumer thread (written
// only by that thread, relaxed) plus the process-wide CDC and view counters. Readers (the
// console, the 10 s log line, /metrics, the --drain summary) take snapshot(): a plain
// copyable struct, never a reference into live state.
//
// Each thread metric is defined once, in EBAP_THREAD_METRICS; the atomics, the snapshot,
// the totals, the Prometheus exposition, the summary's JSON keys, the log line and the
// console's columns are all generated from that one table.
#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace ebap::pipeline {

enum class MetricKind { Counter, Gauge };
enum class MetricAgg { Sum, Max };                // how threads combine into the total
enum class MetricUnit { Count, Bytes, Micros, EpochMs, Flag, PerSecond, BytesPerSecond };

// X(type, field, label (tables, console columns), kind, agg, unit, prometheus name,
//   summary JSON path ("" = not in the summary), log label ("" = not in the log line), help)
#define EBAP_THREAD_METRICS(X)                                                                   \
    X(std::int64_t, records, "records read", Counter, Sum, Count, "ebap_worker_records_total", "records", "",   \
      "Kafka records read (events and telemetry).")                                            \
    X(std::int64_t, bytes, "bytes read", Counter, Sum, Bytes, "ebap_worker_bytes_total", "bytes", "",         \
      "Record value bytes read.")                                                              \
    X(std::int64_t, events, "events counted", Counter, Sum, Count, "ebap_worker_events_total", "events",          \
      "events", "Valid events counted in windows.")                                            \
    X(std::int64_t, late, "late events", Counter, Sum, Count, "ebap_worker_late_events_total", "late_events",  \
      "late", "Events dropped behind the watermark.")                                          \
    X(std::int64_t, dlq, "dlq records", Counter, Sum, Count, "ebap_worker_dlq_events_total", "dlq_events",     \
      "dlq", "Records sent to the dead-letter topic.")                                         \
    X(std::int64_t, join_misses, "join misses", Counter, Sum, Count, "ebap_worker_join_misses_total",          \
      "join_misses", "join misses", "Events whose user has no profile.")                       \
    X(std::int64_t, telemetry, "telemetry records", Counter, Sum, Count, "ebap_worker_telemetry_records_total",      \
      "telemetry", "", "Telemetry records applied.")                                           \
    X(double, records_per_s, "records/s", Gauge, Sum, PerSecond, "ebap_worker_records_per_second", "", "",   \
      "Records read per second (last second).")                                                \
    X(double, bytes_per_s, "bytes/s", Gauge, Sum, BytesPerSecond, "ebap_worker_bytes_per_second", "", "",  \
      "Bytes read per second (last second).")                                                  \
    X(std::int64_t, watermark_ms, "watermark", Gauge, Max, EpochMs,                                           \
      "ebap_worker_watermark_timestamp_seconds", "", "",                                         \
      "Event-time watermark (max over the thread's partitions); 0 before the first event.")    \
    X(std::int64_t, open_windows, "open windows", Gauge, Sum, Count, "ebap_worker_open_windows", "", "windows", \
      "Windows in the pending batch.")                                                         \
    X(std::int64_t, queue_depth, "queue depth", Gauge, Sum, Count, "ebap_worker_queue_depth", "", "queue",     \
      "Records in the pending batch (bounded).")                                               \
    X(std::int64_t, cold_pending, "cold pending", Gauge, Sum, Count, "ebap_worker_cold_pending", "",            \
      "cold pending", "Records read but not yet written to the cold path.")                    \
    X(std::int64_t, assigned_partitions, "partitions", Gauge, Sum, Count, "ebap_worker_assigned_partitions",  \
      "", "partitions", "Partitions assigned to the thread.")                                  \
    X(std::int64_t, assignments, "assignments", Counter, Sum, Count, "ebap_worker_assignments_total",          \
      "assignments", "", "Partition assignments received (rebalances).")                       \
    X(std::int64_t, consumer_lag, "lag", Gauge, Sum, Count, "ebap_worker_consumer_lag", "", "lag",     \
      "Records behind the high watermarks.")                                                   \
    X(std::int64_t, paused, "paused", Gauge, Max, Flag, "ebap_worker_paused", "", "",                     \
      "1 while partitions are paused because a sink fails.")                                   \
    X(std::int64_t, flushes, "redis flushes", Counter, Sum, Count, "ebap_worker_flushes_total", "redis.flushes", \
      "", "Committed flushes (one MULTI/EXEC each).")                                          \
    X(std::int64_t, flush_last_us, "last flush", Gauge, Max, Micros, "ebap_worker_flush_latency_seconds", "", \
      "flush", "Duration of the last flush.")                                                  \
    X(std::int64_t, flush_max_us, "longest flush", Gauge, Max, Micros, "ebap_worker_flush_latency_max_seconds",  \
      "", "flush max", "Longest flush so far.")                                                \
    X(std::int64_t, cold_last_us, "last cold write", Gauge, Max, Micros, "ebap_worker_cold_write_seconds", "", "", \
      "Duration of the last cold-path write.")                                                 \
    X(std::int64_t, redis_last_us, "last redis write", Gauge, Max, Micros, "ebap_worker_redis_write_seconds", "",   \
      "", "Duration of the last Redis transaction.")                                           \
    X(std::int64_t, cold_objects, "cold objects", Counter, Sum, Count, "ebap_worker_cold_objects_total",        \
      "cold.objects", "", "Cold-path objects written.")                                        \
    X(std::int64_t, cold_bytes, "cold bytes", Counter, Sum, Bytes, "ebap_worker_cold_bytes_total",            \
      "cold.bytes", "", "Compressed cold-path bytes written.")                                 \
    X(std::int64_t, sink_errors, "sink errors (retried)", Counter, Sum, Count, "ebap_worker_sink_errors_total",          \
      "sink_errors", "sink errors", "Failed sink attempts (retried).")                          \
    X(std::int64_t, commit_errors, "commit errors", Counter, Sum, Count, "ebap_worker_commit_errors_total",      \
      "commit_errors", "", "Failed Kafka offset commits.")                                     \
    X(std::int64_t, fetch_wakeups, "fetch wakeups", Counter, Sum, Count, "ebap_worker_fetch_wakeups_total",      \
      "fetch_wakeups", "", "Fetcher nudges after a full prefetch queue was drained.")          \
    X(std::int64_t, fenced_batches, "batches fenced (new owner replays)", Counter, Sum, Count, "ebap_worker_fenced_batches_total",    \
      "fenced_batches", "fenced", "Batches refused: their partitions had a new owner.")         \
    X(std::int64_t, poll_us, "time polling", Counter, Sum, Micros, "ebap_worker_poll_seconds_total",            \
      "thread_s.poll", "", "Thread time waiting for records.")                                 \
    X(std::int64_t, process_us, "time processing", Counter, Sum, Micros, "ebap_worker_process_seconds_total",      \
      "thread_s.process", "", "Thread time handling records.")                                 \
    X(std::int64_t, flush_us, "time flushing", Counter, Sum, Micros, "ebap_worker_flush_seconds_total",          \
      "thread_s.flush", "", "Thread time in hot-path flushes.")                                \
    X(std::int64_t, cold_us, "time writing cold", Counter, Sum, Micros, "ebap_worker_cold_seconds_total",            \
      "thread_s.cold", "", "Thread time writing the cold path.")

// Copy of one consumer thread's counters (Counter fields only grow).
struct ThreadMetricsSnapshot {
    int index = 0; // -1 for the total over threads
#define EBAP_X(type, field, ...) type field = 0;
    EBAP_THREAD_METRICS(EBAP_X)
#undef EBAP_X
};

// One row of the table, for code that walks every metric (exposition, summary, console).
struct MetricDef {
    const char* field;
    const char* label;
    MetricKind kind;
    MetricAgg agg;
    MetricUnit unit;
    const char* prometheus;
    const char* summary_path;
    const char* log_label;
    const char* help;
    double (*value)(const ThreadMetricsSnapshot&); // raw value, in the field's own unit
    void (*set)(ThreadMetricsSnapshot&, double raw);
};
const std::vector<MetricDef>& thread_metric_defs();
// The value in base units (seconds for Micros and EpochMs), as exposed and summarised.
double metric_base_value(const MetricDef& d, const ThreadMetricsSnapshot& t);
// The value as a person reads it: "1.2K", "3.4 MiB", "12 ms", "-".
std::string metric_display(const MetricDef& d, const ThreadMetricsSnapshot& t);

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

    ThreadMetricsSnapshot total() const; // each field combined by its MetricAgg
    // now - watermark (ms), 0 while no watermark exists.
    std::int64_t watermark_delay_ms() const;
};

// Written by one consumer thread.
struct ThreadMetrics {
#define EBAP_X(type, field, ...) std::atomic<type> field{0};
    EBAP_THREAD_METRICS(EBAP_X)
#undef EBAP_X

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
    std::vector<std::int64_t> last_records_, last_bytes_;
};

// Inverse of metric_base_value: the raw field value from an exposed (base-unit) value.
double metric_raw_value(const MetricDef& d, double base);

// One operator log line: "12.3K rec/s (1.2 MiB/s), events 5, late 0, ...".
std::string metrics_log_line(const WorkerMetricsSnapshot& s);

} // namespace ebap::pipeline
