#include "support/pg_server.hpp"

#include "support/child_process.hpp"
#include "support/ports.hpp"

#include <libpq-fe.h>

#include <chrono>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <thread>

#include <pwd.h>
#include <unistd.h>

namespace ebap::test {
namespace fs = std::filesystem;

std::string pg_bindir() {
    std::string best;
    int best_version = -1;
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator("/usr/lib/postgresql", ec)) {
        std::string name = entry.path().filename().string();
        int version = std::atoi(name.c_str());
        if (version > best_version && fs::exists(entry.path() / "bin" / "initdb")) {
            best_version = version;
            best = (entry.path() / "bin").string();
        }
    }
    return best;
}

PgServer::PgServer(PgOptions opts) : dir_("pg"), opts_(std::move(opts)) {}

PgServer::~PgServer() {
    stop();
}

std::string PgServer::conninfo(const std::string& dbname) const {
    return "host=" + host() + " port=" + std::to_string(port_) + " user=" + user() +
           " dbname=" + dbname;
}

void PgServer::init_cluster() {
    std::string bindir = pg_bindir();
    if (bindir.empty())
        throw std::runtime_error("PostgreSQL is not installed (/usr/lib/postgresql/*/bin/initdb)");
    std::string run_as = server_user("postgres");
    if (!run_as.empty()) {
        passwd* pw = getpwnam(run_as.c_str());
        if (!pw) throw std::runtime_error("running as root but there is no 'postgres' user");
        if (chown(dir_.path().c_str(), pw->pw_uid, pw->pw_gid) != 0)
            throw std::runtime_error("cannot chown " + dir_.path() + " to postgres");
    }
    ChildOptions opts;
    opts.run_as_user = run_as;
    std::string out;
    int rc = run_child({bindir + "/initdb", "-D", data_dir(), "-A", "trust", "-U", user(), "-E",
                        "UTF8", "--locale=C", "--no-sync", "--no-instructions"},
                       &out, opts);
    if (rc != 0)
        throw std::runtime_error("initdb failed (exit " + std::to_string(rc) + "):\n" + out);

    // Appended lines win over initdb's defaults; the port is set per start attempt.
    std::ofstream conf(data_dir() + "/postgresql.conf", std::ios::app);
    conf << "\n# ebapctl test server\n"
         << "listen_addresses = '127.0.0.1'\n"
         << "unix_socket_directories = '" << socket_dir() << "'\n"
         << "wal_level = " << opts_.wal_level << "\n"
         << "max_replication_slots = 10\nmax_wal_senders = 10\n"
         << "fsync = off\nsynchronous_commit = off\nfull_page_writes = off\n"
         << "logging_collector = off\n";
    for (const auto& line : opts_.settings)
        conf << line << "\n";
    if (!conf) throw std::runtime_error("cannot write " + data_dir() + "/postgresql.conf");
}

bool PgServer::try_start(int timeout_ms, std::string& why) {
    port_ = free_port();
    ChildOptions opts;
    opts.run_as_user = server_user("postgres");
    opts.log_path = log_path();
    opts.parent_death_signal = SIGQUIT; // postmaster: immediate shutdown, children included
    pid_ = spawn_child({pg_bindir() + "/postgres", "-D", data_dir(), "-p", std::to_string(port_)},
                       opts);
    std::string ping = conninfo() + " connect_timeout=2";
    auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
    while (std::chrono::steady_clock::now() < deadline) {
        if (!child_running(pid_)) {
            pid_ = -1;
            why = "postgres exited during startup:\n" + file_tail(log_path());
            return false;
        }
        if (PQping(ping.c_str()) == PQPING_OK) return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    stop();
    why = "postgres did not accept connections within " + std::to_string(timeout_ms) + " ms:\n" +
          file_tail(log_path());
    return false;
}

void PgServer::start(int timeout_ms) {
    if (!fs::exists(data_dir() + "/PG_VERSION")) init_cluster();
    std::string why;
    for (int attempt = 0; attempt < 3; ++attempt)
        if (try_start(timeout_ms, why)) return;
    throw std::runtime_error(why);
}

void PgServer::stop() {
    if (pid_ <= 0) return;
    if (child_running(pid_)) {
        ChildOptions opts;
        opts.run_as_user = server_user("postgres");
        try {
            run_child(
                {pg_bindir() + "/pg_ctl", "-D", data_dir(), "-m", "fast", "-w", "-t", "20", "stop"},
                nullptr, opts, 30000);
        } catch (const std::exception&) {
            // fall through: the signal below still stops it
        }
    }
    stop_child(pid_, SIGQUIT, 5000); // reaps; only signals if pg_ctl did not finish the job
    pid_ = -1;
}

} // namespace ebap::test
