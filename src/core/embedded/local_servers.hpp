#pragma once
// Real redis-server and PostgreSQL processes on loopback, owned by this
// process: the embedded default of `ebapctl demo` (and reusable by tests).
#include <string>
#include <sys/types.h>

namespace ebap {

// A free TCP port on 127.0.0.1 (bound then released).
int free_tcp_port();
// True once host:port accepts a TCP connection within timeout_ms.
bool wait_for_port(const std::string& host, int port, int timeout_ms);

class LocalRedis {
  public:
    // dir: working directory for its log; port 0 picks a free one.
    explicit LocalRedis(std::string dir, int port = 0, std::string password = {});
    ~LocalRedis();
    LocalRedis(const LocalRedis&) = delete;
    LocalRedis& operator=(const LocalRedis&) = delete;
    void start(int timeout_ms = 10000); // throws Error with the log tail on failure
    void stop();
    int port() const { return port_; }
    pid_t pid() const { return pid_; }

  private:
    std::string dir_;
    int port_;
    std::string password_;
    pid_t pid_ = -1;
};

// A throwaway cluster: initdb under dir (as the postgres user when we are
// root, since initdb refuses root), wal_level=logical, loopback only.
class LocalPostgres {
  public:
    explicit LocalPostgres(std::string dir, int port = 0);
    ~LocalPostgres();
    LocalPostgres(const LocalPostgres&) = delete;
    LocalPostgres& operator=(const LocalPostgres&) = delete;
    void start(int timeout_ms = 60000); // initdb if needed, start, create database "ebap"
    void stop();
    int port() const { return port_; }
    pid_t pid() const { return pid_; }
    const std::string& dir() const { return dir_; }
    std::string conninfo(const std::string& dbname = "ebap") const;

  private:
    std::string run_as() const;
    std::string dir_;
    int port_;
    pid_t pid_ = -1;
};

// /usr/lib/postgresql/<newest>/bin, or empty when PostgreSQL is not installed.
std::string postgres_bindir();

} // namespace ebap
