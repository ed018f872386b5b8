#include "core/probe/probe_targets.hpp"

namespace ebap {

static bool configured(const Config& c, const std::string& key) {
    return c.value(key).origin.rfind("default", 0) != 0;
}

// The configured endpoint for a probe kind, or empty when the catalog's stands.
static std::string override_for(const std::string& kind, const Config& c) {
    if (kind == "kafka" && configured(c, "kafka.bootstrap_servers")) {
        const auto& s = c.str("kafka.bootstrap_servers");
        return s.substr(0, s.find(','));
    }
    if (kind == "redis" && (configured(c, "redis.host") || configured(c, "redis.port")))
        return c.str("redis.host") + ":" + c.str("redis.port");
    if (kind == "postgres" && (configured(c, "postgres.host") || configured(c, "postgres.port")))
        return c.str("postgres.host") + ":" + c.str("postgres.port");
    if (kind == "trino" && configured(c, "trino.url")) return c.str("trino.url");
    if ((kind == "minio" || kind == "minio-cluster") && configured(c, "minio.endpoint"))
        return c.str("minio.endpoint");
    return {};
}

std::vector<ProbeTarget> probe_targets(const Catalog& catalog, const Config& config) {
    std::vector<ProbeTarget> out;
    for (const auto& s : catalog.services) {
        ProbeTarget t{s.name, s.probe};
        if (auto ep = override_for(s.probe.kind, config); !ep.empty()) t.spec.endpoint = ep;
        out.push_back(std::move(t));
    }
    return out;
}

ProbeOptions probe_options(const Config& config) {
    ProbeOptions o;
    o.timeout_ms = static_cast<int>(config.num("probe.timeout_ms"));
    o.redis_password = config.str("redis.password");
    o.pg_user = config.str("postgres.user");
    o.pg_password = config.str("postgres.password");
    o.pg_dbname = config.str("postgres.dbname");
    return o;
}

} // namespace ebap
