// Consumer thread, flush side: seal the open batch, commit it in the order of
// consumer_thread.hpp, retry with capped backoff while paused, or drop it on revoke.
#include "pipeline/worker/consumer_thread.hpp"

#include "core/base/log.hpp"
#include "core/base/error.hpp"
#include "core/base/format.hpp"
#include "core/base/time.hpp"

#include <cstdio>
#include <thread>

namespace ebap::pipeline {
namespace {


std::int64_t micros_since(std::chrono::steady_clock::time_point t) {
    return std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() -
                                                                 t)
        .count();
}

} // namespace

void ConsumerThread::seal() {
    Sealed s;
    s.delta = agg_.take();
    for (std::size_t p = 0; p < event_ranges_.size(); ++p) {
        Range& r = event_ranges_[p];
        if (r.first < 0) continue;
        const auto part = static_cast<std::int32_t>(p);
        // Per-partition watermark (docs/ARCHITECTURE.md): the partition's max ts as of the batch's last record, beside its offset.
        s.positions[{sh_.events_topic, part}] = {r.next, agg_.max_ts(part), std::nullopt};
        r = Range{};
    }
    for (std::size_t p = 0; p < telemetry_ranges_.size(); ++p) {
        Range& r = telemetry_ranges_[p];
        if (r.first < 0) continue;
        s.positions[{sh_.telemetry_topic, static_cast<std::int32_t>(p)}] = {r.next, std::nullopt,
                                                                            std::nullopt};
        r = Range{};
    }
    s.cold_positions.swap(cold_written_);
    s.telemetry = std::move(telemetry_);
    telemetry_.clear();
    s.records = open_records_;
    open_records_ = 0;
    batch_started_ = Clock::now();
    sealed_ = std::move(s);
}

bool ConsumerThread::positions_applied() {
    const auto stored = sink_.load_offsets({sh_.events_topic, sh_.telemetry_topic});
    for (const auto& [tp, pos] : sealed_->positions) {
        const auto it = stored.find(tp);
        if (it == stored.end() || it->second.next_offset != pos.next_offset) return false;
    }
    for (const auto& [tp, next] : sealed_->cold_positions) {
        const auto it = stored.find(tp);
        if (it == stored.end() || it->second.cold_next != next) return false;
    }
    return true;
}

bool ConsumerThread::commit_sealed(bool final) {
    Sealed& s = *sealed_;
    const auto t0 = Clock::now();
    try {
        // 1. DLQ records of the batch are in Kafka before its offsets commit (ARCHITECTURE.md, "Dead letters before offsets").
        if (!dlq_.flush(final ? 30000 : 10000))
            throw Error(dlq_.last_error().empty() ? "DLQ deliveries not confirmed in time"
                                                  : dlq_.last_error());
        // 2. The transaction, with the latest telemetry values inside it (fenced with the
        // rest). When an earlier attempt failed after sending EXEC it may have been
        // applied: the offsets it carries tell, since they are in the same EXEC.
        const auto tr = Clock::now();
        // Offsets equal to ours could also be a new owner's, reading to the same end.
        if (s.redis_uncertain) sink_.verify_claims(s.positions, s.cold_positions);
        if (!(s.redis_uncertain && positions_applied())) {
            s.redis_uncertain = true;
            sink_.commit_batch(s.delta, s.positions, s.cold_positions,
                               s.telemetry.empty() ? std::vector<std::vector<std::string>>{}
                                                   : s.telemetry.redis_commands(sh_.prefix));
        }
        ThreadMetrics::set(m_.redis_last_us, micros_since(tr));
    } catch (const FencedError& e) {
        fence(e.what());
        return false;
    } catch (const std::exception& e) {
        static std::atomic<std::int64_t> last_log{0};
        sink_failed(last_log, "flush failed, batch of", s.records, e.what());
        return false;
    }
    m_.record_flush(micros_since(t0));
    after_commit(s, final);
    sealed_.reset();
    return true;
}

void ConsumerThread::fence(const std::string& why) {
    // Another worker claimed a partition of ours since our assignment: our session ended
    // without us noticing yet (a stall), and the group moved on. Everything read is the new
    // owner's to replay; we wait, paused, for the rebalance that tells us what we own now.
    ThreadMetrics::add(m_.fenced_batches, 1);
    log::warn(who(), "{}; dropping {} records read (the new owner replays them), pausing until "
                     "the rebalance",
              why, open_records_ + (sealed_ ? sealed_->records : 0));
    drop_batches();
    drop_cold();
    cold_written_.clear();
    fenced_ = true;
    fenced_at_ = Clock::now();
    if (!paused_) set_paused(true);
}

