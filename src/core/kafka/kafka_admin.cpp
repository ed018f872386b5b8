#include "core/kafka/kafka_admin.hpp"

#include "core/base/error.hpp"

#include <librdkafka/rdkafka.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <future>
#include <mutex>
#include <optional>
#include <thread>

namespace ebap {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

// Lets librdkafka report its own timeout before we give up on the worker.
constexpr milliseconds kGrace{250};
// Parallel watermark queries: enough to hide round trips, few enough for 2 cores.
constexpr std::size_t kMaxWatermarkWorkers = 8;

struct KafkaAdmin::Client {
    rd_kafka_t* rk = nullptr;
    std::mutex mu;
    std::string last_error;

    ~Client() {
        if (rk) rd_kafka_destroy(rk);
    }
    void remember(const char* line) {
        if (!line) return;
        std::string text = line;
        // "[thrd:x]: host:port/bootstrap: Connect ... refused (after 0ms in state CONNECT)"
        // -> "host:port/bootstrap: Connect ... refused"
        if (text.rfind("[thrd:", 0) == 0)
            if (auto end = text.find("]: "); end != std::string::npos) text.erase(0, end + 3);
        if (auto tail = text.find(" (after "); tail != std::string::npos) text.erase(tail);
        std::lock_guard lock(mu);
        // "N/N brokers are down" follows the line that says why: keep the why.
        if (text.find("brokers are down") != std::string::npos && !last_error.empty()) return;
        last_error = std::move(text);
    }
    std::string why() {
        std::lock_guard lock(mu);
        return last_error;
    }
};

namespace {

// Never to the terminal: warnings and errors are kept for the error message.
void keep_log(const rd_kafka_t* rk, int level, const char*, const char* line) {
    if (level <= 4)
        if (auto* c = static_cast<KafkaAdmin::Client*>(rd_kafka_opaque(rk))) c->remember(line);
}

rd_kafka_conf_t* base_conf(const std::string& bootstrap, KafkaAdmin::Client* client) {
    char err[512];
    rd_kafka_conf_t* conf = rd_kafka_conf_new();
    if (rd_kafka_conf_set(conf, "bootstrap.servers", bootstrap.c_str(), err, sizeof err) !=
        RD_KAFKA_CONF_OK) {
        rd_kafka_conf_destroy(conf);
        throw UsageError("kafka.bootstrap_servers '" + bootstrap + "': " + err);
    }
    rd_kafka_conf_set(conf, "client.id", "ebapctl", err, sizeof err);
    rd_kafka_conf_set_log_cb(conf, keep_log);
    rd_kafka_conf_set_opaque(conf, client);
    return conf;
}

int remaining_ms(Clock::time_point deadline) {
    auto left = std::chrono::duration_cast<milliseconds>(deadline - Clock::now()).count();
    return static_cast<int>(std::max<long long>(left, 1));
}

// Runs fn on a detached thread; empty when it did not finish within `wait`.
// (A packaged_task's future, unlike std::async's, does not block in its destructor.)
template <class T> std::optional<T> run_detached(std::function<T()> fn, milliseconds wait) {
    auto task = std::make_shared<std::packaged_task<T()>>(std::move(fn));
    auto result = task->get_future();
    std::thread([task] { (*task)(); }).detach();
    if (result.wait_for(wait) != std::future_status::ready) return std::nullopt;
    return result.get(); // rethrows what fn threw
}

} // namespace

KafkaAdmin::KafkaAdmin(std::string bootstrap, int timeout_ms)
    : bootstrap_(std::move(bootstrap)), timeout_ms_(timeout_ms),
      client_(std::make_shared<Client>()) {
    if (bootstrap_.empty()) throw UsageError("kafka.bootstrap_servers is empty");
    if (timeout_ms_ < 1) throw UsageError("kafka.timeout_ms must be a positive number of ms");
    char err[512];
    rd_kafka_conf_t* conf = base_conf(bootstrap_, client_.get());
    client_->rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
    if (!client_->rk) {
        rd_kafka_conf_destroy(conf);
        throw Error(std::string("kafka: cannot create a client for ") + bootstrap_ + ": " + err);
    }
}

// rd_kafka_destroy can wait a reconnect backoff (~1 s) for broker threads when
// the cluster is unreachable: release the handle off the caller's thread.
KafkaAdmin::~KafkaAdmin() {
    std::thread([client = std::move(client_)]() mutable { client.reset(); }).detach();
}

std::string KafkaAdmin::no_answer(const std::string& why) const {
    std::string msg =
        "kafka: no answer from " + bootstrap_ + " within " + std::to_string(timeout_ms_) + " ms";
    std::string last = client_->why();
    if (!why.empty() && !last.empty() && why != last) return msg + " (" + why + "; " + last + ")";
    if (!why.empty() || !last.empty()) return msg + " (" + (why.empty() ? last : why) + ")";
    return msg;
}

ClusterInfo KafkaAdmin::metadata(bool include_internal) {
    auto client = client_;
    int timeout = timeout_ms_;
    auto result = run_detached<std::pair<ClusterInfo, std::string>>(
        [client, timeout, include_internal] {
            std::pair<ClusterInfo, std::string> out;
            const rd_kafka_metadata_t* md = nullptr;
            rd_kafka_resp_err_t e = rd_kafka_metadata(client->rk, 1, nullptr, &md, timeout);
            if (e != RD_KAFKA_RESP_ERR_NO_ERROR) {
                out.second = rd_kafka_err2str(e);
                return out;
            }
            ClusterInfo& info = out.first;
            for (int i = 0; i < md->broker_cnt; ++i)
                info.brokers.push_back(
                    {md->brokers[i].id, md->brokers[i].host, md->brokers[i].port});
            for (int i = 0; i < md->topic_cnt; ++i) {
                const auto& t = md->topics[i];
                std::string name = t.topic;
                if (!include_internal && name.rfind("__", 0) == 0) continue;
                info.topics.push_back(
                    {name, t.partition_cnt, t.err ? rd_kafka_err2str(t.err) : std::string()});
            }
            rd_kafka_metadata_destroy(md);
            // Known from the metadata reply just received: no second round trip.
            info.controller_id = rd_kafka_controllerid(client->rk, 0);
            std::sort(info.brokers.begin(), info.brokers.end(),
                      [](const auto& a, const auto& b) { return a.id < b.id; });
            std::sort(info.topics.begin(), info.topics.end(),
                      [](const auto& a, const auto& b) { return a.name < b.name; });
            return out;
        },
        milliseconds(timeout_ms_) + kGrace);
    if (!result) throw Error(no_answer());
    if (!result->second.empty()) throw Error(no_answer(result->second));
    return std::move(result->first);
}

namespace {

struct WatermarkJob {
    std::mutex mu;
    std::condition_variable cv;
    std::vector<std::pair<std::size_t, int32_t>> todo; // (topic index, partition)
    std::size_t next = 0;
    std::size_t finished = 0;
    std::vector<TopicWatermarks> out;
    std::vector<std::vector<bool>> answered;
};

} // namespace

std::vector<TopicWatermarks> KafkaAdmin::watermarks(const std::vector<TopicInfo>& topics) {
    auto job = std::make_shared<WatermarkJob>();
    for (std::size_t t = 0; t < topics.size(); ++t) {
        TopicWatermarks tw{topics[t].name, {}};
        for (int p = 0; p < topics[t].partitions; ++p) {
            tw.partitions.push_back({p, -1, -1, {}});
            job->todo.emplace_back(t, p);
        }
        job->answered.emplace_back(tw.partitions.size(), false);
        job->out.push_back(std::move(tw));
    }
    if (job->todo.empty()) return job->out;

    auto deadline = Clock::now() + milliseconds(timeout_ms_);
    std::size_t workers = std::min(kMaxWatermarkWorkers, job->todo.size());
    for (std::size_t i = 0; i < workers; ++i) {
        std::thread([job, client = client_, deadline] {
            for (;;) {
                std::pair<std::size_t, int32_t> item;
                std::string topic;
                {
                    std::lock_guard lock(job->mu);
                    if (job->next == job->todo.size()) return;
                    item = job->todo[job->next++];
                    topic = job->out[item.first].topic;
                }
                int64_t low = -1, high = -1;
                rd_kafka_resp_err_t e = rd_kafka_query_watermark_offsets(
                    client->rk, topic.c_str(), item.second, &low, &high, remaining_ms(deadline));
                std::lock_guard lock(job->mu);
                Watermark& w = job->out[item.first].partitions[item.second];
                if (e == RD_KAFKA_RESP_ERR_NO_ERROR) {
                    w.low = low;
                    w.high = high;
                } else {
                    w.error = rd_kafka_err2str(e);
                }
                job->answered[item.first][item.second] = true;
                ++job->finished;
                job->cv.notify_all();
            }
        }).detach();
    }

    std::unique_lock lock(job->mu);
    job->cv.wait_until(lock, deadline + kGrace, [&] { return job->finished == job->todo.size(); });
    std::vector<TopicWatermarks> out = job->out;
    if (job->finished == 0) throw Error(no_answer());
    for (std::size_t t = 0; t < out.size(); ++t)
        for (std::size_t p = 0; p < out[t].partitions.size(); ++p)
            if (!job->answered[t][p])
                out[t].partitions[p].error =
                    "no answer within " + std::to_string(timeout_ms_) + " ms";
    return out;
}

std::vector<Watermark> KafkaAdmin::watermarks(const std::string& topic) {
    ClusterInfo info = metadata(true);
    for (const auto& t : info.topics)
        if (t.name == topic) {
            if (!t.error.empty()) throw Error("kafka: topic " + topic + ": " + t.error);
            return watermarks(std::vector<TopicInfo>{t}).front().partitions;
        }
    throw Error("kafka: topic " + topic + " does not exist on " + bootstrap_);
}

// Committed offsets come from a consumer handle with the group's id that never
// subscribes, so it never joins or disturbs the group; rd_kafka_committed asks
// the group coordinator (OffsetFetch), which the mock cluster implements.
// DescribeConsumerGroups / ListConsumerGroupOffsets without a partition list are
// not used: on librdkafka's mock cluster DescribeConsumerGroups leaves
// rd_kafka_destroy() hanging forever, and a null list returns nothing.
std::vector<CommittedOffset> KafkaAdmin::committed(const std::string& group,
                                                   const std::vector<TopicPartition>& partitions) {
    std::vector<CommittedOffset> fallback;
    for (const auto& tp : partitions)
        fallback.push_back({tp.topic, tp.partition, -1, {}});
    if (partitions.empty()) return fallback;

    auto client = client_;
    std::string bootstrap = bootstrap_;
    int timeout = timeout_ms_;
    auto result = run_detached<std::vector<CommittedOffset>>(
        [client, bootstrap, group, partitions, timeout, out = fallback]() mutable {
            char err[512];
            rd_kafka_conf_t* conf = base_conf(bootstrap, client.get());
            rd_kafka_conf_set(conf, "group.id", group.c_str(), err, sizeof err);
            rd_kafka_conf_set(conf, "enable.auto.commit", "false", err, sizeof err);
            rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, err, sizeof err);
            if (!rk) {
                rd_kafka_conf_destroy(conf);
                for (auto& o : out)
                    o.error = err;
                return out;
            }
            auto* list = rd_kafka_topic_partition_list_new(static_cast<int>(partitions.size()));
            for (const auto& tp : partitions)
                rd_kafka_topic_partition_list_add(list, tp.topic.c_str(), tp.partition);
            rd_kafka_resp_err_t e = rd_kafka_committed(rk, list, timeout);
            for (int i = 0; i < list->cnt; ++i) {
                const auto& el = list->elems[i];
                rd_kafka_resp_err_t pe = e ? e : el.err;
                if (pe)
                    out[i].error = rd_kafka_err2str(pe);
                else
                    out[i].offset = el.offset >= 0 ? el.offset : -1; // OFFSET_INVALID: none
            }
            rd_kafka_topic_partition_list_destroy(list);
            rd_kafka_destroy_flags(rk, RD_KAFKA_DESTROY_F_NO_CONSUMER_CLOSE);
            return out;
        },
        milliseconds(timeout_ms_) + kGrace);
    if (result) return std::move(*result);
    for (auto& o : fallback)
        o.error = "group coordinator gave no answer within " + std::to_string(timeout_ms_) + " ms";
    return fallback;
}

