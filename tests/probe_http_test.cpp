// HTTP probe kinds against a local server that answers with each service's real
// response shape (and a wrong one), plus refused/silent endpoints and round timing.
#include "core/probe/probe.hpp"
#include "support/ports.hpp"
#include "support/silent_listener.hpp"

#include <gtest/gtest.h>
#include <httplib.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <regex>
#include <thread>

namespace ebap {
namespace {

using Clock = std::chrono::steady_clock;

// Bodies as the real services send them (Trino 435, Confluent SR 7.x, Kafka
// Connect 3.x, Spark 3.5 master, Flink 1.18, Grafana 10, Iceberg REST).
const char* kTrinoInfo =
    R"({"nodeVersion":{"version":"435"},"environment":"docker","coordinator":true,"starting":false,"uptime":"5.20m"})";
const char* kTrinoStarting =
    R"({"nodeVersion":{"version":"435"},"environment":"docker","coordinator":true,"starting":true,"uptime":"3.01s"})";
const char* kSubjects = R"(["ebap.events.raw-value","ebap.cdc.users-key","ebap.cdc.users-value"])";
const char* kConnectOk = R"({
  "ebap-users-cdc":{"status":{"name":"ebap-users-cdc","connector":{"state":"RUNNING","worker_id":"10.0.0.5:8083"},
    "tasks":[{"id":0,"state":"RUNNING","worker_id":"10.0.0.5:8083"}],"type":"source"}},
  "ebap-s3-sink":{"status":{"name":"ebap-s3-sink","connector":{"state":"RUNNING","worker_id":"10.0.0.6:8083"},
    "tasks":[{"id":0,"state":"RUNNING","worker_id":"10.0.0.6:8083"},{"id":1,"state":"RUNNING","worker_id":"10.0.0.5:8083"}],
    "type":"sink"}}})";
const char* kConnectTaskFailed = R"({
  "ebap-users-cdc":{"status":{"name":"ebap-users-cdc","connector":{"state":"RUNNING","worker_id":"10.0.0.5:8083"},
    "tasks":[{"id":0,"state":"RUNNING","worker_id":"10.0.0.5:8083"},
             {"id":1,"state":"FAILED","worker_id":"10.0.0.5:8083",
              "trace":"org.apache.kafka.connect.errors.ConnectException: replication slot \"debezium\" is active\n\tat io.debezium..."}],
    "type":"source"}}})";
const char* kConnectPaused = R"({
  "ebap-s3-sink":{"status":{"name":"ebap-s3-sink","connector":{"state":"PAUSED","worker_id":"10.0.0.6:8083"},
    "tasks":[{"id":0,"state":"PAUSED","worker_id":"10.0.0.6:8083"}],"type":"sink"}}})";
const char* kSparkMaster = R"({"url":"spark://spark-master:7077","workers":[
  {"id":"worker-20240101120000-172.18.0.5-35000","host":"172.18.0.5","port":35000,"webuiaddress":"http://172.18.0.5:8081",
   "cores":4,"coresused":2,"coresfree":2,"memory":6144,"memoryused":1024,"memoryfree":5120,"resources":{},
   "resourcesused":{},"resourcesfree":{},"state":"ALIVE","lastheartbeat":1704110400000}],
  "aliveworkers":1,"cores":4,"coresused":2,"memory":6144,"memoryused":1024,"resources":[],"resourcesused":[],
  "activeapps":[{"id":"app-20240101120500-0000","starttime":1704110700000,"name":"ebap-batch","cores":2,"user":"spark",
   "memoryperexecutor":1024,"memoryperslave":1024,"resourcesperexecutor":[],"resourcesperslave":[],
   "submitdate":"Mon Jan 01 12:05:00 UTC 2024","state":"RUNNING","duration":60000}],
  "completedapps":[],"activedrivers":[],"completeddrivers":[],"status":"ALIVE"})";
const char* kSparkNoWorkers =
    R"({"url":"spark://spark-master:7077","workers":[],"aliveworkers":0,"cores":0,
  "coresused":0,"memory":0,"memoryused":0,"activeapps":[],"completedapps":[],"activedrivers":[],
  "completeddrivers":[],"status":"ALIVE"})";
const char* kSparkStandby =
    R"({"url":"spark://spark-master-2:7077","workers":[],"aliveworkers":0,"cores":0,
  "coresused":0,"memory":0,"memoryused":0,"activeapps":[],"completedapps":[],"status":"STANDBY"})";
const char* kFlinkOverview =
    R"({"taskmanagers":2,"slots-total":8,"slots-available":5,"jobs-running":1,
  "jobs-finished":3,"jobs-cancelled":0,"jobs-failed":0,"flink-version":"1.18.1","flink-commit":"a8c8b1c"})";
const char* kFlinkNoTm = R"({"taskmanagers":0,"slots-total":0,"slots-available":0,"jobs-running":0,
  "jobs-finished":0,"jobs-cancelled":0,"jobs-failed":0,"flink-version":"1.18.1","flink-commit":"a8c8b1c"})";
const char* kGrafanaOk = R"({"commit":"5a30620b85","database":"ok","version":"10.2.3"})";
const char* kGrafanaFailing = R"({"commit":"5a30620b85","database":"failing","version":"10.2.3"})";
const char* kIcebergConfig =
    R"({"defaults":{"clients":"4"},"overrides":{"warehouse":"s3://warehouse/"}})";

