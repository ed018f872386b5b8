// What each service's HTTP answer means: UP, DEGRADED (answers, but not as a
// healthy instance of that service would) or DOWN, with a reason in one line.
#include "core/probe/probe_kinds.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

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

Verdict kafka_connect(const HttpReply& r) {
    auto j = parse(r);
    if (!j) return shape(r, "body is not JSON");
    if (j->is_array())
        return shape(r, "got a plain name list: this Connect worker ignores ?expand=status");
    if (!j->is_object()) return shape(r, "expected a JSON object keyed by connector name");
    std::vector<std::string> problems;
    long long running = 0, pending = 0;
    for (const auto& [name, entry] : j->items()) {
        const json* st = entry.is_object() && entry.contains("status") ? &entry["status"] : nullptr;
        if (!st || !st->is_object()) {
            problems.push_back(fmt::format("connector {} has no status", name));
            continue;
        }
        std::string state = st->contains("connector") && (*st)["connector"].is_object()
                                ? str((*st)["connector"], "state")
                                : std::string();
        if (state == "RUNNING")
            ++running;
        else if (is_bad_state(state))
            problems.push_back(fmt::format("connector {} {}", name, state));
        else
            ++pending; // UNASSIGNED/RESTARTING: transient during rebalances
        auto tasks = st->find("tasks");
        if (tasks == st->end() || !tasks->is_array()) continue;
        for (const auto& task : *tasks) {
            if (!task.is_object()) continue;
            std::string tstate = str(task, "state");
            if (tstate != "FAILED" && tstate != "PAUSED") continue;
            std::string id = task.contains("id") ? task["id"].dump() : "?";
            std::string msg = fmt::format("task {}/{} {}", name, id, tstate);
            if (auto trace = str(task, "trace"); !trace.empty())
                msg += " (" + one_line(trace.substr(0, trace.find('\n')), 80) + ")";
            problems.push_back(msg);
        }
    }
    if (!problems.empty()) {
        std::string detail = problems[0];
        for (std::size_t i = 1; i < problems.size() && i < 3; ++i)
            detail += "; " + problems[i];
        if (problems.size() > 3) detail += fmt::format(" (+{} more)", problems.size() - 3);
        return {Health::Degraded, detail};
    }
    std::string detail = plural(running, "connector") + " running";
    if (pending > 0) detail += fmt::format(", {} starting", pending);
    return {Health::Up, detail};
}

Verdict minio(const HttpReply&) {
    return {Health::Up, "live"};
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
    long long apps = 0;
    if (auto a = j->find("activeapps"); a != j->end() && a->is_array())
        apps = static_cast<long long>(a->size());
    return {Health::Up, fmt::format("{}, {}/{} cores used, {} running", plural(*alive, "worker"),
                                    num(*j, "coresused").value_or(0), num(*j, "cores").value_or(0),
                                    plural(apps, "app"))};
}

Verdict flink(const HttpReply& r) {
    auto j = parse(r);
    if (!j) return shape(r, "body is not JSON");
    auto tms = j->is_object() ? num(*j, "taskmanagers") : std::nullopt;
    if (!tms)
        return shape(r,
                     "expected a JSON object with \"taskmanagers\" (is this a Flink JobManager?)");
    if (*tms == 0) return {Health::Degraded, "0 taskmanagers: jobs cannot run"};
    return {Health::Up,
            fmt::format("{}, {}/{} slots free, {} running", plural(*tms, "taskmanager"),
                        num(*j, "slots-available").value_or(0), num(*j, "slots-total").value_or(0),
                        plural(num(*j, "jobs-running").value_or(0), "job"))};
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

Verdict prometheus(const HttpReply&) {
    return {Health::Up, "ready"};
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
    {{"kafka", EndpointForm::KafkaBootstrap, nullptr}, run_kafka, nullptr, false},
    {{"redis", EndpointForm::HostPort, nullptr}, probe_redis, nullptr, false},
    {{"postgres", EndpointForm::HostPort, nullptr}, probe_postgres, nullptr, false},
    {{"trino", EndpointForm::HttpUrl, "/v1/info"}, nullptr, trino, false},
    {{"schema-registry", EndpointForm::HttpUrl, "/subjects"}, nullptr, schema_registry, false},
    {{"kafka-connect", EndpointForm::HttpUrl, "/connectors?expand=status"}, nullptr,
     kafka_connect, false},
    {{"minio", EndpointForm::HttpUrl, "/minio/health/live"}, nullptr, minio, false},
    {{"spark", EndpointForm::HttpUrl, "/json/"}, nullptr, spark, false},
    {{"flink", EndpointForm::HttpUrl, "/overview"}, nullptr, flink, false},
    {{"grafana", EndpointForm::HttpUrl, "/api/health"}, nullptr, grafana, true},
    {{"prometheus", EndpointForm::HttpUrl, "/-/ready"}, nullptr, prometheus, false},
    {{"iceberg-rest", EndpointForm::HttpUrl, "/v1/config"}, nullptr, iceberg_rest, false},
    {{"http", EndpointForm::HttpUrl, ""}, nullptr, generic, true},
    {{"tcp", EndpointForm::HostPort, nullptr}, run_tcp, nullptr, false},
    {{"command", EndpointForm::None, nullptr}, run_command, nullptr, false},
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
