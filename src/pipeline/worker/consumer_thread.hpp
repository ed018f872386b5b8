#pragma once
// One consumer thread of the streaming worker: its own librdkafka consumer in the group,
// its own Redis connection, cold sink, DLQ producer and window aggregator. Nothing on the
// hot path is shared except the profile table (read lock) and relaxed metric counters.
//
// Batches. Records accumulate in the OPEN batch. A flush SEALS it (aggregate delta,
// telemetry, the offsets and per-partition max ts it covers, and the cold-path offsets
// written since the last flush) and commits it:
//   1. wait for the DLQ deliveries (ARCHITECTURE.md, "Dead letters before offsets"),
//   2. Redis: one MULTI/EXEC with the deltas, the telemetry's latest values and the
//      offsets (ARCHITECTURE.md, "Exactly-once hot path"), fenced (redis_sink.hpp): refused if a partition of the
//      batch was claimed by another worker since our assignment,
//   3. Kafka offset commit of the hot offsets (for lag views; Redis offsets are the truth),
//   4. derived views, at most once per second per process (ARCHITECTURE.md, "Derived views").
// If a stage fails the sealed batch is kept and retried with capped backoff while the
// thread's partitions are paused: nothing is lost. Memory stays bounded - our "bounded
// queue": the open batch holds at most max_batch_events records (a full batch is sealed
// and committed before more is read), and while a sealed batch waits for a sink the paused
// partitions fetch nothing, so the open batch can only take in what librdkafka had already
// prefetched (capped by queued.min.messages / .kbytes). A sealed batch is dropped only when
// its partitions are revoked; nothing of it was committed then, so the next owner replays
// it from the offsets in Redis.
//
// The cold path keeps its own, bigger batch (ARCHITECTURE.md, "Cold path"): enriched lines compressed into
// zstd frames as they come, written as objects every worker.cold_flush_s or once the
// thread holds worker.cold_batch_mib, then recorded as "<topic>:<p>:cold" next offsets in
// the following MULTI/EXEC. Few, large objects instead of one per partition per second.
// On assignment a partition resumes at min(hot, cold) offset: records below the hot
// offset only feed the cold path, records below the cold offset only the hot path. The
// cold path holds every valid event, late ones included (lateness is a property of the
// streaming windows; the lakehouse keeps the data).
#include "core/base/backoff.hpp"
#include "core/redis/redis_client.hpp"
#include "pipeline/sinks/cold/cold_sink.hpp"
#include "pipeline/kafka/dlq_writer.hpp"
#include "pipeline/decode/event.hpp"
#include "pipeline/kafka/fetch_waker.hpp"
#include "pipeline/sinks/redis/redis_sink.hpp"
#include "pipeline/decode/telemetry.hpp"
#include "pipeline/window/window.hpp"
#include "pipeline/kafka/kafka_handles.hpp"
#include "pipeline/worker/worker_shared.hpp"

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace ebap::pipeline {

// A failing sink is retried after 100 ms, 200 ms, ... up to 5 s.
inline constexpr std::chrono::milliseconds kFirstRetry{100}, kMaxRetry{5000};

class ConsumerThread {
  public:
    // Connects Redis, creates the consumer and the DLQ producer; throws Error.
    ConsumerThread(int index, WorkerShared& shared);
    ~ConsumerThread();
    ConsumerThread(const ConsumerThread&) = delete;
    ConsumerThread& operator=(const ConsumerThread&) = delete;

    // The thread body: subscribe, consume until stop (or drain done), final flush, close.
    // Never throws: a fatal error is kept in error() and counted in shared.failed_threads.
    void run();
    const std::string& error() const { return error_; }
    // Batches this thread committed to Redis.
    void count_commit_error(); // from librdkafka's offset-commit callback

  private:
    using Clock = std::chrono::steady_clock;

    // Offsets one batch covers on one partition.
    struct Range {
        std::int64_t first = -1; // -1: no record of the partition in the batch
        std::int64_t next = -1;
    };
    struct Sealed {
        BatchDelta delta;
        std::map<TopicPartition, StoredPosition> positions;
        std::map<TopicPartition, std::int64_t> cold_positions; // cold objects written
        TelemetryLatest telemetry;
        std::int64_t records = 0;
        bool redis_uncertain = false; // an EXEC may have been applied: check before redoing
    };

    static void rebalance_cb(rd_kafka_t* rk, rd_kafka_resp_err_t err,
                             rd_kafka_topic_partition_list_t* partitions, void* opaque);
    void on_assign(rd_kafka_topic_partition_list_t* partitions);
    void on_revoke(rd_kafka_topic_partition_list_t* partitions);

    void loop();
    void subscribe();
    void rejoin_if_fenced_too_long();
    void stop_waker(); // joins the waker thread, keeps its count
    void handle(const rd_kafka_message_t* m);
    void handle_event(const rd_kafka_message_t* m);
    void handle_telemetry(const rd_kafka_message_t* m);
    void count_event(const UserProfile* profile, std::int32_t partition, bool hot, bool cold);
    void to_dlq(const rd_kafka_message_t* m, const std::string& reason);
    void advance(std::vector<Range>& ranges, std::int32_t partition, std::int64_t offset);

    // consumer_flush.cpp
    bool flush_cold(); // writes the open cold batch; pauses and backs off on failure
    void drop_cold();
    void report_drain(const TopicPartition& tp);
    void seal();
    bool commit_sealed(bool final); // one attempt; true when the sealed batch is committed
    bool positions_applied();       // the sealed batch's offsets are what Redis holds
    bool flush(bool final);         // seal (if needed) and commit once; pauses on failure
    bool flush_until(Clock::time_point deadline, bool final); // with backoff
    void drop_batches();
    void fence(const std::string& why); // a partition was claimed by another worker
    void set_paused(bool paused);
    void after_commit(const Sealed& s, bool final);
    void commit_to_kafka(const std::map<TopicPartition, std::int64_t>& offsets, bool sync);
    void publish_gauges();
    // Draining: every assigned partition was read up to its drain target.
    bool drained_assignment();
    // Each assigned partition with the next offset this thread reads (the committed offset
    // it was assigned at before the first fetch; -1 when neither is known).
    std::vector<std::pair<TopicPartition, std::int64_t>> assigned_positions();

    // Time spent in a sink: added to the thread's sink time (kept out of process_us) and to
    // the sink's own counter when the scope ends.
    struct SinkTimer {
        SinkTimer(ConsumerThread& self, std::atomic<std::int64_t>& counter)
            : self(self), counter(counter), t0(std::chrono::steady_clock::now()) {}
        ~SinkTimer();
        ConsumerThread& self;
        std::atomic<std::int64_t>& counter;
        std::chrono::steady_clock::time_point t0;
    };

    void sink_failed(std::atomic<std::int64_t>& last_log, const char* what_failed,
                     std::int64_t records, const std::string& what);

    // "worker[N]": where this thread's log lines come from.
    std::string who() const { return "worker[" + std::to_string(index_) + "]"; }

    int index_;
    WorkerShared& sh_;
    ThreadMetrics& m_;
    RedisClient redis_;
    RedisSink sink_;
    std::unique_ptr<ColdSink> cold_;
    DlqWriter dlq_;
    KafkaHandle rk_;
    rd_kafka_queue_t* queue_ = nullptr;
    std::optional<FetchWaker> waker_; // while loop() runs
    std::int64_t records_read_ = 0, bytes_read_ = 0;
    const rd_kafka_topic_t* events_rkt_ = nullptr;
    const rd_kafka_topic_t* telemetry_rkt_ = nullptr;

    EventDecoder decoder_;
    Event event_;
    TelemetryDecoder telemetry_decoder_;
    TelemetryRecord telemetry_record_;
    WindowAggregator agg_;

    // Where each events partition resumes, from Redis at assignment: records below hot
    // skip the hot path, records below cold skip the cold path.
    struct Resume {
        std::int64_t hot = 0, cold = 0;
    };
    std::vector<Resume> resume_; // by events partition

    // open batch
    std::vector<Range> event_ranges_, telemetry_ranges_; // by partition
    TelemetryLatest telemetry_;
    std::int64_t open_records_ = 0;
    Clock::time_point batch_started_ = Clock::now();

    // Next offsets Redis holds for the assigned partitions (-1: none yet): what Kafka's
    // committed offsets are brought up to (lag views) and the lag before the first fetch.
    std::map<TopicPartition, std::int64_t> committed_;
    std::map<std::int32_t, std::int64_t> cold_committed_; // the cold offsets Redis holds

    // open cold batch (by events partition)
    std::unique_ptr<ColdCompressor> compressor_;
    std::vector<Range> cold_ranges_;
    std::vector<ColdBatch> cold_batches_;
    std::int64_t cold_records_ = 0;
    std::int64_t cold_held_ = 0; // bytes over all cold batches
    Clock::time_point cold_started_ = Clock::now();
    std::map<TopicPartition, std::int64_t> cold_written_; // written, not yet in Redis
    bool cold_failing_ = false;
    Backoff cold_backoff_{kFirstRetry, kMaxRetry};
    std::optional<Sealed> sealed_;
    bool paused_ = false;
    bool fenced_ = false; // batches dropped after a FencedError; paused until the rebalance
    Clock::time_point fenced_at_{};
    Backoff backoff_{kFirstRetry, kMaxRetry}; // the sealed batch's commit retries
    std::string last_sink_error_;

    // counters published to metrics once per consume call (fewer atomic operations)
    std::int64_t n_records_ = 0, n_bytes_ = 0, n_events_ = 0, n_late_ = 0, n_dlq_ = 0,
                 n_misses_ = 0, n_telemetry_ = 0;
    std::int64_t sink_us_ = 0; // time in flush() and flush_cold(), for the stage split
    std::string error_;
};

} // namespace ebap::pipeline
