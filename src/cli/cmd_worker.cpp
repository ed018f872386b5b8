// ebapctl worker: the headless streaming pipeline. Runs until SIGINT/SIGTERM (flush,
// commit, close; a second signal exits at once with status 130) or, with --drain, until
// everything present at start is committed, then prints a summary. Exit 1 when Kafka or
// Redis is unreachable at start or a batch could not be committed.
#include "cli/command.hpp"
#include "cli/options.hpp"
#include "core/base/error.hpp"
#include "cli/output.hpp"
#include "cli/stop_signals.hpp"
#include "pipeline/worker/worker.hpp"

#include <CLI/CLI.hpp>
#include <fmt/format.h>


namespace ebap::cli {
using namespace ebap::pipeline;
namespace {

// The summary's JSON: a few fields of the run, then every thread metric that names a
// summary path in EBAP_THREAD_METRICS ("cold.objects" nests under "cold").
nlohmann::json summary_json(const WorkerSummary& s) {
    nlohmann::json doc = {{"ok", s.ok},
                          {"mode", s.drain ? "drain" : "stream"},
                          {"interrupted", s.interrupted},
                          {"group", s.group},
                          {"threads", s.threads},
                          {"wall_s", s.wall_s},
                          {"records_per_s", s.records_per_s()},
                          {"assign_wait_s", s.assign_wait_s},
                          {"records_per_s_assigned", s.records_per_s_assigned()}};
    for (const MetricDef& d : thread_metric_defs()) {
        if (!*d.summary_path) continue;
        const std::string path = d.summary_path;
        const double v = metric_base_value(d, s.totals);
        nlohmann::json value = d.unit == MetricUnit::Micros ? nlohmann::json(v)
                                                            : nlohmann::json(std::int64_t(v));
        const auto dot = path.find('.');
        if (dot == std::string::npos)
            doc[path] = value;
        else
            doc[path.substr(0, dot)][path.substr(dot + 1)] = value;
    }
    doc["cdc"] = {{"records", s.cdc_records},
                  {"profiles", s.profiles},
                  {"bootstrap_ms", s.cdc_bootstrap_ms}};
    doc["drain_partitions"] = s.drain_partitions;
    doc["errors"] = s.errors;
    return doc;
}

void print_summary(const Context& ctx, const WorkerSummary& s) {
    if (ctx.global.json) {
        print_json(summary_json(s));
        return;
    }
    const ThreadMetricsSnapshot& t = s.totals;
    Table table({{"metric"}, {"value", Table::Right}});
    table.add({"mode", s.drain ? "drain" : "stream"});
    table.add({"group", s.group});
    table.add({"threads", std::to_string(s.threads)});
    table.add({"wall time", fmt::format("{:.2f} s", s.wall_s)});
    table.add({"records/s", fmt::format("{:.0f}", s.records_per_s())});
    table.add({"group join wait", fmt::format("{:.2f} s", s.assign_wait_s)});
    table.add({"records/s once assigned", fmt::format("{:.0f}", s.records_per_s_assigned())});
    for (const MetricDef& d : thread_metric_defs()) {
        if (!*d.summary_path || d.unit == MetricUnit::Micros) continue;
        const bool bad = d.value(t) > 0 && (std::string_view(d.field) == "dlq" ||
                                            std::string_view(d.field) == "sink_errors" ||
                                            std::string_view(d.field) == "fenced_batches");
        table.add({d.label, d.unit == MetricUnit::Bytes ? fmt_bytes(d.value(t))
                                                               : std::to_string(std::int64_t(d.value(t)))},
                  {Tone::Plain, bad ? Tone::Warn : Tone::Plain});
    }
    table.add({"profiles", std::to_string(s.profiles)});
    table.add({"status", s.ok ? "ok" : (s.interrupted ? "INTERRUPTED" : "FAILED")},
              {Tone::Plain, s.ok ? Tone::Ok : Tone::Crit});
    print_table(table);
}

int run_worker(Context& ctx, WorkerOptions o) {
    Worker worker(ctx.config(), std::move(o));
    StopSignals signals(&worker.stop_flag(), /*second_exits=*/true);
    const WorkerSummary summary = worker.run(); // throws (exit 1) when Kafka or Redis is away
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
                ->check(integer_range(1, 64));
            sub.add_option("--group", o->group, "consumer group (default: worker.group)")
                ->check(non_empty());
            sub.add_flag("--drain", o->drain,
                         "process what is in the topics now, commit, print a summary, exit");
            sub.add_flag(
                "--no-cold", [o](std::int64_t) { o->cold = false; }, "do not write the cold path");
            sub.add_option("--flush-ms", o->flush_ms,
                           "flush interval in ms (default: worker.flush_ms)")
                ->check(integer_range(10, 600000));
            sub.add_option("--cold-flush-s", o->cold_flush_s,
                           "write cold-path objects at least every S seconds "
                           "(default: worker.cold_flush_s)")
                ->check(integer_range(1, 86400));
            sub.add_option("--cold-batch-mib", o->cold_batch_mib,
                           "or when a thread holds this many MiB of them "
                           "(default: worker.cold_batch_mib)")
                ->check(integer_range(1, 4096));
            sub.add_option("--max-batch", o->max_batch_events,
                           "records per batch before a flush (default 20000)")
                ->check(integer_range(1, 10'000'000));
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
