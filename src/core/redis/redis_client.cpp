#include "core/redis/redis_client.hpp"

#include "core/config/config.hpp"
#include "core/base/error.hpp"

#include <hiredis/hiredis.h>

#include <cerrno>
#include <csignal>
#include <cstring>
#include <mutex>
#include <sys/time.h>

namespace ebap {

namespace {

timeval to_timeval(int ms) {
    if (ms < 1) ms = 1;
    timeval tv{};
    tv.tv_sec = ms / 1000;
    tv.tv_usec = (ms % 1000) * 1000;
    return tv;
}

RedisReply convert(const redisReply* r) {
    RedisReply out;
    switch (r->type) {
    case REDIS_REPLY_STATUS:
        out.type = RedisReply::Type::Status;
        break;
    case REDIS_REPLY_ERROR:
        out.type = RedisReply::Type::Error;
        break;
    case REDIS_REPLY_STRING:
        out.type = RedisReply::Type::String;
        break;
    case REDIS_REPLY_INTEGER:
        out.type = RedisReply::Type::Integer;
        out.integer = r->integer;
        return out;
    case REDIS_REPLY_ARRAY:
        out.type = RedisReply::Type::Array;
        out.elements.reserve(r->elements);
        for (std::size_t i = 0; i < r->elements; ++i)
            out.elements.push_back(convert(r->element[i]));
        return out;
    default:
        return out; // REDIS_REPLY_NIL
    }
    out.str.assign(r->str, r->len);
    return out;
}

struct ReplyFree {
    void operator()(void* r) const { freeReplyObject(r); }
};

// hiredis writes with write(2): a peer that closed the socket would raise SIGPIPE and
// kill the whole console. Ignore it (unless the program installed its own handler)
// so the write fails with EPIPE and surfaces as "connection lost".
void ignore_sigpipe_once() {
    static std::once_flag once;
    std::call_once(once, [] {
        struct sigaction current {};
        if (sigaction(SIGPIPE, nullptr, &current) == 0 && current.sa_handler == SIG_DFL)
            std::signal(SIGPIPE, SIG_IGN);
    });
}

long optional_num(const Config& config, const char* key, long fallback) {
    return config.values().count(key) ? config.num(key) : fallback;
}

} // namespace

RedisOptions RedisOptions::from_config(const Config& config) {
    RedisOptions o;
    o.host = config.str("redis.host");
    long port = config.num("redis.port");
    if (port < 1 || port > 65535)
        throw UsageError(config.value("redis.port").origin + ": redis.port must be 1-65535, got " +
                         std::to_string(port));
    o.port = static_cast<int>(port);
    o.password = config.str("redis.password");
    o.connect_timeout_ms =
        static_cast<int>(optional_num(config, "redis.connect_timeout_ms", o.connect_timeout_ms));
    o.command_timeout_ms =
        static_cast<int>(optional_num(config, "redis.timeout_ms", o.command_timeout_ms));
    return o;
}

void RedisClient::ContextDeleter::operator()(redisContext* c) const {
    redisFree(c);
}

RedisClient::RedisClient(RedisOptions options) : options_(std::move(options)) {
    connect();
}
RedisClient::RedisClient(const Config& config) : RedisClient(RedisOptions::from_config(config)) {}
RedisClient::~RedisClient() = default;
RedisClient::RedisClient(RedisClient&&) noexcept = default;
RedisClient& RedisClient::operator=(RedisClient&&) noexcept = default;

std::string RedisClient::endpoint() const {
    return options_.host + ":" + std::to_string(options_.port);
}

void RedisClient::fail(const std::string& reason) {
    ctx_.reset();
    pending_ = 0;
    throw Error("redis " + endpoint() + ": " + reason);
}

void RedisClient::fail_io() {
    // hiredis fills errstr from strerror(errno) on I/O errors; match on it rather
    // than on errno, which later calls may have changed.
    std::string reason = ctx_ && ctx_->errstr[0] ? ctx_->errstr : "I/O error";
    bool io = ctx_ && ctx_->err == REDIS_ERR_IO;
    if (ctx_ && ctx_->err == REDIS_ERR_EOF) {
        reason = "connection lost (server closed the connection)";
    } else if (io && (reason == std::strerror(EAGAIN) || reason == std::strerror(EWOULDBLOCK))) {
        reason = "no reply within " + std::to_string(options_.command_timeout_ms) +
                 " ms (command timeout)";
    } else if (io && (reason == std::strerror(EPIPE) || reason == std::strerror(ECONNRESET))) {
        reason = "connection lost (" + reason + ")";
    } else if (ctx_ && ctx_->err == REDIS_ERR_PROTOCOL) {
        reason = "not a Redis server? (" + reason + ")";
    }
    fail(reason);
}

void RedisClient::connect() {
    ignore_sigpipe_once();
    ctx_.reset();
    pending_ = 0;
    redisContext* c = redisConnectWithTimeout(options_.host.c_str(), options_.port,
                                              to_timeval(options_.connect_timeout_ms));
    if (!c) fail("cannot allocate a connection");
    ctx_.reset(c);
    if (c->err) {
        std::string reason = c->errstr;
        if (reason == "Connection timed out" || reason == std::strerror(ETIMEDOUT))
            reason =
                "connect timed out after " + std::to_string(options_.connect_timeout_ms) + " ms";
        fail(reason);
    }
    if (redisSetTimeout(c, to_timeval(options_.command_timeout_ms)) != REDIS_OK)
        fail("cannot set the command timeout");
    // One round trip proves the server answers and turns NOAUTH into a clear message
    // here instead of a confusing error on the first real command.
    if (!options_.password.empty()) {
        append_raw({"AUTH", options_.password});
        Reply r = read_one();
        if (r.is_error()) fail("AUTH failed: " + r.str);
    } else {
        append_raw({"PING"});
        Reply r = read_one();
        if (r.is_error()) {
            if (r.str.rfind("NOAUTH", 0) == 0)
                fail("the server requires a password (set redis.password or REDIS_PASSWORD)");
            fail("PING failed: " + r.str);
        }
    }
}

void RedisClient::reconnect() {
    connect();
}

void RedisClient::ensure_connected() {
    if (!ctx_) connect();
}

void RedisClient::append_raw(const std::vector<std::string>& argv) {
    argv_ptrs_.clear();
    argv_lens_.clear();
    for (const auto& a : argv) {
        argv_ptrs_.push_back(a.data());
        argv_lens_.push_back(a.size());
    }
    if (redisAppendCommandArgv(ctx_.get(), static_cast<int>(argv.size()), argv_ptrs_.data(),
                               argv_lens_.data()) != REDIS_OK)
        fail_io();
    ++pending_;
}

RedisReply RedisClient::read_one() {
    void* raw = nullptr;
    if (redisGetReply(ctx_.get(), &raw) != REDIS_OK || !raw) fail_io();
    std::unique_ptr<void, ReplyFree> owned(raw);
    --pending_;
    return convert(static_cast<const redisReply*>(raw));
}

RedisReply RedisClient::command(const std::vector<std::string>& argv) {
    if (argv.empty()) throw Error("internal: empty Redis command");
    if (pending_ > 0)
        throw Error("internal: Redis command() with " + std::to_string(pending_) +
                    " pipelined commands pending; flush() first");
    ensure_connected();
    append_raw(argv);
    return read_one();
}

void RedisClient::append(const std::vector<std::string>& argv) {
    if (argv.empty()) throw Error("internal: empty Redis command");
    ensure_connected();
    append_raw(argv);
}

std::vector<RedisReply> RedisClient::flush() {
    std::vector<Reply> replies;
    replies.reserve(pending_);
    // The first redisGetReply writes the whole output buffer, the rest only read.
    while (pending_ > 0)
        replies.push_back(read_one());
    return replies;
}

} // namespace ebap
