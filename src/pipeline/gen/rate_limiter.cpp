#include "pipeline/gen/rate_limiter.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>

namespace ebap::pipeline {

RateLimiter::RateLimiter(double rate_per_s, double burst, Clock clock)
    : rate_(rate_per_s), burst_(std::max(1.0, burst)), clock_(std::move(clock)), tokens_(burst_),
      last_ns_(clock_()) {}

std::int64_t RateLimiter::steady_ns() {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(
               std::chrono::steady_clock::now().time_since_epoch())
        .count();
}

double RateLimiter::default_burst(double rate_per_s) {
    return std::max(4.0, rate_per_s * 0.02);
}

void RateLimiter::refill() {
    std::int64_t now = clock_();
    if (now <= last_ns_) return;
    tokens_ = std::min(burst_, tokens_ + rate_ * double(now - last_ns_) / 1e9);
    last_ns_ = now;
}

bool RateLimiter::try_acquire(double n) {
    if (unlimited()) return true;
    refill();
    if (tokens_ < n) return false;
    tokens_ -= n;
    return true;
}

std::int64_t RateLimiter::wait_ns(double n) {
    if (unlimited()) return 0;
    refill();
    if (tokens_ >= n) return 0;
    return static_cast<std::int64_t>(std::ceil((n - tokens_) / rate_ * 1e9));
}

} // namespace ebap::pipeline
