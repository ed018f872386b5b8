// ebapctl worker: the headless streaming pipeline. Runs until SIGINT/SIGTERM (flush,
// commit, close; a second signal exits at once with status 130) or, with --drain, until
// everything present at start is committed, then prints a summary. Exit 1 when Kafka or
// Redis is unreachable at start or a batch could not be committed.
#include "cli/command.hpp"
#include "core/base/error.hpp"
#include "cli/output.hpp"
#include "pipeline/worker/worker.hpp"

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <atomic>
#include <csignal>
#include <unistd.h>

namespace ebap::cli {
using namespace ebap::pipeline;
namespace {

std::atomic<bool>* g_stop = nullptr; // the running worker's stop flag
std::atomic<int> g_signals{0};

void on_signal(int) {
    if (g_signals.fetch_add(1) > 0) _exit(130); // second signal: now
    if (g_stop) g_stop->store(true);
}

// Installed for the worker's lifetime; the previous handlers come back after.
class SignalScope {
  public:
    explicit SignalScope(std::atomic<bool>& stop) {
        g_signals.store(0);
        g_stop = &stop;
        struct sigaction sa {};
        sa.sa_handler = on_signal;
        sigemptyset(&sa.sa_mask);
        sigaction(SIGINT, &sa, &old_int_);
        sigaction(SIGTERM, &sa, &old_term_);
    }
    ~SignalScope() {
        sigaction(SIGINT, &old_int_, nullptr);
        sigaction(SIGTERM, &old_term_, nullptr);
        g_stop = nullptr;
    }

