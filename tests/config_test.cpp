// Configuration: defaults, file values with their file:line origin, environment
// overrides, bad files reported with file:line:column and key, unknown keys, the geo map's
// region coordinates.
#include "core/config/config.hpp"
#include "core/config/region_coords.hpp"
#include "core/base/error.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <unistd.h>

using namespace ebap;

namespace {

// Clears the variables a developer's shell may have set, restores them after.
class ConfigTest : public ::testing::Test {
  protected:
    void SetUp() override {
        for (const auto& k : config_keys())
            if (k.env && std::getenv(k.env)) saved_[k.env] = std::getenv(k.env), unsetenv(k.env);
        unsetenv("EBAPCTL_CONFIG");
    }
    void TearDown() override {
        for (const auto& k : config_keys())
            if (k.env) unsetenv(k.env);
        for (const auto& [k, v] : saved_)
            setenv(k.c_str(), v.c_str(), 1);
    }
    std::map<std::string, std::string> saved_;
};

} // namespace

TEST_F(ConfigTest, DefaultsAreTheSeedPlatformOnLocalhost) {
    Config c = Config::defaults();
    EXPECT_EQ(c.str("kafka.bootstrap_servers"), "localhost:9092");
    EXPECT_EQ(c.str("redis.port"), "6379");
    EXPECT_EQ(c.str("trino.url"), "http://localhost:8085");
    EXPECT_EQ(c.str("minio.endpoint"), "http://localhost:9000");
    EXPECT_EQ(c.str("postgres.port"), "5432");
    EXPECT_EQ(c.redis_prefix(), "ebap:");
    EXPECT_EQ(c.list("kafka.groups"), std::vector<std::string>{"ebapctl-workers"});
    EXPECT_EQ(c.value("redis.host").origin, "default");
    EXPECT_EQ(c.cold_root(), c.state_dir() + "/cold");
}

TEST_F(ConfigTest, FileValuesRememberFileAndLine) {
    Config c = Config::from_toml("# comment\n[redis]\nhost = \"cache.internal\"\nport = 6380\n"
                                 "[kafka]\ngroups = [\"a\", \"b\"]\n",
                                 "/etc/x.toml");
    EXPECT_EQ(c.str("redis.host"), "cache.internal");
    EXPECT_EQ(c.value("redis.host").origin, "/etc/x.toml:3");
    EXPECT_EQ(c.num("redis.port"), 6380);
    EXPECT_EQ(c.value("redis.port").origin, "/etc/x.toml:4");
    EXPECT_EQ(c.list("kafka.groups"), (std::vector<std::string>{"a", "b"}));
    EXPECT_TRUE(c.warnings().empty());
}

TEST_F(ConfigTest, EnvironmentOverridesFile) {
    setenv("REDIS_HOST", "10.0.0.9", 1);
    setenv("KAFKA_BOOTSTRAP_SERVERS", "b1:9092,b2:9092", 1);
    setenv("EBAP_STATE_DIR", "/var/lib/ebap", 1);
    Config c = Config::from_toml("[redis]\nhost = \"file-host\"\n", "f.toml");
    EXPECT_EQ(c.str("redis.host"), "10.0.0.9");
    EXPECT_EQ(c.value("redis.host").origin, "env REDIS_HOST");
    EXPECT_EQ(c.str("kafka.bootstrap_servers"), "b1:9092,b2:9092");
    EXPECT_EQ(c.state_dir(), "/var/lib/ebap");
    EXPECT_EQ(c.cold_root(), "/var/lib/ebap/cold");
}

TEST_F(ConfigTest, SyntaxErrorNamesFileLineAndColumn) {
    try {
        Config::from_toml("[redis]\nhost = \"x\"\nport = = 5\n", "bad.toml");
        FAIL() << "expected an error";
    } catch (const UsageError& e) {
        EXPECT_EQ(e.exit_code(), 2);
        EXPECT_NE(std::string(e.what()).find("bad.toml:3:"), std::string::npos) << e.what();
    }
}

TEST_F(ConfigTest, WrongTypeNamesKeyAndPlace) {
    try {
        Config::from_toml("[redis]\n\nport = \"six\"\n", "t.toml");
        FAIL() << "expected an error";
    } catch (const UsageError& e) {
        std::string m = e.what();
        EXPECT_NE(m.find("t.toml:3:"), std::string::npos) << m;
        EXPECT_NE(m.find("redis.port"), std::string::npos) << m;
    }
}

TEST_F(ConfigTest, UnknownKeyWarnsWithClosestKnownKey) {
    Config c = Config::from_toml("[redis]\nhots = \"x\"\n", "u.toml");
    ASSERT_EQ(c.warnings().size(), 1u);
    EXPECT_NE(c.warnings()[0].find("u.toml:2:"), std::string::npos) << c.warnings()[0];
    EXPECT_NE(c.warnings()[0].find("did you mean 'redis.host'"), std::string::npos)
        << c.warnings()[0];
}

