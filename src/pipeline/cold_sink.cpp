#include "pipeline/cold_sink.hpp"

#include "core/config.hpp"
#include "core/error.hpp"

#include <fmt/format.h>
#include <zstd.h>

#include <chrono>
#include <set>

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
    if (value.empty()) return "unknown";
    static constexpr char kHex[] = "0123456789ABCDEF";
    std::string out;
    out.reserve(value.size());
    for (const char ch : value) {
        const auto c = static_cast<unsigned char>(ch);
        if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
            c == '-' || c == '_') {
            out.push_back(ch);
        } else {
            out.push_back('%');
            out.push_back(kHex[c >> 4]);
            out.push_back(kHex[c & 15]);
        }
    }
    return out;
}

std::string utc_day(std::int64_t ts_ms) {
    using namespace std::chrono;
    const year_month_day ymd{sys_days{days{floor_div(ts_ms, 86'400'000)}}};
    return fmt::format("{:04}-{:02}-{:02}", static_cast<int>(ymd.year()),
                       static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()));
}

// ---- ColdBatch ----

std::string& ColdBatch::lines_for(std::int64_t ts_ms, std::string_view region) {
    const std::int64_t day = floor_div(ts_ms, 86'400'000);
    if (last_ && day == last_day_ && region == last_region_) return *last_;
    last_ = &groups_[ColdGroup{utc_day(ts_ms), hive_escape(region)}]; // std::map: stable
    last_day_ = day;
    last_region_.assign(region);
    return *last_;
}

void ColdBatch::add(std::int64_t ts_ms, std::string_view region, std::string_view line) {
    std::string& buf = lines_for(ts_ms, region);
    buf.append(line);
    buf.push_back('\n');
}

void ColdBatch::clear() {
    groups_.clear();
    last_ = nullptr;
}

// ---- ColdSink ----

ColdSinkOptions ColdSinkOptions::from_config(const Config& config) {
    ColdSinkOptions o;
    o.root = config.cold_root();
    o.state_dir = config.state_dir();
    o.group = config.str("worker.group");
    o.s3 = S3Options::from_config(config);
    return o;
}

struct ColdSink::PartitionState {
    explicit PartitionState(std::string path) : log(std::move(path)) {}
    IntentLog log;
    std::int64_t committed_next = INT64_MIN; // entries with last < this are dead
};

struct ColdSink::Zstd {
    ZSTD_CCtx* cctx = ZSTD_createCCtx();
    ~Zstd() { ZSTD_freeCCtx(cctx); }
};

ColdSink::ColdSink(ColdSinkOptions options)
    : ColdSink(options, make_cold_storage(options.root, options.s3)) {}

ColdSink::ColdSink(ColdSinkOptions options, std::unique_ptr<ColdStorage> storage)
    : options_(std::move(options)), storage_(std::move(storage)), zstd_(new Zstd) {
    if (options_.state_dir.empty())
        throw UsageError("paths.state_dir is empty: the cold path keeps its intent logs there "
                         "(EBAP_STATE_DIR)");
    if (options_.group.empty()) throw UsageError("worker.group must not be empty");
    if (options_.zstd_level < 1 || options_.zstd_level > ZSTD_maxCLevel())
        throw UsageError(
            fmt::format("zstd level must be 1-{}, got {}", ZSTD_maxCLevel(), options_.zstd_level));
    if (!zstd_->cctx) throw Error("cold path: cannot allocate a zstd context");
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

std::string ColdSink::compress(std::string_view data) {
    std::string out(ZSTD_compressBound(data.size()), '\0');
    const std::size_t n = ZSTD_compressCCtx(zstd_->cctx, out.data(), out.size(), data.data(),
                                            data.size(), options_.zstd_level);
    if (ZSTD_isError(n)) throw Error(std::string("cold path: zstd: ") + ZSTD_getErrorName(n));
    out.resize(n);
    return out;
}

void ColdSink::write_batch(const std::string& topic, std::int32_t partition,
                           std::int64_t first_offset, std::int64_t last_offset,
                           const ColdBatch& batch) {
    const auto t0 = std::chrono::steady_clock::now();
    try {
        check_topic(topic);
        if (partition < 0 || first_offset < 0 || last_offset < first_offset)
            throw Error(fmt::format("cold path: invalid batch {}-{} [{}..{}]", topic, partition,
                                    first_offset, last_offset));
        PartitionState& ps = state(topic, partition);

        // Compress first: no side effect until we know the whole batch is ready.
        std::vector<std::pair<std::string, std::string>> objects;
        std::set<std::string> new_keys;
        for (const auto& [group, lines] : batch.groups()) {
            if (lines.empty()) continue;
            objects.emplace_back(object_key(group, topic, partition, first_offset, last_offset),
                                 compress(lines));
            new_keys.insert(objects.back().first);
        }

        // Leftovers of a crashed run: uncommitted objects at or after first_offset. Keys this
        // batch writes again are replaced atomically by the upload instead.
        std::vector<IntentEntry> live;
        bool dropped = false;
        std::size_t dead = 0;
        for (const IntentEntry& e : ps.log.entries()) {
            if (e.first >= first_offset) {
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
        for (const auto& [key, blob] : objects)
            add.push_back({first_offset, last_offset, key});
        if (dropped || dead >= kDeadEntriesBeforeRewrite) {
            live.insert(live.end(), add.begin(), add.end());
            ps.log.rewrite(std::move(live));
        } else {
            ps.log.append(add);
        }

        for (const auto& [key, blob] : objects) {
            storage_->put(key, blob);
            bytes_ += blob.size();
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
