#include "pipeline/worker/metrics_http.hpp"

#include "core/base/error.hpp"

#include <charconv>
#include <fmt/format.h>
#include <httplib.h>

namespace ebap::pipeline {
namespace {

using Field = double (*)(const ThreadMetricsSnapshot&);

struct ThreadFamily {
    const char* name;
    const char* type; // counter | gauge
    const char* help;
    Field value;
};

#define EBAP_FIELD(expr) [](const ThreadMetricsSnapshot& t) -> double { return double(expr); }

const ThreadFamily kThreadFamilies[] = {
    {"ebap_worker_records_total", "counter", "Kafka records read (events and telemetry).",
     EBAP_FIELD(t.records_total)},
    {"ebap_worker_bytes_total", "counter", "Record value bytes read.", EBAP_FIELD(t.bytes_total)},
    {"ebap_worker_events_total", "counter", "Valid events counted in windows.",
     EBAP_FIELD(t.events_total)},
    {"ebap_worker_late_events_total", "counter", "Events dropped behind the watermark.",
     EBAP_FIELD(t.late_total)},
    {"ebap_worker_dlq_events_total", "counter", "Records sent to the dead-letter topic.",
     EBAP_FIELD(t.dlq_total)},
    {"ebap_worker_join_misses_total", "counter", "Events whose user has no profile.",
     EBAP_FIELD(t.join_misses_total)},
    {"ebap_worker_telemetry_records_total", "counter", "Telemetry records applied.",
     EBAP_FIELD(t.telemetry_total)},
    {"ebap_worker_events_per_second", "gauge", "Records read per second (last second).",
     EBAP_FIELD(t.events_per_s)},
    {"ebap_worker_bytes_per_second", "gauge", "Bytes read per second (last second).",
     EBAP_FIELD(t.bytes_per_s)},
    {"ebap_worker_watermark_timestamp_seconds", "gauge",
     "Event-time watermark (max over the thread's partitions), epoch seconds.",
     EBAP_FIELD(double(t.watermark_ms) / 1000.0)},
    {"ebap_worker_open_windows", "gauge", "Windows in the pending batch.",
     EBAP_FIELD(t.open_windows)},
    {"ebap_worker_queue_depth", "gauge", "Records in the pending batch (bounded).",
     EBAP_FIELD(t.queue_depth)},
    {"ebap_worker_cold_pending", "gauge", "Records read but not yet written to the cold path.",
     EBAP_FIELD(t.cold_pending)},
    {"ebap_worker_assigned_partitions", "gauge", "Partitions assigned to the thread.",
     EBAP_FIELD(t.assigned_partitions)},
    {"ebap_worker_assignments_total", "counter",
     "Partition assignments received (one per rebalance the thread took part in).",
     EBAP_FIELD(t.assignments_total)},
    {"ebap_worker_consumer_lag", "gauge", "Records behind the high watermarks.",
     EBAP_FIELD(t.consumer_lag)},
    {"ebap_worker_paused", "gauge", "1 while partitions are paused because a sink fails.",
     EBAP_FIELD(t.paused ? 1 : 0)},
    {"ebap_worker_flushes_total", "counter", "Committed flushes (one MULTI/EXEC each).",
     EBAP_FIELD(t.flushes_total)},
    {"ebap_worker_flush_latency_seconds", "gauge", "Duration of the last flush.",
     EBAP_FIELD(double(t.flush_last_us) / 1e6)},
    {"ebap_worker_flush_latency_max_seconds", "gauge", "Longest flush so far.",
     EBAP_FIELD(double(t.flush_max_us) / 1e6)},
    {"ebap_worker_cold_write_seconds", "gauge", "Duration of the last cold-path write.",
     EBAP_FIELD(double(t.cold_last_us) / 1e6)},
    {"ebap_worker_redis_write_seconds", "gauge", "Duration of the last Redis transaction.",
     EBAP_FIELD(double(t.redis_last_us) / 1e6)},
    {"ebap_worker_cold_objects_total", "counter", "Cold-path objects written.",
     EBAP_FIELD(t.cold_objects_total)},
    {"ebap_worker_cold_bytes_total", "counter", "Compressed cold-path bytes written.",
     EBAP_FIELD(t.cold_bytes_total)},
    {"ebap_worker_sink_errors_total", "counter", "Failed sink attempts (retried).",
     EBAP_FIELD(t.sink_errors_total)},
    {"ebap_worker_commit_errors_total", "counter", "Failed Kafka offset commits.",
     EBAP_FIELD(t.commit_errors_total)},
    {"ebap_worker_fetch_wakeups_total", "counter",
     "Fetcher wake-ups after a full prefetch queue drained (librdkafka 2.0 workaround).",
     EBAP_FIELD(t.fetch_wakeups_total)},
    {"ebap_worker_fenced_batches_total", "counter",
     "Batches dropped because another worker had claimed their partitions (it replays them).",
     EBAP_FIELD(t.fenced_total)},
    {"ebap_worker_poll_seconds_total", "counter", "Thread time waiting for records.",
     EBAP_FIELD(double(t.poll_us_total) / 1e6)},
    {"ebap_worker_process_seconds_total", "counter", "Thread time handling records.",
     EBAP_FIELD(double(t.process_us_total) / 1e6)},
    {"ebap_worker_flush_seconds_total", "counter", "Thread time in hot-path flushes.",
     EBAP_FIELD(double(t.flush_us_total) / 1e6)},
    {"ebap_worker_cold_seconds_total", "counter", "Thread time writing the cold path.",
     EBAP_FIELD(double(t.cold_us_total) / 1e6)},
};

struct ProcessFamily {
    const char* name;
    const char* type;
    const char* help;
    double (*value)(const WorkerMetricsSnapshot&);
};

#define EBAP_PFIELD(expr) [](const WorkerMetricsSnapshot& s) -> double { return double(expr); }

const ProcessFamily kProcessFamilies[] = {
    {"ebap_worker_watermark_delay_seconds", "gauge", "Wall clock minus the watermark.",
     EBAP_PFIELD(double(s.watermark_delay_ms()) / 1000.0)},
    {"ebap_worker_cdc_records_total", "counter", "CDC records applied to the profile table.",
     EBAP_PFIELD(s.cdc_records_total)},
    {"ebap_worker_cdc_errors_total", "counter", "CDC records that could not be applied.",
     EBAP_PFIELD(s.cdc_errors_total)},
    {"ebap_worker_cdc_lag_seconds", "gauge", "Debezium ts_ms minus source.ts_ms, last record.",
     EBAP_PFIELD(double(s.cdc_lag_ms) / 1000.0)},
    {"ebap_worker_cdc_behind_records", "gauge", "CDC records not yet read.",
     EBAP_PFIELD(s.cdc_behind)},
    {"ebap_worker_profiles", "gauge", "User profiles in the table.", EBAP_PFIELD(s.profiles)},
    {"ebap_worker_view_refreshes_total", "counter", "Derived-view recomputations.",
     EBAP_PFIELD(s.view_refreshes_total)},
    {"ebap_worker_view_errors_total", "counter", "Failed derived-view recomputations.",
     EBAP_PFIELD(s.view_errors_total)},
    {"ebap_worker_uptime_seconds", "gauge", "Seconds since the worker started.",
     EBAP_PFIELD(double(s.taken_ms - s.started_ms) / 1000.0)},
};

#undef EBAP_FIELD
#undef EBAP_PFIELD

// Prometheus floats: integers print without a fraction, others with full precision.
std::string number(double v) {
    return fmt::format("{}", v);
}

} // namespace

std::string prometheus_text(const WorkerMetricsSnapshot& s) {
    std::string out;
    out.reserve(8192);
    for (const auto& f : kThreadFamilies) {
        out += fmt::format("# HELP {} {}\n# TYPE {} {}\n", f.name, f.help, f.name, f.type);
        for (const auto& t : s.threads)
            out += fmt::format("{}{{thread=\"{}\"}} {}\n", f.name, t.index, number(f.value(t)));
    }
    for (const auto& f : kProcessFamilies)
        out += fmt::format("# HELP {} {}\n# TYPE {} {}\n{} {}\n", f.name, f.help, f.name, f.type,
                           f.name, number(f.value(s)));
    return out;
}

MetricsServer::MetricsServer(const std::string& addr, std::function<WorkerMetricsSnapshot()> source)
    : server_(std::make_unique<httplib::Server>()) {
    const auto colon = addr.rfind(':');
    int port = -1;
    if (colon != std::string::npos && colon > 0) {
        const char* b = addr.data() + colon + 1;
        const char* e = addr.data() + addr.size();
        auto [p, ec] = std::from_chars(b, e, port);
        if (ec != std::errc() || p != e || b == e) port = -1;
    }
    if (port < 0 || port > 65535)
        throw UsageError("--metrics-addr must be HOST:PORT (e.g. 127.0.0.1:9464), got '" + addr +
                         "'");
    host_ = addr.substr(0, colon);
    if (host_.size() > 2 && host_.front() == '[' && host_.back() == ']')
        host_ = host_.substr(1, host_.size() - 2);

    server_->Get("/metrics", [source](const httplib::Request&, httplib::Response& res) {
        res.set_content(prometheus_text(source()), "text/plain; version=0.0.4; charset=utf-8");
    });
    server_->Get("/", [](const httplib::Request&, httplib::Response& res) {
        res.set_content("ebapctl worker: metrics at /metrics\n", "text/plain");
    });
    if (port == 0) {
        port_ = server_->bind_to_any_port(host_);
    } else {
        port_ = server_->bind_to_port(host_, port) ? port : -1;
    }
    if (port_ <= 0)
        throw Error("metrics endpoint: cannot listen on " + addr +
                    " (address in use or not local?); choose another --metrics-addr");
    thread_ = std::thread([this] { server_->listen_after_bind(); });
}

MetricsServer::~MetricsServer() {
    server_->stop();
    if (thread_.joinable()) thread_.join();
}

} // namespace ebap::pipeline
