// The console's SQL view as an operator uses it: `ebapctl` in a real tmux pane, the
// statement typed into the view's line, against the Trino test peer. No Trino server runs
// on these machines, so the peer plays captured Trino responses (tests/fixtures/trino/)
// and synthetic pages in the same shape, and records what the console sends: the DELETE
// of a cancel must arrive. Waits poll the pane up to a hang guard; nothing depends on the
// machine's speed.
#include "support/cli_run.hpp"
#include "support/temp_dir.hpp"
#include "support/tmux.hpp"
#include "support/trino_peer.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <fstream>
#include <regex>
#include <sstream>
#include <thread>
#include <unistd.h>

namespace ebap::test {
namespace {

bool has(const std::string& pane, const std::string& s) { return pane.find(s) != std::string::npos; }

std::string slurp(const std::string& path) {
    std::ifstream in(path);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

// The pane's line holding `text` ("" when none).
std::string line_of(const std::string& pane, const std::string& text) {
    std::istringstream in(pane);
    for (std::string line; std::getline(in, line);)
        if (has(line, text)) return line;
    return {};
}

// The last SGR sequence before `at` in an escaped line: the colour a cell was drawn in.
std::string sgr_before(const std::string& line, std::size_t at) {
    const auto esc = line.rfind("\x1b[", at);
    if (esc == std::string::npos) return {};
    return line.substr(esc, line.find('m', esc) - esc + 1);
}

// The statement line open and empty: row 1 holds the prompt alone (capture-pane drops
// the trailing blank).
bool empty_line(const std::string& pane) {
    std::istringstream in(pane);
    std::string line;
    std::getline(in, line);
    std::getline(in, line);
    return line == "trino>";
}

class ConsoleSql : public ::testing::Test {
  protected:
    void SetUp() override {
        std::ofstream(dir_.file("catalog.toml"))
            << "[catalog]\nname = 'sql-test'\n\n[stacks.local]\ndriver = 'external'\n\n"
            << "[[service]]\nname = 'nothing-here'\nprobe = 'tcp'\nstack = 'local'\nendpoint = '127.0.0.1:1'\n";
        std::ofstream(dir_.file("ebapctl.toml"))
            << "[catalog]\nname = '" << dir_.file("catalog.toml") << "'\n"
            << "[kafka]\nbootstrap_servers = '127.0.0.1:1'\n"
            << "[redis]\nhost = '127.0.0.1'\nport = 1\n"
            << "[trino]\nurl = '" << peer_.url() << "'\nuser = 'operator'\n"
            << "[paths]\nstate_dir = '" << dir_.file("state") << "'\n";
    }
    void TearDown() override { EXPECT_TRUE(peer_.unexpected().empty()) << peer_.unexpected().front(); }

    std::string command() const {
        return "env -u NO_COLOR -u EBAPCTL_CONFIG -u TRINO_URL -u TRINO_USER -u TRINO_PASSWORD HOME=/nonexistent "
               "LANG=C.UTF-8 LC_ALL=C.UTF-8 " +
               std::string(EBAPCTL_BIN) + " --config " + dir_.file("ebapctl.toml") + "; echo $? > " +
               dir_.file("exit") + "; sleep 30";
    }
    // Waits until the peer has had `n` POSTs (the console's own SHOW CATALOGS among them).
    void await_posts(std::size_t n) {
        for (int i = 0; i < 600 && peer_.requests("POST").size() < n; ++i)
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
        ASSERT_GE(peer_.requests("POST").size(), n);
    }

    TempDir dir_{"console-sql"};
    TrinoPeer peer_;
};

} // namespace

TEST_F(ConsoleSql, TypeAQuerySeeTheGridFilterExportAndCancel) {
    // The view learns the names Tab completes first: its SHOW CATALOGS.
    peer_.enqueue({{.body = R"j({"id":"20250101_000000_00001_cats","columns":[{"name":"Catalog","type":"varchar(6)"}],)j"
                            R"j("data":[["hive"],["iceberg"],["system"]],"stats":{"state":"FINISHED"}})j"}});
    Tmux tmux("ebap-csql-" + std::to_string(getpid()));
    ASSERT_TRUE(tmux.start(command(), 120, 40));
    std::string pane;
    ASSERT_TRUE(tmux.shows("1 overview", &pane)) << pane;
    tmux.key("7");
    // The view opens with its statement line ready.
    ASSERT_TRUE(tmux.wait_for(empty_line, &pane)) << pane;
    await_posts(1);
    EXPECT_EQ(peer_.requests("POST").at(0).body, "SHOW CATALOGS");

    // A query of 50 rows in three pages: the grid, numbers right-aligned, NULL for nulls.
    peer_.enqueue({{.rows = 50, .page_rows = 20}});
    tmux.literal("SELECT * FROM ice");
    tmux.key("Tab"); // a catalog the server named completes
    tmux.literal(".events");
    tmux.key("Enter");
    ASSERT_TRUE(tmux.wait_for([](const std::string& p) { return has(p, "FINISHED") && has(p, "50 rows"); }, &pane))
        << pane;
    await_posts(2);
    EXPECT_EQ(peer_.requests("POST").at(1).body, "SELECT * FROM iceberg.events");
    EXPECT_TRUE(std::regex_search(pane, std::regex(R"(id │ name +│ score │ flag +│ note)"))) << pane;
    EXPECT_TRUE(std::regex_search(pane, std::regex(R"( 0 │ user-0 +│  0\.25 │ false │ NULL)"))) << pane;
    EXPECT_TRUE(std::regex_search(pane, std::regex(R"(10 │ user-10 +│ 10\.25 │ false │ n10)"))) << pane;
    // NULL is drawn dimmed, not in the colour of the values beside it.
    const std::string colours = tmux.capture(true);
    const std::string row7 = line_of(colours, "user-7 ");
    ASSERT_FALSE(row7.empty()) << colours;
    EXPECT_NE(sgr_before(row7, row7.find("NULL")), sgr_before(row7, row7.find("user-7"))) << row7;

    // The cursor moves, Enter shows the row in full, Esc goes back to the grid.
    tmux.keys({"j", "j", "Enter"});
    ASSERT_TRUE(tmux.wait_for([](const std::string& p) { return has(p, "Row 3 of 50"); }, &pane)) << pane;
    EXPECT_TRUE(std::regex_search(pane, std::regex(R"(name +│ user-2)"))) << pane;
    tmux.key("Escape");
    ASSERT_TRUE(tmux.wait_for([](const std::string& p) { return !has(p, "Row 3 of 50"); }, &pane)) << pane;

    // `/` filters the fetched rows; the status line counts them.
    tmux.key("/");
    tmux.literal("user-1");
    tmux.key("Enter");
    ASSERT_TRUE(tmux.shows("/user-1: 11 of 50", &pane)) << pane;
    EXPECT_FALSE(has(pane, "user-2 ")) << pane;
    tmux.key("Escape");
    ASSERT_TRUE(tmux.wait_for([](const std::string& p) { return !has(p, "/user-1:"); }, &pane)) << pane;

    // v: records; l: a column to the right.
    tmux.keys({"g", "v"});
    ASSERT_TRUE(tmux.shows("-[ RECORD 1 ]", &pane)) << pane;
    EXPECT_TRUE(std::regex_search(pane, std::regex(R"(note +│ NULL)"))) << pane;
    tmux.keys({"v", "l"});
    ASSERT_TRUE(tmux.shows("columns 2-5 of 5", &pane)) << pane;
    tmux.key("h");

    // e: the rows to a file, as csv by its extension; the same bytes as `ebapctl sql`
    // prints for the same result.
    const std::string out = dir_.file("rows.csv");
    tmux.key("e");
    ASSERT_TRUE(tmux.shows(":export", &pane)) << pane;
    tmux.literal(out);
    tmux.key("Enter");
    ASSERT_TRUE(tmux.shows("exported 50 rows to", &pane)) << pane;
    const std::string csv = slurp(out);
    EXPECT_EQ(csv.substr(0, csv.find('\n', csv.find('\n') + 1) + 1),
              "\"id\",\"name\",\"score\",\"flag\",\"note\"\n\"0\",\"user-0\",\"0.25\",\"false\",\"\"\n");
    EXPECT_EQ(std::count(csv.begin(), csv.end(), '\n'), 51);
    peer_.enqueue({{.rows = 50, .page_rows = 20}});
    const auto cli = run_argv({EBAPCTL_BIN, "--config", dir_.file("ebapctl.toml"), "sql", "-e", "SELECT 1",
                               "--format", "csv-header"},
                              {{"EBAPCTL_CONFIG", "<unset>"}, {"TRINO_URL", "<unset>"}}, 60000);
    EXPECT_EQ(cli.exit_code, 0) << cli.err;
    EXPECT_EQ(cli.out, csv);
    // A second export to the same file asks first.
    tmux.key("e");
    tmux.literal(out + " json");
    tmux.key("Enter");
    ASSERT_TRUE(tmux.shows("replace " + out + "?  [y/N]", &pane)) << pane;
    tmux.key("y");
    ASSERT_TRUE(tmux.shows("(json)", &pane)) << pane;
    EXPECT_EQ(slurp(out).substr(0, 60).find("{\"id\":0,\"name\":\"user-0\""), 0u) << slurp(out).substr(0, 80);

    // A query that never finishes: rows stream in, the rest of the console keeps answering,
    // Esc cancels on the server (the DELETE arrives) and the view says so.
    PeerStep running{.body = TrinoPeer::fixture("03_select_pN_RUNNING_with_data.json")};
    running.forever = true;
    running.delay_ms = 100;
    peer_.enqueue({{.body = TrinoPeer::fixture("01_select_p0_post_QUEUED.json")}, running});
    tmux.key("i");
    ASSERT_TRUE(tmux.wait_for(empty_line, &pane)) << pane;
    tmux.literal("SELECT * FROM forever");
    tmux.key("Enter");
    ASSERT_TRUE(tmux.wait_for([](const std::string& p) { return has(p, "RUNNING") && has(p, "Esc cancels"); }, &pane))
        << pane;
    tmux.key("1");
    ASSERT_TRUE(tmux.wait_for([](const std::string& p) { return has(p, "nothing-here"); }, &pane)) << pane;
    tmux.key("7");
    ASSERT_TRUE(tmux.shows("Esc cancels", &pane)) << pane;
    EXPECT_TRUE(peer_.requests("DELETE").empty());
    tmux.key("Escape");
    ASSERT_TRUE(tmux.wait_for([](const std::string& p) { return has(p, "CANCELLED") && has(p, "Query aborted by user"); },
                              &pane))
        << pane;
    EXPECT_EQ(peer_.requests("DELETE").size(), 1u);

    // A syntax error: the message, the statement's line and a caret under column 17.
    peer_.enqueue({{.body = TrinoPeer::fixture("05_syntax_error_FAILED.json")}});
    tmux.key("i");
    ASSERT_TRUE(tmux.wait_for(empty_line, &pane)) << pane;
    tmux.literal("SELECT 1 AS x, 2 s y");
    tmux.key("Enter");
    ASSERT_TRUE(tmux.shows("FAILED", &pane)) << pane;
    ASSERT_TRUE(tmux.shows("(SYNTAX_ERROR): line 1:17: mismatched input 's'", &pane)) << pane;
    const int stmt = Tmux::row_of(pane, "│ SELECT 1 AS x, 2 s y");
    ASSERT_GT(stmt, 0) << pane;
    std::istringstream lines(pane);
    std::string line;
    for (int i = 0; i <= stmt + 1; ++i)
        std::getline(lines, line);
    EXPECT_EQ(Tmux::col_of(line, "^"), Tmux::col_of(pane, "│ SELECT 1 AS x") + 2 + 16) << pane;
    // The failed statement comes back on the line to be mended.
    tmux.key("i");
    ASSERT_TRUE(tmux.shows("trino> SELECT 1 AS x, 2 s y", &pane)) << pane;
    tmux.key("Escape");

    tmux.key("q");
    ASSERT_TRUE(tmux.wait_for([&](const std::string&) { return !slurp(dir_.file("exit")).empty(); }, &pane)) << pane;
    EXPECT_EQ(slurp(dir_.file("exit")), "0\n");
    // The statements typed are in the REPL's history file.
    const std::string history = slurp(dir_.file("state/sql_history"));
    EXPECT_TRUE(has(history, "SELECT * FROM iceberg.events")) << history;
    EXPECT_TRUE(has(history, "SELECT * FROM forever")) << history;
}

} // namespace ebap::test
