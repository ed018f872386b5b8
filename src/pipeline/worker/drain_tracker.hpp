#pragma once
// `ebapctl worker --drain` (Spark's Trigger.AvailableNow): the end offsets of every
// subscribed partition (what a read_committed consumer can read, see end_offsets), taken
// once at start, are the targets. A partition is done when an
// offset COMMITTED to Redis (after a flush, or found stored there) reached its target; the
// drain is over when every partition is done, whichever thread or process committed it.
#include "pipeline/kafka/kafka_handles.hpp"

#include <atomic>
#include <cstdint>
#include <map>
#include <mutex>

namespace ebap::pipeline {

class DrainTracker {
  public:
    explicit DrainTracker(std::map<TopicPartition, std::int64_t> targets);

    // A committed next offset of a partition (partitions without a target are ignored).
    void report(const TopicPartition& tp, std::int64_t committed_next);
    bool done() const { return done_.load(std::memory_order_acquire); }
    // Records still to commit, summed over the unfinished partitions.
    std::int64_t remaining() const;
    std::size_t partitions() const { return targets_.size(); }
    const std::map<TopicPartition, std::int64_t>& targets() const { return targets_; }

  private:
    const std::map<TopicPartition, std::int64_t> targets_;
    mutable std::mutex mu_;
    std::map<TopicPartition, std::int64_t> left_; // unfinished: records still to commit
    std::atomic<bool> done_{false};
};

} // namespace ebap::pipeline