void ConsumerThread::after_commit(const Sealed& s, bool final) {
    for (const auto& [tp, next] : s.cold_positions) {
        cold_committed_[tp.partition] = next;
        if (cold_) cold_->committed(tp.topic, tp.partition, next);
    }
    // 3. Kafka: the same offsets, for lag views (synchronous on the last flush, so the
    // group's lag is exact once the process exits).
    std::map<TopicPartition, std::int64_t> offsets;
    for (const auto& [tp, pos] : s.positions)
        offsets[tp] = committed_[tp] = pos.next_offset;
    commit_to_kafka(offsets, final);
    if (sh_.drain) {
        for (const auto& [tp, pos] : s.positions)
            report_drain(tp);
        for (const auto& [tp, next] : s.cold_positions)
            report_drain(tp);
    }
    // 4. Derived views, recomputed from Redis: whoever writes them writes the same.
    const std::int64_t now = now_ms();
    if (sh_.claim_view_refresh(now)) {
        try {
            sink_.refresh_views(now, sh_.watermark_ms(), sh_.thresholds);
            ThreadMetrics::add(sh_.metrics->view_refreshes, 1);
        } catch (const std::exception& e) {
            ThreadMetrics::add(sh_.metrics->view_errors, 1);
            log::warn(who(), "views not refreshed: {}", e.what());
        }
    }
    publish_gauges();
}

void ConsumerThread::report_drain(const TopicPartition& tp) {
    // Done when both paths committed up to the target.
    const auto hot = committed_.find(tp);
    std::int64_t next = hot != committed_.end() ? hot->second : -1;
    if (cold_ && tp.topic == sh_.events_topic) {
        const auto c = cold_committed_.find(tp.partition);
        next = std::min(next, c != cold_committed_.end() ? c->second : -1);
    }
    if (next >= 0) sh_.drain->report(tp, next);
}

