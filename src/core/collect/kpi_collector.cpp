#include "core/collect/kpi_collector.hpp"

namespace ebap::collect {

KpiCollector::KpiCollector(std::shared_ptr<const Config> config, Parts parts)
    : Collector("kpi", std::chrono::milliseconds(std::max<long>(100, config->num("kpi.interval_ms")))),
      config_(std::move(config)), parts_(parts) {}

KpiCollector::~KpiCollector() { stop(); }

KpiData KpiCollector::collect(const Snapshot<KpiData>*) {
    try {
        if (!client_) client_ = std::make_unique<RedisClient>(*config_);
        KpiReader reader(*client_, config_->redis_prefix(), config_->num("kpi.stale_after_ms"));
        KpiData d;
        if (parts_.now) d.now = reader.read_kpi_now();
        if (parts_.regions) d.regions = reader.read_regions(&d.notes);
        if (parts_.series > 0) d.series = reader.read_kpi_series(parts_.series, &d.notes);
        return d;
    } catch (...) {
        client_.reset(); // a broken connection is not reused
        throw;
    }
}

} // namespace ebap::collect
