#include "core/kafka/lag_store.hpp"

#include "core/base/state_file.hpp"

#include <fmt/format.h>

#include <cctype>

namespace ebap {

using nlohmann::json;

std::string lag_state_name(const std::string& group) {
    std::string out;
    for (unsigned char c : group) {
        bool plain = std::isalnum(c) || c == '-' || c == '_' || (c == '.' && !out.empty());
        out += plain ? std::string(1, char(c)) : fmt::format("%{:02X}", c);
    }
    return "lag/" + (out.empty() ? std::string("%") : out) + ".json";
}

LagHistory load_lag_history(const std::string& state_dir, const std::string& bootstrap,
                            const std::string& group, std::size_t window) {
    LagHistory h(window);
    json doc = StateFile(state_dir, lag_state_name(group)).read();
    if (doc.value("bootstrap", "") != bootstrap || doc.value("group", "") != group) return h;
    auto parts = doc.find("partitions");
    if (parts == doc.end() || !parts->is_array()) return h;
    for (const auto& p : *parts) {
        if (!p.is_object() || !p.contains("obs") || !p["obs"].is_array()) continue;
        TopicPartition key{p.value("topic", ""), p.value("partition", 0)};
        ObservationWindow w;
        for (const auto& o : p["obs"]) {
            if (!o.is_array() || o.size() != 5) continue;
            bool ints = true;
            for (const auto& v : o)
                ints = ints && v.is_number_integer();
            if (!ints) continue;
            w.push_back({o[0].get<int64_t>(), o[1].get<int64_t>(), o[2].get<int64_t>(),
                         o[3].get<int64_t>(), o[4].get<int64_t>()});
        }
        if (!key.topic.empty() && !w.empty()) h.restore(key, std::move(w));
    }
    return h;
}

bool save_lag_history(const std::string& state_dir, const std::string& bootstrap,
                      const std::string& group, const LagHistory& history) {
    json parts = json::array();
    for (const auto& [key, w] : history.windows()) {
        json obs = json::array();
        for (const auto& o : w)
            obs.push_back({o.ts_ms, o.high, o.committed, o.lag, o.since_ms});
        parts.push_back({{"topic", key.topic}, {"partition", key.partition}, {"obs", obs}});
    }
    json doc = {{"bootstrap", bootstrap},
                {"group", group},
                {"fields", {"ts_ms", "high", "committed", "lag", "since_ms"}},
                {"partitions", parts}};
    return StateFile(state_dir, lag_state_name(group)).write(doc);
}

TopicRates load_topic_rates(const std::string& state_dir, const std::string& bootstrap) {
    json doc = StateFile(state_dir, "lag/%topics.json").read();
    if (doc.value("bootstrap", "") != bootstrap) return {};
    return TopicRates::from_json(doc.value("rates", json::object()));
}

bool save_topic_rates(const std::string& state_dir, const std::string& bootstrap,
                      const TopicRates& rates) {
    return StateFile(state_dir, "lag/%topics.json")
        .write({{"bootstrap", bootstrap}, {"rates", rates.to_json()}});
}

} // namespace ebap
