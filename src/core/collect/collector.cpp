#include "core/collect/collector.hpp"

#include "core/base/backoff.hpp"

#include <algorithm>
#include <utility>

namespace ebap::collect {

CollectorBase::CollectorBase(std::string name, Ms interval, Ms max_backoff)
    : name_(std::move(name)), interval_(interval), max_backoff_(max_backoff) {}

CollectorBase::~CollectorBase() {
    // A subclass's round() must not run once the subclass is gone: they stop() first.
    stop();
}

void CollectorBase::start() {
    std::lock_guard lock(mu_);
    if (thread_.joinable()) return;
    stopping_ = false;
    finished_ = false;
    thread_ = std::thread([this] {
        loop();
        std::lock_guard done(mu_);
        finished_ = true;
        cv_.notify_all();
    });
}

bool CollectorBase::stop_within(Ms limit) {
    std::unique_lock lock(mu_);
    stopping_ = true;
    cv_.notify_all();
    if (!thread_.joinable() || thread_.get_id() == std::this_thread::get_id()) return true;
    if (!cv_.wait_for(lock, limit, [&] { return finished_; })) return false;
    lock.unlock();
    thread_.join();
    return true;
}

void CollectorBase::request_stop() {
    {
        std::lock_guard lock(mu_);
        stopping_ = true;
    }
    cv_.notify_all();
}

void CollectorBase::stop() {
    request_stop();
    if (thread_.joinable() && thread_.get_id() != std::this_thread::get_id()) thread_.join();
}

void CollectorBase::set_interval(Ms interval) {
    {
        std::lock_guard lock(mu_);
        interval_ = std::max(interval, Ms(10));
    }
    cv_.notify_all();
}

CollectorBase::Ms CollectorBase::interval() const {
    std::lock_guard lock(mu_);
    return interval_;
}

void CollectorBase::poke() {
    {
        std::lock_guard lock(mu_);
        poked_ = true;
    }
    cv_.notify_all();
}

void CollectorBase::on_publish(std::function<void()> listener) {
    std::lock_guard lock(mu_);
    listener_ = std::move(listener);
}

void CollectorBase::published() {
    std::function<void()> l;
    {
        std::lock_guard lock(mu_);
        l = listener_;
    }
    if (l) l();
}

std::uint64_t CollectorBase::take_lapsed() {
    std::lock_guard lock(mu_);
    return std::exchange(lapsed_, 0);
}

void CollectorBase::loop() {
    using Clock = std::chrono::steady_clock;
    Backoff backoff(std::chrono::duration_cast<Ms>(interval() * 2), max_backoff_);
    for (;;) {
        const auto began = Clock::now();
        bool failed = false;
        try {
            round();
        } catch (const std::exception& e) {
            failed = true;
            round_failed(e.what(), std::chrono::duration<double, std::milli>(Clock::now() - began)
                                       .count());
        }
        std::unique_lock lock(mu_);
        const Ms interval = interval_;
        // Back off on errors: 2x, 4x, ... the interval, capped.
        if (failed) {
            if (backoff.wait().count() == 0) backoff = Backoff(interval * 2, max_backoff_);
            backoff.failed();
        } else {
            backoff.succeeded();
        }
        const Ms wait = std::max(interval, backoff.wait());
        // Ticks that fell inside the round lapse rather than queue up.
        const auto took = std::chrono::duration_cast<Ms>(Clock::now() - began);
        if (took > interval && interval.count() > 0)
            lapsed_ += static_cast<std::uint64_t>(took / interval);
        // The next round is due `wait` after this one began; after a live interval change,
        // one new interval after it, as often as the interval changes (a hidden view's
        // collector slowed down, then sped up again when the view is shown).
        auto due = began + wait;
        for (Ms seen = interval;;) {
            cv_.wait_until(lock, due, [&] { return stopping_ || poked_ || interval_ != seen; });
            if (stopping_) return;
            if (poked_ || interval_ == seen) break;
            seen = interval_;
            due = began + seen;
        }
        poked_ = false;
    }
}

} // namespace ebap::collect
