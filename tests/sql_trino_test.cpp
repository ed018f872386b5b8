// `ebapctl sql` against Trino. No Trino server runs on these machines: the TrinoPeer plays
// responses captured from real coordinators (tests/fixtures/trino/, README.txt there names
// their sources; 11 and 12 are synthetic), rewritten to point at itself, records what the
// client sends, and injects the faults a real coordinator or its proxy produces.
#include "core/base/process.hpp"
#include "support/cli_run.hpp"
#include "support/temp_dir.hpp"
#include "support/trino_peer.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <csignal>
#include <fcntl.h>
#include <ctime>
#include <fstream>
#include <sstream>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

namespace ebap {
namespace {

using test::PeerStep;
using test::TrinoPeer;

PeerStep page(const std::string& fixture) { return {.body = TrinoPeer::fixture(fixture)}; }

// A captured page with its nextUri taken out: the last page of a result.
PeerStep last_page(const std::string& fixture) {
    auto doc = nlohmann::json::parse(TrinoPeer::fixture(fixture));
    doc.erase("nextUri");
    doc["stats"]["state"] = "FINISHED";
    return {.body = doc.dump()};
}

PeerStep fault(int status, std::map<std::string, std::string> headers = {}) {
    return {.status = status, .headers = std::move(headers)};
}

std::string slurp(const std::string& path) {
    std::ifstream in(path);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

class SqlTrinoTest : public ::testing::Test {
  protected:
    TrinoPeer peer;
    test::TempDir dir{"sql-trino"};

    std::string config(const std::string& extra = "") {
        const std::string path = dir.file("ebapctl.toml");
        std::ofstream(path) << "[trino]\nurl = \"" << peer.url() << "\"\nuser = \"operator\"\n"
                            << extra << "\n[paths]\nstate_dir = \"" << dir.file("state") << "\"\n";
        return path;
    }
    std::map<std::string, std::string> env(std::map<std::string, std::string> more = {}) {
        std::map<std::string, std::string> e = {{"TRINO_URL", "<unset>"},
                                                {"TRINO_USER", "<unset>"},
                                                {"TRINO_PASSWORD", "<unset>"},
                                                {"EBAPCTL_CONFIG", "<unset>"},
                                                {"PAGER", "<unset>"}};
        for (auto& [k, v] : more) e[k] = v;
        return e;
    }
    test::CliResult sql(std::vector<std::string> args, const std::string& stdin_data = "",
                        std::map<std::string, std::string> more_env = {},
                        const std::string& extra_config = "") {
        std::vector<std::string> argv = {EBAPCTL_BIN, "--config", config(extra_config), "sql"};
        argv.insert(argv.end(), args.begin(), args.end());
        return test::run_argv(argv, env(more_env), 120000, stdin_data);
    }
    void TearDown() override {
        EXPECT_TRUE(peer.unexpected().empty()) << peer.unexpected().front();
    }
};

TEST_F(SqlTrinoTest, FollowsNextUriUntilItIsAbsent) {
    // QUEUED -> PLANNING -> RUNNING with a row -> the same page as the last one.
    peer.enqueue({page("01_select_p0_post_QUEUED.json"), page("02_select_p1_PLANNING.json"),
                  page("03_select_pN_RUNNING_with_data.json"),
                  last_page("03_select_pN_RUNNING_with_data.json")});
    auto r = sql({"-e", "SELECT * FROM orders", "--format", "csv-header"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(peer.requests("POST").size(), 1u);
    EXPECT_EQ(peer.requests("GET").size(), 3u);
    EXPECT_EQ(peer.requests("POST")[0].body, "SELECT * FROM orders");
    // Decimals stay strings as sent, timestamps as the server wrote them, '' is not NULL.
    const std::string row =
        "\"34\",\"asldfjlaksdjfl\",\"20\",\"234234\",\"1000.00000\",\"1000.00000\",\"asdfljalskdfjlk\","
        "\"2015-10-06 22:04:00.000\",\"2015-09-06 14:05:49.000\",\"2015-11-21 01:17:11.000\","
        "\"2015-11-21 01:17:11.000\",\"2038-01-01 00:00:00.000\",\"2\",\"0\",\"1\",\"0\",\"0\",\"\","
        "\"2020-06-01 01:00:40.873\",\"2020-05-31\"\n";
    EXPECT_EQ(r.out.substr(0, 20), "\"id\",\"order_hash\",\"s");
    EXPECT_EQ(r.out.substr(r.out.find('\n') + 1), row + row);
}

TEST_F(SqlTrinoTest, ComplexTypesRenderAsTheTrinoCli) {
    peer.enqueue({page("01_select_p0_post_QUEUED.json"),
                  page("04_select_last_FINISHED_complex_types.json")});
    auto r = sql({"-e", "SELECT 1", "--format", "aligned"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.out, "  a  | b  |  c   |     d     |      e       |  f   \n"
                     "-----+----+------+-----------+--------------+------\n"
                     " abc | 10 | true | [1, 2, 3] | {x=1, y=1.1} | NULL \n"
                     "(1 row)\n");
    peer.enqueue({page("04_select_last_FINISHED_complex_types.json")});
    r = sql({"-e", "SELECT 1", "--format", "json"});
    EXPECT_EQ(r.out, R"({"a":"abc","b":10,"c":true,"d":[1,2,3],"e":{"x":1,"y":1.1},"f":null})" "\n");
    peer.enqueue({page("04_select_last_FINISHED_complex_types.json")});
    r = sql({"-e", "SELECT 1", "--format", "csv"});
    EXPECT_EQ(r.out, "\"abc\",\"10\",\"true\",\"[1, 2, 3]\",\"{x=1, y=1.1}\",\"\"\n");
}

TEST_F(SqlTrinoTest, EveryFormatOfAMultiPageResult) {
    auto rows = [&] {
        peer.enqueue({page("07_pyclient_select_p0_post_QUEUED.json"),
                      page("08_pyclient_select_p1_get_RUNNING_data.json"),
                      last_page("08_pyclient_select_p1_get_RUNNING_data.json")});
    };
    const std::map<std::string, std::string> expected = {
        {"csv", "\"UUID-0\",\"http://worker0:8080\",\"0.157\",\"false\",\"active\"\n"},
        {"csv-header", "\"node_id\",\"http_uri\",\"node_version\",\"coordinator\",\"state\"\n"
                       "\"UUID-0\",\"http://worker0:8080\",\"0.157\",\"false\",\"active\"\n"},
        {"csv-unquoted", "UUID-0,http://worker0:8080,0.157,false,active\n"},
        {"tsv", "UUID-0\thttp://worker0:8080\t0.157\tfalse\tactive\n"},
        {"tsv-header", "node_id\thttp_uri\tnode_version\tcoordinator\tstate\n"
                       "UUID-0\thttp://worker0:8080\t0.157\tfalse\tactive\n"},
        {"json", R"({"node_id":"UUID-0","http_uri":"http://worker0:8080","node_version":"0.157","coordinator":false,"state":"active"})"
                 "\n"},
        // Markdown's special characters escaped, as the Trino CLI does.
        {"markdown", "| node\\_id | http\\_uri           | node\\_version | coordinator | state  |\n"
                     "| -------- | ------------------- | ------------- | ----------- | ------ |\n"
                     "| UUID-0   | http://worker0:8080 | 0.157         | false       | active |\n"},
        {"vertical", "-[ RECORD 1 ]+--------------------\n"
                     "node_id      | UUID-0\n"},
        {"aligned", " node_id |      http_uri       | node_version | coordinator | state  \n"
                    "---------+---------------------+--------------+-------------+--------\n"
                    " UUID-0  | http://worker0:8080 | 0.157        | false       | active \n"},
        {"null", ""},
    };
    for (const auto& [format, head] : expected) {
        rows();
        auto r = sql({"-e", "select * from system.runtime.nodes", "--format", format});
        EXPECT_EQ(r.exit_code, 0) << format << ": " << r.err;
        EXPECT_EQ(r.out.substr(0, head.size()), head) << format;
        // Six rows over two pages: every row-per-line format has them all.
        if (format == "csv" || format == "csv-unquoted" || format == "tsv" || format == "json") {
            EXPECT_EQ(std::count(r.out.begin(), r.out.end(), '\n'), 6) << format;
        }
        if (format == "aligned") {
            EXPECT_NE(r.out.find("\n(6 rows)\n"), std::string::npos) << r.out;
        }
        if (format == "vertical") {
            EXPECT_NE(r.out.find("-[ RECORD 6 ]"), std::string::npos);
        }
    }
}

TEST_F(SqlTrinoTest, SyntaxErrorShowsTheLineWithACaretAndExits1) {
    peer.enqueue({page("05_syntax_error_FAILED.json")});
    auto r = sql({"-e", "select a from t s s"});
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_EQ(r.err, "Query 20200514_063907_02437_mgdh8 failed (SYNTAX_ERROR): line 1:17: "
                     "mismatched input 's'. Expecting: ',', 'EXCEPT', 'FETCH', 'FROM', 'GROUP', "
                     "'HAVING', 'INTERSECT', 'LIMIT', 'OFFSET', 'ORDER', 'UNION', 'WHERE', <EOF>\n"
                     "select a from t s s\n"
                     "                ^\n");
    // On the second line of a statement (errorLocation 1:15 of the Python client's capture).
    peer.enqueue({page("07_pyclient_select_p0_post_QUEUED.json"),
                  page("09_pyclient_error_FAILED_errorLocation.json")});
    r = sql({"-e", "select * from nation"});
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_NE(r.err.find("failed (SYNTAX_ERROR): line 1:15: Schema must be specified when session "
                         "schema is not set\nselect * from nation\n              ^\n"),
              std::string::npos)
        << r.err;
}

TEST_F(SqlTrinoTest, UpdatesPrintTheirSummaryAndAreFollowedToTheEndNotCancelled) {
    const std::string f = "11_SYNTHETIC_pyclient_insert_updateCount_sequence.json";
    peer.enqueue({{.body = TrinoPeer::fixture_member(f, "post_response")},
                  {.body = TrinoPeer::fixture_member(f, "get_1_response")},
                  {.body = TrinoPeer::fixture_member(f, "get_2_response")}});
    auto r = sql({"-e", "INSERT INTO t SELECT * FROM u"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.out, "");
    EXPECT_EQ(r.err, "INSERT: 1000 rows\n");
    EXPECT_EQ(peer.requests("GET").size(), 2u);
    EXPECT_EQ(peer.requests("DELETE").size(), 0u);

    peer.enqueue({page("06_update_PREPARE_FINISHED.json")});
    r = sql({"-e", "PREPARE q FROM SELECT 1"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.err, "PREPARE\n");
}

TEST_F(SqlTrinoTest, SessionHeadersSetByOneStatementGoWithTheNext) {
    PeerStep use = page("10_trino_golden_single_page_FINISHED.json");
    use.headers = {{"X-Trino-Set-Catalog", "hive"},
                   {"X-Trino-Set-Schema", "bronze"},
                   {"X-Trino-Set-Session", "query_max_run_time=2h"},
                   {"X-Trino-Started-Transaction-Id", "txn-42"},
                   {"X-Trino-Added-Prepare", "q1=SELECT+1"}};
    PeerStep clear = page("10_trino_golden_single_page_FINISHED.json");
    clear.headers = {{"X-Trino-Clear-Session", "query_max_run_time"},
                     {"X-Trino-Clear-Transaction-Id", "true"},
                     {"X-Trino-Deallocated-Prepare", "q1"}};
    peer.enqueue({use});
    peer.enqueue({clear});
    peer.enqueue({page("10_trino_golden_single_page_FINISHED.json")});
    auto r = sql({"--catalog", "iceberg", "--schema", "silver", "--session", "join_distribution_type=BROADCAST",
                  "-e", "USE hive.bronze; START TRANSACTION; SELECT 1"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    auto posts = peer.requests("POST");
    ASSERT_EQ(posts.size(), 3u);
    EXPECT_EQ(posts[0].header("X-Trino-User"), "operator");
    EXPECT_EQ(posts[0].header("X-Trino-Source"), "ebapctl");
    EXPECT_NE(posts[0].header("X-Trino-Client-Capabilities"), "");
    EXPECT_EQ(posts[0].header("X-Trino-Catalog"), "iceberg");
    EXPECT_EQ(posts[0].header("X-Trino-Schema"), "silver");
    EXPECT_EQ(posts[0].header("X-Trino-Session"), "join_distribution_type=BROADCAST");
    EXPECT_EQ(posts[0].header("X-Trino-Transaction-Id"), "NONE");
    EXPECT_EQ(posts[1].header("X-Trino-Catalog"), "hive");
    EXPECT_EQ(posts[1].header("X-Trino-Schema"), "bronze");
    auto sessions = posts[1].all("X-Trino-Session");
    EXPECT_EQ(sessions.size(), 2u);
    EXPECT_NE(std::find(sessions.begin(), sessions.end(), "query_max_run_time=2h"), sessions.end());
    EXPECT_EQ(posts[1].header("X-Trino-Transaction-Id"), "txn-42");
    // Sent as q1=SELECT%201; cpp-httplib decodes header values before the peer sees them.
    EXPECT_EQ(posts[1].header("X-Trino-Prepared-Statement"), "q1=SELECT 1");
    EXPECT_EQ(posts[2].all("X-Trino-Session").size(), 1u);
    EXPECT_EQ(posts[2].header("X-Trino-Transaction-Id"), "NONE");
    EXPECT_EQ(posts[2].header("X-Trino-Prepared-Statement"), "");
    EXPECT_EQ(posts[2].header("X-Trino-Catalog"), "hive");
}

TEST_F(SqlTrinoTest, RetriesUnavailableThrottledEmptyAndDroppedAnswers) {
    peer.enqueue({fault(503), page("01_select_p0_post_QUEUED.json"),
                  fault(429, {{"Retry-After", "1"}}), {.empty = true}, {.drop = true},
                  fault(502), fault(504), page("10_trino_golden_single_page_FINISHED.json")});
    auto r = sql({"-e", "SELECT 123", "--format", "csv"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.out, "\"123\"\n");
    EXPECT_EQ(peer.requests("POST").size(), 2u);
    EXPECT_EQ(peer.requests("GET").size(), 6u);
}

TEST_F(SqlTrinoTest, RetriesEndAtTheDeadlineAndOtherStatusesFailAtOnce) {
    std::vector<PeerStep> unavailable(200, fault(503));
    peer.enqueue(unavailable);
    auto r = sql({"-e", "SELECT 1"}, "", {}, "timeout_ms = 1000");
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_NE(r.err.find("gave up after"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("(trino.timeout_ms): HTTP 503"), std::string::npos) << r.err;

    peer.reset();
    PeerStep denied = fault(401);
    denied.body = "Unauthorized: the password is wrong";
    peer.enqueue({denied});
    r = sql({"-e", "SELECT 1"});
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_NE(r.err.find("HTTP 401: Unauthorized: the password is wrong"), std::string::npos) << r.err;
}

// Retry-After may be an HTTP date (RFC 9110): one an hour ahead is beyond the one-second
// deadline, so the client gives up after that single answer instead of retrying with its
// own backoff until the deadline.
TEST_F(SqlTrinoTest, RetryAfterAsAnHttpDateIsHonoured) {
    char date[64];
    const std::time_t later = std::time(nullptr) + 3600;
    std::tm tm{};
    gmtime_r(&later, &tm);
    std::strftime(date, sizeof date, "%a, %d %b %Y %H:%M:%S GMT", &tm);
    std::vector<PeerStep> throttled(50, fault(429, {{"Retry-After", date}}));
    peer.enqueue(throttled);
    auto r = sql({"-e", "SELECT 1"}, "", {}, "timeout_ms = 1000");
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_NE(r.err.find("gave up after 1 attempt in"), std::string::npos) << r.err;
    EXPECT_EQ(peer.requests("POST").size(), 1u);

    // A date already past: retried at once, and the statement goes through.
    peer.reset();
    peer.enqueue({fault(503, {{"Retry-After", "Wed, 21 Oct 2015 07:28:00 GMT"}}),
                  page("10_trino_golden_single_page_FINISHED.json")});
    r = sql({"-e", "SELECT 123", "--format", "csv"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.out, "\"123\"\n");
}

// X-Trino-Time-Zone: trino.time_zone, else this machine's zone (TZ here); a POSIX rule
// that names no zone is not sent.
TEST_F(SqlTrinoTest, TheSessionTimeZoneIsSent) {
    for (int i = 0; i < 3; ++i) peer.enqueue({page("10_trino_golden_single_page_FINISHED.json")});
    auto r = sql({"-e", "SELECT 1"}, "", {{"TZ", "Asia/Kolkata"}}, "time_zone = \"Europe/Berlin\"");
    EXPECT_EQ(r.exit_code, 0) << r.err;
    r = sql({"-e", "SELECT 1"}, "", {{"TZ", ":America/Argentina/Salta"}});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    r = sql({"-e", "SELECT 1"}, "", {{"TZ", "EST5EDT"}});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    const auto posts = peer.requests("POST");
    ASSERT_EQ(posts.size(), 3u);
    EXPECT_EQ(posts[0].header("X-Trino-Time-Zone"), "Europe/Berlin");
    EXPECT_EQ(posts[1].header("X-Trino-Time-Zone"), "America/Argentina/Salta");
    EXPECT_EQ(posts[2].header("X-Trino-Time-Zone"), "");
}

TEST_F(SqlTrinoTest, PasswordRefusedOverHttpAndNeverShown) {
    peer.enqueue({page("10_trino_golden_single_page_FINISHED.json")});
    auto r = sql({"-e", "SELECT 1"}, "", {{"TRINO_PASSWORD", "s3cr3t-pw"}});
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_NE(r.err.find("refusing to send the Trino password over plain http"), std::string::npos)
        << r.err;
    EXPECT_EQ(peer.requests().size(), 0u);
    EXPECT_EQ((r.out + r.err).find("s3cr3t-pw"), std::string::npos);

    r = sql({"--insecure-password", "-e", "SELECT 1"}, "", {{"TRINO_PASSWORD", "s3cr3t-pw"}});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    ASSERT_EQ(peer.requests("POST").size(), 1u);
    // Basic base64("operator:s3cr3t-pw")
    EXPECT_EQ(peer.requests("POST")[0].header("Authorization"), "Basic b3BlcmF0b3I6czNjcjN0LXB3");
    EXPECT_EQ((r.out + r.err).find("s3cr3t-pw"), std::string::npos);

    // A URL with the password in it, unreachable: the message masks it.
    r = sql({"-e", "SELECT 1"}, "", {{"TRINO_URL", "https://operator:s3cr3t-pw@127.0.0.1:1"}});
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_EQ((r.out + r.err).find("s3cr3t-pw"), std::string::npos) << r.err;
}

TEST_F(SqlTrinoTest, TlsIsVerifiedWithTheCaFile) {
    // The peer speaks plain http: https to it fails in the handshake, a CA file that does
    // not exist is refused before any request.
    auto r = sql({"-e", "SELECT 1"}, "", {{"TRINO_URL", "https://127.0.0.1:" + std::to_string(peer.port())}});
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_NE(r.err.find("trino https://127.0.0.1:"), std::string::npos) << r.err;
    r = sql({"--ca-file", dir.file("nope.pem"), "-e", "SELECT 1"});
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_NE(r.err.find("--ca-file " + dir.file("nope.pem") + ": No such file"), std::string::npos) << r.err;
}

TEST_F(SqlTrinoTest, SpooledResultsAreRefused) {
    auto doc = nlohmann::json::parse(TrinoPeer::fixture("10_trino_golden_single_page_FINISHED.json"));
    doc["data"] = {{"encoding", "json+zstd"}, {"segments", nlohmann::json::array()}};
    peer.enqueue({{.body = doc.dump()}});
    auto r = sql({"-e", "SELECT 1"});
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_EQ(r.err, "spooled results are not supported\n");
}

TEST_F(SqlTrinoTest, StatementsFromStdinAndFilesSplitOutsideQuotesAndComments) {
    for (int i = 0; i < 3; ++i) peer.enqueue({page("10_trino_golden_single_page_FINISHED.json")});
    auto r = sql({"--format", "csv"},
                 "SELECT ';' AS a; -- a comment; with a semicolon\n"
                 "SELECT \"x;y\" FROM t /* ; */;\nSELECT 3\n");
    EXPECT_EQ(r.exit_code, 0) << r.err;
    auto posts = peer.requests("POST");
    ASSERT_EQ(posts.size(), 3u);
    EXPECT_EQ(posts[0].body, "SELECT ';' AS a");
    EXPECT_EQ(posts[1].body, "-- a comment; with a semicolon\nSELECT \"x;y\" FROM t /* ; */");
    EXPECT_EQ(posts[2].body, "SELECT 3");
    EXPECT_EQ(r.out, "\"123\"\n\"123\"\n\"123\"\n");
}

TEST_F(SqlTrinoTest, AFailedStatementStopsAFileUnlessIgnoreErrors) {
    const std::string file = dir.file("batch.sql");
    std::ofstream(file) << "SELECT 1;\nselect a from t s s;\nSELECT 3;\n";
    auto script = [&] {
        peer.enqueue({page("10_trino_golden_single_page_FINISHED.json")});
        peer.enqueue({page("05_syntax_error_FAILED.json")});
        peer.enqueue({page("10_trino_golden_single_page_FINISHED.json")});
    };
    script();
    auto r = sql({"-f", file, "--format", "csv"});
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_EQ(peer.requests("POST").size(), 2u);
    EXPECT_EQ(r.out, "\"123\"\n");

    peer.reset();
    script();
    r = sql({"-f", file, "--format", "csv", "--ignore-errors"});
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_EQ(r.out, "\"123\"\n\"123\"\n");

    // --json: the failure as the error document on stdout.
    peer.reset();
    peer.enqueue({page("05_syntax_error_FAILED.json")});
    test::CliResult j = test::run_argv({EBAPCTL_BIN, "--config", config(), "--json", "sql", "-e", "x"},
                                       env());
    EXPECT_EQ(j.exit_code, 1);
    auto doc = nlohmann::json::parse(j.out);
    EXPECT_EQ(doc["ok"], false);
    EXPECT_EQ(doc["error"]["command"], "sql");
    EXPECT_NE(doc["error"]["message"].get<std::string>().find("SYNTAX_ERROR"), std::string::npos);
}

TEST_F(SqlTrinoTest, BadInputIsAUsageErrorNamingWhatAndWhere) {
    auto r = sql({"-e", "SELECT 1", "--format", "xml"});
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_NE(r.err.find("must be one of aligned, vertical, auto, csv"), std::string::npos) << r.err;
    r = sql({"-e", "SELECT 1", "--session", "novalue"});
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_NE(r.err.find("must be NAME=VALUE, got 'novalue'"), std::string::npos) << r.err;
    r = sql({"-f", dir.file("missing.sql")});
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_NE(r.err.find("-f " + dir.file("missing.sql") + ": cannot read: No such file"),
              std::string::npos) << r.err;
    r = sql({"-e", "SELECT 1", "--engine", "mysql"});
    EXPECT_EQ(r.exit_code, 2);
    r = sql({"-e", "SELECT 1"}, "", {}, "[sql]\nengine = \"oracle\"");
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_NE(r.err.find("ebapctl.toml:5: key 'sql.engine' must be trino or postgres, got 'oracle'"),
              std::string::npos) << r.err;
    r = sql({}, "  -- nothing\n");
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_NE(r.err.find("standard input: no SQL statement"), std::string::npos) << r.err;
    EXPECT_EQ(peer.requests().size(), 0u);
}

// Starts ebapctl sql with its output in files, for the tests that send it signals.
struct Running {
    pid_t pid = -1;
    std::string out, err;
    int wait() {
        int status = 0;
        waitpid(pid, &status, 0);
        return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    }
};

Running start(const std::vector<std::string>& argv, const test::TempDir& dir,
              const std::map<std::string, std::string>& env) {
    Running r{-1, dir.file("out.txt"), dir.file("err.txt")};
    const int out = open(r.out.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    const int err = open(r.err.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    SpawnOptions opts;
    opts.death_signal = SIGKILL;
    for (const auto& [k, v] : env) opts.env.push_back(v == "<unset>" ? k : k + "=" + v);
    r.pid = start_child(argv, opts, {.in_fd = -1, .out_fd = out, .err_fd = err});
    close(out);
    close(err);
    return r;
}

// Waits (a hang guard, not a timing check) until the peer has answered `n` GETs.
void await_gets(const TrinoPeer& peer, std::size_t n) {
    for (int i = 0; i < 3000 && peer.requests("GET").size() < n; ++i)
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
}

TEST_F(SqlTrinoTest, CtrlCSendsDeleteToTheCurrentNextUriAndReportsTheAbort) {
    PeerStep running = page("03_select_pN_RUNNING_with_data.json");
    running.forever = true; // a query that never finishes
    running.delay_ms = 50;
    peer.enqueue({page("01_select_p0_post_QUEUED.json"), running});
    Running child = start({EBAPCTL_BIN, "--config", config(), "sql", "-e", "SELECT * FROM forever",
                           "--format", "csv"},
                          dir, env());
    await_gets(peer, 3);
    kill(child.pid, SIGINT);
    EXPECT_EQ(child.wait(), 1);
    EXPECT_EQ(slurp(child.err), "Query aborted by user\n");
    auto deletes = peer.requests("DELETE");
    ASSERT_EQ(deletes.size(), 1u);
    // The DELETE went to the nextUri the last answer named (TearDown: the peer checked
    // every path it was asked for against the ones it handed out).
    EXPECT_EQ(deletes[0].path.rfind("/v1/statement/20200602_030730_01456_2587f/", 0), 0u)
        << deletes[0].path;
    const std::string rows = slurp(child.out);
    EXPECT_GE(std::count(rows.begin(), rows.end(), '\n'), 2);
}

TEST_F(SqlTrinoTest, ASecondCtrlCExitsAtOnce) {
    PeerStep running = page("03_select_pN_RUNNING_with_data.json");
    running.forever = true;
    peer.enqueue({page("01_select_p0_post_QUEUED.json"), running});
    peer.set_delete_delay(60000); // a coordinator that never answers the cancel
    Running child = start({EBAPCTL_BIN, "--config", config(), "sql", "-e", "SELECT 1"}, dir, env());
    await_gets(peer, 2);
    kill(child.pid, SIGINT);
    for (int i = 0; i < 3000 && peer.requests("DELETE").empty(); ++i)
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    ASSERT_EQ(peer.requests("DELETE").size(), 1u);
    kill(child.pid, SIGINT);
    EXPECT_EQ(child.wait(), 130);
    peer.set_delete_delay(0);
}

TEST_F(SqlTrinoTest, AMillionRowsStreamPageByPage) {
    // Synthetic pages (the peer writes them), 10000 rows each; peak RSS is measured in
    // bench/sql_bench.sh, not here.
    peer.enqueue({{.rows = 1000000, .page_rows = 10000}});
    auto r = sql({"-e", "SELECT * FROM big", "--format", "csv-unquoted"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(std::count(r.out.begin(), r.out.end(), '\n'), 1000000);
    EXPECT_EQ(r.out.substr(0, 48), "0,user-0,0.25,false,\n1,user-1,1.25,true,n1\n2,use");
    EXPECT_EQ(peer.requests("GET").size(), 99u);
}

} // namespace
} // namespace ebap
