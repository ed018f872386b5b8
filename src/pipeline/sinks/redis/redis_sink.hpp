#pragma once
// The hot-path sink (docs/ARCHITECTURE.md, "Exactly-once hot path" and "Derived views"): one MULTI/EXEC per flush holding a
// batch's aggregate deltas and the offsets they cover, then derived views recomputed from
// the window keys in Redis, so every worker writes the same numbers.
//
// Key layout (<p> = redis.prefix):
//   <p>win:1m:<W>                 hash  events purchases errors revenue type:<t>
//   <p>win:1m:<W>:users           HLL   user ids
//   <p>win:1m:<W>:region:<r>      hash  events errors revenue lat:<bucket>
//   <p>win:1m:<W>:users:<r>       HLL   user ids of the region
//   <p>win:index                  zset  window starts (score = member = W)
//   <p>sec:<epoch_s>              int   events per event-time second (TTL 2 h)
//   <p>regions                    set   region names
//   <p>counters                   hash  events late_events dlq_events
//   <p>offsets:<group>            hash  <topic>:<partition> -> next offset,
//                                       <topic>:<partition>:maxts -> max event ts,
//                                       <topic>:<partition>:cold -> cold-path next offset
//   <p>owners:<group>             hash  <topic>:<partition> -> token of the sink that
//                                       claimed the partition last (fencing, below)
//
// Fencing. Kafka can hand a partition to a new member while the old one still holds a
// batch of it: a worker stalled past its session (SIGSTOP, swapping, a long GC-like
// pause) learns that it lost its partitions only at its next heartbeat. Were its batch
// committed after the new owner loaded the offsets, the new owner would count those
// records again. So an owner claims its partitions (HSET of its token) BEFORE it loads
// their offsets, and every commit WATCHes the owners hash and checks that each partition
// of the batch still carries this sink's token: a batch of a partition claimed since by
// someone else is refused (FencedError), nothing of it applied - its records belong to
// the new owner, which replays them from the offsets it loaded. A claim that lands
// between the check and EXEC aborts the EXEC (WATCH), and the check runs again.
// Window keys and the index expire 48 h after their last write.
#include "core/kafka/topic_partition.hpp"
#include "core/redis/keys.hpp"
#include "core/base/error.hpp"
#include "core/redis/redis_client.hpp"
#include "pipeline/window/window.hpp"

#include <compare>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace ebap::pipeline {

namespace redis_detail {
class RedisBatch;
}

// What the offsets hash holds for one partition.
struct StoredPosition {
    std::int64_t next_offset = 0;
    std::optional<std::int64_t> max_ts; // restored into WindowAggregator (ARCHITECTURE.md, "Per-partition watermark")
    // The cold path's own next offset (it writes in bigger, rarer batches than the hot
    // path, so it may be behind): every event below it is in the cold path.
    std::optional<std::int64_t> cold_next;
    bool operator==(const StoredPosition&) const = default;
};

// commit_batch refused a batch: a partition of it is now claimed by another sink.
class FencedError : public Error {
  public:
    using Error::Error;
};

// Redis refused a write for now (OOM, LOADING, BUSY, TRYAGAIN, MASTERDOWN): worth retrying,
// unlike NOPERM, READONLY or WRONGTYPE.
class RefusedForNowError : public Error {
  public:
    using Error::Error;
};

inline constexpr std::int64_t kWindowTtlS = 48 * 3600;
inline constexpr std::int64_t kSecondTtlS = 7200;
inline constexpr std::int64_t kTsKpiMaxLen = 86400;
// Windows starting later than now + this are ignored as "current": one event with a wild
// clock must not freeze the views on a window nobody else writes to.
inline constexpr std::int64_t kFutureWindowToleranceMs = 120'000;

class RedisSink {
  public:
    // client must outlive the sink; one sink per consumer thread (RedisClient is not
    // thread-safe). prefix: redis.prefix, group: worker.group.
    RedisSink(RedisClient& client, std::string prefix, std::string group);

