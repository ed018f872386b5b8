// The full-screen console as an operator sees it: `ebapctl` in a real tmux pane against a
// real redis-server and the embedded Kafka broker over TCP. Each check reads the pane
// (capture-pane) and compares it with the source: the service states, the group's lag
// with what the test committed, the KPI values with the Redis hash, the region rows.
// Waits poll the pane up to a generous deadline; nothing depends on the machine's speed.
#include "core/embedded/kafka_mock.hpp"
#include "core/redis/redis_client.hpp"
#include "support/cli_run.hpp"
#include "support/redis_server.hpp"
#include "support/temp_dir.hpp"
#include "support/tmux.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>
#include <librdkafka/rdkafka.h>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <iterator>
#include <fstream>
#include <regex>
#include <sstream>
#include <thread>

namespace ebap::test {
namespace {

const std::string kTopic = "ebap.events.raw";
const std::string kGroup = "console-test-group";

std::int64_t wall_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

// Produces `per_partition` records to each of 3 partitions, commits `committed` per
// partition for kGroup; returns the total lag the broker then holds.
std::int64_t produce_and_commit(const std::string& bootstrap, int per_partition, int committed) {
    char err[512];
    rd_kafka_conf_t* conf = rd_kafka_conf_new();
    rd_kafka_conf_set(conf, "bootstrap.servers", bootstrap.c_str(), err, sizeof err);
    rd_kafka_t* p = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
    for (int part = 0; part < 3; ++part)
        for (int i = 0; i < per_partition; ++i) {
            const std::string v = "{\"n\":" + std::to_string(i) + "}";
            rd_kafka_producev(p, RD_KAFKA_V_TOPIC(kTopic.c_str()), RD_KAFKA_V_PARTITION(part),
                              RD_KAFKA_V_VALUE(const_cast<char*>(v.data()), v.size()),
                              RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END);
        }
    EXPECT_EQ(rd_kafka_flush(p, 20000), RD_KAFKA_RESP_ERR_NO_ERROR);
    rd_kafka_destroy(p);

    rd_kafka_conf_t* cc = rd_kafka_conf_new();
    rd_kafka_conf_set(cc, "bootstrap.servers", bootstrap.c_str(), err, sizeof err);
    rd_kafka_conf_set(cc, "group.id", kGroup.c_str(), err, sizeof err);
    rd_kafka_conf_set(cc, "enable.auto.commit", "false", err, sizeof err);
    rd_kafka_t* c = rd_kafka_new(RD_KAFKA_CONSUMER, cc, err, sizeof err);
    auto* list = rd_kafka_topic_partition_list_new(3);
    for (int part = 0; part < 3; ++part)
        rd_kafka_topic_partition_list_add(list, kTopic.c_str(), part)->offset = committed;
    EXPECT_EQ(rd_kafka_commit(c, list, 0), RD_KAFKA_RESP_ERR_NO_ERROR);
    rd_kafka_topic_partition_list_destroy(list);
    rd_kafka_destroy(c);
    return 3LL * (per_partition - committed);
}

// Commits `offsets[p]` for partition p of kTopic for kGroup.
void commit(const std::string& bootstrap, const std::vector<std::int64_t>& offsets) {
    char err[512];
    rd_kafka_conf_t* cc = rd_kafka_conf_new();
    rd_kafka_conf_set(cc, "bootstrap.servers", bootstrap.c_str(), err, sizeof err);
    rd_kafka_conf_set(cc, "group.id", kGroup.c_str(), err, sizeof err);
    rd_kafka_conf_set(cc, "enable.auto.commit", "false", err, sizeof err);
    rd_kafka_t* c = rd_kafka_new(RD_KAFKA_CONSUMER, cc, err, sizeof err);
    auto* list = rd_kafka_topic_partition_list_new(int(offsets.size()));
    for (std::size_t part = 0; part < offsets.size(); ++part)
        rd_kafka_topic_partition_list_add(list, kTopic.c_str(), int(part))->offset = offsets[part];
    EXPECT_EQ(rd_kafka_commit(c, list, 0), RD_KAFKA_RESP_ERR_NO_ERROR);
    rd_kafka_topic_partition_list_destroy(list);
    rd_kafka_destroy(c);
}

bool has(const std::string& pane, const std::string& s) { return pane.find(s) != std::string::npos; }

class Console : public ::testing::Test {
  protected:
    void SetUp() override {
        redis_.start();
        kafka_.create_topic(kTopic, 3);
        lag_ = produce_and_commit(kafka_.bootstrap(), 40, 15); // 75
        RedisClient r(RedisOptions{.host = redis_.host(), .port = redis_.port()});
        const std::string now = std::to_string(wall_ms() + 3'600'000); // fresh for an hour
        r.command({"HSET", "ebap:kpi:now", "eps", "4321", "active_users_1m", "77", "purchases_1m",
                   "12", "revenue_1m", "345.5", "error_rate_1m", "0.0125", "late_events", "3",
                   "dlq_events", "2", "watermark_ms", std::to_string(wall_ms()), "updated_ms",
                   std::to_string(wall_ms())});
        (void)now;
        r.command({"SADD", "ebap:regions", "eu-west", "us-east"});
        r.command({"HSET", "ebap:region:eu-west", "health", "warn", "events_1m", "1234",
                   "active_users_1m", "56", "revenue_1m", "789", "error_rate", "0.031",
                   "p95_latency_ms", "640", "updated_ms", std::to_string(wall_ms())});
        r.command({"HSET", "ebap:region:us-east", "health", "ok", "events_1m", "4321",
                   "active_users_1m", "99", "revenue_1m", "1500", "error_rate", "0.004",
                   "p95_latency_ms", "120", "updated_ms", std::to_string(wall_ms())});
        std::ofstream(dir_.file("catalog.toml"))
            << "[catalog]\nname = 'console-test'\n\n[stacks.local]\ndriver = 'external'\n\n"
            << "[[service]]\nname = 'kafka'\nprobe = 'kafka'\nstack = 'local'\nendpoint = '"
            << kafka_.bootstrap().substr(0, kafka_.bootstrap().find(',')) << "'\n\n"
            << "[[service]]\nname = 'redis'\nprobe = 'redis'\nstack = 'local'\nendpoint = '"
            << redis_.endpoint() << "'\n\n"
            << "[[service]]\nname = 'nothing-here'\nprobe = 'tcp'\nstack = 'local'\n"
            << "endpoint = '127.0.0.1:1'\n";
        std::ofstream(dir_.file("ebapctl.toml"))
            << "[catalog]\nname = '" << dir_.file("catalog.toml") << "'\n"
            << "[kafka]\nbootstrap_servers = '" << kafka_.bootstrap() << "'\ngroups = ['" << kGroup
            << "']\n"
            << "[redis]\nhost = '127.0.0.1'\nport = " << redis_.port() << "\n"
            << "[paths]\nstate_dir = '" << dir_.file("state") << "'\n";
    }

