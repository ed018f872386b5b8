// ebapctl demo: the embedded default. Hosts the Kafka mock cluster (3 brokers,
// platform topics) in this process, starts a real redis-server and a throwaway
// PostgreSQL (wal_level=logical) on free loopback ports, writes a config and
// catalog for them under <state>/demo, and shows status and lag until Ctrl-C,
// which stops everything it started. It touches only what it started: its own
// configuration is read without the environment's overrides and its children get
// the demo's endpoints with those variables unset. Its state (health and lag
// history, cold path, PostgreSQL) is per run: <state>/demo is wiped at start, and a
// cluster left in /tmp by a demo killed with SIGKILL is removed by the next run.
#include "cli/command.hpp"
#include "cli/options.hpp"
#include "cli/views.hpp"
#include "core/base/error.hpp"
#include "core/embedded/kafka_mock.hpp"
#include "core/embedded/local_servers.hpp"
#include "cli/output.hpp"
#include "cli/stop_signals.hpp"
#include "core/base/process.hpp"
#include "core/base/state_file.hpp"
#include "tui/console.hpp"

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <toml++/toml.h>

#include <atomic>
#include <algorithm>
#include <cerrno>
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
    double eps = 2000;  // generator rate; 0 = no generator
    bool worker = true; // host the streaming workers
    bool console = true; // on a terminal: open the console (--no-console: periodic text)
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

// A running `ebapctl` (not merely a recycled pid).
bool ebapctl_alive(pid_t pid) {
    if (pid <= 0 || (kill(pid, 0) != 0 && errno != EPERM)) return false;
    std::ifstream comm("/proc/" + std::to_string(pid) + "/comm");
    std::string name;
    std::getline(comm, name);
    return name.rfind("ebapctl", 0) == 0;
}

constexpr const char* kTmpClusterPrefix = "ebapctl-demo-pg-";
constexpr const char* kDemoCatalog = "embedded"; // the catalog the demo writes

// Clusters that demos killed by SIGKILL left in /tmp (named by the demo's pid): their
// postmaster got SIGINT with its parent (PR_SET_PDEATHSIG), the files stay until here.
void remove_stale_tmp_clusters() {
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(fs::temp_directory_path(), ec)) {
        const std::string name = e.path().filename().string();
        if (name.rfind(kTmpClusterPrefix, 0) != 0 || e.is_symlink(ec)) continue;
        const std::string digits = name.substr(std::string(kTmpClusterPrefix).size());
        if (digits.empty() || digits.find_first_not_of("0123456789") != std::string::npos)
            continue;
        const pid_t owner = static_cast<pid_t>(std::stol(digits));
        if (owner == getpid() || ebapctl_alive(owner)) continue;
        std::error_code rm;
        fs::remove_all(e.path(), rm);
        if (!rm)
            std::fprintf(stderr, "ebapctl: removed %s (left by demo pid %d)\n",
                         e.path().c_str(), static_cast<int>(owner));
    }
}

// Environment variables a child would otherwise take over the demo's own configuration:
// every override of Config::load, and the config file search.
std::vector<std::string> child_env() {
    std::vector<std::string> unset = {"EBAPCTL_CONFIG"};
    for (const ConfigKey& k : config_keys())
        if (k.env) unset.emplace_back(k.env);
    return unset;
}

} // namespace

