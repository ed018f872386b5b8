#include "core/embedded/kafka_mock.hpp"

#include "core/base/log.hpp"
#include "core/base/error.hpp"
#include "core/kafka/topics.hpp"

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#include <algorithm>
#include <utility>

namespace ebap {

EmbeddedKafka::EmbeddedKafka(int brokers) : brokers_(brokers) {
    if (brokers < 1) throw UsageError("embedded kafka: broker count must be at least 1");
    char err[512];
    rd_kafka_conf_t* conf = rd_kafka_conf_new();
    // The host handle has no bootstrap.servers of its own; its "no bootstrap"
    // notice (level 5) is noise, real warnings go to the log.
    rd_kafka_conf_set(conf, "log_level", "4", err, sizeof err);
    rd_kafka_conf_set_log_cb(conf, [](const rd_kafka_t*, int, const char* fac, const char* buf) {
        log::warn("broker", "{}: {}", fac, buf);
    });
    handle_ = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
    if (!handle_) {
        rd_kafka_conf_destroy(conf);
        throw Error(std::string("embedded kafka: cannot create client handle: ") + err);
    }
    cluster_ = rd_kafka_mock_cluster_new(handle_, brokers);
    if (!cluster_) {
        rd_kafka_destroy(handle_);
        throw Error("embedded kafka: cannot start the mock cluster (no free loopback port?)");
    }
    bootstrap_ = rd_kafka_mock_cluster_bootstraps(cluster_);
}

EmbeddedKafka::~EmbeddedKafka() {
    // The cluster must go before the handle that hosts it (librdkafka asserts).
    rd_kafka_mock_cluster_destroy(cluster_);
    rd_kafka_destroy(handle_);
}

void EmbeddedKafka::create_topic(const std::string& name, int partitions, int replication_factor) {
    if (partitions < 1)
        throw UsageError("embedded kafka: topic " + name + " needs at least one partition");
    int rf = std::clamp(replication_factor, 1, brokers_);
    rd_kafka_resp_err_t e = rd_kafka_mock_topic_create(cluster_, name.c_str(), partitions, rf);
    if (e != RD_KAFKA_RESP_ERR_NO_ERROR)
        throw Error("embedded kafka: cannot create topic " + name + ": " + rd_kafka_err2str(e));
}

void EmbeddedKafka::create_design_topics(int raw_partitions) {
    for (const DesignTopic& t : design_topics(raw_partitions))
        create_topic(t.name, t.partitions);
}

void EmbeddedKafka::set_broker_down(int32_t broker_id) {
    if (rd_kafka_resp_err_t e = rd_kafka_mock_broker_set_down(cluster_, broker_id))
        throw Error("embedded kafka: broker " + std::to_string(broker_id) + ": " +
                    rd_kafka_err2str(e));
}

void EmbeddedKafka::set_broker_up(int32_t broker_id) {
    if (rd_kafka_resp_err_t e = rd_kafka_mock_broker_set_up(cluster_, broker_id))
        throw Error("embedded kafka: broker " + std::to_string(broker_id) + ": " +
                    rd_kafka_err2str(e));
}

} // namespace ebap