TEST_F(ConfigTest, SearchOrderPrefersExplicitThenEnvThenCwd) {
    namespace fs = std::filesystem;
    fs::path dir = fs::temp_directory_path() / ("ebap-config-" + std::to_string(getpid()));
    fs::create_directories(dir);
    auto write = [](const fs::path& p, const std::string& host) {
        std::ofstream(p) << "[redis]\nhost = \"" << host << "\"\n";
    };
    write(dir / "explicit.toml", "explicit");
    write(dir / "env.toml", "env");
    write(dir / "ebapctl.toml", "cwd");
    fs::path old = fs::current_path();
    fs::current_path(dir);
    EXPECT_EQ(Config::load((dir / "explicit.toml").string()).str("redis.host"), "explicit");
    setenv("EBAPCTL_CONFIG", (dir / "env.toml").c_str(), 1);
    EXPECT_EQ(Config::load().str("redis.host"), "env");
    unsetenv("EBAPCTL_CONFIG");
    EXPECT_EQ(Config::load().str("redis.host"), "cwd");
    EXPECT_THROW(Config::load((dir / "missing.toml").string()), UsageError);
    fs::current_path(old);
    fs::remove_all(dir);
}

TEST_F(ConfigTest, SecretsAreMarked) {
    Config c = Config::defaults();
    EXPECT_TRUE(c.is_secret("redis.password"));
    EXPECT_TRUE(c.is_secret("minio.root_password"));
    EXPECT_FALSE(c.is_secret("redis.host"));
}

// Every command loads through the same validation: a value out of its key's type or range
// is refused with where it came from (file:line, or the variable).
std::string load_error(const std::string& toml) {
    try {
        Config::from_toml(toml, "cfg.toml");
    } catch (const UsageError& e) {
        return e.what();
    }
    return "";
}

TEST_F(ConfigTest, NumbersOutsideTheirTypeOrRangeNameTheirOrigin) {
    EXPECT_EQ(load_error("[redis]\nport = 99999\n"),
              "cfg.toml:2: key 'redis.port' must be an integer from 1 to 65535, got '99999'");
    EXPECT_EQ(load_error("[redis]\nhost = \"h\"\nport = -1\n"),
              "cfg.toml:3: key 'redis.port' must be an integer from 1 to 65535, got '-1'");
    EXPECT_EQ(load_error("[redis]\nport = 6379.5\n"),
              "cfg.toml:2: key 'redis.port' must be an integer from 1 to 65535, got '6379.5'");
    EXPECT_EQ(load_error("[kafka]\ntimeout_ms = -5\n"),
              "cfg.toml:2: key 'kafka.timeout_ms' must be an integer from 100 to 600000, got '-5'");
    EXPECT_EQ(load_error("[worker]\nthreads = 0\n"),
              "cfg.toml:2: key 'worker.threads' must be an integer from 1 to 64, got '0'");
    EXPECT_EQ(load_error("[worker]\nerror_warn = 1.5\n"),
              "cfg.toml:2: key 'worker.error_warn' must be a number from 0 to 1, got '1.5'");
    EXPECT_EQ(load_error("[worker]\nerror_warn = 0.5\nthreads = 4\n"), "");
    setenv("REDIS_PORT", "abc", 1);
    EXPECT_THROW(
        {
            try {
                Config::defaults();
            } catch (const UsageError& e) {
                EXPECT_STREQ(e.what(), "env REDIS_PORT: key 'redis.port' must be an integer "
                                       "from 1 to 65535, got 'abc'");
                throw;
            }
        },
        UsageError);
    unsetenv("REDIS_PORT");
}

// Issue #14, item 1: the demo reads its own file without the shell's overrides.
TEST_F(ConfigTest, LoadWithoutEnvironmentIgnoresEveryOverride) {
    namespace fs = std::filesystem;
    fs::path dir = fs::temp_directory_path() / ("ebap-config-noenv-" + std::to_string(getpid()));
    fs::create_directories(dir);
    std::ofstream(dir / "demo.toml") << "[redis]\nport = 7001\n";
    for (const auto& k : config_keys())
        if (k.env) setenv(k.env, "from-env", 1);
    setenv("REDIS_PORT", "7999", 1);
    setenv("KAFKA_BOOTSTRAP_SERVERS", "decoy:9092", 1);
    Config c = Config::load((dir / "demo.toml").string(), {.env = false});
    for (const auto& [key, v] : c.values())
        EXPECT_EQ(v.origin.rfind("env ", 0), std::string::npos) << key << " from " << v.origin;
    EXPECT_EQ(c.str("redis.port"), "7001");
    EXPECT_EQ(c.str("kafka.bootstrap_servers"), "localhost:9092");
    // The default still applies them.
    for (const auto& k : config_keys())
        if (k.env && std::string(k.env) != "REDIS_PORT") unsetenv(k.env);
    EXPECT_EQ(Config::load((dir / "demo.toml").string()).str("redis.port"), "7999");
    fs::remove_all(dir);
}

