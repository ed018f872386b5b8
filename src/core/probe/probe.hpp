#pragma once
// Health probes: one kind per kind of service; all kinds return a ProbeResult.
// Probes never hang: every kind honours its deadline.
#include "core/catalog/catalog.hpp"

#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <string>
#include <vector>

namespace ebap {

enum class Health { Up, Degraded, Down, Unknown };
const char* health_name(Health h); // "UP", "DEGRADED", "DOWN", "UNKNOWN"

struct ProbeResult {
    Health state = Health::Unknown;
    double latency_ms = 0;
    std::string detail;     // one line an operator can act on
    std::int64_t at_ms = 0; // wall-clock epoch ms when measured
};

struct ProbeTarget {
    std::string service; // ServiceSpec::name
    ProbeSpec spec;
};

struct ProbeOptions {
    int timeout_ms = 2000;                       // default per-probe deadline
    std::string redis_password;                  // used by redis probes
    std::string pg_user, pg_password, pg_dbname; // used by postgres probes
};

// Run one round: every target concurrently (HTTP kinds through one curl multi
// handle, the others on their own threads); the round costs about the slowest
// probe. Results are in the same order as targets.
std::vector<ProbeResult> probe_round(const std::vector<ProbeTarget>& targets,
                                     const ProbeOptions& opts);

// Keeps the last `capacity` results per service and when its state last changed.
class ProbeHistory {
  public:
    explicit ProbeHistory(std::size_t capacity = 120) : capacity_(capacity) {}
    void record(const std::string& service, const ProbeResult& r);
    std::vector<ProbeResult> recent(const std::string& service) const;
    // Epoch ms of the last state change (the first result counts as one); 0 if none.
    std::int64_t since_ms(const std::string& service) const;

  private:
    struct Entry {
        std::deque<ProbeResult> results;
        std::int64_t since_ms = 0;
    };
    std::size_t capacity_;
    mutable std::mutex mu_;
    std::map<std::string, Entry> entries_;
};

} // namespace ebap