// Counts a failed sink attempt and logs it: at once when the error changed, else at most
// every 10 s per sink (a dead Redis fails every retry the same way).
void ConsumerThread::sink_failed(std::atomic<std::int64_t>& last_log, const char* what_failed,
                                 std::int64_t records, const std::string& what) {
    ThreadMetrics::add(m_.sink_errors, 1);
    if (log_due(last_log, 10'000) || what != last_sink_error_)
        log::warn(who(), "{} {} records kept, partitions paused, retrying: {}", what_failed,
                  records, what);
    last_sink_error_ = what;
}

ConsumerThread::SinkTimer::~SinkTimer() {
    const std::int64_t us = micros_since(t0);
    self.sink_us_ += us;
    ThreadMetrics::add(counter, us);
}

bool ConsumerThread::flush_cold() {
    if (!cold_ || cold_records_ == 0) return true;
    const auto tc = Clock::now();
    const SinkTimer timer(*this, m_.cold_us);
    try {
        // Every partition of the batch is in the call, with lines or without (that is what
        // clears a crashed run's leftovers at and after its first offset).
        std::vector<ColdSink::PartitionBatch> batches;
        for (std::size_t p = 0; p < cold_ranges_.size(); ++p) {
            const Range& r = cold_ranges_[p];
            if (r.first < 0) continue;
            batches.push_back({static_cast<std::int32_t>(p), r.first, r.next - 1,
                               p < cold_batches_.size() ? &cold_batches_[p] : nullptr});
        }
        // Objects the Redis commit would refuse must not reach the cold path either.
        std::vector<TopicPartition> parts;
        for (const auto& b : batches)
            parts.push_back({sh_.events_topic, b.partition});
        sink_.verify_claims(parts);
        cold_->write_batches(sh_.events_topic, batches);
    } catch (const FencedError& e) {
        fence(e.what());
        return false;
    } catch (const std::exception& e) {
        static std::atomic<std::int64_t> last_log{0};
        sink_failed(last_log, "cold-path write failed,", cold_records_, e.what());
        cold_failing_ = true;
        cold_backoff_.failed();
        if (!paused_) set_paused(true);
        return false;
    }
    for (std::size_t p = 0; p < cold_ranges_.size(); ++p)
        if (cold_ranges_[p].first >= 0)
            cold_written_[{sh_.events_topic, static_cast<std::int32_t>(p)}] = cold_ranges_[p].next;
    drop_cold();
    ThreadMetrics::set(m_.cold_last_us, micros_since(tc));
    const ColdSinkStats cs = cold_->stats();
    ThreadMetrics::set(m_.cold_objects, static_cast<std::int64_t>(cs.objects_written));
    ThreadMetrics::set(m_.cold_bytes, static_cast<std::int64_t>(cs.bytes_written));
    if (paused_ && !sealed_) set_paused(false);
    return true;
}

void ConsumerThread::drop_cold() {
    for (auto& r : cold_ranges_)
        r = Range{};
    for (auto& b : cold_batches_)
        b.clear();
    if (compressor_) compressor_->reset_frames(); // no batch holds a frame any more
    cold_records_ = 0;
    cold_held_ = 0;
    cold_started_ = Clock::now();
    cold_failing_ = false;
    cold_backoff_.succeeded();
}

void ConsumerThread::commit_to_kafka(const std::map<TopicPartition, std::int64_t>& offsets,
                                     bool sync) {
    auto list = make_partition_list(static_cast<int>(offsets.size()));
    for (const auto& [tp, next] : offsets)
        if (next >= 0)
            rd_kafka_topic_partition_list_add(list.get(), tp.topic.c_str(), tp.partition)->offset =
                next;
    if (list->cnt == 0) return;
    // Failures only make lag views stale until the next commit (Redis holds the truth).
    const rd_kafka_resp_err_t e = rd_kafka_commit(rk_.get(), list.get(), sync ? 0 : 1);
    if (e != RD_KAFKA_RESP_ERR_NO_ERROR && e != RD_KAFKA_RESP_ERR__NO_OFFSET)
        ThreadMetrics::add(m_.commit_errors, 1);
}

bool ConsumerThread::flush(bool final) {
    if (!sealed_) {
        if (open_records_ == 0 && cold_written_.empty()) return true;
        seal();
    }
    const SinkTimer timer(*this, m_.flush_us);
    if (commit_sealed(final)) {
        backoff_.succeeded();
        if (paused_ && !cold_failing_) set_paused(false);
        return true;
    }
    if (fenced_) return false; // nothing left to retry: paused until the rebalance
    backoff_.failed();
    if (!paused_) set_paused(true);
    return false;
}

bool ConsumerThread::flush_until(Clock::time_point deadline, bool final) {
    // The cold batch first: the offsets it writes then commit in the same transaction.
    for (;;) {
        if (fenced_) return false; // the batches were dropped: nothing to commit
        if (!flush_cold()) {
            if (Clock::now() >= deadline) return false;
            std::this_thread::sleep_until(std::min(cold_backoff_.next(), deadline));
            continue;
        }
        if (flush(final)) {
            if (!sealed_ && open_records_ == 0 && cold_written_.empty()) return true;
            continue; // the open batch that grew while the sealed one was retried
        }
        const auto now = Clock::now();
        if (now >= deadline) return false;
        std::this_thread::sleep_until(std::min(backoff_.next(), deadline));
    }
}

void ConsumerThread::drop_batches() {
    sealed_.reset();
    agg_.take();
    for (auto& r : event_ranges_)
        r = Range{};
    for (auto& r : telemetry_ranges_)
        r = Range{};
    telemetry_.clear();
    open_records_ = 0;
    dlq_.discard();
    backoff_.succeeded();
}

void ConsumerThread::set_paused(bool paused) {
    rd_kafka_topic_partition_list_t* assigned = nullptr;
    if (rd_kafka_assignment(rk_.get(), &assigned) == RD_KAFKA_RESP_ERR_NO_ERROR && assigned) {
        if (assigned->cnt > 0) {
            if (paused)
                rd_kafka_pause_partitions(rk_.get(), assigned);
            else
                rd_kafka_resume_partitions(rk_.get(), assigned);
        }
        rd_kafka_topic_partition_list_destroy(assigned);
    }
    paused_ = paused;
    ThreadMetrics::set(m_.paused, paused ? 1 : 0);
}

void ConsumerThread::publish_gauges() {
    if (waker_) ThreadMetrics::set(m_.fetch_wakeups, waker_->wakeups());
    if (const auto wm = agg_.watermark_ms()) ThreadMetrics::set(m_.watermark_ms, *wm);
    ThreadMetrics::set(
        m_.open_windows,
        static_cast<std::int64_t>(agg_.pending().windows.size()) +
            (sealed_ ? static_cast<std::int64_t>(sealed_->delta.windows.size()) : 0));
    ThreadMetrics::set(m_.queue_depth, open_records_ + (sealed_ ? sealed_->records : 0));
    ThreadMetrics::set(m_.cold_pending, cold_records_);
    // Lag from cached high watermarks (no broker round trip) and the consumer positions.
    std::int64_t lag = 0;
    for (const auto& [tp, position] : assigned_positions()) {
        int64_t lo = -1, hi = -1;
        if (rd_kafka_get_watermark_offsets(rk_.get(), tp.topic.c_str(), tp.partition, &lo, &hi) ||
            hi < 0)
            continue;
        const int64_t pos = position >= 0 ? position : lo;
        if (pos >= 0) lag += std::max<int64_t>(0, hi - pos);
    }
    ThreadMetrics::set(m_.consumer_lag, lag);
}

std::vector<std::pair<TopicPartition, std::int64_t>> ConsumerThread::assigned_positions() {
    std::vector<std::pair<TopicPartition, std::int64_t>> out;
    rd_kafka_topic_partition_list_t* assigned = nullptr;
    if (rd_kafka_assignment(rk_.get(), &assigned) != RD_KAFKA_RESP_ERR_NO_ERROR || !assigned)
        return out;
    rd_kafka_position(rk_.get(), assigned);
    for (int i = 0; i < assigned->cnt; ++i) {
        const auto& tp = assigned->elems[i];
        TopicPartition key{tp.topic, tp.partition};
        std::int64_t pos = tp.offset;
        if (pos < 0) { // before the first fetch: the committed offset we assigned applies
            const auto at = committed_.find(key);
            pos = at != committed_.end() && at->second >= 0 ? at->second : -1;
        }
        out.emplace_back(std::move(key), pos);
    }
    rd_kafka_topic_partition_list_destroy(assigned);
    return out;
}

} // namespace ebap::pipeline
