#pragma once
// Kafka topics and consumer lag: watermarks and committed offsets per round, produce
// rates from watermark deltas over real elapsed time, and each group's Burrow-style
// verdict over its window of observations (kept in memory, and on disk when `persist`,
// so one-shot `ebapctl lag` runs judge a real window too).
#include "core/collect/collector.hpp"
#include "core/config/config.hpp"
#include "core/kafka/kafka_lag.hpp"

#include <map>
#include <memory>
#include <optional>
#include <vector>

namespace ebap::collect {

struct GroupReport {
    GroupLag lag;
    GroupVerdict verdict;
};

struct LagData {
    KafkaLagSnapshot kafka;
    std::map<std::string, double> rates; // topic -> messages/s (absent: no rate yet)
    std::vector<GroupReport> groups;     // in the order asked
    bool healthy = true;                 // every group OK
    bool saved = true;                   // persisted windows written (when persisting)
};

class LagCollector final : public Collector<LagData> {
  public:
    // groups empty: kafka.groups. Throws UsageError for bad lag.* settings.
    LagCollector(std::shared_ptr<const Config> config, std::vector<std::string> groups,
                 bool persist);
    ~LagCollector() override;

  protected:
    LagData collect(const Snapshot<LagData>* previous) override;

  private:
    std::shared_ptr<const Config> config_;
    std::vector<std::string> groups_;
    bool persist_;
    LagRules rules_;
    int timeout_ms_;
    std::unique_ptr<KafkaAdmin> admin_; // made in the first round
    // Round state: touched by one round at a time (the thread, or collect_once).
    std::optional<TopicRates> rates_;
    std::map<std::string, LagHistory> histories_;
};

} // namespace ebap::collect
