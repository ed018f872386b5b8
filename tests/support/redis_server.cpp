#include "support/redis_server.hpp"

#include "support/child_process.hpp"
#include "support/ports.hpp"

#include <hiredis/hiredis.h>

#include <chrono>
#include <csignal>
#include <stdexcept>
#include <thread>

namespace ebap::test {
namespace {

// Up once it answers PING (NOAUTH also proves it is serving).
bool answers_ping(int port) {
    redisContext* c = redisConnectWithTimeout("127.0.0.1", port, timeval{0, 200000});
    bool ok = false;
    if (c && !c->err) {
        auto* r = static_cast<redisReply*>(redisCommand(c, "PING"));
        ok = r && (r->type == REDIS_REPLY_STATUS ||
                   (r->type == REDIS_REPLY_ERROR && std::string(r->str).rfind("NOAUTH", 0) == 0));
        if (r) freeReplyObject(r);
    }
    if (c) redisFree(c);
    return ok;
}

} // namespace

RedisServer::RedisServer(std::vector<std::string> extra_args)
    : dir_("redis"), extra_args_(std::move(extra_args)) {}

RedisServer::~RedisServer() {
    stop();
}

bool RedisServer::try_start(int timeout_ms, std::string& why) {
    port_ = free_port();
    std::vector<std::string> argv{
        "redis-server", "--port", std::to_string(port_), "--bind", "127.0.0.1", "--save",   "",
        "--appendonly", "no",     "--daemonize",         "no",     "--dir",     dir_.path()};
    argv.insert(argv.end(), extra_args_.begin(), extra_args_.end());
    ChildOptions opts;
    opts.log_path = log_path();
    opts.parent_death_signal = SIGKILL;
    pid_ = spawn_child(argv, opts);
    auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
    while (std::chrono::steady_clock::now() < deadline) {
        if (!child_running(pid_)) {
            pid_ = -1;
            why = "redis-server exited during startup:\n" + file_tail(log_path());
            return false;
        }
        if (answers_ping(port_)) return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    stop();
    why = "redis-server did not answer PING within " + std::to_string(timeout_ms) + " ms:\n" +
          file_tail(log_path());
    return false;
}

void RedisServer::start(int timeout_ms) {
    std::string why;
    // A fresh port per attempt: another process may grab the one free_port() saw.
    for (int attempt = 0; attempt < 3; ++attempt)
        if (try_start(timeout_ms, why)) return;
    throw std::runtime_error(why);
}

void RedisServer::stop() {
    if (pid_ > 0) stop_child(pid_, SIGTERM, 3000);
    pid_ = -1;
}

} // namespace ebap::test
