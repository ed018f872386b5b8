// ebapctl demo: the embedded default. Hosts the Kafka mock cluster (3 brokers,
// platform topics) in this process, starts a real redis-server and a throwaway
// PostgreSQL (wal_level=logical) on free loopback ports, writes a config and
// catalog for them under <state>/demo, and shows status and lag until Ctrl-C,
// which stops everything it started.
#include "cli/command.hpp"
#include "cli/views.hpp"
#include "core/base/error.hpp"
#include "core/embedded/kafka_mock.hpp"
#include "core/embedded/local_servers.hpp"
#include "cli/output.hpp"
#include "cli/stop_signals.hpp"
#include "core/base/process.hpp"

#include <CLI/CLI.hpp>
#include <toml++/toml.h>

#include <atomic>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <sys/stat.h>
#include <thread>
#include <unistd.h>

namespace ebap::cli {
namespace {
namespace fs = std::filesystem;

struct DemoOptions {
    double refresh_s = 3;
    double duration_s = 0; // 0 = until a signal
    int brokers = 3;
    double eps = 500;   // generator rate; 0 = no generator
    bool worker = true; // host the streaming workers
};

// initdb runs as the postgres user, which must be able to walk to the directory.
bool reachable_by_others(fs::path p) {
    for (p = fs::absolute(p); !p.empty(); p = p.parent_path()) {
        struct stat st;
        if (stat(p.c_str(), &st) == 0 && !(st.st_mode & S_IXOTH)) return false;
        if (p == p.root_path()) break;
    }
    return true;
}

std::string self_exe() {
    std::error_code ec;
    auto p = fs::read_symlink("/proc/self/exe", ec);
    return ec ? "ebapctl" : p.string();
}

// toml++ writes the values: paths and endpoints are quoted and escaped as TOML needs.
void write_toml(const fs::path& path, const std::string& header, const toml::table& table) {
    std::ofstream out(path, std::ios::trunc);
    out << header << table << '\n';
    if (!out) throw Error("cannot write " + path.string());
}

} // namespace

CommandDef demo_command() {
    return {
        "demo", "start the embedded platform (Kafka, Redis, PostgreSQL) and watch it", true,
        [](CLI::App& sub, Context& ctx) -> Action {
            auto o = std::make_shared<DemoOptions>();
            sub.add_option("--refresh", o->refresh_s, "seconds between screens (default 3)")
                ->check(CLI::PositiveNumber);
            sub.add_option("--duration", o->duration_s, "stop after S seconds (default: Ctrl-C)");
            sub.add_option("--brokers", o->brokers, "embedded Kafka brokers (default 3)")
                ->check(CLI::Range(1, 9));
            sub.add_option("--eps", o->eps, "generator events/s (default 500; 0 = none)")
                ->check(CLI::NonNegativeNumber);
            sub.add_flag(
                "--no-worker", [o](std::int64_t) { o->worker = false; },
                "do not run the streaming workers");
            return [&ctx, o] {
                const Config& cfg = ctx.config();
                fs::path demo = fs::absolute(fs::path(cfg.state_dir()) / "demo");
                fs::remove_all(demo);
                fs::create_directories(demo);
                StopSignals signals;

                EmbeddedKafka kafka(o->brokers);
                kafka.create_design_topics();
                LocalRedis redis((demo / "redis").string());
                redis.start();
                fs::path pgdir = demo / "pg";
                if (geteuid() == 0 && !reachable_by_others(demo)) {
                    pgdir =
                        fs::temp_directory_path() / ("ebapctl-demo-pg-" + std::to_string(getpid()));
                    std::fprintf(stderr,
                                 "ebapctl: %s is not reachable by the postgres user; "
                                 "PostgreSQL data goes to %s\n",
                                 demo.c_str(), pgdir.c_str());
                }
                LocalPostgres pg(pgdir.string());
                pg.start();

                std::string bootstrap = kafka.bootstrap();
                fs::path catalog = demo / "embedded.toml";
                auto service = [](const char* name, const char* probe, std::string endpoint) {
                    return toml::table{{"name", name},
                                       {"stack", "embedded"},
                                       {"probe", probe},
                                       {"endpoint", std::move(endpoint)}};
                };
                toml::table cat{
                    {"catalog", toml::table{{"name", "embedded"}, {"title", "ebapctl demo"}}},
                    {"stacks",
                     toml::table{{"embedded", toml::table{{"driver", "external"},
                                                          {"description",
                                                           "hosted by ebapctl demo"}}}}},
                    {"service",
                     toml::array{
                         service("kafka", "kafka", bootstrap.substr(0, bootstrap.find(','))),
                         service("redis", "redis", "127.0.0.1:" + std::to_string(redis.port())),
                         service("postgres", "postgres",
                                 "127.0.0.1:" + std::to_string(pg.port()))}}};
                write_toml(catalog, "# Written by `ebapctl demo`: the embedded default.\n", cat);
                fs::path config = demo / "ebapctl.toml";
                toml::table conf{
                    {"catalog", toml::table{{"name", catalog.string()}}},
                    {"kafka", toml::table{{"bootstrap_servers", bootstrap}}},
                    {"redis", toml::table{{"host", "127.0.0.1"}, {"port", redis.port()}}},
                    {"postgres", toml::table{{"host", "127.0.0.1"},
                                             {"port", pg.port()},
                                             {"user", "postgres"},
                                             {"dbname", "ebap"}}},
                    {"paths", toml::table{{"state_dir", fs::absolute(cfg.state_dir()).string()}}}};
                write_toml(config,
                           "# Written by `ebapctl demo`: point any ebapctl at the demo with\n"
                           "#   ebapctl --config " +
                               config.string() + " status\n",
                           conf);

                std::printf("ebapctl demo: kafka %s, redis 127.0.0.1:%d, postgres 127.0.0.1:%d\n"
                            "config: %s\n(Ctrl-C stops everything)\n",
                            bootstrap.c_str(), redis.port(), pg.port(), config.c_str());
                std::fflush(stdout);

                std::string exe = self_exe();
                // The pipeline runs as its own processes, exactly as an operator
                // would run it against a real platform.
                std::vector<pid_t> children;
                auto child = [&](std::vector<std::string> args, const std::string& log) {
                    args.insert(args.begin(), {exe, "--config", config.string()});
                    children.push_back(spawn_process(args, {.log_file = (demo / log).string()}));
                };
                if (o->worker) child({"worker"}, "worker.log");
                if (o->eps > 0)
                    child({"gen", "--eps", std::to_string(static_cast<long>(o->eps)),
                           "--late-fraction", "0.01", "--bad-fraction", "0.005"},
                          "gen.log");
                // The live view reads collectors (their own threads, their own clients)
                // over the demo's own configuration: never the caller's environment.
                auto demo_config = std::make_shared<const Config>(Config::load(config.string()));
                const Catalog demo_catalog = load_catalog(catalog.string());
                collect::HealthCollector health(demo_config, demo_catalog);
                collect::LagCollector lag(demo_config, {}, /*persist=*/false);
                collect::KpiCollector kpi(demo_config, {.now = true, .regions = true, .series = 0});
                for (collect::CollectorBase* c :
                     std::initializer_list<collect::CollectorBase*>{&health, &lag, &kpi})
                    c->start();
                const bool tty = isatty(STDOUT_FILENO);
                const std::string prefix = demo_config->redis_prefix();
                auto started = std::chrono::steady_clock::now();
                while (!StopSignals::requested()) {
                    if (tty) std::printf("\033[H\033[2J");
                    std::printf("── ebapctl demo ── kafka %s · redis :%d · postgres :%d ── "
                                "Ctrl-C stops\n\n",
                                bootstrap.c_str(), redis.port(), pg.port());
                    if (auto h = health.latest()) print_health(h->data, false);
                    std::fputc('\n', stdout);
                    if (auto l = lag.latest()) {
                        if (!l->error.empty()) std::printf("lag: %s\n", printable(l->error).c_str());
                        if (l->taken_ms > 0) print_lag(l->data, false);
                    }
                    std::fputc('\n', stdout);
                    if (auto k = kpi.latest()) {
                        if (!k->error.empty()) std::printf("kpi: %s\n", printable(k->error).c_str());
                        if (k->taken_ms > 0) {
                            print_kpi(k->data, prefix, false);
                            std::fputc('\n', stdout);
                            print_geo(k->data, prefix, false);
                        }
                    }
                    std::fflush(stdout);
                    auto next = std::chrono::steady_clock::now() +
                                std::chrono::milliseconds(long(o->refresh_s * 1000));
                    while (!StopSignals::requested() && std::chrono::steady_clock::now() < next)
                        std::this_thread::sleep_for(std::chrono::milliseconds(100));
                    if (o->duration_s > 0 &&
                        std::chrono::steady_clock::now() - started >
                            std::chrono::milliseconds(long(o->duration_s * 1000)))
                        break;
                }
                for (collect::CollectorBase* c :
                     std::initializer_list<collect::CollectorBase*>{&health, &lag, &kpi})
                    c->stop();
                std::printf("ebapctl demo: stopping\n");
                for (auto it = children.rbegin(); it != children.rend(); ++it)
                    stop_process(*it, 15000);
                pg.stop();
                redis.stop();
                if (pgdir.parent_path() != demo) fs::remove_all(pgdir);
                return kExitOk;
            };
        }};
}

} // namespace ebap::cli
