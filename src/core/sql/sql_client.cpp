#include "core/sql/sql_client.hpp"

#include "core/base/error.hpp"
#include "core/config/config.hpp"
#include "core/sql/pg_client.hpp"
#include "core/sql/trino_client.hpp"

#include <cctype>
#include <cstdlib>
#include <fstream>
#include <filesystem>
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

// A name Trino knows as a zone: "UTC", "Europe/Berlin", "America/Argentina/Salta",
// "Etc/GMT+3"; not a POSIX rule such as "CET-1CEST" or "EST5EDT".
bool zone_name(const std::string& z) {
    if (z.empty() || z.size() > 64) return false;
    const auto slash = z.find('/');
    for (char c : z)
        if (!std::isalnum(static_cast<unsigned char>(c)) && c != '/' && c != '_' && c != '-' && c != '+') return false;
    const std::string first = z.substr(0, slash);
    for (char c : first)
        if (std::isdigit(static_cast<unsigned char>(c))) return false;
    return slash != std::string::npos || z == "UTC" || z == "GMT" || z == "Z";
}

} // namespace

std::string local_time_zone() {
    namespace fs = std::filesystem;
    const auto strip = [](std::string z) {
        if (!z.empty() && z[0] == ':') z.erase(0, 1);
        if (const auto at = z.find("zoneinfo/"); at != std::string::npos) z = z.substr(at + 9);
        while (!z.empty() && std::isspace(static_cast<unsigned char>(z.back()))) z.pop_back();
        return z;
    };
    if (const char* tz = std::getenv("TZ"); tz && *tz) {
        const std::string z = strip(tz);
        return zone_name(z) ? z : "";
    }
    std::ifstream in("/etc/timezone");
    if (std::string z; std::getline(in, z) && zone_name(strip(z))) return strip(z);
    std::error_code ec;
    const auto link = fs::read_symlink("/etc/localtime", ec);
    if (!ec && zone_name(strip(link.string()))) return strip(link.string());
    return "";
}

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
        if (o.session.time_zone.empty()) o.session.time_zone = config.str("trino.time_zone");
        if (o.session.time_zone.empty()) o.session.time_zone = local_time_zone();
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
