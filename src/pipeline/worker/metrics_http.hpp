#pragma once
// Prometheus text exposition of the worker's metrics (`ebapctl worker --metrics-addr`),
// served by cpp-httplib on its own threads: a scrape never touches the consumer threads,
// it only reads a snapshot.
#include "pipeline/worker/worker_metrics.hpp"

#include <functional>
#include <memory>
#include <string>
#include <thread>

namespace httplib {
class Server;
}

namespace ebap::pipeline {

// Text format 0.0.4: `# HELP`/`# TYPE` once per family, one sample per thread
// (label thread="N") for per-thread families, unlabelled for process-wide ones.
std::string prometheus_text(const WorkerMetricsSnapshot& s);
// The inverse, for scraping an external worker: unknown families and lines are skipped.
WorkerMetricsSnapshot parse_prometheus_text(const std::string& text, std::int64_t taken_ms);

class MetricsServer {
  public:
    // addr "HOST:PORT" (port 0: any free port, see port()). Serves GET /metrics. Throws
    // UsageError for a malformed address, Error when the port cannot be bound.
    MetricsServer(const std::string& addr, std::function<WorkerMetricsSnapshot()> source);
    ~MetricsServer();
    MetricsServer(const MetricsServer&) = delete;
    MetricsServer& operator=(const MetricsServer&) = delete;

    int port() const { return port_; }
    const std::string& host() const { return host_; }

  private:
    std::unique_ptr<httplib::Server> server_;
    std::thread thread_;
    std::string host_;
    int port_ = 0;
};

} // namespace ebap::pipeline
