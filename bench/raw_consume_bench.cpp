// The floor any consumer pays: a minimal librdkafka consumer that assigns every
// partition of a topic from the beginning (fresh group, no commits) and polls each
// message to the partition ends, touching the payload bytes so nothing is skipped.
// Fetch sizes match the worker's consumer (src/pipeline/consumer_thread.cpp); the
// prefetch does not: raw keeps librdkafka's big one (1M records, 128 MiB), the fastest
// setting for a consumer with nothing to bound. With the worker's 16384-record prefetch
// and no fetch waker it stalls (2.5 s instead of 1.1-1.5 s for 1M records), which would
// flatter every ratio against it.
// --subscribe joins a fresh consumer group instead (subscribe(), the group protocol the
// worker uses, with its initial rebalance delay) and reports join_s, the wait for the
// first assignment: the floor of any consumer-group member.
// Used by bench/worker_throughput.sh; prints one JSON line.
//   raw_consume_bench [--subscribe] BOOTSTRAP [TOPIC]   exit 0 ok, 1 Kafka error, 2 usage
#include <librdkafka/rdkafka.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <unistd.h>
#include <vector>

namespace {

void set(rd_kafka_conf_t* conf, const char* key, const std::string& value) {
    char err[512];
    if (rd_kafka_conf_set(conf, key, value.c_str(), err, sizeof err) != RD_KAFKA_CONF_OK) {
        std::fprintf(stderr, "raw_consume: %s=%s: %s\n", key, value.c_str(), err);
        std::exit(2);
    }
}

// Offset 0 rather than the logical BEGINNING, like the worker's consumers: BEGINNING
// first costs a ListOffsets round, which sometimes delayed the first fetch by ~0.5 s.
// The benchmark topic keeps every record, so 0 is its log start.
constexpr std::int64_t kStartOffset = 0;

std::chrono::steady_clock::time_point g_assigned{};

void on_rebalance(rd_kafka_t* rk, rd_kafka_resp_err_t err,
                  rd_kafka_topic_partition_list_t* partitions, void*) {
    if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
        for (int i = 0; i < partitions->cnt; ++i)
            partitions->elems[i].offset = kStartOffset;
        if (g_assigned == std::chrono::steady_clock::time_point{} && partitions->cnt > 0)
            g_assigned = std::chrono::steady_clock::now();
        rd_kafka_assign(rk, partitions);
    } else {
        rd_kafka_assign(rk, nullptr);
    }
}

} // namespace

