#include "pipeline/sinks/cold/cold_sink.hpp"

#include "core/base/format.hpp"
#include "core/base/time.hpp"
#include "core/config/config.hpp"
#include "core/base/error.hpp"

#include <fmt/format.h>
#define ZSTD_STATIC_LINKING_ONLY // ZSTD_getCParams: exported by libzstd 1.4+, stable in practice
#include <zstd.h>

#include <algorithm>
#include <chrono>
#include <set>
#include <utility>

namespace ebap::pipeline {
namespace {

// Compaction threshold: rewriting the log on every flush would cost a rename and two
// fsyncs each time; dead entries are harmless until then.
constexpr std::size_t kDeadEntriesBeforeRewrite = 64;

std::int64_t floor_div(std::int64_t a, std::int64_t b) {
    return a / b - (a % b < 0 ? 1 : 0);
}

void check_topic(const std::string& topic) {
    const bool ok = !topic.empty() && topic != "." && topic != ".." &&
                    topic.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                            "0123456789._-") == std::string::npos;
    if (!ok) throw Error("cold path: '" + topic + "' is not a valid Kafka topic name");
}

} // namespace

std::string hive_escape(std::string_view value) {
    return value.empty() ? "unknown" : percent_encode(value, "-_");
}

// ---- ColdCompressor ----

ColdCompressor::ColdCompressor(int level) : cctx_(ZSTD_createCCtx()), level_(level) {
    if (level < 1 || level > ZSTD_maxCLevel())
        throw UsageError(fmt::format("zstd level must be 1-{}, got {}", ZSTD_maxCLevel(), level));
    if (!cctx_) throw Error("cold path: cannot allocate a zstd context");
    auto* cctx = static_cast<ZSTD_CCtx*>(cctx_);
    ZSTD_CCtx_setParameter(cctx, ZSTD_c_compressionLevel, level);
    // For frame-sized inputs the fast levels pick a small hash table that misses matches on
    // these NDJSON lines (bench/README.md, session 6); levels that pick a bigger one keep it.
    constexpr unsigned kMinHashLog = 16;
    if (ZSTD_getCParams(level, ColdBatch::kDefaultFrameBytes, 0).hashLog < kMinHashLog)
        ZSTD_CCtx_setParameter(cctx, ZSTD_c_hashLog, static_cast<int>(kMinHashLog));
}

ColdCompressor::~ColdCompressor() {
    ZSTD_freeCCtx(static_cast<ZSTD_CCtx*>(cctx_));
}

std::size_t ColdCompressor::compress(std::string_view data, char* out, std::size_t capacity) {
    // One whole frame per call; the parameters set above stay.
    const std::size_t n =
        ZSTD_compress2(static_cast<ZSTD_CCtx*>(cctx_), out, capacity, data.data(), data.size());
    if (ZSTD_isError(n)) throw Error(std::string("cold path: zstd: ") + ZSTD_getErrorName(n));
    return n;
}

void ColdCompressor::append_frame(std::string_view data, std::string& out) {
    // Into a scratch buffer, then only the frame's bytes onto out: resizing out to the
    // bound would zero-fill (and commit) memory the frame never uses.
    const std::size_t bound = ZSTD_compressBound(data.size());
    if (bound > scratch_.size()) scratch_.resize(std::max(bound, scratch_.size() * 2));
    out.append(scratch_.data(), compress(data, scratch_.data(), scratch_.size()));
}

std::string_view ColdCompressor::frame(std::string_view data) {
    const std::size_t bound = ZSTD_compressBound(data.size());
    return arena_.commit(compress(data, arena_.reserve(bound), bound));
}

// ---- ColdBatch ----

ColdBatch& ColdBatch::operator=(ColdBatch&& o) noexcept {
    groups_ = std::move(o.groups_);
    compressor_ = o.compressor_;
    frame_bytes_ = o.frame_bytes_;
    held_ = std::exchange(o.held_, 0);
    seen_ = std::move(o.seen_); // pointers into the map nodes, which moved along
    due_ = std::exchange(o.due_, nullptr);
    o.seen_.clear();
    o.groups_.clear();
    return *this;
}

ColdGroupData& ColdBatch::group_for(std::int64_t ts_ms, std::string_view region) {
    const std::int64_t day = floor_div(ts_ms, 86'400'000);
    for (const Seen& s : seen_)
        if (s.day == day && s.region == region) return *s.data;
    // std::map nodes are stable: the pointer stays valid until clear().
    ColdGroupData* data = &groups_[ColdGroup{utc_day(ts_ms), hive_escape(region)}];
    seen_.push_back({day, std::string(region), data});
    return *data;
}

void ColdBatch::seal_frame(ColdGroupData& g) {
    const std::string_view f = compressor_->frame(g.lines);
    g.frames.push_back(f);
    g.frame_bytes += f.size();
    held_ = held_ - g.lines.size() + f.size();
    g.lines.clear();
}

void ColdBatch::clear() {
    groups_.clear();
    seen_.clear();
    due_ = nullptr;
    held_ = 0;
}

// ---- ColdSink ----

ColdSinkOptions ColdSinkOptions::from_config(const Config& config) {
    ColdSinkOptions o;
    o.root = config.cold_root();
    o.state_dir = config.state_dir();
    o.group = config.str("worker.group");
    o.s3 = S3Options::from_config(config);
    o.zstd_level = static_cast<int>(config.num("worker.cold_zstd_level"));
    return o;
}

