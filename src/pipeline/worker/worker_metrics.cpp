#include "pipeline/worker/worker_metrics.hpp"

#include "core/base/format.hpp"
#include "core/base/time.hpp"

#include <algorithm>
#include <fmt/format.h>

namespace ebap::pipeline {
namespace {

template <typename T>
T load(const std::atomic<T>& a) {
    return a.load(std::memory_order_relaxed);
}

} // namespace

const std::vector<MetricDef>& thread_metric_defs() {
#define EBAP_X(type, field, label, kind, agg, unit, prom, path, log_label, help)               \
    MetricDef{#field,        label,                                                             \
              MetricKind::kind,                                                                 \
              MetricAgg::agg, MetricUnit::unit,                                                 \
              prom,          path,                                                              \
              log_label,     help,                                                              \
              [](const ThreadMetricsSnapshot& t) { return static_cast<double>(t.field); },         \
              [](ThreadMetricsSnapshot& t, double v) { t.field = static_cast<type>(v); }},
    static const std::vector<MetricDef> defs = {EBAP_THREAD_METRICS(EBAP_X)};
#undef EBAP_X
    return defs;
}

double metric_base_value(const MetricDef& d, const ThreadMetricsSnapshot& t) {
    const double v = d.value(t);
    switch (d.unit) {
    case MetricUnit::Micros:
        return v / 1e6;
    case MetricUnit::EpochMs:
        return v / 1e3;
    default:
        return v;
    }
}

double metric_raw_value(const MetricDef& d, double base) {
    switch (d.unit) {
    case MetricUnit::Micros:
        return base * 1e6;
    case MetricUnit::EpochMs:
        return base * 1e3;
    default:
        return base;
    }
}

std::string metric_display(const MetricDef& d, const ThreadMetricsSnapshot& t) {
    const double v = d.value(t);
    switch (d.unit) {
    case MetricUnit::Count:
        return fmt_count(v);
    case MetricUnit::Bytes:
        return fmt_bytes(v);
    case MetricUnit::Micros:
        return fmt_duration_ms(v / 1000.0);
    case MetricUnit::EpochMs:
        return v > 0 ? utc_iso(static_cast<std::int64_t>(v)) : "-";
    case MetricUnit::Flag:
        return v != 0 ? "yes" : "no";
    case MetricUnit::PerSecond:
        return fmt_count(v) + "/s";
    case MetricUnit::BytesPerSecond:
        return fmt_bytes(v) + "/s";
    }
    return fmt::format("{}", v);
}

void ThreadMetrics::record_flush(std::int64_t us) {
    add(flushes, 1);
    set(flush_last_us, us);
    if (us > load(flush_max_us)) set(flush_max_us, us); // single writer: no CAS needed
}

WorkerMetrics::WorkerMetrics(int threads) : started_ms_(now_ms()) {
    for (int i = 0; i < threads; ++i)
        threads_.push_back(std::make_unique<ThreadMetrics>());
    last_records_.assign(threads_.size(), 0);
    last_bytes_.assign(threads_.size(), 0);
    last_tick_ms_ = started_ms_;
}

void WorkerMetrics::tick(std::int64_t now) {
    std::lock_guard lock(tick_mu_);
    const double secs = double(now - last_tick_ms_) / 1000.0;
    if (secs <= 0) return;
    for (std::size_t i = 0; i < threads_.size(); ++i) {
        ThreadMetrics& t = *threads_[i];
        const std::int64_t rec = load(t.records), by = load(t.bytes);
        t.records_per_s.store(double(rec - last_records_[i]) / secs, std::memory_order_relaxed);
        t.bytes_per_s.store(double(by - last_bytes_[i]) / secs, std::memory_order_relaxed);
        last_records_[i] = rec;
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
#define EBAP_X(type, field, ...) x.field = load(t.field);
        EBAP_THREAD_METRICS(EBAP_X)
#undef EBAP_X
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
#define EBAP_X(type, field, label, kind, agg, ...)                                              \
    t.field = MetricAgg::agg == MetricAgg::Sum ? t.field + x.field : std::max(t.field, x.field);
        EBAP_THREAD_METRICS(EBAP_X)
#undef EBAP_X
    }
    return t;
}

std::int64_t WorkerMetricsSnapshot::watermark_delay_ms() const {
    const std::int64_t wm = total().watermark_ms;
    return wm > 0 ? std::max<std::int64_t>(0, taken_ms - wm) : 0;
}

std::string metrics_log_line(const WorkerMetricsSnapshot& s) {
    const ThreadMetricsSnapshot t = s.total();
    std::string line =
        fmt::format("{} rec/s ({}/s)", fmt_count(t.records_per_s), fmt_bytes(t.bytes_per_s));
    for (const MetricDef& d : thread_metric_defs())
        if (*d.log_label) line += fmt::format(", {} {}", d.log_label, metric_display(d, t));
    line += fmt::format(
        ", watermark delay {}, profiles {}, cdc lag {}",
        s.watermark_delay_ms() > 0 ? fmt_duration_ms(double(s.watermark_delay_ms())) : "-",
        s.profiles, fmt_duration_ms(double(s.cdc_lag_ms)));
    if (t.paused) line += " [PAUSED: sink failing]";
    return line;
}

} // namespace ebap::pipeline
