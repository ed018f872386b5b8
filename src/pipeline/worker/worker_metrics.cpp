#include "pipeline/worker/worker_metrics.hpp"

#include "core/base/format.hpp"
#include "core/base/time.hpp"

#include <algorithm>
#include <fmt/format.h>

namespace ebap::pipeline {
namespace {

std::int64_t load(const std::atomic<std::int64_t>& a) {
    return a.load(std::memory_order_relaxed);
}

} // namespace

void ThreadMetrics::record_flush(std::int64_t us) {
    add(flushes, 1);
    set(flush_last_us, us);
    if (us > load(flush_max_us)) set(flush_max_us, us); // single writer: no CAS needed
}

WorkerMetrics::WorkerMetrics(int threads) : started_ms_(now_ms()) {
    for (int i = 0; i < threads; ++i)
        threads_.push_back(std::make_unique<ThreadMetrics>());
    last_events_.assign(threads_.size(), 0);
    last_bytes_.assign(threads_.size(), 0);
    last_tick_ms_ = started_ms_;
}

void WorkerMetrics::tick(std::int64_t now) {
    std::lock_guard lock(tick_mu_);
    const double secs = double(now - last_tick_ms_) / 1000.0;
    if (secs <= 0) return;
    for (std::size_t i = 0; i < threads_.size(); ++i) {
        ThreadMetrics& t = *threads_[i];
        const std::int64_t ev = load(t.records), by = load(t.bytes);
        t.events_per_s.store(double(ev - last_events_[i]) / secs, std::memory_order_relaxed);
        t.bytes_per_s.store(double(by - last_bytes_[i]) / secs, std::memory_order_relaxed);
        last_events_[i] = ev;
        last_bytes_[i] = by;
    }
    last_tick_ms_ = now;
}

WorkerMetricsSnapshot WorkerMetrics::snapshot() const {
    WorkerMetricsSnapshot s;
    s.taken_ms = now_ms();
    s.started_ms = started_ms_;
    for (std::size_t i = 0; i < threads_.size(); ++i) {
        const ThreadMetrics& t = *threads_[i];
        ThreadMetricsSnapshot x;
        x.index = static_cast<int>(i);
        x.records_total = load(t.records);
        x.bytes_total = load(t.bytes);
        x.events_total = load(t.events);
        x.late_total = load(t.late);
        x.dlq_total = load(t.dlq);
        x.join_misses_total = load(t.join_misses);
        x.telemetry_total = load(t.telemetry);
        x.watermark_ms = load(t.watermark_ms);
        x.open_windows = load(t.open_windows);
        x.queue_depth = load(t.queue_depth);
        x.cold_pending = load(t.cold_pending);
        x.assignments_total = load(t.assignments);
        x.assigned_partitions = load(t.assigned_partitions);
        x.consumer_lag = load(t.consumer_lag);
        x.paused = t.paused.load(std::memory_order_relaxed);
        x.flushes_total = load(t.flushes);
        x.poll_us_total = load(t.poll_us);
        x.process_us_total = load(t.process_us);
        x.flush_us_total = load(t.flush_us);
        x.cold_us_total = load(t.cold_us);
        x.flush_last_us = load(t.flush_last_us);
        x.flush_max_us = load(t.flush_max_us);
        x.cold_last_us = load(t.cold_last_us);
        x.redis_last_us = load(t.redis_last_us);
        x.cold_objects_total = load(t.cold_objects);
        x.cold_bytes_total = load(t.cold_bytes);
        x.sink_errors_total = load(t.sink_errors);
        x.commit_errors_total = load(t.commit_errors);
        x.fetch_wakeups_total = load(t.fetch_wakeups);
        x.fenced_total = load(t.fenced);
        x.events_per_s = t.events_per_s.load(std::memory_order_relaxed);
        x.bytes_per_s = t.bytes_per_s.load(std::memory_order_relaxed);
        s.threads.push_back(x);
    }
    s.cdc_records_total = load(cdc_records);
    s.cdc_errors_total = load(cdc_errors);
    s.cdc_lag_ms = load(cdc_lag_ms);
    s.cdc_behind = load(cdc_behind);
    s.profiles = load(profiles);
    s.cdc_bootstrap_ms = load(cdc_bootstrap_ms);
    s.view_refreshes_total = load(view_refreshes);
    s.view_errors_total = load(view_errors);
    return s;
}

ThreadMetricsSnapshot WorkerMetricsSnapshot::total() const {
    ThreadMetricsSnapshot t;
    t.index = -1;
    for (const auto& x : threads) {
        t.records_total += x.records_total;
        t.bytes_total += x.bytes_total;
        t.events_total += x.events_total;
        t.late_total += x.late_total;
        t.dlq_total += x.dlq_total;
        t.join_misses_total += x.join_misses_total;
        t.telemetry_total += x.telemetry_total;
        t.watermark_ms = std::max(t.watermark_ms, x.watermark_ms);
        t.open_windows += x.open_windows;
        t.queue_depth += x.queue_depth;
        t.cold_pending += x.cold_pending;
        t.assignments_total += x.assignments_total;
        t.assigned_partitions += x.assigned_partitions;
        t.consumer_lag += x.consumer_lag;
        t.paused = t.paused || x.paused;
        t.flushes_total += x.flushes_total;
        t.poll_us_total += x.poll_us_total;
        t.process_us_total += x.process_us_total;
        t.flush_us_total += x.flush_us_total;
        t.cold_us_total += x.cold_us_total;
        t.flush_last_us = std::max(t.flush_last_us, x.flush_last_us);
        t.flush_max_us = std::max(t.flush_max_us, x.flush_max_us);
        t.cold_last_us = std::max(t.cold_last_us, x.cold_last_us);
        t.redis_last_us = std::max(t.redis_last_us, x.redis_last_us);
        t.cold_objects_total += x.cold_objects_total;
        t.cold_bytes_total += x.cold_bytes_total;
        t.sink_errors_total += x.sink_errors_total;
        t.commit_errors_total += x.commit_errors_total;
        t.fetch_wakeups_total += x.fetch_wakeups_total;
        t.fenced_total += x.fenced_total;
        t.events_per_s += x.events_per_s;
        t.bytes_per_s += x.bytes_per_s;
    }
    return t;
}

std::int64_t WorkerMetricsSnapshot::watermark_delay_ms() const {
    const std::int64_t wm = total().watermark_ms;
    return wm > 0 ? std::max<std::int64_t>(0, taken_ms - wm) : 0;
}

std::string metrics_log_line(const WorkerMetricsSnapshot& s) {
    const ThreadMetricsSnapshot t = s.total();
    return fmt::format(
        "worker: {} rec/s ({}/s), events {}, late {}, dlq {}, join misses {}, lag {}, "
        "queue {}, cold pending {}, windows {}, watermark delay {}, flush {} (max {}), sink errors "
        "{}, "
        "profiles {}, cdc lag {}{}",
        fmt_count(t.events_per_s), fmt_bytes(t.bytes_per_s), t.events_total, t.late_total,
        t.dlq_total, t.join_misses_total, t.consumer_lag, t.queue_depth, t.cold_pending,
        t.open_windows,
        s.watermark_delay_ms() > 0 ? fmt_duration_ms(double(s.watermark_delay_ms())) : "-",
        fmt_duration_ms(double(t.flush_last_us) / 1000.0),
        fmt_duration_ms(double(t.flush_max_us) / 1000.0), t.sink_errors_total, s.profiles,
        fmt_duration_ms(double(s.cdc_lag_ms)), t.paused ? " [PAUSED: sink failing]" : "");
}

} // namespace ebap::pipeline