int main(int argc, char** argv) {
    const bool subscribe = argc > 1 && std::string(argv[1]) == "--subscribe";
    if (subscribe) {
        --argc;
        ++argv;
    }
    if (argc < 2 || argc > 3) {
        std::fprintf(stderr, "usage: raw_consume_bench [--subscribe] BOOTSTRAP [TOPIC]\n");
        return 2;
    }
    const std::string bootstrap = argv[1];
    const std::string topic = argc > 2 ? argv[2] : "ebap.events.raw";
    const auto t0 = std::chrono::steady_clock::now();

    rd_kafka_conf_t* conf = rd_kafka_conf_new();
    set(conf, "bootstrap.servers", bootstrap);
    set(conf, "group.id", "raw-consume-" + std::to_string(getpid()));
    set(conf, "enable.auto.commit", "false");
    set(conf, "enable.auto.offset.store", "false");
    set(conf, "enable.partition.eof", "true");
    set(conf, "fetch.max.bytes", "52428800");
    set(conf, "max.partition.fetch.bytes", "1048576");
    set(conf, "queued.min.messages", "1000000");
    set(conf, "queued.max.messages.kbytes", "131072");
    set(conf, "fetch.wait.max.ms", "100");
    if (subscribe) {
        // The worker's group settings (range,roundrobin; 6 s session).
        set(conf, "partition.assignment.strategy", "range,roundrobin");
        set(conf, "session.timeout.ms", "6000");
        set(conf, "heartbeat.interval.ms", "1000");
        rd_kafka_conf_set_rebalance_cb(conf, on_rebalance);
    }
    char err[512];
    rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, err, sizeof err);
    if (!rk) {
        std::fprintf(stderr, "raw_consume: %s\n", err);
        return 1;
    }
    rd_kafka_poll_set_consumer(rk);

    // Partition count from metadata; assign() skips the group protocol entirely.
    rd_kafka_topic_t* rkt = rd_kafka_topic_new(rk, topic.c_str(), nullptr);
    const rd_kafka_metadata_t* md = nullptr;
    if (rd_kafka_metadata(rk, 0, rkt, &md, 10000) != RD_KAFKA_RESP_ERR_NO_ERROR ||
        md->topic_cnt != 1 || md->topics[0].err || md->topics[0].partition_cnt == 0) {
        std::fprintf(stderr, "raw_consume: no metadata for topic %s at %s\n", topic.c_str(),
                     bootstrap.c_str());
        return 1;
    }
    const int partitions = md->topics[0].partition_cnt;
    rd_kafka_metadata_destroy(md);
    rd_kafka_topic_destroy(rkt);

    if (subscribe) {
        rd_kafka_topic_partition_list_t* topics = rd_kafka_topic_partition_list_new(1);
        rd_kafka_topic_partition_list_add(topics, topic.c_str(), RD_KAFKA_PARTITION_UA);
        const rd_kafka_resp_err_t e = rd_kafka_subscribe(rk, topics);
        rd_kafka_topic_partition_list_destroy(topics);
        if (e) {
            std::fprintf(stderr, "raw_consume: subscribe: %s\n", rd_kafka_err2str(e));
            return 1;
        }
    } else {
        rd_kafka_topic_partition_list_t* parts = rd_kafka_topic_partition_list_new(partitions);
        for (int p = 0; p < partitions; ++p)
            rd_kafka_topic_partition_list_add(parts, topic.c_str(), p)->offset = kStartOffset;
        rd_kafka_assign(rk, parts);
        rd_kafka_topic_partition_list_destroy(parts);
    }

    // An empty partition reports EOF once too, so "all partitions at EOF" is the end.
    std::vector<bool> at_eof(partitions, false);
    int eofs = 0;
    std::int64_t records = 0, bytes = 0;
    std::uint64_t checksum = 0;
    int rc = 0;
    while (eofs < partitions) {
        rd_kafka_message_t* m = rd_kafka_consumer_poll(rk, 1000);
        if (!m) continue;
        if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
            if (m->partition >= 0 && m->partition < partitions && !at_eof[m->partition]) {
                at_eof[m->partition] = true;
                ++eofs;
            }
        } else if (m->err) {
            std::fprintf(stderr, "raw_consume: %s\n", rd_kafka_message_errstr(m));
            rc = 1;
            rd_kafka_message_destroy(m);
            break;
        } else {
            ++records;
            bytes += static_cast<std::int64_t>(m->len);
            const auto* b = static_cast<const unsigned char*>(m->payload);
            for (std::size_t i = 0; i < m->len; ++i)
                checksum += b[i];
        }
        rd_kafka_message_destroy(m);
    }
    const double secs =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    const double join_s = subscribe && g_assigned != std::chrono::steady_clock::time_point{}
                              ? std::chrono::duration<double>(g_assigned - t0).count()
                              : 0.0;
    rd_kafka_consumer_close(rk);
    rd_kafka_destroy(rk);
    std::printf("{\"ok\":%s,\"records\":%lld,\"bytes\":%lld,\"partitions\":%d,\"wall_s\":%.3f,"
                "\"events_per_s\":%.0f,\"assign_wait_s\":%.3f,\"checksum\":%llu}\n",
                rc == 0 ? "true" : "false", static_cast<long long>(records),
                static_cast<long long>(bytes), partitions, secs, records / secs, join_s,
                static_cast<unsigned long long>(checksum));
    return rc;
}
