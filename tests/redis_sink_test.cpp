// RedisSink against a real redis-server: the MULTI/EXEC of a batch writes exactly the
// fields of the contract, batches add up, a discarded transaction leaves nothing, stored
// offsets round-trip, and the derived views of a small fixture match values worked out
// by hand.
#include "core/base/error.hpp"
#include "core/base/time.hpp"
#include "core/redis/redis_client.hpp"
#include "pipeline/sinks/redis/redis_sink.hpp"
#include "pipeline/window/window.hpp"
#include "support/redis_server.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <fmt/format.h>
#include <map>
#include <set>

namespace ebap::pipeline {
namespace {

using Hash = std::map<std::string, double>;

const std::string kPrefix = "test:";
const std::string kGroup = "grp";
const std::string kTopic = "ebap.events.raw";
constexpr std::int64_t kW1 = 28'616'667LL * 60'000; // a window start
constexpr std::int64_t kW2 = kW1 + 60'000;
constexpr std::int64_t kDelay = 60'000;
const char* const kRegions[] = {"eu-west", "us-east", "ap-south"};

struct Input {
    Event event;
    std::int32_t partition = 0;
};

// 300 on-time events over two windows and three regions with different latency and
// error profiles. Amounts are multiples of 1/4 so every sum is exact in binary.
std::vector<Input> make_inputs() {
    std::vector<Input> in;
    for (int i = 0; i < 300; ++i) {
        Event e;
        e.event_id = fmt::format("e{}", i);
        e.user_id = 1000 + (i * 7) % 53;
        e.type = static_cast<EventType>((i * 3) % 7);
        e.ts_ms = kW1 + i * 350;
        e.region = kRegions[i % 3];
        if (e.type == EventType::purchase) e.amount = 1.25 * (i % 5 + 1);
        if (i % 4 != 0) {
            const double base = (i * 37) % (i % 3 == 0 ? 300 : 900);
            e.latency_ms = i % 3 == 2 ? base + 2000 : base;
        }
        e.error = e.type == EventType::error || i % 29 == 0;
        in.push_back({e, i % 2});
    }
    return in;
}

// A late event for partition 0 once the inputs advanced its max ts.
Event late_event() {
    Event e;
    e.event_id = "late";
    e.user_id = 7;
    e.type = EventType::purchase;
    e.amount = 99;
    e.ts_ms = kW1 - 2 * kWindowMs;
    e.region = "eu-west";
    return e;
}

// The Redis field names of the event types, in EventType order (the contract, spelled
// out here rather than taken from event_type_name).
const char* const kTypeNames[] = {"view", "search", "cart", "purchase", "login", "logout", "error"};

std::string bucket_label(double latency) {
    for (double b : kLatencyBoundsMs)
        if (latency <= b) return fmt::format("{}", b);
    return "inf";
}

// The expected contents of Redis, computed directly from the inputs.
struct Expected {
    std::map<std::int64_t, Hash> windows;
    std::map<std::int64_t, std::set<std::int64_t>> window_users;
    std::map<std::pair<std::int64_t, std::string>, Hash> regions;
    std::map<std::pair<std::int64_t, std::string>, std::set<std::int64_t>> region_users;
    std::map<std::pair<std::int64_t, std::string>, std::vector<double>> latencies;
    std::map<std::int64_t, std::int64_t> seconds;
    std::int64_t events = 0;
};

Expected expect(const std::vector<Input>& inputs) {
    Expected x;
    for (const auto& [e, p] : inputs) {
        const std::int64_t w = e.ts_ms - e.ts_ms % kWindowMs;
        Hash& wh = x.windows[w];
        wh["events"] += 1;
        wh["purchases"] += e.type == EventType::purchase;
        wh["errors"] += e.error;
        wh["revenue"] += e.type == EventType::purchase ? e.amount : 0;
        wh["type:" + std::string(kTypeNames[static_cast<std::size_t>(e.type)])] += 1;
        x.window_users[w].insert(e.user_id);
        Hash& rh = x.regions[{w, e.region}];
        rh["events"] += 1;
        rh["errors"] += e.error;
        rh["revenue"] += e.type == EventType::purchase ? e.amount : 0;
        if (e.latency_ms >= 0) {
            rh["lat:" + bucket_label(e.latency_ms)] += 1;
            x.latencies[{w, e.region}].push_back(e.latency_ms);
        }
        x.region_users[{w, e.region}].insert(e.user_id);
        x.seconds[e.ts_ms / 1000] += 1;
        ++x.events;
    }
    return x;
}

class RedisSinkTest : public ::testing::Test {
  protected:
    static void SetUpTestSuite() {
        server_ = new test::RedisServer();
        server_->start();
    }
    static void TearDownTestSuite() {
        delete server_;
        server_ = nullptr;
    }
    static RedisOptions options() {
        RedisOptions o;
        o.host = "127.0.0.1";
        o.port = server_->port();
        return o;
    }
    void SetUp() override {
        client_.emplace(options());
        ASSERT_EQ(client_->command({"FLUSHALL"}).type, RedisReply::Type::Status);
        check_.emplace(options());
    }

