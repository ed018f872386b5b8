// Consumer thread: setup, the consume loop, per-record handling and the rebalance callback.
// The flush side lives in consumer_flush.cpp.
#include "pipeline/worker/consumer_thread.hpp"

#include "core/base/log.hpp"
#include "core/base/error.hpp"
#include "core/base/format.hpp"
#include "core/base/time.hpp"

#include <cstdio>
#include <thread>

namespace ebap::pipeline {
namespace {

constexpr int kConsumeBatch = 1024;     // records per rd_kafka_consume_batch_queue call
constexpr int kPrefetchRecords = 16384; // queued.min.messages (see FetchWaker)
constexpr int kPrefetchKiB = 65536;     // queued.max.messages.kbytes
constexpr int kFinalFlushS = 30;        // stop: how long the last batch may keep failing
constexpr int kRevokeFlushS = 10;       // revoke: same, inside the rebalance callback
constexpr int kFencedRejoinS = 15;      // fenced and no rebalance since: rejoin the group

std::int64_t micros(std::chrono::steady_clock::duration d) {
    return std::chrono::duration_cast<std::chrono::microseconds>(d).count();
}

void on_commit(rd_kafka_t*, rd_kafka_resp_err_t err, rd_kafka_topic_partition_list_t*,
               void* opaque);

} // namespace

ConsumerThread::ConsumerThread(int index, WorkerShared& shared)
    : index_(index), sh_(shared), m_(shared.metrics->thread(index)), redis_(shared.redis),
      sink_(redis_, shared.prefix, shared.group),
      dlq_(shared.bootstrap, shared.dlq_topic, shared.kafka_props),
      agg_(shared.watermark_delay_ms) {
    if (sh_.cold) {
        cold_ = std::make_unique<ColdSink>(*sh_.cold);
        compressor_ = std::make_unique<ColdCompressor>(sh_.cold->zstd_level);
    }
    KafkaConf conf(sh_.bootstrap, sh_.kafka_props);
    conf.set("group.id", sh_.group)
        .set("client.id", "ebapctl-worker-" + std::to_string(index))
        // Positions come from Redis (exactly-once); Kafka commits are for lag views only.
        .set("enable.auto.commit", "false")
        .set("enable.auto.offset.store", "false")
        .set("auto.offset.reset", "earliest")
        // Eager protocol: revoke everything, then assign (our callback relies on it).
        .set("partition.assignment.strategy", "range,roundrobin")
        // A dead worker's partitions move on after 6 s (the broker minimum), and the mock
        // broker waits session.timeout.ms - 1 s for members on every rebalance.
        .set("session.timeout.ms", "6000")
        .set("heartbeat.interval.ms", "1000")
        // Throughput: big fetches, a small prefetch. The queue limits are per consumer;
        // librdkafka 2.0 stops fetching when they are reached and would look again only a
        // second later, which the FetchWaker prevents. ~16k records of ~200 B are ~3 MiB
        // of payload plus librdkafka's ~250 B per queued record; the byte limit is for big
        // records. Per-partition fetches stay at 1 MiB, so one fetch round of a thread's
        // partitions does not overshoot the limits by much (the A/B of the limit is in
        // bench/README.md).
        .set("fetch.max.bytes", "52428800")
        .set("max.partition.fetch.bytes", "1048576")
        .set("queued.min.messages", std::to_string(kPrefetchRecords))
        .set("queued.max.messages.kbytes", std::to_string(kPrefetchKiB))
        .set("fetch.wait.max.ms", "100");
    rd_kafka_conf_set_rebalance_cb(conf.get(), rebalance_cb);
    rd_kafka_conf_set_offset_commit_cb(conf.get(), on_commit);
    rd_kafka_conf_set_opaque(conf.get(), this);
    rk_ = conf.create(RD_KAFKA_CONSUMER);
    rd_kafka_poll_set_consumer(rk_.get());
    queue_ = rd_kafka_queue_get_consumer(rk_.get());
}

ConsumerThread::~ConsumerThread() {
    waker_.reset(); // it reads queue_
    if (queue_) rd_kafka_queue_destroy(queue_);
}

namespace {

void on_commit(rd_kafka_t*, rd_kafka_resp_err_t err, rd_kafka_topic_partition_list_t*,
               void* opaque) {
    // _NO_OFFSET: nothing to commit. Anything else only makes lag views stale.
    if (err && err != RD_KAFKA_RESP_ERR__NO_OFFSET)
        static_cast<ConsumerThread*>(opaque)->count_commit_error();
}

} // namespace

void ConsumerThread::count_commit_error() {
    ThreadMetrics::add(m_.commit_errors, 1);
}

void ConsumerThread::run() {
    try {
        subscribe();
        // The group join runs in the background meanwhile; no event is read (and no
        // assignment served) before the profile table holds the whole CDC topic.
        while (!sh_.profiles_ready.load() && !sh_.stop.load())
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        waker_.emplace(rk_.get(), queue_);
        loop();
        stop_waker();
        if (flush_until(Clock::now() + std::chrono::seconds(kFinalFlushS), true))
            commit_to_kafka(committed_, true); // lag views exact when we exit
        else if (!fenced_) // fenced: the batch was the new owner's, nothing is missing
            error_ += (error_.empty() ? "" : "; ") +
                      std::string("the last batch was not committed (") + last_sink_error_ +
                      "); the next run replays it from the offsets stored in Redis";
    } catch (const std::exception& e) {
        stop_waker();
        error_ += (error_.empty() ? "" : "; ") + std::string(e.what());
    }
    if (!error_.empty()) {
        sh_.failed_threads.fetch_add(1);
        sh_.stop.store(true); // one broken thread stops the process: exit status 1
    }
    // Leave the group together: a member still in it when another leaves is asked to
    // rejoin, and its own LeaveGroup then waits behind that JoinGroup (the broker holds a
    // JoinGroup for up to session.timeout.ms). Bounded wait: a stuck sibling cannot hold us.
    sh_.ready_to_close.fetch_add(1);
    for (int i = 0; i < 200 && sh_.ready_to_close.load() < sh_.threads; ++i)
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    rd_kafka_consumer_close(rk_.get()); // leaves the group (revoke callback runs)
    publish_gauges();
}

void ConsumerThread::subscribe() {
    auto topics = make_partition_list(2);
    rd_kafka_topic_partition_list_add(topics.get(), sh_.events_topic.c_str(),
                                      RD_KAFKA_PARTITION_UA);
    rd_kafka_topic_partition_list_add(topics.get(), sh_.telemetry_topic.c_str(),
                                      RD_KAFKA_PARTITION_UA);
    if (auto e = rd_kafka_subscribe(rk_.get(), topics.get()))
        throw Error("kafka " + sh_.bootstrap + ": cannot subscribe: " + rd_kafka_err2str(e));
}

void ConsumerThread::rejoin_if_fenced_too_long() {
    // A fence is normally followed by the rebalance that explains it within a session
    // timeout. If none comes (the owners hash was lost with a Redis restart, or rewritten
    // by hand), leave the group and join again: the next assignment claims afresh.
    if (!fenced_ || Clock::now() - fenced_at_ < std::chrono::seconds(kFencedRejoinS)) return;
    log::warn(who(), "no rebalance within {} s of being fenced: leaving and rejoining the group",
              kFencedRejoinS);
    fenced_at_ = Clock::now();
    rd_kafka_unsubscribe(rk_.get()); // the revoke callback runs in the next consume call
    subscribe();
}

void ConsumerThread::stop_waker() {
    if (!waker_) return;
    ThreadMetrics::set(m_.fetch_wakeups, waker_->wakeups());
    waker_.reset();
}

void ConsumerThread::loop() {
    rd_kafka_message_t* msgs[kConsumeBatch];
    auto next_gauges = Clock::now();
    const auto flush_every = std::chrono::milliseconds(sh_.flush_ms);
    const auto cold_every = std::chrono::seconds(sh_.cold_flush_s);
    // Draining, an idle poll ends the batch (and maybe the run): notice it sooner.
    const int poll_ms = sh_.drain ? 20 : 100;
    while (!sh_.stop.load(std::memory_order_relaxed)) {
        if (sh_.drain && sh_.drain->done()) break;
        rejoin_if_fenced_too_long();
        auto now = Clock::now();
        if (cold_records_ > 0 && (cold_failing_ ? cold_backoff_.due(now)
                                                : now - cold_started_ >= cold_every ||
                                                      cold_held_ >= sh_.cold_batch_bytes))
            flush_cold();
        if (sealed_ ? backoff_.due(now)
                    : (open_records_ > 0 || !cold_written_.empty()) &&
                          now - batch_started_ >= flush_every)
            flush(false);

        const auto t_poll = Clock::now();
        const ssize_t n = rd_kafka_consume_batch_queue(queue_, poll_ms, msgs, kConsumeBatch);
        const auto t_got = Clock::now();
        if (n > 0) decoder_.set_clock(ebap::now_ms(), sh_.future_tolerance_ms);
        const std::int64_t sink_before = sink_us_;
        ThreadMetrics::add(m_.poll_us, micros(t_got - t_poll));
        // What the queue held when the call took from it (the call does not wait for more
        // once it has one record): about what librdkafka saw when it last decided to fetch.
        if (n > 0 && waker_)
            waker_->note(n + static_cast<std::int64_t>(rd_kafka_queue_length(queue_)),
                         records_read_, bytes_read_);
        for (ssize_t i = 0; i < n; ++i) {
            handle(msgs[i]);
            rd_kafka_message_destroy(msgs[i]);
            // The bounded queue: a full batch is committed before anything else is read.
            if (open_records_ >= sh_.max_batch_events && !sealed_) flush(false);
            if (cold_held_ >= sh_.cold_batch_bytes && !cold_failing_) flush_cold();
        }
        if (n > 0)
            ThreadMetrics::add(m_.process_us,
                               micros(Clock::now() - t_got) - (sink_us_ - sink_before));
        records_read_ += n_records_;
        bytes_read_ += n_bytes_;
        ThreadMetrics::add(m_.records, n_records_);
        ThreadMetrics::add(m_.bytes, n_bytes_);
        ThreadMetrics::add(m_.events, n_events_);
        ThreadMetrics::add(m_.late, n_late_);
        ThreadMetrics::add(m_.dlq, n_dlq_);
        ThreadMetrics::add(m_.join_misses, n_misses_);
        ThreadMetrics::add(m_.telemetry, n_telemetry_);
        n_records_ = n_bytes_ = n_events_ = n_late_ = n_dlq_ = n_misses_ = n_telemetry_ = 0;

        // Draining and nothing more to read right now: commit without waiting for the timer,
        // and once every partition of this thread reached its target, the cold batch too
        // (the drain is done only when both paths committed the targets).
        if (n <= 0 && sh_.drain) {
            if (cold_records_ > 0 && !cold_failing_ && drained_assignment()) flush_cold();
            if ((open_records_ > 0 || !cold_written_.empty()) && !sealed_) flush(false);
        }
        if (Clock::now() >= next_gauges) {
            publish_gauges();
            next_gauges = Clock::now() + std::chrono::seconds(1);
        }
    }
}

bool ConsumerThread::drained_assignment() {
    const auto& targets = sh_.drain->targets();
    for (const auto& [tp, pos] : assigned_positions()) {
        const auto t = targets.find(tp);
        if (t != targets.end() && t->second > 0 && pos < t->second) return false;
    }
    return true;
}

void ConsumerThread::handle(const rd_kafka_message_t* m) {
    if (fenced_) return; // prefetched records of partitions that are not ours any more
    if (m->err) {
        if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) return;
        // Consumer errors (unknown topic, broker down) are transient: librdkafka retries.
        static std::atomic<std::int64_t> last_log{0};
        if (log_due(last_log, 10'000))
            log::warn(who(), "kafka: {}", rd_kafka_message_errstr(m));
        return;
    }
    // Topic handles are stable per consumer: compare pointers, not names, per record.
    if (m->rkt == events_rkt_) return handle_event(m);
    if (m->rkt == telemetry_rkt_) return handle_telemetry(m);
    const char* topic = rd_kafka_topic_name(m->rkt);
    if (sh_.events_topic == topic) {
        events_rkt_ = m->rkt;
        handle_event(m);
    } else if (sh_.telemetry_topic == topic) {
        telemetry_rkt_ = m->rkt;
        handle_telemetry(m);
    }
}

void ConsumerThread::advance(std::vector<Range>& ranges, std::int32_t partition,
                             std::int64_t offset) {
    const auto p = static_cast<std::size_t>(partition);
    if (p >= ranges.size()) ranges.resize(p + 1);
    Range& r = ranges[p];
    if (r.first < 0) r.first = offset;
    r.next = offset + 1;
    ++open_records_;
}

void ConsumerThread::handle_event(const rd_kafka_message_t* m) {
    ++n_records_;
    n_bytes_ += static_cast<std::int64_t>(m->len);
    const auto p = static_cast<std::size_t>(m->partition);
    if (p >= resume_.size()) resume_.resize(p + 1);
    const bool hot = m->offset >= resume_[p].hot;
    const bool cold = cold_ && m->offset >= resume_[p].cold;
    if (hot) advance(event_ranges_, m->partition, m->offset);
    if (cold) {
        if (p >= cold_ranges_.size()) cold_ranges_.resize(p + 1);
        Range& r = cold_ranges_[p];
        if (r.first < 0) r.first = m->offset;
        r.next = m->offset + 1;
        if (cold_records_++ == 0) cold_started_ = Clock::now();
    }
    if (!hot && !cold) return;
    const std::string_view value(static_cast<const char*>(m->payload), m->payload ? m->len : 0);
    if (auto reason = decoder_.decode(value, event_)) {
        if (hot) to_dlq(m, *reason); // below the hot offset it went to the DLQ before
        return;
    }
    // Left join against the profile table; the work under its read lock is short.
    const bool hit = sh_.profiles->visit(event_.user_id, [&](const UserProfile& profile) {
        count_event(&profile, m->partition, hot, cold);
    });
    if (!hit) {
        if (hot) ++n_misses_;
        count_event(nullptr, m->partition, hot, cold);
    }
    if (cold) { // compress a full frame now that the profile table's lock is released
        ColdBatch& batch = cold_batches_[p];
        const auto before = static_cast<std::int64_t>(batch.held_bytes());
        batch.seal_due();
        cold_held_ += static_cast<std::int64_t>(batch.held_bytes()) - before;
    }
}

void ConsumerThread::count_event(const UserProfile* profile, std::int32_t partition, bool hot,
                                 bool cold) {
    const std::string_view region = profile && !profile->region.empty() ? profile->region
                                    : !event_.region.empty()            ? event_.region
                                                                        : kUnknownRegion;
    if (hot) {
        if (agg_.add(event_, region, partition))
            ++n_events_;
        else
            ++n_late_;
    }
    if (!cold) return;
    const auto p = static_cast<std::size_t>(partition);
    while (p >= cold_batches_.size())
        cold_batches_.emplace_back(compressor_.get());
    ColdBatch& batch = cold_batches_[p];
    const auto before = static_cast<std::int64_t>(batch.held_bytes());
    batch.append(event_.ts_ms, region,
                 [&](std::string& out) { append_enriched_event(out, event_, profile, region); });
    cold_held_ += static_cast<std::int64_t>(batch.held_bytes()) - before;
}

void ConsumerThread::handle_telemetry(const rd_kafka_message_t* m) {
    ++n_records_;
    n_bytes_ += static_cast<std::int64_t>(m->len);
    advance(telemetry_ranges_, m->partition, m->offset);
    const std::string_view value(static_cast<const char*>(m->payload), m->payload ? m->len : 0);
    if (auto reason = telemetry_decoder_.decode(value, telemetry_record_))
        return to_dlq(m, *reason);
    telemetry_.add(telemetry_record_);
    ++n_telemetry_;
}

void ConsumerThread::to_dlq(const rd_kafka_message_t* m, const std::string& reason) {
    const std::string_view key(static_cast<const char*>(m->key), m->key ? m->key_len : 0);
    const std::string_view value(static_cast<const char*>(m->payload), m->payload ? m->len : 0);
    dlq_.send(key, m->key == nullptr, value, m->payload == nullptr, reason,
              rd_kafka_topic_name(m->rkt), m->partition, m->offset);
    agg_.count_dlq();
    ++n_dlq_;
}

// ---- rebalance (eager) ----

void ConsumerThread::rebalance_cb(rd_kafka_t*, rd_kafka_resp_err_t err,
                                  rd_kafka_topic_partition_list_t* partitions, void* opaque) {
    auto* self = static_cast<ConsumerThread*>(opaque);
    if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS)
        self->on_assign(partitions);
    else
        self->on_revoke(partitions);
}

void ConsumerThread::on_assign(rd_kafka_topic_partition_list_t* partitions) {
    // Claim the partitions (fencing: a previous owner that has not noticed the rebalance
    // cannot commit any more), then seek to what Redis committed: the offsets and max ts
    // of the last EXEC that covered each partition, whoever wrote it. Without them no
    // position is safe: keep trying.
    std::vector<TopicPartition> claims;
    for (int i = 0; i < partitions->cnt; ++i)
        claims.push_back({partitions->elems[i].topic, partitions->elems[i].partition});
    std::map<TopicPartition, StoredPosition> stored;
    fenced_ = false;
    Backoff retry(std::chrono::milliseconds(100), std::chrono::milliseconds(5000));
    for (;;) {
        bool for_now = false;
        try {
            sink_.claim(claims);
            stored = sink_.load_offsets({sh_.events_topic, sh_.telemetry_topic});
            break;
        } catch (const RefusedForNowError& e) {
            for_now = true;
            log::warn(who(), "cannot claim partitions (retrying): {}", e.what());
        } catch (const std::exception& e) {
            // Redis answered, but refused the claim for good (NOPERM, READONLY, WRONGTYPE)
            // or with offsets we cannot use: no retry fixes that.
            const bool fatal = redis_.connected();
            if (fatal)
                error_ = e.what();
            else
                log::warn(who(), "cannot load offsets (retrying): {}", e.what());
            if (fatal || sh_.stop.load()) {
                sh_.stop.store(true);
                rd_kafka_assign(rk_.get(), nullptr);
                return;
            }
        }
        ThreadMetrics::add(m_.sink_errors, 1);
        if (for_now && sh_.stop.load()) {
            rd_kafka_assign(rk_.get(), nullptr);
            return;
        }
        std::this_thread::sleep_for(retry.failed());
    }
    for (int i = 0; i < partitions->cnt; ++i) {
        rd_kafka_topic_partition_t& tp = partitions->elems[i];
        const TopicPartition key{tp.topic, tp.partition};
        const auto it = stored.find(key);
        const std::int64_t hot = it != stored.end() ? it->second.next_offset : 0;
        committed_[key] = it != stored.end() ? hot : -1;
        std::int64_t start = hot;
        if (key.topic == sh_.events_topic) {
            agg_.set_max_ts(tp.partition, it != stored.end() ? it->second.max_ts : std::nullopt);
            // No cold offset stored: the cold path holds nothing of the partition yet (a
            // run killed before its first cold write, or a group that ran with --no-cold):
            // it starts from the beginning.
            const std::int64_t cold =
                it != stored.end() && it->second.cold_next ? *it->second.cold_next : 0;
            const auto p = static_cast<std::size_t>(tp.partition);
            if (p >= resume_.size()) resume_.resize(p + 1);
            resume_[p] = {hot, cold};
            if (cold_) {
                cold_committed_[tp.partition] = cold;
                start = std::min(hot, cold);
            }
        }
        // Offset 0, not the logical BEGINNING, when nothing is stored: BEGINNING first needs
        // a ListOffsets round that sometimes delayed the first fetch. Should retention have
        // removed offset 0, the fetch is out of range and auto.offset.reset=earliest moves on.
        tp.offset = start;
        if (sh_.drain) sh_.drain->report(key, start);
    }
    if (auto e = rd_kafka_assign(rk_.get(), partitions))
        log::error(who(), "assign failed: {}", rd_kafka_err2str(e));
    // Bring Kafka's committed offsets up to Redis's: an async commit lost in an earlier
    // rebalance would otherwise leave lag views stale for a partition that stays idle.
    commit_to_kafka(committed_, false);
    ThreadMetrics::set(m_.assigned_partitions, partitions->cnt);
    ThreadMetrics::add(m_.assignments, 1);
    std::int64_t none = 0;
    if (partitions->cnt > 0) sh_.first_assign_ms.compare_exchange_strong(none, now_ms());
}

void ConsumerThread::on_revoke(rd_kafka_topic_partition_list_t* partitions) {
    // Flush first: what we read is committed by us or replayed by the next owner. Also
    // when librdkafka says the partitions were lost (our session ended, another member
    // may own them already): fencing refuses the commit if one of them was claimed since,
    // and a commit that lands before the claim is what the new owner then loads.
    // The cold batch too, also when the hot one is empty: dropped, the next owner would
    // read all of it again (from the older cold offset) just for the cold path.
    if ((sealed_ || open_records_ > 0 || cold_records_ > 0 || !cold_written_.empty()) &&
        !flush_until(Clock::now() + std::chrono::seconds(kRevokeFlushS), false) && !fenced_) {
        log::warn(who(),
                  "partitions revoked while the batch cannot be committed ({}); dropping it: "
                  "the next owner replays it from Redis offsets",
                  last_sink_error_);
        drop_batches();
    }
    for (int i = 0; i < partitions->cnt; ++i)
        if (sh_.events_topic == partitions->elems[i].topic)
            agg_.set_max_ts(partitions->elems[i].partition, std::nullopt);
    drop_cold(); // flushed above, or not writable now: the next owner replays it
    sink_.release();
    event_ranges_.clear();
    telemetry_ranges_.clear();
    committed_.clear();
    cold_committed_.clear();
    cold_written_.clear();
    resume_.clear();
    if (paused_) set_paused(false); // no pause carried over to a partition assigned again
    rd_kafka_assign(rk_.get(), nullptr);
    ThreadMetrics::set(m_.assigned_partitions, 0);
}

} // namespace ebap::pipeline
