// Parsing and validation of stack catalogs. Every mistake is reported with the
// file position of the offending key so an operator can fix the file directly.
#include "core/catalog/catalog.hpp"

#include "core/base/closest.hpp"
#include "core/base/host_port.hpp"
#include "core/probe/kinds.hpp"
#include "core/base/error.hpp"

#include <toml++/toml.h>

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <map>
#include <optional>

namespace ebap {
namespace {


// "external": started and stopped by something else (e.g. hosted by `ebapctl demo`);
// the console watches it but has no start/stop action for it.
const std::vector<std::string> kDrivers = {"compose", "process", "command", "external"};

const std::vector<std::string> kTopKeys = {"catalog", "stacks", "service"};
const std::vector<std::string> kCatalogKeys = {"name", "title"};
const std::vector<std::string> kStackKeys = {"driver",      "project", "compose_file", "profiles",
                                             "description", "up",      "down"};
const std::vector<std::string> kServiceKeys = {"name",
                                               "stack",
                                               "description",
                                               "probe",
                                               "endpoint",
                                               "compose_service",
                                               "expect_body",
                                               "expect_status",
                                               "timeout_ms",
                                               "command",
                                               "optional",
                                               "start",
                                               "stop",
                                               "connectors",
                                               "unassigned_grace_ms",
                                               "apps",
                                               "role",
                                               "min_insync_replicas",
                                               "max_slot_wal_bytes"};

// Keys that state what one probe kind expects: valid only with that kind.
const std::map<std::string, std::string> kKindKeys = {{"connectors", "kafka-connect"},
                                                      {"unassigned_grace_ms", "kafka-connect"},
                                                      {"apps", "spark"},
                                                      {"role", "trino"},
                                                      {"min_insync_replicas", "kafka"},
                                                      {"max_slot_wal_bytes", "postgres"}};

bool contains(const std::vector<std::string>& v, const std::string& s) {
    return std::find(v.begin(), v.end(), s) != v.end();
}

std::string join(const std::vector<std::string>& v) {
    std::string out;
    for (const auto& s : v)
        out += (out.empty() ? "" : ", ") + s;
    return out;
}

// "path:line:column" when toml++ knows the position (implicit tables have none).
std::string where(const std::string& path, const toml::source_region& at) {
    if (at.begin.line == 0) return path;
    return path + ":" + std::to_string(at.begin.line) + ":" + std::to_string(at.begin.column);
}

bool valid_name(const std::string& s) {
    return !s.empty() && std::all_of(s.begin(), s.end(), [](unsigned char c) {
        return std::isalnum(c) || c == '-' || c == '_' || c == '.';
    });
}

bool valid_kafka_bootstrap(const std::string& s) {
    std::size_t start = 0;
    while (true) {
        auto comma = s.find(',', start);
        if (!valid_host_port(s.substr(start, comma - start))) return false;
        if (comma == std::string::npos) return true;
        start = comma + 1;
    }
}

bool valid_http_url(const std::string& s) {
    std::string rest;
    if (s.rfind("http://", 0) == 0)
        rest = s.substr(7);
    else if (s.rfind("https://", 0) == 0)
        rest = s.substr(8);
    else
        return false;
    std::string authority = rest.substr(0, rest.find_first_of("/?#"));
    if (authority.empty() || authority.find_first_of(" \t@") != std::string::npos) return false;
    if (authority.back() == ']' || authority.find(':') == std::string::npos) return true;
    return valid_host_port(authority);
}

// Typed access to one TOML table; rejects unknown keys up front.
class TableReader {
  public:
    TableReader(const std::string& path, const toml::table& t, std::string what,
                const std::vector<std::string>& known)
        : path_(path), t_(t), what_(std::move(what)) {
        for (auto&& [key, value] : t_) {
            std::string k(key.str());
            if (!contains(known, k))
                throw UsageError(where(path_, key.source()) + ": unknown key '" + k + "' in " +
                                 what_ + " (did you mean '" + closest(k, known) + "'?)");
        }
    }

    const std::string& what() const { return what_; }

    [[noreturn]] void fail(const std::string& key, const std::string& msg) const {
        const toml::node* n = t_.get(key);
        throw UsageError(where(path_, n ? n->source() : t_.source()) + ": " + msg);
    }

    std::string str(const std::string& key, bool required = false) const {
        const toml::node* n = t_.get(key);
        if (!n) {
            if (required) fail(key, "missing key '" + key + "' in " + what_);
            return {};
        }
        if (!n->is_string()) fail(key, "'" + key + "' in " + what_ + " must be a string");
        return n->as_string()->get();
    }

    std::vector<std::string> strs(const std::string& key) const {
        std::vector<std::string> out;
        const toml::node* n = t_.get(key);
        if (!n) return out;
        const toml::array* a = n->as_array();
        bool ok = a && std::all_of(a->begin(), a->end(),
                                   [](const toml::node& x) { return x.is_string(); });
        if (!ok) fail(key, "'" + key + "' in " + what_ + " must be an array of strings");
        for (const auto& item : *a)
            out.push_back(item.as_string()->get());
        return out;
    }

