#pragma once
// Keeps a consumer's prefetch small without stalling it.
//
// librdkafka 2.0 stops fetching for a consumer whose local queue holds queued.min.messages
// records (or queued.max.messages.kbytes) and reconsiders only when the partition's broker
// thread wakes up: on network I/O, on an op for it, or after its 1 s idle timeout (2.1.0
// added fetch.queue.backoff.ms for exactly this). A consumer that works slower than its
// fetchers would therefore sit on an empty queue for up to a second every time the queue
// filled - or, with limits high enough never to fill, hold the whole backlog in memory.
//
// The waker lets the limits be small: the consumer thread reports the queue length after
// every consume call; once the queue was at least half full, the waker (its own thread,
// checking every 10 ms) waits until it has drained below half and then sends a ListOffsets
// for the assigned partitions - one request per leader broker - which wakes each broker
// thread, which re-decides and fetches again. No partition state is touched (a
// pause/resume would discard the prefetched records), and a queue that never fills costs
// nothing.
#include <librdkafka/rdkafka.h>

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <thread>

namespace ebap::pipeline {

class FetchWaker {
  public:
    // rk: the consumer; queue: its consumer queue. Reads the effective queued.min.messages
    // and queued.max.messages.kbytes from rk's configuration (so -X overrides count).
    FetchWaker(rd_kafka_t* rk, rd_kafka_queue_t* queue);
    ~FetchWaker(); // stops and joins the thread
    FetchWaker(const FetchWaker&) = delete;
    FetchWaker& operator=(const FetchWaker&) = delete;

    // Consumer thread, after each consume call: records read so far and their value bytes
    // (for the average record size the byte limit is estimated with).
    void note(std::int64_t queued, std::int64_t records, std::int64_t bytes) {
        const std::int64_t avg = records > 0 ? bytes / records + 1 : 1;
        if (queued >= low_records_ || queued * avg >= low_bytes_)
            armed_.store(true, std::memory_order_relaxed);
    }
    std::int64_t wakeups() const { return wakeups_.load(std::memory_order_relaxed); }

  private:
    void run();

    rd_kafka_t* rk_;
    rd_kafka_queue_t* queue_;
    std::int64_t low_records_ = 0, low_bytes_ = 0; // half the limits
    std::atomic<bool> armed_{false};
    std::atomic<std::int64_t> wakeups_{0};
    std::mutex mu_;
    std::condition_variable cv_;
    bool stop_ = false;
    std::thread thread_;
};

} // namespace ebap::pipeline
