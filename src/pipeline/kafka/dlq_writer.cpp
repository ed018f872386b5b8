#include "pipeline/kafka/dlq_writer.hpp"

#include <chrono>
#include <string>

namespace ebap::pipeline {

DlqWriter::DlqWriter(const std::string& bootstrap, std::string topic, const KafkaProps& overrides)
    : topic_(std::move(topic)) {
    KafkaConf conf(bootstrap, overrides);
    conf.set("acks", "all")
        .set("enable.idempotence", "true")
        .set("linger.ms", "5")
        .set("message.timeout.ms", "30000");
    rd_kafka_conf_set_dr_msg_cb(conf.get(), on_delivery);
    rd_kafka_conf_set_opaque(conf.get(), this);
    rk_ = conf.create(RD_KAFKA_PRODUCER);
    // Warm up: learn the topic's leader now, not when the first bad record's batch must
    // wait for its delivery (a lazy first lookup costs the first flush about a second).
    rd_kafka_topic_t* t = rd_kafka_topic_new(rk_.get(), topic_.c_str(), nullptr);
    const rd_kafka_metadata_t* md = nullptr;
    if (rd_kafka_metadata(rk_.get(), 0, t, &md, 2000) == RD_KAFKA_RESP_ERR_NO_ERROR)
        rd_kafka_metadata_destroy(md);
    rd_kafka_topic_destroy(t);
}

void DlqWriter::on_delivery(rd_kafka_t*, const rd_kafka_message_t* msg, void* opaque) {
    auto* self = static_cast<DlqWriter*>(opaque);
    const auto tag = reinterpret_cast<std::uintptr_t>(msg->_private);
    const std::uintptr_t index = tag & 0xffffffffu;
    if ((tag >> 32) != self->generation_ || index == 0 || index > self->records_.size())
        return; // from a discarded batch
    Record& r = self->records_[index - 1];
    if (msg->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
        r.state = Record::State::delivered;
    } else {
        r.state = Record::State::failed;
        self->last_error_ =
            std::string("DLQ delivery to ") + self->topic_ + ": " + rd_kafka_err2str(msg->err);
    }
}

void DlqWriter::send(std::string_view key, bool key_null, std::string_view value, bool value_null,
                     std::string_view error, std::string_view source_topic,
                     std::int32_t source_partition, std::int64_t source_offset) {
    Record r;
    r.key.assign(key);
    r.value.assign(value);
    r.key_null = key_null;
    r.value_null = value_null;
    r.error.assign(error);
    r.source_topic.assign(source_topic);
    r.source_partition = source_partition;
    r.source_offset = source_offset;
    records_.push_back(std::move(r));
    produce(records_.size() - 1);
}

void DlqWriter::produce(std::size_t index) {
    Record& r = records_[index];
    r.state = Record::State::queued;
    const std::string part = std::to_string(r.source_partition);
    const std::string off = std::to_string(r.source_offset);
    // Locals: the RD_KAFKA_V_* macros cast their arguments without parentheses.
    const void* key = r.key_null ? nullptr : r.key.data();
    const std::size_t key_len = r.key_null ? 0 : r.key.size();
    void* value = r.value_null ? nullptr : r.value.data();
    const std::size_t value_len = r.value_null ? 0 : r.value.size();
    void* tag = reinterpret_cast<void*>((generation_ << 32) | (index + 1));
    for (;;) {
        rd_kafka_resp_err_t e = rd_kafka_producev(
            rk_.get(), RD_KAFKA_V_TOPIC(topic_.c_str()), RD_KAFKA_V_KEY(key, key_len),
            RD_KAFKA_V_VALUE(value, value_len), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
            RD_KAFKA_V_HEADER("error", r.error.data(), static_cast<ssize_t>(r.error.size())),
            RD_KAFKA_V_HEADER("source.topic", r.source_topic.data(),
                              static_cast<ssize_t>(r.source_topic.size())),
            RD_KAFKA_V_HEADER("source.partition", part.data(), static_cast<ssize_t>(part.size())),
            RD_KAFKA_V_HEADER("source.offset", off.data(), static_cast<ssize_t>(off.size())),
            RD_KAFKA_V_OPAQUE(tag), RD_KAFKA_V_END);
        if (e == RD_KAFKA_RESP_ERR__QUEUE_FULL) {
            rd_kafka_poll(rk_.get(), 50); // serve deliveries to make room
            continue;
        }
        if (e != RD_KAFKA_RESP_ERR_NO_ERROR) {
            r.state = Record::State::failed;
            last_error_ = std::string("DLQ produce to ") + topic_ + ": " + rd_kafka_err2str(e);
        }
        break;
    }
    rd_kafka_poll(rk_.get(), 0);
}

bool DlqWriter::flush(int timeout_ms) {
    if (records_.empty()) return true;
    for (std::size_t i = 0; i < records_.size(); ++i)
        if (records_[i].state == Record::State::failed) produce(i);
    rd_kafka_flush(rk_.get(), timeout_ms); // also serves the delivery callbacks
    for (const Record& r : records_)
        if (r.state != Record::State::delivered) return false;
    records_.clear();
    return true;
}

void DlqWriter::discard() {
    // Still-queued copies may be delivered later: harmless duplicates (at-least-once). A
    // new generation keeps their callbacks away from the records of the next batch.
    rd_kafka_poll(rk_.get(), 0);
    records_.clear();
    ++generation_;
}

} // namespace ebap::pipeline
