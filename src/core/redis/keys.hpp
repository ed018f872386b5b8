#pragma once
// The Redis hot-path contract, spelled once: key builders and hash field names shared by
// the workers that write them (pipeline/sinks/redis) and the readers (core/redis, views).
#include <cstdint>
#include <string>

namespace ebap {

class RedisKeys {
  public:
    explicit RedisKeys(std::string prefix) : p_(std::move(prefix)) {}
    const std::string& prefix() const { return p_; }

    std::string kpi_now() const { return p_ + "kpi:now"; }         // hash: KpiField below
    std::string regions() const { return p_ + "regions"; }         // set of region names
    std::string region(const std::string& name) const { return p_ + "region:" + name; }
    std::string ts_kpi() const { return p_ + "ts:kpi"; }           // stream: eps, active_users
    std::string window_1m(std::int64_t start_ms) const {           // hash of counts
        return p_ + "win:1m:" + std::to_string(start_ms);
    }
    std::string window_index() const { return p_ + "win:index"; } // zset of window starts
    std::string second(std::int64_t sec) const { return p_ + "sec:" + std::to_string(sec); }
    std::string counters() const { return p_ + "counters"; }       // late_events, dlq_events
    std::string offsets(const std::string& group) const { return p_ + "offsets:" + group; }
    std::string owners(const std::string& group) const { return p_ + "owners:" + group; }
    std::string service(const std::string& name) const { return p_ + "svc:" + name; }

  private:
    std::string p_;
};

// Fields of kpi:now.
namespace kpi_field {
inline constexpr const char* eps = "eps";
inline constexpr const char* active_users_1m = "active_users_1m";
inline constexpr const char* purchases_1m = "purchases_1m";
inline constexpr const char* revenue_1m = "revenue_1m";
inline constexpr const char* error_rate_1m = "error_rate_1m";
inline constexpr const char* late_events = "late_events";
inline constexpr const char* dlq_events = "dlq_events";
inline constexpr const char* watermark_ms = "watermark_ms";
inline constexpr const char* updated_ms = "updated_ms";
inline constexpr const char* window_start_ms = "window_start_ms";
} // namespace kpi_field

// Fields of region:<name>.
namespace region_field {
inline constexpr const char* events_1m = "events_1m";
inline constexpr const char* active_users_1m = "active_users_1m";
inline constexpr const char* revenue_1m = "revenue_1m";
inline constexpr const char* error_rate = "error_rate";
inline constexpr const char* p95_latency_ms = "p95_latency_ms";
inline constexpr const char* health = "health";
inline constexpr const char* window_start_ms = "window_start_ms";
inline constexpr const char* updated_ms = "updated_ms";
} // namespace region_field

} // namespace ebap
