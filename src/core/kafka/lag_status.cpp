#include "core/kafka/lag_status.hpp"

#include "core/base/format.hpp"

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
    case LagStatus::Rewind:
        return "REWIND";
    case LagStatus::Stall:
        return "STALL";
    case LagStatus::Stop:
        return "STOP";
    case LagStatus::Err:
        return "ERR";
    }
    return "ERR";
}

const char* drain_name(Drain d) {
    switch (d) {
    case Drain::None:
        return "none";
    case Drain::Done:
        return "done";
    case Drain::KeepingUp:
        return "current";
    case Drain::Estimate:
        return "estimate";
    case Drain::Never:
        return "never";
    case Drain::Unknown:
        return "unknown";
    }
    return "unknown";
}

void LagHistory::trim(PartitionWindow& w) const {
    while (w.commits.size() > size_)
        w.commits.pop_front();
    while (w.rounds.size() > std::max<std::size_t>(size_, 2))
        w.rounds.pop_front();
}

void LagHistory::add(const TopicPartition& key, Round r) {
    auto& w = windows_[key];
    if (!w.rounds.empty() && r.high < w.rounds.back().high) w = {};
    if (r.committed < 0)
        w.commits.clear();
    else if (w.commits.empty() || w.commits.back().committed != r.committed)
        w.commits.push_back({r.ts_ms, r.committed, std::max<int64_t>(0, r.high - r.committed)});
    w.rounds.push_back(r);
    trim(w);
}

void LagHistory::retain(const std::vector<TopicPartition>& keep) {
    std::set<TopicPartition> wanted(keep.begin(), keep.end());
    std::erase_if(windows_, [&](const auto& kv) { return !wanted.count(kv.first); });
}

const PartitionWindow* LagHistory::window(const TopicPartition& key) const {
    auto it = windows_.find(key);
    return it == windows_.end() ? nullptr : &it->second;
}

void LagHistory::restore(const TopicPartition& key, PartitionWindow w) {
    trim(w);
    windows_[key] = std::move(w);
}

