#pragma once
// The embedded streaming worker (`ebapctl worker`, and the console's hosted workers):
// CDC bootstrap into the profile table, then N consumer threads in one consumer group,
// each committing its batches exactly once to Redis (see consumer_thread.hpp).
//
// Lifecycle: construct (validates options, no I/O), start() (returns at once; a thread
// checks Redis and Kafka, then runs until stop() or, with drain, until everything present
// at start is committed), state() and metrics() at any time, wait() for the summary.
// stop() is async-signal-safe (one atomic store).
#include "core/config/config.hpp"
#include "pipeline/worker/worker_metrics.hpp"
#include "pipeline/worker/worker_shared.hpp"

#include <atomic>
#include <exception>
#include <mutex>
#include <thread>
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
    bool interrupted = false; // a drain stopped by stop() before reaching its targets
    double wall_s = 0;
    ThreadMetricsSnapshot totals; // every thread metric, summed (EBAP_THREAD_METRICS)
    std::int64_t cdc_records = 0, profiles = 0, cdc_bootstrap_ms = 0;
    std::int64_t drain_partitions = 0; // partitions with a drain target
    double assign_wait_s = 0;          // start until the group gave this process partitions
    double records_per_s() const { return wall_s > 0 ? double(totals.records) / wall_s : 0; }
    // Throughput once partitions were assigned (the group join is the broker's pace).
    double records_per_s_assigned() const {
        return wall_s > assign_wait_s ? double(totals.records) / (wall_s - assign_wait_s) : 0;
    }
};

enum class WorkerState {
    Idle,     // constructed, not started
    Starting, // checking endpoints, drain targets, CDC bootstrap
    Running,  // consumer threads reading
    Stopping, // stop() requested (or drained): threads flushing and committing
    Stopped,  // every thread flushed, committed and closed; wait() returns at once
    Failed,   // could not start (unreachable endpoint, port in use...): see error()
};
const char* worker_state_name(WorkerState s); // "idle", "starting", ...

class Worker {
  public:
    Worker(const Config& config, WorkerOptions options);
    ~Worker(); // stops and joins
    Worker(const Worker&) = delete;
    Worker& operator=(const Worker&) = delete;

    // Starts the worker on its own thread and returns at once. Once only.
    void start();
    // Blocks until the worker has stopped (or drained); every thread has flushed,
    // committed and closed when it returns. Rethrows a failure before any event was read
    // (unreachable endpoint, metrics port, drain targets, CDC bootstrap); later failures
    // are in the summary (ok = false).
    WorkerSummary wait();
    // start() then wait().
    WorkerSummary run();
    void stop() { shared_.stop.store(true, std::memory_order_relaxed); }
    std::atomic<bool>& stop_flag() { return shared_.stop; }

    WorkerState state() const;
    std::string error() const; // why it Failed; empty otherwise
    WorkerMetricsSnapshot metrics() const { return metrics_->snapshot(); }
    const WorkerShared& shared() const { return shared_; }
    const WorkerOptions& options() const { return options_; }

  private:
    WorkerSummary execute();
    void set_state(WorkerState s);
    void check_endpoints();
    void poll_drain_offsets();
    WorkerSummary summarize(double wall_s, const std::vector<std::string>& errors) const;

    WorkerOptions options_;
    std::unique_ptr<WorkerMetrics> metrics_;
    std::unique_ptr<ProfileTable> profiles_;
    std::unique_ptr<DrainTracker> drain_;
    WorkerShared shared_;

    mutable std::mutex mu_; // state_, error_, summary_
    WorkerState state_ = WorkerState::Idle;
    std::string error_;
    std::exception_ptr failure_;
    WorkerSummary summary_;
    std::thread thread_;
};

} // namespace ebap::pipeline
