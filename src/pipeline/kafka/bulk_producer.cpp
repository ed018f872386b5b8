#include "pipeline/kafka/bulk_producer.hpp"

#include "core/base/error.hpp"

#include <librdkafka/rdkafka.h>

#include <algorithm>

namespace ebap::pipeline {
namespace {

void quiet_log(const rd_kafka_t*, int, const char*, const char*) {} // never write to the terminal

} // namespace

BulkProducer::BulkProducer(std::string bootstrap, int timeout_ms, int message_timeout_ms,
                           int linger_ms)
    : bootstrap_(std::move(bootstrap)) {
    char errstr[512] = {};
    rd_kafka_conf_t* conf = rd_kafka_conf_new();
    auto set = [&](const char* key, const std::string& value) {
        if (rd_kafka_conf_set(conf, key, value.c_str(), errstr, sizeof errstr) !=
            RD_KAFKA_CONF_OK) {
            rd_kafka_conf_destroy(conf);
            throw UsageError(std::string("Kafka producer setting ") + key + ": " + errstr);
        }
    };
    set("bootstrap.servers", bootstrap_);
    set("client.id", "ebapctl-gen");
    set("enable.idempotence", "true"); // no duplicates from internal retries
    set("linger.ms", std::to_string(linger_ms));
    set("batch.num.messages", "10000");
    set("batch.size", "65536"); // a consumer decompresses whole batches: keep them moderate
    set("compression.type", "lz4");
    set("partitioner", "murmur2_random"); // same partition for a key as Java clients
    set("message.timeout.ms", std::to_string(std::max(1000, message_timeout_ms)));
    set("socket.connection.setup.timeout.ms", std::to_string(std::max(1000, timeout_ms)));
    set("log.connection.close", "false");
    rd_kafka_conf_set_log_cb(conf, quiet_log);
    rd_kafka_conf_set_error_cb(conf, on_error);
    rd_kafka_conf_set_dr_msg_cb(conf, on_delivery);
    rd_kafka_conf_set_opaque(conf, this);
    rk_ = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof errstr);
    if (!rk_) {
        rd_kafka_conf_destroy(conf); // rd_kafka_new only takes ownership on success
        throw UsageError(std::string("cannot create a Kafka producer: ") + errstr);
    }
    const rd_kafka_metadata_t* md = nullptr;
    rd_kafka_resp_err_t err = rd_kafka_metadata(rk_, 1, nullptr, &md, std::max(1, timeout_ms));
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        rd_kafka_poll(rk_, 0); // collect the error callback's reason
        std::string why = last_client_error_.empty() ? rd_kafka_err2str(err) : last_client_error_;
        rd_kafka_destroy(rk_);
        rk_ = nullptr;
        throw Error("Kafka at " + bootstrap_ + " did not answer within " +
                    std::to_string(timeout_ms) + " ms: " + why);
    }
    for (int i = 0; i < md->topic_cnt; ++i)
        if (md->topics[i].err == RD_KAFKA_RESP_ERR_NO_ERROR)
            known_topics_[md->topics[i].topic] = md->topics[i].partition_cnt;
    rd_kafka_metadata_destroy(md);
}

BulkProducer::~BulkProducer() {
    if (!rk_) return;
    for (auto& [name, t] : topics_)
        rd_kafka_topic_destroy(t.handle);
    rd_kafka_purge(rk_,
                   RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT); // flush() already waited
    rd_kafka_destroy(rk_);
}

bool BulkProducer::topic_known(const std::string& topic) const {
    return known_topics_.count(topic) > 0;
}

std::int64_t BulkProducer::delivered(const std::string& topic) const {
    auto it = topics_.find(topic);
    return it == topics_.end() ? 0 : it->second.delivered;
}

BulkProducer::Topic& BulkProducer::topic(const std::string& name) {
    auto it = topics_.find(name);
    if (it != topics_.end()) return it->second;
    rd_kafka_topic_t* t = rd_kafka_topic_new(rk_, name.c_str(), nullptr);
    if (!t)
        throw Error("cannot open topic " + name + ": " + rd_kafka_err2str(rd_kafka_last_error()));
    Topic& entry = topics_[name]; // std::map nodes never move: records may point at it
    entry.handle = t;
    return entry;
}

bool BulkProducer::send(const std::string& topic_name, std::string_view key,
                        std::string_view value) {
    Topic& t = topic(topic_name);
    for (;;) {
        if (rd_kafka_produce(t.handle, RD_KAFKA_PARTITION_UA, RD_KAFKA_MSG_F_COPY,
                             const_cast<char*>(value.data()), value.size(), key.data(), key.size(),
                             &t.delivered) == 0)
            return true;
        rd_kafka_resp_err_t err = rd_kafka_last_error();
        if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL || fatal_) {
            ++failed_;
            record_error(topic_name + ": " + rd_kafka_err2str(err));
            return false;
        }
        rd_kafka_poll(rk_, 10); // queue full: let deliveries drain it
        if (failed_ > 0) return false;
    }
}

void BulkProducer::poll(int timeout_ms) {
    rd_kafka_poll(rk_, timeout_ms);
}

void BulkProducer::flush(int timeout_ms) {
    // After a failure the queued rest would only time out one by one: give them up now
    // (their delivery reports count them as failed).
    if (failed_ > 0 || fatal_) rd_kafka_purge(rk_, RD_KAFKA_PURGE_F_QUEUE);
    rd_kafka_flush(rk_, timeout_ms);
    rd_kafka_poll(rk_, 0);
    int left = rd_kafka_outq_len(rk_);
    if (left > 0) {
        failed_ += left;
        record_error(std::to_string(left) + " records still undelivered after " +
                     std::to_string(timeout_ms) + " ms");
    }
}

void BulkProducer::record_error(const std::string& what) {
    if (first_error_.empty()) first_error_ = what;
}

std::string BulkProducer::first_error() const {
    if (first_error_.empty()) return {};
    std::string s = "Kafka at " + bootstrap_ + ": " + first_error_;
    if (!last_client_error_.empty() && first_error_.find(last_client_error_) == std::string::npos)
        s += " (" + last_client_error_ + ")";
    return s;
}

void BulkProducer::on_delivery(rd_kafka_t*, const rd_kafka_message_t* msg, void* opaque) {
    auto* self = static_cast<BulkProducer*>(opaque);
    if (msg->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
        ++self->delivered_;
        ++*static_cast<std::int64_t*>(msg->_private);
        return;
    }
    ++self->failed_;
    self->record_error(std::string(rd_kafka_topic_name(msg->rkt)) + ": " +
                       rd_kafka_err2str(msg->err));
}

void BulkProducer::on_error(rd_kafka_t* rk, int err, const char* reason, void* opaque) {
    auto* self = static_cast<BulkProducer*>(opaque);
    self->last_client_error_ = reason ? reason : "";
    if (err == RD_KAFKA_RESP_ERR__FATAL) {
        char buf[512] = {};
        rd_kafka_fatal_error(rk, buf, sizeof buf);
        self->fatal_ = true;
        self->record_error(std::string("fatal producer error: ") + buf);
    }
}

} // namespace ebap::pipeline
