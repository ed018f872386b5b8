#pragma once
// Helpers for the streaming-worker end-to-end tests: a producer that remembers where each
// record landed, the group's committed offsets, the cold path read back, and an
// independent model of the hot-path aggregates (the ground truth) with the Redis checks.
#include "core/redis/redis_client.hpp"

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <sys/types.h>

typedef struct rd_kafka_s rd_kafka_t;

namespace ebap::test {

// EBAPCTL_BIN with args as a child process with env set (values "<unset>" are removed),
// output appended to log_path; killed if the test process dies.
pid_t spawn_ebapctl(const std::vector<std::string>& args,
                    const std::map<std::string, std::string>& env, const std::string& log_path);
// Waits for pid to exit: its exit status (0-255), 256 + signal when a signal killed it,
// -1 after timeout_ms.
int wait_exit(pid_t pid, int timeout_ms);

struct ProducedRecord {
    std::string topic;
    std::int32_t partition = 0;
    std::int64_t offset = -1;              // known after flush()
    std::optional<std::string> key, value; // nullopt: null
};

// Idempotent, acks=all; records go to the partition given (tests place keys themselves).
class TestProducer {
  public:
    explicit TestProducer(const std::string& bootstrap);
    ~TestProducer();
    TestProducer(const TestProducer&) = delete;
    TestProducer& operator=(const TestProducer&) = delete;

    std::size_t send(const std::string& topic, std::int32_t partition,
                     std::optional<std::string> key, std::optional<std::string> value);
    // Waits for every delivery; throws std::runtime_error naming the first failure.
    void flush();
    const std::vector<ProducedRecord>& records() const { return records_; }

  private:
    rd_kafka_t* rk_ = nullptr;
    std::vector<ProducedRecord> records_;
    std::string first_error_;
    friend struct TestProducerAccess;
};

struct GroupPartition {
    std::string topic;
    std::int32_t partition = 0;
    std::int64_t committed = -1; // -1: nothing committed
    std::int64_t high = -1;
    std::int64_t low = -1; // the log start
};
// Committed offsets of group and high watermarks, for every partition of topics.
std::vector<GroupPartition> group_offsets(const std::string& bootstrap, const std::string& group,
                                          const std::vector<std::string>& topics);

struct ColdLine {
    std::string day, region; // from the Hive directories
    std::string object;      // relative key
    nlohmann::json event;
};
// Every line of every visible object under <root>/events (zstd NDJSON). Hidden files
// (".part-…tmp", uploads cut short) are skipped and listed in *hidden when given.
std::vector<ColdLine> read_cold_path(const std::string& root,
                                     std::vector<std::string>* hidden = nullptr);

// ---- ground truth ----

struct RegionTruth {
    std::int64_t events = 0, errors = 0, with_latency = 0;
    double revenue = 0;
    std::set<std::int64_t> users;
};
struct WindowTruth {
    std::int64_t events = 0, purchases = 0, errors = 0;
    double revenue = 0;
    std::map<std::string, std::int64_t> types;
    std::set<std::int64_t> users;
    std::map<std::string, RegionTruth> regions;
};

// The worker's semantics written out independently: per-partition watermark (docs/ARCHITECTURE.md),
// 1-minute windows, region = profile region, else the event's, else "unknown".
class Truth {
  public:
    explicit Truth(std::int64_t delay_ms = 600'000) : delay_ms_(delay_ms) {}
    // A record of `partition`, in offset order. nullopt profile_region: no profile.
    // Returns false when the record is late. ev must be a valid event.
    bool add_event(std::int32_t partition, const nlohmann::json& ev,
                   const std::optional<std::string>& profile_region);
    void add_dlq() { ++dlq_; }

    const std::map<std::int64_t, WindowTruth>& windows() const { return windows_; }
    std::int64_t events() const { return events_; }
    std::int64_t late() const { return late_; }
    std::int64_t dlq() const { return dlq_; }
    const std::set<std::string>& regions() const { return regions_; }
    // event_id -> how many times it must appear in the cold path (every valid event).
    const std::map<std::string, int>& cold_ids() const { return cold_ids_; }
    // region each counted event_id was attributed to (the cold path's region directory).
    const std::map<std::string, std::string>& cold_region() const { return cold_region_; }

  private:
    std::int64_t delay_ms_;
    std::map<std::int32_t, std::int64_t> max_ts_;
    std::map<std::int64_t, WindowTruth> windows_;
    std::int64_t events_ = 0, late_ = 0, dlq_ = 0;
    std::set<std::string> regions_;
    std::map<std::string, int> cold_ids_;
    std::map<std::string, std::string> cold_region_;
};

// Event time of a valid event (epoch ms or RFC 3339 "…Z" as produced by the tests).
std::int64_t event_ts(const nlohmann::json& ev);

// EXPECTs that Redis holds exactly the truth: every window hash (events, purchases,
// errors, revenue, per type), window and window-region HLLs within HLL error, region
// window hashes, the counters, the regions set, and no window the truth lacks.
void expect_redis_matches_truth(RedisClient& redis, const Truth& truth,
                                const std::string& prefix = "ebap:");

// EXPECTs that the cold path holds every counted event exactly once, in its region's and
// day's directory, and nothing else.
void expect_cold_matches_truth(const std::vector<ColdLine>& lines, const Truth& truth);

} // namespace ebap::test