// ---- issue #14: each verdict from the service's own behaviour ----
// Kafka Connect REST API (https://kafka.apache.org/documentation/#connect_rest,
// connect/runtime/.../rest/resources/ConnectorsResource.java): GET /connectors?expand=status
// maps each name to {"status": {"connector": {"state", "worker_id", "trace"?}, "tasks": [{"id",
// "state", "worker_id", "trace"?}], "type"}}; states UNASSIGNED RUNNING PAUSED FAILED RESTARTING
// STOPPED (AbstractStatus.State). A departed worker's tasks stay UNASSIGNED for up to
// scheduled.rebalance.max.delay.ms (300000) before they are reassigned.
const char* kConnectUnassigned = R"({
  "ebap-s3-sink":{"status":{"name":"ebap-s3-sink","connector":{"state":"RUNNING","worker_id":"10.0.0.6:8083"},
    "tasks":[{"id":0,"state":"UNASSIGNED","worker_id":"10.0.0.6:8083"}],"type":"sink"}}})";
const char* kConnectConnectorFailed = R"({
  "ebap-users-cdc":{"status":{"name":"ebap-users-cdc","connector":{"state":"FAILED","worker_id":"10.0.0.5:8083",
    "trace":"org.apache.kafka.connect.errors.ConnectException: Unable to connect to postgres:5432\n\tat io.debezium.connector.postgresql.PostgresConnector.validate"},
    "tasks":[],"type":"source"}}})";
// Spark master /json/ (core/.../deploy/JsonProtocol.scala writeMasterState; ApplicationState
// WAITING RUNNING FINISHED FAILED KILLED UNKNOWN): an app without executors is WAITING.
const char* kSparkWaiting = R"({"url":"spark://spark-master:7077","workers":[
  {"id":"worker-20240101120000-172.18.0.5-35000","host":"172.18.0.5","port":35000,"cores":4,"coresused":4,
   "coresfree":0,"memory":6144,"memoryused":6144,"memoryfree":0,"state":"ALIVE","lastheartbeat":1704110400000}],
  "aliveworkers":1,"cores":4,"coresused":4,"memory":6144,"memoryused":6144,
  "activeapps":[{"id":"app-20240101120500-0001","starttime":1704110700000,"name":"ebap-streaming","cores":2,
   "user":"spark","memoryperexecutor":1024,"submitdate":"Mon Jan 01 12:05:00 UTC 2024","state":"WAITING","duration":60000}],
  "completedapps":[],"activedrivers":[],"completeddrivers":[],"status":"ALIVE"})";
// Flink REST (docs/content/docs/ops/rest_api.md; runtime/.../messages/webmonitor/JobsOverview.java:
// "jobs-running" is numJobsRunningOrPending; JobDetails in /jobs/overview carry "jid", "name",
// "state" (JobStatus: INITIALIZING CREATED RUNNING FAILING FAILED CANCELLING CANCELED FINISHED
// RESTARTING SUSPENDED RECONCILING), "start-time", "end-time", "tasks").
const char* kFlinkTwoJobs =
    R"({"taskmanagers":2,"slots-total":8,"slots-available":4,"jobs-running":2,
  "jobs-finished":0,"jobs-cancelled":0,"jobs-failed":1,"flink-version":"1.18.1","flink-commit":"a8c8b1c"})";
const char* kFlinkJobsRestarting = R"({"jobs":[
  {"jid":"3f1b2c4d5e6f708192a3b4c5d6e7f809","name":"ebap-enrich","start-time":1704110700000,"end-time":-1,
   "duration":120000,"state":"RESTARTING","last-modification":1704110820000,
   "tasks":{"total":4,"created":0,"scheduled":0,"deploying":0,"running":0,"finished":0,"canceling":0,
            "canceled":4,"failed":0,"reconciling":0,"initializing":0}},
  {"jid":"0a1b2c3d4e5f60718293a4b5c6d7e8f9","name":"ebap-sessions","start-time":1704110600000,"end-time":-1,
   "duration":220000,"state":"RUNNING","last-modification":1704110610000,
   "tasks":{"total":2,"created":0,"scheduled":0,"deploying":0,"running":2,"finished":0,"canceling":0,
            "canceled":0,"failed":0,"reconciling":0,"initializing":0}}]})";
const char* kFlinkJobsPendingAndResubmitted = R"({"jobs":[
  {"jid":"11111111111111111111111111111111","name":"ebap-enrich","start-time":1704110000000,"end-time":1704110500000,
   "duration":500000,"state":"FAILED","last-modification":1704110500000,"tasks":{"total":4,"failed":1}},
  {"jid":"22222222222222222222222222222222","name":"ebap-enrich","start-time":1704110600000,"end-time":-1,
   "duration":220000,"state":"RUNNING","last-modification":1704110610000,"tasks":{"total":4,"running":4}},
  {"jid":"33333333333333333333333333333333","name":"ebap-sessions","start-time":1704110800000,"end-time":-1,
   "duration":1000,"state":"INITIALIZING","last-modification":1704110800000,"tasks":{"total":2,"initializing":2}}]})";
