#include "pipeline/worker/worker.hpp"

#include "core/base/error.hpp"
#include "core/base/log.hpp"
#include "core/base/format.hpp"
#include "core/base/time.hpp"
#include "pipeline/worker/cdc_follower.hpp"
#include "pipeline/worker/consumer_thread.hpp"
#include "pipeline/worker/metrics_http.hpp"
#include "pipeline/sinks/redis/redis_sink.hpp"
#include "pipeline/kafka/kafka_handles.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <thread>

namespace ebap::pipeline {
namespace {

using Clock = std::chrono::steady_clock;

double config_double(const Config& c, const std::string& key) {
    const std::string& text = c.str(key);
    try {
        std::size_t used = 0;
        const double v = std::stod(text, &used);
        if (used == text.size()) return v;
    } catch (const std::exception&) {
    }
    throw UsageError(c.value(key).origin + ": key '" + key + "' must be a number, got '" + text +
                     "'");
}

} // namespace

Worker::Worker(const Config& config, WorkerOptions options) : options_(std::move(options)) {
    if (options_.threads <= 0) options_.threads = static_cast<int>(config.num("worker.threads"));
    if (options_.group.empty()) options_.group = config.str("worker.group");
    if (options_.flush_ms <= 0) options_.flush_ms = static_cast<int>(config.num("worker.flush_ms"));
    if (options_.cold_flush_s <= 0)
        options_.cold_flush_s = static_cast<int>(config.num("worker.cold_flush_s"));
    if (options_.cold_batch_mib <= 0)
        options_.cold_batch_mib = static_cast<int>(config.num("worker.cold_batch_mib"));
    if (options_.cold_flush_s < 1 || options_.cold_flush_s > 86'400)
        throw UsageError("worker cold-path interval must be 1-86400 s, got " +
                         std::to_string(options_.cold_flush_s));
    if (options_.cold_batch_mib < 1 || options_.cold_batch_mib > 4096)
        throw UsageError("worker cold-path batch must be 1-4096 MiB, got " +
                         std::to_string(options_.cold_batch_mib));
    if (options_.threads < 1 || options_.threads > 64)
        throw UsageError("worker threads must be 1-64, got " + std::to_string(options_.threads));
    if (options_.flush_ms < 10 || options_.flush_ms > 600'000)
        throw UsageError("worker flush interval must be 10-600000 ms, got " +
                         std::to_string(options_.flush_ms));
    if (options_.max_batch_events < 1)
        throw UsageError("worker batch size must be at least 1 record");
    if (options_.group.empty()) throw UsageError("worker.group must not be empty");

    metrics_ = std::make_unique<WorkerMetrics>(options_.threads);
    profiles_ = std::make_unique<ProfileTable>();
    WorkerShared& s = shared_;
    s.bootstrap = config.str("kafka.bootstrap_servers");
    s.kafka_props = options_.kafka_props;
    s.group = options_.group;
    s.prefix = config.redis_prefix();
    s.redis = RedisOptions::from_config(config);
    if (options_.cold) {
        ColdSinkOptions cold = ColdSinkOptions::from_config(config);
        cold.group = options_.group;
        s.cold = cold;
    }
    s.watermark_delay_ms = config.num("worker.watermark_delay_s") * 1000;
    s.future_tolerance_ms = config.num("worker.future_tolerance_s") * 1000;
    s.thresholds = {
        config_double(config, "worker.p95_warn_ms"), config_double(config, "worker.p95_crit_ms"),
        config_double(config, "worker.error_warn"), config_double(config, "worker.error_crit")};
    s.flush_ms = options_.flush_ms;
    s.cold_flush_s = options_.cold_flush_s;
    s.cold_batch_bytes = std::int64_t{options_.cold_batch_mib} << 20;
    s.max_batch_events = options_.max_batch_events;
    s.threads = options_.threads;
    s.kafka_timeout_ms =
        static_cast<int>(std::clamp<long>(config.num("kafka.timeout_ms"), 500, 30000));
    s.profiles = profiles_.get();
    s.metrics = metrics_.get();
}

Worker::~Worker() {
    stop();
    if (thread_.joinable()) thread_.join();
}

const char* worker_state_name(WorkerState s) {
    switch (s) {
    case WorkerState::Idle:
        return "idle";
    case WorkerState::Starting:
        return "starting";
    case WorkerState::Running:
        return "running";
    case WorkerState::Stopping:
        return "stopping";
    case WorkerState::Stopped:
        return "stopped";
    case WorkerState::Failed:
        return "failed";
    }
    return "unknown";
}

WorkerState Worker::state() const {
    std::lock_guard lock(mu_);
    // A stop requested while running shows at once, before the threads have finished.
    if (state_ == WorkerState::Running && shared_.stop.load(std::memory_order_relaxed))
        return WorkerState::Stopping;
    return state_;
}

std::string Worker::error() const {
    std::lock_guard lock(mu_);
    return error_;
}

void Worker::set_state(WorkerState s) {
    std::lock_guard lock(mu_);
    state_ = s;
}

void Worker::start() {
    {
        std::lock_guard lock(mu_);
        if (state_ != WorkerState::Idle) throw Error("worker: already started");
        state_ = WorkerState::Starting;
    }
    thread_ = std::thread([this] {
        try {
            WorkerSummary summary = execute();
            std::lock_guard lock(mu_);
            summary_ = std::move(summary);
            state_ = WorkerState::Stopped;
        } catch (const std::exception& e) {
            log::error("worker", "{}", e.what());
            std::lock_guard lock(mu_);
            failure_ = std::current_exception();
            error_ = e.what();
            state_ = WorkerState::Failed;
        }
    });
}

WorkerSummary Worker::wait() {
    if (thread_.joinable()) thread_.join();
    std::lock_guard lock(mu_);
    if (failure_) std::rethrow_exception(failure_);
    return summary_;
}

WorkerSummary Worker::run() {
    start();
    return wait();
}

// Fail fast, naming the endpoint, instead of threads retrying forever against nothing.
void Worker::check_endpoints() {
    KafkaConf conf(shared_.bootstrap, shared_.kafka_props);
    KafkaHandle admin = conf.create(RD_KAFKA_PRODUCER); // a bad -X property fails here
    RedisClient redis(shared_.redis);                   // throws "redis HOST:PORT: ..."
    const RedisReply pong = redis.command({"PING"});
    if (pong.is_error()) throw Error("redis " + redis.endpoint() + ": " + pong.str);
    check_kafka_reachable(admin.get(), shared_.kafka_timeout_ms, shared_.bootstrap);
    if (topic_partitions(admin.get(), shared_.events_topic, shared_.kafka_timeout_ms,
                         shared_.bootstrap)
            .empty())
        log::warn("worker", "topic {} does not exist at {} yet; waiting for it",
                  shared_.events_topic, shared_.bootstrap);
    if (shared_.cold) {
        ColdSink sink(*shared_.cold);
        sink.prepare(); // creates the root directory or bucket; throws when it cannot
    }
}

// Drain: partitions owned by other processes of the group count once THEIR commits reach
// the target, so read what Redis holds for everyone.
void Worker::poll_drain_offsets() {
    try {
        RedisClient redis(shared_.redis);
        RedisSink sink(redis, shared_.prefix, shared_.group);
        // With the cold path, an event partition is done once both paths reached the
        // target (a group that ran with --no-cold replays it for the cold path).
        for (const auto& [tp, pos] :
             sink.load_offsets({shared_.events_topic, shared_.telemetry_topic})) {
            std::int64_t next = pos.next_offset;
            if (shared_.cold && tp.topic == shared_.events_topic)
                next = std::min(next, pos.cold_next.value_or(0));
            drain_->report(tp, next);
        }
    } catch (const std::exception&) {
        // Redis trouble shows in the threads' own errors; the next poll tries again.
    }
}

WorkerSummary Worker::execute() {
    check_endpoints();
    const auto started = Clock::now();
    const std::int64_t started_ms = now_ms();
    WorkerShared& s = shared_;

    // Observable from the start (CDC bootstrap included); a port in use fails the run now.
    std::unique_ptr<MetricsServer> http;
    if (!options_.metrics_addr.empty()) {
        http = std::make_unique<MetricsServer>(options_.metrics_addr,
                                               [this] { return metrics_->snapshot(); });
        log::info("worker", "metrics at http://{}:{}/metrics", http->host(), http->port());
    }

    // Drain targets: what is in the topics now (Trigger.AvailableNow).
    if (options_.drain) {
        KafkaConf conf(s.bootstrap, s.kafka_props);
        KafkaHandle admin = conf.create(RD_KAFKA_PRODUCER);
        drain_ = std::make_unique<DrainTracker>(end_offsets(
            admin.get(), {s.events_topic, s.telemetry_topic}, s.kafka_timeout_ms, s.bootstrap));
        s.drain = drain_.get();
        poll_drain_offsets();
    }

    // Consumers join the group (a few seconds on some brokers) while the profile table
    // loads; they read no event before it is complete (profiles_ready).
    CdcFollower cdc(s.bootstrap, kCdcTopic, *profiles_, *metrics_, s.kafka_props);
    std::vector<std::unique_ptr<ConsumerThread>> consumers;
    for (int i = 0; i < options_.threads; ++i)
        consumers.push_back(std::make_unique<ConsumerThread>(i, s));
    std::vector<std::thread> threads;
    for (auto& c : consumers)
        threads.emplace_back([&c] { c->run(); });
    try {
        cdc.bootstrap(s.kafka_timeout_ms, &s.stop);
    } catch (...) {
        s.stop.store(true);
        for (auto& t : threads)
            t.join();
        throw;
    }
    s.profiles_ready.store(true);
    cdc.start();
    set_state(WorkerState::Running);

    std::vector<std::string> errors;
    auto next_tick = Clock::now() + std::chrono::seconds(1);
    auto next_log = Clock::now() + std::chrono::seconds(10);
    while (!s.stop.load() && !(drain_ && drain_->done())) {
        // Draining, the threads finish on their own: notice it within 10 ms, not 100.
        std::this_thread::sleep_for(std::chrono::milliseconds(drain_ ? 10 : 100));
        const auto now = Clock::now();
        if (now < next_tick) continue;
        next_tick = now + std::chrono::seconds(1);
        metrics_->tick(now_ms());
        if (drain_) poll_drain_offsets();
        if (options_.log_progress && now >= next_log) {
            next_log = now + std::chrono::seconds(10);
            std::string line = metrics_log_line(metrics_->snapshot());
            if (drain_) line += ", drain: " + std::to_string(drain_->remaining()) + " left";
            log::info("worker", "{}", line);
        }
    }
    set_state(WorkerState::Stopping);
    for (auto& t : threads)
        t.join(); // each flushed, committed and closed
    cdc.stop();
    metrics_->tick(now_ms());

    for (const auto& c : consumers)
        if (!c->error().empty()) errors.push_back(c->error());
    // The views once more, so they show the final state right away.
    if (errors.empty()) {
        try {
            RedisClient redis(s.redis);
            RedisSink sink(redis, s.prefix, s.group);
            sink.refresh_views(now_ms(), s.watermark_ms(), s.thresholds);
        } catch (const std::exception& e) {
            errors.push_back(std::string("views not refreshed: ") + e.what());
        }
    }
    const double wall = std::chrono::duration<double>(Clock::now() - started).count();
    WorkerSummary summary = summarize(wall, errors);
    // A drain that stop() cut short did not reach its targets: say so, so that
    // `worker --drain && next` never runs `next` on a partial drain.
    if (drain_ && !drain_->done()) {
        summary.interrupted = true;
        summary.ok = false;
        summary.errors.push_back("drain interrupted before every partition reached its target (" +
                                 std::to_string(drain_->remaining()) + " left)");
    }
    if (const std::int64_t first = s.first_assign_ms.load(); first > 0)
        summary.assign_wait_s = double(first - started_ms) / 1000.0;
    return summary;
}

WorkerSummary Worker::summarize(double wall_s, const std::vector<std::string>& errors) const {
    const WorkerMetricsSnapshot snap = metrics_->snapshot();
    WorkerSummary w;
    w.ok = errors.empty();
    w.errors = errors;
    w.group = options_.group;
    w.threads = options_.threads;
    w.drain = options_.drain;
    w.wall_s = wall_s;
    w.totals = snap.total();
    w.cdc_records = snap.cdc_records_total;
    w.profiles = static_cast<std::int64_t>(profiles_->size());
    w.cdc_bootstrap_ms = snap.cdc_bootstrap_ms;
    w.drain_partitions = drain_ ? static_cast<std::int64_t>(drain_->partitions()) : 0;
    return w;
}

} // namespace ebap::pipeline
