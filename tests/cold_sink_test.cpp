// ColdSink on a local directory: the Hive layout, zstd content equal to the input lines,
// no hidden temp files left, and exactly-once across a crash replayed with different
// batch boundaries.
#include "core/base/error.hpp"
#include "pipeline/sinks/cold/cold_intent.hpp"
#include "pipeline/sinks/cold/cold_sink.hpp"
#include "core/base/time.hpp"
#include "pipeline/sinks/cold/frame_arena.hpp"
#include "support/temp_dir.hpp"

#include <gtest/gtest.h>

#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <fmt/format.h>
#include <fstream>
#include <functional>
#include <map>
#include <set>
#include <sstream>
#include <unistd.h>
#include <zstd.h>

namespace fs = std::filesystem;

namespace ebap::pipeline {
namespace {

const std::string kTopic = "ebap.events.raw";
constexpr std::int64_t kDay1 = 1'717'200'000'000 - 1'717'200'000'000 % 86'400'000; // 2024-06-01
constexpr std::int64_t kDayMs = 86'400'000;

struct Line {
    std::int64_t offset;
    std::int64_t ts;
    std::string region;
    std::string json;
};

// Events of one partition at offsets first..first+n-1, spread over two days and
// three regions (one needing escaping).
std::vector<Line> make_lines(std::int64_t first, int n) {
    const char* regions[] = {"eu-west", "us-east", "sa/east 1"};
    std::vector<Line> out;
    for (int i = 0; i < n; ++i) {
        const std::int64_t off = first + i;
        const std::int64_t ts = kDay1 + kDayMs - 30'000 + i * 1000; // crosses midnight
        std::string region = regions[off % 3];
        out.push_back({off, ts, region,
                       fmt::format(R"({{"event_id":"e{}","ts":{},"region":"{}","n":{}}})", off, ts,
                                   region, off)});
    }
    return out;
}

ColdBatch batch_of(const std::vector<Line>& lines, std::int64_t first, std::int64_t last) {
    ColdBatch b;
    for (const auto& l : lines)
        if (l.offset >= first && l.offset <= last) b.add(l.ts, l.region, l.json);
    return b;
}

std::string decompress(const std::string& blob) {
    const auto size = ZSTD_getFrameContentSize(blob.data(), blob.size());
    EXPECT_NE(size, ZSTD_CONTENTSIZE_ERROR);
    EXPECT_NE(size, ZSTD_CONTENTSIZE_UNKNOWN);
    std::string out(size, '\0');
    const auto n = ZSTD_decompress(out.data(), out.size(), blob.data(), blob.size());
    EXPECT_FALSE(ZSTD_isError(n)) << ZSTD_getErrorName(n);
    out.resize(n);
    return out;
}

std::string read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

// Every regular file under dir, relative paths.
std::vector<std::string> all_files(const std::string& dir) {
    std::vector<std::string> out;
    for (const auto& e : fs::recursive_directory_iterator(dir))
        if (e.is_regular_file()) out.push_back(fs::relative(e.path(), dir).generic_string());
    std::sort(out.begin(), out.end());
    return out;
}

// Nothing hidden (a temporary file) under dir, and with absent given no file whose path
// contains it (an object of a crashed run's batch boundaries, say).
void expect_clean(const std::string& dir, std::string_view absent = {}) {
    for (const auto& f : all_files(dir)) {
        EXPECT_FALSE(fs::path(f).filename().string().starts_with(".")) << f;
        EXPECT_TRUE(absent.empty() || f.find(absent) == std::string::npos) << f;
    }
}

// Every line of every object, counted.
std::map<std::string, int> line_counts(ColdStorage& storage) {
    std::map<std::string, int> counts;
    for (const auto& key : storage.list("events/")) {
        std::istringstream in(decompress(storage.get(key)));
        for (std::string line; std::getline(in, line);)
            ++counts[line];
    }
    return counts;
}

class ColdSinkTest : public ::testing::Test {
  protected:
    ColdSinkOptions options() const {
        ColdSinkOptions o;
        o.root = root_.path();
        o.state_dir = state_.path();
        o.group = "workers";
        return o;
    }
    test::TempDir root_{"cold-root"};
    test::TempDir state_{"cold-state"};
};

TEST_F(ColdSinkTest, ObjectsLandInTheHiveLayoutWithTheInputLines) {
    ColdSink sink(options());
    sink.prepare();
    const auto lines = make_lines(100, 60);
    sink.write_batch(kTopic, 3, 100, 159, batch_of(lines, 100, 159));

    // The expected objects, computed from the inputs.
    std::map<std::string, std::string> want;
    for (const auto& l : lines) {
        const std::string day = l.ts < kDay1 + kDayMs ? "2024-06-01" : "2024-06-02";
        const std::string region = l.region == "sa/east 1" ? "sa%2Feast%201" : l.region;
        want[fmt::format("events/day={}/region={}/part-{}-3-100-159.ndjson.zst", day, region,
                         kTopic)] += l.json + "\n";
    }
    ASSERT_EQ(want.size(), 6u); // 2 days x 3 regions: the data's premise
    std::vector<std::string> want_keys;
    for (const auto& [k, v] : want)
        want_keys.push_back(k);
    EXPECT_EQ(all_files(root_.path()), want_keys); // no hidden temp file either
    for (const auto& [key, text] : want)
        EXPECT_EQ(decompress(read_file(root_.file(key))), text) << key;
    EXPECT_EQ(sink.storage().list("events/"), want_keys);

    const ColdSinkStats s = sink.stats();
    EXPECT_EQ(s.objects_written, 6u);
    std::uint64_t bytes = 0;
    for (const auto& k : want_keys)
        bytes += fs::file_size(root_.file(k));
    EXPECT_EQ(s.bytes_written, bytes);
    EXPECT_EQ(s.errors, 0u);
    EXPECT_GT(s.last_latency_us, 0);

    // The intent was recorded: one line per object.
    const std::string log = read_file(sink.intent_path(kTopic, 3));
    EXPECT_EQ(std::count(log.begin(), log.end(), '\n'), 6);
    EXPECT_NE(log.find("100 159 events/day=2024-06-01/region=eu-west/"), std::string::npos);
    EXPECT_EQ(sink.intent_path(kTopic, 3),
              state_.path() + "/cold-intent/workers/ebap.events.raw-3.log");
}

TEST_F(ColdSinkTest, ReplayWithTheSameBoundariesRewritesTheSameObjects) {
    const auto lines = make_lines(0, 30);
    std::map<std::string, std::string> first;
    {
        ColdSink sink(options());
        sink.write_batch(kTopic, 0, 0, 29, batch_of(lines, 0, 29));
        for (const auto& k : all_files(root_.path()))
            first[k] = read_file(root_.file(k));
    }
    ColdSink replay(options()); // a restarted worker
    replay.write_batch(kTopic, 0, 0, 29, batch_of(lines, 0, 29));
    std::map<std::string, std::string> second;
    for (const auto& k : all_files(root_.path()))
        second[k] = read_file(root_.file(k));
    EXPECT_EQ(first, second);
    EXPECT_EQ(replay.stats().objects_removed, 0u);
}

// Fails every put after the first n, leaving what a crash mid-upload leaves: the hidden
// temp file of the object being written.
class CrashingStorage : public LocalDirStorage {
  public:
    CrashingStorage(std::string root, int n) : LocalDirStorage(std::move(root)), left_(n) {}
    void put(const std::string& key, std::string_view data) override {
        if (left_-- > 0) return LocalDirStorage::put(key, data);
        fs::create_directories(fs::path(temp_path(key)).parent_path());
        std::ofstream(temp_path(key)) << data.substr(0, data.size() / 2);
        throw Error("simulated crash");
    }
    // A crash between put_all's renames leaves the same: some objects, one temp file.
    void put_all(const std::vector<ColdObject>& objects) override {
        ColdStorage::put_all(objects); // one by one through the crashing put()
    }