// Trino core/trino-main/.../server/ServerInfoResource.java: GET /v1/info is ServerInfo
// {nodeVersion, environment, coordinator, starting, uptime}; GET /v1/info/state is the
// NodeState as a JSON string (ACTIVE, SHUTTING_DOWN, DRAINING, ...); graceful shutdown
// (docs/src/main/sphinx/admin/graceful-shutdown.md) puts a worker in SHUTTING_DOWN.
const char* kTrinoWorker =
    R"({"nodeVersion":{"version":"435"},"environment":"docker","coordinator":false,"starting":false,"uptime":"2.00h"})";

// Requests under /meet/ wait until `expected` of them are in flight at once (or a
// generous hang guard passes) and then all answer 200. Run one after another, the
// probes could never meet: the first would wait alone until the guard.
struct Rendezvous {
    std::mutex mu;
    std::condition_variable cv;
    int expected = 0;
    int in_flight = 0;
    int max_in_flight = 0;
    int arrived = 0;
    std::vector<std::string> paths;
    std::optional<Clock::time_point> give_up; // set by the first arrival

    void handle(const httplib::Request& req, httplib::Response& res) {
        std::unique_lock lock(mu);
        ++arrived;
        ++in_flight;
        max_in_flight = std::max(max_in_flight, in_flight);
        paths.push_back(req.path);
        if (!give_up) give_up = Clock::now() + std::chrono::seconds(20);
        cv.notify_all();
        cv.wait_until(lock, *give_up, [&] { return arrived >= expected; });
        --in_flight;
        lock.unlock();
        if (req.path == "/meet/v1/info")
            res.set_content(kTrinoInfo, "application/json");
        else if (req.path == "/meet/overview")
            res.set_content(kFlinkOverview, "application/json");
        else if (req.path == "/meet/api/health")
            res.set_content(kGrafanaOk, "application/json");
        else
            res.set_content("ok", "text/plain");
    }
};

