// The interactive `ebapctl sql` as an operator uses it, in a real tmux pane, against the
// Trino test peer (it plays captured Trino responses: no Trino server runs here).
#include "support/cli_run.hpp"
#include "support/temp_dir.hpp"
#include "support/tmux.hpp"
#include "support/trino_peer.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <fstream>
#include <sstream>
#include <thread>
#include <unistd.h>

namespace ebap {
namespace {

using test::PeerStep;
using test::TrinoPeer;

using test::Tmux;

TEST(SqlRepl, EditsRunsCompletesAndKeepsItsHistory) {
    TrinoPeer peer;
    // The shell's first statement is its own SHOW CATALOGS, for Tab.
    peer.enqueue({{.body = R"j({"id":"20250101_000000_00001_cats","columns":[{"name":"Catalog","type":"varchar(6)"}],)j"
                           R"j("data":[["hive"],["iceberg"],["system"]],"stats":{"state":"FINISHED"}})j"}});
    for (int i = 0; i < 3; ++i) peer.enqueue({{.rows = 3, .page_rows = 2}});
    test::TempDir dir("sql-repl");
    const std::string config = dir.file("ebapctl.toml");
    std::ofstream(config) << "[trino]\nurl = \"" << peer.url() << "\"\nuser = \"operator\"\nschema = \"bronze\"\n"
                          << "[paths]\nstate_dir = \"" << dir.file("state") << "\"\n";
    Tmux tmux("ebap-sql-" + std::to_string(getpid()));
    ASSERT_TRUE(tmux.start("env PAGER= TERM=xterm " + std::string(EBAPCTL_BIN) + " --config " + config +
               " sql; sleep 60"));
    std::string pane;
    ASSERT_TRUE(tmux.shows("trino:bronze>", &pane)) << pane;
    for (int i = 0; i < 400 && peer.requests("POST").empty(); ++i)
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    EXPECT_EQ(peer.requests("POST").at(0).body, "SHOW CATALOGS");

    // A statement over two lines runs once a line ends it.
    tmux.literal("select * ");
    tmux.key("Enter");
    ASSERT_TRUE(tmux.shows("     ->", &pane)) << pane;
    tmux.literal("from t;");
    tmux.key("Enter");
    ASSERT_TRUE(tmux.shows("(3 rows)", &pane)) << pane;
    EXPECT_NE(pane.find("  2 | user-2 |  2.25 | false | n2"), std::string::npos) << pane;
    EXPECT_EQ(peer.requests("POST").at(1).body, "select * \nfrom t");

    // \format, and Tab: a keyword, then a catalog learned from SHOW CATALOGS.
    tmux.literal("\\format vertical");
    tmux.key("Enter");
    tmux.literal("SEL");
    tmux.key("Tab");
    tmux.literal("* FROM ice");
    tmux.key("Tab");
    ASSERT_TRUE(tmux.shows("SELECT * FROM iceberg", &pane)) << pane;
    tmux.literal(".x;");
    tmux.key("Enter");
    ASSERT_TRUE(tmux.shows("-[ RECORD 3 ]", &pane)) << pane;

    // Ctrl-C at the prompt drops the line; \q leaves; the history keeps the statements.
    tmux.literal("select broken");
    tmux.key("C-c");
    tmux.literal("\\q");
    tmux.key("Enter");
    for (int i = 0; i < 400 && access(dir.file("state/sql_history").c_str(), F_OK) != 0; ++i)
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    std::ifstream in(dir.file("state/sql_history"));
    std::stringstream history;
    history << in.rdbuf();
    EXPECT_NE(history.str().find("select * \nfrom t;"), std::string::npos) << history.str();
    EXPECT_NE(history.str().find("SELECT * FROM iceberg.x;"), std::string::npos) << history.str();
    EXPECT_EQ(history.str().find("select broken"), std::string::npos) << history.str();
    EXPECT_EQ(peer.requests("POST").size(), 3u);
    EXPECT_TRUE(peer.unexpected().empty());
}

} // namespace
} // namespace ebap
