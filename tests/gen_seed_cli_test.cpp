// `ebapctl gen` against librdkafka's mock cluster (hosted here, read back with
// kcat, an independent client) and `ebapctl seed` against a real PostgreSQL:
// counts, keys, CDC shapes, clean SIGINT, idempotent reseeding, and bounded
// failure when the servers are absent or silent.
#include "core/embedded/kafka_mock.hpp"
#include "pipeline/gen/generator.hpp"
#include "support/child_process.hpp"
#include "support/cli_run.hpp"
#include "support/pg_server.hpp"
#include "support/ports.hpp"
#include "support/silent_listener.hpp"
#include "support/temp_dir.hpp"

#include <gtest/gtest.h>
#include <libpq-fe.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <csignal>
#include <cstdlib>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <thread>

#include <sys/wait.h>

namespace ebap {
namespace {

using nlohmann::json;
using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t) {
    return std::chrono::duration<double>(Clock::now() - t).count();
}

std::vector<std::string> lines_of(const std::string& text) {
    std::vector<std::string> out;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);)
        if (!line.empty()) out.push_back(line);
    return out;
}

// Every record of a topic, as kcat prints it with `format` (one line each).
std::vector<std::string> consume(const std::string& bootstrap, const std::string& topic,
                                 const std::string& format = "%s\n") {
    auto r = test::run_argv({"kcat", "-b", bootstrap, "-C", "-t", topic, "-e", "-q", "-f", format},
                            {}, 60000);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return lines_of(r.out);
}

json parse_summary(const test::CliResult& r) {
    json doc = json::parse(r.out, nullptr, false);
    EXPECT_FALSE(doc.is_discarded()) << "stdout is not one JSON document:\n"
                                     << r.out << "\nstderr:\n"
                                     << r.err;
    return doc;
}

class GenCliTest : public ::testing::Test {
  protected:
    void SetUp() override {
        kafka_.create_topic("ebap.events.raw", 6);
        kafka_.create_topic("ebap.cdc.users", 3);
    }
    std::map<std::string, std::string> env() const {
        return {{"KAFKA_BOOTSTRAP_SERVERS", kafka_.bootstrap()}, {"EBAPCTL_CONFIG", "<unset>"}};
    }
    EmbeddedKafka kafka_{3};
};

TEST_F(GenCliTest, CountEventsReachTheTopicKeyedByUser) {
    auto r = test::run_cli(
        {"gen", "--count", "5000", "--eps", "0", "--users", "100", "--seed", "7", "--json"}, env(),
        120000);
    ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
    json s = parse_summary(r);
    EXPECT_EQ(s["sent"], 5000);
    EXPECT_EQ(s["delivered"], 5000);
    EXPECT_EQ(s["delivery_errors"], 0);
    EXPECT_EQ(s["cdc"]["creates"], 100);
    EXPECT_EQ(s["ok"], true);
    EXPECT_EQ(s["linger_ms"], 100); // the default batching wait
    std::int64_t per_type = 0;
    for (const auto& [type, n] : s["types"].items())
        per_type += n.get<std::int64_t>();
    EXPECT_EQ(per_type, 5000);

    // kcat, an independent client, sees exactly what was sent.
    auto records = consume(kafka_.bootstrap(), "ebap.events.raw", "%p\t%k\t%s\n");
    ASSERT_EQ(records.size(), 5000u);
    std::map<std::string, std::set<std::string>> partitions_of_key;
    std::set<std::string> event_ids;
    for (const auto& line : records) {
        auto t1 = line.find('\t'), t2 = line.find('\t', t1 + 1);
        std::string partition = line.substr(0, t1), key = line.substr(t1 + 1, t2 - t1 - 1);
        json ev = json::parse(line.substr(t2 + 1));
        ASSERT_EQ(key, std::to_string(ev["user_id"].get<std::int64_t>()));
        ASSERT_GE(ev["user_id"].get<std::int64_t>(), 1);
        ASSERT_LE(ev["user_id"].get<std::int64_t>(), 100);
        partitions_of_key[key].insert(partition);
        event_ids.insert(ev["event_id"].get<std::string>());
    }
    EXPECT_EQ(event_ids.size(), 5000u);
    std::set<std::string> used_partitions;
    for (const auto& [key, parts] : partitions_of_key) {
        EXPECT_EQ(parts.size(), 1u) << "user " << key << " spread over partitions";
        used_partitions.insert(parts.begin(), parts.end());
    }
    EXPECT_EQ(used_partitions.size(), 6u);

    // CDC: one create per user (plus occasional updates), Debezium keys.
    auto cdc = consume(kafka_.bootstrap(), "ebap.cdc.users", "%k\t%s\n");
    ASSERT_GE(cdc.size(), 100u);
    std::set<std::int64_t> created;
    for (const auto& line : cdc) {
        auto tab = line.find('\t');
        json key = json::parse(line.substr(0, tab));
        json value = json::parse(line.substr(tab + 1));
        ASSERT_EQ(key["id"], value["after"]["id"]);
        if (value["op"] == "c") {
            created.insert(key["id"].get<std::int64_t>());
            auto p = pipeline::make_profile(7, key["id"].get<std::int64_t>());
            EXPECT_EQ(value["after"]["region"], p.region); // the same users `seed --seed 7` writes
            EXPECT_EQ(value["after"]["tier"], p.tier);
        } else {
            EXPECT_EQ(value["op"], "u");
        }
    }
    EXPECT_EQ(created.size(), 100u);
    EXPECT_EQ(cdc.size(), 100u + s["cdc"]["updates"].get<std::size_t>());
    EXPECT_EQ(s["cdc"]["delivered"].get<std::size_t>(), cdc.size());
}

