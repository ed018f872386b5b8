#pragma once
// The Redis hot path as the console shows it: ebap:kpi:now, every region's health and the
// last points of the ebap:ts:kpi series, read over one connection the collector owns.
#include "core/collect/collector.hpp"
#include "core/config/config.hpp"
#include "core/redis/kpi_reader.hpp"

#include <memory>
#include <vector>

namespace ebap::collect {

struct KpiData {
    KpiNow now;
    std::vector<RegionHealth> regions; // sorted by name
    std::vector<KpiPoint> series;      // oldest first
    std::vector<std::string> notes;    // why something reads as unknown
};

class KpiCollector final : public Collector<KpiData> {
  public:
    struct Parts {
        bool now = true, regions = true;
        std::size_t series = 600; // ts:kpi points (one a second: 10 minutes)
    };
    KpiCollector(std::shared_ptr<const Config> config, Parts parts);
    ~KpiCollector() override;

  protected:
    KpiData collect(const Snapshot<KpiData>* previous) override;

  private:
    std::shared_ptr<const Config> config_;
    Parts parts_;
    std::unique_ptr<RedisClient> client_; // connected in the first round, again after errors
};

} // namespace ebap::collect