    Hash hash(const std::string& key) {
        const RedisReply r = check_->command({"HGETALL", key});
        EXPECT_TRUE(r.is_array()) << key << ": " << r.str;
        Hash h;
        for (std::size_t i = 0; i + 1 < r.elements.size(); i += 2)
            h[r.elements[i].str] = std::stod(r.elements[i + 1].str);
        return h;
    }
    std::map<std::string, std::string> text_hash(const std::string& key) {
        const RedisReply r = check_->command({"HGETALL", key});
        std::map<std::string, std::string> h;
        for (std::size_t i = 0; i + 1 < r.elements.size(); i += 2)
            h[r.elements[i].str] = r.elements[i + 1].str;
        return h;
    }
    // PFCOUNT of an HLL built here from ids: what the sink's HLL must count.
    long long reference_count(const std::set<std::int64_t>& ids) {
        std::vector<std::string> argv{"PFADD", "ref:hll"};
        for (auto id : ids)
            argv.push_back(std::to_string(id));
        check_->command({"DEL", "ref:hll"});
        check_->command(argv);
        return check_->command({"PFCOUNT", "ref:hll"}).integer;
    }
    // The stored HLL holds exactly the ids' registers: same count, and the union with
    // the reference adds nothing.
    void expect_hll(const std::string& key, const std::set<std::int64_t>& ids) {
        const long long ref = reference_count(ids);
        EXPECT_EQ(check_->command({"PFCOUNT", key}).integer, ref) << key;
        EXPECT_EQ(check_->command({"PFCOUNT", key, "ref:hll"}).integer, ref) << key;
        EXPECT_LE(std::llabs(ref - static_cast<long long>(ids.size())), 1) << key;
    }
    // The key expires ttl_s after the EXEC that last set it, and that EXEC ran between
    // from_ms and to_ms by our clock (the same machine's as Redis's): PEXPIRETIME, an
    // absolute time, does not count down while the test runs.
    void expect_expiry(const std::string& key, std::int64_t ttl_s, std::int64_t from_ms,
                       std::int64_t to_ms) {
        const long long at = check_->command({"PEXPIRETIME", key}).integer;
        EXPECT_GE(at, from_ms + ttl_s * 1000) << key;
        EXPECT_LE(at, to_ms + ttl_s * 1000) << key;
    }

