#include "core/embedded/local_servers.hpp"

#include "core/base/error.hpp"
#include "core/base/process.hpp"

#include <arpa/inet.h>
#include <chrono>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <netinet/in.h>
#include <pwd.h>
#include <sstream>
#include <sys/socket.h>
#include <thread>
#include <unistd.h>

namespace ebap {
namespace fs = std::filesystem;

int free_tcp_port() {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) throw Error("socket() failed");
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = 0;
    socklen_t len = sizeof a;
    if (bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
        getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) != 0) {
        close(fd);
        throw Error("cannot find a free port on 127.0.0.1");
    }
    int port = ntohs(a.sin_port);
    close(fd);
    return port;
}

bool wait_for_port(const std::string& host, int port, int timeout_ms) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
    do {
        int fd = socket(AF_INET, SOCK_STREAM, 0);
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_port = htons(static_cast<uint16_t>(port));
        inet_pton(AF_INET, host == "localhost" ? "127.0.0.1" : host.c_str(), &a.sin_addr);
        bool ok = connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
        close(fd);
        if (ok) return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    } while (std::chrono::steady_clock::now() < deadline);
    return false;
}

static std::string trimmed(const std::string& s) {
    const auto b = s.find_first_not_of(" \t\r\n");
    if (b == std::string::npos) return {};
    return s.substr(b, s.find_last_not_of(" \t\r\n") - b + 1);
}

static std::string tail_of(const std::string& path, std::size_t max_bytes = 1500) {
    std::ifstream in(path);
    std::stringstream ss;
    ss << in.rdbuf();
    std::string s = ss.str();
    return s.size() > max_bytes ? s.substr(s.size() - max_bytes) : s;
}

LocalRedis::LocalRedis(std::string dir, int port, std::string password)
    : dir_(std::move(dir)), port_(port ? port : free_tcp_port()), password_(std::move(password)) {}

LocalRedis::~LocalRedis() {
    stop();
}

void LocalRedis::start(int timeout_ms) {
    fs::create_directories(dir_);
    std::string log = dir_ + "/redis.log";
    std::vector<std::string> argv = {"redis-server",
                                     "--port",
                                     std::to_string(port_),
                                     "--bind",
                                     "127.0.0.1",
                                     "--save",
                                     "",
                                     "--appendonly",
                                     "no",
                                     "--dir",
                                     dir_,
                                     "--daemonize",
                                     "no"};
    if (!password_.empty()) argv.insert(argv.end(), {"--requirepass", password_});
    pid_ = spawn_process(argv, {.log_file = log});
    if (!wait_for_port("127.0.0.1", port_, timeout_ms) || !process_alive(pid_)) {
        stop();
        throw Error("redis-server did not start on port " + std::to_string(port_) + ":\n" +
                    tail_of(log));
    }
}

void LocalRedis::stop() {
    if (pid_ > 0) stop_process(pid_);
    pid_ = -1;
}

std::string postgres_bindir() {
    std::string best;
    std::error_code ec;
    for (const auto& e : fs::directory_iterator("/usr/lib/postgresql", ec)) {
        std::string bin = e.path().string() + "/bin";
        if (fs::exists(bin + "/initdb") && bin > best) best = bin;
    }
    return best;
}

LocalPostgres::LocalPostgres(std::string dir, int port)
    : dir_(std::move(dir)), port_(port ? port : free_tcp_port()) {}

LocalPostgres::~LocalPostgres() {
    stop();
}

std::string LocalPostgres::run_as() const {
    return geteuid() == 0 ? "postgres" : "";
}

std::string LocalPostgres::conninfo(const std::string& dbname) const {
    return "host=127.0.0.1 port=" + std::to_string(port_) + " user=postgres dbname=" + dbname +
           " connect_timeout=3";
}

void LocalPostgres::start(int timeout_ms) {
    std::string bindir = postgres_bindir();
    if (bindir.empty()) throw Error("PostgreSQL is not installed (no /usr/lib/postgresql/*/bin)");
    fs::create_directories(dir_);
    std::string user = run_as();
    if (!user.empty()) {
        passwd* pw = getpwnam(user.c_str());
        if (!pw) throw Error("system user 'postgres' is missing; install postgresql");
        if (chown(dir_.c_str(), pw->pw_uid, pw->pw_gid) != 0)
            throw Error("cannot hand " + dir_ + " to the postgres user");
        // The postgres user must be able to reach the directory.
        if (access(dir_.c_str(), X_OK) != 0) throw Error(dir_ + " is not reachable");
    }
    std::string data = dir_ + "/data";
    std::string log = dir_ + "/postgres.log";
    SpawnOptions as{.run_as = user};
    if (!fs::exists(data + "/PG_VERSION")) {
        auto r = run_process({bindir + "/initdb", "-D", data, "-U", "postgres", "--auth=trust",
                              "--no-sync", "-E", "UTF8"},
                             120000, as);
        if (r.exit_code != 0)
            throw Error("initdb failed in " + data + " (is " + dir_ +
                        " reachable by the postgres user?):\n" + r.output);
    }
    std::vector<std::string> argv = {bindir + "/postgres",
                                     "-D",
                                     data,
                                     "-p",
                                     std::to_string(port_),
                                     "-k",
                                     dir_,
                                     "-c",
                                     "listen_addresses=127.0.0.1",
                                     "-c",
                                     "wal_level=logical",
                                     "-c",
                                     "max_replication_slots=8",
                                     "-c",
                                     "max_wal_senders=8",
                                     "-c",
                                     "fsync=off"};
    // Fast shutdown (SIGINT) also when we die: no cluster outlives the process that owns it.
    SpawnOptions opts{.run_as = user, .log_file = log, .death_signal = SIGINT};
    pid_ = spawn_process(argv, opts);
    auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
    for (;;) {
        auto r = run_process({bindir + "/psql", "-h", dir_, "-p", std::to_string(port_), "-U",
                              "postgres", "-d", "postgres", "-Atc", "SELECT 1"},
                             5000, as);
        if (r.exit_code == 0) break;
        if (!process_alive(pid_) || std::chrono::steady_clock::now() > deadline) {
            stop();
            throw Error("PostgreSQL did not start on port " + std::to_string(port_) + ":\n" +
                        tail_of(log));
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    // psql's warnings (e.g. "could not change directory to ...") go to stderr: only the
    // query's value on stdout decides.
    auto exists = run_process({bindir + "/psql", "-X", "-h", dir_, "-p", std::to_string(port_),
                               "-U", "postgres", "-d", "postgres", "-Atc",
                               "SELECT 1 FROM pg_database WHERE datname='ebap'"},
                              10000, as, /*split_stderr=*/true);
    if (exists.exit_code != 0) {
        stop();
        throw Error("cannot check for database ebap on port " + std::to_string(port_) + ":\n" +
                    exists.output + exists.err);
    }
    if (trimmed(exists.output) != "1") {
        auto created = run_process({bindir + "/createdb", "-h", dir_, "-p",
                                    std::to_string(port_), "-U", "postgres", "ebap"},
                                   30000, as);
        if (created.exit_code != 0) {
            stop();
            throw Error("createdb ebap failed on port " + std::to_string(port_) +
                        (created.timed_out ? " (timed out)" : "") + ":\n" + created.output);
        }
    }
}

void LocalPostgres::stop() {
    // SIGTERM on the postmaster is PostgreSQL's "smart" shutdown; SIGINT is "fast".
    if (pid_ > 0) {
        kill(pid_, SIGINT);
        stop_process(pid_, 15000);
    }
    pid_ = -1;
}

} // namespace ebap
