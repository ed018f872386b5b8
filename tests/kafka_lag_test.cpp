// `ebapctl lag` against the embedded broker over real TCP: data written by
// librdkafka and by kcat, a consumer group that commits part of it, and the
// lag the binary reports checked against watermarks read independently (the
// librdkafka API in this process, and kcat). Also the exit statuses, the
// window across runs, unreachable or dead brokers (never a hang), and
// `ebapctl broker`.
#include "core/base/error.hpp"
#include "core/kafka/kafka_admin.hpp"
#include "core/embedded/kafka_mock.hpp"
#include "support/child_process.hpp"
#include "support/cli_run.hpp"
#include "support/ports.hpp"
#include "support/temp_dir.hpp"

#include <gtest/gtest.h>
#include <librdkafka/rdkafka.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <sstream>
#include <thread>

using ebap::EmbeddedKafka;
using ebap::test::run_argv;
using ebap::test::run_cli;
using ebap::test::TempDir;
using nlohmann::json;
using Clock = std::chrono::steady_clock;

namespace {

constexpr int kPartitions = 3;
const std::string kTopic = "lag.test";
const std::string kOther = "lag.other"; // never consumed: no group may claim it

long long ms_since(Clock::time_point t) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - t).count();
}

rd_kafka_t* new_client(rd_kafka_type_t type, const std::string& bootstrap,
                       const std::map<std::string, std::string>& extra = {}) {
    char err[512];
    rd_kafka_conf_t* conf = rd_kafka_conf_new();
    std::map<std::string, std::string> all = {{"bootstrap.servers", bootstrap}, {"log_level", "3"}};
    all.insert(extra.begin(), extra.end());
    for (const auto& [k, v] : all)
        if (rd_kafka_conf_set(conf, k.c_str(), v.c_str(), err, sizeof err) != RD_KAFKA_CONF_OK)
            throw std::runtime_error(k + ": " + err);
    rd_kafka_t* rk = rd_kafka_new(type, conf, err, sizeof err);
    if (!rk) throw std::runtime_error(err);
    return rk;
}

// Keyed messages through librdkafka; returns how many were delivered.
int produce_keyed(const std::string& bootstrap, const std::string& topic, int n) {
    static int delivered;
    delivered = 0;
    char err[512];
    rd_kafka_conf_t* conf = rd_kafka_conf_new();
    rd_kafka_conf_set(conf, "bootstrap.servers", bootstrap.c_str(), err, sizeof err);
    rd_kafka_conf_set_dr_msg_cb(conf, [](rd_kafka_t*, const rd_kafka_message_t* m, void*) {
        if (!m->err) ++delivered;
    });
    rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
    for (int i = 0; i < n; ++i) {
        std::string key = "user-" + std::to_string(i);
        std::string value =
            R"({"event_id":"e)" + std::to_string(i) + R"(","user_id":)" + std::to_string(i) + "}";
        rd_kafka_producev(rk, RD_KAFKA_V_TOPIC(topic.c_str()),
                          RD_KAFKA_V_KEY(key.data(), key.size()),
                          RD_KAFKA_V_VALUE(value.data(), value.size()),
                          RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END);
    }
    rd_kafka_flush(rk, 15000);
    rd_kafka_destroy(rk);
    return delivered;
}

// High watermarks through the librdkafka API, in this process.
std::vector<int64_t> api_high(const std::string& bootstrap, const std::string& topic, int parts) {
    rd_kafka_t* rk = new_client(RD_KAFKA_PRODUCER, bootstrap);
    std::vector<int64_t> high;
    for (int p = 0; p < parts; ++p) {
        int64_t lo = -1, hi = -1;
        EXPECT_EQ(rd_kafka_query_watermark_offsets(rk, topic.c_str(), p, &lo, &hi, 5000),
                  RD_KAFKA_RESP_ERR_NO_ERROR);
        EXPECT_EQ(lo, 0);
        high.push_back(hi);
    }
    rd_kafka_destroy(rk);
    return high;
}