namespace {

std::string plural(std::size_t n, const char* noun) {
    return fmt::format("{} {}{}", n, noun, n == 1 ? "" : "s");
}

// Least-squares slope of (ts, value) in units per second: smoother than the
// window's two ends, which carry a round's worth of error each.
template <class It, class Value>
std::optional<double> slope(It first, It last, Value value) {
    const auto n = static_cast<double>(std::distance(first, last));
    if (n < 2 || std::prev(last)->ts_ms - first->ts_ms < kMinRateSpanMs) return std::nullopt;
    const double t0 = static_cast<double>(first->ts_ms);
    double st = 0, sv = 0;
    for (auto it = first; it != last; ++it)
        st += (static_cast<double>(it->ts_ms) - t0) / 1000.0, sv += value(*it);
    const double mt = st / n, mv = sv / n;
    double cov = 0, var = 0;
    for (auto it = first; it != last; ++it) {
        const double dt = (static_cast<double>(it->ts_ms) - t0) / 1000.0 - mt;
        cov += dt * (value(*it) - mv);
        var += dt * dt;
    }
    if (var <= 0) return std::nullopt;
    return cov / var;
}

// Index of the first observation after a step backwards, or 0 when none.
std::size_t rewind_at(const std::deque<Observation>& c) {
    for (std::size_t i = 1; i < c.size(); ++i)
        if (c[i].committed < c[i - 1].committed) return i;
    return 0;
}

bool rewind_recovered(const std::deque<Observation>& c, std::size_t at) {
    return std::any_of(c.begin() + static_cast<std::ptrdiff_t>(at), c.end(),
                       [&](const Observation& o) { return o.committed >= c[at - 1].committed; });
}

// The last step backwards in the window: rates are measured after it, so a
// rewind's negative step never enters them.
std::size_t last_rewind(const std::deque<Observation>& c) {
    std::size_t at = 0;
    for (std::size_t i = 1; i < c.size(); ++i)
        if (c[i].committed < c[i - 1].committed) at = i;
    return at;
}

void fill_rates(const std::deque<Observation>& c, PartitionVerdict& v) {
    const auto from = c.begin() + static_cast<std::ptrdiff_t>(last_rewind(c));
    v.consume_rate =
        slope(from, c.end(), [](const Observation& o) { return static_cast<double>(o.committed); });
    if (v.consume_rate && *v.consume_rate < 0) v.consume_rate = 0.0;
    if (auto s = slope(from, c.end(),
                       [](const Observation& o) { return static_cast<double>(o.lag); }))
        v.drain_rate = -*s;
}

// How long a partition may go without a new commit: the window's span with
// two rounds of slack (our stamps are up to a round late at each end), capped
// by stop_after. With one commit in the window there is no span to go by.
int64_t stop_threshold(const PartitionWindow& w, const LagRules& rules) {
    if (w.commits.size() < 2) return rules.stop_after_ms;
    int64_t round = 0;
    for (std::size_t i = 1; i < w.rounds.size(); ++i)
        round = std::max(round, w.rounds[i].ts_ms - w.rounds[i - 1].ts_ms);
    const int64_t span = w.commits.back().ts_ms - w.commits.front().ts_ms;
    return std::min(span + 2 * round, rules.stop_after_ms);
}

bool caught_up_recently(const PartitionWindow& w) {
    const int64_t committed = w.commits.back().committed;
    return std::any_of(w.rounds.begin(), w.rounds.end(),
                       [&](const Round& r) { return r.high <= committed; });
}

PartitionVerdict judge(const PartitionWindow& w, const PartitionInput& in, int64_t now_ms,
                       const LagRules& rules, const GroupContext& group, PartitionVerdict v) {
    auto say = [&](LagStatus s, std::string reason) {
        v.status = s;
        v.reason = std::move(reason);
        return v;
    };
    const Round& cur = w.rounds.back();
    if (cur.committed < 0 || w.commits.empty()) {
        v.no_commit = true;
        const int64_t retained = in.low >= 0 ? std::max<int64_t>(0, cur.high - in.low) : cur.high;
        if (group.committed_elsewhere && in.low > 0 && retained > 0)
            return say(LagStatus::Err,
                       fmt::format("no commit here while the group commits elsewhere, and the "
                                   "log start moved to {}: {} messages were deleted unread",
                                   in.low, in.low));
        return say(LagStatus::Ok, retained > 0 ? fmt::format("no commit yet ({} messages retained)",
                                                             retained)
                                               : "no commit yet, nothing to read");
    }
    v.lag = std::max<int64_t>(0, cur.high - cur.committed);
    if (in.low > cur.committed)
        return say(LagStatus::Err, fmt::format("committed offset {} is before the log start {}: "
                                               "{} messages were deleted unread",
                                               cur.committed, in.low, in.low - cur.committed));
    if (v.lag <= rules.allowed_lag)
        return say(LagStatus::Ok, v.lag == 0 ? std::string("caught up")
                                             : fmt::format("lag {}, within the allowed {}", v.lag,
                                                           rules.allowed_lag));

    const Observation& last = w.commits.back();
    const int64_t quiet = now_ms - last.ts_ms;
    if (quiet > stop_threshold(w, rules) && !caught_up_recently(w)) {
        const std::string what = fmt::format("no new commit for {} (offset {}) while lag is {}",
                                             fmt_duration_ms(double(quiet)), last.committed, v.lag);
        if (group.members > 0)
            return say(LagStatus::Stall,
                       what + fmt::format(", with {} in the group: stuck?",
                                          plural(std::size_t(group.members), "member")));
        return say(LagStatus::Stop, what);
    }
    if (std::size_t at = rewind_at(w.commits); at > 0 && !rewind_recovered(w.commits, at))
        return say(LagStatus::Rewind,
                   fmt::format("committed offset went backwards ({} -> {}): the group was reset "
                               "or rewound",
                               w.commits[at - 1].committed, w.commits[at].committed));
    if (std::any_of(w.commits.begin(), w.commits.end(),
                    [&](const Observation& o) { return o.lag <= rules.allowed_lag; }))
        return say(LagStatus::Ok, fmt::format("lag {}, caught up within the window", v.lag));
    if (w.commits.size() < 2)
        return say(LagStatus::Ok, fmt::format("lag {}, no trend yet (1 of {} observations)",
                                              v.lag, rules.window));
    bool decreases = false;
    for (std::size_t i = 1; i < w.commits.size(); ++i)
        decreases |= w.commits[i].lag < w.commits[i - 1].lag;
    if (!decreases)
        return say(LagStatus::Warn, fmt::format("lag never decreases over {} ({} -> {}): the "
                                                "consumer is slower than its input",
                                                plural(w.commits.size(), "commit"),
                                                w.commits.front().lag, last.lag));
    return say(LagStatus::Ok, fmt::format("lag {} -> {}, consuming", w.commits.front().lag, v.lag));
}

} // namespace

