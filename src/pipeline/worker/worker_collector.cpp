#include "pipeline/worker/worker_collector.hpp"

#include "core/base/error.hpp"
#include "core/base/time.hpp"
#include "pipeline/worker/metrics_http.hpp"

#include <httplib.h>

namespace ebap::pipeline {

WorkerCollector::WorkerCollector(Hosted hosted, std::chrono::milliseconds interval)
    : Collector("workers", interval), hosted_(std::move(hosted)) {}

WorkerCollector::WorkerCollector(std::string url, int timeout_ms,
                                 std::chrono::milliseconds interval)
    : Collector("workers", interval), url_(std::move(url)), timeout_ms_(timeout_ms) {}

WorkerData WorkerCollector::collect(const collect::Snapshot<WorkerData>*) {
    WorkerData d;
    if (url_.empty()) {
        d.source = "in-process";
        const std::shared_ptr<const Worker> w = hosted_ ? hosted_() : nullptr;
        if (!w) {
            d.state = "none";
            return d;
        }
        d.state = worker_state_name(w->state());
        d.error = w->error();
        d.metrics = w->metrics();
    } else {
        d.source = url_;
        d.state = "scraped";
        // http://HOST:PORT/PATH
        const std::string scheme = "http://";
        if (url_.rfind(scheme, 0) != 0)
            throw UsageError("worker.metrics_url must start with http://, got '" + url_ + "'");
        const auto slash = url_.find('/', scheme.size());
        const std::string base = url_.substr(0, slash);
        const std::string path = slash == std::string::npos ? "/metrics" : url_.substr(slash);
        httplib::Client client(base);
        const time_t secs = timeout_ms_ / 1000;
        const time_t usecs = (timeout_ms_ % 1000) * 1000;
        client.set_connection_timeout(secs, usecs);
        client.set_read_timeout(secs, usecs);
        client.set_write_timeout(secs, usecs);
        auto res = client.Get(path);
        if (!res) throw Error(url_ + ": " + httplib::to_string(res.error()));
        if (res->status != 200) throw Error(url_ + ": HTTP " + std::to_string(res->status));
        d.metrics = parse_prometheus_text(res->body, now_ms());
    }
    d.total = d.metrics.total();
    return d;
}

} // namespace ebap::pipeline
