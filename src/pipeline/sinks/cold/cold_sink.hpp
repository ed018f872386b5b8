#pragma once
// The cold path (docs/ARCHITECTURE.md, "Cold path"): enriched events as zstd NDJSON in a Hive
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
#include "pipeline/sinks/cold/cold_intent.hpp"
#include "pipeline/sinks/cold/cold_storage.hpp"
#include "pipeline/sinks/cold/frame_arena.hpp"

#include <atomic>
#include <compare>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace ebap {
class Config;
}

namespace ebap::pipeline {

struct ColdGroup {
    std::string day;    // YYYY-MM-DD (UTC, event time)
    std::string region; // escaped for the path (see hive_escape)
    auto operator<=>(const ColdGroup&) const = default;
};

// Compresses NDJSON into zstd frames; one per consumer thread (a context is ~1 MiB).
// frame() keeps what it made in the thread's FrameArena until reset_frames().
class ColdCompressor {
  public:
    explicit ColdCompressor(int level = 3);
    ~ColdCompressor();
    ColdCompressor(const ColdCompressor&) = delete;
    ColdCompressor& operator=(const ColdCompressor&) = delete;
    // Appends data as one complete zstd frame to out. Throws ebap::Error.
    void append_frame(std::string_view data, std::string& out);
    // data as one complete zstd frame, in the arena: valid until reset_frames().
    std::string_view frame(std::string_view data);
    // Every frame() view is invalid from here on (their batches are written or dropped).
    void reset_frames() { arena_.reset(); }
    int level() const { return level_; }

  private:
    // One frame of data into out[0, capacity); its size. Throws ebap::Error.
    std::size_t compress(std::string_view data, char* out, std::size_t capacity);

    void* cctx_; // ZSTD_CCtx
    int level_;
    std::string scratch_; // compressed output before it is appended
    FrameArena arena_;
};

// What one (day, region) group of a batch holds: complete zstd frames plus the lines not
// compressed yet. Concatenated zstd frames are one valid zstd stream (`zstd -d`, Trino,
// Spark read them), so the object is frames + compress(lines).
struct ColdGroupData {
    std::vector<std::string_view> frames; // in the compressor's FrameArena
    std::size_t frame_bytes = 0;
    std::string lines;
};

// One batch's NDJSON lines grouped by (day, region). With a compressor, a group's lines
// are compressed into a frame whenever they pass frame_bytes, so a batch held for a long
// cold-path interval costs about its compressed size in memory, not its raw size.
class ColdBatch {
  public:
    // A thread holds one open frame per (partition, day, region) - a few hundred - so the
    // frame size sets that memory and its cache misses (the A/B is in bench/README.md).
    static constexpr std::size_t kDefaultFrameBytes = 32 * 1024;

    ColdBatch() = default;
    explicit ColdBatch(ColdCompressor* compressor, std::size_t frame_bytes = kDefaultFrameBytes)
        : compressor_(compressor), frame_bytes_(frame_bytes) {}
    ColdBatch(ColdBatch&& o) noexcept { *this = std::move(o); }
    ColdBatch& operator=(ColdBatch&& o) noexcept;
    ColdBatch(const ColdBatch&) = delete;
    ColdBatch& operator=(const ColdBatch&) = delete;

    // Appends one line to the event's group: write(std::string&) appends the JSON text,
    // the batch adds the newline (append_enriched_json writes straight into the buffer).
    template <class Write> void append(std::int64_t ts_ms, std::string_view region, Write&& write) {
        ColdGroupData& g = group_for(ts_ms, region);
        const std::size_t before = g.lines.size();
        write(g.lines);
        g.lines.push_back('\n');
        held_ += g.lines.size() - before;
        if (compressor_ && g.lines.size() >= frame_bytes_) due_ = &g;
    }
    // Compresses the group that outgrew its frame in the last append(), if any: callers
    // append under the profile table's read lock and compress after releasing it.
    void seal_due() {
        if (due_) seal_frame(*std::exchange(due_, nullptr));
    }
    void add(std::int64_t ts_ms, std::string_view region, std::string_view line) {
        append(ts_ms, region, [&](std::string& out) { out.append(line); });
        seal_due();
    }
    const std::map<ColdGroup, ColdGroupData>& groups() const { return groups_; }
    bool empty() const { return groups_.empty(); }
    // Bytes held: compressed frames plus pending lines.
    std::size_t held_bytes() const { return held_; }
    void clear();

  private:
    ColdGroupData& group_for(std::int64_t ts_ms, std::string_view region);
    void seal_frame(ColdGroupData& g);

    std::map<ColdGroup, ColdGroupData> groups_;
    ColdCompressor* compressor_ = nullptr;
    std::size_t frame_bytes_ = kDefaultFrameBytes;
    std::size_t held_ = 0;
    ColdGroupData* due_ = nullptr; // see seal_due()
    // The groups seen so far by (day number, raw region): a partition's events spread over
    // a handful of regions and days, so a linear scan beats formatting the path key.
    struct Seen {
        std::int64_t day;
        std::string region;
        ColdGroupData* data;
    };
    std::vector<Seen> seen_;
};

struct ColdSinkOptions {
    std::string root;      // paths.cold_root: a directory or s3://bucket/prefix
    std::string state_dir; // paths.state_dir (intent logs)
    std::string group;     // worker.group
    S3Options s3;          // used when root is s3://
    int zstd_level = 1;    // worker.cold_zstd_level

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

    // The batches of several partitions of topic in one go: every intent is on record
    // (one filesystem sync for all logs) before any object is uploaded, and the objects
    // go to storage in one put_all (a local directory: two syncfs for all of them instead
    // of two per partition). Same contract as write_batch for each of them; when it
    // throws, none of them counts as written.
    struct PartitionBatch {
        std::int32_t partition = 0;
        std::int64_t first_offset = 0, last_offset = 0;
        const ColdBatch* batch = nullptr;
    };
    void write_batches(const std::string& topic, const std::vector<PartitionBatch>& batches);

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
    // Compresses b's open frames onto objects, removes a crashed run's leftovers and puts
    // the new objects in b's intent log. True when that was an append still to be synced
    // (false: nothing to record, or a rewrite, which is durable on return).
    bool record_intents(const std::string& topic, const PartitionBatch& b,
                        std::vector<ColdObject>& objects);

    ColdSinkOptions options_;
    std::unique_ptr<ColdStorage> storage_;
    std::map<std::pair<std::string, std::int32_t>, std::unique_ptr<PartitionState>> partitions_;
    ColdCompressor zstd_;
    std::atomic<std::uint64_t> bytes_{0}, objects_{0}, removed_{0}, errors_{0};
    std::atomic<std::int64_t> latency_us_{0};
};

// Hive partition-value escaping, stricter than Hive's own: everything but A-Z a-z 0-9
// '-' '_' becomes %XX (Hive, Trino and Spark decode any %XX). "" becomes "unknown".
std::string hive_escape(std::string_view value);

} // namespace ebap::pipeline
