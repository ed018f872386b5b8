// kafka probe: one metadata request -> "3 brokers, controller 1, 5 topics".
// librdkafka calls can block past their timeout when brokers are down, so the
// request runs on a detached thread that owns its handle and state; the probe
// stops waiting at its deadline and the thread cleans up whenever it finishes.
#include "core/probe/probe_kinds.hpp"

#include <fmt/format.h>
#include <librdkafka/rdkafka.h>

#include <condition_variable>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

namespace ebap::probe_detail {
namespace {

constexpr auto kGrace =
    std::chrono::milliseconds(200); // lets librdkafka report its own timeout first

struct KafkaJob {
    std::mutex mu;
    std::condition_variable cv;
    bool done = false;
    ProbeResult result;
    std::string last_error; // from the error callback: why brokers are unreachable
};

void remember(KafkaJob* job, const char* reason) {
    if (!job || !reason) return;
    std::string text = reason;
    std::lock_guard lock(job->mu);
    // "N/N brokers are down" follows the message that says why: keep the why.
    if (text.find("brokers are down") != std::string::npos && !job->last_error.empty()) return;
    job->last_error = text;
}

// Never to the terminal; warnings and errors (they name refused connections as
// they happen) are kept for the DOWN detail.
void remember_log(const rd_kafka_t* rk, int level, const char*, const char* line) {
    if (level <= 4) remember(static_cast<KafkaJob*>(rd_kafka_opaque(rk)), line);
}

// Error events are only served by rd_kafka_poll(): called after a failed request.
void remember_error(rd_kafka_t*, int, const char* reason, void* opaque) {
    remember(static_cast<KafkaJob*>(opaque), reason);
}

std::string unreachable(const std::string& last_error, int timeout_ms) {
    if (last_error.find("Connection refused") != std::string::npos) return "connection refused";
    if (last_error.empty()) return no_answer(timeout_ms);
    return no_answer(timeout_ms) + ": " + one_line(last_error, 120);
}

std::string partitions(int n, const char* what) {
    return fmt::format("{} partition{} {}", n, n == 1 ? "" : "s", what);
}

} // namespace

Verdict judge_kafka_metadata(const rd_kafka_metadata_t& md, int controller, int min_insync) {
    int topics = 0, leaderless = 0, under = 0, below_min = 0;
    for (int i = 0; i < md.topic_cnt; ++i) {
        const auto& t = md.topics[i];
        std::string name = t.topic ? t.topic : "";
        if (name.rfind("__", 0) != 0 && t.err == RD_KAFKA_RESP_ERR_NO_ERROR)
            ++topics; // hide internal topics
        for (int p = 0; p < t.partition_cnt; ++p) {
            const auto& part = t.partitions[p];
            leaderless += part.leader < 0;
            under += part.isr_cnt < part.replica_cnt;
            below_min += min_insync > 0 && part.isr_cnt < min_insync;
        }
    }
    std::string detail = fmt::format(
        "{} broker{}, controller {}, {} topic{}", md.broker_cnt, md.broker_cnt == 1 ? "" : "s",
        controller >= 0 ? std::to_string(controller) : "unknown", topics, topics == 1 ? "" : "s");
    std::vector<std::string> problems;
    if (leaderless > 0) problems.push_back(partitions(leaderless, "without a leader"));
    if (under > 0) problems.push_back(partitions(under, "under-replicated (ISR < replicas)"));
    if (below_min > 0)
        problems.push_back(
            partitions(below_min, fmt::format("below min.insync.replicas={} (acks=all writes fail)",
                                              min_insync)
                                      .c_str()));
    if (problems.empty()) return {Health::Up, detail};
    std::string reasons = problems[0];
    for (std::size_t i = 1; i < problems.size(); ++i)
        reasons += ", " + problems[i];
    return {Health::Degraded, reasons + "; " + detail};
}

namespace {

void run_metadata(std::shared_ptr<KafkaJob> job, std::string bootstrap, int min_insync,
                  int timeout_ms, Clock::time_point start) {
    const auto deadline = start + std::chrono::milliseconds(timeout_ms);
    char errstr[512] = {};
    rd_kafka_conf_t* conf = rd_kafka_conf_new();
    auto set = [&](const char* key, const std::string& value) {
        return rd_kafka_conf_set(conf, key, value.c_str(), errstr, sizeof errstr) ==
               RD_KAFKA_CONF_OK;
    };
    bool ok =
        set("bootstrap.servers", bootstrap) && set("client.id", "ebapctl-probe") &&
        set("socket.timeout.ms", std::to_string(std::max(10, timeout_ms))) &&
        set("socket.connection.setup.timeout.ms", std::to_string(std::max(1000, timeout_ms))) &&
        set("log.connection.close", "false");
    rd_kafka_conf_set_log_cb(conf, remember_log);
    rd_kafka_conf_set_error_cb(conf, remember_error);
    rd_kafka_conf_set_opaque(conf, job.get());

    ProbeResult result;
    rd_kafka_t* rk = ok ? rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof errstr) : nullptr;
    if (!rk) {
        rd_kafka_conf_destroy(conf); // rd_kafka_new only takes ownership on success
        result = finish(Health::Down, std::string("bad Kafka client settings: ") + errstr, start);
    } else {
        const rd_kafka_metadata_t* md = nullptr;
        rd_kafka_resp_err_t err =
            rd_kafka_metadata(rk, 1, nullptr, &md, std::max(1, remaining_ms(deadline)));
        if (err == RD_KAFKA_RESP_ERR_NO_ERROR) {
            Verdict v = judge_kafka_metadata(*md, rd_kafka_controllerid(rk, 0), min_insync);
            result = finish(v.state, v.detail, start);
            rd_kafka_metadata_destroy(md);
        } else {
            rd_kafka_poll(rk, 0);
            std::lock_guard lock(job->mu);
            result = finish(Health::Down, unreachable(job->last_error, timeout_ms), start);
        }
    }
    {
        std::lock_guard lock(job->mu);
        job->result = std::move(result);
        job->done = true;
    }
    job->cv.notify_all();
    if (rk) rd_kafka_destroy(rk); // after reporting: its cost is not the probe's
}

} // namespace

ProbeResult probe_kafka(const ProbeSpec& spec, int timeout_ms) {
    const auto start = Clock::now();
    if (spec.endpoint.empty())
        return finish(Health::Unknown, "no bootstrap servers configured", start);
    auto job = std::make_shared<KafkaJob>();
    std::thread(run_metadata, job, spec.endpoint, spec.min_insync_replicas, timeout_ms, start)
        .detach();

    std::unique_lock lock(job->mu);
    if (job->cv.wait_until(lock, start + std::chrono::milliseconds(timeout_ms) + kGrace,
                           [&] { return job->done; }))
        return job->result;
    return finish(Health::Down, unreachable(job->last_error, timeout_ms), start);
}

} // namespace ebap::probe_detail
