// The derived views (docs/ARCHITECTURE.md, "Derived views"), recomputed from the window keys after each commit.
#include "core/base/error.hpp"

#include "core/redis/keys.hpp"
#include "pipeline/sinks/redis/redis_batch.hpp"
#include "pipeline/sinks/redis/redis_sink.hpp"

namespace ebap::pipeline {

using namespace redis_detail;

std::optional<std::int64_t> RedisSink::current_window(const RedisReply& index_reply,
                                                      std::int64_t now_ms) const {
    std::optional<std::int64_t> best;
    if (index_reply.is_array() && !index_reply.elements.empty())
        best = parse_int(index_reply.elements.front().str);
    const std::int64_t limit = now_ms + kFutureWindowToleranceMs;
    for (auto it = written_windows_.rbegin(); it != written_windows_.rend(); ++it)
        if (*it <= limit) {
            if (!best || *it > *best) best = *it;
            break;
        }
    return best;
}

void RedisSink::refresh_views(std::int64_t now_ms, std::optional<std::int64_t> watermark_ms,
                              const HealthThresholds& thresholds) {
    if (client_.pending() > 0)
        throw Error("internal: RedisSink::refresh_views with pipelined commands pending");
    // Round trip 1: which window is current, which regions exist.
    client_.append({"ZREVRANGEBYSCORE", RedisKeys(prefix_).window_index(),
                    std::to_string(now_ms + kFutureWindowToleranceMs), "-inf", "LIMIT", "0", "1"});
    client_.append({"SMEMBERS", RedisKeys(prefix_).regions()});
    auto first = client_.flush();
    const std::optional<std::int64_t> window = current_window(first[0], now_ms);
    std::vector<std::string> regions;
    if (first[1].is_array())
        for (const auto& e : first[1].elements)
            regions.push_back(e.str);
    std::sort(regions.begin(), regions.end());

    // Round trip 2: the window's aggregates, its HLLs, the per-second counts around it.
    client_.append({"HMGET", RedisKeys(prefix_).counters(), "late_events", "dlq_events"});
    const std::string base = window ? RedisKeys(prefix_).window_1m(*window) : "";
    const std::int64_t sec0 = window ? floor_seconds(*window) - kWindowMs / 1000 : 0;
    const std::int64_t secs = 2 * kWindowMs / 1000; // the window and the one before it
    if (window) {
        client_.append({"HGETALL", base});
        client_.append({"PFCOUNT", base + ":users"});
        std::vector<std::string> mget{"MGET"};
        for (std::int64_t s = sec0; s < sec0 + secs; ++s)
            mget.push_back(RedisKeys(prefix_).second(s));
        client_.append(mget);
        for (const auto& r : regions) {
            client_.append({"HGETALL", base + ":region:" + r});
            client_.append({"PFCOUNT", base + ":users:" + r});
        }
    }
    const auto second = client_.flush();

    const auto counters = second[0].is_array() ? second[0].elements : std::vector<RedisReply>{};
    const std::string now = std::to_string(now_ms);
    std::vector<std::string> kpi{
        "HSET",        RedisKeys(prefix_).kpi_now(),
        kpi_field::late_events, std::to_string(counters.size() > 0 ? int_of(counters[0]) : 0),
        kpi_field::dlq_events,  std::to_string(counters.size() > 1 ? int_of(counters[1]) : 0),
        kpi_field::updated_ms,  now};
    if (watermark_ms)
        kpi.insert(kpi.end(), {kpi_field::watermark_ms, std::to_string(*watermark_ms)});
    double eps = 0;
    std::int64_t active = 0;
    if (window) {
        const auto win = as_hash(second[1]);
        active = int_of(second[2]);
        // eps: the 10 complete seconds before the newest second holding data.
        const auto& per_sec = second[3].elements;
        std::int64_t newest = -1;
        for (std::int64_t i = 0; i < static_cast<std::int64_t>(per_sec.size()); ++i)
            if (int_of(per_sec[static_cast<std::size_t>(i)]) > 0) newest = i;
        std::int64_t sum = 0;
        for (std::int64_t i = std::max<std::int64_t>(0, newest - 10); i < newest; ++i)
            sum += int_of(per_sec[static_cast<std::size_t>(i)]);
        eps = static_cast<double>(sum) / 10.0;
        const double events = num_field(win, "events");
        kpi.insert(kpi.end(), {kpi_field::purchases_1m, num(num_field(win, "purchases")),
                               kpi_field::revenue_1m, num(num_field(win, "revenue")),
                               kpi_field::error_rate_1m,
                               num(events > 0 ? num_field(win, "errors") / events : 0.0),
                               kpi_field::window_start_ms, std::to_string(*window)});
    } else {
        kpi.insert(kpi.end(), {kpi_field::purchases_1m, "0", kpi_field::revenue_1m, "0",
                               kpi_field::error_rate_1m, "0"});
    }
    kpi.insert(kpi.end(),
               {kpi_field::eps, num(eps), kpi_field::active_users_1m, std::to_string(active)});

    // Round trip 3: write the views.
    RedisBatch b(client_);
    b.add(kpi);
    for (std::size_t i = 0; window && i < regions.size(); ++i) {
        const auto h = as_hash(second[4 + 2 * i]);
        LatencyCounts lat{};
        for (std::size_t k = 0; k < kLatencyBucketCount; ++k)
            lat[k] = static_cast<std::int64_t>(
                num_field(h, fmt::format("lat:{}", latency_bucket_label(k))));
        const double events = num_field(h, "events");
        const double error_rate = events > 0 ? num_field(h, "errors") / events : 0.0;
        const double p95 = p95_from_buckets(lat);
        b.add({"HSET", RedisKeys(prefix_).region(regions[i]), region_field::events_1m, num(events),
               region_field::active_users_1m, std::to_string(int_of(second[5 + 2 * i])),
               region_field::revenue_1m, num(num_field(h, "revenue")), region_field::error_rate,
               num(error_rate), region_field::p95_latency_ms, num(p95), region_field::health,
               std::string(health(p95, error_rate, thresholds)), region_field::window_start_ms,
               std::to_string(*window), region_field::updated_ms, now});
    }
    // The entry id is the wall-clock second: a second XADD in the same second (from any
    // worker) is refused by Redis, which keeps the stream at one entry per second.
    b.add({"XADD", RedisKeys(prefix_).ts_kpi(), "MAXLEN", "~", std::to_string(kTsKpiMaxLen),
           std::to_string(floor_seconds(now_ms) * 1000) + "-0", "eps", num(eps), "active_users",
           std::to_string(active)});
    const auto third = client_.flush();
    for (std::size_t i = 0; i < third.size(); ++i) {
        if (!third[i].is_error()) continue;
        if (i + 1 == third.size() && third[i].str.find("equal or smaller") != std::string::npos)
            continue; // this second already has its entry
        throw Error(fmt::format("redis {}: writing views: {} failed: {}", client_.endpoint(),
                                b.label(i), third[i].str));
    }
}

} // namespace ebap::pipeline
