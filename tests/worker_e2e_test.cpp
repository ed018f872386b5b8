// `ebapctl worker --drain` end to end: the embedded broker in this process, a real
// redis-server, the built binary. A hand-built data set with known ground truth (windows,
// regions, late events by the per-partition rule, malformed records, duplicate event ids,
// Debezium CDC including the real fixture shapes) must come out exactly in Redis, the DLQ
// topic, the cold path and the group's committed offsets.
#include "core/embedded/kafka_mock.hpp"
#include "core/redis/redis_client.hpp"
#include "support/child_process.hpp"
#include "support/cli_run.hpp"
#include "support/pipeline_harness.hpp"
#include "support/ports.hpp"
#include "support/redis_server.hpp"
#include "support/temp_dir.hpp"

#include <gtest/gtest.h>
#include <httplib.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <csignal>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <random>
#include <regex>
#include <sstream>
#include <thread>

namespace ebap::test {
namespace {

using nlohmann::json;

const std::string kEvents = "ebap.events.raw";
const std::string kTelemetry = "ebap.metrics.telemetry";
const std::string kCdc = "ebap.cdc.users";
const std::string kDlq = "ebap.events.dlq";
constexpr int kEventPartitions = 6;

std::string fixture(const std::string& name) {
    std::ifstream in(std::string(EBAP_FIXTURES_DIR) + "/debezium/" + name);
    std::ostringstream ss;
    ss << in.rdbuf();
    if (ss.str().empty()) throw std::runtime_error("missing fixture " + name);
    return ss.str();
}

std::vector<std::string> fixture_lines(const std::string& name) {
    std::vector<std::string> out;
    std::istringstream in(fixture(name));
    for (std::string line; std::getline(in, line);)
        if (!line.empty()) out.push_back(line);
    return out;
}

std::int64_t utc_ms(int y, int mo, int d, int h, int mi, int s) {
    std::tm tm{};
    tm.tm_year = y - 1900;
    tm.tm_mon = mo - 1;
    tm.tm_mday = d;
    tm.tm_hour = h;
    tm.tm_min = mi;
    tm.tm_sec = s;
    return static_cast<std::int64_t>(timegm(&tm)) * 1000;
}

std::string rfc3339(std::int64_t ms) {
    const std::time_t secs = static_cast<std::time_t>(ms / 1000);
    std::tm tm{};
    gmtime_r(&secs, &tm);
    char buf[40];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
    return std::string(buf) + "." + std::to_string(1000 + ms % 1000).substr(1) + "Z";
}

// The test's model of the profile table: what the CDC stream leaves behind.
class ProfileModel {
  public:
    // Applies one record as Debezium semantics say (invalid JSON: ignored).
    void apply(std::int64_t key_id, const std::optional<std::string>& value) {
        if (!value || value->empty()) {
            regions_.erase(key_id); // tombstone
            return;
        }
        json v = json::parse(*value, nullptr, false);
        if (v.is_discarded() || v.is_null()) return;
        if (v.contains("schema") && v.contains("payload")) v = v["payload"];
        const std::string op = v.value("op", "");
        if (op == "c" || op == "r" || op == "u") {
            const json& after = v["after"];
            regions_[after["id"].get<std::int64_t>()] = after.value("region", "");
        } else if (op == "d") {
            const json& before = v["before"];
            regions_.erase(before.is_object() && before.contains("id")
                               ? before["id"].get<std::int64_t>()
                               : key_id);
        }
    }
    std::optional<std::string> region(std::int64_t id) const {
        auto it = regions_.find(id);
        return it == regions_.end() ? std::nullopt : std::optional(it->second);
    }

  private:
    std::map<std::int64_t, std::string> regions_;
};

struct DlqExpect {
    std::optional<std::string> key, value;
    std::string topic;
    std::int32_t partition;
    std::int64_t offset;
    std::string reason = {}; // a part of the error header, when the test names it
};

class WorkerE2E : public ::testing::Test {
  protected:
    void SetUp() override {
        redis_.start();
        kafka_.create_design_topics(kEventPartitions);
        std::ofstream(dir_.file("ebapctl.toml")) << "[worker]\nflush_ms = 300\n";
    }

    std::map<std::string, std::string> env() const {
        return {
            {"KAFKA_BOOTSTRAP_SERVERS", kafka_.bootstrap()}, {"REDIS_HOST", redis_.host()},
            {"REDIS_PORT", std::to_string(redis_.port())},   {"REDIS_PASSWORD", "<unset>"},
            {"EBAP_STATE_DIR", dir_.file("state")},          {"EBAP_COLD_ROOT", dir_.file("cold")},
            {"EBAPCTL_CONFIG", dir_.file("ebapctl.toml")}};
    }