TEST_F(GenCliTest, NoCdcAndHumanSummary) {
    auto r = test::run_cli({"gen", "--count", "300", "--eps", "0", "--users", "20", "--no-cdc",
                            "--bad-fraction", "0.1", "--topic", "ebap.events.raw"},
                           env(), 60000);
    ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
    EXPECT_NE(r.out.find("sent 300 events to ebap.events.raw"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("0 delivery errors"), std::string::npos) << r.out;
    EXPECT_EQ(consume(kafka_.bootstrap(), "ebap.events.raw").size(), 300u);
    EXPECT_TRUE(consume(kafka_.bootstrap(), "ebap.cdc.users").empty());
}

TEST_F(GenCliTest, LingerIsTheProducersBatchingWaitAndIsChecked) {
    auto r = test::run_cli(
        {"gen", "--count", "200", "--eps", "0", "--no-cdc", "--linger-ms", "0", "--json"}, env(),
        60000);
    ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
    json s = parse_summary(r);
    EXPECT_EQ(s["linger_ms"], 0);
    EXPECT_EQ(s["delivered"], 200);
    EXPECT_EQ(consume(kafka_.bootstrap(), "ebap.events.raw").size(), 200u);

    for (const char* bad : {"-1", "60001", "soon"}) {
        auto b = test::run_cli({"gen", "--count", "1", "--linger-ms", bad}, env(), 30000);
        EXPECT_EQ(b.exit_code, 2) << bad << ": " << b.out << b.err;
        EXPECT_NE(b.err.find("--linger-ms"), std::string::npos) << bad << ": " << b.err;
    }
}

TEST_F(GenCliTest, RateLimitedRunHoldsItsRate) {
    // Without --count the run ends only at --duration: were it ignored, run_cli would
    // kill gen after 60 s (exit_code -1).
    auto r = test::run_cli(
        {"gen", "--eps", "200", "--duration", "2", "--users", "50", "--no-cdc", "--json"}, env(),
        60000);
    ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
    json s = parse_summary(r);
    EXPECT_EQ(s["ok"], true);
    EXPECT_EQ(s["target_eps"], 200.0);
    // The token bucket hands out at most 2 s x 200/s plus its burst of 4 (and one more
    // send may follow the last duration check). A slow machine sends fewer, never more;
    // an unlimited run would send thousands.
    EXPECT_GT(s["sent"].get<int>(), 0);
    EXPECT_LE(s["sent"].get<int>(), 200 * 2 + 4 + 1);
    // gen's own clock: the loop ends only once it reads --duration (a slow machine only
    // lengthens the run; a duration taken for milliseconds would end it early).
    EXPECT_GE(s["elapsed_s"].get<double>(), 2.0);
    EXPECT_EQ(s["delivered"], s["sent"]);
    EXPECT_EQ(consume(kafka_.bootstrap(), "ebap.events.raw").size(), s["sent"].get<std::size_t>());
}

// An endless `gen --json --eps 500` in the background, logging to a file.
class BackgroundGen {
  public:
    explicit BackgroundGen(const std::string& bootstrap)
        : dir_("gen-bg"), log_(dir_.file("gen.log")) {
        setenv("KAFKA_BOOTSTRAP_SERVERS", bootstrap.c_str(),
               1); // spawn_child passes our environment on
        pid_ = test::spawn_child(
            {EBAPCTL_BIN, "--json", "gen", "--eps", "500", "--users", "50", "--no-cdc"},
            {.log_path = log_, .parent_death_signal = SIGKILL});
        unsetenv("KAFKA_BOOTSTRAP_SERVERS");
    }
    ~BackgroundGen() {
        if (!reaped()) test::stop_child(pid_, SIGKILL, 1000);
    }
    bool running() { return !reaped(); }
    pid_t pid() const { return pid_; }
    // Polls until the process exits; false at the deadline.
    bool wait_exit(double seconds) {
        auto start = Clock::now();
        while (!reaped()) {
            if (seconds_since(start) > seconds) return false;
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
        return true;
    }
    int exit_code() const { return WIFEXITED(status_) ? WEXITSTATUS(status_) : -1; }
    std::string log() const {
        std::ifstream in(log_);
        return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    }
    // The JSON summary printed last (progress lines on stderr carry no braces).
    json summary() const {
        std::string text = log();
        auto brace = text.find('{');
        json s =
            brace == std::string::npos ? json() : json::parse(text.substr(brace), nullptr, false);
        EXPECT_TRUE(s.is_object()) << text;
        return s;
    }

  private:
    bool reaped() {
        if (!done_ && waitpid(pid_, &status_, WNOHANG) == pid_) done_ = true;
        return done_;
    }
    test::TempDir dir_;
    std::string log_;
    pid_t pid_ = -1;
    int status_ = 0;
    bool done_ = false;
};

void wait_for_records(const std::string& bootstrap, std::size_t n) {
    auto deadline = Clock::now() + std::chrono::seconds(30);
    while (consume(bootstrap, "ebap.events.raw").size() < n && Clock::now() < deadline)
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
}

TEST_F(GenCliTest, SigintFlushesAndReportsWhatWasSent) {
    BackgroundGen gen(kafka_.bootstrap());
    wait_for_records(kafka_.bootstrap(), 50);
    ASSERT_TRUE(gen.running()) << gen.log();
    ASSERT_EQ(kill(gen.pid(), SIGINT), 0);
    ASSERT_TRUE(gen.wait_exit(60)) << "gen ignored SIGINT"; // a hang guard, not a limit
    EXPECT_EQ(gen.exit_code(), 0) << gen.log();
    json s = gen.summary();
    EXPECT_EQ(s["ok"], true);
    EXPECT_EQ(s["delivered"], s["sent"]);
    EXPECT_EQ(consume(kafka_.bootstrap(), "ebap.events.raw").size(), s["sent"].get<std::size_t>());
}

TEST_F(GenCliTest, BrokersGoingAwayEndTheRunWithExit1) {
    BackgroundGen gen(kafka_.bootstrap());
    wait_for_records(kafka_.bootstrap(), 50);
    ASSERT_TRUE(gen.running()) << gen.log();
    for (int id = 1; id <= kafka_.broker_count(); ++id)
        kafka_.set_broker_down(id);
    // Undeliverable records time out (message.timeout.ms 15 s) and end the run; the
    // queued rest is purged rather than waited out (how long that takes is measured by
    // bench/deadlines.sh, not asserted here).
    ASSERT_TRUE(gen.wait_exit(90)) << "gen hangs without brokers:\n" << gen.log();
    EXPECT_EQ(gen.exit_code(), 1) << gen.log();
    json s = gen.summary();
    EXPECT_EQ(s["ok"], false);
    EXPECT_GT(s["delivery_errors"].get<int>(), 0);
    // Every record is accounted for once: delivered before the brokers went, or failed
    // (timed out or purged); none is left pending or counted twice.
    EXPECT_EQ(s["delivered"].get<std::int64_t>() + s["delivery_errors"].get<std::int64_t>(),
              s["sent"].get<std::int64_t>())
        << s.dump();
    EXPECT_GT(s["delivered"].get<std::int64_t>(), 0) << s.dump(); // the 50 seen above
    EXPECT_NE(s["error"].get<std::string>().find(kafka_.bootstrap()), std::string::npos)
        << s.dump();
    EXPECT_NE(gen.log().find("ebapctl: Kafka at " + kafka_.bootstrap()), std::string::npos);
}

TEST(GenCliFailure, UnreachableOrSilentKafkaFailsAtTheDeadline) {
    test::SilentListener silent;
    for (const std::string& bootstrap :
         {"127.0.0.1:" + std::to_string(test::free_port()), silent.endpoint()}) {
        // kafka.timeout_ms (default 5000) bounds the first metadata request; run_cli's
        // 30 s kill (exit_code -1) is only the hang guard.
        auto r = test::run_cli(
            {"gen", "--count", "10", "--eps", "0"},
            {{"KAFKA_BOOTSTRAP_SERVERS", bootstrap}, {"EBAPCTL_CONFIG", "<unset>"}}, 30000);
        EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
        EXPECT_NE(r.err.find("Kafka at " + bootstrap + " did not answer within 5000 ms"),
                  std::string::npos)
            << r.err;
    }
}

// --- seed against a real PostgreSQL ---

class SeedCliTest : public ::testing::Test {
  protected:
    static void SetUpTestSuite() {
        pg_ = new test::PgServer();
        pg_->start();
        PGconn* c = PQconnectdb(pg_->conninfo("postgres").c_str());
        ASSERT_EQ(PQstatus(c), CONNECTION_OK) << PQerrorMessage(c);
        PQclear(PQexec(c, "CREATE DATABASE ebap"));
        PQfinish(c);
    }
    static void TearDownTestSuite() {
        delete pg_;
        pg_ = nullptr;
    }
    void SetUp() override {
        conn_ = PQconnectdb(pg_->conninfo("ebap").c_str());
        ASSERT_EQ(PQstatus(conn_), CONNECTION_OK) << PQerrorMessage(conn_);
        PQsetNoticeProcessor(
            conn_, [](void*, const char*) {}, nullptr);
        sql("DROP TABLE IF EXISTS public.users");
    }
    void TearDown() override { PQfinish(conn_); }

    std::map<std::string, std::string> env(int port) const {
        return {{"PGHOST", "127.0.0.1"},   {"PGPORT", std::to_string(port)},
                {"PGUSER", "postgres"},    {"PGDATABASE", "ebap"},
                {"PGPASSWORD", "<unset>"}, {"EBAPCTL_CONFIG", "<unset>"}};
    }
    // First column of every row.
    std::vector<std::string> sql(const std::string& q) {
        PGresult* r = PQexec(conn_, q.c_str());
        auto st = PQresultStatus(r);
        EXPECT_TRUE(st == PGRES_TUPLES_OK || st == PGRES_COMMAND_OK)
            << q << ": " << PQerrorMessage(conn_);
        std::vector<std::string> out;
        for (int i = 0; st == PGRES_TUPLES_OK && i < PQntuples(r); ++i)
            out.push_back(PQgetvalue(r, i, 0));
        PQclear(r);
        return out;
    }
    json seed(const std::vector<std::string>& args) {
        std::vector<std::string> argv = {"seed", "--json"};
        argv.insert(argv.end(), args.begin(), args.end());
        auto r = test::run_cli(argv, env(pg_->port()), 60000);
        EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
        return parse_summary(r);
    }

    static test::PgServer* pg_;
    PGconn* conn_ = nullptr;
};
test::PgServer* SeedCliTest::pg_ = nullptr;

TEST_F(SeedCliTest, CreatesUsersAndRerunChangesNothing) {
    json first = seed({"--users", "50"});
    EXPECT_EQ(first["table_created"], true);
    EXPECT_EQ(first["inserted"], 50);
    EXPECT_EQ(first["updated"], 0);
    EXPECT_EQ(sql("SELECT count(*) FROM public.users")[0], "50");
    EXPECT_EQ(sql("SELECT relreplident FROM pg_class WHERE oid = 'public.users'::regclass")[0],
              "f");
    // The profiles are the generator's (default seed 1): the CDC join agrees.
    auto regions = sql("SELECT region FROM public.users ORDER BY id");
    auto tiers = sql("SELECT tier FROM public.users ORDER BY id");
    auto emails = sql("SELECT email FROM public.users ORDER BY id");
    ASSERT_EQ(regions.size(), 50u);
    // The first two, spelled out (seed 1), then all of them against the generator's.
    EXPECT_EQ(
        sql("SELECT name || '|' || email || '|' || region || '|' || tier FROM public.users "
            "WHERE id IN (1, 2) ORDER BY id"),
        (std::vector<std::string>{"Jun Kim|jun.kim1@example.com|eu-central|free",
                                  "Sami Ivanova|sami.ivanova2@example.com|ap-northeast|plus"}));
    for (int id = 1; id <= 50; ++id) {
        auto p = pipeline::make_profile(1, id);
        EXPECT_EQ(regions[id - 1], p.region);
        EXPECT_EQ(tiers[id - 1], p.tier);
        EXPECT_EQ(emails[id - 1], p.email);
    }

    std::string stamps = "SELECT string_agg(id || '@' || updated_at || '@' || xmin, ',' ORDER BY "
                         "id) FROM public.users";
    std::string before = sql(stamps)[0];
    json again = seed({"--users", "50"});
    EXPECT_EQ(again["table_created"], false);
    EXPECT_EQ(again["replica_identity_changed"], false);
    EXPECT_EQ(again["inserted"], 0);
    EXPECT_EQ(again["updated"], 0);
    EXPECT_EQ(again["unchanged"], 50);
    EXPECT_EQ(sql("SELECT count(*) FROM public.users")[0], "50");
    EXPECT_EQ(sql(stamps)[0], before); // not one row rewritten
}

TEST_F(SeedCliTest, RerunRepairsDriftedRowsOnlyAndGrows) {
    seed({"--users", "50", "--seed", "3"});
    sql("UPDATE public.users SET tier = 'drifted', updated_at = '2000-01-01' WHERE id = 7");
    std::string untouched =
        sql("SELECT updated_at || '@' || xmin FROM public.users WHERE id = 8")[0];
    json r = seed({"--users", "60", "--seed", "3"});
    EXPECT_EQ(r["inserted"], 10);
    EXPECT_EQ(r["updated"], 1);
    EXPECT_EQ(r["unchanged"], 49);
    EXPECT_EQ(sql("SELECT tier FROM public.users WHERE id = 7")[0],
              pipeline::make_profile(3, 7).tier);
    EXPECT_EQ(
        sql("SELECT updated_at > now() - interval '1 hour' FROM public.users WHERE id = 7")[0],
        "t");
    EXPECT_EQ(sql("SELECT updated_at || '@' || xmin FROM public.users WHERE id = 8")[0], untouched);
    EXPECT_EQ(sql("SELECT count(*) FROM public.users")[0], "60");
}

TEST_F(SeedCliTest, HumanOutputSaysWhatItDid) {
    auto r = test::run_cli({"seed", "--users", "5"}, env(pg_->port()), 60000);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.out.find("5 users (5 inserted, 0 updated, 0 unchanged)"), std::string::npos)
        << r.out;
    EXPECT_NE(r.out.find("replica identity FULL"), std::string::npos) << r.out;
}

TEST_F(SeedCliTest, ReadonlyRefusesSeed) {
    auto r = test::run_cli({"--readonly", "seed", "--users", "5"}, env(pg_->port()), 60000);
    EXPECT_EQ(r.exit_code, 2) << r.err;
    EXPECT_TRUE(sql("SELECT to_regclass('public.users') IS NULL")[0] == "t");
}

TEST(SeedCliFailure, UnreachableOrSilentPostgresFailsWithLibpqMessage) {
    test::SilentListener silent;
    for (int port : {test::free_port(), silent.port()}) {
        const bool is_silent = port == silent.port();
        auto r = test::run_cli({"seed", "--users", "5"},
                               {{"PGHOST", "127.0.0.1"},
                                {"PGPORT", std::to_string(port)},
                                {"PGUSER", "postgres"},
                                {"PGDATABASE", "ebap"},
                                {"EBAPCTL_CONFIG", "<unset>"}},
                               30000);
        EXPECT_EQ(r.exit_code, 1) << r.out << r.err; // -1: run_cli killed a hung seed
        EXPECT_NE(r.err.find("cannot connect to PostgreSQL at 127.0.0.1:" + std::to_string(port)),
                  std::string::npos)
            << r.err;
        // libpq's own words follow: refused, or its connect_timeout fired on the silent one.
        EXPECT_NE(r.err.find(is_silent ? "timeout expired" : "refused"), std::string::npos)
            << r.err;
    }
}

} // namespace
} // namespace ebap