class HttpProbeTest : public ::testing::Test {
  protected:
    void SetUp() override {
        auto json = [](const char* body, int status = 200) {
            return [body, status](const httplib::Request&, httplib::Response& res) {
                res.status = status;
                res.set_content(body, "application/json");
            };
        };
        auto text = [](const char* body, int status = 200, const char* type = "text/plain") {
            return [body, status, type](const httplib::Request&, httplib::Response& res) {
                res.status = status;
                res.set_content(body, type);
            };
        };
        svr_.Get("/good/v1/info", json(kTrinoInfo));
        svr_.Get("/starting/v1/info", json(kTrinoStarting));
        svr_.Get("/html/v1/info", text("<html><body>Sign in</body></html>", 200, "text/html"));
        svr_.Get("/down/v1/info", text("Service Unavailable", 503));
        svr_.Get("/nofield/v1/info", json(R"({"nodeVersion":{"version":"435"}})"));

        svr_.Get("/good/subjects", json(kSubjects));
        svr_.Get("/bad/subjects", json(R"({"subjects":["a"]})"));

        // Like Kafka Connect: without ?expand=status it answers a plain name list.
        auto connect = [](const char* body) {
            return [body](const httplib::Request& req, httplib::Response& res) {
                if (req.get_param_value("expand") == "status")
                    res.set_content(body, "application/json");
                else
                    res.set_content(R"(["ebap-users-cdc","ebap-s3-sink"])", "application/json");
            };
        };
        svr_.Get("/good/connectors", connect(kConnectOk));
        svr_.Get("/failed/connectors", connect(kConnectTaskFailed));
        svr_.Get("/paused/connectors", connect(kConnectPaused));
        svr_.Get("/names/connectors", json(R"(["ebap-users-cdc"])"));

        svr_.Get("/good/minio/health/live", text(""));
        svr_.Get("/down/minio/health/live", text("", 503));

        svr_.Get("/good/json/", json(kSparkMaster));
        svr_.Get("/noworkers/json/", json(kSparkNoWorkers));
        svr_.Get("/standby/json/", json(kSparkStandby));
        svr_.Get("/redirect/json", [](const httplib::Request&, httplib::Response& res) {
            res.set_redirect("/good/json/"); // Spark answers "/json" with a redirect to "/json/"
        });
        svr_.Get("/redirect/json/", [](const httplib::Request&, httplib::Response& res) {
            res.set_redirect("/good/json/");
        });

        svr_.Get("/good/overview", json(kFlinkOverview));
        svr_.Get("/notm/overview", json(kFlinkNoTm));
        svr_.Get("/bad/overview", json(R"({"jobs":[]})"));

        svr_.Get("/good/api/health", json(kGrafanaOk));
        svr_.Get("/failing/api/health", json(kGrafanaFailing, 503));

        svr_.Get("/good/-/ready", text("Prometheus Server is Ready.\n"));
        svr_.Get("/down/-/ready", text("Service Unavailable", 503));

        svr_.Get("/good/v1/config", json(kIcebergConfig));
        svr_.Get("/bad/v1/config", json(R"({"message":"hello"})"));
        svr_.Get(
            "/auth/v1/config",
            json(
                R"({"error":{"message":"Not authorized","type":"NotAuthorizedException","code":401}})",
                401));

        svr_.Get("/health", text("status=green"));
        svr_.Get("/boom", text("internal error", 500));

        // MinIO cmd/healthcheck-handler.go: LivenessCheckHandler answers 200 but sets
        // x-minio-server-status: offline while the object layer is not up; ClusterCheckHandler
        // answers 503 with that header before quorum is known, and 503 with
        // x-minio-write-quorum when the cluster lacks write quorum (docs/metrics/healthcheck).
        auto headed = [](int status, std::vector<std::pair<std::string, std::string>> headers,
                         const char* body = "") {
            return [status, headers, body](const httplib::Request&, httplib::Response& res) {
                res.status = status;
                for (const auto& [k, v] : headers)
                    res.set_header(k, v);
                res.set_content(body, "text/plain");
            };
        };
        svr_.Get("/offline/minio/health/live", headed(200, {{"X-Minio-Server-Status", "offline"}}));
        svr_.Get("/good/minio/health/cluster",
                 headed(200, {{"X-Minio-Write-Quorum", "3"},
                              {"X-Minio-Storage-Class-Defaults", "true"}}));
        svr_.Get("/healing/minio/health/cluster",
                 headed(200, {{"X-Minio-Write-Quorum", "3"}, {"X-Minio-Healing-Drives", "1"}}));
        svr_.Get("/noquorum/minio/health/cluster",
                 headed(503, {{"X-Minio-Write-Quorum", "3"},
                              {"X-Minio-Storage-Class-Defaults", "true"}}));
        svr_.Get("/starting/minio/health/cluster",
                 headed(503, {{"X-Minio-Server-Status", "offline"}}));
        // Prometheus web/web.go testReady: 503 "Service Unavailable" until the TSDB is open
        // (WAL replay), X-Prometheus-Stopping: true while it shuts down.
        svr_.Get("/starting/-/ready",
                 headed(503, {{"X-Prometheus-Stopping", "false"}}, "Service Unavailable"));
        svr_.Get("/stopping/-/ready",
                 headed(503, {{"X-Prometheus-Stopping", "true"}}, "Service Unavailable"));

        svr_.Get("/empty/connectors", connect("{}"));
        svr_.Get("/unassigned/connectors", connect(kConnectUnassigned));
        svr_.Get("/connfailed/connectors", connect(kConnectConnectorFailed));

        svr_.Get("/waiting/json/", json(kSparkWaiting));

        svr_.Get("/restarting/overview", json(kFlinkTwoJobs));
        svr_.Get("/restarting/jobs/overview", json(kFlinkJobsRestarting));
        svr_.Get("/pending/overview", json(kFlinkTwoJobs));
        svr_.Get("/pending/jobs/overview", json(kFlinkJobsPendingAndResubmitted));
        // jobs-failed 0, then 1, then 1: a job failed between the first and second round.
        svr_.Get("/failing/overview", [this](const httplib::Request&, httplib::Response& res) {
            std::string body = kFlinkOverview;
            if (flink_calls_++ > 0)
                body.replace(body.find("\"jobs-failed\":0"), 15, "\"jobs-failed\":1");
            res.set_content(body, "application/json");
        });

        svr_.Get("/worker/v1/info", json(kTrinoWorker));
        svr_.Get("/worker/v1/info/state", json(R"("ACTIVE")"));
        svr_.Get("/shutting/v1/info", json(kTrinoWorker));
        svr_.Get("/shutting/v1/info/state", json(R"("SHUTTING_DOWN")"));
        svr_.Get("/good/v1/info/state", json(R"("ACTIVE")"));

        svr_.Get(R"(/meet/.*)", [this](const httplib::Request& req, httplib::Response& res) {
            meet_.handle(req, res);
        });

        // Each probe stands for a separate service: serve them all at once.
        svr_.new_task_queue = [] { return new httplib::ThreadPool(48); };
        port_ = svr_.bind_to_any_port("127.0.0.1");
        ASSERT_GT(port_, 0);
        thread_ = std::thread([this] { svr_.listen_after_bind(); });
        auto deadline = Clock::now() + std::chrono::seconds(5);
        while (!svr_.is_running() && Clock::now() < deadline)
            std::this_thread::sleep_for(std::chrono::milliseconds(5));
        ASSERT_TRUE(svr_.is_running());
    }

    void TearDown() override {
        svr_.stop();
        if (thread_.joinable()) thread_.join();
    }

    std::string base(const std::string& prefix = "") const {
        return "http://127.0.0.1:" + std::to_string(port_) + prefix;
    }

    static ProbeTarget target(const std::string& kind, const std::string& endpoint,
                              int timeout_ms = 3000) {
        ProbeTarget t;
        t.service = kind;
        t.spec.kind = kind;
        t.spec.endpoint = endpoint;
        t.spec.timeout_ms = timeout_ms;
        return t;
    }

    Rendezvous meet_;
    std::atomic<int> flink_calls_{0};
    httplib::Server svr_;
    std::thread thread_;
    int port_ = 0;
};

struct Case {
    std::string kind;
    std::string prefix;
    Health state;
    std::string detail; // substring the detail must contain
};

