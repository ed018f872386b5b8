#pragma once
// Capped exponential backoff: the retry rhythm of every loop that waits out a failing
// backend (sink commits, cold writes, partition claims, collectors).
#include <algorithm>
#include <chrono>

namespace ebap {

class Backoff {
  public:
    using Clock = std::chrono::steady_clock;
    using Ms = std::chrono::milliseconds;
    Backoff(Ms first, Ms max) : first_(first), max_(max) {}

    // A failure: the next wait doubles (first, 2x, 4x ... max); returns it.
    Ms failed(Clock::time_point now = Clock::now()) {
        wait_ = wait_.count() == 0 ? std::min(first_, max_) : std::min(wait_ * 2, max_);
        next_ = now + wait_;
        return wait_;
    }
    void succeeded() { wait_ = Ms(0); }
    Ms wait() const { return wait_; }              // 0 after a success
    Clock::time_point next() const { return next_; } // when the next try is due
    bool due(Clock::time_point now) const { return now >= next_; }

  private:
    Ms first_, max_;
    Ms wait_{0};
    Clock::time_point next_{};
};

} // namespace ebap
