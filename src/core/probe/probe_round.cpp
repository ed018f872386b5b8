// One probe round: HTTP kinds share a curl multi loop on the calling thread,
// every other kind gets its own thread; the round costs about the slowest probe.
// Also the per-service history the screens draw from.
#include "core/probe/probe.hpp"
#include "core/probe/probe_kinds.hpp"

#include <exception>
#include <system_error>
#include <thread>

namespace ebap {

const char* health_name(Health h) {
    switch (h) {
    case Health::Up:
        return "UP";
    case Health::Degraded:
        return "DEGRADED";
    case Health::Down:
        return "DOWN";
    case Health::Unknown:
        break;
    }
    return "UNKNOWN";
}

namespace {

using namespace probe_detail;

ProbeResult probe_one(const ProbeTarget& target, const ProbeOptions& opts) {
    const auto start = Clock::now();
    const ProbeSpec& spec = target.spec;
    const int timeout_ms = timeout_for(spec, opts);
    try {
        if (spec.kind != "command" && spec.endpoint.empty())
            return finish(Health::Unknown, "no endpoint configured", start);
        if (const ProbeKind* kind = find_kind(spec.kind); kind && kind->run)
            return kind->run(spec, opts, timeout_ms);
        return finish(Health::Unknown, "unknown probe kind '" + spec.kind + "'", start);
    } catch (const std::exception& e) {
        // A bad endpoint in one service must not cost the rest of the round.
        return finish(Health::Unknown, e.what(), start);
    }
}

} // namespace

std::vector<ProbeResult> probe_round(const std::vector<ProbeTarget>& targets,
                                     const ProbeOptions& opts) {
    std::vector<ProbeResult> results(targets.size());
    std::vector<std::size_t> http_index;
    std::vector<const ProbeSpec*> http_specs;
    std::vector<std::thread> threads;
    for (std::size_t i = 0; i < targets.size(); ++i) {
        const ProbeSpec& spec = targets[i].spec;
        if (is_http_kind(spec.kind) && !spec.endpoint.empty()) {
            http_index.push_back(i);
            http_specs.push_back(&spec);
        } else {
            try {
                threads.emplace_back([&, i] { results[i] = probe_one(targets[i], opts); });
            } catch (
                const std::system_error&) { // out of threads: probe inline rather than not at all
                results[i] = probe_one(targets[i], opts);
            }
        }
    }
    if (!http_specs.empty()) {
        std::vector<ProbeResult> http;
        try {
            http = probe_http_all(http_specs, opts);
        } catch (const std::exception& e) {
            for (std::size_t k = 0; k < http_specs.size(); ++k)
                http.push_back(finish(Health::Unknown, e.what(), Clock::now()));
        }
        for (std::size_t k = 0; k < http_index.size(); ++k)
            results[http_index[k]] = std::move(http[k]);
    }
    for (auto& t : threads)
        t.join();
    return results;
}

void ProbeHistory::record(const std::string& service, const ProbeResult& r) {
    std::lock_guard lock(mu_);
    Entry& e = entries_[service];
    if (e.results.empty() || e.results.back().state != r.state) e.since_ms = r.at_ms;
    e.results.push_back(r);
    while (e.results.size() > capacity_)
        e.results.pop_front();
}

std::vector<ProbeResult> ProbeHistory::recent(const std::string& service) const {
    std::lock_guard lock(mu_);
    auto it = entries_.find(service);
    if (it == entries_.end()) return {};
    return {it->second.results.begin(), it->second.results.end()};
}

std::int64_t ProbeHistory::since_ms(const std::string& service) const {
    std::lock_guard lock(mu_);
    auto it = entries_.find(service);
    return it == entries_.end() ? 0 : it->second.since_ms;
}

} // namespace ebap
