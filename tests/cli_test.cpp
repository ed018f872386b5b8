// The scripted surface as an operator meets it: exit statuses, --json, no
// colour off a terminal, doctor's provenance and secret masking, status --wait.
#include "core/embedded/local_servers.hpp"
#include "support/cli_run.hpp"
#include "support/pipeline_harness.hpp"
#include "support/redis_server.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <arpa/inet.h>
#include <chrono>
#include <csignal>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <map>
#include <netinet/in.h>
#include <sstream>
#include <sys/stat.h>
#include <sys/socket.h>
#include <thread>
#include <unistd.h>

using ebap::test::run_cli;
using ebap::test::TempDir;
using nlohmann::json;

namespace {

// A TCP listener on a free loopback port, closed by the destructor.
struct Listener {
    int fd = -1;
    int port = 0;
    Listener() {
        fd = socket(AF_INET, SOCK_STREAM, 0);
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        socklen_t len = sizeof a;
        bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
        listen(fd, 64);
        getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
        port = ntohs(a.sin_port);
    }
    ~Listener() { close(fd); }
};

std::string write_catalog(const TempDir& dir, const std::vector<std::pair<std::string, int>>& tcp) {
    std::string path = dir.path() + "/cat.toml";
    std::ofstream out(path);
    out << "[catalog]\nname = \"t\"\n\n[stacks.s]\ndriver = \"external\"\n\n";
    for (const auto& [name, port] : tcp)
        out << "[[service]]\nname = \"" << name << "\"\nstack = \"s\"\nprobe = \"tcp\"\n"
            << "endpoint = \"127.0.0.1:" << port << "\"\n\n";
    return path;
}

const std::map<std::string, std::string> kIsolated = {{"EBAPCTL_CONFIG", "<unset>"},
                                                      {"HOME", "/nonexistent"}};

} // namespace

TEST(Cli, VersionAndHelp) {
    auto v = run_cli({"--version"});
    EXPECT_EQ(v.exit_code, 0);
    EXPECT_NE(v.out.find("ebapctl 0."), std::string::npos) << v.out;
    auto h = run_cli({"--help"});
    EXPECT_EQ(h.exit_code, 0);
    for (const char* cmd : {"status", "lag", "kpi", "geo", "doctor", "demo"})
        EXPECT_NE(h.out.find(cmd), std::string::npos) << cmd;
}

TEST(Cli, UsageErrorsExitTwo) {
    EXPECT_EQ(run_cli({"no-such-command"}).exit_code, 2);
    EXPECT_EQ(run_cli({"status", "--timeout", "-4"}).exit_code, 2);
    auto r = run_cli({"--config", "/nonexistent/x.toml", "status"});
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_NE(r.err.find("/nonexistent/x.toml"), std::string::npos) << r.err;
}

TEST(Cli, BadConfigFileNamesLineAndColumn) {
    TempDir dir("cli");
    std::string path = dir.path() + "/bad.toml";
    std::ofstream(path) << "[redis]\nport = 6379\nhost = \n";
    auto r = run_cli({"--config", path, "doctor", "--offline"});
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_NE(r.err.find(path + ":3:"), std::string::npos) << r.err;
}

TEST(Cli, DoctorShowsOriginsAndMasksSecrets) {
    TempDir dir("cli");
    std::string path = dir.path() + "/c.toml";
    std::ofstream(path) << "[trino]\nuser = \"ops\"\npasswrd = \"x\"\n";
    auto env = kIsolated;
    env["REDIS_PASSWORD"] = "hunter2-very-secret";
    env["REDIS_PORT"] = "7000";
    auto r = run_cli({"--config", path, "doctor", "--offline", "--json"}, env);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.out.find("hunter2"), std::string::npos);
    EXPECT_EQ(r.err.find("hunter2"), std::string::npos);
    // The unknown key is a warning naming the closest known key.
    EXPECT_NE(r.err.find("did you mean 'trino.password'"), std::string::npos) << r.err;
    json doc = json::parse(r.out);
    std::map<std::string, json> by_key;
    for (const auto& v : doc["values"])
        by_key[v["key"]] = v;
    EXPECT_EQ(by_key["redis.password"]["value"], "****");
    EXPECT_EQ(by_key["redis.password"]["origin"], "env REDIS_PASSWORD");
    EXPECT_EQ(by_key["redis.port"]["value"], "7000");
    EXPECT_EQ(by_key["trino.user"]["origin"], path + ":2");
    EXPECT_EQ(by_key["kafka.bootstrap_servers"]["origin"], "default");
}