// High watermarks as kcat sees them: `-Q` with logical offset -1 (end).
std::vector<int64_t> kcat_high(const std::string& bootstrap, const std::string& topic, int parts) {
    std::vector<std::string> argv = {"kcat", "-b", bootstrap, "-Q"};
    for (int p = 0; p < parts; ++p) {
        argv.push_back("-t");
        argv.push_back(topic + ":" + std::to_string(p) + ":-1");
    }
    auto r = run_argv(argv, {}, 30000);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    std::vector<int64_t> high(parts, -1);
    std::regex line(R"((\S+) \[(\d+)\] offset (-?\d+))");
    for (std::sregex_iterator it(r.out.begin(), r.out.end(), line), end; it != end; ++it)
        if ((*it)[1] == topic) high.at(std::stoi((*it)[2])) = std::stoll((*it)[3]);
    return high;
}

// Messages per partition as kcat reads them from the beginning to the end.
std::vector<int64_t> kcat_counts(const std::string& bootstrap, const std::string& topic,
                                 int parts) {
    auto r = run_argv(
        {"kcat", "-b", bootstrap, "-C", "-t", topic, "-o", "beginning", "-e", "-q", "-f", "%p\\n"},
        {}, 60000);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    std::vector<int64_t> counts(parts, 0);
    std::istringstream in(r.out);
    for (std::string l; std::getline(in, l);)
        if (!l.empty()) ++counts.at(std::stoi(l));
    return counts;
}

// Commits explicit offsets for `group` from a handle that never joins (the
// mock accepts that for a group without members).
void commit_offsets(const std::string& bootstrap, const std::string& group,
                    const std::map<int, int64_t>& offsets) {
    rd_kafka_t* rk = new_client(RD_KAFKA_CONSUMER, bootstrap,
                                {{"group.id", group}, {"enable.auto.commit", "false"}});
    auto* list = rd_kafka_topic_partition_list_new(static_cast<int>(offsets.size()));
    for (const auto& [p, off] : offsets)
        rd_kafka_topic_partition_list_add(list, kTopic.c_str(), p)->offset = off;
    EXPECT_EQ(rd_kafka_commit(rk, list, 0), RD_KAFKA_RESP_ERR_NO_ERROR);
    rd_kafka_topic_partition_list_destroy(list);
    rd_kafka_destroy(rk);
}

// A member of `group` on kTopic that reads up to target offsets and commits
// exactly them. It stays in the group until destroyed: the mock answers a new
// member's join only after the previous member's session expired (~45 s).
class GroupConsumer {
  public:
    GroupConsumer(const std::string& bootstrap, const std::string& group)
        : rk_(new_client(RD_KAFKA_CONSUMER, bootstrap,
                         {{"group.id", group},
                          {"enable.auto.commit", "false"},
                          {"auto.offset.reset", "earliest"}})) {
        rd_kafka_poll_set_consumer(rk_);
        auto* topics = rd_kafka_topic_partition_list_new(1);
        rd_kafka_topic_partition_list_add(topics, kTopic.c_str(), RD_KAFKA_PARTITION_UA);
        EXPECT_EQ(rd_kafka_subscribe(rk_, topics), RD_KAFKA_RESP_ERR_NO_ERROR);
        rd_kafka_topic_partition_list_destroy(topics);
    }
    ~GroupConsumer() {
        rd_kafka_consumer_close(rk_);
        rd_kafka_destroy(rk_);
    }
    GroupConsumer(const GroupConsumer&) = delete;
    GroupConsumer& operator=(const GroupConsumer&) = delete;

    void consume_to(const std::map<int, int64_t>& target) {
        auto reached = [&] {
            for (const auto& [p, off] : target)
                if (next_[p] < off) return false;
            return true;
        };
        auto start = Clock::now();
        while (!reached() && ms_since(start) < 60000) { // the mock's first join takes ~3 s
            rd_kafka_message_t* m = rd_kafka_consumer_poll(rk_, 200);
            if (!m) continue;
            if (!m->err && rd_kafka_topic_name(m->rkt) == kTopic)
                next_[m->partition] = std::max(next_[m->partition], m->offset + 1);
            rd_kafka_message_destroy(m);
        }
        ASSERT_TRUE(reached()) << "consumer did not reach its target offsets within 60 s";
        auto* commit = rd_kafka_topic_partition_list_new(static_cast<int>(target.size()));
        for (const auto& [p, off] : target)
            rd_kafka_topic_partition_list_add(commit, kTopic.c_str(), p)->offset = off;
        EXPECT_EQ(rd_kafka_commit(rk_, commit, 0), RD_KAFKA_RESP_ERR_NO_ERROR);
        rd_kafka_topic_partition_list_destroy(commit);
    }