// Item 7: "not found" only when there is nothing there.
TEST_F(ConfigTest, ADirectoryIsNotAMissingFile) {
    namespace fs = std::filesystem;
    fs::path dir = fs::temp_directory_path() / ("ebap-config-dir-" + std::to_string(getpid()));
    fs::create_directories(dir / "config.toml");
    try {
        Config::load((dir / "config.toml").string());
        ADD_FAILURE() << "a directory loaded as a configuration file";
    } catch (const UsageError& e) {
        EXPECT_EQ(std::string(e.what()),
                  (dir / "config.toml").string() + ": cannot read configuration file: is a directory");
    }
    try {
        Config::load((dir / "missing.toml").string());
        ADD_FAILURE() << "a missing file loaded";
    } catch (const UsageError& e) {
        EXPECT_EQ(std::string(e.what()),
                  (dir / "missing.toml").string() + ": configuration file not found");
    }
    fs::remove_all(dir);
}

// [geo.coords] places regions on the geo view's map: on top of the built-in names, an
// entry overrides one and adds others; a point off the globe names its file:line.
TEST_F(ConfigTest, GeoCoordsOverrideAndExtendTheBuiltInRegions) {
    Config c = Config::from_toml("[geo.coords]\nus-east = [40.7, -74]\n\"lab 1\" = [-33.9, 18.4]\n"
                                 "edge = [-90, 180]\n",
                                 "g.toml");
    EXPECT_TRUE(c.warnings().empty());
    EXPECT_EQ(c.value("geo.coords").origin, "g.toml:1");
    // TOML tables have no order: the entries come by name.
    EXPECT_EQ(c.list("geo.coords"),
              (std::vector<std::string>{"edge=-90,180", "lab 1=-33.9,18.4", "us-east=40.7,-74"}));
    const auto coords = region_coords(c);
    EXPECT_EQ(coords.at("us-east"), (GeoPoint{40.7, -74}));      // overridden
    EXPECT_EQ(coords.at("lab 1"), (GeoPoint{-33.9, 18.4}));      // added
    EXPECT_EQ(coords.at("eu-west"), (GeoPoint{53.35, -6.26}));   // built in: Ireland
    EXPECT_EQ(coords.at("ap-northeast"), (GeoPoint{35.68, 139.69}));
    // Without the table: every generator region is built in.
    const auto builtin = region_coords(Config::defaults());
    for (const char* r : {"us-east", "us-west", "eu-west", "eu-central", "ap-south", "ap-northeast", "sa-east"})
        EXPECT_EQ(builtin.count(r), 1u) << r;
    EXPECT_EQ(builtin.at("us-east"), (GeoPoint{39.04, -77.49}));
    // The same table inline under [geo].
    EXPECT_EQ(Config::from_toml("[geo]\ncoords = { x = [1, 2] }\n", "i.toml").list("geo.coords"),
              std::vector<std::string>{"x=1,2"});
}

TEST_F(ConfigTest, GeoCoordsOutOfRangeNameFileAndLine) {
    EXPECT_EQ(load_error("[geo.coords]\nus-east = [39, -77]\nnowhere = [95, 10]\n"),
              "cfg.toml:3: key 'geo.coords.nowhere' latitude must be a number from -90 to 90, got '95'");
    EXPECT_EQ(load_error("[geo.coords]\n\nfar = [10, -180.5]\n"),
              "cfg.toml:3: key 'geo.coords.far' longitude must be a number from -180 to 180, got '-180.5'");
    EXPECT_EQ(load_error("[geo.coords]\nnan = [nan, 0]\n"),
              "cfg.toml:2: key 'geo.coords.nan' latitude must be a number from -90 to 90, got 'nan'");
    EXPECT_EQ(load_error("[geo.coords]\nbad = \"39,-77\"\n"),
              "cfg.toml:2:7: key 'geo.coords.bad' must be [LAT, LON] in degrees");
    EXPECT_EQ(load_error("[geo.coords]\nshort = [39]\n"),
              "cfg.toml:2:9: key 'geo.coords.short' must be [LAT, LON] in degrees");
    EXPECT_EQ(load_error("[geo]\ncoords = [39, -77]\n"),
              "cfg.toml:2:10: key 'geo.coords' must be a table of NAME = [LAT, LON]");
    Config c = Config::from_toml("[geo]\ncoord = 1\n", "w.toml");
    ASSERT_EQ(c.warnings().size(), 1u);
    EXPECT_NE(c.warnings()[0].find("did you mean 'geo.coords'"), std::string::npos) << c.warnings()[0];
}