TEST_F(HttpProbeTest, EveryKindJudgesRealAndWrongShapesInOneRound) {
    const std::vector<Case> cases = {
        {"trino", "/good", Health::Up, "Trino 435, env docker, up 5.20m"},
        {"trino", "/starting", Health::Degraded, "Trino 435 is starting"},
        {"trino", "/html", Health::Degraded, "trino /v1/info: body is not JSON"},
        {"trino", "/down", Health::Down, "HTTP 503 from trino /v1/info: Service Unavailable"},
        {"trino", "/nofield", Health::Degraded, "boolean \"starting\""},
        {"schema-registry", "/good", Health::Up, "3 subjects"},
        {"schema-registry", "/bad", Health::Degraded, "expected a JSON array"},
        {"kafka-connect", "/good", Health::Up, "2 connectors running"},
        {"kafka-connect", "/failed", Health::Degraded,
         "task ebap-users-cdc/1 FAILED (ConnectException: replication slot \"debezium\" is "
         "active)"},
        {"kafka-connect", "/paused", Health::Degraded, "connector ebap-s3-sink PAUSED"},
        {"kafka-connect", "/names", Health::Degraded, "plain name list"},
        {"minio", "/good", Health::Up, "live"},
        {"minio", "/down", Health::Down, "HTTP 503 from minio /minio/health/live"},
        {"spark", "/good", Health::Up, "1 worker, 2/4 cores used, 1 app running"},
        {"spark", "/noworkers", Health::Degraded, "0 alive workers"},
        {"spark", "/standby", Health::Degraded, "master is STANDBY"},
        {"spark", "/redirect", Health::Up, "1 worker"},
        {"flink", "/good", Health::Up, "2 taskmanagers, 5/8 slots free, 1 job running or pending"},
        {"flink", "/notm", Health::Degraded, "0 taskmanagers"},
        {"flink", "/bad", Health::Degraded, "\"taskmanagers\""},
        {"grafana", "/good", Health::Up, "Grafana 10.2.3, database ok"},
        {"grafana", "/failing", Health::Down, "database failing (HTTP 503)"},
        {"prometheus", "/good", Health::Up, "ready"},
        {"prometheus", "/down", Health::Degraded, "starting (not ready"},
        {"iceberg-rest", "/good", Health::Up, "1 default, 1 override"},
        {"iceberg-rest", "/bad", Health::Degraded, "\"defaults\""},
        {"iceberg-rest", "/auth", Health::Degraded, "HTTP 401 from iceberg-rest /v1/config"},
    };
    std::vector<ProbeTarget> targets;
    for (const auto& c : cases)
        targets.push_back(target(c.kind, base(c.prefix)));
    auto results = probe_round(targets, ProbeOptions{});
    ASSERT_EQ(results.size(), cases.size());
    for (std::size_t i = 0; i < cases.size(); ++i) {
        SCOPED_TRACE(cases[i].kind + " " + cases[i].prefix + ": " + results[i].detail);
        EXPECT_EQ(health_name(results[i].state), std::string(health_name(cases[i].state)));
        EXPECT_NE(results[i].detail.find(cases[i].detail), std::string::npos);
        EXPECT_GT(results[i].at_ms, 0);
        EXPECT_GT(results[i].latency_ms, 0);
    }
}

TEST_F(HttpProbeTest, EndpointMayAlreadyNameThePath) {
    auto r = probe_round(
        {target("trino", base("/good/v1/info")), target("kafka-connect", base("/good/")),
         target("kafka-connect", base("/good/connectors")), target("spark", base("/redirect/json")),
         target("flink", "127.0.0.1:" + std::to_string(port_) + "/good")},
        {});
    ASSERT_EQ(r.size(), 5u);
    EXPECT_EQ(r[0].state, Health::Up) << r[0].detail;
    EXPECT_EQ(r[1].state, Health::Up) << r[1].detail;
    EXPECT_EQ(r[2].state, Health::Up) << r[2].detail; // ?expand=status still added
    EXPECT_EQ(r[3].state, Health::Up) << r[3].detail; // "/json" kept, its redirect followed
    EXPECT_EQ(r[4].state, Health::Up) << r[4].detail; // no scheme: http://
}

TEST_F(HttpProbeTest, GenericHttpChecksStatusAndBody) {
    auto plain = target("http", base("/health"));
    auto body_ok = plain;
    body_ok.spec.expect_body = "green";
    auto body_bad = plain;
    body_bad.spec.expect_body = "blue";
    auto status_bad = plain;
    status_bad.spec.expect_status = 204;
    auto missing = target("http", base("/nothing-here"));
    auto boom = target("http", base("/boom"));
    auto r = probe_round({plain, body_ok, body_bad, status_bad, missing, boom}, {});
    EXPECT_EQ(r[0].state, Health::Up);
    EXPECT_EQ(r[0].detail, "HTTP 200");
    EXPECT_EQ(r[1].state, Health::Up);
    EXPECT_EQ(r[2].state, Health::Degraded);
    EXPECT_NE(r[2].detail.find("body lacks \"blue\""), std::string::npos) << r[2].detail;
    EXPECT_EQ(r[3].state, Health::Degraded);
    EXPECT_NE(r[3].detail.find("HTTP 200 from " + base("/health") + " (expected 204)"),
              std::string::npos)
        << r[3].detail;
    EXPECT_EQ(r[4].state, Health::Degraded);
    EXPECT_NE(r[4].detail.find("HTTP 404"), std::string::npos) << r[4].detail;
    EXPECT_EQ(r[5].state, Health::Down);
    EXPECT_NE(r[5].detail.find("HTTP 500"), std::string::npos) << r[5].detail;
}

