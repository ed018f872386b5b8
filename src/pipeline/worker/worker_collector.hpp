#pragma once
// The streaming workers as the console shows them: the metrics of workers hosted in this
// process, or a scrape of an external worker's /metrics (worker.metrics_url).
#include "core/collect/collector.hpp"
#include "pipeline/worker/worker.hpp"

#include <functional>
#include <memory>
#include <string>

namespace ebap::pipeline {

struct WorkerData {
    std::string source; // "in-process" or the scraped URL
    std::string state;  // worker_state_name(), "scraped", or "none" when nothing runs
    std::string error;  // why a hosted worker failed
    WorkerMetricsSnapshot metrics;
    ThreadMetricsSnapshot total;
};

class WorkerCollector final : public collect::Collector<WorkerData> {
  public:
    using Hosted = std::function<std::shared_ptr<const Worker>()>;
    // In-process: `hosted` returns the running worker, or nullptr when none runs.
    WorkerCollector(Hosted hosted, std::chrono::milliseconds interval);
    // Scrape: GET `url` (http://HOST:PORT/metrics) with a deadline per round.
    WorkerCollector(std::string url, int timeout_ms, std::chrono::milliseconds interval);
    ~WorkerCollector() override { stop(); }

  protected:
    WorkerData collect(const collect::Snapshot<WorkerData>* previous) override;

  private:
    Hosted hosted_;
    std::string url_;
    int timeout_ms_ = 2000;
};

} // namespace ebap::pipeline