  private:
    rd_kafka_t* rk_;
    std::map<int, int64_t> next_;
};

const json* find_named(const json& arr, const char* field, const std::string& name) {
    for (const auto& e : arr)
        if (e.value(field, "") == name) return &e;
    return nullptr;
}

class KafkaLag : public ::testing::Test {
  protected:
    EmbeddedKafka kafka{3};
    TempDir state{"kafka-lag"};

    void SetUp() override {
        kafka.create_topic(kTopic, kPartitions);
        kafka.create_topic(kOther, 2);
    }

    std::map<std::string, std::string> env(const std::string& bootstrap) const {
        return {{"KAFKA_BOOTSTRAP_SERVERS", bootstrap},
                {"EBAP_STATE_DIR", state.path()},
                {"EBAPCTL_CONFIG", "<unset>"},
                {"XDG_CONFIG_HOME", "<unset>"},
                {"HOME", "/nonexistent"},
                {"NO_COLOR", "1"}};
    }

    // Runs `ebapctl --json lag --group ...` and parses its document.
    json lag_json(const std::vector<std::string>& groups, int expect_exit) {
        return lag_json_cfg(groups, "", expect_exit);
    }
    json lag_json_cfg(const std::vector<std::string>& groups, const std::string& cfg,
                      int expect_exit) {
        std::vector<std::string> args = {"--json", "lag"};
        if (!cfg.empty()) args.insert(args.begin(), {"--config", cfg});
        for (const auto& g : groups)
            args.insert(args.end(), {"--group", g});
        auto r = run_cli(args, env(kafka.bootstrap()), 60000);
        EXPECT_EQ(r.exit_code, expect_exit) << r.err << r.out;
        auto doc = json::parse(r.out, nullptr, false);
        EXPECT_TRUE(doc.is_object()) << r.out;
        return doc.is_object() ? doc : json::object();
    }
};

} // namespace

