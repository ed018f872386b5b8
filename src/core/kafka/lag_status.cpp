#include "core/kafka/lag_status.hpp"

#include "core/base/format.hpp"
#include "core/base/time.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <set>

namespace ebap {

const char* lag_status_name(LagStatus s) {
    switch (s) {
    case LagStatus::Ok:
        return "OK";
    case LagStatus::Warn:
        return "WARN";
    case LagStatus::Stall:
        return "STALL";
    case LagStatus::Stop:
        return "STOP";
    case LagStatus::Err:
        return "ERR";
    }
    return "ERR";
}

void LagHistory::add(const TopicPartition& key, Observation o) {
    auto& w = windows_[key];
    if (!w.empty() && o.high < w.back().high) w.clear();
    if (!w.empty() && w.back().committed == o.committed)
        o.since_ms = w.back().since_ms;
    else
        o.since_ms = o.ts_ms;
    w.push_back(o);
    while (w.size() > size_)
        w.pop_front();
}

void LagHistory::retain(const std::vector<TopicPartition>& keep) {
    std::set<TopicPartition> wanted(keep.begin(), keep.end());
    std::erase_if(windows_, [&](const auto& kv) { return !wanted.count(kv.first); });
}

const ObservationWindow* LagHistory::window(const TopicPartition& key) const {
    auto it = windows_.find(key);
    return it == windows_.end() ? nullptr : &it->second;
}

void LagHistory::restore(const TopicPartition& key, ObservationWindow w) {
    while (w.size() > size_)
        w.pop_front();
    windows_[key] = std::move(w);
}

namespace {

PartitionVerdict verdict(LagStatus s, std::string reason) {
    PartitionVerdict v;
    v.status = s;
    v.reason = std::move(reason);
    return v;
}

// Rates need two observations with a committed offset, some time apart.
void fill_rates(const ObservationWindow& w, PartitionVerdict& v) {
    if (w.size() < 2) return;
    const auto& first = w.front();
    const auto& last = w.back();
    if (first.committed < 0 || last.committed < 0 || last.ts_ms <= first.ts_ms) return;
    double secs = static_cast<double>(last.ts_ms - first.ts_ms) / 1000.0;
    v.consume_rate = static_cast<double>(last.committed - first.committed) / secs;
    v.drain_rate = static_cast<double>(first.lag - last.lag) / secs;
}

} // namespace

PartitionVerdict evaluate_partition(const ObservationWindow& w, int64_t now_ms,
                                    const LagRules& rules, const std::string& fetch_error) {
    if (!fetch_error.empty()) return verdict(LagStatus::Err, "offsets unavailable: " + fetch_error);
    if (w.empty()) return verdict(LagStatus::Err, "no observation yet");
    const Observation& cur = w.back();

    PartitionVerdict v;
    if (cur.committed < 0) {
        v = cur.lag > 0 ? verdict(LagStatus::Err, fmt::format("no committed offset while {} "
                                                              "messages wait",
                                                              cur.lag))
                        : verdict(LagStatus::Ok, "no committed offset, nothing to read");
        return v;
    }
    fill_rates(w, v);
    auto with_rates = [&](LagStatus s, std::string reason) {
        v.status = s;
        v.reason = std::move(reason);
        return v;
    };

    if (cur.lag == 0) return with_rates(LagStatus::Ok, "caught up");
    if (std::any_of(w.begin(), w.end(), [](const Observation& o) { return o.lag == 0; }))
        return with_rates(LagStatus::Ok,
                          fmt::format("lag {}, caught up within the window", cur.lag));
    for (std::size_t i = 1; i < w.size(); ++i) {
        if (w[i - 1].committed >= 0 && w[i].committed >= 0 && w[i].committed < w[i - 1].committed)
            return with_rates(LagStatus::Err,
                              fmt::format("committed offset went backwards ({} -> {}): the "
                                          "group was reset or rewound",
                                          w[i - 1].committed, w[i].committed));
    }
    if (w.size() < 2)
        return with_rates(LagStatus::Ok, fmt::format("lag {}, no trend yet (1 of {} observations)",
                                                     cur.lag, rules.window));

    int64_t unchanged_ms = now_ms - cur.since_ms;
    if (unchanged_ms >= rules.stop_after_ms)
        return with_rates(LagStatus::Stop,
                          fmt::format("committed offset {} unchanged for {} while lag is {}",
                                      cur.committed, fmt_duration_ms(double(unchanged_ms)),
                                      cur.lag));
    bool same = std::all_of(w.begin(), w.end(),
                            [&](const Observation& o) { return o.committed == cur.committed; });
    if (same)
        return with_rates(LagStatus::Stall,
                          fmt::format("committed offset {} unchanged across {} observations "
                                      "({}) while lag is {}",
                                      cur.committed, w.size(),
                                      fmt_duration_ms(double(cur.ts_ms - w.front().ts_ms)),
                                      cur.lag));
    bool never_shrinks = true;
    for (std::size_t i = 1; i < w.size(); ++i)
        if (w[i].lag < w[i - 1].lag) never_shrinks = false;
    if (never_shrinks)
        return with_rates(LagStatus::Warn,
                          fmt::format("lag not shrinking ({} -> {}) while the consumer commits",
                                      w.front().lag, cur.lag));
    return with_rates(LagStatus::Ok,
                      fmt::format("lag {} -> {}, consuming", w.front().lag, cur.lag));
}

GroupVerdict evaluate_group(const LagHistory& history, const std::vector<PartitionInput>& parts,
                            int64_t now_ms, const LagRules& rules) {
    GroupVerdict g;
    if (parts.empty()) {
        g.status = LagStatus::Err;
        g.reason = "no committed offsets on any topic (group not started, or another group id?)";
        return g;
    }
    double consume = 0, drain = 0;
    bool consume_known = false, drain_known = false;
    std::size_t worst = 0, worst_count = 0;
    for (std::size_t i = 0; i < parts.size(); ++i) {
        static const ObservationWindow kEmpty;
        const ObservationWindow* w = history.window(parts[i].key);
        const ObservationWindow& win = w ? *w : kEmpty;
        PartitionVerdict v = evaluate_partition(win, now_ms, rules, parts[i].error);
        if (!win.empty() && parts[i].error.empty()) g.total_lag += win.back().lag;
        if (v.consume_rate) consume += *v.consume_rate, consume_known = true;
        if (v.drain_rate) drain += *v.drain_rate, drain_known = true;
        if (i == 0 || v.status > g.partitions[worst].status) {
            worst = i;
            worst_count = 1;
        } else if (v.status == g.partitions[worst].status) {
            ++worst_count;
        }
        g.partitions.push_back(std::move(v));
    }
    g.status = g.partitions[worst].status;
    if (g.status == LagStatus::Ok) {
        g.reason = fmt::format("{} partition{} OK, lag {}", parts.size(),
                               parts.size() == 1 ? "" : "s", g.total_lag);
    } else {
        g.reason = fmt::format("{}[{}]: {}", parts[worst].key.topic, parts[worst].key.partition,
                               g.partitions[worst].reason);
        if (worst_count > 1)
            g.reason += fmt::format(" (+{} more {})", worst_count - 1, lag_status_name(g.status));
    }
    if (consume_known) g.consume_rate = consume;
    if (g.total_lag == 0)
        g.drain_seconds = 0.0;
    else if (drain_known && drain > 0)
        g.drain_seconds = static_cast<double>(g.total_lag) / drain;
    g.keeping_up = g.total_lag > 0 && g.consume_rate && *g.consume_rate > 0 &&
                   static_cast<double>(g.total_lag) <= *g.consume_rate * kKeepingUpSeconds;
    return g;
}

} // namespace ebap
