#pragma once
// Service telemetry (topic ebap.metrics.telemetry, records {service, region, metric,
// value, ts}): the worker keeps the latest value per service and metric in the hash
// `<prefix>svc:<service>` (fields <metric>, <metric>:ts, region). The HSETs go inside the
// MULTI/EXEC that commits the records' offsets (fencing guards them too); latest values
// are idempotent, so a replay writes the same values again.
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ebap::pipeline {

struct TelemetryRecord {
    std::string service, region, metric;
    double value = 0;
    std::int64_t ts_ms = 0; // 0 when absent
};

class TelemetryDecoder {
  public:
    TelemetryDecoder();
    ~TelemetryDecoder();
    TelemetryDecoder(const TelemetryDecoder&) = delete;
    TelemetryDecoder& operator=(const TelemetryDecoder&) = delete;
    // nullopt: valid. Otherwise the reason (DLQ header). service, metric and a numeric
    // value are required; ts is epoch ms or RFC 3339.
    std::optional<std::string> decode(std::string_view json, TelemetryRecord& out);

  private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

// The latest record per (service, metric) of one batch, in partition order (a service is
// one key, so one partition: the last read is the latest, and a replay ends the same).
class TelemetryLatest {
  public:
    void add(const TelemetryRecord& r);
    bool empty() const { return latest_.empty(); }
    std::size_t size() const { return latest_.size(); }
    void clear() { latest_.clear(); }
    // One HSET per service: key <prefix>svc:<service>.
    std::vector<std::vector<std::string>> redis_commands(const std::string& prefix) const;

  private:
    struct Value {
        std::string region;
        double value = 0;
        std::int64_t ts_ms = 0;
    };
    std::map<std::pair<std::string, std::string>, Value> latest_; // (service, metric)
};

} // namespace ebap::pipeline