CommandDef demo_command() {
    return {
        "demo", "start the embedded platform (Kafka, Redis, PostgreSQL) and watch it", true,
        [](CLI::App& sub, Context& ctx) -> Action {
            auto o = std::make_shared<DemoOptions>();
            sub.add_option("--refresh", o->refresh_s, "seconds between screens (default 3)")
                ->check(positive_number());
            sub.add_option("--duration", o->duration_s,
                           "stop after S seconds (default and 0: until Ctrl-C)")
                ->check(non_negative_number());
            sub.add_option("--brokers", o->brokers, "embedded Kafka brokers (1-9, default 3)")
                ->check(integer_range(1, 9));
            sub.add_option("--eps", o->eps, "generator events/s (default 2000; 0 = none)")
                ->check(non_negative_number());
            sub.add_flag(
                "--no-worker", [o](std::int64_t) { o->worker = false; },
                "do not run the streaming workers");
            sub.add_flag(
                "--no-console", [o](std::int64_t) { o->console = false; },
                "print periodic text screens instead of opening the console (also when "
                "stdout is not a terminal)");
            return [&ctx, o] {
                const Config& cfg = ctx.config();
                const fs::path state = fs::absolute(cfg.state_dir());
                fs::path demo = state / "demo";
                const StateFile record(demo.string(), "demo.json");
                if (const auto before = record.read(); before.contains("pid")) {
                    const auto other = before["pid"].get<pid_t>();
                    if (other != getpid() && ebapctl_alive(other))
                        throw Error("another ebapctl demo (pid " + std::to_string(other) +
                                    ") runs with the state directory " + state.string() +
                                    "; stop it first or set EBAP_STATE_DIR");
                }
                remove_stale_tmp_clusters();
                fs::remove_all(demo); // the previous run's state, logs and cluster
                // `status --config <demo>/ebapctl.toml` from a shell with EBAP_STATE_DIR set
                // keeps its "since" here: a fresh cluster is not "UP since" an earlier run.
                std::error_code ignored;
                fs::remove(state / ("status-" + std::string(kDemoCatalog) + ".json"), ignored);
                fs::create_directories(demo);
                StopSignals signals;

                EmbeddedKafka kafka(o->brokers);
                kafka.create_design_topics();
                LocalRedis redis((demo / "redis").string());
                redis.start();
                fs::path pgdir = demo / "pg";
                if (geteuid() == 0 && !reachable_by_others(demo)) {
                    pgdir = fs::temp_directory_path() /
                            (kTmpClusterPrefix + std::to_string(getpid()));
                    std::fprintf(stderr,
                                 "ebapctl: %s is not reachable by the postgres user; "
                                 "PostgreSQL data goes to %s\n",
                                 demo.c_str(), pgdir.c_str());
                }
                nlohmann::json run = {{"pid", getpid()},
                                      {"pg_dir", pgdir.string()},
                                      {"redis_pid", redis.pid()}};
                record.write(run); // before initdb: a kill from here on leaves a trace
                LocalPostgres pg(pgdir.string());
                pg.start();
                run["postgres_pid"] = pg.pid();

                std::string bootstrap = kafka.bootstrap();
                fs::path catalog = demo / "embedded.toml";
                auto service = [](const char* name, const char* probe, std::string endpoint) {
                    return toml::table{{"name", name},
                                       {"stack", "embedded"},
                                       {"probe", probe},
                                       {"endpoint", std::move(endpoint)}};
                };
                toml::array services{
                    service("kafka", "kafka", bootstrap.substr(0, bootstrap.find(','))),
                    service("redis", "redis", "127.0.0.1:" + std::to_string(redis.port())),
                    service("postgres", "postgres", "127.0.0.1:" + std::to_string(pg.port()))};
                // The rest of the EBAP platform at its usual endpoints: not started here,
                // so it shows DOWN with its reason (optional: not counted as unhealthy).
                try {
                    for (const auto& s : load_catalog("ebap").services) {
                        if (s.name == "kafka" || s.name == "redis" || s.name == "postgres" ||
                            s.probe.kind == "command")
                            continue;
                        toml::table t = service(s.name.c_str(), s.probe.kind.c_str(), s.probe.endpoint);
                        t.insert_or_assign("stack", "platform");
                        t.insert_or_assign("optional", true);
                        services.push_back(std::move(t));
                    }
                } catch (const std::exception&) {
                    // no ebap catalog installed: the embedded services alone
                }
                toml::table cat{
                    {"catalog", toml::table{{"name", kDemoCatalog}, {"title", "ebapctl demo"}}},
                    {"stacks",
                     toml::table{{"embedded", toml::table{{"driver", "external"},
                                                          {"description",
                                                           "hosted by ebapctl demo"}}},
                                 {"platform", toml::table{{"driver", "external"},
                                                          {"description",
                                                           "the rest of EBAP: not started by "
                                                           "the demo"}}}}},
                    {"service", std::move(services)}};
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
                    // Per run: `status` and `lag` against the demo remember nothing of an
                    // earlier demo's cluster ("UP since" counts from this run).
                    {"paths", toml::table{{"state_dir", (demo / "state").string()}}}};
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
                // Exactly the demo's endpoints: the environment's overrides are unset, and
                // each child dies with us (SpawnOptions::death_signal, SIGTERM).
                std::vector<pid_t> children;
                const std::vector<std::string> env = child_env();
                auto child = [&](const char* name, std::vector<std::string> args) {
                    args.insert(args.begin(), {exe, "--config", config.string()});
                    // When the demo dies, its Kafka and Redis die with it: a worker told
                    // to stop would wait on them to flush. Killing it loses nothing (what
                    // it did not commit is replayed), so the workers get SIGKILL.
                    const bool is_worker = std::string(name) == "worker";
                    const pid_t pid = spawn_process(
                        args, {.log_file = (demo / (std::string(name) + ".log")).string(),
                               .death_signal = is_worker ? SIGKILL : SIGTERM,
                               .env = env});
                    children.push_back(pid);
                    run["children"][name] = pid;
                };
                // On a terminal the console hosts the workers in this process (their log
                // lines go to its log view); otherwise they run as their own process.
                const bool console =
                    o->console && isatty(STDIN_FILENO) && isatty(STDOUT_FILENO);
                if (o->worker && !console) child("worker", {"worker"});
                if (o->eps > 0)
                    child("gen", {"gen", "--eps", fmt::format("{:g}", o->eps),
                                  "--late-fraction", "0.01", "--bad-fraction", "0.005"});
                record.write(run);
                // The live view reads collectors (their own threads, their own clients)
                // over the demo's own configuration: never the caller's environment.
                auto demo_config = std::make_shared<const Config>(
                    Config::load(config.string(), {.env = false}));
                const Catalog demo_catalog = load_catalog(catalog.string());
                // Everything the demo started, newest first; the record says nothing runs.
                auto shutdown = [&] {
                    std::printf("ebapctl demo: stopping\n");
                    std::fflush(stdout);
                    for (auto it = children.rbegin(); it != children.rend(); ++it)
                        stop_process(*it, 15000);
                    pg.stop();
                    redis.stop();
                    if (pgdir.parent_path() != demo) fs::remove_all(pgdir);
                    run.erase("pid");
                    record.write(run);
                };
                if (console) {
                    tui::ConsoleOptions co;
                    co.exit_when_stuck = false; // the demo's servers still need stopping
                    co.readonly = ctx.global.readonly;
                    co.theme = ctx.global.theme;
                    co.no_color = ctx.global.no_color;
                    co.workers = o->worker ? int(demo_config->num("worker.threads")) : 0;
                    co.duration_s = o->duration_s;
                    const int rc = tui::run_console(demo_config, demo_catalog, co);
                    shutdown();
                    return rc;
                }
                collect::HealthCollector health(demo_config, demo_catalog);
                collect::LagCollector lag(demo_config, {}, /*persist=*/false);
                collect::KpiCollector kpi(demo_config, {.now = true, .regions = true, .series = 0});
                for (collect::CollectorBase* c :
                     std::initializer_list<collect::CollectorBase*>{&health, &lag, &kpi})
                    c->start();
                const bool tty = isatty(STDOUT_FILENO);
                const std::string prefix = demo_config->redis_prefix();
                auto started = std::chrono::steady_clock::now();
                const auto refresh = std::chrono::milliseconds(
                    static_cast<std::int64_t>(std::min(o->refresh_s, kMaxSeconds) * 1000));
                const auto duration = std::chrono::milliseconds(
                    static_cast<std::int64_t>(std::min(o->duration_s, kMaxSeconds) * 1000));
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
                    auto next = std::chrono::steady_clock::now() + refresh;
                    while (!StopSignals::requested() && std::chrono::steady_clock::now() < next)
                        std::this_thread::sleep_for(std::chrono::milliseconds(100));
                    if (o->duration_s > 0 && std::chrono::steady_clock::now() - started > duration)
                        break;
                }
                for (collect::CollectorBase* c :
                     std::initializer_list<collect::CollectorBase*>{&health, &lag, &kpi})
                    c->stop();
                shutdown();
                return int(kExitOk);
            };
        }};
}

} // namespace ebap::cli