TEST_F(HttpProbeTest, CredentialsInTheUrlAreNeverShown) {
    auto t = target("http", "http://admin:s3cret@127.0.0.1:" + std::to_string(port_) + "/boom");
    auto r = probe_round({t}, {});
    EXPECT_EQ(r[0].state, Health::Down);
    EXPECT_EQ(r[0].detail.find("s3cret"), std::string::npos) << r[0].detail;
    EXPECT_NE(r[0].detail.find("****@"), std::string::npos) << r[0].detail;
}

TEST(HttpProbe, RefusedPortIsDownWithReason) {
    int port = test::free_port(); // nothing listens there
    ProbeTarget t;
    t.service = "trino";
    t.spec.kind = "trino";
    t.spec.endpoint = "http://127.0.0.1:" + std::to_string(port);
    auto r = probe_round({t}, {});
    EXPECT_EQ(r[0].state, Health::Down);
    EXPECT_EQ(r[0].detail, "connection refused");
}

using test::SilentListener;

TEST(HttpProbe, SilentServerIsDownWithItsOwnDeadlineAsTheReason) {
    // The round comes back (a hang would be the test binary's timeout), and the reason
    // names the spec's 400 ms: that deadline fired, not the 2 s default of ProbeOptions.
    SilentListener silent;
    ProbeTarget t;
    t.service = "grafana";
    t.spec.kind = "grafana";
    t.spec.endpoint = "http://127.0.0.1:" + std::to_string(silent.port());
    t.spec.timeout_ms = 400;
    auto r = probe_round({t}, {});
    EXPECT_EQ(r[0].state, Health::Down);
    EXPECT_EQ(r[0].detail, "no answer within 400 ms");
}

TEST(HttpProbe, RoundTimeoutComesFromOptionsWhenSpecHasNone) {
    SilentListener silent;
    ProbeTarget t;
    t.service = "prom";
    t.spec.kind = "prometheus";
    t.spec.endpoint = "127.0.0.1:" + std::to_string(silent.port()); // scheme optional
    ProbeOptions opts;
    opts.timeout_ms = 300;
    auto r = probe_round({t}, opts);
    EXPECT_EQ(r[0].state, Health::Down);
    EXPECT_EQ(r[0].detail, "no answer within 300 ms");
}

TEST_F(HttpProbeTest, OneRoundRunsEveryProbeAtOnce) {
    // Five HTTP kinds (one curl multi loop) and two command probes (threads of their
    // own) in one round; each command makes its own HTTP request to the same server
    // with bash's /dev/tcp, so all seven meet there only if they run concurrently.
    Rendezvous& meet = meet_;
    {
        std::lock_guard lock(meet.mu);
        meet.expected = 9; // trino and flink ask two paths each
    }
    std::vector<ProbeTarget> targets = {
        target("trino", base("/meet"), 60000),   target("flink", base("/meet"), 60000),
        target("grafana", base("/meet"), 60000), target("prometheus", base("/meet"), 60000),
        target("http", base("/meet/x"), 60000),
    };
    const std::string get = R"(exec 3<>"/dev/tcp/127.0.0.1/$1" || exit 2
printf 'GET /meet/cmd%s HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n' "$2" >&3
IFS= read -r status <&3
case "$status" in *" 200 "*) echo "met"; exit 0;; *) echo "$status"; exit 1;; esac)";
    for (int i = 0; i < 2; ++i) {
        ProbeTarget cmd;
        cmd.service = "sleeper";
        cmd.spec.kind = "command";
        cmd.spec.command = {"bash", "-c", get, "bash", std::to_string(port_), std::to_string(i)};
        cmd.spec.timeout_ms = 60000;
        targets.push_back(cmd);
    }
    auto r = probe_round(targets, {});
    ASSERT_EQ(r.size(), 7u);
    for (const auto& res : r) {
        EXPECT_EQ(res.state, Health::Up) << res.detail;
        EXPECT_GT(res.latency_ms, 0);
    }
    EXPECT_EQ(r[5].detail, "met");
    EXPECT_EQ(r[6].detail, "met");
    std::lock_guard lock(meet.mu);
    EXPECT_EQ(meet.arrived, 9);
    EXPECT_EQ(meet.max_in_flight, 9) << "the probes of one round did not overlap";
    std::sort(meet.paths.begin(), meet.paths.end());
    EXPECT_EQ(meet.paths,
              (std::vector<std::string>{"/meet/-/ready", "/meet/api/health", "/meet/cmd0",
                                        "/meet/cmd1", "/meet/jobs/overview", "/meet/overview",
                                        "/meet/v1/info", "/meet/v1/info/state", "/meet/x"}));
}

ProbeResult one(const ProbeTarget& t) {
    return probe_round({t}, {}).at(0);
}

bool has(const ProbeResult& r, const std::string& part) {
    return r.detail.find(part) != std::string::npos;
}

