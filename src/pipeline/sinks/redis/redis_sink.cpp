#include "pipeline/sinks/redis/redis_sink.hpp"

#include "core/redis/keys.hpp"

#include "core/base/error.hpp"
#include "pipeline/sinks/redis/redis_batch.hpp"

#include <algorithm>
#include <charconv>
#include <climits>
#include <cstring>
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <random>
#include <unistd.h>

namespace ebap::pipeline {

using namespace redis_detail;

namespace {
constexpr std::size_t kWindowsRemembered = 8;
// EXEC attempts when claims of other partitions keep changing the watched owners hash
// (each is a rebalance somewhere in the group: rare, so a few tries are plenty).
constexpr int kWatchAttempts = 5;

// The owners-hash fields of the partitions a batch commits.
std::set<std::string> claim_fields(const std::map<TopicPartition, StoredPosition>& positions,
                                   const std::map<TopicPartition, std::int64_t>& cold_positions) {
    std::set<std::string> fields;
    for (const auto& [tp, pos] : positions)
        fields.insert(offset_field(tp));
    for (const auto& [tp, next] : cold_positions)
        fields.insert(offset_field(tp));
    return fields;
}

std::string make_token() {
    char host[256] = {};
    if (gethostname(host, sizeof host - 1) != 0) std::strcpy(host, "host");
    std::random_device rd;
    return fmt::format("{}:{}:{:08x}{:08x}", host, getpid(), rd(), rd());
}
} // namespace

std::string offset_field(const TopicPartition& tp) {
    return tp.topic + ":" + std::to_string(tp.partition);
}
std::string maxts_field(const TopicPartition& tp) {
    return offset_field(tp) + ":maxts";
}

std::string cold_field(const TopicPartition& tp) {
    return offset_field(tp) + ":cold";
}

RedisSink::RedisSink(RedisClient& client, std::string prefix, std::string group)
    : client_(client), prefix_(std::move(prefix)), group_(std::move(group)), token_(make_token()) {
    if (group_.empty()) throw UsageError("worker.group must not be empty");
}

void RedisSink::claim(const std::vector<TopicPartition>& partitions) {
    claimed_ = false;
    if (partitions.empty()) return;
    std::vector<std::string> argv{"HSET", owners_key()};
    for (const auto& tp : partitions) {
        argv.push_back(offset_field(tp));
        argv.push_back(token_);
    }
    const RedisReply r = client_.command(argv);
    if (r.is_error()) {
        const std::string what = fmt::format("redis {}: cannot claim partitions in {}: {}",
                                             client_.endpoint(), owners_key(), r.str);
        for (std::string_view p : {"OOM", "LOADING", "BUSY", "TRYAGAIN", "MASTERDOWN"})
            if (std::string_view(r.str).starts_with(p)) throw RefusedForNowError(what);
        throw Error(what);
    }
    claimed_ = true;
}

void RedisSink::verify_claims(const std::vector<TopicPartition>& partitions) {
    if (!claimed_ || partitions.empty()) return;
    std::set<std::string> fields;
    for (const auto& tp : partitions)
        fields.insert(offset_field(tp));
    check_claims(fields, false);
}

void RedisSink::verify_claims(const std::map<TopicPartition, StoredPosition>& positions,
                              const std::map<TopicPartition, std::int64_t>& cold_positions) {
    if (claimed_ && (!positions.empty() || !cold_positions.empty()))
        check_claims(claim_fields(positions, cold_positions), false);
}

void RedisSink::check_claims(const std::set<std::string>& fields, bool watch) {
    const std::string key = owners_key();
    std::vector<std::string> argv{"HMGET", key};
    argv.insert(argv.end(), fields.begin(), fields.end());
    const std::string where = "redis " + client_.endpoint() + ": ownership check";
    RedisReply owners;
    if (watch) {
        client_.append({"WATCH", key});
        client_.append(argv);
        std::vector<RedisReply> replies = client_.flush();
        if (replies.size() != 2 || replies[0].is_error())
            throw Error(fmt::format("{}: cannot WATCH {}: {}", where, key,
                                    replies.empty() ? "no reply" : replies[0].str));
        owners = std::move(replies[1]);
    } else {
        owners = client_.command(argv);
    }
    if (!owners.is_array() || owners.elements.size() != fields.size()) {
        if (watch) client_.command({"UNWATCH"});
        throw Error(fmt::format("{}: cannot read {}: {}", where, key,
                                owners.is_error() ? owners.str : "unexpected reply"));
    }
    std::vector<std::string> lost;
    auto field = fields.begin();
    for (const RedisReply& owner : owners.elements) {
        if (owner.str != token_)
            lost.push_back(*field + " (" + (owner.is_nil() ? "nobody" : owner.str) + ")");
        ++field;
    }
    if (lost.empty()) return;
    if (watch) client_.command({"UNWATCH"});
    throw FencedError(fmt::format("{}: refused, partitions claimed by another worker since: {}",
                                  where, fmt::join(lost, ", ")));
}

std::map<TopicPartition, StoredPosition>
RedisSink::load_offsets(const std::vector<std::string>& topics) {
    const std::string key = offsets_key();
    const RedisReply r = client_.command({"HGETALL", key});
    if (r.is_error())
        throw Error(fmt::format("redis {}: cannot read stored offsets {}: {}", client_.endpoint(),
                                key, r.str));
    std::map<TopicPartition, StoredPosition> offsets;
    std::map<TopicPartition, std::int64_t> maxts, cold;
    for (const auto& [field, value] : as_hash(r)) {
        std::string_view f = field;
        const bool is_maxts = f.ends_with(":maxts");
        const bool is_cold = f.ends_with(":cold");
        if (is_maxts) f.remove_suffix(6);
        if (is_cold) f.remove_suffix(5);
        const auto colon = f.rfind(':');
        if (colon == std::string_view::npos) continue; // not a partition field
        const auto partition = parse_int(f.substr(colon + 1));
        if (!partition || *partition < 0 || *partition > INT32_MAX) continue;
        TopicPartition tp{std::string(f.substr(0, colon)), static_cast<std::int32_t>(*partition)};
        if (!topics.empty() && std::find(topics.begin(), topics.end(), tp.topic) == topics.end())
            continue;
        const auto v = parse_int(value);
        if (!v)
            throw Error(fmt::format("redis {}: {} field {} holds '{}', not an integer; fix or "
                                    "delete it before starting the workers",
                                    client_.endpoint(), key, field, value));
        if (is_maxts)
            maxts[tp] = *v;
        else if (is_cold)
            cold[tp] = *v;
        else
            offsets[tp].next_offset = *v;
    }
    // A maxts without its offset is not a position (both are written by one HSET).
    for (auto& [tp, pos] : offsets) {
        if (auto it = maxts.find(tp); it != maxts.end()) pos.max_ts = it->second;
        if (auto it = cold.find(tp); it != cold.end()) pos.cold_next = it->second;
    }
    return offsets;
}

void RedisSink::commit_batch(const BatchDelta& delta,
                             const std::map<TopicPartition, StoredPosition>& positions,
                             const std::map<TopicPartition, std::int64_t>& cold_positions,
                             const std::vector<std::vector<std::string>>& extra) {
    if (client_.pending() > 0)
        throw Error("internal: RedisSink::commit_batch with pipelined commands pending");
    const bool fenced = claimed_ && (!positions.empty() || !cold_positions.empty());
    const std::string where = "redis " + client_.endpoint() + ": hot-path commit";
    for (int attempt = 1;; ++attempt) {
        // The WATCH and the EXEC travel on this one connection: RedisClient reconnects only
        // on the next call after a failure, and a failure throws out of this attempt.
        if (fenced) {
            check_claims(claim_fields(positions, cold_positions), true);
            if (after_check_for_testing) after_check_for_testing();
        }
        RedisBatch b(client_);
        append_transaction(b, delta, positions, cold_positions, extra);
        const std::vector<RedisReply> replies = client_.flush();
        if (replies.size() != b.size())
            throw Error(
                fmt::format("{}: {} replies for {} commands", where, replies.size(), b.size()));
        std::string queue_error;
        for (std::size_t i = 0; i + 1 < replies.size() && queue_error.empty(); ++i)
            if (replies[i].is_error()) queue_error = b.label(i) + ": " + replies[i].str;
        const RedisReply& exec = replies.back();
        if (exec.is_error())
            throw Error(fmt::format("{} discarded, nothing applied ({}){}", where, exec.str,
                                    queue_error.empty() ? "" : "; first refused: " + queue_error));
        if (exec.is_nil()) {
            // With fencing on, a claim changed the owners hash after the check: check again.
            if (fenced && attempt < kWatchAttempts) continue;
            throw Error(where + (fenced
                                     ? " aborted: partition claims kept changing, nothing applied"
                                     : " aborted by the server, nothing applied"));
        }
        if (!exec.is_array() || exec.elements.size() + 2 != b.size())
            throw Error(where + ": unexpected EXEC reply");
        for (std::size_t i = 0; i < exec.elements.size(); ++i)
            if (exec.elements[i].is_error())
                throw Error(fmt::format(
                    "{}: {} failed: {} -- the other commands of the batch were applied (Redis "
                    "has no rollback); something else wrote this key: delete it, then restart",
                    where, b.label(i + 1), exec.elements[i].str));
        break;
    }
    for (const auto& [start, w] : delta.windows)
        written_windows_.insert(start);
    while (written_windows_.size() > kWindowsRemembered)
        written_windows_.erase(written_windows_.begin());
}

void RedisSink::append_transaction(RedisBatch& b, const BatchDelta& delta,
                                   const std::map<TopicPartition, StoredPosition>& positions,
                                   const std::map<TopicPartition, std::int64_t>& cold_positions,
                                   const std::vector<std::vector<std::string>>& extra) {
    const std::string ttl = std::to_string(kWindowTtlS);
    const std::string index = RedisKeys(prefix_).window_index();
    b.add({"MULTI"});
    for (const auto& argv : extra)
        b.add(argv);

    std::set<std::string_view> regions;
    std::int64_t newest = INT64_MIN;
    for (const auto& [start, w] : delta.windows) {
        const std::string ws = std::to_string(start);
        const std::string key = RedisKeys(prefix_).window_1m(start);
        b.add({"HINCRBY", key, "events", std::to_string(w.events)});
        b.add({"HINCRBY", key, "purchases", std::to_string(w.purchases)});
        b.add({"HINCRBY", key, "errors", std::to_string(w.errors)});
        b.add({"HINCRBYFLOAT", key, "revenue", num(w.revenue)});
        for (std::size_t t = 0; t < kEventTypeCount; ++t)
            if (w.by_type[t] != 0)
                b.add({"HINCRBY", key,
                       fmt::format("type:{}", event_type_name(static_cast<EventType>(t))),
                       std::to_string(w.by_type[t])});
        b.add({"EXPIRE", key, ttl});
        if (!w.users.ids().empty()) {
            b.pfadd(key + ":users", w.users.ids());
            b.add({"EXPIRE", key + ":users", ttl});
        }
        for (const auto& [name, r] : w.regions) {
            regions.insert(name);
            const std::string rkey = key + ":region:" + name;
            b.add({"HINCRBY", rkey, "events", std::to_string(r.events)});
            b.add({"HINCRBY", rkey, "errors", std::to_string(r.errors)});
            b.add({"HINCRBYFLOAT", rkey, "revenue", num(r.revenue)});
            for (std::size_t i = 0; i < kLatencyBucketCount; ++i)
                if (r.latency[i] != 0)
                    b.add({"HINCRBY", rkey, fmt::format("lat:{}", latency_bucket_label(i)),
                           std::to_string(r.latency[i])});
            b.add({"EXPIRE", rkey, ttl});
            if (!r.users.ids().empty()) {
                const std::string ukey = key + ":users:" + name;
                b.pfadd(ukey, r.users.ids());
                b.add({"EXPIRE", ukey, ttl});
            }
        }
        b.add({"ZADD", index, ws, ws});
        newest = std::max(newest, start);
    }
    if (newest != INT64_MIN) {
        // The index only needs windows whose keys may still exist.
        b.add({"ZREMRANGEBYSCORE", index, "-inf", fmt::format("({}", newest - kWindowTtlS * 1000)});
        b.add({"EXPIRE", index, ttl});
    }
    if (!regions.empty()) {
        std::vector<std::string> argv{"SADD", RedisKeys(prefix_).regions()};
        argv.insert(argv.end(), regions.begin(), regions.end());
        b.add(argv);
    }
    const std::string sec_ttl = std::to_string(kSecondTtlS);
    for (const auto& [sec, n] : delta.events_per_second) {
        const std::string key = RedisKeys(prefix_).second(sec);
        b.add({"INCRBY", key, std::to_string(n)});
        b.add({"EXPIRE", key, sec_ttl});
    }
    const std::string counters = RedisKeys(prefix_).counters();
    b.add({"HINCRBY", counters, "events", std::to_string(delta.events)});
    b.add({"HINCRBY", counters, "late_events", std::to_string(delta.late_events)});
    b.add({"HINCRBY", counters, "dlq_events", std::to_string(delta.dlq_events)});
    if (!positions.empty() || !cold_positions.empty()) {
        std::vector<std::string> argv{"HSET", offsets_key()};
        for (const auto& [tp, next] : cold_positions) {
            argv.push_back(cold_field(tp));
            argv.push_back(std::to_string(next));
        }
        for (const auto& [tp, pos] : positions) {
            argv.push_back(offset_field(tp));
            argv.push_back(std::to_string(pos.next_offset));
            if (pos.max_ts) {
                argv.push_back(maxts_field(tp));
                argv.push_back(std::to_string(*pos.max_ts));
            }
        }
        b.add(argv);
    }
    b.add({"EXEC"});
}

} // namespace ebap::pipeline
