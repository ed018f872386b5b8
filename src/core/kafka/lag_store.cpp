#include "core/kafka/lag_store.hpp"

#include "core/base/state_file.hpp"

#include <fmt/format.h>

#include <algorithm>
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

namespace {

// Rows of integers, each row exactly `width` long; anything else is skipped.
template <class F>
void int_rows(const json& rows, std::size_t width, F&& f) {
    if (!rows.is_array()) return;
    for (const auto& r : rows) {
        if (!r.is_array() || r.size() != width) continue;
        if (std::all_of(r.begin(), r.end(), [](const json& v) { return v.is_number_integer(); }))
            f(r);
    }
}

constexpr int kFormat = 2; // 2: commit observations and rounds kept apart

} // namespace

LagHistory load_lag_history(const std::string& state_dir, const std::string& bootstrap,
                            const std::string& group, std::size_t window) {
    LagHistory h(window);
    json doc = StateFile(state_dir, lag_state_name(group)).read();
    if (doc.value("format", 0) != kFormat || doc.value("bootstrap", "") != bootstrap ||
        doc.value("group", "") != group)
        return h;
    auto parts = doc.find("partitions");
    if (parts == doc.end() || !parts->is_array()) return h;
    for (const auto& p : *parts) {
        if (!p.is_object()) continue;
        TopicPartition key{p.value("topic", ""), p.value("partition", 0)};
        PartitionWindow w;
        int_rows(p.value("commits", json()), 3, [&](const json& r) {
            w.commits.push_back({r[0].get<int64_t>(), r[1].get<int64_t>(), r[2].get<int64_t>()});
        });
        int_rows(p.value("rounds", json()), 3, [&](const json& r) {
            w.rounds.push_back({r[0].get<int64_t>(), r[1].get<int64_t>(), r[2].get<int64_t>()});
        });
        if (!key.topic.empty() && !w.rounds.empty()) h.restore(key, std::move(w));
    }
    return h;
}

bool save_lag_history(const std::string& state_dir, const std::string& bootstrap,
                      const std::string& group, const LagHistory& history) {
    json parts = json::array();
    for (const auto& [key, w] : history.windows()) {
        json commits = json::array(), rounds = json::array();
        for (const auto& o : w.commits)
            commits.push_back({o.ts_ms, o.committed, o.lag});
        for (const auto& r : w.rounds)
            rounds.push_back({r.ts_ms, r.high, r.committed});
        parts.push_back({{"topic", key.topic},
                         {"partition", key.partition},
                         {"commits", commits},
                         {"rounds", rounds}});
    }
    json doc = {{"format", kFormat},
                {"bootstrap", bootstrap},
                {"group", group},
                {"fields",
                 {{"commits", {"ts_ms", "committed", "lag"}},
                  {"rounds", {"ts_ms", "high", "committed"}}}},
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