TEST_F(HttpProbeTest, ConnectExpectedConnectorMissingIsDegraded) {
    auto plain = target("kafka-connect", base("/empty"));
    EXPECT_EQ(one(plain).state, Health::Up); // nothing expected: 0 connectors is fine
    auto expecting = plain;
    expecting.spec.connectors = {"ebap-users-cdc", "ebap-s3-sink"};
    auto r = one(expecting);
    EXPECT_EQ(r.state, Health::Degraded) << r.detail;
    EXPECT_TRUE(has(r, "expected connector ebap-users-cdc missing")) << r.detail;
    EXPECT_TRUE(has(r, "expected connector ebap-s3-sink missing")) << r.detail;
    auto present = target("kafka-connect", base("/good"));
    present.spec.connectors = {"ebap-users-cdc"};
    EXPECT_EQ(one(present).state, Health::Up);
}

TEST_F(HttpProbeTest, ConnectUnassignedPastTheGraceIsDegraded) {
    auto t = target("kafka-connect", base("/unassigned"));
    t.spec.unassigned_grace_ms = 300;
    auto first = one(t);
    EXPECT_EQ(first.state, Health::Up) << first.detail; // a rebalance may be under way
    EXPECT_TRUE(has(first, "1 starting") || has(first, "1 connector running")) << first.detail;
    std::this_thread::sleep_for(std::chrono::milliseconds(400));
    auto later = one(t);
    EXPECT_EQ(later.state, Health::Degraded) << later.detail;
    EXPECT_TRUE(std::regex_search(
        later.detail, std::regex(R"(task ebap-s3-sink/0 UNASSIGNED for [0-9]+\.[0-9] s$)")))
        << later.detail;
    // The default grace (6 min) does not flag a task seen UNASSIGNED a moment ago.
    auto fresh = target("kafka-connect", base("/unassigned/"));
    EXPECT_EQ(one(fresh).state, Health::Up);
    std::this_thread::sleep_for(std::chrono::milliseconds(400));
    EXPECT_EQ(one(fresh).state, Health::Up);
}

TEST_F(HttpProbeTest, ConnectFailedConnectorShowsItsTrace) {
    auto r = one(target("kafka-connect", base("/connfailed")));
    EXPECT_EQ(r.state, Health::Degraded) << r.detail;
    EXPECT_TRUE(has(r, "connector ebap-users-cdc FAILED (ConnectException: Unable to connect "
                       "to postgres:5432)"))
        << r.detail;
}

TEST_F(HttpProbeTest, MinioOfflineHeaderAndClusterQuorum) {
    auto offline = one(target("minio", base("/offline")));
    EXPECT_EQ(offline.state, Health::Degraded) << offline.detail;
    EXPECT_TRUE(has(offline, "offline")) << offline.detail;

    auto ok = one(target("minio-cluster", base("/good")));
    EXPECT_EQ(ok.state, Health::Up) << ok.detail;
    EXPECT_EQ(ok.detail, "write quorum ok (3 drives needed)");
    auto healing = one(target("minio-cluster", base("/healing")));
    EXPECT_EQ(healing.state, Health::Up) << healing.detail;
    EXPECT_TRUE(has(healing, "1 drives healing")) << healing.detail;
    auto no_quorum = one(target("minio-cluster", base("/noquorum")));
    EXPECT_EQ(no_quorum.state, Health::Down) << no_quorum.detail;
    EXPECT_EQ(no_quorum.detail, "no write quorum: fewer than 3 drives online");
    auto starting = one(target("minio-cluster", base("/starting")));
    EXPECT_EQ(starting.state, Health::Degraded) << starting.detail;
    EXPECT_TRUE(has(starting, "offline")) << starting.detail;
}

TEST_F(HttpProbeTest, PrometheusNotReadyIsDegradedNotDown) {
    auto starting = one(target("prometheus", base("/starting")));
    EXPECT_EQ(starting.state, Health::Degraded) << starting.detail;
    EXPECT_TRUE(has(starting, "starting")) << starting.detail;
    auto stopping = one(target("prometheus", base("/stopping")));
    EXPECT_EQ(stopping.state, Health::Degraded) << stopping.detail;
    EXPECT_TRUE(has(stopping, "stopping")) << stopping.detail;
    auto refused = target("prometheus", "http://127.0.0.1:" + std::to_string(test::free_port()));
    EXPECT_EQ(one(refused).state, Health::Down); // DOWN only when nothing answers
}

TEST_F(HttpProbeTest, FlinkJobStatesFromJobsOverview) {
    auto restarting = one(target("flink", base("/restarting")));
    EXPECT_EQ(restarting.state, Health::Degraded) << restarting.detail;
    EXPECT_EQ(restarting.detail, "job ebap-enrich RESTARTING");
    // A failed run resubmitted under the same name counts by its new run; "jobs-running" 2
    // is one running and one initializing job.
    auto pending = one(target("flink", base("/pending")));
    EXPECT_EQ(pending.state, Health::Up) << pending.detail;
    EXPECT_EQ(pending.detail, "2 taskmanagers, 4/8 slots free, 1 job running, 1 pending");
}

TEST_F(HttpProbeTest, FlinkJobsFailedGrowingSinceThePreviousRoundIsDegraded) {
    auto t = target("flink", base("/failing"));
    EXPECT_EQ(one(t).state, Health::Up);
    auto grew = one(t);
    EXPECT_EQ(grew.state, Health::Degraded) << grew.detail;
    EXPECT_EQ(grew.detail, "jobs-failed rose from 0 to 1 since the previous round");
    EXPECT_EQ(one(t).state, Health::Up); // no new failure since
}