  private:
    int left_;
};

TEST_F(ColdSinkTest, CrashThenReplayWithOtherBoundariesKeepsEveryEventOnce) {
    const auto lines = make_lines(500, 40); // offsets 500..539
    {
        // Committed before the crash: [500..509].
        ColdSink sink(options());
        sink.write_batch(kTopic, 1, 500, 509, batch_of(lines, 500, 509));
        sink.committed(kTopic, 1, 510);
        // The crashed run: [510..539] written in part, a temp file left, never committed.
        ColdSink crashing(options(), std::make_unique<CrashingStorage>(root_.path(), 2));
        EXPECT_THROW(crashing.write_batch(kTopic, 1, 510, 539, batch_of(lines, 510, 539)), Error);
        EXPECT_EQ(crashing.stats().errors, 1u);
    }
    bool has_temp = false, has_crashed_object = false;
    for (const auto& f : all_files(root_.path())) {
        has_temp |= fs::path(f).filename().string().starts_with(".part-");
        has_crashed_object |= f.find("-510-539.ndjson.zst") != std::string::npos &&
                              !fs::path(f).filename().string().starts_with(".");
    }
    ASSERT_TRUE(has_temp);
    ASSERT_TRUE(has_crashed_object);

    // The replay starts at the committed offset and cuts the batches elsewhere.
    ColdSink replay(options());
    replay.write_batch(kTopic, 1, 510, 524, batch_of(lines, 510, 524));
    replay.committed(kTopic, 1, 525);
    replay.write_batch(kTopic, 1, 525, 539, batch_of(lines, 525, 539));
    replay.committed(kTopic, 1, 540);

    std::map<std::string, int> want;
    for (const auto& l : lines)
        want[l.json] = 1;
    EXPECT_EQ(line_counts(replay.storage()), want);
    expect_clean(root_.path(), "-510-539.");
    EXPECT_GE(replay.stats().objects_removed, 2u);
}

// Checks, when the upload starts, that every object of the call is already in its
// partition's intent log on disk (write-ahead across partitions), then uploads.
class IntentCheckingStorage : public LocalDirStorage {
  public:
    IntentCheckingStorage(std::string root, std::function<std::set<std::string>()> on_record)
        : LocalDirStorage(std::move(root)), on_record_(std::move(on_record)) {}
    void put_all(const std::vector<ColdObject>& objects) override {
        const std::set<std::string> recorded = on_record_();
        for (const ColdObject& o : objects) {
            EXPECT_TRUE(recorded.count(o.key)) << o.key << " uploaded before its intent";
            ++checked;
        }
        LocalDirStorage::put_all(objects);
    }
    int checked = 0;