    // The state the inputs leave behind; the batches were committed between from_ms and
    // to_ms.
    void expect_state(const Expected& x, std::int64_t late, std::int64_t dlq, std::int64_t from_ms,
                      std::int64_t to_ms) {
        std::set<std::string> want_keys{kPrefix + "regions", kPrefix + "counters",
                                        kPrefix + "offsets:" + kGroup, kPrefix + "win:index"};
        for (const auto& [w, h] : x.windows) {
            const std::string key = kPrefix + "win:1m:" + std::to_string(w);
            EXPECT_EQ(hash(key), h) << key;
            expect_hll(key + ":users", x.window_users.at(w));
            expect_expiry(key, kWindowTtlS, from_ms, to_ms);
            expect_expiry(key + ":users", kWindowTtlS, from_ms, to_ms);
            want_keys.insert({key, key + ":users"});
        }
        for (const auto& [wr, h] : x.regions) {
            const std::string key =
                kPrefix + "win:1m:" + std::to_string(wr.first) + ":region:" + wr.second;
            const std::string users =
                kPrefix + "win:1m:" + std::to_string(wr.first) + ":users:" + wr.second;
            EXPECT_EQ(hash(key), h) << key;
            expect_hll(users, x.region_users.at(wr));
            expect_expiry(key, kWindowTtlS, from_ms, to_ms);
            expect_expiry(users, kWindowTtlS, from_ms, to_ms);
            want_keys.insert({key, users});
        }
        for (const auto& [s, n] : x.seconds) {
            const std::string key = kPrefix + "sec:" + std::to_string(s);
            EXPECT_EQ(check_->command({"GET", key}).str, std::to_string(n)) << key;
            expect_expiry(key, kSecondTtlS, from_ms, to_ms);
            want_keys.insert(key);
        }
        const RedisReply regions = check_->command({"SMEMBERS", kPrefix + "regions"});
        std::set<std::string> got_regions;
        for (const auto& r : regions.elements)
            got_regions.insert(r.str);
        EXPECT_EQ(got_regions, (std::set<std::string>{"eu-west", "us-east", "ap-south"}));
        EXPECT_EQ(hash(kPrefix + "counters"), (Hash{{"events", double(x.events)},
                                                    {"late_events", double(late)},
                                                    {"dlq_events", double(dlq)}}));
        const RedisReply index = check_->command({"ZRANGE", kPrefix + "win:index", "0", "-1"});
        std::vector<std::string> got_index;
        for (const auto& m : index.elements)
            got_index.push_back(m.str);
        std::vector<std::string> want_index;
        for (const auto& [w, h] : x.windows)
            want_index.push_back(std::to_string(w));
        EXPECT_EQ(got_index, want_index);
        // Nothing else, nothing outside the prefix.
        const RedisReply keys = check_->command({"KEYS", "*"});
        std::set<std::string> got_keys;
        for (const auto& k : keys.elements)
            if (k.str != "ref:hll") got_keys.insert(k.str);
        EXPECT_EQ(got_keys, want_keys);
    }