TEST(Cli, DoctorChecksConnectivity) {
    TempDir dir("cli");
    ebap::LocalRedis redis(dir.path() + "/redis");
    redis.start();
    int dead = ebap::free_tcp_port();
    auto env = kIsolated;
    env["REDIS_HOST"] = "127.0.0.1";
    env["REDIS_PORT"] = std::to_string(redis.port());
    env["KAFKA_BOOTSTRAP_SERVERS"] = "127.0.0.1:" + std::to_string(dead);
    env["PGHOST"] = "127.0.0.1";
    env["PGPORT"] = std::to_string(dead);
    env["TRINO_URL"] = "http://127.0.0.1:" + std::to_string(dead);
    env["MINIO_ENDPOINT"] = "http://127.0.0.1:" + std::to_string(dead);
    // run_cli kills a hung doctor (exit_code -1): exit 3 means every check came back.
    auto r = run_cli({"doctor", "--json"}, env);
    EXPECT_EQ(r.exit_code, 3) << r.out << r.err;
    json doc = json::parse(r.out);
    std::map<std::string, std::string> state;
    for (const auto& c : doc["connectivity"]) {
        state[c["name"]] = c["state"];
        if (c["name"] != "redis") {
            EXPECT_NE(c["detail"].get<std::string>().find("refused"), std::string::npos)
                << c.dump();
        }
    }
    EXPECT_EQ(state, (std::map<std::string, std::string>{{"kafka", "DOWN"},
                                                         {"redis", "UP"},
                                                         {"postgres", "DOWN"},
                                                         {"trino", "DOWN"},
                                                         {"minio", "DOWN"}}));
    EXPECT_FALSE(doc["ok"].get<bool>());
}

TEST(Cli, StatusReportsEachServiceAndExitsThreeWhenUnhealthy) {
    TempDir dir("cli");
    Listener up;
    int dead = ebap::free_tcp_port();
    auto env = kIsolated;
    env["EBAP_STATE_DIR"] = dir.path() + "/state";
    auto cat = write_catalog(dir, {{"alive", up.port}, {"gone", dead}});
    auto r = run_cli({"--catalog", cat, "status", "--json"}, env);
    EXPECT_EQ(r.exit_code, 3) << r.err;
    json doc = json::parse(r.out);
    ASSERT_EQ(doc["services"].size(), 2u);
    EXPECT_EQ(doc["services"][0]["state"], "UP");
    EXPECT_EQ(doc["services"][1]["state"], "DOWN");
    EXPECT_NE(doc["services"][1]["detail"].get<std::string>().find("refused"), std::string::npos)
        << doc.dump();
    EXPECT_FALSE(doc["healthy"].get<bool>());

    auto ok = run_cli({"--catalog", write_catalog(dir, {{"alive", up.port}}), "status"}, env);
    EXPECT_EQ(ok.exit_code, 0) << ok.err;
    EXPECT_NE(ok.out.find("alive"), std::string::npos);
    EXPECT_EQ(ok.out.find("\033["), std::string::npos) << "no colour off a terminal";
}

TEST(Cli, StatusWaitReturnsAsSoonAsEverythingIsUp) {
    TempDir dir("cli");
    int port = ebap::free_tcp_port();
    auto env = kIsolated;
    env["EBAP_STATE_DIR"] = dir.path() + "/state";
    auto cat = write_catalog(dir, {{"late", port}});
    std::thread opener([port] {
        std::this_thread::sleep_for(std::chrono::milliseconds(1500));
        static int fd = socket(AF_INET, SOCK_STREAM, 0);
        int one = 1;
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        a.sin_port = htons(port);
        bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
        listen(fd, 16);
    });
    auto r = run_cli({"--catalog", cat, "status", "--wait", "--timeout", "30"}, env);
    opener.join();
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
}

