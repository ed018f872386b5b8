#include "core/kafka/kafka_lag.hpp"

#include "core/base/format.hpp"
#include "core/base/time.hpp"

#include <algorithm>
#include <set>

namespace ebap {

KafkaLagSnapshot collect_kafka_lag(KafkaAdmin& admin, const std::vector<std::string>& groups) {
    KafkaLagSnapshot snap;
    snap.ts_ms = now_ms();
    snap.bootstrap = admin.bootstrap();
    ClusterInfo info = admin.metadata(false);
    std::vector<TopicInfo> usable;
    for (const auto& t : info.topics)
        if (t.error.empty() && t.partitions > 0) usable.push_back(t);
    // Committed offsets first, high watermarks after: a commit landing between the two
    // reads then shows as lag, never as a committed offset past the high watermark.
    std::vector<TopicPartition> all;
    for (const auto& t : usable)
        for (int32_t p = 0; p < t.partitions; ++p)
            all.push_back({t.name, p});
    std::vector<std::vector<CommittedOffset>> committed;
    for (const auto& g : groups)
        committed.push_back(admin.committed(g, all));
    for (auto& tw : admin.watermarks(usable)) {
        TopicOffsets to;
        to.name = tw.topic;
        for (const auto& w : tw.partitions) {
            if (!w.error.empty()) continue;
            to.messages += w.high - w.low;
            to.high_sum += w.high;
        }
        to.watermarks = std::move(tw.partitions);
        snap.topics.push_back(std::move(to));
    }
    for (std::size_t i = 0; i < groups.size(); ++i)
        snap.groups.push_back(
            compute_group_lag(groups[i], snap.topics, committed[i], admin.group_info(groups[i])));
    return snap;
}

GroupLag compute_group_lag(const std::string& group, const std::vector<TopicOffsets>& topics,
                           const std::vector<CommittedOffset>& committed, const GroupInfo& info) {
    GroupLag g;
    g.group = group;
    g.state = info.state;
    g.members = info.members;
    std::set<std::string> consumed;
    for (const auto& c : committed)
        if (c.offset >= 0) consumed.insert(c.topic);
    // A fetch error on a topic the group may read must not hide: keep the topic.
    for (const auto& c : committed)
        if (!c.error.empty()) consumed.insert(c.topic);

    for (const auto& t : topics) {
        if (!consumed.count(t.name)) continue;
        for (const auto& w : t.watermarks) {
            PartitionLag p;
            p.topic = t.name;
            p.partition = w.partition;
            p.low = w.low;
            p.high = w.high;
            p.error = w.error;
            for (const auto& c : committed)
                if (c.topic == t.name && c.partition == w.partition) {
                    p.committed = c.offset;
                    if (p.error.empty()) p.error = c.error;
                }
            if (p.error.empty() && p.committed >= 0) {
                p.lag = std::max<int64_t>(0, p.high - p.committed);
                g.total_lag += p.lag;
            }
            g.partitions.push_back(std::move(p));
        }
    }
    std::sort(g.partitions.begin(), g.partitions.end(), [](const auto& a, const auto& b) {
        return a.topic != b.topic ? a.topic < b.topic : a.partition < b.partition;
    });
    return g;
}

std::vector<PartitionInput> observe_group(LagHistory& history, const GroupLag& lag, int64_t ts_ms) {
    std::vector<PartitionInput> inputs;
    std::vector<TopicPartition> keys;
    for (const auto& p : lag.partitions) {
        TopicPartition key{p.topic, p.partition};
        if (p.error.empty()) history.add(key, Round{ts_ms, p.high, p.committed});
        inputs.push_back({key, p.error, p.low});
        keys.push_back(std::move(key));
    }
    history.retain(keys);
    return inputs;
}

std::map<std::string, double> TopicRates::update(int64_t ts_ms,
                                                 const std::vector<TopicOffsets>& topics) {
    std::map<std::string, double> rates;
    std::map<std::string, int64_t> now;
    for (const auto& t : topics)
        now[t.name] = t.high_sum;
    if (prev_ts_ > 0 && ts_ms > prev_ts_) {
        double secs = static_cast<double>(ts_ms - prev_ts_) / 1000.0;
        for (const auto& [name, high] : now) {
            auto it = prev_high_.find(name);
            if (it != prev_high_.end() && high >= it->second)
                rates[name] = static_cast<double>(high - it->second) / secs;
        }
    }
    prev_ts_ = ts_ms;
    prev_high_ = std::move(now);
    return rates;
}

nlohmann::json TopicRates::to_json() const {
    return {{"ts_ms", prev_ts_}, {"high", prev_high_}};
}

TopicRates TopicRates::from_json(const nlohmann::json& j) {
    TopicRates r;
    if (!j.is_object()) return r;
    r.prev_ts_ = j.value("ts_ms", int64_t{0});
    if (auto it = j.find("high"); it != j.end() && it->is_object())
        for (const auto& [name, v] : it->items())
            if (v.is_number_integer()) r.prev_high_[name] = v.get<int64_t>();
    return r;
}

} // namespace ebap