  private:
    struct sigaction old_int_ {};
    struct sigaction old_term_ {};
};

void print_summary(const Context& ctx, const WorkerSummary& s) {
    if (ctx.global.json) {
        print_json({{"ok", s.ok},
                    {"mode", s.drain ? "drain" : "stream"},
                    {"group", s.group},
                    {"threads", s.threads},
                    {"wall_s", s.wall_s},
                    {"events_per_s", s.events_per_s()},
                    {"assign_wait_s", s.assign_wait_s},
                    {"events_per_s_assigned", s.events_per_s_assigned()},
                    {"records", s.records},
                    {"bytes", s.bytes},
                    {"events", s.events},
                    {"late_events", s.late},
                    {"dlq_events", s.dlq},
                    {"join_misses", s.join_misses},
                    {"telemetry", s.telemetry},
                    {"redis", {{"flushes", s.redis_flushes}}},
                    {"cold", {{"objects", s.cold_objects}, {"bytes", s.cold_bytes}}},
                    {"assignments", s.assignments},
                    {"thread_s",
                     {{"poll", s.poll_s},
                      {"process", s.process_s},
                      {"flush", s.flush_s},
                      {"cold", s.cold_s}}},
                    {"sink_errors", s.sink_errors},
                    {"commit_errors", s.commit_errors},
                    {"fetch_wakeups", s.fetch_wakeups},
                    {"fenced_batches", s.fenced},
                    {"cdc",
                     {{"records", s.cdc_records},
                      {"profiles", s.profiles},
                      {"bootstrap_ms", s.cdc_bootstrap_ms}}},
                    {"drain_partitions", s.drain_partitions},
                    {"errors", s.errors}});
        return;
    }
    Table t({{"metric"}, {"value", Table::Right}});
    t.add({"mode", s.drain ? "drain" : "stream"});
    t.add({"group", s.group});
    t.add({"threads", std::to_string(s.threads)});
    t.add({"wall time", fmt::format("{:.2f} s", s.wall_s)});
    t.add({"records read", std::to_string(s.records)});
    t.add({"records/s", fmt::format("{:.0f}", s.events_per_s())});
    t.add({"group join wait", fmt::format("{:.2f} s", s.assign_wait_s)});
    t.add({"records/s once assigned", fmt::format("{:.0f}", s.events_per_s_assigned())});
    t.add({"events counted", std::to_string(s.events)});
    t.add({"late events", std::to_string(s.late)});
    t.add({"dlq records", std::to_string(s.dlq)}, {Tone::Plain, s.dlq ? Tone::Warn : Tone::Plain});
    t.add({"join misses", std::to_string(s.join_misses)});
    t.add({"telemetry records", std::to_string(s.telemetry)});
    t.add({"redis flushes", std::to_string(s.redis_flushes)});
    t.add({"cold objects", std::to_string(s.cold_objects)});
    t.add({"cold bytes", fmt_bytes(double(s.cold_bytes))});
    t.add({"sink errors (retried)", std::to_string(s.sink_errors)},
          {Tone::Plain, s.sink_errors ? Tone::Warn : Tone::Plain});
    if (s.fenced)
        t.add({"batches fenced (new owner replays)", std::to_string(s.fenced)},
              {Tone::Plain, Tone::Warn});
    t.add({"profiles", std::to_string(s.profiles)});
    t.add({"status", s.ok ? "ok" : "FAILED"}, {Tone::Plain, s.ok ? Tone::Ok : Tone::Crit});
    print_table(t);
}

int run_worker(Context& ctx, WorkerOptions o) {
    Worker worker(ctx.config(), std::move(o)); // exit 1 here when Kafka or Redis is away
    SignalScope signals(worker.stop_flag());
    const WorkerSummary summary = worker.run();
    print_summary(ctx, summary);
    for (const auto& e : summary.errors)
        std::fprintf(stderr, "ebapctl: worker: %s\n", e.c_str());
    return summary.ok ? kExitOk : kExitFailure;
}

} // namespace

CommandDef worker_command() {
    return {
        "worker", "run the streaming pipeline (Kafka -> Redis hot path + cold path)", true,
        [](CLI::App& sub, Context& ctx) -> Action {
            auto o = std::make_shared<WorkerOptions>();
            sub.add_option("--threads", o->threads, "consumer threads (default: worker.threads)")
                ->check(CLI::Range(1, 64));
            sub.add_option("--group", o->group, "consumer group (default: worker.group)");
            sub.add_flag("--drain", o->drain,
                         "process what is in the topics now, commit, print a summary, exit");
            sub.add_flag(
                "--no-cold", [o](std::int64_t) { o->cold = false; }, "do not write the cold path");
            sub.add_option("--flush-ms", o->flush_ms,
                           "flush interval in ms (default: worker.flush_ms)")
                ->check(CLI::Range(10, 600000));
            sub.add_option("--cold-flush-s", o->cold_flush_s,
                           "write cold-path objects at least every S seconds "
                           "(default: worker.cold_flush_s)")
                ->check(CLI::Range(1, 86400));
            sub.add_option("--cold-batch-mib", o->cold_batch_mib,
                           "or when a thread holds this many MiB of them "
                           "(default: worker.cold_batch_mib)")
                ->check(CLI::Range(1, 4096));
            sub.add_option("--max-batch", o->max_batch_events,
                           "records per batch before a flush (default 20000)")
                ->check(CLI::Range(std::int64_t{1}, std::int64_t{10'000'000}));
            sub.add_option_function<std::vector<std::string>>(
                   "-X,--kafka-prop",
                   [o](const std::vector<std::string>& props) {
                       for (const auto& p : props) {
                           const auto eq = p.find('=');
                           if (eq == std::string::npos || eq == 0)
                               throw CLI::ValidationError("-X",
                                                          "expects KEY=VALUE, got '" + p + "'");
                           o->kafka_props.emplace_back(p.substr(0, eq), p.substr(eq + 1));
                       }
                   },
                   "librdkafka property for every Kafka client, KEY=VALUE (repeatable), "
                   "e.g. -X security.protocol=SSL")
                ->allow_extra_args(false)
                ->take_all();
            sub.add_option("--metrics-addr", o->metrics_addr,
                           "serve Prometheus metrics on HOST:PORT (e.g. 127.0.0.1:9464)");
            return [&ctx, o] { return run_worker(ctx, *o); };
        }};
}

} // namespace ebap::cli
