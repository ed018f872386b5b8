#pragma once
// A collector owns its clients, runs rounds on its own thread at its interval, and
// publishes each round as an immutable snapshot. Readers (the console's UI thread, the
// scripted commands) take latest(): an atomic shared_ptr load that never waits on I/O.
//
// A round that outlasts the interval makes the missed ticks lapse (counted in `skipped`),
// never queue up; a failed round keeps the last good data, carries the error, and the
// next round waits twice as long, up to max_backoff.
#include "core/base/time.hpp"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

namespace ebap::collect {

template <typename T>
struct Snapshot {
    T data;                  // the last good round's data (default-constructed before one)
    std::int64_t taken_ms = 0; // wall clock of the round that produced `data`; 0 = none yet
    std::string error;       // the latest round's error; empty when it succeeded
    std::int64_t error_ms = 0; // when that error happened
    std::uint64_t rounds = 0;  // rounds run so far (good and failed)
    std::uint64_t skipped = 0; // ticks that lapsed because a round was still running
    double round_ms = 0;       // duration of the latest round
};

class CollectorBase {
  public:
    using Ms = std::chrono::milliseconds;
    CollectorBase(std::string name, Ms interval, Ms max_backoff = Ms(30'000));
    virtual ~CollectorBase(); // subclasses call stop() in their destructor
    CollectorBase(const CollectorBase&) = delete;
    CollectorBase& operator=(const CollectorBase&) = delete;

    const std::string& name() const { return name_; }
    void start();                    // the collector's thread; the first round runs at once
    void stop();                     // joins; a round in progress finishes first
    // Asks the thread to stop and joins it if it ends within `limit`; false when a round
    // is still running then (a probe that hangs): the caller may leave without waiting.
    bool stop_within(Ms limit);
    void request_stop();             // no new round; stop() still joins (stop several at once)
    void set_interval(Ms interval);  // live (`:refresh`); wakes the thread
    Ms interval() const;
    void poke();                     // run a round now (coalesced with one in progress)
    // Called on the collector's thread after each publish (the console's wake-up pipe).
    void on_publish(std::function<void()> listener);

  protected:
    // One round: collect and publish. An exception is the round's error.
    virtual void round() = 0;
    virtual void round_failed(const std::string& error, double ms) = 0;
    void published();

  private:
    void loop();

    std::string name_;
    mutable std::mutex mu_;
    std::condition_variable cv_;
    Ms interval_, max_backoff_;
    bool stopping_ = false, poked_ = false, finished_ = false;
    std::function<void()> listener_;
    std::thread thread_;
    std::uint64_t lapsed_ = 0;

  protected:
    std::uint64_t take_lapsed();
};

template <typename T>
class Collector : public CollectorBase {
  public:
    using Ptr = std::shared_ptr<const Snapshot<T>>;
    using CollectorBase::CollectorBase;

    Ptr latest() const { return latest_.load(std::memory_order_acquire); }
    // One round on the calling thread (the scripted commands): its snapshot, error included;
    // with rethrow, a failed round's exception propagates (its type sets the exit status).
    Ptr collect_once(bool rethrow = false) {
        try {
            round();
        } catch (const std::exception& e) {
            round_failed(e.what(), 0);
            if (rethrow) throw;
        }
        return latest();
    }

  protected:
    // Computes the next data from the previous snapshot (histories, rates); throws on error.
    virtual T collect(const Snapshot<T>* previous) = 0;

    void round() override {
        const Ptr prev = latest();
        const auto t0 = std::chrono::steady_clock::now();
        T data = collect(prev.get());
        auto next = std::make_shared<Snapshot<T>>();
        next->data = std::move(data);
        next->taken_ms = wall_ms();
        next->rounds = (prev ? prev->rounds : 0) + 1;
        next->skipped = (prev ? prev->skipped : 0) + take_lapsed();
        next->round_ms = elapsed_ms(t0);
        latest_.store(std::move(next), std::memory_order_release);
        published();
    }

    void round_failed(const std::string& error, double ms) override {
        const Ptr prev = latest();
        auto next = prev ? std::make_shared<Snapshot<T>>(*prev) : std::make_shared<Snapshot<T>>();
        next->error = error;
        next->error_ms = wall_ms();
        next->rounds = (prev ? prev->rounds : 0) + 1;
        next->skipped = (prev ? prev->skipped : 0) + take_lapsed();
        next->round_ms = ms;
        latest_.store(std::move(next), std::memory_order_release);
        published();
    }

  private:
    static std::int64_t wall_ms() { return now_ms(); }
    static double elapsed_ms(std::chrono::steady_clock::time_point t0) {
        return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0)
            .count();
    }

    std::atomic<Ptr> latest_;
};

} // namespace ebap::collect
