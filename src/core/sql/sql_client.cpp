#include "core/sql/sql_client.hpp"

#include "core/base/error.hpp"
#include "core/config/config.hpp"
#include "core/sql/pg_client.hpp"
#include "core/sql/trino_client.hpp"

#include <cstdlib>
#include <pwd.h>
#include <unistd.h>

namespace ebap::sql {
namespace {

// trino.user, else the login name (as the Trino CLI does).
std::string login_name() {
    if (const passwd* pw = getpwuid(geteuid()); pw && pw->pw_name && *pw->pw_name) return pw->pw_name;
    if (const char* u = std::getenv("USER"); u && *u) return u;
    return "ebapctl";
}

} // namespace

std::unique_ptr<SqlClient> make_sql_client(const std::string& engine, const Config& config,
                                           const SessionOptions& session) {
    if (engine == "trino") {
        TrinoOptions o;
        o.url = config.str("trino.url");
        o.user = config.str("trino.user").empty() ? login_name() : config.str("trino.user");
        o.password = config.str("trino.password");
        o.timeout_ms = config.num("trino.timeout_ms");
        o.session = session;
        if (o.session.catalog.empty()) o.session.catalog = config.str("trino.catalog");
        if (o.session.schema.empty()) o.session.schema = config.str("trino.schema");
        if (o.session.ca_file.empty()) o.session.ca_file = config.str("trino.ca_file");
        return std::make_unique<TrinoClient>(std::move(o));
    }
    if (engine == "postgres") {
        return std::make_unique<PgClient>(config.pg_conninfo(),
                                          config.str("postgres.host") + ":" +
                                              config.str("postgres.port") + "/" +
                                              (session.catalog.empty() ? config.str("postgres.dbname")
                                                                       : session.catalog),
                                          session);
    }
    throw UsageError("--engine must be trino or postgres, got '" + engine + "'");
}

} // namespace ebap::sql
