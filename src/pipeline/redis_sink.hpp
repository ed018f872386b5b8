#pragma once
// The hot-path sink (pipeline spec, decisions 2 and 3): one MULTI/EXEC per flush holding a
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
// Window keys and the index expire 48 h after their last write.
#include "core/redis_client.hpp"
#include "pipeline/window.hpp"

#include <compare>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace ebap::pipeline {

struct TopicPartition {
    std::string topic;
    std::int32_t partition = 0;
    auto operator<=>(const TopicPartition&) const = default;
};

// What the offsets hash holds for one partition.
struct StoredPosition {
    std::int64_t next_offset = 0;
    std::optional<std::int64_t> max_ts; // decision 1: restored into WindowAggregator
    // The cold path's own next offset (it writes in bigger, rarer batches than the hot
    // path, so it may be behind): every event below it is in the cold path.
    std::optional<std::int64_t> cold_next;
    bool operator==(const StoredPosition&) const = default;
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

    // The stored positions of the given topics (all topics when empty). Throws
    // ebap::Error when a stored value is not an integer: seeking anywhere else would
    // lose or double-count events.
    std::map<TopicPartition, StoredPosition>
    load_offsets(const std::vector<std::string>& topics = {});

    // One MULTI ... EXEC, pipelined in one round trip. counters come from the delta
    // (events, late_events, dlq_events). Throws ebap::Error when the transaction was
    // discarded (EXECABORT, e.g. OOM: nothing applied) or aborted (nil), and when a
    // command inside it failed. Redis has no rollback: in that last case (only possible
    // when something else wrote one of our keys with another type, WRONGTYPE) the other
    // commands WERE applied; the message names the key so the operator can remove it
    // before the worker restarts.
    // cold_positions: cold-path next offsets to record in the same transaction.
    void commit_batch(const BatchDelta& delta,
                      const std::map<TopicPartition, StoredPosition>& positions,
                      const std::map<TopicPartition, std::int64_t>& cold_positions = {});

    // Decision 3: recomputes <p>kpi:now, <p>region:<r> for every known region, and
    // appends to <p>ts:kpi (at most one entry per wall-clock second), from "the current
    // window": the newest window start in <p>win:index or written by this sink, ignoring
    // windows starting after now + kFutureWindowToleranceMs. Three round trips.
    // watermark_ms: this worker's reported watermark (not written when unknown).
    void refresh_views(std::int64_t now_ms, std::optional<std::int64_t> watermark_ms,
                       const HealthThresholds& thresholds);

    const std::string& prefix() const { return prefix_; }
    const std::string& group() const { return group_; }
    std::string offsets_key() const { return prefix_ + "offsets:" + group_; }

  private:
    std::optional<std::int64_t> current_window(const RedisReply& index_reply,
                                               std::int64_t now_ms) const;

    RedisClient& client_;
    std::string prefix_;
    std::string group_;
    std::set<std::int64_t> written_windows_; // the newest few this sink wrote
};

// "<topic>:<partition>" and "<topic>:<partition>:maxts".
std::string offset_field(const TopicPartition& tp);
std::string maxts_field(const TopicPartition& tp);
std::string cold_field(const TopicPartition& tp); // "<topic>:<partition>:cold"

} // namespace ebap::pipeline
