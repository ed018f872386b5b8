#pragma once
// A real PostgreSQL cluster for one test: initdb in a unique temp directory
// (as the postgres user when we are root: initdb refuses root), trust auth,
// 127.0.0.1 on a random port plus a unix socket in the temp directory,
// wal_level=logical by default. The destructor stops it (pg_ctl stop) and
// deletes the directory; if the test process dies the server gets SIGQUIT.
#include "support/temp_dir.hpp"

#include <string>
#include <sys/types.h>
#include <vector>

namespace ebap::test {

struct PgOptions {
    std::string wal_level = "logical";
    std::vector<std::string> settings; // extra postgresql.conf lines, e.g. "max_connections = 20"
};

class PgServer {
  public:
    explicit PgServer(PgOptions opts = {});
    ~PgServer();
    PgServer(const PgServer&) = delete;
    PgServer& operator=(const PgServer&) = delete;

    // initdb + start, polled until it accepts connections; throws std::runtime_error with the log
    // tail.
    void start(int timeout_ms = 60000);
    void stop();
    int port() const { return port_; }
    std::string host() const { return "127.0.0.1"; }
    std::string endpoint() const { return host() + ":" + std::to_string(port_); }
    std::string user() const { return "postgres"; } // the bootstrap superuser
    std::string socket_dir() const { return dir_.path(); }
    std::string data_dir() const { return dir_.file("data"); }
    std::string log_path() const { return dir_.file("postgres.log"); }
    // libpq conninfo over TCP, e.g. "host=127.0.0.1 port=54321 user=postgres dbname=postgres".
    std::string conninfo(const std::string& dbname = "postgres") const;

  private:
    void init_cluster();
    bool try_start(int timeout_ms, std::string& why);
    TempDir dir_;
    PgOptions opts_;
    int port_ = 0;
    pid_t pid_ = -1;
};

// /usr/lib/postgresql/<newest>/bin (Debian layout), or "" when absent.
std::string pg_bindir();

} // namespace ebap::test
