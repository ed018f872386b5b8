// redis probe: connect (with timeout), AUTH when a password is set, PING, INFO
// -> "mem 1.2M, 350 ops/s, 3 clients". A refused login (-WRONGPASS to AUTH, -NOAUTH to
// PING) is DEGRADED: the server is up, our credentials are not.
#include "core/probe/probe_kinds.hpp"

#include <fmt/format.h>
#include <hiredis/hiredis.h>

#include <algorithm>
#include <map>
#include <memory>
#include <sys/time.h>

namespace ebap::probe_detail {
namespace {

struct ContextFree {
    void operator()(redisContext* c) const { redisFree(c); }
};
struct ReplyFree {
    void operator()(redisReply* r) const { freeReplyObject(r); }
};
using Context = std::unique_ptr<redisContext, ContextFree>;
using Reply = std::unique_ptr<redisReply, ReplyFree>;

timeval to_timeval(int ms) {
    ms = std::max(ms, 1);
    return timeval{ms / 1000, (ms % 1000) * 1000};
}

// hiredis reports timeouts as the errno text of the failed socket call.
std::string io_error(const redisContext* c, int timeout_ms) {
    std::string text = c ? c->errstr : "cannot allocate a redis context";
    if (text.find("timed out") != std::string::npos ||
        text.find("temporarily unavailable") != std::string::npos)
        return no_answer(timeout_ms);
    if (text.find("refused") != std::string::npos) return "connection refused";
    return text;
}

std::map<std::string, std::string> parse_info(const std::string& text) {
    std::map<std::string, std::string> fields;
    std::size_t pos = 0;
    while (pos < text.size()) {
        std::size_t end = text.find('\n', pos);
        if (end == std::string::npos) end = text.size();
        std::string line = text.substr(pos, end - pos);
        if (!line.empty() && line.back() == '\r') line.pop_back();
        if (auto colon = line.find(':'); colon != std::string::npos && line[0] != '#')
            fields[line.substr(0, colon)] = line.substr(colon + 1);
        pos = end + 1;
    }
    return fields;
}

std::string field(const std::map<std::string, std::string>& f, const char* key) {
    auto it = f.find(key);
    return it == f.end() ? "?" : it->second;
}

} // namespace

ProbeResult probe_redis(const ProbeSpec& spec, const ProbeOptions& opts, int timeout_ms) {
    const auto start = Clock::now();
    const auto deadline = start + std::chrono::milliseconds(timeout_ms);
    HostPort hp = parse_host_port(spec.endpoint, 6379);
    Context c(hp.host[0] == '/'
                  ? redisConnectUnixWithTimeout(hp.host.c_str(), to_timeval(timeout_ms))
                  : redisConnectWithTimeout(hp.host.c_str(), hp.port, to_timeval(timeout_ms)));
    if (!c || c->err) return finish(Health::Down, io_error(c.get(), timeout_ms), start);

    auto command = [&](const char* fmt_str, auto... args) -> Reply {
        redisSetTimeout(c.get(), to_timeval(remaining_ms(deadline)));
        return Reply(static_cast<redisReply*>(redisCommand(c.get(), fmt_str, args...)));
    };

    if (!opts.redis_password.empty()) {
        Reply r = command("AUTH %s", opts.redis_password.c_str());
        if (!r) return finish(Health::Down, io_error(c.get(), timeout_ms), start);
        if (r->type == REDIS_REPLY_ERROR)
            return auth_failed(std::string(r->str, r->len), start); // WRONGPASS, ERR ...
    }
    Reply pong = command("PING");
    if (!pong) return finish(Health::Down, io_error(c.get(), timeout_ms), start);
    if (pong->type == REDIS_REPLY_ERROR) {
        std::string err(pong->str, pong->len);
        if (err.rfind("LOADING", 0) == 0)
            return finish(Health::Degraded, "loading its dataset into memory", start);
        if (err.rfind("NOAUTH", 0) == 0) return auth_failed(err + " (set REDIS_PASSWORD)", start);
        return finish(Health::Down, "PING: " + err, start);
    }
    Reply info = command("INFO");
    if (!info) return finish(Health::Down, io_error(c.get(), timeout_ms), start);
    if (info->type != REDIS_REPLY_STRING)
        return finish(Health::Degraded,
                      "PING ok but INFO failed" +
                          (info->str ? ": " + std::string(info->str, info->len) : ""),
                      start);

    auto f = parse_info(std::string(info->str, info->len));
    std::string clients = field(f, "connected_clients");
    std::string detail =
        fmt::format("mem {}, {} ops/s, {} client{}", field(f, "used_memory_human"),
                    field(f, "instantaneous_ops_per_sec"), clients, clients == "1" ? "" : "s");
    if (field(f, "role") == "slave") {
        if (field(f, "master_link_status") == "down")
            return finish(Health::Degraded, "replica with its master link down; " + detail, start);
        detail += ", replica";
    }
    return finish(Health::Up, detail, start);
}

} // namespace ebap::probe_detail