    // Claims partitions for this sink (fencing, above): from now on commit_batch refuses a
    // batch unless every partition in it still carries this sink's token. Replaces the
    // previous claims. Call it BEFORE load_offsets. Throws RefusedForNowError when Redis
    // refuses the write for now (e.g. OOM), ebap::Error otherwise.
    void claim(const std::vector<TopicPartition>& partitions);
    // Forgets the claims (the partitions were revoked); commit_batch stops checking.
    void release() { claimed_ = false; }
    // Throws FencedError when one of partitions is claimed by another sink (no-op without
    // claims): the cold path asks before it writes objects the Redis commit would refuse.
    void verify_claims(const std::vector<TopicPartition>& partitions);
    // The same for the partitions a batch would commit (commit_batch's arguments).
    void verify_claims(const std::map<TopicPartition, StoredPosition>& positions,
                       const std::map<TopicPartition, std::int64_t>& cold_positions);
    const std::string& token() const { return token_; }
    std::string owners_key() const { return RedisKeys(prefix_).owners(group_); }

    // The stored positions of the given topics (all topics when empty). Throws
    // ebap::Error when a stored value is not an integer: seeking anywhere else would
    // lose or double-count events.
    std::map<TopicPartition, StoredPosition>
    load_offsets(const std::vector<std::string>& topics = {});

    // One MULTI ... EXEC, pipelined in one round trip. counters come from the delta
    // (events, late_events, dlq_events). Throws ebap::Error when the transaction was
    // discarded (EXECABORT, e.g. OOM: nothing applied) or aborted (nil), FencedError when
    // a partition of the batch was claimed by another sink (nothing applied), and when a
    // command inside it failed. Redis has no rollback: in that last case (only possible
    // when something else wrote one of our keys with another type, WRONGTYPE) the other
    // commands WERE applied; the message names the key so the operator can remove it
    // before the worker restarts.
    // cold_positions: cold-path next offsets to record in the same transaction; extra:
    // more commands for it (the telemetry's latest values), each an argv.
    void commit_batch(const BatchDelta& delta,
                      const std::map<TopicPartition, StoredPosition>& positions,
                      const std::map<TopicPartition, std::int64_t>& cold_positions = {},
                      const std::vector<std::vector<std::string>>& extra = {});

    // Derived views (docs/ARCHITECTURE.md): recomputes <p>kpi:now, <p>region:<r> for every known region, and
    // appends to <p>ts:kpi (at most one entry per wall-clock second), from "the current
    // window": the newest window start in <p>win:index or written by this sink, ignoring
    // windows starting after now + kFutureWindowToleranceMs. Three round trips.
    // watermark_ms: this worker's reported watermark (not written when unknown).
    void refresh_views(std::int64_t now_ms, std::optional<std::int64_t> watermark_ms,
                       const HealthThresholds& thresholds);

    const std::string& prefix() const { return prefix_; }
    const std::string& group() const { return group_; }
    std::string offsets_key() const { return RedisKeys(prefix_).offsets(group_); }

    // Tests only: runs after each successful ownership check of commit_batch, before its
    // MULTI/EXEC is sent (to land a rival claim in exactly that gap).
    std::function<void()> after_check_for_testing;

  private:
    std::optional<std::int64_t> current_window(const RedisReply& index_reply,
                                               std::int64_t now_ms) const;
    // Checks that every partition field carries our token (first WATCHing the owners
    // hash when watch); throws FencedError naming the others.
    void check_claims(const std::set<std::string>& fields, bool watch);
    // Queues MULTI, the batch's commands and EXEC.
    void append_transaction(redis_detail::RedisBatch& b, const BatchDelta& delta,
                            const std::map<TopicPartition, StoredPosition>& positions,
                            const std::map<TopicPartition, std::int64_t>& cold_positions,
                            const std::vector<std::vector<std::string>>& extra);

    RedisClient& client_;
    std::string prefix_;
    std::string group_;
    std::set<std::int64_t> written_windows_; // the newest few this sink wrote
    std::string token_;                      // host:pid:random, unique per sink
    bool claimed_ = false;                   // fencing on (claim() since the last release())
};

// "<topic>:<partition>" and "<topic>:<partition>:maxts".
std::string offset_field(const TopicPartition& tp);
std::string maxts_field(const TopicPartition& tp);
std::string cold_field(const TopicPartition& tp); // "<topic>:<partition>:cold"

} // namespace ebap::pipeline
