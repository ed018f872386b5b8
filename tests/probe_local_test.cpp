// tcp, command, redis, postgres and kafka probes against real local servers:
// redis-server and PostgreSQL started by the test, librdkafka's mock cluster in-process.
#include "core/probe/probe.hpp"
#include "core/probe/probe_kinds.hpp"
#include "support/pg_server.hpp"
#include "support/ports.hpp"
#include "support/redis_server.hpp"
#include "support/silent_listener.hpp"

#include <gtest/gtest.h>
#include <libpq-fe.h>
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#include <csignal>
#include <filesystem>
#include <fstream>
#include <memory>
#include <regex>
#include <stdexcept>
#include <vector>

#include <unistd.h>

namespace ebap {
namespace {

// "600.<pid><n>": a sleep argument (ten minutes and a fraction) that no other process on
// the machine carries, so the sleeps a test started can be found in /proc afterwards.
std::string unique_sleep_arg() {
    static int n = 0;
    return "600." + std::to_string(getpid()) + std::to_string(++n);
}

// Processes with `arg` as one of their argv words that are still alive (zombies are dead).
std::vector<pid_t> processes_with_arg(const std::string& arg) {
    std::vector<pid_t> found;
    for (const auto& entry : std::filesystem::directory_iterator("/proc")) {
        const std::string pid = entry.path().filename();
        if (pid.find_first_not_of("0123456789") != std::string::npos) continue;
        std::ifstream cmdline(entry.path() / "cmdline");
        bool match = false;
        for (std::string word; std::getline(cmdline, word, '\0');)
            match = match || word == arg;
        if (!match) continue;
        std::ifstream stat(entry.path() / "stat");
        std::string text((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
        const auto paren = text.rfind(')');
        if (paren == std::string::npos || paren + 2 >= text.size() || text[paren + 2] == 'Z')
            continue; // gone meanwhile, or a zombie
        found.push_back(static_cast<pid_t>(std::stoi(pid)));
    }
    return found;
}

// How many processes carrying `arg` are still alive once the killed ones had time to die.
// A process sent SIGKILL is gone within moments; one never signalled sleeps on for ten
// minutes, so the 60 s wait is a hang guard, not a limit. Kills whatever is left.
int survivors_of(const std::string& arg) {
    std::vector<pid_t> alive = processes_with_arg(arg);
    for (int i = 0; i < 600 && !alive.empty(); ++i) {
        usleep(100'000);
        alive = processes_with_arg(arg);
    }
    for (pid_t pid : alive)
        kill(pid, SIGKILL);
    return static_cast<int>(alive.size());
}

bool contains(const std::string& text, const std::string& part) {
    return text.find(part) != std::string::npos;
}

ProbeResult probe(const std::string& kind, const std::string& endpoint, int timeout_ms = 3000,
                  const ProbeOptions& opts = {}) {
    ProbeTarget t;
    t.service = kind;
    t.spec.kind = kind;
    t.spec.endpoint = endpoint;
    t.spec.timeout_ms = timeout_ms;
    return probe_round({t}, opts).at(0);
}

ProbeResult run_command(std::vector<std::string> argv, int timeout_ms = 3000) {
    ProbeTarget t;
    t.service = "check";
    t.spec.kind = "command";
    t.spec.command = std::move(argv);
    t.spec.timeout_ms = timeout_ms;
    return probe_round({t}, {}).at(0);
}

using test::SilentListener;

std::string dead_endpoint() {
    return "127.0.0.1:" + std::to_string(test::free_port());
}

// ---- tcp ----

TEST(TcpProbe, ListeningPortIsUp) {
    SilentListener l;
    auto r = probe("tcp", l.endpoint());
    EXPECT_EQ(r.state, Health::Up) << r.detail;
    EXPECT_EQ(r.detail, "accepts connections on port " + std::to_string(l.port()));
}

TEST(TcpProbe, HostNamesAreResolved) {
    SilentListener l;
    auto r = probe("tcp", "localhost:" + std::to_string(l.port()));
    EXPECT_EQ(r.state, Health::Up) << r.detail;
}

TEST(TcpProbe, RefusedPortIsDown) {
    auto r = probe("tcp", dead_endpoint());
    EXPECT_EQ(r.state, Health::Down);
    EXPECT_EQ(r.detail, "connection refused");
}

// ---- command ----

TEST(CommandProbe, ExitZeroIsUpWithTheLastLineOfOutput) {
    auto r = run_command({"sh", "-c", "echo starting; echo all good"});
    EXPECT_EQ(r.state, Health::Up) << r.detail;
    EXPECT_EQ(r.detail, "all good");
    auto quiet = run_command({"true"});
    EXPECT_EQ(quiet.state, Health::Up);
    EXPECT_EQ(quiet.detail, "exit 0");
}

TEST(CommandProbe, NonZeroExitIsDownWithStatusAndLastStderrLine) {
    auto r = run_command(
        {"sh", "-c", "echo noise; echo first >&2; echo replication broken >&2; exit 3"});
    EXPECT_EQ(r.state, Health::Down);
    EXPECT_EQ(r.detail, "exit 3: replication broken");
}

TEST(CommandProbe, ArgumentsAreNotShellInterpreted) {
    auto r = run_command({"echo", "$HOME; exit 7"});
    EXPECT_EQ(r.state, Health::Up);
    EXPECT_EQ(r.detail, "$HOME; exit 7");
}

TEST(CommandProbe, SignalIsReported) {
    auto r = run_command({"sh", "-c", "kill -TERM $$"});
    EXPECT_EQ(r.state, Health::Down);
    EXPECT_TRUE(contains(r.detail, "killed by signal 15")) << r.detail;
}

TEST(CommandProbe, MissingProgramIsDown) {
    auto r = run_command({"ebap-no-such-program-xyz"});
    EXPECT_EQ(r.state, Health::Down);
    EXPECT_EQ(r.detail, "command not found: ebap-no-such-program-xyz");
    auto unexecutable = run_command({"/etc/hostname"});
    EXPECT_EQ(unexecutable.state, Health::Down);
    EXPECT_TRUE(contains(unexecutable.detail, "cannot run /etc/hostname")) << unexecutable.detail;
}

TEST(CommandProbe, HungCommandIsKilledAtTheDeadline) {
    // The background sleep keeps the pipes open after sh is killed: the whole group must
    // go. Both sleeps carry an argument no other process has, so what is left of them
    // can be found afterwards: none may live on once the probe returned.
    const std::string marker = unique_sleep_arg();
    auto r = run_command({"sh", "-c", "sleep " + marker + " & sleep " + marker}, 300);
    const int survivors = survivors_of(marker);
    EXPECT_EQ(r.state, Health::Down);
    EXPECT_EQ(r.detail, "no answer within 300 ms (killed)");
    EXPECT_EQ(survivors, 0) << "the command's process group outlived the probe";
}

TEST(CommandProbe, ExitedCommandDoesNotWaitForBackgroundChildren) {
    // The background sleep holds the output pipe far past the 10 s deadline: a probe
    // that waited for the pipe to close would report the deadline, not the exit.
    const std::string marker = unique_sleep_arg();
    auto r = run_command({"sh", "-c", "sleep " + marker + " & echo launched"}, 10000);
    for (pid_t pid : processes_with_arg(marker))
        kill(pid, SIGKILL); // the background sleep: no longer needed
    EXPECT_EQ(r.state, Health::Up) << r.detail;
    EXPECT_EQ(r.detail, "launched");
}

// ---- redis ----

TEST(RedisProbe, RealServerIsUpWithMemoryOpsAndClients) {
    test::RedisServer redis;
    ASSERT_NO_THROW(redis.start());
    auto r = probe("redis", redis.endpoint());
    EXPECT_EQ(r.state, Health::Up) << r.detail;
    std::smatch m;
    ASSERT_TRUE(std::regex_match(r.detail, m,
                                 std::regex(R"(mem [0-9.]+[BKMG], (\d+) ops/s, (\d+) clients?)")))
        << r.detail;
    EXPECT_GE(std::stoi(m[2]), 1); // the probe's own connection
}

TEST(RedisProbe, FailedLoginIsDegradedAndThePasswordNeverShown) {
    // A real redis-server with requirepass: PING before AUTH answers
    // "-NOAUTH Authentication required." (src/server.c, shared.noautherr) and a wrong
    // password "-WRONGPASS invalid username-password pair or user is disabled." (src/acl.c,
    // Redis 6+). The server is up: DEGRADED, like an HTTP 401.
    test::RedisServer redis({"--requirepass", "s3cret-pw"});
    ASSERT_NO_THROW(redis.start());
    auto no_auth = probe("redis", redis.endpoint());
    EXPECT_EQ(no_auth.state, Health::Degraded) << no_auth.detail;
    EXPECT_TRUE(contains(no_auth.detail, "authentication failed: NOAUTH")) << no_auth.detail;
    EXPECT_TRUE(contains(no_auth.detail, "REDIS_PASSWORD")) << no_auth.detail;

    ProbeOptions wrong;
    wrong.redis_password = "not-it";
    auto bad = probe("redis", redis.endpoint(), 3000, wrong);
    EXPECT_EQ(bad.state, Health::Degraded) << bad.detail;
    EXPECT_TRUE(contains(bad.detail, "authentication failed: WRONGPASS")) << bad.detail;
    EXPECT_FALSE(contains(bad.detail, "not-it"));

    ProbeOptions right;
    right.redis_password = "s3cret-pw";
    auto ok = probe("redis", redis.endpoint(), 3000, right);
    EXPECT_EQ(ok.state, Health::Up) << ok.detail;
    EXPECT_FALSE(contains(ok.detail, "s3cret-pw"));
}

TEST(RedisProbe, DeadAndSilentServersAreDown) {
    auto refused = probe("redis", dead_endpoint());
    EXPECT_EQ(refused.state, Health::Down);
    EXPECT_EQ(refused.detail, "connection refused");

    SilentListener silent;
    auto r = probe("redis", silent.endpoint(), 300);
    EXPECT_EQ(r.state, Health::Down);
    EXPECT_EQ(r.detail, "no answer within 300 ms"); // the probe's own deadline fired
}

TEST(RedisProbe, StoppedServerIsDown) {
    test::RedisServer redis;
    ASSERT_NO_THROW(redis.start());
    std::string endpoint = redis.endpoint();
    EXPECT_EQ(probe("redis", endpoint).state, Health::Up);
    redis.stop();
    auto r = probe("redis", endpoint);
    EXPECT_EQ(r.state, Health::Down);
    EXPECT_EQ(r.detail, "connection refused");
}

// ---- postgres ----

class PostgresProbeTest : public ::testing::Test {
  protected:
    static void SetUpTestSuite() {
        pg_ = std::make_unique<test::PgServer>();
        try {
            pg_->start();
        } catch (const std::exception& e) {
            error_ = e.what();
            pg_.reset(); // stops and cleans up whatever had started
        }
    }
    static void TearDownTestSuite() { pg_.reset(); }
    void SetUp() override { ASSERT_TRUE(pg_) << "PostgreSQL did not start: " << error_; }

    static ProbeOptions opts(const std::string& user = "postgres") {
        ProbeOptions o;
        o.pg_user = user;
        o.pg_dbname = "postgres";
        return o;
    }
    static void exec(const std::string& sql) {
        PGconn* c = PQconnectdb(pg_->conninfo().c_str());
        ASSERT_EQ(PQstatus(c), CONNECTION_OK) << PQerrorMessage(c);
        PGresult* r = PQexec(c, sql.c_str());
        EXPECT_TRUE(PQresultStatus(r) == PGRES_TUPLES_OK || PQresultStatus(r) == PGRES_COMMAND_OK)
            << sql << ": " << PQresultErrorMessage(r);
        PQclear(r);
        PQfinish(c);
    }

    static std::unique_ptr<test::PgServer> pg_;
    static std::string error_;
};
std::unique_ptr<test::PgServer> PostgresProbeTest::pg_;
std::string PostgresProbeTest::error_;

TEST_F(PostgresProbeTest, LogicalServerWithSlotIsUpAndShowsSlotLag) {
    auto before = probe("postgres", pg_->endpoint(), 5000, opts());
    EXPECT_EQ(before.state, Health::Up) << before.detail;
    EXPECT_TRUE(contains(before.detail, "wal_level logical")) << before.detail;

    exec("SELECT pg_create_logical_replication_slot('ebap_debezium', 'test_decoding')");
    exec("CREATE TABLE IF NOT EXISTS probe_lag AS SELECT g AS id, md5(g::text) AS v FROM "
         "generate_series(1, 20000) g");
    auto r = probe("postgres", pg_->endpoint(), 5000, opts());
    exec("SELECT pg_drop_replication_slot('ebap_debezium')");
    EXPECT_EQ(r.state, Health::Up) << r.detail;
    std::smatch m;
    ASSERT_TRUE(std::regex_search(
        r.detail, m, std::regex(R"(slots: ebap_debezium ([0-9.]+) (B|kB|MB) behind \(inactive\))")))
        << r.detail;
    EXPECT_TRUE(m[2] != "B" || std::stod(m[1]) > 0)
        << "the table write must show as lag: " << r.detail;
    EXPECT_TRUE(std::regex_search(r.detail, std::regex(R"(^PostgreSQL \d+\.\d+, )"))) << r.detail;
}

TEST_F(PostgresProbeTest, UnixSocketEndpoint) {
    auto r = probe("postgres", pg_->socket_dir() + ":" + std::to_string(pg_->port()), 5000, opts());
    EXPECT_EQ(r.state, Health::Up) << r.detail;
}

TEST_F(PostgresProbeTest, UnknownRoleIsAFailedLoginWithTheServersReason) {
    // Under trust auth an unknown role is FATAL 28000 invalid_authorization_specification
    // (src/backend/utils/init/miscinit.c InitializeSessionUserId): the server is up.
    auto r = probe("postgres", pg_->endpoint(), 5000, opts("nobody_here"));
    EXPECT_EQ(r.state, Health::Degraded) << r.detail;
    EXPECT_TRUE(contains(r.detail, "authentication failed: role \"nobody_here\" does not exist"))
        << r.detail;
}

// pg_hba.conf rules for one role that logs in with a password over TCP; everything else
// stays trust, so the suite's other tests are not affected.
void require_password_for(const test::PgServer& pg, const std::string& role) {
    std::ofstream hba(pg.data_dir() + "/pg_hba.conf", std::ios::trunc);
    hba << "host all " << role << " 127.0.0.1/32 scram-sha-256\n"
        << "local all all trust\nhost all all 127.0.0.1/32 trust\nhost all all ::1/128 trust\n";
}

TEST_F(PostgresProbeTest, WrongOrMissingPasswordIsAFailedLoginNotDown) {
    // src/backend/libpq/auth.c auth_failed(): "password authentication failed for user"
    // with SQLSTATE 28P01 (invalid_password); libpq answers a password request it cannot
    // meet with "fe_sendauth: no password supplied" (src/interfaces/libpq/fe-auth.c).
    exec("DO $$BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'ebap_app') THEN "
         "CREATE ROLE ebap_app LOGIN PASSWORD 'right-pw'; END IF; END$$");
    require_password_for(*pg_, "ebap_app");
    exec("SELECT pg_reload_conf()");
    ProbeOptions wrong = opts("ebap_app");
    wrong.pg_password = "wrong-pw";
    ProbeResult bad;
    for (int i = 0; i < 50; ++i) { // the reload is asynchronous
        bad = probe("postgres", pg_->endpoint(), 5000, wrong);
        if (bad.state != Health::Up) break;
        usleep(100'000);
    }
    EXPECT_EQ(bad.state, Health::Degraded) << bad.detail;
    EXPECT_TRUE(contains(bad.detail,
                         "authentication failed: password authentication failed for user "
                         "\"ebap_app\""))
        << bad.detail;
    EXPECT_FALSE(contains(bad.detail, "wrong-pw"));
    EXPECT_FALSE(contains(bad.detail, "28P01")) << "the SQLSTATE is for us, not the operator";

    auto none = probe("postgres", pg_->endpoint(), 5000, opts("ebap_app"));
    EXPECT_EQ(none.state, Health::Degraded) << none.detail;
    EXPECT_TRUE(contains(none.detail, "authentication failed")) << none.detail;
    EXPECT_TRUE(contains(none.detail, "no password supplied")) << none.detail;

    ProbeOptions right = opts("ebap_app");
    right.pg_password = "right-pw";
    auto ok = probe("postgres", pg_->endpoint(), 5000, right);
    EXPECT_EQ(ok.state, Health::Up) << ok.detail;
}

TEST_F(PostgresProbeTest, InactiveSlotHoldingBackWalPastTheLimitIsDegraded) {
    // pg_replication_slots.restart_lsn is the oldest WAL the slot still needs
    // (https://www.postgresql.org/docs/15/view-pg-replication-slots.html); a physical slot
    // created with immediately_reserve = true holds WAL from its creation on, and nothing
    // consumes it, so every later write is WAL it holds back.
    exec("SELECT pg_create_physical_replication_slot('ebap_stuck', true)");
    exec("CREATE TABLE IF NOT EXISTS probe_wal AS SELECT g AS id, md5(g::text) AS v FROM "
         "generate_series(1, 20000) g");
    exec("SELECT pg_switch_wal()");
    ProbeTarget t;
    t.service = "pg";
    t.spec.kind = "postgres";
    t.spec.endpoint = pg_->endpoint();
    t.spec.timeout_ms = 5000;
    t.spec.max_slot_wal_bytes = 1024; // a tiny limit: the table write is far more
    auto small = probe_round({t}, opts()).at(0);
    t.spec.max_slot_wal_bytes = 0; // the default, 1 GiB
    auto big = probe_round({t}, opts()).at(0);
    exec("SELECT pg_drop_replication_slot('ebap_stuck')");
    EXPECT_EQ(small.state, Health::Degraded) << small.detail;
    EXPECT_TRUE(std::regex_search(
        small.detail,
        std::regex(
            R"(^slot ebap_stuck inactive, holding [0-9.]+ (kB|MB) of WAL \(limit 1\.0 kB\))")))
        << small.detail;
    EXPECT_EQ(big.state, Health::Up) << big.detail;
}

TEST_F(PostgresProbeTest, RefusedAndSilentEndpointsAreDownWithTheirReasons) {
    auto refused = probe("postgres", dead_endpoint(), 3000, opts());
    EXPECT_EQ(refused.state, Health::Down);
    EXPECT_EQ(refused.detail, "connection refused");

    SilentListener silent;
    auto r = probe("postgres", silent.endpoint(), 400, opts());
    EXPECT_EQ(r.state, Health::Down);
    // The probe's own 400 ms deadline fired: libpq's connect_timeout (2 s at least) would
    // have ended it with libpq's "timeout expired" instead.
    EXPECT_EQ(r.detail, "no answer within 400 ms");
}

TEST(PostgresProbe, ReplicaWalLevelIsDegradedForDebezium) {
    test::PgOptions o;
    o.wal_level = "replica";
    test::PgServer pg(o);
    ASSERT_NO_THROW(pg.start());
    ProbeOptions opts;
    opts.pg_user = pg.user();
    auto r = probe("postgres", pg.endpoint(), 5000, opts);
    EXPECT_EQ(r.state, Health::Degraded) << r.detail;
    EXPECT_TRUE(contains(r.detail, "wal_level is replica (Debezium needs logical)")) << r.detail;
    EXPECT_TRUE(contains(r.detail, "no replication slots")) << r.detail;
}

// ---- kafka (librdkafka's mock cluster, in this process) ----

void quiet(const rd_kafka_t*, int, const char*, const char*) {}

class MockKafka {
  public:
    explicit MockKafka(int brokers) {
        char err[256];
        rd_kafka_conf_t* conf = rd_kafka_conf_new();
        rd_kafka_conf_set_log_cb(conf, quiet);
        rk_ = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
        if (!rk_) throw std::runtime_error(err);
        mc_ = rd_kafka_mock_cluster_new(rk_, brokers);
        if (!mc_) throw std::runtime_error("rd_kafka_mock_cluster_new failed");
    }
    ~MockKafka() {
        if (mc_) rd_kafka_mock_cluster_destroy(mc_);
        if (rk_) rd_kafka_destroy(rk_);
    }
    std::string bootstrap() const { return rd_kafka_mock_cluster_bootstraps(mc_); }
    rd_kafka_mock_cluster_t* cluster() { return mc_; }

  private:
    rd_kafka_t* rk_ = nullptr;
    rd_kafka_mock_cluster_t* mc_ = nullptr;
};

TEST(KafkaProbe, MockClusterIsUpWithBrokersControllerAndTopics) {
    MockKafka kafka(3);
    ASSERT_EQ(rd_kafka_mock_topic_create(kafka.cluster(), "ebap.events.raw", 6, 3),
              RD_KAFKA_RESP_ERR_NO_ERROR);
    ASSERT_EQ(rd_kafka_mock_topic_create(kafka.cluster(), "ebap.audit.logs", 1, 1),
              RD_KAFKA_RESP_ERR_NO_ERROR);
    auto r = probe("kafka", kafka.bootstrap(), 5000);
    EXPECT_EQ(r.state, Health::Up) << r.detail;
    EXPECT_TRUE(std::regex_match(r.detail, std::regex(R"(3 brokers, controller \d+, 2 topics)")))
        << r.detail;
    EXPECT_GT(r.latency_ms, 0); // measured
}

TEST(KafkaProbe, PartitionWithoutLeaderIsDegraded) {
    MockKafka kafka(3);
    ASSERT_EQ(rd_kafka_mock_topic_create(kafka.cluster(), "ebap.cdc.users", 3, 1),
              RD_KAFKA_RESP_ERR_NO_ERROR);
    ASSERT_EQ(rd_kafka_mock_partition_set_leader(kafka.cluster(), "ebap.cdc.users", 1, -1),
              RD_KAFKA_RESP_ERR_NO_ERROR);
    auto r = probe("kafka", kafka.bootstrap(), 5000);
    EXPECT_EQ(r.state, Health::Degraded) << r.detail;
    EXPECT_TRUE(contains(r.detail, "1 partition without a leader")) << r.detail;
}

// librdkafka 2.0.2's mock cluster answers Metadata with the ISR equal to the replica set
// even when a replica's broker is down (checked: rd_kafka_mock_broker_set_down leaves
// isr_cnt == replica_cnt), so the under-replication rule is tested on the judgement itself,
// over metadata as a 3-broker cluster with broker 3 gone reports it (rdkafka.h
// rd_kafka_metadata_partition: replicas/isrs; Kafka's UnderReplicatedPartitions is
// ISR size < replica count, and acks=all writes fail below min.insync.replicas).
struct FakeMetadata {
    std::vector<rd_kafka_metadata_broker_t> brokers;
    std::vector<std::vector<int32_t>> replicas, isrs;
    std::vector<rd_kafka_metadata_partition_t> parts;
    rd_kafka_metadata_topic_t topic{};
    rd_kafka_metadata_t md{};
    FakeMetadata(std::vector<std::vector<int32_t>> r, std::vector<std::vector<int32_t>> i)
        : replicas(std::move(r)), isrs(std::move(i)) {
        for (int32_t id : {1, 2, 3})
            brokers.push_back({id, const_cast<char*>("kafka"), 9092});
        for (std::size_t p = 0; p < replicas.size(); ++p) {
            rd_kafka_metadata_partition_t part{};
            part.id = static_cast<int32_t>(p);
            part.leader = isrs[p].empty() ? -1 : isrs[p][0];
            part.replica_cnt = static_cast<int>(replicas[p].size());
            part.replicas = replicas[p].data();
            part.isr_cnt = static_cast<int>(isrs[p].size());
            part.isrs = isrs[p].data();
            parts.push_back(part);
        }
        topic.topic = const_cast<char*>("ebap.events.raw");
        topic.partition_cnt = static_cast<int>(parts.size());
        topic.partitions = parts.data();
        md.broker_cnt = static_cast<int>(brokers.size());
        md.brokers = brokers.data();
        md.topic_cnt = 1;
        md.topics = &topic;
    }
};

TEST(KafkaProbe, UnderReplicatedPartitionsAreDegradedWithTheCount) {
    // ebap.events.raw, 6 partitions, replication factor 3; broker 3 has fallen out of every
    // ISR but partition 4's, and partition 5 is down to its leader alone.
    FakeMetadata urp({{1, 2, 3}, {2, 3, 1}, {3, 1, 2}, {1, 3, 2}, {2, 1, 3}, {3, 2, 1}},
                     {{1, 2}, {2, 1}, {1, 2}, {1, 2}, {2, 1, 3}, {2}});
    auto v = probe_detail::judge_kafka_metadata(urp.md, 1, 0);
    EXPECT_EQ(v.state, Health::Degraded) << v.detail;
    EXPECT_EQ(v.detail, "5 partitions under-replicated (ISR < replicas); 3 brokers, controller 1, "
                        "1 topic");
    auto with_min = probe_detail::judge_kafka_metadata(urp.md, 1, 2);
    EXPECT_EQ(with_min.detail,
              "5 partitions under-replicated (ISR < replicas), 1 partition below "
              "min.insync.replicas=2 (acks=all writes fail); 3 brokers, controller 1, 1 topic");

    FakeMetadata healthy({{1, 2, 3}, {2, 3, 1}}, {{1, 2, 3}, {2, 3, 1}});
    auto ok = probe_detail::judge_kafka_metadata(healthy.md, 2, 2);
    EXPECT_EQ(ok.state, Health::Up) << ok.detail;
    EXPECT_EQ(ok.detail, "3 brokers, controller 2, 1 topic");
}

TEST(KafkaProbe, DeadBootstrapIsDownWithTheRefusalAsReason) {
    auto r = probe("kafka", dead_endpoint(), 1000);
    EXPECT_EQ(r.state, Health::Down);
    EXPECT_EQ(r.detail, "connection refused");
}

TEST(KafkaProbe, SilentBrokerDoesNotHoldTheRound) {
    // A round with the silent broker and a live TCP service: the round comes back with
    // both results, the broker's naming its own 500 ms deadline as the reason.
    SilentListener silent, alive;
    ProbeTarget broker, tcp;
    broker.service = "kafka";
    broker.spec.kind = "kafka";
    broker.spec.endpoint = silent.endpoint();
    broker.spec.timeout_ms = 500;
    tcp.service = "tcp";
    tcp.spec.kind = "tcp";
    tcp.spec.endpoint = alive.endpoint();
    auto r = probe_round({broker, tcp}, {});
    ASSERT_EQ(r.size(), 2u);
    EXPECT_EQ(r[0].state, Health::Down);
    EXPECT_TRUE(contains(r[0].detail, "no answer within 500 ms")) << r[0].detail;
    EXPECT_EQ(r[1].state, Health::Up) << r[1].detail;
}

} // namespace
} // namespace ebap
