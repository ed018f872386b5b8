#pragma once
// The cold path (pipeline spec, decision 5): enriched events as zstd NDJSON in a Hive
// layout, exactly once across crashes.
//
//   <root>/events/day=YYYY-MM-DD/region=<r>/part-<topic>-<partition>-<first>-<last>.ndjson.zst
//
// One object per (partition, event-time day (UTC), region) per batch, named only by the
// offsets the batch covers, so a replay of the same offsets rewrites the same names with
// the same bytes. The worker writes a batch here BEFORE the Redis MULTI/EXEC that commits
// its offsets, so committed offsets never cover events missing from the cold path.
//
// A replay after a crash starts at the committed offset a but may cut batches elsewhere
// than the crashed run did: that run may have left [a..c] while the replay writes
// [a..b] + [b+1..c]. So before writing a batch starting at a, every object of the
// partition whose first offset is >= a is deleted: it is an uncommitted leftover (its
// offsets are being replayed now). Those objects are found in the partition's intent log,
// <state_dir>/cold-intent/<group>/<topic>-<partition>.log, where each batch records its
// objects (fsync'd) BEFORE uploading them. Entries below the committed offset are
// dropped from the log over time (committed()).
//
// The intent log is local state: a partition that moves to a worker on another host
// cannot see leftovers this host recorded (share paths.state_dir, or keep one host).
#include "pipeline/cold_intent.hpp"
#include "pipeline/cold_storage.hpp"

#include <atomic>
#include <compare>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>

namespace ebap {
class Config;
}

namespace ebap::pipeline {

struct ColdGroup {
    std::string day;    // YYYY-MM-DD (UTC, event time)
    std::string region; // escaped for the path (see hive_escape)
    auto operator<=>(const ColdGroup&) const = default;
};

// One batch's NDJSON lines grouped by (day, region).
class ColdBatch {
  public:
    // The buffer of the event's group: append one JSON line plus '\n' to it
    // (append_enriched_json writes straight into it).
    std::string& lines_for(std::int64_t ts_ms, std::string_view region);
    void add(std::int64_t ts_ms, std::string_view region, std::string_view line);
    const std::map<ColdGroup, std::string>& groups() const { return groups_; }
    bool empty() const { return groups_.empty(); }
    void clear();

  private:
    std::map<ColdGroup, std::string> groups_;
    std::string* last_ = nullptr; // consecutive events nearly always share a group
    std::int64_t last_day_ = 0;
    std::string last_region_;
};

struct ColdSinkOptions {
    std::string root;      // paths.cold_root: a directory or s3://bucket/prefix
    std::string state_dir; // paths.state_dir (intent logs)
    std::string group;     // worker.group
    S3Options s3;          // used when root is s3://
    int zstd_level = 3;

    static ColdSinkOptions from_config(const Config& config);
};

struct ColdSinkStats {
    std::uint64_t bytes_written = 0; // compressed bytes of completed objects
    std::uint64_t objects_written = 0;
    std::uint64_t objects_removed = 0; // leftovers of crashed runs
    std::uint64_t errors = 0;          // failed write_batch calls
    std::int64_t last_latency_us = 0;  // of the last successful write_batch
};

// One per consumer thread (the S3 client is not thread-safe); stats() from any thread.
class ColdSink {
  public:
    explicit ColdSink(ColdSinkOptions options);
    ColdSink(ColdSinkOptions options, std::unique_ptr<ColdStorage> storage);
    ~ColdSink();

    // Creates the root directory or bucket (idempotent).
    void prepare();

    // Writes the batch covering offsets [first_offset, last_offset] of topic/partition.
    // Call it for EVERY batch, also one without cold lines: it is what removes a crashed
    // run's leftovers. Throws ebap::Error (storage or intent log); then do not commit the
    // batch: retry it with the same boundaries or restart from the committed offsets.
    void write_batch(const std::string& topic, std::int32_t partition, std::int64_t first_offset,
                     std::int64_t last_offset, const ColdBatch& batch);

    // The batch ending before next_offset is committed (Redis EXEC succeeded): its intent
    // entries are no longer needed and leave the log at the next compaction.
    void committed(const std::string& topic, std::int32_t partition, std::int64_t next_offset);

    ColdSinkStats stats() const;
    ColdStorage& storage() { return *storage_; }
    std::string intent_path(const std::string& topic, std::int32_t partition) const;

    static std::string object_key(const ColdGroup& group, const std::string& topic,
                                  std::int32_t partition, std::int64_t first, std::int64_t last);

  private:
    struct PartitionState;
    PartitionState& state(const std::string& topic, std::int32_t partition);
    std::string compress(std::string_view data);

    ColdSinkOptions options_;
    std::unique_ptr<ColdStorage> storage_;
    std::map<std::pair<std::string, std::int32_t>, std::unique_ptr<PartitionState>> partitions_;
    struct Zstd;
    std::unique_ptr<Zstd> zstd_;
    std::atomic<std::uint64_t> bytes_{0}, objects_{0}, removed_{0}, errors_{0};
    std::atomic<std::int64_t> latency_us_{0};
};

// Hive partition-value escaping, stricter than Hive's own: everything but A-Z a-z 0-9
// '-' '_' becomes %XX (Hive, Trino and Spark decode any %XX). "" becomes "unknown".
std::string hive_escape(std::string_view value);
// "YYYY-MM-DD" of an epoch-millisecond time, UTC.
std::string utc_day(std::int64_t ts_ms);

} // namespace ebap::pipeline