TEST_F(KafkaLag, ReportsExactLagAndJudgesTheWindowAcrossRuns) {
    const int n = 240, m = 60;
    ASSERT_EQ(produce_keyed(kafka.bootstrap(), kTopic, n), n);
    std::string lines;
    for (int i = 0; i < m; ++i)
        lines += "kcat-" + std::to_string(i) + ":{\"event_id\":\"k" + std::to_string(i) + "\"}\n";
    auto kc =
        run_argv({"kcat", "-b", kafka.bootstrap(), "-P", "-t", kTopic, "-K:"}, {}, 30000, lines);
    ASSERT_EQ(kc.exit_code, 0) << kc.err;
    ASSERT_EQ(produce_keyed(kafka.bootstrap(), kOther, 10), 10);

    // Independent readings of the high watermarks must agree before we compare.
    std::vector<int64_t> high = api_high(kafka.bootstrap(), kTopic, kPartitions);
    EXPECT_EQ(kcat_high(kafka.bootstrap(), kTopic, kPartitions), high);
    EXPECT_EQ(kcat_counts(kafka.bootstrap(), kTopic, kPartitions), high);
    int64_t total = 0;
    for (auto h : high) {
        ASSERT_GE(h, 2) << "keys should spread over every partition";
        total += h;
    }
    ASSERT_EQ(total, n + m);

    const std::string group = "lag-test-group";
    std::map<int, int64_t> committed;
    for (int p = 0; p < kPartitions; ++p)
        committed[p] = high[p] / 2;
    GroupConsumer consumer(kafka.bootstrap(), group);
    ASSERT_NO_FATAL_FAILURE(consumer.consume_to(committed));
    int64_t expect_total = 0;
    for (int p = 0; p < kPartitions; ++p)
        expect_total += high[p] - committed[p];

    // First run: exact numbers; one observation has no trend yet, so OK.
    json doc = lag_json({group}, 0);
    EXPECT_EQ(doc.value("bootstrap", ""), kafka.bootstrap());
    const json* topic = find_named(doc["topics"], "name", kTopic);
    ASSERT_NE(topic, nullptr) << doc.dump(2);
    EXPECT_EQ((*topic)["partitions"], kPartitions);
    EXPECT_EQ((*topic)["messages"], total);
    for (const auto& w : (*topic)["watermarks"]) {
        int p = w["partition"];
        EXPECT_EQ(w["low"], 0);
        EXPECT_EQ(w["high"], high.at(p));
    }
    ASSERT_EQ(doc["groups"].size(), 1u);
    const json& g = doc["groups"][0];
    EXPECT_EQ(g["group"], group);
    EXPECT_EQ(g["state"], "unknown"); // the mock has no ListGroups/DescribeGroups
    EXPECT_TRUE(g["members"].is_null());
    EXPECT_EQ(g["status"], "OK") << g.dump(2);
    EXPECT_EQ(g["total_lag"], expect_total);
    ASSERT_EQ(g["partitions"].size(), static_cast<std::size_t>(kPartitions)) << g.dump(2);
    int64_t sum = 0;
    for (const auto& p : g["partitions"]) {
        EXPECT_EQ(p["topic"], kTopic) << "a topic the group never committed on was listed";
        int part = p["partition"];
        EXPECT_EQ(p["high"], high.at(part));
        EXPECT_EQ(p["committed"], committed.at(part));
        EXPECT_EQ(p["lag"], high.at(part) - committed.at(part));
        sum += p["lag"].get<int64_t>();
    }
    EXPECT_EQ(sum, expect_total);

    // Second run, moments later: the offsets did not move, but that is no commit
    // missed yet (the window holds one observation; the old per-run sampling
    // called this STALL). OK, tentative, lag unchanged.
    doc = lag_json({group}, 0);
    EXPECT_EQ(doc["groups"][0]["status"], "OK") << doc["groups"][0].dump(2);
    EXPECT_EQ(doc["groups"][0]["total_lag"], expect_total);
    EXPECT_NE(doc["groups"][0]["reason"].get<std::string>().find("tentative: 1 of 10"),
              std::string::npos)
        << doc["groups"][0].dump(2);
    EXPECT_EQ(doc["groups"][0]["drain"], "unknown");
    for (const auto& p : doc["groups"][0]["partitions"])
        EXPECT_EQ(p["observations"], 1) << p.dump();

    // With lag.stop_after_s = 1, a commit awaited for more than a second while
    // lag stays is STOP (the mock has no DescribeGroups, so membership is
    // unknown and STOP is not told from STALL), exit 3, and it will never drain.
    std::ofstream(state.file("stop.toml")) << "[lag]\nstop_after_s = 1\n";
    std::this_thread::sleep_for(std::chrono::milliseconds(1100));
    doc = lag_json_cfg({group}, state.file("stop.toml"), 3);
    EXPECT_EQ(doc["groups"][0]["status"], "STOP") << doc["groups"][0].dump(2);
    for (const auto& p : doc["groups"][0]["partitions"])
        EXPECT_EQ(p["status"], "STOP") << p.dump();
    EXPECT_EQ(doc["groups"][0]["drain"], "never");
    EXPECT_TRUE(doc["groups"][0]["drain_seconds"].is_null());
    const json& maxlag = doc["groups"][0]["maxlag"];
    int64_t most = 0;
    for (int p = 0; p < kPartitions; ++p)
        most = std::max(most, high[p] - committed[p]);
    EXPECT_EQ(maxlag["lag"], most) << maxlag.dump();
    EXPECT_EQ(maxlag["lag"], high.at(maxlag["partition"].get<int>()) -
                                 committed.at(maxlag["partition"].get<int>()));

    // The group catches up: lag 0, OK, nothing left to drain.
    std::map<int, int64_t> end;
    for (int p = 0; p < kPartitions; ++p)
        end[p] = high[p];
    ASSERT_NO_FATAL_FAILURE(consumer.consume_to(end));
    doc = lag_json({group}, 0);
    EXPECT_EQ(doc["groups"][0]["status"], "OK");
    EXPECT_EQ(doc["groups"][0]["total_lag"], 0);
    EXPECT_EQ(doc["groups"][0]["drain"], "done");
    EXPECT_EQ(doc["groups"][0]["drain_seconds"], 0.0);
    for (const auto& p : doc["groups"][0]["partitions"])
        EXPECT_EQ(p["observations"], 2) << p.dump();

    // A second group committed on one partition only: the others have no commit
    // yet. They are shown as such (lag unknown, not high - low, and not ERR: the
    // log start is 0, nothing was lost), and add nothing to the total.
    const std::string partial = "lag-test-partial";
    commit_offsets(kafka.bootstrap(), partial, {{0, 1}});
    doc = lag_json({group, partial}, 0);
    ASSERT_EQ(doc["groups"].size(), 2u);
    EXPECT_EQ(doc["groups"][0]["status"], "OK");
    const json& pg = doc["groups"][1];
    EXPECT_EQ(pg["status"], "OK") << pg.dump(2);
    for (const auto& p : pg["partitions"]) {
        int part = p["partition"];
        if (part == 0) {
            EXPECT_EQ(p["committed"], 1);
            EXPECT_EQ(p["lag"], high.at(0) - 1);
            EXPECT_FALSE(p["no_commit"].get<bool>());
        } else {
            EXPECT_TRUE(p["committed"].is_null());
            EXPECT_TRUE(p["lag"].is_null()) << p.dump();
            EXPECT_TRUE(p["no_commit"].get<bool>());
            EXPECT_EQ(p["reason"], "no commit yet (" + std::to_string(high.at(part)) +
                                       " messages retained)");
        }
    }
    EXPECT_EQ(pg["total_lag"], high.at(0) - 1);

    // The window lives in the state directory, one file per group.
    EXPECT_TRUE(std::filesystem::exists(state.path() + "/lag/" + group + ".json"));
}

