#pragma once
// Token bucket for `ebapctl gen`: a steady target rate with a small burst.
// The clock is injected so tests run a simulated timeline instead of sleeping.
#include <cstdint>
#include <functional>

namespace ebap::pipeline {

class RateLimiter {
  public:
    using Clock = std::function<std::int64_t()>; // monotonic nanoseconds

    // rate_per_s <= 0 means unlimited. The bucket starts full (burst tokens).
    RateLimiter(double rate_per_s, double burst, Clock clock = steady_ns);

    // Takes n tokens if they are there now.
    bool try_acquire(double n = 1.0);
    // Nanoseconds until n tokens will be there (0 = now).
    std::int64_t wait_ns(double n = 1.0);
    bool unlimited() const { return rate_ <= 0; }
    double rate() const { return rate_; }

    static std::int64_t steady_ns();
    // Small burst (20 ms of traffic, at least 4 tokens): enough slack that a
    // caller who oversleeps a little does not lose tokens to the cap.
    static double default_burst(double rate_per_s);

  private:
    void refill();
    double rate_;
    double burst_;
    Clock clock_;
    double tokens_;
    std::int64_t last_ns_;
};

} // namespace ebap::pipeline
