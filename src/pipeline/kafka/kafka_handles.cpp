#include "pipeline/kafka/kafka_handles.hpp"

#include "core/base/log.hpp"
#include "core/base/error.hpp"

#include <atomic>
#include <chrono>
#include <cstdio>
#include <mutex>

namespace ebap::pipeline {
namespace {

std::mutex g_err_mu;
std::string g_last_error;
std::chrono::steady_clock::time_point g_last_print{};
std::atomic<bool> g_debug{false}; // an operator asked for librdkafka's debug output (-X debug=...)

void remember(const std::string& what, bool print) {
    std::lock_guard lock(g_err_mu);
    g_last_error = what;
    // At most one line per 10 s: a dead broker makes librdkafka repeat itself endlessly.
    const auto now = std::chrono::steady_clock::now();
    if (print && now - g_last_print >= std::chrono::seconds(10)) {
        g_last_print = now;
        log::warn("worker", "kafka: {}", what);
    }
}

void on_log(const rd_kafka_t* rk, int level, const char* fac, const char* buf) {
    if (g_debug.load(std::memory_order_relaxed))
        log::info("kafka", "%{}|{}|{}| {}", level, rk ? rd_kafka_name(rk) : "-", fac, buf);
    else if (level <= 3)
        remember(std::string(fac) + ": " + buf, true);
}

void on_error(rd_kafka_t*, int err, const char* reason, void*) {
    const auto e = static_cast<rd_kafka_resp_err_t>(err);
    // Transport errors also arrive through the log callback; keep them for messages only.
    remember(std::string(rd_kafka_err2name(e)) + ": " + reason,
             e != RD_KAFKA_RESP_ERR__TRANSPORT && e != RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN);
}

} // namespace

void KafkaDeleter::operator()(rd_kafka_t* rk) const {
    if (rk) rd_kafka_destroy(rk);
}

PartitionList make_partition_list(int size) {
    return PartitionList(rd_kafka_topic_partition_list_new(size));
}

KafkaConf::KafkaConf(const std::string& bootstrap, const KafkaProps& overrides)
    : conf_(rd_kafka_conf_new()), bootstrap_(bootstrap), overrides_(overrides) {
    set("bootstrap.servers", bootstrap);
    set("client.id", "ebapctl-worker");
    set("log.connection.close", "false");
    rd_kafka_conf_set_log_cb(conf_, on_log);
    rd_kafka_conf_set_error_cb(conf_, on_error);
}

KafkaConf::~KafkaConf() {
    if (conf_) rd_kafka_conf_destroy(conf_);
}

KafkaConf& KafkaConf::set(const std::string& key, const std::string& value) {
    char err[512];
    if (rd_kafka_conf_set(conf_, key.c_str(), value.c_str(), err, sizeof err) != RD_KAFKA_CONF_OK)
        throw Error("kafka configuration " + key + "=" + value + ": " + err);
    return *this;
}

KafkaHandle KafkaConf::create(rd_kafka_type_t type) {
    for (const auto& [key, value] : overrides_) {
        char err[512];
        if (rd_kafka_conf_set(conf_, key.c_str(), value.c_str(), err, sizeof err) !=
            RD_KAFKA_CONF_OK)
            throw UsageError("-X " + key + "=" + value + ": " + err);
        if (key == "debug") g_debug.store(true);
    }
    char err[512];
    rd_kafka_t* rk = rd_kafka_new(type, conf_, err, sizeof err);
    if (!rk) throw Error("kafka " + bootstrap_ + ": cannot create client: " + err);
    conf_ = nullptr; // owned by rk now
    return KafkaHandle(rk);
}

void check_kafka_reachable(rd_kafka_t* rk, int timeout_ms, const std::string& bootstrap) {
    const rd_kafka_metadata_t* md = nullptr;
    rd_kafka_resp_err_t e = rd_kafka_metadata(rk, 0, nullptr, &md, timeout_ms);
    if (e != RD_KAFKA_RESP_ERR_NO_ERROR) {
        std::string why = last_kafka_error();
        throw Error("kafka " + bootstrap + ": unreachable (" + rd_kafka_err2str(e) +
                    (why.empty() ? "" : "; " + why) + "); is the broker running?");
    }
    rd_kafka_metadata_destroy(md);
}

std::vector<std::int32_t> topic_partitions(rd_kafka_t* rk, const std::string& topic, int timeout_ms,
                                           const std::string& bootstrap) {
    rd_kafka_topic_t* t = rd_kafka_topic_new(rk, topic.c_str(), nullptr);
    const rd_kafka_metadata_t* md = nullptr;
    rd_kafka_resp_err_t e = rd_kafka_metadata(rk, 0, t, &md, timeout_ms);
    rd_kafka_topic_destroy(t);
    if (e != RD_KAFKA_RESP_ERR_NO_ERROR)
        throw Error("kafka " + bootstrap + ": metadata of " + topic + ": " + rd_kafka_err2str(e));
    std::vector<std::int32_t> out;
    for (int i = 0; i < md->topic_cnt; ++i) {
        const auto& tm = md->topics[i];
        if (topic != tm.topic || tm.err != RD_KAFKA_RESP_ERR_NO_ERROR) continue;
        for (int p = 0; p < tm.partition_cnt; ++p)
            out.push_back(tm.partitions[p].id);
    }
    rd_kafka_metadata_destroy(md);
    return out;
}

std::map<TopicPartition, std::int64_t> end_offsets(rd_kafka_t* rk,
                                                   const std::vector<std::string>& topics,
                                                   int timeout_ms, const std::string& bootstrap) {
    auto list = make_partition_list(64);
    for (const auto& topic : topics)
        for (std::int32_t p : topic_partitions(rk, topic, timeout_ms, bootstrap))
            // ListOffsets by timestamp, where -1 (RD_KAFKA_OFFSET_END) asks for the end.
            rd_kafka_topic_partition_list_add(list.get(), topic.c_str(), p)->offset =
                RD_KAFKA_OFFSET_END;
    std::map<TopicPartition, std::int64_t> out;
    if (list->cnt == 0) return out;
    // Batched per leader (rd_kafka_query_watermark_offsets is one round trip per partition).
    if (auto e = rd_kafka_offsets_for_times(rk, list.get(), timeout_ms))
        throw Error("kafka " + bootstrap + ": end offsets: " + rd_kafka_err2str(e));
    for (int i = 0; i < list->cnt; ++i) {
        const auto& tp = list->elems[i];
        if (tp.err != RD_KAFKA_RESP_ERR_NO_ERROR || tp.offset < 0)
            throw Error("kafka " + bootstrap + ": end offset of " + tp.topic + "[" +
                        std::to_string(tp.partition) +
                        "]: " + (tp.err ? rd_kafka_err2str(tp.err) : "none returned"));
        out[{tp.topic, tp.partition}] = tp.offset;
    }
    return out;
}

std::string last_kafka_error() {
    std::lock_guard lock(g_err_mu);
    return g_last_error;
}

} // namespace ebap::pipeline