TEST_F(KafkaLag, TableOutputNamesGroupStatusAndTotal) {
    ASSERT_EQ(produce_keyed(kafka.bootstrap(), kTopic, 30), 30);
    commit_offsets(kafka.bootstrap(), "table-group", {{0, 0}, {1, 0}, {2, 0}});
    auto r = run_cli({"lag", "--group", "table-group"}, env(kafka.bootstrap()), 60000);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.out.find("TOPIC"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find(kTopic), std::string::npos) << r.out;
    std::regex total_row(R"(table-group\s+OK\s+total\s+30\s+\?)");
    EXPECT_TRUE(std::regex_search(r.out, total_row)) << r.out;
    EXPECT_EQ(r.out.find("\033["), std::string::npos) << "colour off a terminal";
}

TEST_F(KafkaLag, UnreachableBootstrapFailsAtItsDeadlineAndNamesIt) {
    std::string dead = "127.0.0.1:" + std::to_string(ebap::test::free_port());
    std::ofstream(state.file("cfg.toml")) << "[kafka]\ntimeout_ms = 1500\n";
    // run_cli kills a hung lag after 30 s (exit_code -1): exit 1 is lag giving up, and the
    // message names the configured deadline as the one that fired.
    auto r = run_cli({"--config", state.file("cfg.toml"), "lag"}, env(dead), 30000);
    EXPECT_EQ(r.exit_code, 1) << r.out;
    EXPECT_NE(r.err.find("no answer from " + dead + " within 1500 ms"), std::string::npos) << r.err;
}

TEST_F(KafkaLag, DeadBrokersNeverHangTheCaller) {
    ebap::KafkaAdmin admin(kafka.bootstrap(), 1000);
    ebap::ClusterInfo info = admin.metadata();
    ASSERT_EQ(info.brokers.size(), 3u);
    for (int b = 1; b <= 3; ++b)
        kafka.set_broker_down(b);
    // rd_kafka_query_watermark_offsets alone would block here for minutes: the call must
    // come back, and with the error that says its own 1000 ms deadline fired.
    std::string error;
    try {
        admin.watermarks(std::vector<ebap::TopicInfo>{{kTopic, kPartitions, {}}});
    } catch (const ebap::Error& e) {
        error = e.what();
    }
    EXPECT_NE(error.find("no answer from " + kafka.bootstrap() + " within 1000 ms"),
              std::string::npos)
        << "watermarks did not give up at its deadline: '" << error << "'";

    auto r = run_cli({"lag"}, env(kafka.bootstrap()), 60000); // -1: killed as hung
    EXPECT_EQ(r.exit_code, 1) << r.out;
    EXPECT_NE(r.err.find("no answer from " + kafka.bootstrap() + " within 5000 ms"),
              std::string::npos) // kafka.timeout_ms default 5000
        << r.err;
    for (int b = 1; b <= 3; ++b)
        kafka.set_broker_up(b);
}