    // The console in a pane: its exit status lands in a file when it ends.
    std::string command(const std::string& env = "", const std::string& flags = "") const {
        return "env -u NO_COLOR -u KAFKA_BOOTSTRAP_SERVERS -u REDIS_HOST -u REDIS_PORT "
               "-u EBAPCTL_CONFIG HOME=/nonexistent " +
               env + " " + EBAPCTL_BIN + " --config " + dir_.file("ebapctl.toml") + " " + flags +
               "; echo $? > " + dir_.file("exit") + "; sleep 30";
    }
    std::string exit_status() const {
        std::ifstream in(dir_.file("exit"));
        std::string s;
        std::getline(in, s);
        return s;
    }

    TempDir dir_{"console"};
    RedisServer redis_;
    EmbeddedKafka kafka_{1};
    std::int64_t lag_ = 0;
};

} // namespace

TEST_F(Console, OverviewShowsWhatTheSourcesSay) {
    Tmux tmux("ebap-console-" + std::to_string(getpid()));
    ASSERT_TRUE(tmux.start(command("LANG=C.UTF-8 LC_ALL=C.UTF-8"), 120, 40));
    std::string pane;
    // Service states: the two real ones UP, the closed port DOWN with its reason.
    ASSERT_TRUE(tmux.wait_for(
        [](const std::string& p) {
            return std::regex_search(p, std::regex(R"(kafka\s+UP)")) &&
                   std::regex_search(p, std::regex(R"(redis\s+UP)")) &&
                   std::regex_search(p, std::regex(R"(nothing-here\s+DOWN\s+connection refused)"));
        },
        &pane))
        << pane;
    EXPECT_TRUE(has(pane, "Services 2/3 UP")) << pane;
    // Worst first: the DOWN service is listed before the UP ones.
    EXPECT_LT(pane.find("nothing-here"), pane.find("redis        UP")) << pane;
    // The group's lag as the broker holds it (40 produced, 15 committed, 3 partitions).
    ASSERT_TRUE(tmux.wait_for(
        [&](const std::string& p) { return has(p, kGroup) && has(p, "lag " + std::to_string(lag_)); },
        &pane))
        << pane;
    // Regions, worst first: eu-west (warn) above us-east (ok), with the hash's numbers.
    ASSERT_TRUE(tmux.wait_for([](const std::string& p) { return has(p, "eu-west"); }, &pane)) << pane;
    EXPECT_TRUE(std::regex_search(pane, std::regex(R"(eu-west\s+\S+ warn\s+1,234\s+56\s+789\s+3\.10\s+640)")))
        << pane;
    EXPECT_TRUE(std::regex_search(pane, std::regex(R"(us-east\s+\S+ ok\s+4,321\s+99\s+1,500\s+0\.40\s+120)")))
        << pane;
    EXPECT_LT(pane.find("eu-west"), pane.find("us-east"));

    // The KPI view's lines carry the exact values of ebap:kpi:now.
    tmux.keys({"4"});
    ASSERT_TRUE(tmux.wait_for(
        [](const std::string& p) {
            return std::regex_search(p, std::regex(R"(events/s\s+4,321)")) &&
                   std::regex_search(p, std::regex(R"(active users 1m\s+77)")) &&
                   std::regex_search(p, std::regex(R"(purchases/min\s+12)")) &&
                   std::regex_search(p, std::regex(R"(revenue/min\s+345\.5)")) &&
                   std::regex_search(p, std::regex(R"(error rate\s+1\.25%)"));
        },
        &pane))
        << pane;

    // The services view: a cursor on the worst service and its probe in full below.
    tmux.keys({"2"});
    ASSERT_TRUE(tmux.wait_for(
        [](const std::string& p) {
            return has(p, "Service nothing-here") && std::regex_search(p, std::regex(R"(probe\s+tcp 127\.0\.0\.1:1)")) &&
                   std::regex_search(p, std::regex(R"(detail\s+connection refused)"));
        },
        &pane))
        << pane;
    tmux.keys({"Down"});
    ASSERT_TRUE(tmux.wait_for(
        [](const std::string& p) {
            return has(p, "Service kafka") && std::regex_search(p, std::regex(R"(state\s+\S+ UP, )"));
        },
        &pane))
        << pane;

    // `:` commands: a theme switch, and an unknown command named with a suggestion.
    tmux.keys({":"});
    tmux.literal("theme gruvbox");
    tmux.keys({"Enter"});
    ASSERT_TRUE(tmux.wait_for([](const std::string& p) { return has(p, "theme gruvbox"); }, &pane)) << pane;
    tmux.keys({":"});
    tmux.literal("thme light");
    tmux.keys({"Enter"});
    ASSERT_TRUE(tmux.wait_for(
        [](const std::string& p) { return has(p, "unknown command 'thme' (did you mean :theme?)"); }, &pane))
        << pane;

    // :worker stop with nothing hosted says so (no prompt for nothing).
    tmux.keys({":"});
    tmux.literal("worker stop");
    tmux.keys({"Enter"});
    ASSERT_TRUE(tmux.wait_for([](const std::string& p) { return has(p, "no workers run in this console"); }, &pane))
        << pane;

    // Hosted workers: a dangerous stop shows the exact action and asks; n cancels, y stops.
    tmux.keys({":"});
    tmux.literal("worker start 1");
    tmux.keys({"Enter"});
    ASSERT_TRUE(tmux.wait_for([](const std::string& p) { return has(p, "workers starting: 1 thread(s)"); }, &pane))
        << pane;
    tmux.keys({":"});
    tmux.literal("worker stop");
    tmux.keys({"Enter"});
    ASSERT_TRUE(tmux.wait_for(
        [](const std::string& p) {
            return has(p, "stop 1 worker thread(s) of group ebapctl-workers (they flush and commit first)?  [y/N]");
        },
        &pane))
        << pane;
    tmux.keys({"n"});
    ASSERT_TRUE(tmux.wait_for([](const std::string& p) { return has(p, "cancelled"); }, &pane)) << pane;
    tmux.keys({":"});
    tmux.literal("worker stop");
    tmux.keys({"Enter"});
    ASSERT_TRUE(tmux.wait_for([](const std::string& p) { return has(p, "[y/N]"); }, &pane)) << pane;
    tmux.keys({"y"});
    ASSERT_TRUE(tmux.wait_for([](const std::string& p) { return has(p, "workers stopping"); }, &pane)) << pane;

    // `/` filters the geo view's table.
    tmux.keys({"5"});
    ASSERT_TRUE(tmux.wait_for([](const std::string& p) { return has(p, "us-east") && has(p, "eu-west"); }, &pane));
    tmux.keys({"/"});
    tmux.literal("eu");
    tmux.keys({"Enter"});
    ASSERT_TRUE(tmux.wait_for([](const std::string& p) { return has(p, "eu-west") && !has(p, "us-east"); }, &pane))
        << pane;
    tmux.keys({"Escape"});
    ASSERT_TRUE(tmux.wait_for([](const std::string& p) { return has(p, "us-east"); }, &pane)) << pane;
    // Worst first puts eu-west (warn) on top; sorted by events/min, us-east (4,321) is.
    EXPECT_LT(pane.find("eu-west"), pane.find("us-east")) << pane;
    tmux.keys({">", ">"});
    ASSERT_TRUE(tmux.wait_for([](const std::string& p) { return has(p, "by events/min"); }, &pane)) << pane;
    EXPECT_LT(pane.find("us-east"), pane.find("eu-west")) << pane;
    tmux.keys({"1"});

    // Resizes: 80x24 collapses the board into one summary line; 40x12 says what it needs.
    tmux.resize(80, 24);
    ASSERT_TRUE(tmux.wait_for(
        [](const std::string& p) { return has(p, "2/3 UP") && !has(p, "Services 2/3"); }, &pane))
        << pane;
    tmux.resize(40, 12);
    ASSERT_TRUE(tmux.wait_for([](const std::string& p) { return has(p, "needs at least 80x24"); }, &pane))
        << pane;
    tmux.resize(200, 60);
    ASSERT_TRUE(tmux.wait_for([](const std::string& p) { return has(p, "Services 2/3 UP"); }, &pane)) << pane;

    // q quits with 0 and leaves the alternate screen.
    tmux.keys({"q"});
    ASSERT_TRUE(tmux.wait_for([&](const std::string&) { return !exit_status().empty(); }, &pane)) << pane;
    EXPECT_EQ(exit_status(), "0");
    EXPECT_EQ(tmux.run({"display-message", "-p", "-t", "t", "#{alternate_on}"}).out, "0\n");
}

// The lag view as the broker holds it: per partition committed, high, lag and a bar in
// proportion to the largest lag; Tab moves the cursor into the partitions, Enter gives
// them the whole view and Esc goes back; `:lag`, `:status` select by name; a click
// selects a row; keys rebound in the config work and a clash is reported.
TEST_F(Console, LagViewPartitionsKeysMouseAndRebinding) {
    commit(kafka_.bootstrap(), {40, 30, 15}); // lags 0, 10, 25 of 40 produced each
    std::ofstream(dir_.file("ebapctl.toml"), std::ios::app)
        << "[console.keys]\ndown = \"n Down\"\nfilter = \"/ q\"\n";
    Tmux tmux("ebap-console-lag-" + std::to_string(getpid()));
    ASSERT_TRUE(tmux.start(command("LANG=C.UTF-8 LC_ALL=C.UTF-8"), 120, 40));
    std::string pane;
    // The clash is reported at start-up: q stays with the filter it was bound to first.
    ASSERT_TRUE(tmux.wait_for(
        [](const std::string& p) { return has(p, "1 problem(s) in the console settings: see the log (8)"); }, &pane))
        << pane;
    tmux.keys({"8"});
    ASSERT_TRUE(tmux.wait_for(
        [](const std::string& p) {
            return has(p, "console.keys.quit (default): key q is already bound to filter; it stays there");
        },
        &pane))
        << pane;

    tmux.keys({"3"});
    const auto row = [](const std::string& part, const std::string& committed, const std::string& lag) {
        return std::regex(R"(ebap\.events\.raw \[)" + part + R"(\]\s+\S+\s+)" + committed + R"(\s+40\s+)" + lag +
                          R"(\b)");
    };
    ASSERT_TRUE(tmux.wait_for(
        [&](const std::string& p) {
            return has(p, "Partitions of console-test-group") && std::regex_search(p, row("0", "40", "0")) &&
                   std::regex_search(p, row("1", "30", "10")) && std::regex_search(p, row("2", "15", "25"));
        },
        &pane))
        << pane;
    EXPECT_TRUE(has(pane, "most behind: ebap.events.raw [2] lag 25")) << pane;
    EXPECT_TRUE(has(pane, "Consumer groups")) << pane;
    // The skew bars: the most behind partition's is full, one at 10/25 is 2/5 of it, none at 0.
    const auto bar_cells = [&](const std::string& p, const std::string& part) {
        std::istringstream in(p);
        std::string line;
        while (std::getline(in, line))
            if (line.rfind("│ ebap.events.raw [" + part + "]", 0) == 0 || line.rfind("│▶ebap.events.raw [" + part + "]", 0) == 0) {
                int full = 0;
                for (std::size_t at = 0; (at = line.find("█", at)) != std::string::npos; at += 3)
                    ++full;
                return full;
            }
        return -1;
    };
    const int full = bar_cells(pane, "2");
    EXPECT_GE(full, 10) << pane;
    EXPECT_EQ(bar_cells(pane, "1"), full * 10 / 25) << pane;
    EXPECT_EQ(bar_cells(pane, "0"), 0) << pane;

    // Tab: the cursor goes into the partitions; the rebound n moves it down.
    tmux.keys({"Tab", "n", "n"});
    ASSERT_TRUE(tmux.wait_for([](const std::string& p) { return has(p, "▶ebap.events.raw [2]"); }, &pane)) << pane;
    // Enter: the partitions take the whole view; Esc: back.
    tmux.keys({"Enter"});
    ASSERT_TRUE(tmux.wait_for(
        [](const std::string& p) { return has(p, "Partitions of") && !has(p, "Consumer groups"); }, &pane))
        << pane;
    tmux.keys({"Escape"});
    ASSERT_TRUE(tmux.wait_for(
        [](const std::string& p) { return has(p, "Partitions of") && has(p, "Consumer groups"); }, &pane))
        << pane;
    // A click on partition [0]'s row puts the cursor there.
    tmux.click(tmux.row_of(pane, "ebap.events.raw [0]"), 10);
    ASSERT_TRUE(tmux.wait_for([](const std::string& p) { return has(p, "▶ebap.events.raw [0]"); }, &pane)) << pane;

    // :lag with a name that is no group says so; :status NAME selects the service.
    tmux.keys({":"});
    tmux.literal("lag no-such-group");
    tmux.keys({"Enter"});
    ASSERT_TRUE(tmux.wait_for(
        [](const std::string& p) { return has(p, "no group named 'no-such-group' (Tab completes the names)"); },
        &pane))
        << pane;
    // Tab completes the command, then a live name that fits it.
    tmux.keys({":"});
    tmux.literal("stat");
    tmux.keys({"Tab"});
    tmux.literal("red");
    tmux.keys({"Tab"});
    ASSERT_TRUE(tmux.wait_for([](const std::string& p) { return has(p, ":status redis"); }, &pane)) << pane;
    tmux.keys({"Enter"});
    ASSERT_TRUE(tmux.wait_for(
        [](const std::string& p) { return has(p, "Service redis") && has(p, "▶● redis"); }, &pane))
        << pane;
    // The latency of the last probes, under the states.
    ASSERT_TRUE(tmux.wait_for(
        [](const std::string& p) { return std::regex_search(p, std::regex(R"(latency\s+\S+\s+[0-9.]+ to [0-9.]+ ms)")); },
        &pane))
        << pane;
    // A click on kafka's row selects it.
    tmux.click(tmux.row_of(pane, "● kafka"), tmux.col_of(pane, "● kafka") + 2);
    ASSERT_TRUE(tmux.wait_for([](const std::string& p) { return has(p, "Service kafka"); }, &pane)) << pane;

    // The overview: Tab focuses the next panel, Enter opens it (KPIs), Esc comes back,
    // - goes to the view before.
    tmux.keys({"1", "Tab", "Enter"});
    ASSERT_TRUE(tmux.wait_for(
        [](const std::string& p) { return std::regex_search(p, std::regex(R"(events/s\s+4,321)")); }, &pane))
        << pane;
    tmux.keys({"Escape"});
    ASSERT_TRUE(tmux.wait_for([](const std::string& p) { return has(p, "Topics and lag"); }, &pane)) << pane;
    tmux.keys({"-"});
    ASSERT_TRUE(tmux.wait_for([](const std::string& p) { return std::regex_search(p, std::regex(R"(events/s\s+4,321)")); }, &pane))
        << pane;
    // The ? overlay lists the keys as bound: down is n Down now.
    tmux.keys({"?"});
    ASSERT_TRUE(tmux.wait_for([](const std::string& p) { return has(p, "Keys and commands") && has(p, "n Down"); },
                              &pane))
        << pane;
    tmux.keys({"Escape", ":"});
    tmux.literal("q");
    tmux.keys({"Enter"});
    ASSERT_TRUE(tmux.wait_for([&](const std::string&) { return !exit_status().empty(); }, &pane)) << pane;
    EXPECT_EQ(exit_status(), "0");
}

TEST_F(Console, NoColorAndAsciiLocaleStillShowStateInWords) {
    Tmux tmux("ebap-console-nc-" + std::to_string(getpid()));
    ASSERT_TRUE(tmux.start(command("LANG=C LC_ALL=C NO_COLOR=1"), 100, 30));
    std::string pane;
    // 100x30 is the compact overview: a one-line summary names what is not UP.
    ASSERT_TRUE(tmux.wait_for([](const std::string& p) { return has(p, "2/3 UP") && has(p, "nothing-here"); },
                              &pane, true))
        << pane;
    // No colour escapes at all (SGR 30-37/40-47, 38;5/38;2 and 48;..., 90-107; 39 and 49,
    // "default colour", are not colours); attributes (bold, dim, reverse) remain.
    EXPECT_FALSE(std::regex_search(pane, std::regex("\x1b\\[([0-9;]*;)?(3[0-8]|4[0-8]|9[0-7]|10[0-7])[;m]")))
        << pane;
    // ASCII: no box drawing or block characters, state by word and glyph.
    const std::string plain = tmux.capture();
    for (unsigned char c : plain)
        ASSERT_LT(c, 0x80) << plain;
    EXPECT_TRUE(has(plain, "x nothing-here DOWN connection refused")) << plain;
    EXPECT_TRUE(has(plain, "+-")) << plain;
    tmux.keys({"C-c"});
    ASSERT_TRUE(tmux.wait_for([&](const std::string&) { return !exit_status().empty(); }, &pane)) << pane;
    EXPECT_EQ(exit_status(), "0");
}

// The geo view: the regions table and a braille world map below it, each region a marker
// in its health's shape with its name beside it; a region the configuration places
// ([geo.coords]) is on the map, one nobody placed is listed under it.
namespace {
// The pane's lines from the map frame's title down.
std::vector<std::string> map_lines(const std::string& pane) {
    std::vector<std::string> lines;
    std::istringstream in(pane);
    bool on = false;
    for (std::string line; std::getline(in, line);) {
        on = on || line.find(" Map ") != std::string::npos;
        if (on) lines.push_back(line);
    }
    return lines;
}
bool any_line(const std::vector<std::string>& lines, const std::regex& re) {
    return std::any_of(lines.begin(), lines.end(), [&](const std::string& l) { return std::regex_search(l, re); });
}
} // namespace

TEST_F(Console, GeoViewPutsTheRegionsOnAWorldMap) {
    RedisClient r(RedisOptions{.host = redis_.host(), .port = redis_.port()});
    r.command({"SADD", "ebap:regions", "lab-north", "moon-base"});
    for (const auto& [name, health] : {std::pair{"lab-north", "crit"}, std::pair{"moon-base", "ok"}})
        r.command({"HSET", std::string("ebap:region:") + name, "health", health, "events_1m", "10",
                   "updated_ms", std::to_string(wall_ms())});
    std::ofstream(dir_.file("ebapctl.toml"), std::ios::app) << "[geo.coords]\nlab-north = [64.1, -21.9]\n";
    Tmux tmux("ebap-console-geo-" + std::to_string(getpid()));
    ASSERT_TRUE(tmux.start(command("LANG=C.UTF-8 LC_ALL=C.UTF-8"), 120, 40));
    tmux.keys({"5"});
    std::string pane;
    const auto map_ready = [](const std::string& p) {
        const auto lines = map_lines(p);
        return has(p, "Map · 3 of 4 regions") && any_line(lines, std::regex("\u28ff")) &&
               any_line(lines, std::regex("● us-east|us-east ●")) &&
               any_line(lines, std::regex("▲ eu-west|eu-west ▲")) &&
               any_line(lines, std::regex("✖ lab-north|lab-north ✖")) &&
               any_line(lines, std::regex("not on the map: moon-base"));
    };
    ASSERT_TRUE(tmux.wait_for(map_ready, &pane)) << pane;
    // The table is still there above it, worst first, and nothing of the map is drawn
    // into it or over the frame.
    EXPECT_TRUE(std::regex_search(pane, std::regex(R"(lab-north\s+✖ crit)"))) << pane;
    EXPECT_LT(pane.find("lab-north"), pane.find(" Map ")) << pane;
    for (const auto& line : map_lines(pane))
        EXPECT_TRUE(line.rfind("│", 0) == 0 || line.rfind("╭", 0) == 0 || line.rfind("╰", 0) == 0 ||
                    line.rfind(" 1 overview", 0) == 0 || line.find_first_not_of(' ') == std::string::npos)
            << line;
    // The `/` filter keeps only what it matches, on the map too.
    tmux.keys({"/"});
    tmux.literal("eu");
    tmux.keys({"Enter"});
    ASSERT_TRUE(tmux.wait_for(
        [](const std::string& p) {
            const auto lines = map_lines(p);
            return has(p, "Map · 1 of 1 regions") && any_line(lines, std::regex("eu-west")) &&
                   !any_line(lines, std::regex("us-east|lab-north|moon-base"));
        },
        &pane))
        << pane;
    tmux.keys({"Escape"});
    // 80x24: a smaller map, still with every placed region.
    tmux.resize(80, 24);
    ASSERT_TRUE(tmux.wait_for(map_ready, &pane)) << pane;
    tmux.keys({"q"});
    ASSERT_TRUE(tmux.wait_for([&](const std::string&) { return !exit_status().empty(); }, &pane)) << pane;
    EXPECT_EQ(exit_status(), "0");
}

TEST_F(Console, GeoMapInAsciiWithoutColour) {
    Tmux tmux("ebap-console-geo-nc-" + std::to_string(getpid()));
    ASSERT_TRUE(tmux.start(command("LANG=C LC_ALL=C NO_COLOR=1"), 100, 30));
    tmux.keys({"5"});
    std::string pane;
    ASSERT_TRUE(tmux.wait_for(
        [](const std::string& p) {
            const auto lines = map_lines(p);
            return has(p, "Map | 2 of 2 regions") && any_line(lines, std::regex(":::")) &&
                   any_line(lines, std::regex(R"(\* us-east|us-east \*)")) &&
                   any_line(lines, std::regex("! eu-west|eu-west !"));
        },
        &pane))
        << pane;
    for (unsigned char c : pane)
        ASSERT_LT(c, 0x80) << pane;
    tmux.keys({"q"});
    ASSERT_TRUE(tmux.wait_for([&](const std::string&) { return !exit_status().empty(); }, &pane)) << pane;
    EXPECT_EQ(exit_status(), "0");
}

// A probe that hangs (a server that accepts and never answers, with a minute of probe
// timeout) holds up only its own collector: keys switch views and run commands while the
// first probe round is still waiting, which the services panel still says afterwards.
TEST_F(Console, AHangingProbeNeverDelaysAKey) {
    const int hole = socket(AF_INET, SOCK_STREAM, 0);
    ASSERT_GE(hole, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ASSERT_EQ(bind(hole, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    ASSERT_EQ(listen(hole, 8), 0); // the kernel completes handshakes; nobody ever reads
    socklen_t len = sizeof addr;
    getsockname(hole, reinterpret_cast<sockaddr*>(&addr), &len);
    std::ofstream(dir_.file("catalog.toml"), std::ios::app)
        << "\n[[service]]\nname = 'black-hole'\nprobe = 'http'\nstack = 'local'\nendpoint = 'http://127.0.0.1:"
        << ntohs(addr.sin_port) << "/'\n";
    std::ofstream(dir_.file("ebapctl.toml"), std::ios::app) << "[probe]\ntimeout_ms = 60000\n";

    Tmux tmux("ebap-console-hang-" + std::to_string(getpid()));
    ASSERT_TRUE(tmux.start(command("LANG=C.UTF-8 LC_ALL=C.UTF-8"), 120, 40));
    std::string pane;
    ASSERT_TRUE(tmux.wait_for([](const std::string& p) { return has(p, "probing the catalog's services…"); }, &pane))
        << pane;
    tmux.keys({"8"});
    ASSERT_TRUE(tmux.wait_for([](const std::string& p) { return has(p, "Log · state changes"); }, &pane)) << pane;
    tmux.keys({"3"});
    ASSERT_TRUE(tmux.wait_for([](const std::string& p) { return has(p, "Consumer groups"); }, &pane)) << pane;
    tmux.keys({":"});
    tmux.literal("theme light");
    tmux.keys({"Enter"});
    ASSERT_TRUE(tmux.wait_for([](const std::string& p) { return has(p, "theme light"); }, &pane)) << pane;
    // All of that happened inside the first probe round: it is still waiting.
    tmux.keys({"1"});
    ASSERT_TRUE(tmux.wait_for([](const std::string& p) { return has(p, "Topics and lag"); }, &pane)) << pane;
    EXPECT_TRUE(has(pane, "probing the catalog's services…")) << pane;
    tmux.keys({"q"});
    ASSERT_TRUE(tmux.wait_for([&](const std::string&) { return !exit_status().empty(); }, &pane)) << pane;
    EXPECT_EQ(exit_status(), "0");
    close(hole);
}

TEST_F(Console, ReadonlyIsShownAndABadThemeIsAUsageError) {
    Tmux tmux("ebap-console-ro-" + std::to_string(getpid()));
    ASSERT_TRUE(tmux.start(command("LANG=C.UTF-8 LC_ALL=C.UTF-8", "--readonly"), 120, 40));
    std::string pane;
    ASSERT_TRUE(tmux.wait_for([](const std::string& p) { return has(p, "READONLY"); }, &pane)) << pane;
    // A dangerous command is refused with the reason, before any confirmation.
    tmux.keys({":"});
    tmux.literal("worker stop");
    tmux.keys({"Enter"});
    ASSERT_TRUE(tmux.wait_for(
        [](const std::string& p) { return has(p, ":worker stop changes state and the console runs --readonly"); },
        &pane))
        << pane;
    tmux.keys({"q"});
    ASSERT_TRUE(tmux.wait_for([&](const std::string&) { return !exit_status().empty(); }, &pane)) << pane;
    EXPECT_EQ(exit_status(), "0");

    // A theme that does not exist is a usage error naming the ones that do.
    CliResult r = run_cli({"--config", dir_.file("ebapctl.toml"), "--theme", "gruvbx"});
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_NE(r.err.find("no theme 'gruvbx'; did you mean 'gruvbox'?"), std::string::npos) << r.err;
    // Outside a terminal the console refuses (exit 2) and says what to use instead.
    r = run_cli({"--config", dir_.file("ebapctl.toml")});
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_NE(r.err.find("the console needs a terminal"), std::string::npos) << r.err;
}

} // namespace ebap::test

namespace ebap::test {

// `ebapctl demo` on a terminal opens the console on what it started: every panel comes
// alive, the workers run in-process, and quitting stops everything the demo started.
TEST(DemoConsole, OpensTheConsoleAndQuittingLeavesNothingBehind) {
    TempDir dir("demo-console");
    Tmux tmux("ebap-demo-console-" + std::to_string(getpid()));
    ASSERT_TRUE(tmux.start("env -u NO_COLOR -u EBAPCTL_CONFIG LANG=C.UTF-8 LC_ALL=C.UTF-8 HOME=/nonexistent "
               "EBAP_STATE_DIR=" + dir.path() + " " + EBAPCTL_BIN +
                   " demo --eps 300; echo $? > " + dir.file("exit") + "; sleep 30",
               120, 40));
    std::string pane;
    // The embedded services UP; the rest of the platform DOWN with its reason, optional.
    ASSERT_TRUE(tmux.wait_for(
        [](const std::string& p) {
            return has(p, "Services 3/3 UP") && std::regex_search(p, std::regex(R"(trino\s+DOWN)"));
        },
        &pane))
        << pane;
    // Events flow: a region row with numbers and the in-process workers' line.
    ASSERT_TRUE(tmux.wait_for(
        [](const std::string& p) {
            return std::regex_search(p, std::regex(R"((us|eu|ap|sa)-\w+\s+\S+ (ok|warn|crit)\s+[0-9,]+)")) &&
                   has(p, "workers running");
        },
        &pane))
        << pane;
    tmux.keys({"6"});
    ASSERT_TRUE(tmux.wait_for([](const std::string& p) { return has(p, "Workers") && has(p, "records read"); },
                              &pane))
        << pane;
    const auto read_record = [&] {
        std::ifstream in(dir.path() + "/demo/demo.json");
        return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    };
    const std::string record = read_record();
    tmux.keys({"q"});
    ASSERT_TRUE(tmux.wait_for(
        [&](const std::string&) {
            std::ifstream in(dir.file("exit"));
            return in.good() && in.peek() != EOF;
        },
        &pane))
        << pane;
    std::ifstream in(dir.file("exit"));
    std::string code;
    std::getline(in, code);
    EXPECT_EQ(code, "0") << pane;
    // The record names what ran; none of it runs now.
    const std::regex pid_re(R"re("(\w+_pid|gen)"\s*:\s*(\d+))re");
    int checked = 0;
    for (auto it = std::sregex_iterator(record.begin(), record.end(), pid_re); it != std::sregex_iterator(); ++it) {
        const pid_t pid = std::stoi((*it)[2]);
        EXPECT_NE(kill(pid, 0), 0) << (*it)[1] << " " << pid << " outlived the demo";
        ++checked;
    }
    EXPECT_GE(checked, 3) << record; // redis, postgres, gen
}

} // namespace ebap::test
