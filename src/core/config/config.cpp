#include "core/config/config.hpp"
#include "core/config/region_coords.hpp"

#include "core/base/closest.hpp"
#include "core/base/error.hpp"

#include <toml++/toml.h>

#include <algorithm>
#include <charconv>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <fmt/format.h>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>

namespace ebap {
namespace fs = std::filesystem;

// Defaults are the EBAP platform of seed 000 on localhost.
const std::vector<ConfigKey>& config_keys() {
    static const std::vector<ConfigKey> keys = {
        {"catalog.name", nullptr, "ebap", false, false, "stack catalog name or file"},
        {"kafka.bootstrap_servers", "KAFKA_BOOTSTRAP_SERVERS", "localhost:9092", false, false,
         "Kafka bootstrap servers"},
        {"kafka.groups", nullptr, "ebapctl-workers", false, true,
         "consumer groups watched by lag views"},
        {"kafka.timeout_ms", nullptr, "5000", false, false, "Kafka admin call deadline", ConfigType::Int, 100, 600000},
        {"redis.host", "REDIS_HOST", "localhost", false, false, "Redis host"},
        {"redis.port", "REDIS_PORT", "6379", false, false, "Redis port", ConfigType::Int, 1, 65535},
        {"redis.password", "REDIS_PASSWORD", "", true, false, "Redis password"},
        {"redis.prefix", nullptr, "ebap:", false, false, "hot-path key prefix"},
        {"redis.connect_timeout_ms", nullptr, "2000", false, false, "Redis connect deadline", ConfigType::Int, 1, 600000},
        {"redis.timeout_ms", nullptr, "5000", false, false, "Redis command deadline", ConfigType::Int, 1, 600000},
        {"trino.url", "TRINO_URL", "http://localhost:8085", false, false, "Trino coordinator"},
        {"trino.user", "TRINO_USER", "", false, false, "Trino user (empty: the login name)"},
        {"trino.password", "TRINO_PASSWORD", "", true, false, "Trino password (Basic auth, https only)"},
        {"trino.catalog", nullptr, "", false, false, "catalog of a new sql session"},
        {"trino.schema", nullptr, "", false, false, "schema of a new sql session"},
        {"trino.ca_file", nullptr, "", false, false, "PEM trust anchors for https (empty: the system's)"},
        {"trino.time_zone", nullptr, "", false, false,
         "X-Trino-Time-Zone of a session, e.g. Europe/Berlin (empty: this machine's zone)"},
        {"trino.timeout_ms", nullptr, "120000", false, false,
         "the longest one request of a statement may take, retries included", ConfigType::Int, 100, 86400000},
        {"sql.engine", nullptr, "trino", false, false, "engine of ebapctl sql: trino or postgres"},
        {"sql.format", nullptr, "", false, false,
         "output format of ebapctl sql (empty: aligned on a terminal, csv-header otherwise)"},
        {"minio.endpoint", "MINIO_ENDPOINT", "http://localhost:9000", false, false,
         "S3-compatible endpoint"},
        {"minio.root_user", "MINIO_ROOT_USER", "minioadmin", false, false, "S3 access key"},
        {"minio.root_password", "MINIO_ROOT_PASSWORD", "minioadmin", true, false, "S3 secret key"},
        {"minio.region", nullptr, "us-east-1", false, false, "S3 signing region"},
        {"postgres.host", "PGHOST", "localhost", false, false, "PostgreSQL host"},
        {"postgres.port", "PGPORT", "5432", false, false, "PostgreSQL port", ConfigType::Int, 1, 65535},
        {"postgres.user", "PGUSER", "postgres", false, false, "PostgreSQL user"},
        {"postgres.password", "PGPASSWORD", "", true, false, "PostgreSQL password"},
        {"postgres.dbname", "PGDATABASE", "ebap", false, false, "PostgreSQL database"},
        {"paths.state_dir", "EBAP_STATE_DIR", "", false, false, "runtime state, logs, job records"},
        {"paths.cold_root", "EBAP_COLD_ROOT", "", false, false,
         "cold-path root: directory or s3://bucket/prefix"},
        {"probe.timeout_ms", nullptr, "2000", false, false, "per-probe deadline", ConfigType::Int, 1, 600000},
        {"probe.interval_ms", nullptr, "2000", false, false, "probe round interval", ConfigType::Int, 100, 3600000},
        {"lag.window", nullptr, "10", false, false, "commit observations in the lag evaluation window", ConfigType::Int, 1, 1000},
        {"lag.interval_ms", nullptr, "2000", false, false, "lag collector round interval", ConfigType::Int, 100, 3600000},
        {"kpi.interval_ms", nullptr, "1000", false, false, "KPI and region collector interval", ConfigType::Int, 100, 3600000},
        {"kpi.stale_after_ms", nullptr, "10000", false, false,
         "KPIs older than this are stale, and ahead of the clock by more is clock skew",
         ConfigType::Int, 1, 31536000000},
        {"worker.metrics_interval_ms", nullptr, "1000", false, false,
         "worker metrics collector interval", ConfigType::Int, 100, 3600000},
        {"worker.metrics_url", nullptr, "", false, false,
         "an external worker's /metrics URL to scrape (empty: the in-process workers)"},
        {"lag.stop_after_s", nullptr, "300", false, false,
         "the longest a lagging partition may go without a commit before STOP", ConfigType::Int, 1,
         2592000},
        {"lag.allowed_lag", nullptr, "0", false, false,
         "lag at or under this is OK (a streaming consumer's steady trail)", ConfigType::Int, 0,
         1000000000000},
        {"console.gauge.eps", nullptr, "", false, false, "the events/s gauge: \"MIN MAX [WARN [CRIT]]\" (empty: the default)"},
        {"console.gauge.active_users_1m", nullptr, "", false, false, "the active users gauge: \"MIN MAX [WARN [CRIT]]\" (empty: the default)"},
        {"console.gauge.purchases_1m", nullptr, "", false, false, "the purchases/min gauge: \"MIN MAX [WARN [CRIT]]\" (empty: the default)"},
        {"console.gauge.revenue_1m", nullptr, "", false, false, "the revenue/min gauge: \"MIN MAX [WARN [CRIT]]\" (empty: the default)"},
        {"console.gauge.error_rate_1m", nullptr, "", false, false, "the error rate (in %) gauge: \"MIN MAX [WARN [CRIT]]\" (empty: the default)"},
        {"console.refresh_hidden", nullptr, "5", false, false,
         "a collector whose data no panel on screen shows runs this many times slower", ConfigType::Int, 1, 100},
        {"console.keys.overview", nullptr, "", false, false, "console keys for overview (space separated; empty: the default)"},
        {"console.keys.services", nullptr, "", false, false, "console keys for services (space separated; empty: the default)"},
        {"console.keys.lag", nullptr, "", false, false, "console keys for lag (space separated; empty: the default)"},
        {"console.keys.kpi", nullptr, "", false, false, "console keys for kpi (space separated; empty: the default)"},
        {"console.keys.geo", nullptr, "", false, false, "console keys for geo (space separated; empty: the default)"},
        {"console.keys.workers", nullptr, "", false, false, "console keys for workers (space separated; empty: the default)"},
        {"console.keys.sql", nullptr, "", false, false, "console keys for sql (space separated; empty: the default)"},
        {"console.keys.log", nullptr, "", false, false, "console keys for log (space separated; empty: the default)"},
        {"console.keys.help", nullptr, "", false, false, "console keys for help (space separated; empty: the default)"},
        {"console.keys.quit", nullptr, "", false, false, "console keys for quit (space separated; empty: the default)"},
        {"console.keys.command_line", nullptr, "", false, false, "console keys for command_line (space separated; empty: the default)"},
        {"console.keys.filter", nullptr, "", false, false, "console keys for filter (space separated; empty: the default)"},
        {"console.keys.detail", nullptr, "", false, false, "console keys for detail (space separated; empty: the default)"},
        {"console.keys.back", nullptr, "", false, false, "console keys for back (space separated; empty: the default)"},
        {"console.keys.previous", nullptr, "", false, false, "console keys for previous (space separated; empty: the default)"},
        {"console.keys.up", nullptr, "", false, false, "console keys for up (space separated; empty: the default)"},
        {"console.keys.down", nullptr, "", false, false, "console keys for down (space separated; empty: the default)"},
        {"console.keys.page_up", nullptr, "", false, false, "console keys for page_up (space separated; empty: the default)"},
        {"console.keys.page_down", nullptr, "", false, false, "console keys for page_down (space separated; empty: the default)"},
        {"console.keys.top", nullptr, "", false, false, "console keys for top (space separated; empty: the default)"},
        {"console.keys.bottom", nullptr, "", false, false, "console keys for bottom (space separated; empty: the default)"},
        {"console.keys.next_panel", nullptr, "", false, false, "console keys for next_panel (space separated; empty: the default)"},
        {"console.keys.prev_panel", nullptr, "", false, false, "console keys for prev_panel (space separated; empty: the default)"},
        {"console.keys.sort_prev", nullptr, "", false, false, "console keys for sort_prev (space separated; empty: the default)"},
        {"console.keys.sort_next", nullptr, "", false, false, "console keys for sort_next (space separated; empty: the default)"},
        {"console.keys.sql_edit", nullptr, "", false, false, "console keys for sql_edit (space separated; empty: the default)"},
        {"console.keys.export", nullptr, "", false, false, "console keys for export (space separated; empty: the default)"},
        {"console.keys.vertical", nullptr, "", false, false, "console keys for vertical (space separated; empty: the default)"},
        {"console.keys.column_left", nullptr, "", false, false, "console keys for column_left (space separated; empty: the default)"},
        {"console.keys.column_right", nullptr, "", false, false, "console keys for column_right (space separated; empty: the default)"},
        {"console.sql_max_rows", nullptr, "100000", false, false,
         "rows the console's SQL view keeps of a result; the rest is cancelled on the server", ConfigType::Int, 1,
         10000000},
        {"worker.group", nullptr, "ebapctl-workers", false, false, "worker consumer group"},
        {"worker.threads", nullptr, "2", false, false, "worker consumer threads", ConfigType::Int, 1, 64},
        {"worker.flush_ms", nullptr, "1000", false, false, "hot-path flush interval", ConfigType::Int, 10, 600000},
        {"worker.cold_flush_s", nullptr, "60", false, false, "cold-path object interval", ConfigType::Int, 1, 86400},
        {"worker.cold_batch_mib", nullptr, "32", false, false,
         "cold-path bytes a thread holds before it writes", ConfigType::Int, 1, 4096},
        {"worker.cold_zstd_level", nullptr, "1", false, false, "cold-path zstd level (1-19)", ConfigType::Int, 1, 19},
        {"worker.watermark_delay_s", nullptr, "600", false, false, "event-time watermark delay", ConfigType::Int, 0, 604800},
        {"worker.future_tolerance_s", nullptr, "300", false, false,
         "events timed further ahead of the worker's clock go to the DLQ", ConfigType::Int, 0,
         31536000},
        {"worker.p95_warn_ms", nullptr, "500", false, false, "region health warn at p95", ConfigType::Number, 0, 1e9},
        {"worker.p95_crit_ms", nullptr, "1500", false, false, "region health crit at p95", ConfigType::Number, 0, 1e9},
        {"worker.error_warn", nullptr, "0.02", false, false, "region health warn error rate", ConfigType::Number, 0, 1},
        {"worker.error_crit", nullptr, "0.10", false, false, "region health crit error rate", ConfigType::Number, 0, 1},
        {"geo.coords", nullptr, "", false, true,
         "where regions are on the geo view's map: [geo.coords] NAME = [LAT, LON], on top of "
         "the built-in cloud region names"},
    };
    return keys;
}

static const ConfigKey* find_key(const std::string& key) {
    for (const auto& k : config_keys())
        if (key == k.key) return &k;
    return nullptr;
}

std::string closest_key(const std::string& key) {
    std::vector<std::string> known;
    for (const auto& k : config_keys())
        known.push_back(k.key);
    return closest(key, known);
}

static bool has_keys_under(const std::string& prefix) {
    for (const auto& k : config_keys())
        if (std::string(k.key).rfind(prefix + ".", 0) == 0) return true;
    return false;
}

static std::vector<std::string> split_list(const std::string& s) {
    std::vector<std::string> out;
    std::stringstream ss(s);
    for (std::string item; std::getline(ss, item, ',');)
        if (!item.empty()) out.push_back(item);
    return out;
}

Config Config::builtin() {
    Config c;
    for (const auto& k : config_keys()) {
        ConfigValue v;
        v.text = k.fallback;
        v.is_list = k.is_list;
        if (k.is_list) v.list = split_list(k.fallback);
        c.values_[k.key] = v;
    }
    return c;
}

Config Config::defaults() {
    Config c = builtin();
    c.apply_env();
    c.derive_paths();
    c.validate();
    return c;
}

void Config::validate() const {
    for (const auto& k : config_keys()) {
        if (k.type == ConfigType::Text) continue;
        const ConfigValue& v = value(k.key);
        const bool integer = k.type == ConfigType::Int;
        const std::string range =
            integer ? fmt::format("an integer from {:.0f} to {:.0f}", k.min, k.max)
                    : fmt::format("a number from {} to {}", k.min, k.max);
        double n = 0;
        const char* b = v.text.data();
        const char* e = b + v.text.size();
        auto [ptr, ec] = std::from_chars(b, e, n);
        const bool parsed = ec == std::errc() && ptr == e && b != e && std::isfinite(n);
        if (!parsed || (integer && n != std::floor(n)) || n < k.min || n > k.max)
            throw UsageError(v.origin + ": key '" + k.key + "' must be " + range + ", got '" +
                             v.text + "'");
    }
}

void Config::apply_env() {
    for (const auto& k : config_keys()) {
        if (!k.env) continue;
        const char* e = std::getenv(k.env);
        if (!e) continue;
        set(k.key, e, std::string("env ") + k.env);
    }
}

void Config::derive_paths() {
    auto& state = values_["paths.state_dir"];
    if (state.text.empty()) {
        const char* xdg = std::getenv("XDG_STATE_HOME");
        const char* home = std::getenv("HOME");
        std::string base = xdg && *xdg ? xdg : std::string(home ? home : "/tmp") + "/.local/state";
        state.text = base + "/ebapctl";
        state.origin = "default";
    }
    auto& cold = values_["paths.cold_root"];
    if (cold.text.empty()) {
        cold.text = state.text + "/cold";
        cold.origin = "default (under paths.state_dir)";
    }
}

void Config::set(const std::string& key, const std::string& text, const std::string& origin) {
    auto& v = values_[key];
    v.text = text;
    v.origin = origin;
    if (v.is_list) v.list = split_list(text);
}

static std::string scalar_text(const toml::node& n) {
    if (auto s = n.as_string()) return s->get();
    if (auto i = n.as_integer()) return std::to_string(i->get());
    if (auto f = n.as_floating_point()) {
        std::ostringstream os;
        os << f->get();
        return os.str();
    }
    if (auto b = n.as_boolean()) return b->get() ? "true" : "false";
    return {};
}

static std::string where(const std::string& path, const toml::source_region& src) {
    return path + ":" + std::to_string(src.begin.line) + ":" + std::to_string(src.begin.column);
}

// [geo.coords] NAME = [LAT, LON]: each point is checked here, where the error can name
// its own file:line.
static ConfigValue coords_value(const toml::node& node, const std::string& path) {
    const auto* table = node.as_table();
    if (!table)
        throw UsageError(where(path, node.source()) +
                         ": key 'geo.coords' must be a table of NAME = [LAT, LON]");
    ConfigValue v;
    v.is_list = true;
    v.origin = path + ":" + std::to_string(node.source().begin.line);
    for (auto&& [name, point] : *table) {
        const std::string region(name.str()), key = "geo.coords." + region;
        const auto* pair = point.as_array();
        if (region.empty() || !pair || pair->size() != 2 || !(*pair)[0].is_number() ||
            !(*pair)[1].is_number())
            throw UsageError(where(path, point.source()) + ": key '" + key +
                             "' must be [LAT, LON] in degrees");
        auto degrees = [](const toml::node& n) {
            if (auto i = n.as_integer()) return double(i->get());
            return n.as_floating_point()->get();
        };
        const std::string line = path + ":" + std::to_string(point.source().begin.line);
        const GeoPoint at{degrees((*pair)[0]), degrees((*pair)[1])};
        if (!(at.lat >= -90 && at.lat <= 90))
            throw UsageError(line + ": key '" + key +
                             "' latitude must be a number from -90 to 90, got '" +
                             scalar_text((*pair)[0]) + "'");
        if (!(at.lon >= -180 && at.lon <= 180))
            throw UsageError(line + ": key '" + key +
                             "' longitude must be a number from -180 to 180, got '" +
                             scalar_text((*pair)[1]) + "'");
        v.list.push_back(coord_item(region, at));
        v.text += (v.text.empty() ? "" : " ") + v.list.back();
    }
    return v;
}

Config Config::from_toml(const std::string& text, const std::string& path, LoadOptions opts) {
    Config c = builtin();
    c.file_ = path;
    toml::table root;
    try {
        root = toml::parse(text, path);
    } catch (const toml::parse_error& e) {
        throw UsageError(where(path, e.source()) + ": " + std::string(e.description()));
    }
    // Tables nest as deep as the keys do: [console.keys] holds console.keys.down.
    std::function<void(const std::string&, const toml::table&)> visit = [&](const std::string& prefix,
                                                                           const toml::table& table) {
        for (auto&& [name, value] : table) {
            std::string key = prefix + "." + std::string(name.str());
            if (!find_key(key) && value.is_table() && has_keys_under(key)) {
                visit(key, *value.as_table());
                continue;
            }
            const ConfigKey* known = find_key(key);
            std::string at = where(path, value.source());
            if (!known) {
                c.warnings_.push_back(at + ": unknown key '" + key + "' (did you mean '" +
                                      closest_key(key) + "'?)");
                continue;
            }
            std::string origin = path + ":" + std::to_string(value.source().begin.line);
            if (key == "geo.coords") {
                c.values_[key] = coords_value(value, path);
                continue;
            }
            if (known->is_list) {
                auto* arr = value.as_array();
                if (!arr) throw UsageError(at + ": key '" + key + "' must be an array of strings");
                std::string joined;
                for (auto&& item : *arr) {
                    if (!item.is_string())
                        throw UsageError(where(path, item.source()) + ": key '" + key +
                                         "' must be an array of strings");
                    if (!joined.empty()) joined += ",";
                    joined += scalar_text(item);
                }
                c.set(key, joined, origin);
                continue;
            }
            if (value.is_table() || value.is_array())
                throw UsageError(at + ": key '" + key + "' must be a single value");
            std::string text_value = scalar_text(value);
            bool numeric = std::string(known->fallback).find_first_not_of("0123456789.") ==
                               std::string::npos &&
                           *known->fallback;
            if (numeric && !(value.is_integer() || value.is_floating_point()))
                throw UsageError(at + ": key '" + key + "' must be a number, got '" + text_value +
                                 "'");
            c.set(key, text_value, origin);
        }
    };
    for (auto&& [section, node] : root) {
        auto* table = node.as_table();
        if (!table) {
            c.warnings_.push_back(where(path, node.source()) + ": unknown key '" +
                                  std::string(section.str()) + "' (did you mean '" +
                                  closest_key(std::string(section.str())) + "'?)");
            continue;
        }
        visit(std::string(section.str()), *table);
    }
    if (opts.env) c.apply_env();
    c.derive_paths();
    c.validate();
    return c;
}

Config Config::load(const std::string& explicit_path, LoadOptions opts) {
    std::vector<std::string> candidates;
    bool required = false;
    if (!explicit_path.empty()) {
        candidates.push_back(explicit_path);
        required = true;
    } else if (const char* e = std::getenv("EBAPCTL_CONFIG"); e && *e) {
        candidates.push_back(e);
        required = true;
    } else {
        candidates.push_back("./ebapctl.toml");
        const char* xdg = std::getenv("XDG_CONFIG_HOME");
        const char* home = std::getenv("HOME");
        if (xdg && *xdg)
            candidates.push_back(std::string(xdg) + "/ebapctl/config.toml");
        else if (home)
            candidates.push_back(std::string(home) + "/.config/ebapctl/config.toml");
        candidates.push_back("/etc/ebapctl/config.toml");
    }
    for (const auto& path : candidates) {
        std::error_code ec;
        const fs::file_status st = fs::status(path, ec);
        if (!fs::exists(st)) {
            // A dangling symlink or an unsearchable directory on the way is not "absent".
            if (ec && ec != std::errc::no_such_file_or_directory &&
                ec != std::errc::not_a_directory)
                throw UsageError(path + ": cannot read configuration file: " + ec.message());
            continue;
        }
        if (fs::is_directory(st))
            throw UsageError(path + ": cannot read configuration file: is a directory");
        std::ifstream in(path);
        if (!in) {
            const int e = errno;
            throw UsageError(path + ": cannot read configuration file: " +
                             (e ? std::strerror(e) : "unreadable"));
        }
        std::stringstream ss;
        ss << in.rdbuf();
        if (in.bad()) throw UsageError(path + ": cannot read configuration file: read error");
        return from_toml(ss.str(), path, opts);
    }
    if (required) throw UsageError(candidates.front() + ": configuration file not found");
    if (!opts.env) {
        Config c = builtin();
        c.derive_paths();
        c.validate();
        return c;
    }
    return defaults();
}

const ConfigValue& Config::value(const std::string& key) const {
    auto it = values_.find(key);
    if (it == values_.end()) throw Error("internal: unknown configuration key " + key);
    return it->second;
}

const std::string& Config::str(const std::string& key) const {
    return value(key).text;
}

long Config::num(const std::string& key) const {
    const auto& v = value(key);
    try {
        std::size_t used = 0;
        long n = std::stol(v.text, &used);
        if (used == v.text.size()) return n;
    } catch (const std::exception&) {
    }
    throw UsageError(v.origin + ": key '" + key + "' must be an integer, got '" + v.text + "'");
}

const std::vector<std::string>& Config::list(const std::string& key) const {
    return value(key).list;
}

bool Config::is_secret(const std::string& key) const {
    auto* k = find_key(key);
    return k && k->secret;
}

std::string Config::pg_conninfo() const {
    auto quote = [](const std::string& s) {
        std::string out = "'";
        for (char ch : s) {
            if (ch == '\'' || ch == '\\') out += '\\';
            out += ch;
        }
        return out + "'";
    };
    std::string ci = "host=" + quote(str("postgres.host")) +
                     " port=" + quote(str("postgres.port")) +
                     " user=" + quote(str("postgres.user")) +
                     " dbname=" + quote(str("postgres.dbname")) + " connect_timeout=3";
    if (!str("postgres.password").empty()) ci += " password=" + quote(str("postgres.password"));
    return ci;
}

} // namespace ebap