    // CDC: our own envelopes (with and without the schema wrapper, snapshot as string and
    // boolean), the Debezium documentation and Flink capture fixtures, deletes, tombstones.
    void produce_cdc(TestProducer& p) {
        const char* regions[] = {"eu-west", "us-east", "ap-south"};
        auto send = [&](std::int64_t id, bool wrap_key, std::optional<std::string> value) {
            json key = {{"id", id}};
            if (wrap_key)
                key = {{"schema",
                        {{"type", "struct"},
                         {"fields", json::array({{{"type", "int64"}, {"field", "id"}}})}}},
                       {"payload", key}};
            p.send(kCdc, static_cast<std::int32_t>(id % 3), key.dump(), value);
            profiles_.apply(id, value);
        };
        auto envelope = [&](const std::string& op, std::int64_t id, const std::string& region,
                            json snapshot, bool wrap) {
            json row = {{"id", id},
                        {"name", "user " + std::to_string(id)},
                        {"email", "u" + std::to_string(id) + "@example.com"},
                        {"region", region},
                        {"tier", id % 2 ? "gold" : "free"},
                        {"updated_at", 1710111000000 + id}};
            json env = {{"before", op == "u" ? json{{"id", id}} : json(nullptr)},
                        {"after", row},
                        {"source",
                         {{"version", "2.5.0.Final"},
                          {"connector", "postgresql"},
                          {"ts_ms", 1710111000000},
                          {"snapshot", snapshot},
                          {"db", "ebap"},
                          {"schema", "public"},
                          {"table", "users"}}},
                        {"op", op},
                        {"ts_ms", 1710111000500}};
            if (wrap)
                env = {{"schema", {{"type", "struct"}, {"optional", false}}}, {"payload", env}};
            return env.dump();
        };
        // The documentation's create (schema wrapper, a customers row without region) for user 1.
        send(1, true, fixture("debezium-docs-pg-create-value-with-schema.json"));
        for (std::int64_t id = 2; id <= 24; ++id) {
            const bool snap = id % 2 == 0;
            send(id, id % 4 == 0,
                 envelope(snap ? "r" : "c", id, regions[id % 3], snap ? json("true") : json(false),
                          id % 3 == 0));
        }
        send(1, false, envelope("u", 1, "eu-west", json("false"), false)); // region arrives
        send(1, false, fixture("debezium-docs-pg-update-value.json"));     // not JSON: skipped
        send(2, false, envelope("u", 2, "ap-south", json(false), true));   // region moves
        send(4, false, fixture("debezium-docs-pg-delete-value.json"));     // not JSON: skipped
        send(5, false, envelope("c", 5, "us-east", json(false), false));
        {
            json del = {
                {"before", {{"id", 5}}},
                {"after", nullptr},
                {"op", "d"},
                {"ts_ms", 1710111001000},
                {"source", {{"ts_ms", 1710111000900}, {"snapshot", "false"}, {"table", "users"}}}};
            send(5, false, del.dump());
            send(5, false, std::nullopt); // the tombstone after a delete
        }
        send(6, true, std::nullopt); // a bare tombstone deletes by key
        // Flink's captured Debezium 1.2 stream (ids 101..111: r, u, c, d) and the
        // REPLICA IDENTITY DEFAULT pair whose delete names its row only in the key.
        for (const auto& line : fixture_lines("flink-debezium-postgres-data-schema-exclude.txt")) {
            const json v = json::parse(line);
            const json& row = v["after"].is_object() ? v["after"] : v["before"];
            send(row["id"].get<std::int64_t>(), false, line);
        }
        send(101, true, fixture("flink-debezium-postgres-data-schema-include.line1.json"));
        for (const auto& line :
             fixture_lines("flink-debezium-postgres-data-replica-identity.last2.txt"))
            send(111, true, line);
    }