struct ColdSink::PartitionState {
    explicit PartitionState(std::string path) : log(std::move(path)) {}
    IntentLog log;
    std::int64_t committed_next = INT64_MIN; // entries with last < this are dead
};

ColdSink::ColdSink(ColdSinkOptions options)
    : ColdSink(options, make_cold_storage(options.root, options.s3)) {}

ColdSink::ColdSink(ColdSinkOptions options, std::unique_ptr<ColdStorage> storage)
    : options_(std::move(options)), storage_(std::move(storage)), zstd_(options_.zstd_level) {
    if (options_.state_dir.empty())
        throw UsageError("paths.state_dir is empty: the cold path keeps its intent logs there "
                         "(EBAP_STATE_DIR)");
    if (options_.group.empty()) throw UsageError("worker.group must not be empty");
}

ColdSink::~ColdSink() = default;

void ColdSink::prepare() {
    storage_->prepare();
}

std::string ColdSink::intent_path(const std::string& topic, std::int32_t partition) const {
    return fmt::format("{}/cold-intent/{}/{}-{}.log", options_.state_dir,
                       hive_escape(options_.group), topic, partition);
}

std::string ColdSink::object_key(const ColdGroup& group, const std::string& topic,
                                 std::int32_t partition, std::int64_t first, std::int64_t last) {
    return fmt::format("events/day={}/region={}/part-{}-{}-{}-{}.ndjson.zst", group.day,
                       group.region, topic, partition, first, last);
}

ColdSink::PartitionState& ColdSink::state(const std::string& topic, std::int32_t partition) {
    auto& slot = partitions_[{topic, partition}];
    if (!slot) slot = std::make_unique<PartitionState>(intent_path(topic, partition));
    return *slot;
}

void ColdSink::write_batch(const std::string& topic, std::int32_t partition,
                           std::int64_t first_offset, std::int64_t last_offset,
                           const ColdBatch& batch) {
    write_batches(topic, {{partition, first_offset, last_offset, &batch}});
}

bool ColdSink::record_intents(const std::string& topic, const PartitionBatch& b,
                              std::vector<ColdObject>& objects) {
    static const ColdBatch kEmpty;
    const ColdBatch& batch = b.batch ? *b.batch : kEmpty;
    if (b.partition < 0 || b.first_offset < 0 || b.last_offset < b.first_offset)
        throw Error(fmt::format("cold path: invalid batch {}-{} [{}..{}]", topic, b.partition,
                                b.first_offset, b.last_offset));
    PartitionState& ps = state(topic, b.partition);
    // Compress first: no side effect until we know the whole batch is ready.
    const std::size_t mine = objects.size();
    std::set<std::string> new_keys;
    for (const auto& [group, data] : batch.groups()) {
        if (data.frames.empty() && data.lines.empty()) continue;
        ColdObject& o = objects.emplace_back();
        o.key = object_key(group, topic, b.partition, b.first_offset, b.last_offset);
        o.head = data.frames;
        if (!data.lines.empty()) zstd_.append_frame(data.lines, o.tail);
        new_keys.insert(o.key);
    }
    // Leftovers of a crashed run: uncommitted objects at or after first_offset. Keys this
    // batch writes again are replaced atomically by the upload instead.
    std::vector<IntentEntry> live;
    bool dropped = false;
    std::size_t dead = 0;
    for (const IntentEntry& e : ps.log.entries()) {
        if (e.first >= b.first_offset) {
            if (!new_keys.count(e.key)) {
                storage_->remove(e.key);
                ++removed_;
            }
            dropped = true;
        } else if (e.last < ps.committed_next) {
            ++dead;
        } else {
            live.push_back(e);
        }
    }
    // Write ahead: the objects are on record before any of them is uploaded.
    std::vector<IntentEntry> add;
    for (std::size_t i = mine; i < objects.size(); ++i)
        add.push_back({b.first_offset, b.last_offset, objects[i].key});
    if (dropped || dead >= kDeadEntriesBeforeRewrite) {
        live.insert(live.end(), add.begin(), add.end());
        ps.log.rewrite(std::move(live)); // durable on return
        return false;
    }
    ps.log.append(add, false);
    return !add.empty();
}

void ColdSink::write_batches(const std::string& topic, const std::vector<PartitionBatch>& batches) {
    const auto t0 = std::chrono::steady_clock::now();
    try {
        check_topic(topic);
        std::vector<ColdObject> objects;
        const IntentLog* unsynced = nullptr;
        for (const PartitionBatch& b : batches)
            if (record_intents(topic, b, objects)) unsynced = &state(topic, b.partition).log;
        // Every log lives in the same directory: one sync makes all the appends durable.
        if (unsynced) unsynced->sync_filesystem();
        storage_->put_all(objects);
        for (const ColdObject& o : objects) {
            bytes_ += o.size();
            ++objects_;
        }
    } catch (...) {
        ++errors_;
        throw;
    }
    latency_us_ =
        std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - t0)
            .count();
}

void ColdSink::committed(const std::string& topic, std::int32_t partition,
                         std::int64_t next_offset) {
    PartitionState& ps = state(topic, partition);
    if (next_offset > ps.committed_next) ps.committed_next = next_offset;
}

ColdSinkStats ColdSink::stats() const {
    ColdSinkStats s;
    s.bytes_written = bytes_;
    s.objects_written = objects_;
    s.objects_removed = removed_;
    s.errors = errors_;
    s.last_latency_us = latency_us_;
    return s;
}

} // namespace ebap::pipeline
