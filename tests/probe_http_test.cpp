// HTTP probe kinds against a local server that answers with each service's real
// response shape (and a wrong one), plus refused/silent endpoints and round timing.
#include "core/probe/probe.hpp"
#include "support/ports.hpp"
#include "support/silent_listener.hpp"

#include <gtest/gtest.h>
#include <httplib.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <optional>
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
        {"kafka-connect", "/failed", Health::Degraded, "task ebap-users-cdc/1 FAILED"},
        {"kafka-connect", "/paused", Health::Degraded, "connector ebap-s3-sink PAUSED"},
        {"kafka-connect", "/names", Health::Degraded, "plain name list"},
        {"minio", "/good", Health::Up, "live"},
        {"minio", "/down", Health::Down, "HTTP 503 from minio /minio/health/live"},
        {"spark", "/good", Health::Up, "1 worker, 2/4 cores used, 1 app running"},
        {"spark", "/noworkers", Health::Degraded, "0 alive workers"},
        {"spark", "/standby", Health::Degraded, "master is STANDBY"},
        {"spark", "/redirect", Health::Up, "1 worker"},
        {"flink", "/good", Health::Up, "2 taskmanagers, 5/8 slots free, 1 job running"},
        {"flink", "/notm", Health::Degraded, "0 taskmanagers"},
        {"flink", "/bad", Health::Degraded, "\"taskmanagers\""},
        {"grafana", "/good", Health::Up, "Grafana 10.2.3, database ok"},
        {"grafana", "/failing", Health::Down, "database failing (HTTP 503)"},
        {"prometheus", "/good", Health::Up, "ready"},
        {"prometheus", "/down", Health::Down, "HTTP 503 from prometheus /-/ready"},
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
        meet.expected = 7;
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
    EXPECT_EQ(meet.arrived, 7);
    EXPECT_EQ(meet.max_in_flight, 7) << "the probes of one round did not overlap";
    std::sort(meet.paths.begin(), meet.paths.end());
    EXPECT_EQ(meet.paths, (std::vector<std::string>{"/meet/-/ready", "/meet/api/health",
                                                    "/meet/cmd0", "/meet/cmd1", "/meet/overview",
                                                    "/meet/v1/info", "/meet/x"}));
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
