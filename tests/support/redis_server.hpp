#pragma once
// A real redis-server on 127.0.0.1 and a random port, for one test. No
// persistence; killed (and its directory removed) by the destructor, and by the
// kernel if the test process dies first.
#include "support/temp_dir.hpp"

#include <string>
#include <sys/types.h>
#include <vector>

namespace ebap::test {

class RedisServer {
  public:
    // extra_args are appended to the command line, e.g. {"--requirepass", "s3cret"}.
    explicit RedisServer(std::vector<std::string> extra_args = {});
    ~RedisServer();
    RedisServer(const RedisServer&) = delete;
    RedisServer& operator=(const RedisServer&) = delete;

    // Starts and polls until it answers PING; throws std::runtime_error with the log tail.
    void start(int timeout_ms = 10000);
    void stop();
    int port() const { return port_; }
    std::string host() const { return "127.0.0.1"; }
    std::string endpoint() const { return host() + ":" + std::to_string(port_); }
    pid_t pid() const { return pid_; }
    std::string log_path() const { return dir_.file("redis.log"); }

  private:
    bool try_start(int timeout_ms, std::string& why);
    TempDir dir_;
    std::vector<std::string> extra_args_;
    int port_ = 0;
    pid_t pid_ = -1;
};

} // namespace ebap::test
