#pragma once
// Blocking Redis client over hiredis 0.14 with deadlines on connect and on every
// command, so no caller can hang on a dead or wedged server.
//
// Failures of the connection (refused, timeout, AUTH, lost) throw ebap::Error
// "redis HOST:PORT: reason"; replies the server sends as errors (WRONGTYPE, ...)
// are returned as values of type Error so callers can decide what they mean.
// After a connection failure the next call reconnects once (never retrying the
// command that failed, which may have been applied); reconnect() forces it.
#include <cstddef>
#include <memory>
#include <string>
#include <vector>

struct redisContext;

namespace ebap {

class Config;

// An owned copy of one reply: valid after the client moves on or is destroyed.
struct RedisReply {
    enum class Type { Nil, Status, Error, Integer, String, Array };
    Type type = Type::Nil;
    std::string str;                  // Status, Error and String
    long long integer = 0;            // Integer
    std::vector<RedisReply> elements; // Array

    bool is_nil() const { return type == Type::Nil; }
    bool is_error() const { return type == Type::Error; }
    bool is_string() const { return type == Type::String; }
    bool is_array() const { return type == Type::Array; }
};

struct RedisOptions {
    std::string host = "localhost";
    int port = 6379;
    std::string password; // empty: no AUTH
    int connect_timeout_ms = 2000;
    int command_timeout_ms = 5000;

    // redis.host/port/password; redis.connect_timeout_ms and redis.timeout_ms
    // when the configuration knows them, otherwise the defaults above.
    static RedisOptions from_config(const Config& config);
};

class RedisClient {
  public:
    using Reply = RedisReply;

    // Connects (and authenticates) now; throws ebap::Error on failure.
    explicit RedisClient(RedisOptions options);
    explicit RedisClient(const Config& config);
    ~RedisClient();
    RedisClient(RedisClient&&) noexcept;
    RedisClient& operator=(RedisClient&&) noexcept;
    RedisClient(const RedisClient&) = delete;
    RedisClient& operator=(const RedisClient&) = delete;

    // One round trip; arguments are binary-safe.
    Reply command(const std::vector<std::string>& argv);

    // Pipelining: queue commands locally, then send them all and collect every
    // reply in order with one write burst and one read loop.
    void append(const std::vector<std::string>& argv);
    std::vector<Reply> flush();
    std::size_t pending() const { return pending_; }

    // Drops the current connection (and anything queued) and connects again.
    void reconnect();
    bool connected() const { return ctx_ != nullptr; }
    std::string endpoint() const; // "host:port", for messages
    const RedisOptions& options() const { return options_; }

  private:
    void connect();
    void ensure_connected();
    [[noreturn]] void fail(const std::string& reason);
    [[noreturn]] void fail_io();
    void append_raw(const std::vector<std::string>& argv);
    Reply read_one();

    struct ContextDeleter {
        void operator()(redisContext* c) const;
    };
    RedisOptions options_;
    std::unique_ptr<redisContext, ContextDeleter> ctx_;
    std::size_t pending_ = 0;
    std::vector<const char*> argv_ptrs_; // reused scratch for redisAppendCommandArgv
    std::vector<std::size_t> argv_lens_;
};

} // namespace ebap