// A loopback listener nobody accepts on while the command runs: the kernel completes
// each probe's handshake into the accept queue, and accepted() counts them afterwards
// (one per probe round that reached the service).
struct CountingListener : Listener {
    int accepted() {
        fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK); // an empty queue ends the count
        int n = 0;
        for (;;) {
            int c = accept(fd, nullptr, nullptr);
            if (c < 0) return n;
            ++n;
            close(c);
        }
    }
};

TEST(Cli, StatusWaitGivesUpAtItsTimeoutWithExitThree) {
    TempDir dir("cli");
    auto env = kIsolated;
    env["EBAP_STATE_DIR"] = dir.path() + "/state";
    CountingListener counter;
    int dead = ebap::free_tcp_port();
    // --timeout 3 against the default of 60 s: were it ignored, run_cli's own 60 s
    // limit would kill the run first (exit_code -1), so exit 3 is the deadline firing.
    auto r = run_cli({"--catalog", write_catalog(dir, {{"never", dead}, {"counter", counter.port}}),
                      "status", "--json", "--wait", "--timeout", "3"},
                     env);
    EXPECT_EQ(r.exit_code, 3) << r.out << r.err;
    json doc = json::parse(r.out);
    EXPECT_FALSE(doc["healthy"].get<bool>());
    ASSERT_EQ(doc["services"].size(), 2u);
    EXPECT_EQ(doc["services"][0]["state"], "DOWN");
    EXPECT_EQ(doc["services"][1]["state"], "UP");
    // It waited: probed again after the first round found "never" down (rounds are
    // 500 ms apart, so a second one comes unless the first alone outlasts 2.5 s).
    EXPECT_GE(counter.accepted(), 2);

    // Without --wait: exactly one round.
    CountingListener once;
    auto single = run_cli(
        {"--catalog", write_catalog(dir, {{"never", dead}, {"counter", once.port}}), "status"},
        env);
    EXPECT_EQ(single.exit_code, 3) << single.out << single.err;
    EXPECT_EQ(once.accepted(), 1);
}

TEST(Cli, ReadonlyRefusesStateChangingCommands) {
    auto r = run_cli({"--readonly", "demo", "--duration", "1"}, kIsolated);
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_NE(r.err.find("--readonly"), std::string::npos) << r.err;
}

// ---- issue #14: hostile input --------------------------------------------------------

