#include "pipeline/worker/cdc_follower.hpp"

#include "core/base/log.hpp"
#include "core/base/error.hpp"
#include "core/base/format.hpp"
#include "core/base/time.hpp"

#include <chrono>
#include <cstdio>

namespace ebap::pipeline {

using Clock = std::chrono::steady_clock;

CdcFollower::CdcFollower(const std::string& bootstrap, std::string topic, ProfileTable& table,
                         WorkerMetrics& metrics, const KafkaProps& overrides)
    : bootstrap_servers_(bootstrap), topic_(std::move(topic)), table_(table), metrics_(metrics) {
    KafkaConf conf(bootstrap, overrides);
    // librdkafka wants a group.id for assign(); nothing is ever joined or committed.
    conf.set("group.id", "ebapctl-worker-cdc")
        .set("enable.auto.commit", "false")
        .set("enable.auto.offset.store", "false")
        .set("enable.partition.eof", "true")
        .set("auto.offset.reset", "earliest");
    rk_ = conf.create(RD_KAFKA_CONSUMER);
}

CdcFollower::~CdcFollower() {
    stop();
    if (rk_) rd_kafka_consumer_close(rk_.get());
}

void CdcFollower::apply(const rd_kafka_message_t* m) {
    position_[m->partition] = m->offset + 1;
    const std::string_view key(static_cast<const char*>(m->key), m->key ? m->key_len : 0);
    const std::string_view value(static_cast<const char*>(m->payload), m->payload ? m->len : 0);
    const CdcResult r = decoder_.apply(key, value, table_);
    if (!r.ok()) {
        ThreadMetrics::add(metrics_.cdc_errors, 1);
        if (errors_logged_++ < 5)
            log::warn("worker", "{}[{}]@{} skipped: {}", topic_, m->partition, m->offset, r.error);
        return;
    }
    ThreadMetrics::add(metrics_.cdc_records, 1);
    if (r.cdc_lag_ms) ThreadMetrics::set(metrics_.cdc_lag_ms, *r.cdc_lag_ms);
}

std::int64_t CdcFollower::bootstrap(int timeout_ms, const std::atomic<bool>* stop,
                                    int stall_timeout_ms) {
    const auto started = Clock::now();
    partitions_ = topic_partitions(rk_.get(), topic_, timeout_ms, bootstrap_servers_);
    if (partitions_.empty()) {
        log::warn("worker", "CDC topic {} does not exist at {}; events are enriched without user "
                            "profiles",
                  topic_, bootstrap_servers_);
        return 0;
    }
    std::map<std::int32_t, std::int64_t> target;
    auto list = make_partition_list(static_cast<int>(partitions_.size()));
    for (std::int32_t p : partitions_) {
        int64_t lo = 0, hi = 0;
        if (auto e = rd_kafka_query_watermark_offsets(rk_.get(), topic_.c_str(), p, &lo, &hi,
                                                      timeout_ms))
            throw Error("kafka " + bootstrap_servers_ + ": watermarks of " + topic_ + "[" +
                        std::to_string(p) + "]: " + rd_kafka_err2str(e));
        if (hi > lo) target[p] = hi;
        position_[p] = lo;
        rd_kafka_topic_partition_list_add(list.get(), topic_.c_str(), p)->offset =
            RD_KAFKA_OFFSET_BEGINNING;
    }
    if (auto e = rd_kafka_assign(rk_.get(), list.get()))
        throw Error("kafka: cannot assign " + topic_ + ": " + rd_kafka_err2str(e));

    std::int64_t applied = 0;
    auto last_progress = Clock::now();
    const auto reached = [&] {
        for (const auto& [p, hi] : target)
            if (position_[p] < hi) return false;
        return true;
    };
    while (!reached() && !(stop && stop->load())) {
        rd_kafka_message_t* m = rd_kafka_consumer_poll(rk_.get(), 100);
        if (!m) {
            if (Clock::now() - last_progress > std::chrono::milliseconds(stall_timeout_ms))
                throw Error("kafka " + bootstrap_servers_ + ": reading " + topic_ +
                            " stalled before its end (" + last_kafka_error() + ")");
            continue;
        }
        if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
            position_[m->partition] = std::max(position_[m->partition], m->offset);
        } else if (m->err) {
            std::string why = rd_kafka_message_errstr(m);
            rd_kafka_message_destroy(m);
            throw Error("kafka " + bootstrap_servers_ + ": reading " + topic_ + ": " + why);
        } else {
            apply(m);
            ++applied;
            last_progress = Clock::now();
        }
        rd_kafka_message_destroy(m);
    }
    metrics_.profiles.store(static_cast<std::int64_t>(table_.size()));
    metrics_.cdc_bootstrap_ms.store(
        std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - started).count());
    return applied;
}

void CdcFollower::update_behind() {
    std::int64_t behind = 0;
    for (std::int32_t p : partitions_) {
        int64_t lo = 0, hi = 0;
        if (rd_kafka_get_watermark_offsets(rk_.get(), topic_.c_str(), p, &lo, &hi) ==
                RD_KAFKA_RESP_ERR_NO_ERROR &&
            hi >= 0)
            behind += std::max<std::int64_t>(0, hi - std::max<std::int64_t>(position_[p], lo));
    }
    metrics_.cdc_behind.store(behind);
    metrics_.profiles.store(static_cast<std::int64_t>(table_.size()));
}

void CdcFollower::follow() {
    auto next_update = Clock::now();
    while (!stop_.load(std::memory_order_relaxed)) {
        // Short polls: stop() must not wait long (profile changes are rare anyway).
        if (rd_kafka_message_t* m = rd_kafka_consumer_poll(rk_.get(), 50)) {
            if (!m->err) apply(m);
            rd_kafka_message_destroy(m);
        }
        if (Clock::now() >= next_update) {
            update_behind();
            next_update = Clock::now() + std::chrono::seconds(1);
        }
    }
}

void CdcFollower::start() {
    if (partitions_.empty() || thread_.joinable()) return;
    stop_.store(false);
    thread_ = std::thread([this] { follow(); });
}

void CdcFollower::stop() {
    stop_.store(true);
    if (thread_.joinable()) thread_.join();
}

} // namespace ebap::pipeline
