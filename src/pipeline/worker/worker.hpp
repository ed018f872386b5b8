#pragma once
// The embedded streaming worker (`ebapctl worker`, and the console's hosted workers):
// CDC bootstrap into the profile table, then N consumer threads in one consumer group,
// each committing its batches exactly once to Redis (see consumer_thread.hpp), plus the
// metrics the console and /metrics read.
//
// Lifecycle: construct (checks Redis and Kafka, exit 1 when either is unreachable), run()
// on any thread until stop() or, with drain, until everything present at start is
// committed. stop() is async-signal-safe (one atomic store).
#include "core/config/config.hpp"
#include "pipeline/worker/worker_metrics.hpp"
#include "pipeline/worker/worker_shared.hpp"

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace ebap::pipeline {

struct WorkerSummary {
    bool ok = true;
    std::vector<std::string> errors;
    std::string group;
    int threads = 0;
    bool drain = false;
    double wall_s = 0;
    std::int64_t records = 0, events = 0, late = 0, dlq = 0, join_misses = 0, telemetry = 0;
    std::int64_t bytes = 0;
    std::int64_t redis_flushes = 0, cold_objects = 0, cold_bytes = 0;
    std::int64_t sink_errors = 0, commit_errors = 0, fetch_wakeups = 0;
    std::int64_t fenced = 0; // batches dropped: another worker had claimed their partitions
    std::int64_t cdc_records = 0, profiles = 0, cdc_bootstrap_ms = 0;
    std::int64_t drain_partitions = 0; // partitions with a drain target
    // consumer-thread seconds, summed over threads: in the consume call, handling
    // records, hot-path flushes, cold-path writes
    double poll_s = 0, process_s = 0, flush_s = 0, cold_s = 0;
    std::int64_t assignments = 0; // assignments received over all threads (rebalances)
    double assign_wait_s = 0;     // start until the group gave this process its first partitions
    double events_per_s() const { return wall_s > 0 ? double(records) / wall_s : 0; }
    // Throughput once partitions were assigned (the group join is the broker's pace).
    double events_per_s_assigned() const {
        return wall_s > assign_wait_s ? double(records) / (wall_s - assign_wait_s) : 0;
    }
};

class Worker {
  public:
    Worker(const Config& config, WorkerOptions options);
    ~Worker();
    Worker(const Worker&) = delete;
    Worker& operator=(const Worker&) = delete;

    // Blocks until stopped (or drained); every thread has flushed, committed and closed
    // when it returns. Throws Error only for failures before any event is read (metrics
    // port, drain targets, CDC bootstrap); later failures are in the summary (ok = false).
    WorkerSummary run();
    void stop() { shared_.stop.store(true, std::memory_order_relaxed); }
    std::atomic<bool>& stop_flag() { return shared_.stop; }

    WorkerMetricsSnapshot metrics() const { return metrics_->snapshot(); }
    const WorkerShared& shared() const { return shared_; }
    const WorkerOptions& options() const { return options_; }

  private:
    void check_endpoints();
    void poll_drain_offsets();
    WorkerSummary summarize(double wall_s, const std::vector<std::string>& errors,
                            std::int64_t redis_flushes) const;

    WorkerOptions options_;
    std::unique_ptr<WorkerMetrics> metrics_;
    std::unique_ptr<ProfileTable> profiles_;
    std::unique_ptr<DrainTracker> drain_;
    WorkerShared shared_;
};

} // namespace ebap::pipeline