// rd_kafka_list_groups (ListGroups + DescribeGroups) is safe on the mock
// cluster: the mock does not offer those APIs, librdkafka sees that in the
// ApiVersions it negotiated and returns UNSUPPORTED_FEATURE at once (measured:
// <= 1 s, no hang, clean destroy). Real brokers answer with state and members.
GroupInfo KafkaAdmin::group_info(const std::string& group) {
    auto client = client_;
    int timeout = timeout_ms_;
    auto result = run_detached<GroupInfo>(
        [client, group, timeout] {
            GroupInfo info;
            const rd_kafka_group_list* list = nullptr;
            rd_kafka_resp_err_t e = rd_kafka_list_groups(client->rk, group.c_str(), &list, timeout);
            if (e == RD_KAFKA_RESP_ERR__UNSUPPORTED_FEATURE) {
                info.detail = "the broker does not offer ListGroups/DescribeGroups "
                              "(librdkafka mock cluster)";
            } else if (e) {
                info.detail = rd_kafka_err2str(e);
            } else {
                for (int i = 0; i < list->group_cnt; ++i) {
                    const auto& g = list->groups[i];
                    if (group != g.group) continue;
                    if (g.err) {
                        info.detail = rd_kafka_err2str(g.err);
                    } else {
                        info.state = g.state ? g.state : "unknown";
                        info.members = g.member_cnt;
                    }
                }
                if (info.members < 0 && info.detail.empty()) info.detail = "group not listed";
            }
            if (list) rd_kafka_group_list_destroy(list);
            return info;
        },
        milliseconds(timeout_ms_) + kGrace);
    if (result) return *result;
    GroupInfo info;
    info.detail = "no answer within " + std::to_string(timeout_ms_) + " ms";
    return info;
}

} // namespace ebap