namespace {

std::string read_all(const std::string& path) {
    std::ifstream in(path);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

// A redis-server the test owns: what arrives there did not come from the demo's own.
struct DecoyRedis {
    ebap::test::RedisServer server;
    DecoyRedis() { server.start(); }
    std::string cli(const std::vector<std::string>& args) {
        std::vector<std::string> argv = {"redis-cli", "-h", "127.0.0.1", "-p",
                                         std::to_string(server.port())};
        argv.insert(argv.end(), args.begin(), args.end());
        return ebap::test::run_argv(argv).out;
    }
    long connections() {
        const std::string info = cli({"INFO", "stats"});
        const auto at = info.find("total_connections_received:");
        return at == std::string::npos ? -1 : std::stol(info.substr(at + 27));
    }
};

// A pid is gone once it does not exist or is a zombie nobody reaps (a container's init).
bool gone(pid_t pid) {
    std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
    if (!stat) return true;
    std::string line;
    std::getline(stat, line);
    const auto paren = line.rfind(')');
    return paren == std::string::npos || line.substr(paren + 2, 1) == "Z";
}

bool wait_gone(pid_t pid, int timeout_s) {
    for (int i = 0; i < timeout_s * 10; ++i) {
        if (gone(pid)) return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return false;
}

} // namespace

// Item 1: the shell's KAFKA_BOOTSTRAP_SERVERS, REDIS_*, PG*, EBAP_COLD_ROOT point at
// servers the test owns; the demo (its views and its gen and worker children) must use
// only the servers it started.
TEST(Demo, TouchesOnlyWhatItStartedWhateverTheEnvironmentSays) {
    if (ebap::postgres_bindir().empty()) GTEST_SKIP() << "PostgreSQL is not installed";
    TempDir dir("demo-env");
    DecoyRedis decoy;
    CountingListener kafka, pg;
    const long before = decoy.connections();
    ASSERT_GT(before, 0);
    auto env = kIsolated;
    env["EBAP_STATE_DIR"] = dir.path() + "/state";
    env["KAFKA_BOOTSTRAP_SERVERS"] = "127.0.0.1:" + std::to_string(kafka.port);
    env["REDIS_HOST"] = "127.0.0.1";
    env["REDIS_PORT"] = std::to_string(decoy.server.port());
    env["PGHOST"] = "127.0.0.1";
    env["PGPORT"] = std::to_string(pg.port);
    env["EBAP_COLD_ROOT"] = dir.path() + "/decoy-cold";
    auto r = run_cli({"demo", "--duration", "2", "--refresh", "1", "--eps", "50"}, env, 180000);
    ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
    EXPECT_NE(r.out.find("ebapctl demo: kafka 127.0.0.1:"), std::string::npos) << r.out;
    // One connection more: this INFO itself.
    EXPECT_EQ(decoy.connections(), before + 1);
    EXPECT_EQ(decoy.cli({"DBSIZE"}), "0\n");
    EXPECT_EQ(kafka.accepted(), 0);
    EXPECT_EQ(pg.accepted(), 0);
    EXPECT_FALSE(std::filesystem::exists(dir.path() + "/decoy-cold"));
}

// Item 3: SIGKILL of the demo takes its children (gen, worker, redis-server, postgres)
// with it; the PostgreSQL cluster it had to put in /tmp (its state directory is not
// reachable by the postgres user) is removed by the next run; and `status` against the
// demo remembers nothing of an earlier run ("UP since" of a fresh cluster).
TEST(Demo, SigkillTakesTheChildrenAndTheNextRunCleansUp) {
    if (ebap::postgres_bindir().empty()) GTEST_SKIP() << "PostgreSQL is not installed";
    if (geteuid() != 0) GTEST_SKIP() << "the /tmp cluster is the root-only fallback";
    TempDir dir("demo-kill");
    const std::string priv = dir.path() + "/private";
    std::filesystem::create_directories(priv);
    chmod(priv.c_str(), 0700); // the postgres user cannot walk in: the cluster goes to /tmp
    const std::string state = priv + "/state";
    auto env = kIsolated;
    env["EBAP_STATE_DIR"] = state;
    // What an earlier demo's `status` left: every service UP since 15 minutes ago.
    std::filesystem::create_directories(state);
    const auto old_since = std::chrono::duration_cast<std::chrono::milliseconds>(
                               std::chrono::system_clock::now().time_since_epoch())
                               .count() -
                           900'000;
    json planted = json::object();
    for (const char* s : {"kafka", "redis", "postgres"})
        planted[s] = {{"state", "UP"}, {"since_ms", old_since}};
    std::ofstream(state + "/status-embedded.json") << planted.dump();

    pid_t demo = ebap::test::spawn_ebapctl({"demo", "--refresh", "1", "--eps", "20"}, env,
                                           dir.path() + "/demo.log");
    json record;
    for (int i = 0; i < 1200 && !record.contains("children"); ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
        record = json::parse(read_all(state + "/demo/demo.json"), nullptr, false);
        if (!record.is_object()) record = json::object();
    }
    ASSERT_TRUE(record.contains("children")) << read_all(dir.path() + "/demo.log");
    const std::string pg_dir = record["pg_dir"];
    EXPECT_EQ(pg_dir, "/tmp/ebapctl-demo-pg-" + std::to_string(demo));

    auto status = run_cli({"--config", state + "/demo/ebapctl.toml", "status", "--json"}, env);
    json doc = json::parse(status.out, nullptr, false);
    ASSERT_TRUE(doc.is_object()) << status.out << status.err;
    for (const auto& s : doc["services"])
        EXPECT_GT(s["since_ms"].get<std::int64_t>(), old_since) << s.dump();

    std::vector<pid_t> children = {record["redis_pid"].get<pid_t>(),
                                   record["postgres_pid"].get<pid_t>()};
    for (const auto& [name, pid] : record["children"].items())
        children.push_back(pid.get<pid_t>());
    ASSERT_EQ(children.size(), 4u) << record.dump();
    kill(demo, SIGKILL);
    EXPECT_EQ(ebap::test::wait_exit(demo, 10000), 256 + SIGKILL);
    for (pid_t pid : children) // gen flushes for at most 20 s against the vanished broker
        EXPECT_TRUE(wait_gone(pid, 60)) << "child " << pid << " outlived the demo";
    EXPECT_TRUE(std::filesystem::exists(pg_dir)) << "nothing left to clean up?";

    auto again = run_cli({"demo", "--duration", "1", "--eps", "0", "--no-worker"}, env, 180000);
    EXPECT_EQ(again.exit_code, 0) << again.out << again.err;
    EXPECT_FALSE(std::filesystem::exists(pg_dir)) << again.err;
    EXPECT_NE(again.err.find("removed " + pg_dir), std::string::npos) << again.err;
}

// Item 2: psql run as the postgres user from a directory it cannot enter warns on stderr
// "could not change directory to ".../cwd-1"": a '1' that is not the query's answer.
TEST(LocalPostgres, CreatesTheDatabaseWhenPsqlWarnsAboutItsWorkingDirectory) {
    if (ebap::postgres_bindir().empty()) GTEST_SKIP() << "PostgreSQL is not installed";
    if (geteuid() != 0) GTEST_SKIP() << "the warning needs psql to run as another user";
    TempDir dir("pg-cwd");
    const std::string cwd = dir.path() + "/cwd-1";
    std::filesystem::create_directories(cwd);
    chmod(cwd.c_str(), 0700);
    const auto saved = std::filesystem::current_path();
    std::filesystem::current_path(cwd);
    ebap::LocalPostgres pg(dir.path() + "/pg");
    try {
        pg.start();
    } catch (...) {
        std::filesystem::current_path(saved);
        throw;
    }
    std::filesystem::current_path(saved);
    auto r = ebap::test::run_argv({ebap::postgres_bindir() + "/psql", "-X", "-h", "127.0.0.1", "-p",
                                   std::to_string(pg.port()), "-U", "postgres", "-d", "ebap",
                                   "-Atc", "SELECT current_database()"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.out, "ebap\n") << r.err;
}

// Item 4: one validation for every command; doctor --offline is no exception.
TEST(Cli, DoctorOfflineRejectsWhatEveryCommandRejects) {
    TempDir dir("cli");
    struct Case {
        std::string toml, env_name, env_value, expect;
    };
    const std::vector<Case> cases = {
        {"[redis]\nport = 99999\n", "", "", "c.toml:2: key 'redis.port' must be an integer"},
        {"[redis]\nport = -1\n", "", "", "c.toml:2: key 'redis.port'"},
        {"[redis]\nport = 6379.5\n", "", "", "c.toml:2: key 'redis.port'"},
        {"[kafka]\ntimeout_ms = -5\n", "", "", "c.toml:2: key 'kafka.timeout_ms'"},
        {"[worker]\nthreads = 0\n", "", "", "c.toml:2: key 'worker.threads'"},
        {"", "REDIS_PORT", "abc", "env REDIS_PORT: key 'redis.port' must be an integer"},
        {"[catalog]\nname = \"no-such-catalog\"\n", "", "", "unknown catalog 'no-such-catalog'"},
    };
    for (const auto& c : cases) {
        std::ofstream(dir.path() + "/c.toml") << c.toml;
        auto env = kIsolated;
        if (!c.env_name.empty()) env[c.env_name] = c.env_value;
        for (const std::vector<std::string>& cmd :
             {std::vector<std::string>{"doctor", "--offline"}, {"doctor", "--offline", "--json"},
              {"kpi"}, {"broker"}}) {
            std::vector<std::string> args = {"--config", dir.path() + "/c.toml"};
            args.insert(args.end(), cmd.begin(), cmd.end());
            auto r = run_cli(args, env, 20000);
            EXPECT_EQ(r.exit_code, 2) << c.toml << c.env_name << " " << cmd[0] << "\n" << r.err;
            EXPECT_NE(r.err.find(c.expect), std::string::npos) << r.err;
        }
    }
}

// Item 6: numeric and text options say what they want, once, for every command.
TEST(Cli, BadOptionValuesGetClearMessages) {
    const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
        {{"gen", "--eps", "abc"}, "--eps must be a number >= 0, got 'abc'"},
        {{"gen", "--eps", "nan"}, "--eps must be a number >= 0, got 'nan'"},
        {{"gen", "--eps", "inf"}, "--eps must be a number >= 0, got 'inf'"},
        {{"demo", "--refresh", "abc"}, "--refresh must be a positive number, got 'abc'"},
        {{"status", "--timeout", "nan"}, "--timeout must be a positive number, got 'nan'"},
        {{"status", "--timeout", "-4"}, "--timeout must be a positive number, got '-4'"},
        {{"gen", "--seed", "-1"}, "--seed must be an integer from 0 to 18446744073709551615"},
        {{"seed", "--seed", "-1"}, "--seed must be an integer from 0 to 18446744073709551615"},
        {{"gen", "--count", "-3"}, "--count must be an integer from 0 to"},
        {{"gen", "--duration", "-1"}, "--duration must be a number >= 0, got '-1'"},
        {{"demo", "--duration", "-1"}, "--duration must be a number >= 0, got '-1'"},
        {{"gen", "--users", "2.5"}, "--users must be an integer from 1 to 1000000000"},
        {{"lag", "--group", ""}, "--group must not be empty"},
        {{"worker", "--group", ""}, "--group must not be empty"},
        {{"broker", "--brokers", "100000"}, "--brokers must be an integer from 1 to 64"},
        {{"broker", "--brokers", "0"}, "--brokers must be an integer from 1 to 64"},
        {{"kpi", "--series", "-1"}, "--series must be an integer from 0 to 86400"},
    };
    for (const auto& [args, expect] : cases) {
        auto r = run_cli(args, kIsolated, 20000);
        EXPECT_EQ(r.exit_code, 2) << args[0] << " " << args[1] << "\n" << r.err;
        EXPECT_NE(r.err.find("ebapctl: " + expect), std::string::npos) << r.err;
        EXPECT_EQ(r.err.find("1797693"), std::string::npos) << r.err; // no 309-digit DBL_MAX
    }
    // Zero means "no limit" where documented: the help says so.
    auto help = run_cli({"gen", "--help"});
    EXPECT_NE(help.out.find("(default and 0: until Ctrl-C)"), std::string::npos) << help.out;
    EXPECT_NE(help.out.find("(default and 0: no limit)"), std::string::npos) << help.out;
}

// Item 7: a configuration file that is there but cannot be read says why.
TEST(Cli, UnreadableConfigFileSaysWhy) {
    TempDir dir("cli");
    auto d = run_cli({"--config", dir.path(), "doctor", "--offline"}, kIsolated);
    EXPECT_EQ(d.exit_code, 2);
    EXPECT_NE(d.err.find(dir.path() + ": cannot read configuration file: is a directory"),
              std::string::npos)
        << d.err;
    const std::string file = dir.path() + "/locked.toml";
    std::ofstream(file) << "[redis]\nport = 6379\n";
    chmod(file.c_str(), 0000);
    std::vector<std::string> argv = {EBAPCTL_BIN, "--config", file, "doctor", "--offline"};
    if (geteuid() == 0) {
        // Root reads any file: run the binary as nobody, for whom mode 0000 means EACCES.
        if (ebap::test::run_argv({"setpriv", "--help"}).exit_code != 0)
            GTEST_SKIP() << "running as root without setpriv: cannot provoke EACCES";
        argv.insert(argv.begin(), {"setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"});
    }
    auto p = ebap::test::run_argv(argv, kIsolated);
    EXPECT_EQ(p.exit_code, 2) << p.err;
    EXPECT_NE(p.err.find(file + ": cannot read configuration file: Permission denied"),
              std::string::npos)
        << p.err;
}

// Item 9: with --json a failing command still prints one JSON document on stdout.
TEST(Cli, JsonErrorsAreJsonDocumentsWithTheSameExitStatus) {
    const int dead = ebap::free_tcp_port();
    auto env = kIsolated;
    env["REDIS_HOST"] = "127.0.0.1";
    env["REDIS_PORT"] = std::to_string(dead);
    env["KAFKA_BOOTSTRAP_SERVERS"] = "127.0.0.1:" + std::to_string(dead);
    struct Case {
        std::vector<std::string> args;
        int code;
        std::string kind, command;
    };
    const std::vector<Case> cases = {
        {{"kpi", "--json"}, 1, "failure", "kpi"},
        {{"geo", "--json"}, 1, "failure", "geo"},
        {{"--json", "gen", "--eps", "abc"}, 2, "usage", ""},
        {{"--config", "/nonexistent/x.toml", "status", "--json"}, 2, "usage", "status"},
    };
    for (const auto& c : cases) {
        auto r = run_cli(c.args, env, 30000);
        EXPECT_EQ(r.exit_code, c.code) << r.err;
        json doc = json::parse(r.out, nullptr, false);
        ASSERT_TRUE(doc.is_object()) << c.args[0] << ": stdout '" << r.out << "'";
        EXPECT_EQ(doc["ok"], false);
        EXPECT_EQ(doc["error"]["code"], c.code);
        EXPECT_EQ(doc["error"]["kind"], c.kind);
        EXPECT_FALSE(doc["error"]["message"].get<std::string>().empty());
        if (c.command.empty())
            EXPECT_TRUE(doc["error"]["command"].is_null());
        else
            EXPECT_EQ(doc["error"]["command"], c.command);
    }
    // Without --json, stdout stays empty.
    EXPECT_EQ(run_cli({"kpi"}, env, 30000).out, "");
}

// Item 10: a URL's password never reaches the screen or a JSON document.
TEST(Cli, UrlCredentialsAreMaskedByDoctorAndStatus) {
    TempDir dir("cli");
    const int dead = ebap::free_tcp_port();
    auto env = kIsolated;
    env["EBAP_STATE_DIR"] = dir.path() + "/state";
    env["TRINO_URL"] = "http://admin:s3cr3t-pw@127.0.0.1:" + std::to_string(dead) + "/v1";
    for (const std::vector<std::string>& args :
         {std::vector<std::string>{"doctor"}, {"doctor", "--json"}, {"doctor", "--offline"}}) {
        auto r = run_cli(args, env);
        EXPECT_EQ(r.out.find("s3cr3t-pw"), std::string::npos) << r.out;
        EXPECT_EQ(r.err.find("s3cr3t-pw"), std::string::npos) << r.err;
        EXPECT_NE(r.out.find("http://admin:***@127.0.0.1:"), std::string::npos) << r.out;
    }
    // Endpoints of the configuration win over the catalog's: status shows TRINO_URL too.
    for (const std::vector<std::string>& args :
         {std::vector<std::string>{"status"}, {"status", "--json"}}) {
        auto r = run_cli(args, env);
        EXPECT_EQ(r.exit_code, 3) << r.err;
        if (args.size() == 2) { // the table has no endpoint column
            EXPECT_NE(r.out.find("admin:***@127.0.0.1:" + std::to_string(dead)),
                      std::string::npos)
                << r.out;
        }
        EXPECT_EQ(r.out.find("s3cr3t-pw"), std::string::npos) << r.out;
        EXPECT_EQ(r.err.find("s3cr3t-pw"), std::string::npos) << r.err;
    }
}

// Item 11: the --wait deadline bounds the probe round too. The probe would wait 600 s
// (its own timeout_ms); were the round not cut to what is left of --timeout 1, run_cli
// would kill the run at 60 s (exit_code -1) long before.
TEST(Cli, StatusWaitDeadlineBoundsTheRound) {
    TempDir dir("cli");
    auto env = kIsolated;
    env["EBAP_STATE_DIR"] = dir.path() + "/state";
    const std::string cat = dir.path() + "/slow.toml";
    std::ofstream(cat) << "[catalog]\nname = \"t\"\n\n[stacks.s]\ndriver = \"external\"\n\n"
                       << "[[service]]\nname = \"slow\"\nstack = \"s\"\nprobe = \"command\"\n"
                       << "command = [\"sleep\", \"600\"]\ntimeout_ms = 600000\n";
    auto r = run_cli({"--catalog", cat, "status", "--json", "--wait", "--timeout", "1"}, env);
    EXPECT_EQ(r.exit_code, 3) << r.out << r.err;
    json doc = json::parse(r.out, nullptr, false);
    ASSERT_TRUE(doc.is_object()) << r.out;
    EXPECT_GE(doc["wait"]["rounds"].get<int>(), 1);
    EXPECT_EQ(doc["wait"]["timed_out"], true);
    EXPECT_NE(doc["wait"]["reason"].get<std::string>().find("--timeout 1 s reached after"),
              std::string::npos)
        << doc.dump();
    EXPECT_NE(r.err.find("not UP: slow DOWN"), std::string::npos) << r.err;
}
