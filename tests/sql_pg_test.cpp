// `ebapctl sql --engine postgres` against a real PostgreSQL (initdb in a temp directory):
// types, NULLs, updates, errors with the caret from PG_DIAG_STATEMENT_POSITION, PQcancel of
// pg_sleep on Ctrl-C, and a million rows streamed in single-row mode.
#include "core/base/process.hpp"
#include "support/cli_run.hpp"
#include "support/pg_server.hpp"
#include "support/temp_dir.hpp"

#include <gtest/gtest.h>
#include <libpq-fe.h>

#include <chrono>
#include <csignal>
#include <fcntl.h>
#include <fstream>
#include <sstream>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

namespace ebap {
namespace {

class SqlPgTest : public ::testing::Test {
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
    test::TempDir dir{"sql-pg"};

    std::map<std::string, std::string> env() const {
        return {{"PGHOST", "127.0.0.1"},       {"PGPORT", std::to_string(pg_->port())},
                {"PGUSER", "postgres"},        {"PGDATABASE", "ebap"},
                {"PGPASSWORD", "<unset>"},     {"EBAPCTL_CONFIG", "<unset>"},
                {"EBAP_STATE_DIR", dir.path()}, {"PAGER", "<unset>"}};
    }
    test::CliResult sql(std::vector<std::string> args, const std::string& stdin_data = "") {
        std::vector<std::string> argv = {EBAPCTL_BIN, "sql", "--engine", "postgres"};
        argv.insert(argv.end(), args.begin(), args.end());
        return test::run_argv(argv, env(), 120000, stdin_data);
    }
    static test::PgServer* pg_;
};
test::PgServer* SqlPgTest::pg_ = nullptr;

TEST_F(SqlPgTest, TypesAndNullsInEveryFormat) {
    const std::string q =
        "SELECT 1::int AS i, 2::bigint AS b, 1.50::numeric(5,2) AS n, 0.25::float8 AS d, "
        "true AS t, 'x,\"y\"'::text AS s, NULL::text AS nul, 'NULL' AS word, "
        "DATE '2024-02-29' AS day, '{1,2}'::int[] AS arr, '{\"k\": 1}'::jsonb AS j, "
        "'NaN'::numeric AS nan";
    auto r = sql({"-e", q, "--format", "csv-header"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.out, "\"i\",\"b\",\"n\",\"d\",\"t\",\"s\",\"nul\",\"word\",\"day\",\"arr\",\"j\",\"nan\"\n"
                     "\"1\",\"2\",\"1.50\",\"0.25\",\"true\",\"x,\"\"y\"\"\",\"\",\"NULL\",\"2024-02-29\","
                     "\"{1,2}\",\"{\"\"k\"\": 1}\",\"NaN\"\n");
    r = sql({"-e", q, "--format", "json"});
    EXPECT_EQ(r.out, R"({"i":1,"b":2,"n":1.50,"d":0.25,"t":true,"s":"x,\"y\"","nul":null,"word":"NULL",)"
                     R"("day":"2024-02-29","arr":"{1,2}","j":"{\"k\": 1}","nan":"NaN"})" "\n");
    r = sql({"-e", "SELECT 1 AS a, NULL::int AS b, 'NULL' AS c", "--format", "aligned"});
    EXPECT_EQ(r.out, " a |  b   |  c   \n---+------+------\n 1 | NULL | NULL \n(1 row)\n");
}

TEST_F(SqlPgTest, UpdatesAndDdlPrintSummaries) {
    auto r = sql({"--format", "csv"},
                 "DROP TABLE IF EXISTS t; CREATE TABLE t (id int, name text);\n"
                 "INSERT INTO t VALUES (1, 'a'), (2, 'b'), (3, NULL);\n"
                 "UPDATE t SET name = 'c' WHERE id = 3; DELETE FROM t WHERE id = 1;\n"
                 "SELECT * FROM t ORDER BY id;");
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.err, "NOTICE: table \"t\" does not exist, skipping\nDROP TABLE\nCREATE TABLE\nINSERT: 3 rows\nUPDATE: 1 row\nDELETE: 1 row\n");
    EXPECT_EQ(r.out, "\"2\",\"b\"\n\"3\",\"c\"\n");
}

TEST_F(SqlPgTest, ErrorsShowSqlstateMessageAndCaret) {
    auto r = sql({"-e", "SELECT 1,\n  nosuch + 1 FROM pg_class"});
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_EQ(r.err, "Query failed (42703): column \"nosuch\" does not exist\n"
                     "  nosuch + 1 FROM pg_class\n"
                     "  ^\n");
    r = sql({"-e", "SELECT 1 FRM t"});
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_NE(r.err.find("Query failed (42601): syntax error at or near \"t\"\nSELECT 1 FRM t\n             ^\n"),
              std::string::npos) << r.err;
    // --schema is the search_path, --session a setting; a bad one names itself.
    r = sql({"--schema", "pg_catalog", "--session", "statement_timeout=5s", "-e",
             "SELECT current_setting('search_path'), current_setting('statement_timeout')",
             "--format", "csv"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.out, "\"pg_catalog\",\"5s\"\n");
    r = sql({"--session", "no_such_setting=1", "-e", "SELECT 1"});
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_NE(r.err.find("--session no_such_setting=1: "), std::string::npos) << r.err;
}

TEST_F(SqlPgTest, UnreachableServerIsAFailureNamingIt) {
    auto e = env();
    e["PGPORT"] = "1";
    auto r = test::run_argv({EBAPCTL_BIN, "sql", "--engine", "postgres", "-e", "SELECT 1"}, e);
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_NE(r.err.find("postgres 127.0.0.1:1/ebap: "), std::string::npos) << r.err;
}

TEST_F(SqlPgTest, CtrlCCancelsPgSleepOnTheServer) {
    const std::string out = dir.file("out"), err = dir.file("err");
    const int o = open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    const int e = open(err.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    SpawnOptions opts;
    opts.death_signal = SIGKILL;
    for (const auto& [k, v] : env()) opts.env.push_back(v == "<unset>" ? k : k + "=" + v);
    const pid_t pid = start_child({EBAPCTL_BIN, "sql", "--engine", "postgres", "-e",
                                   "SELECT pg_sleep(600) AS ebapctl_cancel_me"},
                                  opts, {.in_fd = -1, .out_fd = o, .err_fd = e});
    close(o);
    close(e);
    // Wait (a hang guard) until the server runs the sleep, then Ctrl-C.
    PGconn* c = PQconnectdb(pg_->conninfo("ebap").c_str());
    ASSERT_EQ(PQstatus(c), CONNECTION_OK);
    auto sleeping = [&] {
        PGresult* r = PQexec(c, "SELECT count(*) FROM pg_stat_activity WHERE query LIKE "
                                "'SELECT pg_sleep(600) AS ebapctl_cancel_me' AND state = 'active'");
        const bool yes = PQresultStatus(r) == PGRES_TUPLES_OK && std::string(PQgetvalue(r, 0, 0)) == "1";
        PQclear(r);
        return yes;
    };
    for (int i = 0; i < 3000 && !sleeping(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
    ASSERT_TRUE(sleeping());
    kill(pid, SIGINT);
    int status = 0;
    waitpid(pid, &status, 0);
    EXPECT_TRUE(WIFEXITED(status));
    EXPECT_EQ(WEXITSTATUS(status), 1);
    std::ifstream in(err);
    std::stringstream ss;
    ss << in.rdbuf();
    EXPECT_EQ(ss.str(), "Query aborted by user\n");
    EXPECT_FALSE(sleeping()); // cancelled on the server, not left running
    PQfinish(c);
}

TEST_F(SqlPgTest, AMillionRowsStreamInSingleRowMode) {
    // Peak RSS of this is measured in bench/sql_bench.sh.
    auto r = sql({"-e", "SELECT g AS id, 'user-' || g AS name, g % 7 = 0 AS flag FROM generate_series(1, 1000000) g",
                  "--format", "csv"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(std::count(r.out.begin(), r.out.end(), '\n'), 1000000);
    EXPECT_EQ(r.out.substr(0, 30), "\"1\",\"user-1\",\"false\"\n\"2\",\"user");
    EXPECT_EQ(r.out.substr(r.out.size() - 33), "\"1000000\",\"user-1000000\",\"false\"\n");
}

} // namespace
} // namespace ebap
