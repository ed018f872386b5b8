// ebapctl gen: synthetic clickstream (and the users' CDC stream) into Kafka at
// a steady rate. Stops at --count, --duration, the first delivery failure, or
// SIGINT/SIGTERM, always after a bounded flush. Exit 1 when Kafka is absent or
// any record was not delivered.
#include "cli/command.hpp"
#include "cli/options.hpp"
#include "core/kafka/topics.hpp"
#include "core/base/error.hpp"
#include "cli/output.hpp"
#include "cli/stop_signals.hpp"
#include "pipeline/kafka/bulk_producer.hpp"
#include "pipeline/gen/generator.hpp"
#include "pipeline/gen/rate_limiter.hpp"

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <map>
#include <thread>

namespace ebap::cli {
using namespace ebap::pipeline;
namespace {

using SteadyClock = std::chrono::steady_clock;

struct GenOptions {
    double eps = 100;
    double duration_s = 0; // 0 = until stopped
    std::int64_t users = 1000;
    double late_fraction = 0;
    double bad_fraction = 0;
    std::uint64_t seed = 1;
    std::int64_t count = 0; // 0 = no limit
    std::string topic = kEventsTopic;
    std::string cdc_topic = kCdcTopic;
    bool no_cdc = false;
    int linger_ms = BulkProducer::kDefaultLingerMs;
};

struct GenStats {
    std::int64_t events = 0; // enqueued to the events topic
    std::int64_t late = 0;
    std::int64_t cdc_creates = 0;
    std::int64_t cdc_updates = 0;
    std::map<std::string, std::int64_t> per_type;
};

double seconds_since(SteadyClock::time_point t) {
    return std::chrono::duration<double>(SteadyClock::now() - t).count();
}

// Sleeps in short slices until a token is there; false when asked to stop.
bool wait_for_token(RateLimiter& limiter) {
    for (;;) {
        if (StopSignals::requested()) return false;
        std::int64_t ns = limiter.wait_ns();
        if (ns == 0) return limiter.try_acquire();
        std::this_thread::sleep_for(
            std::chrono::nanoseconds(std::min<std::int64_t>(ns, 50'000'000)));
    }
}

void send_initial_cdc(BulkProducer& producer, ClickstreamGenerator& gen, const GenOptions& o,
                      GenStats& st) {
    for (const auto& rec : gen.initial_cdc(now_ms())) {
        if (StopSignals::requested() || !producer.send(o.cdc_topic, rec.key, rec.value)) return;
        ++st.cdc_creates;
        if (st.cdc_creates % 1000 == 0) producer.poll();
    }
}

void run_loop(BulkProducer& producer, ClickstreamGenerator& gen, const GenOptions& o, GenStats& st,
              SteadyClock::time_point start) {
    RateLimiter limiter(o.eps, RateLimiter::default_burst(o.eps));
    GeneratedEvent ev;
    CdcRecord rec;
    auto next_progress = start + std::chrono::seconds(5);
    while (!StopSignals::requested() && producer.failed() == 0 && !producer.fatal()) {
        if (o.count > 0 && st.events >= o.count) break;
        if (o.duration_s > 0 && seconds_since(start) >= o.duration_s) break;
        if (!limiter.unlimited() && !wait_for_token(limiter)) break;
        std::int64_t now = now_ms();
        gen.next(now, ev);
        if (!producer.send(o.topic, ev.key, ev.value)) break;
        ++st.events;
        st.late += ev.late && !ev.bad;
        ++st.per_type[std::string(ev.type)];
        if (!o.no_cdc && gen.next_cdc(now, rec) && producer.send(o.cdc_topic, rec.key, rec.value))
            ++st.cdc_updates;
        if ((st.events & 255) == 0) {
            producer.poll();
            if (SteadyClock::now() >= next_progress) {
                next_progress += std::chrono::seconds(5);
                double secs = seconds_since(start);
                std::int64_t delivered = producer.delivered(o.topic);
                std::fprintf(
                    stderr, "gen: %s events sent, %s delivered, %.0f eps, %lld errors, %.0f s\n",
                    fmt_count(double(st.events)).c_str(), fmt_count(double(delivered)).c_str(),
                    double(delivered) / std::max(secs, 1e-3),
                    static_cast<long long>(producer.failed()), secs);
            }
        }
    }
}

int report(Context& ctx, const GenOptions& o, const GenStats& st, const BulkProducer& producer,
           double secs) {
    bool ok = producer.failed() == 0 && !producer.fatal();
    double rate = double(st.events) / std::max(secs, 1e-3);
    if (ctx.global.json) {
        nlohmann::json types = nlohmann::json::object();
        for (const auto& [t, n] : st.per_type)
            types[t] = n;
        print_json({{"ok", ok},
                    {"bootstrap", producer.bootstrap()},
                    {"topic", o.topic},
                    {"sent", st.events},
                    {"delivered", producer.delivered(o.topic)},
                    {"delivery_errors", producer.failed()},
                    {"elapsed_s", secs},
                    {"rate_eps", rate},
                    {"target_eps", o.eps},
                    {"late", st.late},
                    {"bad", st.per_type.count("bad") ? st.per_type.at("bad") : 0},
                    {"types", types},
                    {"seed", o.seed},
                    {"users", o.users},
                    {"linger_ms", o.linger_ms},
                    {"cdc",
                     {{"topic", o.no_cdc ? "" : o.cdc_topic},
                      {"creates", st.cdc_creates},
                      {"updates", st.cdc_updates},
                      {"delivered", producer.delivered(o.cdc_topic)}}},
                    {"error", producer.first_error()}});
    } else {
        std::printf("gen: sent %lld events to %s in %.1f s (%.0f events/s), %lld delivered, %lld "
                    "delivery errors\n",
                    static_cast<long long>(st.events), o.topic.c_str(), secs, rate,
                    static_cast<long long>(producer.delivered(o.topic)),
                    static_cast<long long>(producer.failed()));
        std::string types;
        for (const auto& [t, n] : st.per_type)
            types += fmt::format("  {} {}", t, n);
        std::printf("     types:%s  (late %lld)\n", types.c_str(), static_cast<long long>(st.late));
        if (!o.no_cdc)
            std::printf("     cdc: %lld creates, %lld updates to %s\n",
                        static_cast<long long>(st.cdc_creates),
                        static_cast<long long>(st.cdc_updates), o.cdc_topic.c_str());
    }
    if (!ok) std::fprintf(stderr, "ebapctl: %s\n", producer.first_error().c_str());
    return ok ? kExitOk : kExitFailure;
}

int run_gen(Context& ctx, const GenOptions& o) {
    const Config& cfg = ctx.config();
    int timeout_ms = static_cast<int>(std::clamp<long>(cfg.num("kafka.timeout_ms"), 500, 10000));
    StopSignals signals;
    BulkProducer producer(cfg.str("kafka.bootstrap_servers"), timeout_ms, 15000, o.linger_ms);
    for (const auto& t : {o.topic, o.cdc_topic})
        if ((t == o.topic || !o.no_cdc) && !producer.topic_known(t))
            std::fprintf(
                stderr,
                "ebapctl: warning: topic %s does not exist at %s (the broker may auto-create it)\n",
                t.c_str(), producer.bootstrap().c_str());

    ClickstreamGenerator gen({.seed = o.seed,
                              .users = o.users,
                              .late_fraction = o.late_fraction,
                              .bad_fraction = o.bad_fraction});
    GenStats st;
    auto start = SteadyClock::now();
    if (!o.no_cdc) send_initial_cdc(producer, gen, o, st);
    run_loop(producer, gen, o, st, start);
    producer.flush(20000); // message.timeout.ms (15 s) ends every delivery before this
    return report(ctx, o, st, producer, seconds_since(start));
}

} // namespace

CommandDef gen_command() {
    return {"gen", "generate clickstream events (and user CDC) into Kafka at a steady rate", true,
            [](CLI::App& sub, Context& ctx) -> Action {
                auto o = std::make_shared<GenOptions>();
                sub.add_option("--eps", o->eps,
                               "target events per second (0 = as fast as possible; default 100)")
                    ->check(non_negative_number());
                sub.add_option("--duration", o->duration_s,
                               "stop after S seconds (default and 0: until Ctrl-C)")
                    ->check(non_negative_number());
                sub.add_option("--users", o->users, "user ids 1..U (default 1000)")
                    ->check(integer_range(1, kMaxUsers));
                sub.add_option("--late-fraction", o->late_fraction,
                               "fraction of events stamped 15-30 min in the past (default 0)")
                    ->check(number_range(0.0, 1.0));
                sub.add_option("--bad-fraction", o->bad_fraction,
                               "fraction of malformed records (default 0)")
                    ->check(number_range(0.0, 1.0));
                sub.add_option("--seed", o->seed,
                               "random seed: same seed, same users and sessions (default 1)")
                    ->check(unsigned_integer());
                sub.add_option("--count", o->count,
                               "stop after N events (default and 0: no limit)")
                    ->check(integer_range(0, INT64_MAX));
                sub.add_option("--topic", o->topic, "events topic (default ebap.events.raw)");
                sub.add_option("--cdc-topic", o->cdc_topic,
                               "user CDC topic (default ebap.cdc.users)");
                sub.add_flag("--no-cdc", o->no_cdc, "do not produce user-profile CDC events");
                sub.add_option("--linger-ms", o->linger_ms,
                               fmt::format("how long a record waits to share a batch "
                                           "(producer linger.ms, 0-60000; default {})",
                                           BulkProducer::kDefaultLingerMs))
                    ->check(integer_range(0, 60000));
                return [&ctx, o] { return run_gen(ctx, *o); };
            }};
}

} // namespace ebap::cli
