#include "core/collect/health_collector.hpp"

#include "core/probe/probe_targets.hpp"

namespace ebap::collect {

HealthCollector::HealthCollector(std::shared_ptr<const Config> config, Catalog catalog,
                                 Since since)
    : Collector("health", std::chrono::milliseconds(
                              std::max<long>(100, config->num("probe.interval_ms")))),
      config_(std::move(config)), catalog_(std::move(catalog)),
      targets_(probe_targets(catalog_, *config_)), options_(probe_options(*config_)),
      seed_(std::move(since)) {}

HealthData HealthCollector::collect(const Snapshot<HealthData>* previous) {
    const std::vector<ProbeResult> results = probe_round(targets_, options_);
    HealthData d;
    d.catalog = catalog_.name;
    d.healthy = true;
    for (std::size_t i = 0; i < results.size(); ++i) {
        const ServiceSpec& s = catalog_.services[i];
        ServiceHealth h{s.name, s.stack, s.probe.kind, targets_[i].spec.endpoint, s.optional,
                        results[i]};
        const ServiceHealth* before =
            previous && i < previous->data.services.size() ? &previous->data.services[i] : nullptr;
        if (before) {
            h.history = before->history;
            h.latency = before->latency;
            h.since_ms = before->result.state == h.result.state ? before->since_ms
                                                                 : h.result.at_ms;
        } else if (auto it = seed_.find(s.name);
                   it != seed_.end() && it->second.first == health_name(h.result.state)) {
            h.since_ms = it->second.second;
        } else {
            h.since_ms = h.result.at_ms;
        }
        h.history.push_back(h.result.state);
        if (h.history.size() > kHealthHistory) h.history.erase(h.history.begin());
        const bool answered = h.result.state == Health::Up || h.result.state == Health::Degraded;
        h.latency.push_back(answered ? std::optional<double>(h.result.latency_ms) : std::nullopt);
        if (h.latency.size() > kHealthHistory) h.latency.erase(h.latency.begin());
        if (!s.optional && h.result.state != Health::Up) d.healthy = false;
        d.services.push_back(std::move(h));
    }
    return d;
}

} // namespace ebap::collect
