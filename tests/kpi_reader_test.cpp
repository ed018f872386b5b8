// KpiReader against a real redis-server: typed fields, unknowns with notes,
// regions, the KPI stream; and `ebapctl kpi/geo --json` end to end.
#include "core/base/error.hpp"
#include "core/redis/kpi_reader.hpp"
#include "core/base/format.hpp"
#include "core/base/time.hpp"
#include "support/cli_run.hpp"
#include "support/ports.hpp"
#include "support/redis_server.hpp"
#include "support/silent_listener.hpp"
#include "support/temp_dir.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include <fstream>
#include <sstream>

namespace ebap {
namespace {

RedisOptions local(int port) {
    RedisOptions o;
    o.host = "127.0.0.1";
    o.port = port;
    o.connect_timeout_ms = 1000;
    o.command_timeout_ms = 2000;
    return o;
}

bool has_note(const std::vector<std::string>& notes, const std::string& part) {
    for (const auto& n : notes)
        if (n.find(part) != std::string::npos) return true;
    return false;
}

std::string joined(const std::vector<std::string>& notes) {
    std::string s;
    for (const auto& n : notes)
        s += "[" + n + "] ";
    return s;
}

class KpiReaderTest : public ::testing::Test {
  protected:
    static void SetUpTestSuite() {
        server_ = new test::RedisServer();
        server_->start();
    }
    static void TearDownTestSuite() {
        delete server_;
        server_ = nullptr;
    }
    void SetUp() override {
        client_.emplace(local(server_->port()));
        ASSERT_EQ(client_->command({"FLUSHALL"}).type, RedisReply::Type::Status);
        reader_.emplace(*client_, "t:");
    }
    void run(const std::vector<std::string>& argv) {
        RedisReply r = client_->command(argv);
        ASSERT_FALSE(r.is_error()) << r.str;
    }
    static test::RedisServer* server_;
    std::optional<RedisClient> client_;
    std::optional<KpiReader> reader_;
};
test::RedisServer* KpiReaderTest::server_ = nullptr;

// A fixed past moment (2023-11-14T22:13:21Z) for updated_ms, read by a reader that calls
// nothing stale for a thousand years: freshness does not depend on how fast the test runs.
constexpr std::int64_t kUpdatedMs = 1'700'000'001'000;
constexpr std::int64_t kNeverStaleMs = 1000LL * 365 * 24 * 3600 * 1000;

TEST_F(KpiReaderTest, EveryKpiFieldIsTyped) {
    // clang-format off
    run({"HSET", "t:kpi:now",
         "eps", "1234.5", "active_users_1m", "321", "purchases_1m", "17",
         "revenue_1m", "999.25", "error_rate_1m", "0.0125", "late_events", "4",
         "dlq_events", "2", "watermark_ms", "1700000000000", "updated_ms", "1700000001000"});
    // clang-format on
    KpiReader lenient(*client_, "t:", kNeverStaleMs);
    const std::int64_t before = now_ms();
    KpiNow k = lenient.read_kpi_now();
    const std::int64_t after = now_ms();
    EXPECT_TRUE(k.present);
    EXPECT_FALSE(k.stale) << joined(k.notes);
    EXPECT_TRUE(k.notes.empty()) << joined(k.notes);
    EXPECT_EQ(k.eps, 1234.5);
    EXPECT_EQ(k.active_users_1m, 321);
    EXPECT_EQ(k.purchases_1m, 17);
    EXPECT_EQ(k.revenue_1m, 999.25);
    EXPECT_EQ(k.error_rate_1m, 0.0125);
    EXPECT_EQ(k.late_events, 4);
    EXPECT_EQ(k.dlq_events, 2);
    EXPECT_EQ(k.watermark_ms, 1700000000000.0);
    EXPECT_EQ(k.updated_ms, 1700000001000.0);
    // The age is now - updated_ms at the read, so between what our clock said just before
    // and just after it: at least the ~3 years since that fixed moment.
    ASSERT_TRUE(k.age_ms);
    EXPECT_GE(*k.age_ms, double(before - kUpdatedMs));
    EXPECT_LE(*k.age_ms, double(after - kUpdatedMs));
    EXPECT_GT(*k.age_ms, 365.0 * 24 * 3600 * 1000);
    EXPECT_EQ(kpi_fields().size(), 9u);
}

TEST_F(KpiReaderTest, UpdatedMsSlightlyAheadOfOurClockIsAgeZeroAndFresh) {
    // A writer whose clock runs a little ahead (30 s, within a 60 s threshold): the age is
    // clamped to 0, not negative, and the value is fresh. Further ahead is clock skew
    // (UpdatedMsInTheFutureIsClockSkewNotFresh).
    KpiReader reader(*client_, "t:", 60'000);
    run({"HSET", "t:kpi:now", "eps", "1", "updated_ms", std::to_string(now_ms() + 30'000)});
    KpiNow k = reader.read_kpi_now();
    ASSERT_TRUE(k.age_ms);
    EXPECT_EQ(*k.age_ms, 0.0);
    EXPECT_FALSE(k.clock_skew_ms);
    EXPECT_FALSE(k.stale) << joined(k.notes);
    EXPECT_FALSE(has_note(k.notes, "stale")) << joined(k.notes);
    EXPECT_FALSE(has_note(k.notes, "ago")) << joined(k.notes);
}

TEST_F(KpiReaderTest, PrefixIsHonoured) {
    run({"HSET", "ebap:kpi:now", "eps", "5", "updated_ms", std::to_string(now_ms())});
    EXPECT_FALSE(reader_->read_kpi_now().present); // "t:" reader ignores "ebap:" keys
    KpiReader dflt(*client_);
    EXPECT_EQ(dflt.prefix(), "ebap:");
    EXPECT_EQ(dflt.read_kpi_now().eps, 5);
}

TEST_F(KpiReaderTest, MissingKeyIsUnknownAndStale) {
    KpiNow k = reader_->read_kpi_now();
    EXPECT_FALSE(k.present);
    EXPECT_TRUE(k.stale);
    for (const auto& f : kpi_fields())
        EXPECT_FALSE(k.*f.member) << f.name;
    EXPECT_TRUE(has_note(k.notes, "t:kpi:now does not exist")) << joined(k.notes);
}

TEST_F(KpiReaderTest, WrongTypesAreUnknownWithANote) {
    run({"RPUSH", "t:kpi:now", "a", "b"});
    KpiNow list = reader_->read_kpi_now();
    EXPECT_FALSE(list.present);
    EXPECT_FALSE(list.eps);
    EXPECT_TRUE(has_note(list.notes, "t:kpi:now is a list, expected a hash")) << joined(list.notes);

    run({"DEL", "t:kpi:now"});
    run({"SET", "t:kpi:now", "{\"eps\": 5}"});
    KpiNow str = reader_->read_kpi_now();
    EXPECT_FALSE(str.present);
    EXPECT_TRUE(has_note(str.notes, "t:kpi:now is a string, expected a hash")) << joined(str.notes);
}

TEST_F(KpiReaderTest, UnparseableAndMissingFieldsAreUnknownWithANote) {
    run({"HSET", "t:kpi:now", "eps", "fast", "active_users_1m", "12abc", "purchases_1m", "",
         "revenue_1m", "inf", "error_rate_1m", "0.5", "updated_ms", "1700000001000"});
    KpiNow k = KpiReader(*client_, "t:", kNeverStaleMs).read_kpi_now();
    EXPECT_TRUE(k.present);
    EXPECT_FALSE(k.eps);
    EXPECT_FALSE(k.active_users_1m);
    EXPECT_FALSE(k.purchases_1m);
    EXPECT_FALSE(k.revenue_1m);
    EXPECT_EQ(k.error_rate_1m, 0.5);
    EXPECT_FALSE(k.stale);
    EXPECT_TRUE(has_note(k.notes, "field eps is not a number: 'fast'")) << joined(k.notes);
    EXPECT_TRUE(has_note(k.notes, "field active_users_1m is not a number")) << joined(k.notes);
    EXPECT_TRUE(has_note(k.notes, "lacks late_events, dlq_events, watermark_ms"))
        << joined(k.notes);
}

TEST_F(KpiReaderTest, OldOrMissingUpdatedMsIsStale) {
    run({"HSET", "t:kpi:now", "eps", "10", "updated_ms", std::to_string(now_ms() - 60'000)});
    KpiNow old = reader_->read_kpi_now();
    EXPECT_TRUE(old.present);
    EXPECT_EQ(old.eps, 10);
    EXPECT_TRUE(old.stale);
    ASSERT_TRUE(old.age_ms);
    EXPECT_GE(*old.age_ms, 60'000);
    EXPECT_TRUE(has_note(old.notes, "stale after 10.0 s")) << joined(old.notes);

    run({"HDEL", "t:kpi:now", "updated_ms"});
    KpiNow none = reader_->read_kpi_now();
    EXPECT_TRUE(none.stale);
    EXPECT_FALSE(none.age_ms);

    // A custom threshold is honoured: the fixed 2023 moment is stale after an hour, not
    // after a thousand years.
    run({"HSET", "t:kpi:now", "updated_ms", "1700000001000"});
    EXPECT_TRUE(KpiReader(*client_, "t:", 3'600'000).read_kpi_now().stale);
    EXPECT_FALSE(KpiReader(*client_, "t:", kNeverStaleMs).read_kpi_now().stale);
}

TEST_F(KpiReaderTest, RegionsAreSortedAndTyped) {
    const std::string now = "1700000001000";
    run({"SADD", "t:regions", "us-west", "eu-central", "ap-south"});
    run({"HSET", "t:region:us-west", "events_1m", "600", "active_users_1m", "60", "revenue_1m",
         "12.5", "error_rate", "0.2", "p95_latency_ms", "1800", "health", "crit", "window_start_ms",
         "1700000040000", "updated_ms", now});
    run({"HSET", "t:region:eu-central", "events_1m", "300", "active_users_1m", "30", "revenue_1m",
         "7", "error_rate", "0.01", "p95_latency_ms", "120", "health", "ok", "window_start_ms",
         "1700000040000", "updated_ms", now});
    run({"HSET", "t:region:ap-south", "events_1m", "100", "active_users_1m", "10", "revenue_1m",
         "1", "error_rate", "0.03", "p95_latency_ms", "700", "health", "WARN", "window_start_ms",
         "1700000040000", "updated_ms", now});
    std::vector<std::string> notes;
    auto regions = KpiReader(*client_, "t:", kNeverStaleMs).read_regions(&notes);
    EXPECT_TRUE(notes.empty()) << joined(notes);
    ASSERT_EQ(regions.size(), 3u);
    EXPECT_EQ(regions[0].region, "ap-south");
    EXPECT_EQ(regions[1].region, "eu-central");
    EXPECT_EQ(regions[2].region, "us-west");
    EXPECT_EQ(regions[0].health, "warn"); // normalised
    EXPECT_EQ(regions[1].health, "ok");
    EXPECT_EQ(regions[2].health, "crit");
    const RegionHealth& us = regions[2];
    EXPECT_TRUE(us.present);
    EXPECT_FALSE(us.stale);
    EXPECT_TRUE(us.notes.empty()) << joined(us.notes);
    EXPECT_EQ(us.events_1m, 600);
    EXPECT_EQ(us.active_users_1m, 60);
    EXPECT_EQ(us.revenue_1m, 12.5);
    EXPECT_EQ(us.error_rate, 0.2);
    EXPECT_EQ(us.p95_latency_ms, 1800);
    EXPECT_EQ(us.window_start_ms, 1700000040000.0);
    EXPECT_EQ(us.updated_ms, 1700000001000.0);
}

TEST_F(KpiReaderTest, RegionWithoutUsableHashIsUnknown) {
    run({"SADD", "t:regions", "nohash", "badhealth", "wrongtype"});
    run({"HSET", "t:region:badhealth", "events_1m", "5", "health", "purple", "updated_ms",
         std::to_string(now_ms())});
    run({"SET", "t:region:wrongtype", "x"});
    auto regions = reader_->read_regions();
    ASSERT_EQ(regions.size(), 3u);
    const RegionHealth& bad = regions[0];
    EXPECT_EQ(bad.region, "badhealth");
    EXPECT_TRUE(bad.present);
    EXPECT_EQ(bad.health, "unknown");
    EXPECT_EQ(bad.events_1m, 5);
    EXPECT_TRUE(has_note(bad.notes, "health is not ok/warn/crit: 'purple'")) << joined(bad.notes);

    const RegionHealth& none = regions[1];
    EXPECT_EQ(none.region, "nohash");
    EXPECT_FALSE(none.present);
    EXPECT_EQ(none.health, "unknown");
    EXPECT_TRUE(none.stale);
    for (const auto& f : region_fields())
        EXPECT_FALSE(none.*f.member) << f.name;
    EXPECT_TRUE(has_note(none.notes, "t:region:nohash does not exist")) << joined(none.notes);

    const RegionHealth& wrong = regions[2];
    EXPECT_EQ(wrong.health, "unknown");
    EXPECT_TRUE(has_note(wrong.notes, "t:region:wrongtype is a string, expected a hash"))
        << joined(wrong.notes);
}

TEST_F(KpiReaderTest, MissingOrWrongRegionSet) {
    std::vector<std::string> notes;
    EXPECT_TRUE(reader_->read_regions(&notes).empty());
    EXPECT_TRUE(has_note(notes, "t:regions does not exist")) << joined(notes);

    run({"HSET", "t:regions", "eu", "1"});
    notes.clear();
    EXPECT_TRUE(reader_->read_regions(&notes).empty());
    EXPECT_TRUE(has_note(notes, "t:regions is a hash, expected a set")) << joined(notes);
}

TEST_F(KpiReaderTest, SeriesIsTheLastNOldestFirst) {
    for (int i = 1; i <= 20; ++i)
        run({"XADD", "t:ts:kpi", std::to_string(1700000000000LL + i * 1000) + "-0", "eps",
             std::to_string(i * 10), "active_users", std::to_string(i)});
    std::vector<std::string> notes;
    auto last5 = reader_->read_kpi_series(5, &notes);
    EXPECT_TRUE(notes.empty()) << joined(notes);
    ASSERT_EQ(last5.size(), 5u);
    for (int j = 0; j < 5; ++j) {
        int i = 16 + j;
        EXPECT_EQ(last5[j].ms, 1700000000000LL + i * 1000);
        EXPECT_EQ(last5[j].eps, i * 10);
        EXPECT_EQ(last5[j].active_users, i);
    }
    EXPECT_EQ(reader_->read_kpi_series(100).size(), 20u);
    EXPECT_EQ(reader_->read_kpi_series(100).front().ms, 1700000001000LL);
    EXPECT_TRUE(reader_->read_kpi_series(0).empty());
}

TEST_F(KpiReaderTest, SeriesUnknownsAndWrongType) {
    run({"XADD", "t:ts:kpi", "1000-0", "eps", "abc", "active_users", "3"});
    run({"XADD", "t:ts:kpi", "2000-0", "eps", "4"});
    std::vector<std::string> notes;
    auto pts = reader_->read_kpi_series(10, &notes);
    ASSERT_EQ(pts.size(), 2u);
    EXPECT_FALSE(pts[0].eps);
    EXPECT_EQ(pts[0].active_users, 3);
    EXPECT_EQ(pts[1].eps, 4);
    EXPECT_FALSE(pts[1].active_users);
    EXPECT_TRUE(has_note(notes, "2 of 2 entries of t:ts:kpi")) << joined(notes);

    run({"DEL", "t:ts:kpi"});
    run({"SADD", "t:ts:kpi", "x"});
    notes.clear();
    EXPECT_TRUE(reader_->read_kpi_series(10, &notes).empty());
    EXPECT_TRUE(has_note(notes, "t:ts:kpi is a set, expected a stream")) << joined(notes);
}

TEST(ParseNumber, WholeFiniteNumbersOnly) {
    EXPECT_EQ(parse_number("12"), 12);
    EXPECT_EQ(parse_number("-3.5"), -3.5);
    EXPECT_EQ(parse_number("1e3"), 1000);
    EXPECT_FALSE(parse_number(""));
    EXPECT_FALSE(parse_number("12 "));
    EXPECT_FALSE(parse_number("nan"));
    EXPECT_FALSE(parse_number("inf"));
    EXPECT_FALSE(parse_number("0x10"));
}

// ---- the built binary -------------------------------------------------------

using CliRun = test::CliResult;

class EbapctlKpiCli : public KpiReaderTest {
  protected:
    void SetUp() override {
        KpiReaderTest::SetUp();
        std::ofstream(dir_.file("ebapctl.toml")) << "[redis]\nprefix = \"cli:\"\n";
    }
    // The test's config file and Redis only: nothing from the caller's environment.
    CliRun ebapctl(const std::vector<std::string>& args, int port, std::string config = {}) {
        std::vector<std::string> argv{"--config",
                                      config.empty() ? dir_.file("ebapctl.toml") : config};
        argv.insert(argv.end(), args.begin(), args.end());
        return test::run_cli(argv,
                             {{"EBAPCTL_CONFIG", "<unset>"},
                              {"REDIS_PASSWORD", "<unset>"},
                              {"XDG_CONFIG_HOME", dir_.path()},
                              {"NO_COLOR", "1"},
                              {"REDIS_HOST", "127.0.0.1"},
                              {"REDIS_PORT", std::to_string(port)}},
                             30000);
    }
    nlohmann::json parse(const CliRun& r) {
        try {
            return nlohmann::json::parse(r.out);
        } catch (const std::exception& e) {
            ADD_FAILURE() << "not JSON: " << e.what() << "\nstdout: " << r.out
                          << "\nstderr: " << r.err;
            return {};
        }
    }
    test::TempDir dir_{"kpi-cli"};
};

TEST_F(EbapctlKpiCli, KpiJsonFreshStaleAndMissing) {
    int port = server_->port();
    CliRun missing = ebapctl({"kpi", "--json"}, port);
    EXPECT_EQ(missing.exit_code, 3) << missing.err;
    nlohmann::json m = parse(missing);
    EXPECT_EQ(m["prefix"], "cli:");
    EXPECT_TRUE(m["kpi"]["eps"].is_null());
    EXPECT_EQ(m["stale"], true);
    EXPECT_FALSE(m["notes"].empty());

    // Written now, read with a stale threshold of a year: fresh however long ebapctl takes
    // to start. (Ahead of the clock by more than the threshold would be clock skew.)
    run({"HSET", "cli:kpi:now", "eps", "250.5", "active_users_1m", "40", "purchases_1m", "x",
         "updated_ms", std::to_string(now_ms())});
    for (int i = 1; i <= 5; ++i)
        run({"XADD", "cli:ts:kpi", std::to_string(i * 1000) + "-0", "eps", std::to_string(i),
             "active_users", "7"});
    std::ofstream(dir_.file("year.toml"))
        << "[redis]\nprefix = \"cli:\"\n[kpi]\nstale_after_ms = 31536000000\n";
    CliRun fresh = ebapctl({"kpi", "--json", "--series", "3"}, port, dir_.file("year.toml"));
    EXPECT_EQ(fresh.exit_code, 0) << fresh.err;
    nlohmann::json f = parse(fresh);
    EXPECT_EQ(f["kpi"]["eps"], 250.5);
    EXPECT_EQ(f["kpi"]["active_users_1m"], 40);
    EXPECT_TRUE(f["kpi"]["purchases_1m"].is_null());
    EXPECT_EQ(f["kpi"].size(), 9u);
    EXPECT_EQ(f["stale"], false);
    ASSERT_EQ(f["series"].size(), 3u);
    EXPECT_EQ(f["series"][0]["ms"], 3000);
    EXPECT_EQ(f["series"][2]["ms"], 5000);
    EXPECT_EQ(f["series"][2]["eps"], 5);
    EXPECT_EQ(f["series"][2]["active_users"], 7);

    run({"HSET", "cli:kpi:now", "updated_ms", std::to_string(now_ms() - 120'000)});
    CliRun stale = ebapctl({"kpi", "--json"}, port);
    EXPECT_EQ(stale.exit_code, 3) << stale.err;
    EXPECT_EQ(parse(stale)["stale"], true);

    CliRun table = ebapctl({"kpi"}, port);
    EXPECT_EQ(table.exit_code, 3);
    EXPECT_NE(table.out.find("250.5"), std::string::npos) << table.out;
    EXPECT_NE(table.err.find("stale after"), std::string::npos) << table.err;
}

TEST_F(EbapctlKpiCli, GeoJsonAndCritExit) {
    int port = server_->port();
    const auto now = std::to_string(now_ms());
    run({"SADD", "cli:regions", "eu", "ap"});
    run({"HSET", "cli:region:eu", "events_1m", "300", "health", "ok", "p95_latency_ms", "80.5",
         "updated_ms", now});
    CliRun ok = ebapctl({"geo", "--json"}, port);
    EXPECT_EQ(ok.exit_code, 0) << ok.err;
    nlohmann::json g = parse(ok);
    EXPECT_EQ(g["prefix"], "cli:");
    ASSERT_EQ(g["regions"].size(), 2u);
    EXPECT_EQ(g["regions"][0]["region"], "ap");
    EXPECT_EQ(g["regions"][0]["health"], "unknown");
    EXPECT_TRUE(g["regions"][0]["events_1m"].is_null());
    EXPECT_EQ(g["regions"][1]["region"], "eu");
    EXPECT_EQ(g["regions"][1]["health"], "ok");
    EXPECT_EQ(g["regions"][1]["events_1m"], 300);
    EXPECT_EQ(g["regions"][1]["p95_latency_ms"], 80.5);

    run({"HSET", "cli:region:ap", "events_1m", "9", "health", "crit", "updated_ms", now});
    CliRun crit = ebapctl({"geo", "--json"}, port);
    EXPECT_EQ(crit.exit_code, 3) << crit.err;
    EXPECT_EQ(parse(crit)["regions"][0]["health"], "crit");

    CliRun table = ebapctl({"geo"}, port);
    EXPECT_EQ(table.exit_code, 3);
    EXPECT_NE(table.out.find("crit"), std::string::npos) << table.out;
}

TEST_F(EbapctlKpiCli, UnreachableRedisExitsOneNamingHostPort) {
    int port = test::free_port();
    for (const auto& args : std::vector<std::vector<std::string>>{{"kpi", "--json"}, {"geo"}}) {
        CliRun r = ebapctl(args, port);
        EXPECT_EQ(r.exit_code, 1) << args[0];
        EXPECT_NE(r.err.find("redis 127.0.0.1:" + std::to_string(port) + ": "), std::string::npos)
            << r.err;
        EXPECT_NE(r.err.find("refused"), std::string::npos) << r.err;
    }
}

TEST_F(EbapctlKpiCli, SilentRedisExitsOneAfterTheDeadline) {
    test::SilentListener silent;
    CliRun r = ebapctl({"kpi"}, silent.port()); // run_cli kills it (exit -1) if it hangs
    EXPECT_EQ(r.exit_code, 1) << r.err;
    EXPECT_NE(r.err.find("redis " + silent.endpoint() + ": no reply within"), std::string::npos)
        << r.err;
}

} // namespace
} // namespace ebap

namespace ebap {
namespace {

// A region name is whatever an event said: on a terminal it must stay text.
TEST_F(EbapctlKpiCli, HostileRegionNamesAreEscapedInTablesAndNotes) {
    const int port = server_->port();
    const std::string hostile = "\x1b[2J\x1b]0;owned\x07\x1b[31mred\nsplit";
    run({"SADD", "cli:regions", hostile});
    run({"HSET", "cli:region:" + hostile, "events_1m", "5", "health", "ok", "updated_ms",
         std::to_string(now_ms())});
    CliRun table = ebapctl({"geo"}, port);
    EXPECT_EQ(table.exit_code, 0) << table.err;
    EXPECT_EQ(table.out.find('\x1b'), std::string::npos) << table.out;
    EXPECT_EQ(table.out.find('\x07'), std::string::npos) << table.out;
    EXPECT_NE(table.out.find("\\x1b[2J\\x1b]0;owned\\x07\\x1b[31mred\\nsplit"), std::string::npos)
        << table.out;
    // header + one row: the newline did not split the row
    EXPECT_EQ(std::count(table.out.begin(), table.out.end(), '\n'), 2) << table.out;
    // JSON keeps the exact name (its escaping is JSON's own).
    CliRun json = ebapctl({"geo", "--json"}, port);
    EXPECT_EQ(nlohmann::json::parse(json.out)["regions"][0]["region"], hostile);
}

} // namespace
} // namespace ebap

namespace ebap {
namespace {

// Item 5: an updated_ms ahead of the reader's clock is clock skew, never "0 ms ago".
TEST_F(KpiReaderTest, UpdatedMsInTheFutureIsClockSkewNotFresh) {
    // Two hours and a few seconds ahead: "2h 00m" however long the read takes.
    run({"HSET", "t:kpi:now", "eps", "5", "updated_ms", std::to_string(now_ms() + 7'205'000)});
    KpiNow k = reader_->read_kpi_now();
    EXPECT_TRUE(k.stale);
    EXPECT_FALSE(k.age_ms);
    ASSERT_TRUE(k.clock_skew_ms);
    EXPECT_GT(*k.clock_skew_ms, 7'200'000);
    EXPECT_TRUE(has_note(k.notes, "t:kpi:now updated_ms is 2h 00m in the future \u2014 clock skew?"))
        << joined(k.notes);
    for (const char* absurd : {"1e30", "9223372036854775807"}) {
        run({"HSET", "t:kpi:now", "updated_ms", absurd});
        KpiNow a = reader_->read_kpi_now();
        EXPECT_TRUE(a.stale) << absurd;
        EXPECT_TRUE(a.clock_skew_ms) << absurd;
        EXPECT_TRUE(has_note(a.notes, "far in the future (not a plausible time)")) << joined(a.notes);
    }
    run({"SADD", "t:regions", "eu"});
    run({"HSET", "t:region:eu", "health", "ok", "updated_ms", std::to_string(now_ms() + 7'205'000)});
    auto regions = reader_->read_regions();
    ASSERT_EQ(regions.size(), 1u);
    EXPECT_TRUE(regions[0].stale);
    EXPECT_TRUE(regions[0].clock_skew_ms);
}

// Item 8: values outside their domain read as unknown, with a note.
TEST_F(KpiReaderTest, NegativeCountsAndRatesOutsideZeroToOneAreUnknown) {
    run({"SADD", "t:regions", "eu"});
    run({"HSET", "t:region:eu", "events_1m", "-5", "error_rate", "5", "p95_latency_ms", "1e300",
         "revenue_1m", "1e308", "health", "ok", "updated_ms", std::to_string(kUpdatedMs)});
    auto regions = reader_->read_regions();
    ASSERT_EQ(regions.size(), 1u);
    EXPECT_FALSE(regions[0].events_1m);
    EXPECT_FALSE(regions[0].error_rate);
    EXPECT_EQ(regions[0].p95_latency_ms, 1e300); // absurd but a latency: the view copes
    EXPECT_TRUE(has_note(regions[0].notes, "t:region:eu field events_1m is -5, negative"))
        << joined(regions[0].notes);
    EXPECT_TRUE(has_note(regions[0].notes, "t:region:eu field error_rate is 5, outside 0 to 1"))
        << joined(regions[0].notes);
}

TEST_F(EbapctlKpiCli, FutureUpdatedMsIsFlaggedInTableAndJson) {
    const int port = server_->port();
    run({"HSET", "cli:kpi:now", "eps", "5", "updated_ms", std::to_string(now_ms() + 7'205'000)});
    CliRun table = ebapctl({"kpi"}, port);
    EXPECT_EQ(table.exit_code, 3) << table.err;
    EXPECT_NE(table.out.find("(2h 00m in the future \u2014 clock skew?)"), std::string::npos)
        << table.out;
    EXPECT_EQ(table.out.find(" ago)"), std::string::npos) << table.out;
    CliRun json = ebapctl({"kpi", "--json"}, port);
    nlohmann::json doc = parse(json);
    EXPECT_EQ(doc["stale"], true);
    EXPECT_GT(doc["clock_skew_ms"].get<double>(), 7'200'000);
    EXPECT_TRUE(doc["age_ms"].is_null());

    run({"HSET", "cli:kpi:now", "updated_ms", "1e30"});
    CliRun absurd = ebapctl({"kpi"}, port);
    EXPECT_NE(absurd.out.find("out of range (far in the future"), std::string::npos)
        << absurd.out;
}

// Item 8: absurd numbers and wide names do not wreck the table.
TEST_F(EbapctlKpiCli, GeoTableStaysNarrowAndAligned) {
    const int port = server_->port();
    const std::string now = std::to_string(now_ms());
    run({"SADD", "cli:regions", "ap", "\u6771\u4eac", "\U0001F30D-eu"});
    run({"HSET", "cli:region:ap", "events_1m", "-5", "error_rate", "5", "p95_latency_ms", "1e300",
         "revenue_1m", "1e308", "health", "ok", "updated_ms", now});
    for (const char* r : {"\u6771\u4eac", "\U0001F30D-eu"})
        run({"HSET", std::string("cli:region:") + r, "events_1m", "7", "error_rate", "0.5",
             "health", "ok", "updated_ms", now});
    // A C locale: display widths must not depend on the caller's LANG.
    for (const char* lang : {"C", "C.UTF-8"}) {
        CliRun table = test::run_cli({"--config", dir_.file("ebapctl.toml"), "geo"},
                                     {{"EBAPCTL_CONFIG", "<unset>"},
                                      {"LANG", lang},
                                      {"LC_ALL", lang},
                                      {"REDIS_HOST", "127.0.0.1"},
                                      {"REDIS_PORT", std::to_string(port)}},
                                     30000);
        EXPECT_EQ(table.exit_code, 0) << table.err;
        EXPECT_NE(table.out.find("1e+300"), std::string::npos) << table.out;
        EXPECT_NE(table.out.find("1e+308"), std::string::npos) << table.out;
        EXPECT_EQ(table.out.find("500.00"), std::string::npos) << table.out;
        EXPECT_EQ(table.out.find("-5"), std::string::npos) << table.out;
        EXPECT_NE(table.err.find("error_rate is 5, outside 0 to 1"), std::string::npos) << table.err;
        // Every line as wide as the header: "AGE" is right-aligned in the last column.
        std::istringstream lines(table.out);
        std::vector<int> widths;
        for (std::string line; std::getline(lines, line);)
            widths.push_back(display_width(line));
        ASSERT_EQ(widths.size(), 4u) << table.out;
        for (int w : widths)
            EXPECT_EQ(w, widths[0]) << lang << "\n" << table.out;
        EXPECT_LT(widths[0], 120) << table.out;
    }
}


// #14: one event timed in the year 3170843 used to move a partition's watermark there and
// `kpi` showed it and exited 0. The workers now refuse such events; a watermark ahead of
// the clock anyway (an old writer, a fast clock) is flagged and fails `kpi`.
TEST_F(EbapctlKpiCli, WatermarkInTheFutureIsFlaggedAndFails) {
    const int port = server_->port();
    const std::string fresh = std::to_string(now_ms());
    run({"HSET", "cli:kpi:now", "eps", "5", "updated_ms", fresh, "watermark_ms",
         std::to_string(now_ms() - 600'000)});
    EXPECT_EQ(ebapctl({"kpi"}, port).exit_code, 0);

    run({"HSET", "cli:kpi:now", "watermark_ms", "99999999999999999"});
    CliRun table = ebapctl({"kpi"}, port);
    EXPECT_EQ(table.exit_code, 3) << table.err;
    EXPECT_NE(table.err.find("watermark_ms is far in the future (not a plausible time): later "
                             "events would all count as late"),
              std::string::npos)
        << table.err;
    EXPECT_NE(table.out.find("out of range"), std::string::npos) << table.out;
    run({"HSET", "cli:kpi:now", "watermark_ms", std::to_string(now_ms() + 3'600'000 + 30'000)});
    nlohmann::json doc = parse(ebapctl({"kpi", "--json"}, port));
    ASSERT_TRUE(doc["watermark_ahead_ms"].is_number()) << doc.dump();
    EXPECT_GT(doc["watermark_ahead_ms"].get<double>(), 3'600'000);
    EXPECT_FALSE(doc["stale"].get<bool>()) << "the data itself is fresh";
}

} // namespace
} // namespace ebap
