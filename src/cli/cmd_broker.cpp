// ebapctl broker [--brokers N] [--raw-partitions P] [--bootstrap-file F]:
// hosts the embedded Kafka broker (librdkafka's mock cluster) in the foreground
// with the platform topics (core/kafka/topics.hpp) until SIGINT or SIGTERM. Its ports are chosen by the
// kernel (librdkafka 2.0.2 cannot pin them), so the bootstrap string is the
// first line on stdout (or the JSON document's "bootstrap" with --json) and,
// with --bootstrap-file, written to F (atomically; removed again on exit).
// Other processes (ebapctl lag, worker, kcat) reach it over loopback TCP.
//   exit 0  stopped by a signal
//   exit 1  the cluster or the bootstrap file could not be created
//   exit 2  usage
#include "cli/command.hpp"
#include "cli/options.hpp"
#include "core/kafka/topics.hpp"
#include "core/base/error.hpp"
#include "core/embedded/kafka_mock.hpp"
#include "cli/output.hpp"

#include <CLI/CLI.hpp>

#include <csignal>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <unistd.h>

namespace ebap::cli {
namespace {

constexpr int kMaxBrokers = 64;
constexpr int kMaxRawPartitions = 1024;

void write_bootstrap_file(const std::string& path, const std::string& bootstrap) {
    std::string tmp = path + ".tmp." + std::to_string(getpid());
    {
        std::ofstream out(tmp, std::ios::trunc);
        out << bootstrap << '\n';
        if (!out) throw Error("cannot write bootstrap file " + path);
    }
    std::error_code ec;
    std::filesystem::rename(tmp, path, ec);
    if (ec) throw Error("cannot write bootstrap file " + path + ": " + ec.message());
}

int run_broker(Context& ctx, int brokers, int raw_partitions, const std::string& file) {
    if (brokers < 1 || brokers > kMaxBrokers)
        throw UsageError("--brokers must be an integer from 1 to " + std::to_string(kMaxBrokers));
    if (raw_partitions < 1 || raw_partitions > kMaxRawPartitions)
        throw UsageError("--raw-partitions must be an integer from 1 to " +
                         std::to_string(kMaxRawPartitions));
    // Block the stop signals before librdkafka starts its threads: they inherit
    // the mask, so the signals stay pending for sigwait() below.
    sigset_t stop;
    sigemptyset(&stop);
    sigaddset(&stop, SIGINT);
    sigaddset(&stop, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &stop, nullptr);

    EmbeddedKafka kafka(brokers);
    kafka.create_design_topics(raw_partitions);
    if (!file.empty()) write_bootstrap_file(file, kafka.bootstrap());
    if (ctx.global.json) {
        nlohmann::json topics = nlohmann::json::array();
        for (const DesignTopic& t : design_topics(raw_partitions))
            topics.push_back({{"name", t.name}, {"partitions", t.partitions}});
        print_json({{"bootstrap", kafka.bootstrap()}, {"brokers", brokers}, {"topics", topics}});
    } else {
        std::printf("%s\n", kafka.bootstrap().c_str());
    }
    std::fflush(stdout);
    std::fprintf(stderr,
                 "ebapctl: embedded Kafka with %d broker(s) at %s; topics ebap.events.raw (%d), "
                 "ebap.metrics.telemetry, ebap.cdc.users, ebap.audit.logs, ebap.events.dlq; "
                 "Ctrl-C or SIGTERM stops it (data is kept in memory only)\n",
                 brokers, kafka.bootstrap().c_str(), raw_partitions);

    int sig = 0;
    sigwait(&stop, &sig);
    if (!file.empty()) {
        std::error_code ec;
        std::filesystem::remove(file, ec);
    }
    std::fprintf(stderr, "ebapctl: embedded Kafka stopped (%s)\n",
                 sig == SIGINT ? "SIGINT" : "SIGTERM");
    return kExitOk;
}

} // namespace

CommandDef broker_command() {
    return {"broker", "host the embedded Kafka broker (mock cluster) in the foreground", false,
            [](CLI::App& sub, Context& ctx) -> Action {
                struct Opts {
                    int brokers = 3;
                    int raw_partitions = kEventsPartitions;
                    std::string file;
                };
                auto o = std::make_shared<Opts>();
                // Each mock broker holds listening sockets and threads: 100000 of them end
                // in "Too many open files" and an abort inside librdkafka.
                sub.add_option("--brokers", o->brokers, "number of brokers (1-64, default 3)")
                    ->check(integer_range(1, kMaxBrokers));
                sub.add_option("--raw-partitions", o->raw_partitions,
                               "partitions of ebap.events.raw (1-1024, default 6)")
                    ->check(integer_range(1, kMaxRawPartitions));
                sub.add_option("--bootstrap-file", o->file,
                               "write the bootstrap servers to this file (removed on exit)");
                return
                    [&ctx, o] { return run_broker(ctx, o->brokers, o->raw_partitions, o->file); };
            }};
}

} // namespace ebap::cli