    static test::RedisServer* server_;
    std::optional<RedisClient> client_; // the sink's connection
    std::optional<RedisClient> check_;  // the test's own
};
test::RedisServer* RedisSinkTest::server_ = nullptr;

std::map<TopicPartition, StoredPosition> positions_of(const WindowAggregator& agg,
                                                      std::int64_t next0, std::int64_t next1) {
    return {{{kTopic, 0}, {next0, agg.max_ts(0)}}, {{kTopic, 1}, {next1, agg.max_ts(1)}}};
}

TEST_F(RedisSinkTest, OneBatchWritesExactlyTheContractFields) {
    const auto inputs = make_inputs();
    WindowAggregator agg(kDelay);
    for (const auto& in : inputs)
        ASSERT_TRUE(agg.add(in.event, in.event.region, in.partition));
    ASSERT_FALSE(agg.add(late_event(), "eu-west", 0)); // the test's premise
    agg.count_dlq(2);
    // The newest event time per partition: input 298 (kW1 + 298 x 350 ms) on partition 0,
    // input 299 on partition 1; the late event, older, moves nothing.
    EXPECT_EQ(agg.max_ts(0), 1'717'000'124'300);
    EXPECT_EQ(agg.max_ts(1), 1'717'000'124'650);
    RedisSink sink(*client_, kPrefix, kGroup);
    const std::int64_t from = now_ms();
    sink.commit_batch(agg.take(), positions_of(agg, 151, 150));
    const std::int64_t to = now_ms();

    expect_state(expect(inputs), 1, 2, from, to);
    EXPECT_EQ(text_hash(kPrefix + "offsets:" + kGroup),
              (std::map<std::string, std::string>{{kTopic + ":0", "151"},
                                                  {kTopic + ":0:maxts", "1717000124300"},
                                                  {kTopic + ":1", "150"},
                                                  {kTopic + ":1:maxts", "1717000124650"}}));
}

TEST_F(RedisSinkTest, TwoBatchesAddUpToOne) {
    const auto inputs = make_inputs();
    WindowAggregator agg(kDelay);
    RedisSink sink(*client_, kPrefix, kGroup);
    const std::int64_t from = now_ms();
    // Cut mid-window and mid-second: the second batch adds to keys the first created.
    for (std::size_t i = 0; i < 137; ++i)
        ASSERT_TRUE(agg.add(inputs[i].event, inputs[i].event.region, inputs[i].partition));
    agg.count_dlq(1);
    sink.commit_batch(agg.take(), positions_of(agg, 69, 68));
    for (std::size_t i = 137; i < inputs.size(); ++i)
        ASSERT_TRUE(agg.add(inputs[i].event, inputs[i].event.region, inputs[i].partition));
    ASSERT_FALSE(agg.add(late_event(), "eu-west", 0));
    agg.count_dlq(1);
    sink.commit_batch(agg.take(), positions_of(agg, 151, 150));
    const std::int64_t to = now_ms();

    expect_state(expect(inputs), 1, 2, from, to);
    EXPECT_EQ(text_hash(kPrefix + "offsets:" + kGroup)[kTopic + ":0"], "151");
}

TEST_F(RedisSinkTest, ManyUsersArePfaddedInChunks) {
    WindowAggregator agg(kDelay);
    std::set<std::int64_t> users;
    for (int i = 0; i < 5000; ++i) {
        Event e;
        e.user_id = 1'000'000 + i * 13;
        e.ts_ms = kW1 + i;
        users.insert(e.user_id);
        agg.add(e, "eu-west", 0);
    }
    RedisSink sink(*client_, kPrefix, kGroup);
    sink.commit_batch(agg.take(), {});
    const std::string key = kPrefix + "win:1m:" + std::to_string(kW1) + ":users";
    const long long ref = reference_count(users);
    EXPECT_EQ(check_->command({"PFCOUNT", key}).integer, ref);
    EXPECT_EQ(check_->command({"PFCOUNT", key, "ref:hll"}).integer, ref);
    EXPECT_NEAR(static_cast<double>(ref), 5000.0, 5000 * 0.03); // HLL's error bound
}

TEST_F(RedisSinkTest, DiscardedTransactionLeavesNothing) {
    const auto inputs = make_inputs();
    WindowAggregator agg(kDelay);
    for (const auto& in : inputs)
        agg.add(in.event, in.event.region, in.partition);
    const BatchDelta delta = agg.take();
    RedisSink sink(*client_, kPrefix, kGroup);
    // With no memory left, Redis refuses every write while queuing it and discards the
    // whole transaction at EXEC.
    ASSERT_EQ(check_->command({"CONFIG", "SET", "maxmemory", "1"}).str, "OK");
    std::string message;
    try {
        sink.commit_batch(delta, positions_of(agg, 151, 150));
    } catch (const Error& e) {
        message = e.what();
    }
    ASSERT_EQ(check_->command({"CONFIG", "SET", "maxmemory", "0"}).str, "OK");
    EXPECT_NE(message.find("discarded, nothing applied"), std::string::npos) << message;
    EXPECT_NE(message.find("EXECABORT"), std::string::npos) << message;
    EXPECT_NE(message.find("OOM"), std::string::npos) << message;
    EXPECT_EQ(check_->command({"DBSIZE"}).integer, 0);

    // The same batch commits once memory is back: exactly one copy of everything.
    const std::int64_t from = now_ms();
    sink.commit_batch(delta, positions_of(agg, 151, 150));
    const std::int64_t to = now_ms();
    expect_state(expect(inputs), 0, 0, from, to);
}

TEST_F(RedisSinkTest, WrongTypeKeyFailsLoudlyNamingTheKey) {
    // Redis runs the other commands of an EXEC even when one fails (no rollback): this
    // documents that, and that the error names the key the operator must remove.
    ASSERT_EQ(check_->command({"SET", kPrefix + "regions", "not a set"}).str, "OK");
    WindowAggregator agg(kDelay);
    Event e;
    e.user_id = 1;
    e.ts_ms = kW1;
    agg.add(e, "eu-west", 0);
    RedisSink sink(*client_, kPrefix, kGroup);
    std::string message;
    try {
        sink.commit_batch(agg.take(), {{{kTopic, 0}, {1, kW1}}});
    } catch (const Error& err) {
        message = err.what();
    }
    EXPECT_NE(message.find("SADD test:regions failed: WRONGTYPE"), std::string::npos) << message;
    EXPECT_NE(message.find("were applied"), std::string::npos) << message;
    EXPECT_EQ(check_->command({"HGET", kPrefix + "offsets:" + kGroup, kTopic + ":0"}).str, "1");
}

TEST_F(RedisSinkTest, LoadOffsetsRoundTrip) {
    RedisSink sink(*client_, kPrefix, kGroup);
    EXPECT_TRUE(sink.load_offsets().empty());
    const std::map<TopicPartition, StoredPosition> positions{{{kTopic, 0}, {42, 1'700'000'000'123}},
                                                             {{kTopic, 5}, {7, std::nullopt}},
                                                             {{"ebap.cdc.users", 2}, {9, 5}}};
    sink.commit_batch(BatchDelta{}, positions);
    EXPECT_EQ(sink.load_offsets(), positions);
    const auto raw = sink.load_offsets({kTopic});
    EXPECT_EQ(raw, (std::map<TopicPartition, StoredPosition>{{{kTopic, 0}, {42, 1'700'000'000'123}},
                                                             {{kTopic, 5}, {7, std::nullopt}}}));
    // Another group's positions are its own.
    EXPECT_TRUE(RedisSink(*client_, kPrefix, "other").load_offsets().empty());
    // Foreign fields are ignored; a corrupt value stops the worker with the key named.
    check_->command({"HSET", kPrefix + "offsets:" + kGroup, "note", "hello"});
    EXPECT_EQ(sink.load_offsets(), positions);
    check_->command({"HSET", kPrefix + "offsets:" + kGroup, kTopic + ":3", "12x"});
    try {
        sink.load_offsets({kTopic});
        ADD_FAILURE() << "expected an error";
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("test:offsets:grp field ebap.events.raw:3"),
                  std::string::npos)
            << e.what();
    }
    EXPECT_EQ(sink.load_offsets({"ebap.cdc.users"}).size(), 1u); // other topics still load
}

TEST_F(RedisSinkTest, ColdOffsetsCommitWithTheBatchAndLoadBesideTheHotOnes) {
    RedisSink sink(*client_, kPrefix, kGroup);
    sink.commit_batch(BatchDelta{}, {{{kTopic, 0}, {100, 5}}, {{kTopic, 1}, {50, 6}}},
                      {{{kTopic, 0}, 40}});
    auto loaded = sink.load_offsets({kTopic});
    EXPECT_EQ((loaded[{kTopic, 0}]), (StoredPosition{100, 5, 40}));
    EXPECT_EQ((loaded[{kTopic, 1}]), (StoredPosition{50, 6, std::nullopt}));
    EXPECT_EQ(check_->command({"HGET", kPrefix + "offsets:" + kGroup, kTopic + ":0:cold"}).str,
              "40");
    // A later transaction may carry only cold offsets: the hot ones stay.
    sink.commit_batch(BatchDelta{}, {}, {{{kTopic, 0}, 100}, {{kTopic, 1}, 50}});
    loaded = sink.load_offsets({kTopic});
    EXPECT_EQ((loaded[{kTopic, 0}]), (StoredPosition{100, 5, 100}));
    EXPECT_EQ((loaded[{kTopic, 1}]), (StoredPosition{50, 6, 50}));
    check_->command({"HSET", kPrefix + "offsets:" + kGroup, kTopic + ":1:cold", "x"});
    EXPECT_THROW(sink.load_offsets({kTopic}), Error);
}

TEST_F(RedisSinkTest, AClaimFencesTheFormerOwnersCommitsOfThatPartition) {
    // A worker stalled past its session still holds a batch when the group has given its
    // partition to another worker; the new owner claims it before loading its offsets.
    RedisClient other(options());
    RedisSink old_owner(*client_, kPrefix, kGroup), new_owner(other, kPrefix, kGroup);
    ASSERT_NE(old_owner.token(), new_owner.token());
    const TopicPartition p0{kTopic, 0}, p1{kTopic, 1};
    old_owner.claim({p0, p1});
    BatchDelta d;
    d.events = 5;
    old_owner.commit_batch(d, {{p0, {10, 1}}, {p1, {20, 2}}});

    new_owner.claim({p1}); // the rebalance moved partition 1
    EXPECT_EQ(new_owner.load_offsets({kTopic})[p1].next_offset, 20);
    // A batch that covers partition 1 is refused whole: nothing of it applied.
    d.events = 7;
    try {
        old_owner.commit_batch(d, {{p0, {11, 3}}, {p1, {25, 4}}}, {{p1, 25}});
        ADD_FAILURE() << "the former owner's commit was applied";
    } catch (const FencedError& e) {
        EXPECT_NE(std::string(e.what()).find(kTopic + ":1"), std::string::npos) << e.what();
    }
    EXPECT_THROW(old_owner.verify_claims({p1}), FencedError);
    EXPECT_EQ(text_hash(kPrefix + "counters")["events"], "5");
    auto stored = old_owner.load_offsets({kTopic});
    EXPECT_EQ(stored[p0], (StoredPosition{10, 1, std::nullopt}));
    EXPECT_EQ(stored[p1], (StoredPosition{20, 2, std::nullopt}));
    // The partition it still owns commits as before, and so does the new owner's.
    old_owner.verify_claims({p0});
    old_owner.commit_batch(d, {{p0, {11, 3}}});
    new_owner.commit_batch(d, {{p1, {25, 4}}});
    stored = new_owner.load_offsets({kTopic});
    EXPECT_EQ(stored[p0].next_offset, 11);
    EXPECT_EQ(stored[p1].next_offset, 25);
    EXPECT_EQ(text_hash(kPrefix + "counters")["events"], "19");
    EXPECT_EQ(text_hash(kPrefix + "owners:" + kGroup)[kTopic + ":1"], new_owner.token());
    // The refused check's WATCH is gone: a write to the owners hash right after the
    // refusal does not abort the next EXEC (one check, one EXEC).
    EXPECT_THROW(old_owner.commit_batch(d, {{p1, {26, 4}}}), FencedError);
    check_->command({"HSET", kPrefix + "owners:" + kGroup, kTopic + ":9", "x"});
    int checks = 0;
    old_owner.after_check_for_testing = [&] { ++checks; };
    old_owner.commit_batch(d, {{p0, {12, 3}}});
    EXPECT_EQ(checks, 1);
    EXPECT_EQ(text_hash(kPrefix + "counters")["events"], "26");
}

TEST_F(RedisSinkTest, AClaimBetweenTheCheckAndExecAbortsTheExecAndTheCheckRunsAgain) {
    RedisClient other(options());
    RedisSink sink(*client_, kPrefix, kGroup), rival(other, kPrefix, kGroup);
    const TopicPartition p0{kTopic, 0}, p5{kTopic, 5};
    sink.claim({p0});
    BatchDelta d;
    d.events = 3;
    // A rebalance elsewhere in the group (a claim of another partition) lands after the
    // check: the EXEC aborts, nothing applied, and the second attempt commits once.
    int checks = 0;
    sink.after_check_for_testing = [&] {
        if (++checks == 1) rival.claim({p5});
    };
    sink.commit_batch(d, {{p0, {4, 1}}});
    EXPECT_EQ(checks, 2);
    EXPECT_EQ(text_hash(kPrefix + "counters")["events"], "3");
    EXPECT_EQ(sink.load_offsets({kTopic})[p0].next_offset, 4);

    // The rival takes this very partition after the check: the EXEC aborts, the check
    // runs again and refuses the batch.
    checks = 0;
    sink.after_check_for_testing = [&] {
        if (++checks == 1) rival.claim({p0, p5});
    };
    EXPECT_THROW(sink.commit_batch(d, {{p0, {9, 2}}}), FencedError);
    EXPECT_EQ(checks, 1); // the second check threw before the hook
    EXPECT_EQ(text_hash(kPrefix + "counters")["events"], "3");
    EXPECT_EQ(sink.load_offsets({kTopic})[p0].next_offset, 4);
}

// A small fixture for the views, its expected values worked out by hand below.
// Seconds are relative to S = kW2 / 1000 (W1 is the minute before kW2, W2 the one from it).
std::vector<Event> view_inputs() {
    auto ev = [](std::int64_t ts, std::int64_t user, EventType type, const char* region,
                 double latency = -1, double amount = 0, bool error = false) {
        Event e;
        e.event_id = fmt::format("v{}", ts);
        e.user_id = user;
        e.type = type;
        e.ts_ms = ts;
        e.region = region;
        e.latency_ms = latency;
        e.amount = amount;
        e.error = error;
        return e;
    };
    return {
        // W1: three events in its last seconds.
        ev(kW2 - 6000, 6, EventType::view, "us-east"),    // S-6: just outside the eps span
        ev(kW2 - 5000, 6, EventType::view, "us-east"),    // S-5: the oldest second counted
        ev(kW2 - 500, 5, EventType::view, "eu-west", 50), // S-1
        // W2: eight events, three regions.
        ev(kW2 + 0, 1, EventType::view, "eu-west", 100),              // S
        ev(kW2 + 200, 2, EventType::purchase, "eu-west", 120, 2.5),   // S
        ev(kW2 + 1000, 7, EventType::login, "eu-west"),               // S+1
        ev(kW2 + 1500, 1, EventType::logout, "eu-west"),              // S+1
        ev(kW2 + 2000, 3, EventType::view, "us-east", 600),           // S+2
        ev(kW2 + 2100, 1, EventType::search, "us-east", 700),         // S+2
        ev(kW2 + 5000, 4, EventType::error, "ap-south", -1, 0, true), // S+5: newest second
        ev(kW2 + 5300, 4, EventType::purchase, "ap-south", -1, 4.25), // S+5
    };
}

TEST_F(RedisSinkTest, RefreshViewsMatchHandComputedValues) {
    WindowAggregator agg(kDelay);
    for (const Event& e : view_inputs())
        ASSERT_TRUE(agg.add(e, e.region, 0));
    ASSERT_FALSE(agg.add(late_event(), "eu-west", 0));
    agg.count_dlq(3);
    RedisSink sink(*client_, kPrefix, kGroup);
    sink.commit_batch(agg.take(), {});
    // An event from a wild clock, an hour ahead: it must not become "the current window".
    const std::int64_t now = kW2 + 50'000; // 1717000130000
    Event wild;
    wild.user_id = 1;
    wild.ts_ms = now + 3'600'000;
    agg.add(wild, "eu-west", 2);
    sink.commit_batch(agg.take(), {});
    check_->command({"SADD", kPrefix + "regions", "idle"});

    const HealthThresholds t{
        .p95_warn_ms = 500, .p95_crit_ms = 1500, .error_warn = 0.2, .error_crit = 0.5};
    sink.refresh_views(now, kW2 - 1000, t);

    // The current window is W2 (1717000080000). eps: the 10 seconds before the newest one
    // with data (S+5), S-5 .. S+4, hold 1 + 1 + 2 + 2 + 2 = 8 events: 0.8. W2: 8 events,
    // 2 purchases (2.5 + 4.25), 1 error, users {1, 2, 3, 4, 7}.
    using Text = std::map<std::string, std::string>;
    const Text kpi = text_hash(kPrefix + "kpi:now");
    EXPECT_EQ(kpi, (Text{{"eps", "0.8"},
                         {"active_users_1m", "5"},
                         {"purchases_1m", "2"},
                         {"revenue_1m", "6.75"},
                         {"error_rate_1m", "0.125"},
                         {"late_events", "1"},
                         {"dlq_events", "3"},
                         {"watermark_ms", "1717000079000"},
                         {"window_start_ms", "1717000080000"},
                         {"updated_ms", "1717000130000"}}));

    // Per region in W2, p95 is the upper bound of the bucket of the nearest-rank sample:
    // eu-west 100 and 120 ms -> (100, 200] -> 200, no errors: ok;
    // us-east 600 and 700 ms -> (500, 750] -> 750 >= 500: warn;
    // ap-south no latency -> 0, 1 error of 2 = 0.5 >= 0.5: crit.
    const auto region = [&](const std::string& events, const std::string& users,
                            const std::string& revenue, const std::string& error_rate,
                            const std::string& p95, const std::string& health) {
        return Text{{"events_1m", events},
                    {"active_users_1m", users},
                    {"revenue_1m", revenue},
                    {"error_rate", error_rate},
                    {"p95_latency_ms", p95},
                    {"health", health},
                    {"window_start_ms", "1717000080000"},
                    {"updated_ms", "1717000130000"}};
    };
    EXPECT_EQ(text_hash(kPrefix + "region:eu-west"), region("4", "3", "2.5", "0", "200", "ok"));
    EXPECT_EQ(text_hash(kPrefix + "region:us-east"), region("2", "2", "0", "0", "750", "warn"));
    EXPECT_EQ(text_hash(kPrefix + "region:ap-south"), region("2", "1", "4.25", "0.5", "0", "crit"));
    EXPECT_EQ(text_hash(kPrefix + "region:idle"), region("0", "0", "0", "0", "0", "ok"));

    // The stream: one entry per wall-clock second, whoever writes.
    auto stream = [&] { return check_->command({"XRANGE", kPrefix + "ts:kpi", "-", "+"}); };
    RedisReply s = stream();
    ASSERT_EQ(s.elements.size(), 1u);
    EXPECT_EQ(s.elements[0].elements[0].str, "1717000130000-0");
    std::vector<std::string> fields;
    for (const auto& f : s.elements[0].elements[1].elements)
        fields.push_back(f.str);
    EXPECT_EQ(fields, (std::vector<std::string>{"eps", "0.8", "active_users", "5"}));
    sink.refresh_views(now + 300, kW2, t);
    EXPECT_EQ(stream().elements.size(), 1u);

    // Another worker's sink, knowing nothing in memory, computes the same views.
    RedisClient other_client(client_->options());
    RedisSink other(other_client, kPrefix, kGroup);
    other.refresh_views(now + 1000, kW2 - 1000, t);
    Text again = text_hash(kPrefix + "kpi:now");
    EXPECT_EQ(again["updated_ms"], "1717000131000");
    again["updated_ms"] = "1717000130000";
    EXPECT_EQ(again, kpi);
    s = stream();
    ASSERT_EQ(s.elements.size(), 2u);
    EXPECT_EQ(s.elements[1].elements[0].str, "1717000131000-0");
}

TEST_F(RedisSinkTest, RefreshWithNoDataWritesZeros) {
    RedisSink sink(*client_, kPrefix, kGroup);
    sink.refresh_views(5'000, std::nullopt, HealthThresholds{});
    EXPECT_EQ(hash(kPrefix + "kpi:now"), (Hash{{"eps", 0},
                                               {"active_users_1m", 0},
                                               {"purchases_1m", 0},
                                               {"revenue_1m", 0},
                                               {"error_rate_1m", 0},
                                               {"late_events", 0},
                                               {"dlq_events", 0},
                                               {"updated_ms", 5000}}));
}

} // namespace
} // namespace ebap::pipeline
