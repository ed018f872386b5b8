#pragma once
// Service health: one probe round over the catalog per interval, with each service's
// recent states and the time of its last state change.
#include "core/collect/collector.hpp"
#include "core/config/config.hpp"
#include "core/probe/probe.hpp"

#include <map>
#include <optional>
#include <vector>

namespace ebap::collect {

struct ServiceHealth {
    std::string name, stack, probe_kind, endpoint;
    bool optional = false;
    ProbeResult result;
    std::int64_t since_ms = 0;   // last state change (or the first probe)
    std::vector<Health> history; // oldest first, at most kHealthHistory
    std::vector<std::optional<double>> latency; // the same probes' latency, ms (none: no answer)
};
inline constexpr std::size_t kHealthHistory = 60;

struct HealthData {
    std::string catalog;
    std::vector<ServiceHealth> services; // catalog order
    bool healthy = false;                // every required service UP
};

class HealthCollector final : public Collector<HealthData> {
  public:
    // `since` seeds each service's last change (the scripted `status` keeps it on disk
    // across runs): name -> {state word, since_ms}.
    using Since = std::map<std::string, std::pair<std::string, std::int64_t>>;
    HealthCollector(std::shared_ptr<const Config> config, Catalog catalog, Since since = {});
    ~HealthCollector() override { stop(); }

  protected:
    HealthData collect(const Snapshot<HealthData>* previous) override;

  private:
    std::shared_ptr<const Config> config_;
    Catalog catalog_;
    std::vector<ProbeTarget> targets_;
    ProbeOptions options_;
    Since seed_;
};

} // namespace ebap::collect
