// What probes remember from one round to the next: since when something has been seen
// (a Connect task UNASSIGNED) and a counter's previous value (Flink's jobs-failed).
// Process-wide and keyed by kind + endpoint, so every round of one service shares it.
#include "core/probe/probe_kinds.hpp"

#include <mutex>

namespace ebap::probe_detail {
namespace {

struct Memory {
    std::mutex mu;
    std::map<std::string, std::map<std::string, std::int64_t>> since;
    std::map<std::string, long long> counters;
};

Memory& memory() {
    static Memory m;
    return m;
}

} // namespace

std::string memory_scope(const ProbeSpec& spec) {
    return spec.kind + " " + spec.endpoint;
}

std::map<std::string, std::int64_t>
seen_since(const std::string& scope, const std::vector<std::string>& items, std::int64_t now_ms) {
    Memory& m = memory();
    std::lock_guard lock(m.mu);
    std::map<std::string, std::int64_t>& before = m.since[scope];
    std::map<std::string, std::int64_t> now;
    for (const auto& item : items) {
        auto it = before.find(item);
        now[item] = it == before.end() ? now_ms : it->second;
    }
    before = now;
    return now;
}

std::optional<long long> exchange_counter(const std::string& scope, long long value) {
    Memory& m = memory();
    std::lock_guard lock(m.mu);
    auto [it, fresh] = m.counters.try_emplace(scope, value);
    if (fresh) return std::nullopt;
    long long previous = it->second;
    it->second = value;
    return previous;
}

} // namespace ebap::probe_detail