    std::optional<std::int64_t> integer(const std::string& key) const {
        const toml::node* n = t_.get(key);
        if (!n) return std::nullopt;
        if (!n->is_integer()) fail(key, "'" + key + "' in " + what_ + " must be an integer");
        return n->as_integer()->get();
    }

    bool boolean(const std::string& key) const {
        const toml::node* n = t_.get(key);
        if (!n) return false;
        if (!n->is_boolean()) fail(key, "'" + key + "' in " + what_ + " must be true or false");
        return n->as_boolean()->get();
    }

    const toml::table* table(const std::string& key, const std::string& hint) const {
        const toml::node* n = t_.get(key);
        if (n && !n->is_table()) fail(key, "'" + key + "' must be a table (" + hint + ")");
        return n ? n->as_table() : nullptr;
    }

  private:
    const std::string& path_;
    const toml::table& t_;
    std::string what_;
};

StackSpec read_stack(const std::string& path, const std::string& name, const toml::table& t,
                     const std::string& catalog_name) {
    TableReader r(path, t, "[stacks." + name + "]", kStackKeys);
    if (!valid_name(name))
        r.fail("driver", "stack name '" + name + "' may only hold letters, digits, '-', '_', '.'");
    StackSpec s;
    s.name = name;
    s.driver = r.str("driver", true);
    if (!contains(kDrivers, s.driver))
        r.fail("driver", "unknown driver '" + s.driver + "' in " + r.what() + " (expected " +
                             join(kDrivers) + ")");
    s.project = r.str("project");
    s.compose_file = r.str("compose_file");
    s.profiles = r.strs("profiles");
    s.description = r.str("description");
    s.up = r.strs("up");
    s.down = r.strs("down");
    if (s.driver == "compose") {
        if (s.compose_file.empty()) r.str("compose_file", true);
        if (s.project.empty()) s.project = catalog_name;
    }
    if (s.driver == "command") {
        if (s.up.empty()) r.fail("up", "command driver needs 'up' (an argv) in " + r.what());
        if (s.down.empty()) r.fail("down", "command driver needs 'down' (an argv) in " + r.what());
    }
    return s;
}

// The kind-specific expectations (connectors, apps, role, ...), each checked against the kind.
void read_expectations(const TableReader& r, const toml::table& t, ProbeSpec& p) {
    for (const auto& [key, kind] : kKindKeys)
        if (t.contains(key) && p.kind != kind)
            r.fail(key, "'" + key + "' in " + r.what() + " applies only to probe '" + kind +
                            "' (this service has probe '" + p.kind + "')");
    p.connectors = r.strs("connectors");
    p.apps = r.strs("apps");
    if (auto ms = r.integer("unassigned_grace_ms")) {
        if (*ms < 0 || *ms > 86400000)
            r.fail("unassigned_grace_ms",
                   "'unassigned_grace_ms' in " + r.what() + " must be 0..86400000");
        p.unassigned_grace_ms = *ms;
    }
    p.role = r.str("role");
    if (!p.role.empty() && p.role != "coordinator" && p.role != "worker")
        r.fail("role", "'role' in " + r.what() + " must be \"coordinator\" or \"worker\"");
    if (auto n = r.integer("min_insync_replicas")) {
        if (*n < 1 || *n > 100)
            r.fail("min_insync_replicas",
                   "'min_insync_replicas' in " + r.what() + " must be 1..100");
        p.min_insync_replicas = static_cast<int>(*n);
    }
    if (auto bytes = r.integer("max_slot_wal_bytes")) {
        if (*bytes < 1)
            r.fail("max_slot_wal_bytes",
                   "'max_slot_wal_bytes' in " + r.what() + " must be at least 1");
        p.max_slot_wal_bytes = *bytes;
    }
}

ServiceSpec read_service(const std::string& path, const toml::table& t, std::size_t index,
                         const Catalog& cat) {
    const toml::node* name = t.get("name");
    TableReader r(path, t,
                  name && name->is_string() ? "service '" + name->as_string()->get() + "'"
                                            : "[[service]] #" + std::to_string(index + 1),
                  kServiceKeys);
    ServiceSpec s;
    s.name = r.str("name", true);
    if (!valid_name(s.name))
        r.fail("name",
               "service name '" + s.name + "' may only hold letters, digits, '-', '_', '.'");

    s.stack = r.str("stack", true);
    const StackSpec* stack = cat.stack(s.stack);
    if (!stack) {
        std::vector<std::string> names;
        for (const auto& st : cat.stacks)
            names.push_back(st.name);
        r.fail("stack", "service '" + s.name + "' names unknown stack '" + s.stack + "'" +
                            (names.empty() ? " (the catalog defines no [stacks.*])"
                                           : " (did you mean '" + closest(s.stack, names) +
                                                 "'? stacks: " + join(names) + ")"));
    }

    ProbeSpec& p = s.probe;
    p.kind = r.str("probe", true);
    const ProbeKindInfo* kind = find_probe_kind(p.kind);
    if (!kind)
        r.fail("probe", "unknown probe kind '" + p.kind + "' in " + r.what() + " (did you mean '" +
                            closest(p.kind, probe_kind_names()) + "'?)");
    p.command = r.strs("command");
    p.endpoint = r.str("endpoint", p.kind != "command");
    if (p.kind == "command" && p.command.empty())
        r.fail("probe", "probe 'command' in " + r.what() + " needs 'command' (an argv)");
    if (!p.endpoint.empty()) {
        const bool http = kind->endpoint == EndpointForm::HttpUrl;
        bool ok = http ? valid_http_url(p.endpoint)
                  : kind->endpoint == EndpointForm::KafkaBootstrap ? valid_kafka_bootstrap(p.endpoint)
                  : kind->endpoint == EndpointForm::None           ? true
                                                                   : valid_host_port(p.endpoint);
        if (!ok)
            r.fail("endpoint", "'endpoint' = \"" + p.endpoint + "\" in " + r.what() + " must be " +
                                   (http                ? "an http:// or https:// URL"
                                    : p.kind == "kafka" ? "host:port[,host:port...]"
                                                        : "host:port"));
    }
    p.expect_body = r.str("expect_body");
    if (auto st = r.integer("expect_status")) {
        if (*st < 100 || *st > 599)
            r.fail("expect_status", "'expect_status' in " + r.what() + " must be 100..599");
        p.expect_status = static_cast<int>(*st);
    }
    if (auto ms = r.integer("timeout_ms")) {
        if (*ms < 1 || *ms > 600000)
            r.fail("timeout_ms", "'timeout_ms' in " + r.what() + " must be 1..600000");
        p.timeout_ms = static_cast<int>(*ms);
    }

    read_expectations(r, t, p);

    s.description = r.str("description");
    s.compose_service = r.str("compose_service");
    if (s.compose_service.empty() && stack->driver == "compose") s.compose_service = s.name;
    s.start = r.strs("start");
    s.stop = r.strs("stop");
    if (stack->driver == "process" && s.start.empty())
        r.fail("stack",
               r.what() + " is in process stack '" + s.stack + "' and needs 'start' (an argv)");
    s.optional = r.boolean("optional");
    return s;
}

} // namespace

const StackSpec* Catalog::stack(const std::string& n) const {
    for (const auto& s : stacks)
        if (s.name == n) return &s;
    return nullptr;
}

const ServiceSpec* Catalog::service(const std::string& n) const {
    for (const auto& s : services)
        if (s.name == n) return &s;
    return nullptr;
}

Catalog parse_catalog(const std::string& text, const std::string& path) {
    toml::table root;
    try {
        root = toml::parse(text, path);
    } catch (const toml::parse_error& e) {
        throw UsageError(where(path, e.source()) +
                         ": invalid TOML: " + std::string(e.description()));
    }
    TableReader top(path, root, "the catalog", kTopKeys);

    Catalog cat;
    cat.path = path;
    const toml::table* head = top.table("catalog", "[catalog] with name and title");
    if (!head) throw UsageError(path + ": missing table [catalog] (with name = \"...\")");
    TableReader h(path, *head, "[catalog]", kCatalogKeys);
    cat.name = h.str("name", true);
    cat.title = h.str("title");

    if (const toml::table* stacks = top.table("stacks", "[stacks.NAME] sections")) {
        for (auto&& [key, node] : *stacks) {
            std::string name(key.str());
            if (!node.is_table())
                throw UsageError(where(path, node.source()) + ": 'stacks." + name +
                                 "' must be a table ([stacks." + name + "])");
            cat.stacks.push_back(read_stack(path, name, *node.as_table(), cat.name));
        }
    }

    const toml::node* svc = root.get("service");
    if (svc && !svc->is_array_of_tables())
        top.fail("service", "'service' must be an array of tables ([[service]] sections)");
    if (!svc || svc->as_array()->empty())
        throw UsageError(path + ": the catalog lists no services (add [[service]] sections)");
    std::map<std::string, std::uint32_t> first_line; // name -> line it was first defined on
    const toml::array& list = *svc->as_array();
    for (std::size_t i = 0; i < list.size(); ++i) {
        const toml::table& t = *list[i].as_table();
        ServiceSpec s = read_service(path, t, i, cat);
        const toml::source_region& at = t.get("name")->source();
        auto [it, fresh] = first_line.emplace(s.name, at.begin.line);
        if (!fresh)
            throw UsageError(where(path, at) + ": duplicate service name '" + s.name +
                             "' (key 'name' already has this value on line " +
                             std::to_string(it->second) + ")");
        cat.services.push_back(std::move(s));
    }
    return cat;
}

} // namespace ebap
