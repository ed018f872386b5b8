#include "pipeline/worker/drain_tracker.hpp"

namespace ebap::pipeline {

DrainTracker::DrainTracker(std::map<TopicPartition, std::int64_t> targets)
    : targets_(std::move(targets)) {
    for (const auto& [tp, target] : targets_)
        if (target > 0) left_[tp] = target; // an empty partition is done from the start
    done_.store(left_.empty(), std::memory_order_release);
}

void DrainTracker::report(const TopicPartition& tp, std::int64_t committed_next) {
    std::lock_guard lock(mu_);
    auto it = left_.find(tp);
    if (it == left_.end()) return;
    const std::int64_t target = targets_.at(tp);
    if (committed_next >= target) {
        left_.erase(it);
        if (left_.empty()) done_.store(true, std::memory_order_release);
    } else {
        it->second = target - committed_next;
    }
}

std::int64_t DrainTracker::remaining() const {
    std::lock_guard lock(mu_);
    std::int64_t n = 0;
    for (const auto& [tp, left] : left_)
        n += left;
    return n;
}

} // namespace ebap::pipeline