PartitionVerdict evaluate_partition(const PartitionWindow& w, const PartitionInput& in,
                                    int64_t now_ms, const LagRules& rules,
                                    const GroupContext& group) {
    PartitionVerdict v;
    if (!in.error.empty()) {
        v.status = LagStatus::Err;
        v.reason = "offsets unavailable: " + in.error;
        return v;
    }
    if (w.rounds.empty()) {
        v.status = LagStatus::Err;
        v.reason = "no observation yet";
        return v;
    }
    v.observations = w.commits.size();
    v.complete = std::min(1.0, double(w.commits.size()) / double(std::max<std::size_t>(1, rules.window)));
    fill_rates(w.commits, v);
    return judge(w, in, now_ms, rules, group, std::move(v));
}

namespace {

// The slowest lagging partition decides: lag over its own drain rate. One that
// does not drain (stopped, stalled, lag growing) means never; one whose lag is
// only the last seconds of its consumption is current, not a backlog.
void fill_drain(GroupVerdict& g, const LagRules& rules) {
    if (g.partitions.empty()) return;
    bool never = false, unknown = false, estimate = false, current = false;
    double slowest = 0;
    for (const auto& p : g.partitions) {
        if (p.status == LagStatus::Err) {
            unknown |= p.lag != 0;
            continue;
        }
        if (p.lag <= rules.allowed_lag) continue;
        if (p.status == LagStatus::Stop || p.status == LagStatus::Stall) {
            never = true;
        } else if (p.consume_rate && *p.consume_rate > 0 &&
                   double(p.lag) <= *p.consume_rate * kKeepingUpSeconds) {
            current = true; // a trail, not a backlog: its drain "rate" is noise
        } else if (p.drain_rate && *p.drain_rate > 0) {
            estimate = true;
            slowest = std::max(slowest, double(p.lag) / *p.drain_rate);
        } else if (p.drain_rate) {
            never = true;
        } else {
            unknown = true;
        }
    }
    if (never)
        g.drain = Drain::Never;
    else if (unknown)
        g.drain = Drain::Unknown;
    else if (estimate)
        g.drain = Drain::Estimate, g.drain_seconds = slowest;
    else if (current)
        g.drain = Drain::KeepingUp;
    else
        g.drain = Drain::Done, g.drain_seconds = 0.0;
}

} // namespace

GroupVerdict evaluate_group(const LagHistory& history, const std::vector<PartitionInput>& parts,
                            int64_t now_ms, const LagRules& rules, int members) {
    GroupVerdict g;
    if (parts.empty()) {
        g.status = LagStatus::Err;
        g.reason = "no committed offsets on any topic (group not started, or another group id?)";
        return g;
    }
    static const PartitionWindow kEmpty;
    GroupContext ctx{members, false};
    for (const auto& in : parts)
        if (const PartitionWindow* w = history.window(in.key); w && !w->commits.empty())
            ctx.committed_elsewhere = true;
    std::size_t worst = 0, worst_count = 0, full = 0;
    for (std::size_t i = 0; i < parts.size(); ++i) {
        const PartitionWindow* w = history.window(parts[i].key);
        PartitionVerdict v = evaluate_partition(w ? *w : kEmpty, parts[i], now_ms, rules, ctx);
        if (v.lag > 0) g.total_lag += v.lag;
        if (v.consume_rate) g.consume_rate = g.consume_rate.value_or(0) + *v.consume_rate;
        if (v.complete >= 1.0) ++full;
        if (v.lag >= 0 && (!g.maxlag || v.lag > g.partitions[*g.maxlag].lag)) g.maxlag = i;
        if (i == 0 || v.status > g.partitions[worst].status) {
            worst = i;
            worst_count = 1;
        } else if (v.status == g.partitions[worst].status) {
            ++worst_count;
        }
        g.partitions.push_back(std::move(v));
    }
    g.complete = double(full) / double(parts.size());
    g.status = g.partitions[worst].status;
    auto name = [&](std::size_t i) {
        return fmt::format("{}[{}]", parts[i].key.topic, parts[i].key.partition);
    };
    if (g.status == LagStatus::Ok) {
        g.reason = fmt::format("{} OK, lag {}", plural(parts.size(), "partition"), g.total_lag);
        if (g.maxlag && g.partitions[*g.maxlag].lag > 0)
            g.reason += fmt::format(" (max {} on {})", g.partitions[*g.maxlag].lag, name(*g.maxlag));
    } else {
        g.reason = name(worst) + ": " + g.partitions[worst].reason;
        if (worst_count > 1)
            g.reason += fmt::format(" (+{} more {})", worst_count - 1, lag_status_name(g.status));
    }
    if (g.complete < 1.0) {
        std::size_t least = rules.window;
        for (const auto& p : g.partitions)
            if (!p.no_commit) least = std::min(least, p.observations);
        g.reason += fmt::format("; tentative: {} of {} observations", least, rules.window);
    }
    fill_drain(g, rules);
    return g;
}

} // namespace ebap