TEST_F(HttpProbeTest, SparkExpectedAppMustBeRunningNotWaiting) {
    auto waiting = one(target("spark", base("/waiting")));
    EXPECT_EQ(waiting.state, Health::Up) << waiting.detail;
    EXPECT_TRUE(has(waiting, "0 apps running, 1 waiting")) << waiting.detail;
    auto expect_waiting = target("spark", base("/waiting"));
    expect_waiting.spec.apps = {"ebap-streaming"};
    auto r = one(expect_waiting);
    EXPECT_EQ(r.state, Health::Degraded) << r.detail;
    EXPECT_EQ(r.detail, "app ebap-streaming is WAITING");
    auto absent = target("spark", base("/good"));
    absent.spec.apps = {"ebap-streaming"};
    auto a = one(absent);
    EXPECT_EQ(a.state, Health::Degraded) << a.detail;
    EXPECT_EQ(a.detail, "expected app ebap-streaming is not running");
    auto running = target("spark", base("/good"));
    running.spec.apps = {"ebap-batch"};
    EXPECT_EQ(one(running).state, Health::Up);
}

TEST_F(HttpProbeTest, TrinoWorkerAndShuttingDownAreDegraded) {
    auto worker = one(target("trino", base("/worker")));
    EXPECT_EQ(worker.state, Health::Degraded) << worker.detail;
    EXPECT_TRUE(has(worker, "is a worker (coordinator: false), expected a coordinator"))
        << worker.detail;
    auto as_worker = target("trino", base("/worker"));
    as_worker.spec.role = "worker";
    EXPECT_EQ(one(as_worker).state, Health::Up);
    auto shutting = target("trino", base("/shutting"));
    shutting.spec.role = "worker";
    auto s = one(shutting);
    EXPECT_EQ(s.state, Health::Degraded) << s.detail;
    EXPECT_EQ(s.detail, "Trino 435 is shutting down");
    auto good = one(target("trino", base("/good")));
    EXPECT_EQ(good.state, Health::Up) << good.detail; // state ACTIVE
}

TEST(ProbeRound, UnknownKindAndMissingEndpointAreUnknownNotFatal) {
    ProbeTarget bad;
    bad.service = "x";
    bad.spec.kind = "carrier-pigeon";
    bad.spec.endpoint = "coop:1";
    ProbeTarget empty;
    empty.service = "y";
    empty.spec.kind = "trino";
    ProbeTarget badport;
    badport.service = "z";
    badport.spec.kind = "tcp";
    badport.spec.endpoint = "localhost:99999";
    auto r = probe_round({bad, empty, badport}, {});
    ASSERT_EQ(r.size(), 3u);
    EXPECT_EQ(r[0].state, Health::Unknown);
    EXPECT_NE(r[0].detail.find("carrier-pigeon"), std::string::npos);
    EXPECT_EQ(r[1].state, Health::Unknown);
    EXPECT_EQ(r[1].detail, "no endpoint configured");
    EXPECT_EQ(r[2].state, Health::Unknown);
    EXPECT_NE(r[2].detail.find("99999"), std::string::npos) << r[2].detail;
}

TEST(ProbeHistory, KeepsTheLastResultsAndWhenTheStateChanged) {
    ProbeHistory h(3);
    EXPECT_EQ(h.since_ms("kafka"), 0);
    EXPECT_TRUE(h.recent("kafka").empty());
    auto at = [](Health s, std::int64_t ms) {
        ProbeResult r;
        r.state = s;
        r.at_ms = ms;
        return r;
    };
    h.record("kafka", at(Health::Up, 1000));
    EXPECT_EQ(h.since_ms("kafka"), 1000);
    h.record("kafka", at(Health::Up, 2000));
    EXPECT_EQ(h.since_ms("kafka"), 1000);
    h.record("kafka", at(Health::Down, 3000));
    h.record("kafka", at(Health::Down, 4000));
    h.record("kafka", at(Health::Down, 5000));
    EXPECT_EQ(h.since_ms("kafka"), 3000);
    auto recent = h.recent("kafka");
    ASSERT_EQ(recent.size(), 3u);
    EXPECT_EQ(recent.front().at_ms, 3000);
    EXPECT_EQ(recent.back().at_ms, 5000);
    h.record("redis", at(Health::Degraded, 6000));
    EXPECT_EQ(h.since_ms("redis"), 6000);
    EXPECT_EQ(h.recent("kafka").size(), 3u);
}

TEST(ProbeHistory, DefaultCapacityIs120) {
    ProbeHistory h;
    for (int i = 0; i < 130; ++i) {
        ProbeResult r;
        r.state = Health::Up;
        r.at_ms = i + 1;
        h.record("s", r);
    }
    auto recent = h.recent("s");
    ASSERT_EQ(recent.size(), 120u);
    EXPECT_EQ(recent.front().at_ms, 11);
    EXPECT_EQ(h.since_ms("s"), 1);
}

TEST(ProbeRound, HealthNames) {
    EXPECT_STREQ(health_name(Health::Up), "UP");
    EXPECT_STREQ(health_name(Health::Degraded), "DEGRADED");
    EXPECT_STREQ(health_name(Health::Down), "DOWN");
    EXPECT_STREQ(health_name(Health::Unknown), "UNKNOWN");
}

} // namespace
} // namespace ebap
