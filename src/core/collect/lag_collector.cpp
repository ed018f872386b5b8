#include "core/collect/lag_collector.hpp"

#include "core/base/error.hpp"
#include "core/kafka/lag_store.hpp"

#include <algorithm>

namespace ebap::collect {
namespace {

long positive(const Config& c, const char* key) {
    const long v = c.num(key);
    if (v < 1)
        throw UsageError(std::string(key) + " must be at least 1 (it is " + std::to_string(v) +
                         ")");
    return v;
}

} // namespace

LagCollector::LagCollector(std::shared_ptr<const Config> config, std::vector<std::string> groups,
                           bool persist)
    : Collector("lag", std::chrono::milliseconds(positive(*config, "lag.interval_ms"))),
      config_(std::move(config)), persist_(persist) {
    rules_.window = static_cast<std::size_t>(positive(*config_, "lag.window"));
    rules_.stop_after_ms = positive(*config_, "lag.stop_after_s") * 1000;
    rules_.allowed_lag = config_->num("lag.allowed_lag");
    timeout_ms_ = static_cast<int>(positive(*config_, "kafka.timeout_ms"));
    if (groups.empty()) groups = config_->list("kafka.groups");
    for (auto& g : groups)
        if (!g.empty() && std::find(groups_.begin(), groups_.end(), g) == groups_.end())
            groups_.push_back(g);
}

LagCollector::~LagCollector() { stop(); }

LagData LagCollector::collect(const Snapshot<LagData>*) {
    if (!admin_)
        admin_ = std::make_unique<KafkaAdmin>(config_->str("kafka.bootstrap_servers"), timeout_ms_);
    LagData d;
    d.kafka = collect_kafka_lag(*admin_, groups_);
    const std::string state = config_->state_dir();
    if (!rates_) rates_ = persist_ ? load_topic_rates(state, d.kafka.bootstrap) : TopicRates{};
    d.rates = rates_->update(d.kafka.ts_ms, d.kafka.topics);
    if (persist_) d.saved &= save_topic_rates(state, d.kafka.bootstrap, *rates_);
    for (const auto& g : d.kafka.groups) {
        auto it = histories_.find(g.group);
        if (it == histories_.end())
            it = histories_
                     .emplace(g.group, persist_ ? load_lag_history(state, d.kafka.bootstrap,
                                                                   g.group, rules_.window)
                                                : LagHistory(rules_.window))
                     .first;
        LagHistory& history = it->second;
        auto inputs = observe_group(history, g, d.kafka.ts_ms);
        GroupVerdict v = evaluate_group(history, inputs, d.kafka.ts_ms, rules_, g.members);
        if (persist_) d.saved &= save_lag_history(state, d.kafka.bootstrap, g.group, history);
        d.healthy &= v.status == LagStatus::Ok;
        d.groups.push_back({g, std::move(v)});
    }
    return d;
}

} // namespace ebap::collect