TEST_F(KafkaLag, AdminReadsMetadataAndSkipsInternalTopics) {
    ebap::KafkaAdmin admin(kafka.bootstrap(), 5000);
    auto info = admin.metadata();
    ASSERT_EQ(info.brokers.size(), 3u);
    for (int i = 0; i < 3; ++i) {
        EXPECT_EQ(info.brokers[i].id, i + 1);
        EXPECT_EQ(info.brokers[i].host, "127.0.0.1");
        EXPECT_NE(kafka.bootstrap().find(":" + std::to_string(info.brokers[i].port)),
                  std::string::npos);
    }
    std::map<std::string, int> parts;
    for (const auto& t : info.topics)
        parts[t.name] = t.partitions;
    EXPECT_EQ(parts[kTopic], kPartitions);
    EXPECT_EQ(parts[kOther], 2);
    for (const auto& t : info.topics)
        EXPECT_NE(t.name.rfind("__", 0), 0u) << t.name;
    auto group = admin.group_info("nobody");
    EXPECT_EQ(group.state, "unknown");
    EXPECT_EQ(group.members, -1);
    EXPECT_FALSE(group.detail.empty());
    EXPECT_THROW(admin.watermarks("no.such.topic"), ebap::Error);
}

TEST(EmbeddedKafkaTopics, DesignTopicsAndBrokerCommand) {
    {
        EmbeddedKafka kafka(1);
        kafka.create_design_topics(12);
        ebap::KafkaAdmin admin(kafka.bootstrap(), 5000);
        std::map<std::string, int> parts;
        for (const auto& t : admin.metadata().topics)
            parts[t.name] = t.partitions;
        std::map<std::string, int> want = {{"ebap.events.raw", 12},
                                           {"ebap.metrics.telemetry", 6},
                                           {"ebap.cdc.users", 3},
                                           {"ebap.audit.logs", 1},
                                           {"ebap.events.dlq", 1}};
        EXPECT_EQ(parts, want);
        EXPECT_THROW(kafka.create_topic("ebap.audit.logs", 1), ebap::Error);
    }

    // The same broker hosted by `ebapctl broker` in another process.
    TempDir dir("kafka-broker");
    std::string file = dir.file("bootstrap");
    ebap::test::ChildOptions opts;
    opts.log_path = dir.file("broker.log");
    opts.parent_death_signal = SIGKILL;
    pid_t pid = ebap::test::spawn_child({EBAPCTL_BIN, "broker", "--brokers", "2",
                                         "--raw-partitions", "4", "--bootstrap-file", file},
                                        opts);
    std::string bootstrap;
    auto start = Clock::now();
    while (ms_since(start) < 20000 && ebap::test::child_running(pid)) {
        std::ifstream in(file);
        if (std::getline(in, bootstrap) && !bootstrap.empty()) break;
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    if (bootstrap.empty()) {
        ebap::test::stop_child(pid, SIGKILL, 1000);
        FAIL() << "no bootstrap file: " << ebap::test::file_tail(opts.log_path);
    }
    auto r = run_cli({"--json", "lag", "--group", "nobody-yet"},
                     {{"KAFKA_BOOTSTRAP_SERVERS", bootstrap},
                      {"EBAP_STATE_DIR", dir.path()},
                      {"EBAPCTL_CONFIG", "<unset>"},
                      {"HOME", "/nonexistent"}},
                     60000);
    ebap::test::stop_child(pid, SIGTERM, 5000);
    EXPECT_EQ(r.exit_code, 3) << r.err; // a group without commits is ERR
    auto doc = json::parse(r.out, nullptr, false);
    ASSERT_TRUE(doc.is_object()) << r.out;
    const json* raw = find_named(doc["topics"], "name", "ebap.events.raw");
    ASSERT_NE(raw, nullptr) << r.out;
    EXPECT_EQ((*raw)["partitions"], 4);
    EXPECT_EQ(doc["groups"][0]["status"], "ERR");
    EXPECT_FALSE(std::filesystem::exists(file)) << "bootstrap file left behind";
    EXPECT_NE(ebap::test::file_tail(opts.log_path).find("stopped (SIGTERM)"), std::string::npos)
        << ebap::test::file_tail(opts.log_path);
}
