// What each service's HTTP answer means: UP, DEGRADED (answers, but not as a
// healthy instance of that service would) or DOWN, with a reason in one line.
#include "core/probe/probe_kinds.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <map>
#include <optional>

namespace ebap::probe_detail {
namespace {

using json = nlohmann::json;

std::optional<long long> num(const json& j, const char* key) {
    auto it = j.find(key);
    if (it == j.end() || !it->is_number()) return std::nullopt;
    return it->get<long long>();
}

std::string str(const json& j, const char* key) {
    auto it = j.find(key);
    return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

std::string plural(long long n, const char* noun) {
    return fmt::format("{} {}{}", n, noun, n == 1 ? "" : "s");
}

// Non-2xx: 5xx means the service is failing (DOWN); anything else means it
// answers but refuses us (auth, wrong path): DEGRADED.
std::optional<Verdict> bad_status(const HttpReply& r) {
    if (r.status >= 200 && r.status < 300) return std::nullopt;
    std::string detail = fmt::format("HTTP {} from {}", r.status, r.what);
    if (auto s = one_line(r.body, 80); !s.empty()) detail += ": " + s;
    return Verdict{r.status >= 500 ? Health::Down : Health::Degraded, detail};
}

std::optional<json> parse(const HttpReply& r) {
    json j = json::parse(r.body, nullptr, false);
    if (j.is_discarded()) return std::nullopt;
    return j;
}

Verdict shape(const HttpReply& r, const std::string& problem) {
    return {Health::Degraded, r.what + ": " + problem};
}

// Up to three problems in one line, then how many more.
std::string summarize(const std::vector<std::string>& problems) {
    std::string detail = problems.empty() ? "" : problems[0];
    for (std::size_t i = 1; i < problems.size() && i < 3; ++i)
        detail += "; " + problems[i];
    if (problems.size() > 3) detail += fmt::format(" (+{} more)", problems.size() - 3);
    return detail;
}

std::string header(const HttpReply& r, const char* name) {
    auto it = r.headers.find(name);
    return it == r.headers.end() ? std::string() : it->second;
}

// A JSON answer of the kind's second request, when it came and parsed.
std::optional<json> also_json(const HttpReply& r) {
    if (!r.also || !r.also->error.empty() || r.also->status < 200 || r.also->status >= 300)
        return std::nullopt;
    return parse(*r.also);
}

// /v1/info/state answers a JSON string: ACTIVE, SHUTTING_DOWN, DRAINING, ... ("" if unknown).
std::string trino_state(const HttpReply& r) {
    auto j = also_json(r);
    return j && j->is_string() ? j->get<std::string>() : std::string();
}

Verdict trino(const HttpReply& r) {
    auto j = parse(r);
    if (!j) return shape(r, "body is not JSON");
    if (!j->is_object() || !j->contains("starting") || !(*j)["starting"].is_boolean())
        return shape(r, "expected a JSON object with a boolean \"starting\"");
    std::string version = "?";
    if (auto nv = j->find("nodeVersion"); nv != j->end() && nv->is_object())
        version = str(*nv, "version");
    if ((*j)["starting"].get<bool>())
        return {Health::Degraded, fmt::format("Trino {} is starting", version)};
    const bool worker_expected = r.spec && r.spec->role == "worker";
    if (auto c = j->find("coordinator");
        c != j->end() && c->is_boolean() && c->get<bool>() == worker_expected)
        return {Health::Degraded,
                fmt::format("Trino {} is a {} (coordinator: {}), expected a {}", version,
                            worker_expected ? "coordinator" : "worker", c->dump(),
                            worker_expected ? "worker" : "coordinator")};
    if (auto state = trino_state(r); !state.empty() && state != "ACTIVE")
        return {Health::Degraded, state == "SHUTTING_DOWN"
                                      ? fmt::format("Trino {} is shutting down", version)
                                      : fmt::format("Trino {} is {}", version, state)};
    std::string detail = fmt::format("Trino {}", version);
    if (auto env = str(*j, "environment"); !env.empty()) detail += ", env " + env;
    if (auto up = str(*j, "uptime"); !up.empty()) detail += ", up " + up;
    return {Health::Up, detail};
}

Verdict schema_registry(const HttpReply& r) {
    auto j = parse(r);
    if (!j) return shape(r, "body is not JSON");
    if (j->is_object() && j->contains("error_code"))
        return shape(r, fmt::format("error {} {}", (*j)["error_code"].dump(), str(*j, "message")));
    if (!j->is_array()) return shape(r, "expected a JSON array of subject names");
    return {Health::Up, plural(static_cast<long long>(j->size()), "subject")};
}

bool is_bad_state(const std::string& s) {
    return s == "FAILED" || s == "PAUSED" || s == "STOPPED";
}

// " (first line of the trace)" when there is one, the exception's package dropped:
// "org.apache.kafka.connect.errors.ConnectException: x" -> "ConnectException: x".
std::string trace_line(const json& status) {
    std::string line = str(status, "trace");
    line = line.substr(0, line.find('\n'));
    if (line.empty()) return "";
    auto colon = line.find(": ");
    std::string type = line.substr(0, colon);
    if (type.find(' ') == std::string::npos && type.rfind('.') != std::string::npos)
        line = line.substr(type.rfind('.') + 1);
    return " (" + one_line(line, 100) + ")";
}

std::int64_t grace_ms(const HttpReply& r) {
    return r.spec && r.spec->unassigned_grace_ms > 0 ? r.spec->unassigned_grace_ms
                                                     : kDefaultUnassignedGraceMs;
}

// One pass over /connectors?expand=status: problems, and the UNASSIGNED ones by name.
struct ConnectScan {
    std::vector<std::string> problems;
    std::vector<std::string> unassigned; // "connector NAME" / "task NAME/ID"
    long long running = 0, pending = 0;
};

void scan_tasks(const std::string& name, const json& st, ConnectScan& scan) {
    auto tasks = st.find("tasks");
    if (tasks == st.end() || !tasks->is_array()) return;
    for (const auto& task : *tasks) {
        if (!task.is_object()) continue;
        std::string tstate = str(task, "state");
        std::string id =
            fmt::format("task {}/{}", name, task.contains("id") ? task["id"].dump() : "?");
        if (tstate == "UNASSIGNED") scan.unassigned.push_back(id);
        if (tstate == "FAILED" || tstate == "PAUSED")
            scan.problems.push_back(id + " " + tstate + trace_line(task));
    }
}

void scan_connector(const std::string& name, const json& entry, ConnectScan& scan) {
    const json* st = entry.is_object() && entry.contains("status") ? &entry["status"] : nullptr;
    if (!st || !st->is_object()) {
        scan.problems.push_back(fmt::format("connector {} has no status", name));
        return;
    }
    const json* conn =
        st->contains("connector") && (*st)["connector"].is_object() ? &(*st)["connector"] : nullptr;
    std::string state = conn ? str(*conn, "state") : std::string();
    if (state == "RUNNING")
        ++scan.running;
    else if (is_bad_state(state))
        scan.problems.push_back(fmt::format("connector {} {}{}", name, state,
                                            conn ? trace_line(*conn) : std::string()));
    else
        ++scan.pending; // UNASSIGNED/RESTARTING: transient during rebalances
    if (state == "UNASSIGNED") scan.unassigned.push_back("connector " + name);
    scan_tasks(name, *st, scan);
}

// UNASSIGNED past the grace period, measured across rounds from when it was first seen.
void judge_unassigned(const HttpReply& r, ConnectScan& scan) {
    const std::int64_t now = epoch_ms();
    const std::int64_t grace = grace_ms(r);
    auto since = seen_since(memory_scope(*r.spec), scan.unassigned, now);
    for (const auto& [item, first] : since)
        if (now - first > grace)
            scan.problems.push_back(
                fmt::format("{} UNASSIGNED for {:.1f} s", item, (now - first) / 1000.0));
}

Verdict kafka_connect(const HttpReply& r) {
    auto j = parse(r);
    if (!j) return shape(r, "body is not JSON");
    if (j->is_array())
        return shape(r, "got a plain name list: this Connect worker ignores ?expand=status");
    if (!j->is_object()) return shape(r, "expected a JSON object keyed by connector name");
    ConnectScan scan;
    if (r.spec)
        for (const auto& name : r.spec->connectors)
            if (!j->contains(name))
                scan.problems.push_back("expected connector " + name + " missing");
    for (const auto& [name, entry] : j->items())
        scan_connector(name, entry, scan);
    if (r.spec) judge_unassigned(r, scan);
    if (!scan.problems.empty()) return {Health::Degraded, summarize(scan.problems)};
    std::string detail = plural(scan.running, "connector") + " running";
    if (scan.pending > 0) detail += fmt::format(", {} starting", scan.pending);
    return {Health::Up, detail};
}

// MinIO answers /minio/health/live 200 even before its object layer is up; the
// x-minio-server-status header says "offline" then.
Verdict minio(const HttpReply& r) {
    if (auto status = header(r, "x-minio-server-status"); !status.empty())
        return {Health::Degraded, status + ": object layer not initialized (starting?)"};
    return {Health::Up, "live"};
}

// /minio/health/cluster: 200 with write quorum; 503 with x-minio-server-status while
// initializing, or with x-minio-write-quorum when too few drives are online to write.
Verdict minio_cluster(const HttpReply& r) {
    std::string quorum = header(r, "x-minio-write-quorum");
    std::string healing = header(r, "x-minio-healing-drives");
    if (r.status >= 200 && r.status < 300) {
        std::string detail = "write quorum ok";
        if (!quorum.empty()) detail += " (" + quorum + " drives needed)";
        if (!healing.empty()) detail += ", " + healing + " drives healing";
        return {Health::Up, detail};
    }
    if (auto status = header(r, "x-minio-server-status"); !status.empty())
        return {Health::Degraded, status + ": object layer not initialized (starting?)"};
    if (r.status == 503 && !quorum.empty())
        return {Health::Down, "no write quorum: fewer than " + quorum + " drives online"};
    return *bad_status(r);
}

// Spark's ApplicationState: WAITING (no executors yet), RUNNING, FINISHED, FAILED, KILLED.
std::string app_state(const json& apps, const std::string& name) {
    std::string state;
    for (const auto& app : apps)
        if (app.is_object() && str(app, "name") == name) {
            state = str(app, "state");
            if (state == "RUNNING") break;
        }
    return state;
}

std::vector<std::string> missing_apps(const HttpReply& r, const json& apps) {
    std::vector<std::string> problems;
    if (!r.spec) return problems;
    for (const auto& name : r.spec->apps) {
        std::string state = app_state(apps, name);
        if (state.empty())
            problems.push_back("expected app " + name + " is not running");
        else if (state != "RUNNING")
            problems.push_back("app " + name + " is " + state);
    }
    return problems;
}

Verdict spark(const HttpReply& r) {
    auto j = parse(r);
    if (!j) return shape(r, "body is not JSON");
    if (!j->is_object() || str(*j, "status").empty())
        return shape(r, "expected a JSON object with \"status\" (is this a Spark master?)");
    auto alive = num(*j, "aliveworkers");
    if (!alive) {
        long long n = 0;
        if (auto w = j->find("workers"); w != j->end() && w->is_array())
            for (const auto& worker : *w)
                n += worker.is_object() && str(worker, "state") == "ALIVE";
        alive = n;
    }
    std::string status = str(*j, "status");
    if (status != "ALIVE") return {Health::Degraded, "master is " + status};
    if (*alive == 0) return {Health::Degraded, "master ALIVE but 0 alive workers"};
    json apps = j->contains("activeapps") && (*j)["activeapps"].is_array() ? (*j)["activeapps"]
                                                                           : json::array();
    if (auto problems = missing_apps(r, apps); !problems.empty())
        return {Health::Degraded, summarize(problems)};
    long long running = 0, waiting = 0;
    for (const auto& app : apps) {
        running += app.is_object() && str(app, "state") == "RUNNING";
        waiting += app.is_object() && str(app, "state") == "WAITING";
    }
    std::string detail = fmt::format("{}, {}/{} cores used, {} running", plural(*alive, "worker"),
                                     num(*j, "coresused").value_or(0), num(*j, "cores").value_or(0),
                                     plural(running, "app"));
    if (waiting > 0) detail += fmt::format(", {} waiting", waiting);
    return {Health::Up, detail};
}

bool is_bad_job(const std::string& s) {
    return s == "RESTARTING" || s == "FAILING" || s == "FAILED";
}

// Each job name's latest run (by start-time) from /jobs/overview: a job that failed and
// was resubmitted counts by its new run.
std::map<std::string, std::string> latest_job_states(const json& overview) {
    std::map<std::string, std::pair<long long, std::string>> latest;
    auto jobs = overview.is_object() ? overview.find("jobs") : overview.end();
    if (jobs == overview.end() || !jobs->is_array()) return {};
    for (const auto& job : *jobs) {
        if (!job.is_object()) continue;
        std::string name = str(job, "name");
        long long started = num(job, "start-time").value_or(0);
        auto it = latest.find(name);
        if (it == latest.end() || started >= it->second.first)
            latest[name] = {started, str(job, "state")};
    }
    std::map<std::string, std::string> out;
    for (const auto& [name, run] : latest)
        out[name] = run.second;
    return out;
}

// "jobs-running" counts running and pending jobs together (Flink's JobsOverview); the
// job list splits them when it came.
std::string flink_jobs(const json& j, const std::map<std::string, std::string>& states,
                       bool have_list) {
    if (!have_list)
        return plural(num(j, "jobs-running").value_or(0), "job") + " running or pending";
    long long running = 0, pending = 0;
    for (const auto& [name, state] : states) {
        running += state == "RUNNING";
        pending += state == "CREATED" || state == "INITIALIZING" || state == "RECONCILING";
    }
    std::string out = plural(running, "job") + " running";
    if (pending > 0) out += fmt::format(", {} pending", pending);
    return out;
}

Verdict flink(const HttpReply& r) {
    auto j = parse(r);
    if (!j) return shape(r, "body is not JSON");
    auto tms = j->is_object() ? num(*j, "taskmanagers") : std::nullopt;
    if (!tms)
        return shape(r,
                     "expected a JSON object with \"taskmanagers\" (is this a Flink JobManager?)");
    std::vector<std::string> problems;
    if (*tms == 0) problems.push_back("0 taskmanagers: jobs cannot run");
    auto list = also_json(r);
    auto states = list ? latest_job_states(*list) : std::map<std::string, std::string>{};
    for (const auto& [name, state] : states)
        if (is_bad_job(state)) problems.push_back("job " + name + " " + state);
    long long failed = num(*j, "jobs-failed").value_or(0);
    if (auto before = r.spec ? exchange_counter(memory_scope(*r.spec), failed) : std::nullopt;
        before && failed > *before)
        problems.push_back(fmt::format("jobs-failed rose from {} to {} since the previous round",
                                       *before, failed));
    if (!problems.empty()) return {Health::Degraded, summarize(problems)};
    return {Health::Up,
            fmt::format("{}, {}/{} slots free, {}", plural(*tms, "taskmanager"),
                        num(*j, "slots-available").value_or(0), num(*j, "slots-total").value_or(0),
                        flink_jobs(*j, states, list.has_value()))};
}

Verdict grafana(const HttpReply& r) {
    // Grafana answers 503 with the same JSON when its database fails: read it first.
    auto j = parse(r);
    if (j && j->is_object() && j->contains("database")) {
        std::string db = str(*j, "database");
        std::string version = str(*j, "version");
        if (db == "ok" && r.status >= 200 && r.status < 300)
            return {Health::Up,
                    fmt::format("Grafana {}, database ok", version.empty() ? "?" : version)};
        return {r.status >= 500 ? Health::Down : Health::Degraded,
                fmt::format("database {} (HTTP {})", db.empty() ? "?" : db, r.status)};
    }
    if (auto bad = bad_status(r)) return *bad;
    if (!j) return shape(r, "body is not JSON");
    return shape(r, "expected a JSON object with \"database\"");
}

// Prometheus answers /-/ready 503 "Service Unavailable" until its TSDB is open (WAL replay)
// and again while it shuts down (X-Prometheus-Stopping: true): it answers, so DEGRADED.
Verdict prometheus(const HttpReply& r) {
    if (r.status >= 200 && r.status < 300) return {Health::Up, "ready"};
    if (r.status == 503)
        return {Health::Degraded, header(r, "x-prometheus-stopping") == "true"
                                      ? "stopping (not ready)"
                                      : "starting (not ready: replaying its WAL?)"};
    auto bad = bad_status(r);
    return {Health::Degraded, bad->detail};
}

Verdict iceberg_rest(const HttpReply& r) {
    auto j = parse(r);
    if (!j) return shape(r, "body is not JSON");
    auto obj = [&](const char* key) {
        return j->is_object() && j->contains(key) && (*j)[key].is_object();
    };
    if (!obj("defaults") && !obj("overrides"))
        return shape(r, "expected a JSON object with \"defaults\"/\"overrides\" (is this an "
                        "Iceberg REST catalog?)");
    std::string detail = fmt::format(
        "catalog config: {}, {}", plural(obj("defaults") ? (*j)["defaults"].size() : 0, "default"),
        plural(obj("overrides") ? (*j)["overrides"].size() : 0, "override"));
    if (j->contains("endpoints") && (*j)["endpoints"].is_array())
        detail += ", " + plural(static_cast<long long>((*j)["endpoints"].size()), "endpoint");
    return {Health::Up, detail};
}

Verdict generic(const HttpReply& r) {
    const ProbeSpec& spec = *r.spec;
    bool ok =
        spec.expect_status ? r.status == spec.expect_status : r.status >= 200 && r.status < 300;
    if (!ok) {
        std::string expected = spec.expect_status ? std::to_string(spec.expect_status) : "2xx";
        std::string detail =
            fmt::format("HTTP {} from {} (expected {})", r.status, r.what, expected);
        if (auto s = one_line(r.body, 80); !s.empty()) detail += ": " + s;
        return {r.status >= 500 ? Health::Down : Health::Degraded, detail};
    }
    if (!spec.expect_body.empty() && r.body.find(spec.expect_body) == std::string::npos)
        return {Health::Degraded, fmt::format("HTTP {} but body lacks \"{}\"", r.status,
                                              one_line(spec.expect_body, 60))};
    return {Health::Up, fmt::format("HTTP {}", r.status)};
}

// Runners of the kinds that are not HTTP (the HTTP ones go through one curl multi).
ProbeResult run_tcp(const ProbeSpec& s, const ProbeOptions&, int t) { return probe_tcp(s, t); }
ProbeResult run_command(const ProbeSpec& s, const ProbeOptions&, int t) {
    return probe_command(s, t);
}
ProbeResult run_kafka(const ProbeSpec& s, const ProbeOptions&, int t) {
    return probe_kafka(s, t);
}

// The one table of probe kinds. Spark's master serves its JSON at "/json/" ("/json" is a
// redirect to it).
const ProbeKind kKinds[] = {
    {{"kafka", EndpointForm::KafkaBootstrap, nullptr}, run_kafka, nullptr, false, nullptr},
    {{"redis", EndpointForm::HostPort, nullptr}, probe_redis, nullptr, false, nullptr},
    {{"postgres", EndpointForm::HostPort, nullptr}, probe_postgres, nullptr, false, nullptr},
    {{"trino", EndpointForm::HttpUrl, "/v1/info"}, nullptr, trino, false, "/v1/info/state"},
    {{"schema-registry", EndpointForm::HttpUrl, "/subjects"},
     nullptr,
     schema_registry,
     false,
     nullptr},
    {{"kafka-connect", EndpointForm::HttpUrl, "/connectors?expand=status"},
     nullptr,
     kafka_connect,
     false,
     nullptr},
    {{"minio", EndpointForm::HttpUrl, "/minio/health/live"}, nullptr, minio, false, nullptr},
    {{"minio-cluster", EndpointForm::HttpUrl, "/minio/health/cluster"},
     nullptr,
     minio_cluster,
     true,
     nullptr},
    {{"spark", EndpointForm::HttpUrl, "/json/"}, nullptr, spark, false, nullptr},
    {{"flink", EndpointForm::HttpUrl, "/overview"}, nullptr, flink, false, "/jobs/overview"},
    {{"grafana", EndpointForm::HttpUrl, "/api/health"}, nullptr, grafana, true, nullptr},
    {{"prometheus", EndpointForm::HttpUrl, "/-/ready"}, nullptr, prometheus, true, nullptr},
    {{"iceberg-rest", EndpointForm::HttpUrl, "/v1/config"}, nullptr, iceberg_rest, false, nullptr},
    {{"http", EndpointForm::HttpUrl, ""}, nullptr, generic, true, nullptr},
    {{"tcp", EndpointForm::HostPort, nullptr}, run_tcp, nullptr, false, nullptr},
    {{"command", EndpointForm::None, nullptr}, run_command, nullptr, false, nullptr},
};

} // namespace

const ProbeKind* find_kind(std::string_view name) {
    for (const auto& k : kKinds)
        if (name == k.info.name) return &k;
    return nullptr;
}

bool is_http_kind(const std::string& kind) {
    const ProbeKind* k = find_kind(kind);
    return k && k->judge;
}

const char* http_path(const std::string& kind) {
    const ProbeKind* k = find_kind(kind);
    return k && k->info.http_path ? k->info.http_path : "";
}

const char* also_path(const std::string& kind) {
    const ProbeKind* k = find_kind(kind);
    return k ? k->also_path : nullptr;
}

Verdict judge_http(const HttpReply& reply) {
    const ProbeKind* c = find_kind(reply.kind);
    if (!c || !c->judge) return {Health::Unknown, "not an HTTP probe kind: " + reply.kind};
    if (!c->own_status)
        if (auto bad = bad_status(reply)) return *bad;
    return c->judge(reply);
}

} // namespace ebap::probe_detail

namespace ebap {

const ProbeKindInfo* find_probe_kind(std::string_view name) {
    const probe_detail::ProbeKind* k = probe_detail::find_kind(name);
    return k ? &k->info : nullptr;
}

const std::vector<std::string>& probe_kind_names() {
    static const std::vector<std::string> names = [] {
        std::vector<std::string> v;
        for (const auto& k : probe_detail::kKinds)
            v.push_back(k.info.name);
        return v;
    }();
    return names;
}

} // namespace ebap