    // Events across 12 minutes that cross midnight (two cold-path days), three profile
    // regions, event-only regions and "unknown"; duplicates, late and out-of-order events.
    void produce_events(TestProducer& p) {
        std::mt19937_64 rng(20240310);
        const std::int64_t t0 = utc_ms(2024, 3, 10, 23, 55, 0);
        std::vector<std::int64_t> users;
        for (std::int64_t u = 1; u <= 24; ++u)
            users.push_back(u);
        for (std::int64_t u = 101; u <= 111; ++u)
            users.push_back(u);
        for (std::int64_t u = 200; u <= 209; ++u)
            users.push_back(u);
        const char* types[] = {"view", "view",     "view",  "search", "search",
                               "cart", "purchase", "login", "logout", "error"};
        constexpr int kCount = 3000;
        std::pair<std::int32_t, json> last;
        auto send_event = [&](std::int64_t user, std::int64_t ts, int i) {
            const std::string type = types[rng() % std::size(types)];
            json ev;
            ev["event_id"] = "e-" + std::to_string(i) + "-" + std::to_string(rng() % 100000);
            ev["user_id"] = user;
            ev["event_type"] = type;
            if (i % 3 == 0)
                ev["ts"] = rfc3339(ts);
            else
                ev["ts"] = ts;
            ev["session_id"] = "s-" + std::to_string(user);
            if (user >= 200 && user < 205)
                ev["region"] = "sa-east"; // no profile
            else if (user >= 101 && user <= 111)
                ev["region"] = "eu-central"; // profile without region
            else if (user <= 24 && rng() % 2)
                ev["region"] = "zz-event"; // the profile wins
            if (type == "purchase") ev["amount"] = double(rng() % 20000) / 100.0;
            if (rng() % 10) ev["latency_ms"] = double(rng() % 3000) / 10.0;
            ev["status"] = rng() % 20 == 0 ? "error" : "ok";
            ev["client"] = {{"ua", "test"}, {"v", 3}}; // an unknown field the cold path keeps
            last = {static_cast<std::int32_t>(user % kEventPartitions), ev};
            p.send(kEvents, last.first, std::to_string(user), ev.dump());
            events_.push_back(last);
        };
        // The same record again (same key, same event_id): counted twice, stored twice.
        auto send_duplicate = [&] {
            p.send(kEvents, last.first, std::to_string(last.second["user_id"].get<std::int64_t>()),
                   last.second.dump());
            events_.push_back(last);
        };
        for (int i = 0; i < kCount; ++i) {
            const std::int64_t user = users[rng() % users.size()];
            const std::int64_t ts =
                t0 + i * (12 * 60'000 / kCount) + static_cast<std::int64_t>(rng() % 2000);
            send_event(user, ts, i);
            if (i % 50 == 0) send_duplicate();
            if (i > 0 && i % 400 == 0) {
                // Out of order on the same partition: 20 min behind is late, 5 min is not.
                send_event(user, ts - 20 * 60'000, 100000 + i);
                send_event(user, ts - 5 * 60'000, 200000 + i);
            }
        }
        for (std::int64_t user : {1, 102, 201, 205})
            send_event(user, t0 - 30 * 60'000, 300000 + int(user));
    }

    void produce_malformed(TestProducer& p) {
        const std::vector<std::pair<std::optional<std::string>, std::optional<std::string>>> bad = {
            {"3", R"({"event_id":"bad-1","user_id":3,"event_ty)"},
            {"4", R"({"event_id":"bad-2","user_id":4,"event_type":"view"})"},
            {"5", R"({"event_id":"bad-3","user_id":"5","event_type":"view","ts":1710111300000})"},
            {"7", R"({"event_id":"bad-4","user_id":7,"event_type":"checkout","ts":1710111300000})"},
            {"8", "[1,2,3]"},
            {"9", "hello world"},
            {"10", ""},
            {"11", std::nullopt},
            {std::nullopt, "{not json"},
        };
        for (std::size_t i = 0; i < bad.size(); ++i) {
            const auto partition = static_cast<std::int32_t>(i % kEventPartitions);
            dlq_.push_back({bad[i].first, bad[i].second, kEvents, partition,
                            static_cast<std::int64_t>(
                                p.send(kEvents, partition, bad[i].first, bad[i].second))});
        }
        dlq_.push_back({"api", R"({"service":"api","value":1})", kTelemetry, 1,
                        static_cast<std::int64_t>(
                            p.send(kTelemetry, 1, "api", R"({"service":"api","value":1})"))});
    }

    // Hostile records, sent before the good ones on their partitions: an event time in the
    // year 3170843 and one an hour ahead must not move the watermark (or every later event
    // would be late); escape sequences in a region, an over-long region and an absurd amount
    // must never reach Redis or the screen. All go to the DLQ with their reason.
    void produce_hostile(TestProducer& p) {
        const std::int64_t hour_ahead = std::chrono::duration_cast<std::chrono::milliseconds>(
                                            std::chrono::system_clock::now().time_since_epoch())
                                            .count() +
                                        3'600'000;
        const std::vector<std::pair<std::string, std::string>> bad = {
            {R"({"event_id":"far-1","user_id":6,"event_type":"view","ts":99999999999999999})",
             "is 1157"},
            {json({{"event_id", "far-2"}, {"user_id", 1}, {"event_type", "view"},
                   {"ts", rfc3339(hour_ahead)}})
                 .dump(),
             "ahead of this worker's clock"},
            {json({{"event_id", "esc-1"}, {"user_id", 2}, {"event_type", "view"},
                   {"ts", 1710111300000}, {"region", "\x1b[2J\x1b]0;owned\x07"}})
                 .dump(),
             "region: control character U+001B at byte 0"},
            {json({{"event_id", "long-1"}, {"user_id", 3}, {"event_type", "view"},
                   {"ts", 1710111300000}, {"region", std::string(300, 'x')}})
                 .dump(),
             "region: 300 bytes"},
            {R"({"event_id":"rich-1","user_id":4,"event_type":"purchase","ts":1710111300000,"amount":1e308})",
             "amount: 1e+308 is above the limit"},
        };
        for (std::size_t i = 0; i < bad.size(); ++i) {
            const auto partition = static_cast<std::int32_t>(i % kEventPartitions);
            dlq_.push_back({"h" + std::to_string(i), bad[i].first, kEvents, partition,
                            static_cast<std::int64_t>(
                                p.send(kEvents, partition, "h" + std::to_string(i), bad[i].first)),
                            bad[i].second});
        }
    }

    // The data set without telemetry: profiles, events (late and duplicates included) and
    // the malformed records the DLQ must receive.
    void produce_cdc_events_and_malformed() {
        TestProducer p(kafka_.bootstrap());
        produce_cdc(p);
        produce_events(p);
        produce_malformed(p);
        p.flush();
    }

    void produce_telemetry(TestProducer& p) {
        for (int i = 0; i < 5; ++i) {
            p.send(kTelemetry, 1, "api",
                   json{{"service", "api"},
                        {"region", "eu-west"},
                        {"metric", "p99_ms"},
                        {"value", 100 + i},
                        {"ts", 1710111300000 + i}}
                       .dump());
            p.send(kTelemetry, 2, "db",
                   json{{"service", "db"},
                        {"region", "us-east"},
                        {"metric", "connections"},
                        {"value", 10 * i},
                        {"ts", 1710111300000 + i}}
                       .dump());
        }
    }

    Truth truth() const {
        Truth t;
        for (const auto& [partition, ev] : events_)
            t.add_event(partition, ev, profiles_.region(ev["user_id"].get<std::int64_t>()));
        for (std::size_t i = 0; i < dlq_.size(); ++i)
            t.add_dlq();
        return t;
    }

    RedisServer redis_;
    EmbeddedKafka kafka_{3};
    TempDir dir_{"worker-e2e"};
    ProfileModel profiles_;
    std::vector<std::pair<std::int32_t, json>> events_;
    std::vector<DlqExpect> dlq_; // offset holds the producer's record index until resolved
};

// "k\tv\th" lines of kcat; headers "error=…,source.topic=…,source.partition=…,source.offset=…".
struct DlqLine {
    std::string key, value, error, topic;
    std::int64_t partition = -1, offset = -1;
};

std::vector<DlqLine> read_dlq(const std::string& bootstrap) {
    const CliResult r = run_argv(
        {"kcat", "-b", bootstrap, "-C", "-t", kDlq, "-e", "-q", "-f", "%k\t%s\t%h\n"}, {}, 30000);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    std::vector<DlqLine> out;
    std::istringstream in(r.out);
    for (std::string line; std::getline(in, line);) {
        DlqLine d;
        const auto t1 = line.find('\t'), t2 = line.find('\t', t1 + 1);
        if (t1 == std::string::npos || t2 == std::string::npos) continue;
        d.key = line.substr(0, t1);
        d.value = line.substr(t1 + 1, t2 - t1 - 1);
        std::string h = line.substr(t2 + 1);
        auto take = [&h](const std::string& name) {
            const auto at = h.rfind("," + name + "=");
            if (at == std::string::npos) return std::string();
            std::string v = h.substr(at + name.size() + 2);
            h.resize(at);
            return v;
        };
        const std::string offset = take("source.offset"), partition = take("source.partition");
        d.topic = take("source.topic");
        d.offset = offset.empty() ? -1 : std::stoll(offset);
        d.partition = partition.empty() ? -1 : std::stoll(partition);
        d.error = h.rfind("error=", 0) == 0 ? h.substr(6) : "";
        out.push_back(d);
    }
    return out;
}

// A drain's summary counts what its threads handled. That is the ground truth exactly,
// rebalances included (a revoke commits the batch first), unless a batch was given up -
// fenced, or dropped on a revoke - and replayed by the partition's next owner: then each
// count is at least the truth. Redis and the cold path are exact in both cases.
void expect_summary_count(const json& summary, const std::string& stderr_text,
                          const std::string& field, std::int64_t want) {
    const bool replayed = summary["fenced_batches"].get<std::int64_t>() > 0 ||
                          stderr_text.find("dropping it") != std::string::npos;
    if (replayed) {
        EXPECT_GE(summary[field].get<std::int64_t>(), want) << field << ": " << summary.dump();
    } else {
        EXPECT_EQ(summary[field].get<std::int64_t>(), want) << field << ": " << summary.dump();
    }
}

TEST_F(WorkerE2E, DrainMatchesGroundTruthEverywhere) {
    {
        TestProducer p(kafka_.bootstrap());
        produce_cdc(p);
        produce_hostile(p);
        produce_events(p);
        produce_malformed(p);
        produce_telemetry(p);
        p.flush();
        for (auto& d : dlq_)
            d.offset = p.records()[static_cast<std::size_t>(d.offset)].offset;
    }
    const Truth t = truth();
    ASSERT_GT(t.late(), 0) << "the data set must contain late events";
    ASSERT_GE(t.windows().size(), 12u);
    ASSERT_GE(t.regions().size(), 5u);

    const CliResult r = run_cli({"--json", "worker", "--drain", "--threads", "2"}, env(), 90000);
    ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
    const json summary = json::parse(r.out);
    std::printf("truth: %lld events, %lld late, %lld dlq, %zu windows, %zu regions\nworker: %s\n%s",
                static_cast<long long>(t.events()), static_cast<long long>(t.late()),
                static_cast<long long>(t.dlq()), t.windows().size(), t.regions().size(),
                summary.dump().c_str(), r.err.c_str());
    EXPECT_TRUE(summary["ok"].get<bool>());
    expect_summary_count(summary, r.err, "events", t.events());
    expect_summary_count(summary, r.err, "late_events", t.late());
    expect_summary_count(summary, r.err, "dlq_events", t.dlq());
    expect_summary_count(summary, r.err, "telemetry", 10);
    std::int64_t misses = 0; // valid events (late ones too) whose user has no profile
    for (const auto& [partition, ev] : events_)
        misses += !profiles_.region(ev["user_id"].get<std::int64_t>());
    expect_summary_count(summary, r.err, "join_misses", misses);
    EXPECT_GT(summary["redis"]["flushes"].get<int>(), 0);
    EXPECT_GT(summary["cold"]["objects"].get<int>(), 0);

    // Hot path.
    RedisClient redis(RedisOptions{.host = redis_.host(), .port = redis_.port()});
    expect_redis_matches_truth(redis, t);
    // Derived views: the newest window's regions and the counters.
    const std::int64_t newest = t.windows().rbegin()->first;
    for (const auto& [region, rt] : t.windows().rbegin()->second.regions) {
        const RedisReply h = redis.command({"HGET", "ebap:region:" + region, "events_1m"});
        EXPECT_EQ(h.str, std::to_string(rt.events)) << region;
        EXPECT_EQ(redis.command({"HGET", "ebap:region:" + region, "window_start_ms"}).str,
                  std::to_string(newest));
    }
    EXPECT_EQ(redis.command({"HGET", "ebap:kpi:now", "dlq_events"}).str, std::to_string(t.dlq()));
    EXPECT_EQ(redis.command({"HGET", "ebap:kpi:now", "late_events"}).str, std::to_string(t.late()));
    // Telemetry: the latest value per service and metric.
    EXPECT_EQ(redis.command({"HGET", "ebap:svc:api", "p99_ms"}).str, "104");
    EXPECT_EQ(redis.command({"HGET", "ebap:svc:api", "p99_ms:ts"}).str, "1710111300004");
    EXPECT_EQ(redis.command({"HGET", "ebap:svc:db", "connections"}).str, "40");
    EXPECT_EQ(redis.command({"HGET", "ebap:svc:db", "region"}).str, "us-east");

    // DLQ: exactly the malformed records, original key and bytes, headers naming the source.
    const auto dlq = read_dlq(kafka_.bootstrap());
    ASSERT_EQ(dlq.size(), dlq_.size());
    for (const DlqExpect& want : dlq_) {
        int found = 0;
        for (const DlqLine& got : dlq) {
            if (got.topic != want.topic || got.partition != want.partition ||
                got.offset != want.offset)
                continue;
            ++found;
            EXPECT_EQ(got.key, want.key.value_or(""));
            EXPECT_EQ(got.value, want.value.value_or(""));
            EXPECT_FALSE(got.error.empty()) << "offset " << want.offset;
            EXPECT_NE(got.error.find(want.reason), std::string::npos) << got.error;
        }
        EXPECT_EQ(found, 1) << want.topic << "[" << want.partition << "]@" << want.offset;
    }

    // No watermark was moved by the hostile event times: every partition's stays in 2024.
    const RedisReply offsets = redis.command({"HGETALL", "ebap:offsets:ebapctl-workers"});
    int maxts_fields = 0;
    for (std::size_t i = 0; i + 1 < offsets.elements.size(); i += 2)
        if (offsets.elements[i].str.ends_with(":maxts") &&
            offsets.elements[i].str.starts_with(kEvents)) {
            ++maxts_fields;
            EXPECT_LT(std::stoll(offsets.elements[i + 1].str), utc_ms(2025, 1, 1, 0, 0, 0))
                << offsets.elements[i].str;
        }
    EXPECT_EQ(maxts_fields, kEventPartitions);
    // No region name with a control character reached Redis.
    for (const auto& k : redis.command({"KEYS", "ebap:region:*"}).elements)
        for (char c : k.str)
            EXPECT_GE(static_cast<unsigned char>(c), 0x20) << k.str;

    // Cold path: every counted event once, under its day and region, enriched by profile.
    std::vector<std::string> hidden;
    const auto lines = read_cold_path(dir_.file("cold"), &hidden);
    EXPECT_TRUE(hidden.empty()) << hidden.front();
    expect_cold_matches_truth(lines, t);
    std::set<std::string> days;
    for (const ColdLine& l : lines) {
        days.insert(l.day);
        const std::int64_t user = l.event["user_id"];
        EXPECT_EQ(l.event.contains("user"), profiles_.region(user).has_value()) << l.event.dump();
        EXPECT_EQ(l.event["client"]["v"], 3);
        if (user == 101) {
            EXPECT_EQ(l.event["user"]["name"], "scooter");
        }
    }
    EXPECT_EQ(days, (std::set<std::string>{"2024-03-10", "2024-03-11"}));

    // Kafka: the group's offsets are committed up to the end (lag 0).
    for (const auto& gp :
         group_offsets(kafka_.bootstrap(), "ebapctl-workers", {kEvents, kTelemetry}))
        if (gp.high > 0) {
            EXPECT_EQ(gp.committed, gp.high) << gp.topic << "[" << gp.partition << "]";
        }

    // A second drain finds nothing new and changes nothing.
    const CliResult again =
        run_cli({"--json", "worker", "--drain", "--threads", "1"}, env(), 60000);
    ASSERT_EQ(again.exit_code, 0) << again.out << again.err;
    EXPECT_EQ(json::parse(again.out)["records"], 0);
    expect_redis_matches_truth(redis, t);
}

// Sum of one per-thread family in a Prometheus text page (-1 when absent).
double metric_sum(const std::string& page, const std::string& name) {
    const std::regex sample("^" + name + R"(\{thread="\d+"\} (\S+)$)");
    double sum = -1;
    std::istringstream in(page);
    for (std::string line; std::getline(in, line);) {
        std::smatch m;
        if (std::regex_match(line, m, sample)) sum = (sum < 0 ? 0 : sum) + std::stod(m[1]);
    }
    return sum;
}

TEST_F(WorkerE2E, StreamServesMetricsAndStopsOnSignals) {
    {
        TestProducer p(kafka_.bootstrap());
        produce_events(p); // no CDC: every event is a join miss, regions come from events
        p.flush();
    }
    const Truth t = truth();
    const int port = free_port();
    const std::string log = dir_.file("stream.log");
    pid_t pid = spawn_ebapctl(
        {"worker", "--threads", "2", "--metrics-addr", "127.0.0.1:" + std::to_string(port)}, env(),
        log);
    httplib::Client http("127.0.0.1", port);
    std::string page;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (std::chrono::steady_clock::now() < deadline) {
        if (auto res = http.Get("/metrics"); res && res->status == 200) {
            page = res->body;
            if (metric_sum(page, "ebap_worker_events_total") == double(t.events())) break;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    EXPECT_EQ(metric_sum(page, "ebap_worker_events_total"), double(t.events()))
        << page << file_tail(log, 20);
    EXPECT_EQ(metric_sum(page, "ebap_worker_late_events_total"), double(t.late()));
    EXPECT_EQ(metric_sum(page, "ebap_worker_join_misses_total"), double(t.events() + t.late()));
    EXPECT_NE(page.find("# TYPE ebap_worker_events_total counter\n"), std::string::npos);
    EXPECT_NE(page.find("# TYPE ebap_worker_queue_depth gauge\n"), std::string::npos);
    EXPECT_GT(metric_sum(page, "ebap_worker_process_seconds_total"), 0.0); // time was accounted
    EXPECT_GT(metric_sum(page, "ebap_worker_poll_seconds_total"), 0.0);
    EXPECT_NE(page.find("ebap_worker_events_total{thread=\"1\"} "), std::string::npos);
    EXPECT_NE(page.find("\nebap_worker_profiles 0\n"), std::string::npos);

    // SIGTERM: flush, commit, close, summary, status 0.
    kill(pid, SIGTERM);
    int status = wait_exit(pid, 30000);
    if (status < 0) stop_child(pid, SIGKILL, 1000);
    EXPECT_EQ(status, 0) << file_tail(log, 30);
    EXPECT_NE(file_tail(log, 30).find("status"), std::string::npos);
    RedisClient redis(RedisOptions{.host = redis_.host(), .port = redis_.port()});
    expect_redis_matches_truth(redis, t);

    // A second signal during the shutdown the first one started ends the process at once
    // with status 130 (an exit, not death by the signal: the handlers are ours).
    const int port2 = free_port();
    pid = spawn_ebapctl(
        {"worker", "--threads", "1", "--metrics-addr", "127.0.0.1:" + std::to_string(port2)}, env(),
        dir_.file("stream2.log"));
    httplib::Client http2("127.0.0.1", port2);
    const auto up_by = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (!http2.Get("/metrics") &&
           std::chrono::steady_clock::now() < up_by) // serving: handlers set
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    kill(pid, SIGINT);
    kill(pid, SIGTERM);
    status = wait_exit(pid, 30000);
    if (status < 0) stop_child(pid, SIGKILL, 1000);
    EXPECT_EQ(status, 130) << file_tail(dir_.file("stream2.log"), 30);
}

// Reads a file until it contains text (the worker's log), up to timeout_ms.
bool wait_for_text(const std::string& path, const std::string& text, int timeout_ms) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
    while (std::chrono::steady_clock::now() < deadline) {
        std::ifstream in(path);
        std::stringstream ss;
        ss << in.rdbuf();
        if (ss.str().find(text) != std::string::npos) return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return false;
}

TEST_F(WorkerE2E, FailingSinksPauseAndRetryWithoutLoss) {
    produce_cdc_events_and_malformed();
    const Truth t = truth();
    // Redis refuses writes (maxmemory 1) from the start, and the cold path cannot create
    // its directories (events is a file).
    std::filesystem::create_directories(dir_.file("cold"));
    std::ofstream(dir_.file("cold/events")) << "in the way\n";
    RedisClient redis(RedisOptions{.host = redis_.host(), .port = redis_.port()});
    ASSERT_EQ(redis.command({"CONFIG", "SET", "maxmemory", "1"}).str, "OK");

    const std::string log = dir_.file("failing.log");
    const pid_t pid =
        spawn_ebapctl({"worker", "--drain", "--threads", "2", "--cold-flush-s", "1"}, env(), log);
    // No partition is worked on before it is claimed in Redis (fencing): the threads wait.
    const bool claim_failed = wait_for_text(log, "cannot claim partitions", 30000);
    redis.command({"CONFIG", "SET", "maxmemory", "0"});
    // Claimed and read; the cold write fails and pauses the partitions.
    const bool cold_failed = wait_for_text(log, "cold-path write failed", 30000);
    // Redis refuses again; the cold path comes back, so the transaction recording its
    // offsets is what fails now.
    redis.command({"CONFIG", "SET", "maxmemory", "1"});
    std::filesystem::remove(dir_.file("cold/events"));
    const bool redis_failed = wait_for_text(log, "flush failed", 30000);
    redis.command({"CONFIG", "SET", "maxmemory", "0"});
    const int status = wait_exit(pid, 60000);
    if (status < 0) stop_child(pid, SIGKILL, 1000);
    ASSERT_TRUE(claim_failed) << file_tail(log, 30);
    ASSERT_TRUE(cold_failed) << file_tail(log, 30);
    ASSERT_TRUE(redis_failed) << file_tail(log, 30);
    ASSERT_EQ(status, 0) << file_tail(log, 30);

    expect_redis_matches_truth(redis, t);
    expect_cold_matches_truth(read_cold_path(dir_.file("cold")), t);
    const std::string tail = file_tail(log, 40);
    std::smatch m;
    ASSERT_TRUE(std::regex_search(tail, m, std::regex(R"(sink errors \(retried\)\s+(\d+))")))
        << tail;
    EXPECT_GE(std::stoi(m[1]), 2) << tail; // the cold failure and the Redis one at least
    EXPECT_NE(tail.find("paused"), std::string::npos) << tail;
}

TEST_F(WorkerE2E, ColdPathCatchesUpAfterAHotOnlyDrain) {
    produce_cdc_events_and_malformed();
    const Truth t = truth();
    const CliResult hot =
        run_cli({"--json", "worker", "--drain", "--no-cold", "--threads", "2"}, env(), 90000);
    ASSERT_EQ(hot.exit_code, 0) << hot.out << hot.err;
    EXPECT_EQ(json::parse(hot.out)["cold"]["objects"], 0);
    RedisClient redis(RedisOptions{.host = redis_.host(), .port = redis_.port()});
    expect_redis_matches_truth(redis, t);

    // Same group with the cold path: the hot offsets are at the end, the cold path has
    // none, so the drain replays every partition for the cold path only and ends once both
    // paths committed the targets: Redis totals stay put, the cold path holds every event.
    const CliResult both = run_cli({"--json", "worker", "--drain", "--threads", "2"}, env(), 90000);
    ASSERT_EQ(both.exit_code, 0) << both.out << both.err;
    const json summary = json::parse(both.out);
    EXPECT_GT(summary["records"].get<std::int64_t>(), 0);
    EXPECT_EQ(summary["events"], 0) << "the hot path must not count events twice";
    EXPECT_GT(summary["cold"]["objects"].get<int>(), 0);
    expect_redis_matches_truth(redis, t);
    expect_cold_matches_truth(read_cold_path(dir_.file("cold")), t);
}

TEST_F(WorkerE2E, TinyPrefetchLimitsDoNotStallTheDrain) {
    // librdkafka 2.0 stops fetching once a consumer's queue reaches queued.min.messages and
    // looks again only when its broker thread wakes (at the latest a second later); the
    // FetchWaker restarts the fetchers once the queue drained. What is asserted here holds
    // at any machine speed and through a rebalance: the drain completes with every record
    // where it belongs. Whether the waker fires depends on how fast the consumer drains its
    // queue against the fetchers (it did not in one run on a loaded machine), and how long
    // the drain takes is a measurement: bench/README.md, "Tiny prefetch limits".
    produce_cdc_events_and_malformed();
    const Truth t = truth();
    const CliResult r = run_cli({"--json", "worker", "--drain", "--threads", "2", "-X",
                                 "queued.min.messages=1", "-X", "max.partition.fetch.bytes=2048"},
                                env(), 240000);
    ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
    const json summary = json::parse(r.out);
    std::printf("tiny prefetch: %s\n", summary.dump().c_str());
    EXPECT_TRUE(summary["ok"].get<bool>()) << summary.dump();
    EXPECT_FALSE(summary["interrupted"].get<bool>()) << summary.dump();
    expect_summary_count(summary, r.err, "events", t.events());
    expect_summary_count(summary, r.err, "dlq_events", t.dlq());
    RedisClient redis(RedisOptions{.host = redis_.host(), .port = redis_.port()});
    expect_redis_matches_truth(redis, t);
    expect_cold_matches_truth(read_cold_path(dir_.file("cold")), t);
}

TEST_F(WorkerE2E, AFreshGroupStartsAtTheLogStartWhenOffsetZeroIsGone) {
    // A fresh group asks for offset 0, not the logical beginning (see on_assign). The mock
    // keeps ~5 MiB per partition, so ~40k events into one partition move its log start
    // past 0, as retention would: the fetch at 0 is out of range and auto.offset.reset
    // must take the drain to the log start - every record still there read once, none
    // lost to an "out of range" that is never resolved.
    TestProducer p(kafka_.bootstrap());
    const std::int64_t t0 = utc_ms(2024, 3, 10, 12, 0, 0);
    for (int i = 0; i < 40000; ++i) {
        const json ev = {{"event_id", "e-" + std::to_string(i)},
                         {"user_id", i % 50 + 1},
                         {"event_type", "view"},
                         {"ts", t0 + i},
                         {"session_id", "s-" + std::to_string(i % 50)},
                         {"region", "eu-west"},
                         {"payload", std::string(100, 'x')}};
        p.send(kEvents, 0, std::to_string(i % 50 + 1), ev.dump());
    }
    p.flush();
    GroupPartition before;
    for (const auto& gp : group_offsets(kafka_.bootstrap(), "probe", {kEvents}))
        if (gp.partition == 0) before = gp;
    ASSERT_EQ(before.high, 40000);
    ASSERT_GT(before.low, 0) << "the broker kept every record: this test would prove nothing";

    // One thread: no rebalance between threads can make it read a record twice.
    const CliResult r = run_cli({"--json", "worker", "--drain", "--threads", "1"}, env(), 90000);
    ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
    const json summary = json::parse(r.out);
    EXPECT_EQ(summary["records"], before.high - before.low) << summary.dump();
    EXPECT_EQ(summary["events"].get<std::int64_t>() + summary["late_events"].get<std::int64_t>(),
              before.high - before.low);
    for (const auto& gp : group_offsets(kafka_.bootstrap(), "ebapctl-workers", {kEvents}))
        if (gp.partition == 0) {
            EXPECT_EQ(gp.committed, before.high);
        }
    RedisClient redis(RedisOptions{.host = redis_.host(), .port = redis_.port()});
    EXPECT_EQ(redis.command({"HGET", "ebap:offsets:ebapctl-workers", kEvents + ":0"}).str,
              std::to_string(before.high));
    std::int64_t cold_lines = 0;
    for (const auto& line : read_cold_path(dir_.file("cold")))
        cold_lines += line.event["event_id"].get<std::string>().starts_with("e-");
    EXPECT_EQ(cold_lines, before.high - before.low);
}

TEST_F(WorkerE2E, UnreachableEndpointsFailFastNamingThem) {
    auto e = env();
    e["REDIS_PORT"] = "1"; // nothing listens there
    CliResult r = run_cli({"worker", "--drain"}, e, 30000);
    EXPECT_EQ(r.exit_code, 1) << r.err;
    EXPECT_NE(r.err.find("127.0.0.1:1"), std::string::npos) << r.err;

    e = env();
    e["KAFKA_BOOTSTRAP_SERVERS"] = "127.0.0.1:1";
    r = run_cli({"worker", "--drain"}, e, 30000);
    EXPECT_EQ(r.exit_code, 1) << r.err;
    EXPECT_NE(r.err.find("kafka 127.0.0.1:1"), std::string::npos) << r.err;
}

} // namespace
} // namespace ebap::test
