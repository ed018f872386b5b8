// The scripted surface as an operator meets it: exit statuses, --json, no
// colour off a terminal, doctor's provenance and secret masking, status --wait.
#include "core/embedded/local_servers.hpp"
#include "support/cli_run.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <arpa/inet.h>
#include <chrono>
#include <fcntl.h>
#include <fstream>
#include <map>
#include <netinet/in.h>
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