  private:
    std::function<std::set<std::string>()> on_record_;
};

TEST_F(ColdSinkTest, BatchesOfManyPartitionsRecordEveryIntentFirstAndReplayExactlyOnce) {
    const std::vector<std::int32_t> partitions = {0, 3, 7};
    std::map<std::int32_t, std::vector<Line>> lines;
    for (const std::int32_t p : partitions)
        lines[p] = make_lines(100 * (p + 1), 30);
    ColdSink paths(options());
    auto on_disk = [&] {
        std::set<std::string> keys;
        for (const std::int32_t p : partitions) {
            const IntentLog log(paths.intent_path(kTopic, p));
            for (const IntentEntry& e : log.entries())
                keys.insert(e.key);
        }
        return keys;
    };
    {
        // The first run writes all three partitions in one call, then crashes before the
        // commit: everything it wrote is on record, nothing is committed.
        auto storage = std::make_unique<IntentCheckingStorage>(root_.path(), on_disk);
        IntentCheckingStorage* checking = storage.get();
        ColdSink sink(options(), std::move(storage));
        std::vector<ColdBatch> batches;
        std::vector<ColdSink::PartitionBatch> call;
        for (const std::int32_t p : partitions)
            batches.push_back(batch_of(lines[p], 100 * (p + 1), 100 * (p + 1) + 29));
        for (std::size_t i = 0; i < partitions.size(); ++i)
            call.push_back({partitions[i], 100 * (partitions[i] + 1),
                            100 * (partitions[i] + 1) + 29, &batches[i]});
        sink.write_batches(kTopic, call);
        EXPECT_GE(checking->checked, 9) << "3 partitions x 2 days x 3 regions, minus empty";
        EXPECT_EQ(sink.stats().objects_written, static_cast<std::uint64_t>(checking->checked));
    }
    // The replay cuts partition 3 differently and writes the others again: still every
    // line exactly once, no leftover of the first cut.
    ColdSink replay(options());
    std::vector<ColdBatch> batches;
    batches.push_back(batch_of(lines[0], 100, 129));
    batches.push_back(batch_of(lines[3], 400, 414));
    batches.push_back(batch_of(lines[7], 800, 829));
    replay.write_batches(
        kTopic,
        {{0, 100, 129, &batches[0]}, {3, 400, 414, &batches[1]}, {7, 800, 829, &batches[2]}});
    const ColdBatch rest = batch_of(lines[3], 415, 429);
    replay.write_batch(kTopic, 3, 415, 429, rest);
    std::map<std::string, int> want;
    for (const auto& [p, ls] : lines)
        for (const auto& l : ls)
            want[l.json] = 1;
    EXPECT_EQ(line_counts(replay.storage()), want);
    expect_clean(root_.path(), "-400-429.");
}

TEST_F(ColdSinkTest, EmptyBatchStillRemovesLeftovers) {
    const auto lines = make_lines(0, 12);
    {
        ColdSink crashed(options());
        crashed.write_batch(kTopic, 0, 0, 11, batch_of(lines, 0, 11)); // never committed
    }
    ColdSink replay(options());
    // On replay offsets 0..5 carry nothing for the cold path (e.g. all went to the DLQ).
    replay.write_batch(kTopic, 0, 0, 5, ColdBatch{});
    replay.write_batch(kTopic, 0, 6, 11, batch_of(lines, 6, 11));
    std::map<std::string, int> want;
    for (const auto& l : lines)
        if (l.offset >= 6) want[l.json] = 1;
    EXPECT_EQ(line_counts(replay.storage()), want);
}

TEST_F(ColdSinkTest, IntentLogStaysCompactAndSurvivesATornTail) {
    ColdSink sink(options());
    const auto lines = make_lines(0, 400);
    for (std::int64_t a = 0; a < 400; a += 4) {
        sink.write_batch(kTopic, 2, a, a + 3, batch_of(lines, a, a + 3));
        sink.committed(kTopic, 2, a + 4);
    }
    const std::string path = sink.intent_path(kTopic, 2);
    std::string log = read_file(path);
    // 100 batches of ~3 objects; without compaction that would be ~300 lines.
    EXPECT_LT(std::count(log.begin(), log.end(), '\n'), 120);
    EXPECT_NE(log.find("396 399 "), std::string::npos);

    // A crash in the middle of an append leaves a line without its newline.
    { std::ofstream(path, std::ios::app) << "400 4"; }
    ColdSink restarted(options());
    const auto more = make_lines(400, 4);
    restarted.write_batch(kTopic, 2, 400, 403, batch_of(more, 400, 403));
    log = read_file(path);
    EXPECT_EQ(log.back(), '\n');
    EXPECT_EQ(log.find("400 4\n"), std::string::npos) << log; // the torn line is gone
    EXPECT_NE(log.find("400 403 events/"), std::string::npos);
    std::map<std::string, int> want;
    for (const auto& l : lines)
        want[l.json] = 1;
    for (const auto& l : more)
        want[l.json] = 1;
    EXPECT_EQ(line_counts(restarted.storage()), want);
}

TEST_F(ColdSinkTest, BadInputsAreRefused) {
    ColdSink sink(options());
    EXPECT_THROW(sink.write_batch("../etc", 0, 0, 1, ColdBatch{}), Error);
    EXPECT_THROW(sink.write_batch(kTopic, 0, 5, 4, ColdBatch{}), Error);
    ColdSinkOptions no_state = options();
    no_state.state_dir.clear();
    EXPECT_THROW(ColdSink{no_state}, UsageError);
    ColdSinkOptions no_bucket = options();
    no_bucket.root = "s3://";
    EXPECT_THROW(ColdSink{no_bucket}, UsageError);
    EXPECT_EQ(hive_escape(""), "unknown");
    EXPECT_EQ(hive_escape(".."), "%2E%2E");
    EXPECT_EQ(utc_day(-1), "1969-12-31");
    EXPECT_EQ(utc_day(kDay1 + kDayMs - 1), "2024-06-01");
}

namespace ebap::pipeline {
namespace {

// Decodes every frame of a multi-frame object (the framing ColdBatch uses with a compressor).
std::string decompress_frames(const std::string& blob, int* frames) {
    std::string out;
    *frames = 0;
    std::size_t at = 0;
    while (at < blob.size()) {
        const std::size_t len = ZSTD_findFrameCompressedSize(blob.data() + at, blob.size() - at);
        EXPECT_FALSE(ZSTD_isError(len)) << ZSTD_getErrorName(len);
        if (ZSTD_isError(len)) return out;
        out += decompress(blob.substr(at, len));
        at += len;
        ++*frames;
    }
    return out;
}

TEST_F(ColdSinkTest, CompressedBatchHoldsFramesNotRawLinesAndWritesTheSameContent) {
    ColdCompressor zstd(3);
    ColdBatch batch(&zstd, 4096); // a frame every 4 KiB of lines
    std::string raw;
    for (int i = 0; i < 2000; ++i) {
        const std::string line =
            fmt::format(R"({{"event_id":"e{}","ts":{},"region":"eu-west","n":{}}})", i, kDay1, i);
        batch.add(kDay1, "eu-west", line);
        raw += line + "\n";
    }
    ASSERT_EQ(batch.groups().size(), 1u);
    const ColdGroupData& g = batch.groups().begin()->second;
    EXPECT_FALSE(g.frames.empty());
    EXPECT_LT(g.lines.size(), 4096u); // the rest went into frames
    EXPECT_EQ(batch.held_bytes(), g.frame_bytes + g.lines.size());
    EXPECT_LT(batch.held_bytes(), raw.size() / 4); // compressed as it came in

    ColdSink sink(options());
    sink.prepare();
    sink.write_batch(kTopic, 0, 0, 1999, batch);
    const auto keys = sink.storage().list("events/");
    ASSERT_EQ(keys.size(), 1u);
    int frames = 0;
    EXPECT_EQ(decompress_frames(sink.storage().get(keys[0]), &frames), raw);
    EXPECT_GT(frames, 1);

    // A moved-from batch is empty and a moved-to one appends to the right group.
    ColdBatch moved = std::move(batch);
    EXPECT_TRUE(batch.empty());
    EXPECT_EQ(batch.held_bytes(), 0u);
    moved.add(kDay1, "eu-west", "{}");
    EXPECT_EQ(moved.groups().size(), 1u);
    EXPECT_TRUE(moved.groups().begin()->second.lines.ends_with("{}\n"));
    moved.clear();
    EXPECT_EQ(moved.held_bytes(), 0u);
}

} // namespace
} // namespace ebap::pipeline

TEST(FrameArenaTest, ViewsStayPutAcrossBlocksAndBlocksAreReusedAfterReset) {
    FrameArena arena;
    auto fill = [&](int rounds) {
        std::vector<std::pair<std::string_view, char>> views;
        for (int i = 0; i < rounds; ++i) {
            const char c = static_cast<char>('a' + i % 26);
            char* p = arena.reserve(1500); // room for more than is taken, like zstd's bound
            std::memset(p, c, 1000);
            views.emplace_back(arena.commit(1000), c);
        }
        for (const auto& [v, c] : views)
            ASSERT_EQ(v, std::string(1000, c)); // nothing moved or overwritten
    };
    fill(3000); // ~3 MB: a second 2 MiB block
    EXPECT_EQ(arena.block_bytes(), 2 * FrameArena::kBlockBytes);
    arena.reset();
    fill(3000);
    EXPECT_EQ(arena.block_bytes(), 2 * FrameArena::kBlockBytes) << "blocks must be reused";
    // Bigger than a block: a block of its own, rounded up to the huge-page size.
    char* big = arena.reserve(5 << 20);
    std::memset(big, 'z', 5 << 20);
    EXPECT_EQ(arena.commit(5 << 20).size(), std::size_t{5} << 20);
    EXPECT_EQ(arena.block_bytes(), 2 * FrameArena::kBlockBytes + (std::size_t{6} << 20));
}

TEST_F(ColdSinkTest, PutAllLandsEveryObjectAndLeavesNothingHiddenOrHalfOnFailure) {
    LocalDirStorage storage(root_.path());
    storage.prepare();
    const std::string big(300000, 'c');
    // Objects are frames held elsewhere plus a tail: many parts go out in several writev
    // calls (64 pieces each), empty parts are skipped.
    std::vector<std::string> pieces;
    std::string many;
    for (int i = 0; i < 150; ++i) {
        pieces.push_back(fmt::format("[{}]", i));
        many += pieces.back();
    }
    std::vector<std::string_view> many_parts(pieces.begin(), pieces.end());
    const std::vector<ColdObject> objects = {
        {"events/day=2026-11-30/region=eu/a.zst", {"alpha"}, ""},
        {"events/day=2026-11-30/region=us/b.zst", {"br", "", "a"}, "vo"},
        {"events/day=2026-12-01/region=eu/c.zst", {big}, "tail"},
        {"events/day=2026-12-01/region=us/m.zst", many_parts, "!"},
    };
    storage.put_all(objects);
    EXPECT_EQ(storage.get(objects[0].key), "alpha");
    EXPECT_EQ(storage.get(objects[1].key), "bravo");
    EXPECT_EQ(storage.get(objects[2].key), big + "tail");
    EXPECT_EQ(storage.get(objects[3].key), many + "!");
    expect_clean(root_.path());

    // A key whose directory cannot exist (a file is in the way): the batch fails naming it,
    // and neither the objects before it nor any temp file is left behind.
    std::ofstream(root_.file("events/day=2026-12-02")) << "in the way";
    const std::vector<ColdObject> bad = {
        {"events/day=2026-11-30/region=eu/d.zst", {"delta"}, ""},
        {"events/day=2026-12-02/region=eu/e.zst", {"echo"}, ""},
    };
    try {
        storage.put_all(bad);
        FAIL() << "put_all into a path blocked by a file must throw";
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("day=2026-12-02"), std::string::npos) << e.what();
    }
    expect_clean(root_.path(), "d.zst");
}

} // namespace
} // namespace ebap::pipeline
