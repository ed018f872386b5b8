// Stack catalogs: the shipped stacks/*.toml load by name and are consistent,
// and malformed catalogs fail with a position and a message naming the key.
#include "core/catalog/catalog.hpp"
#include "core/base/error.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <random>
#include <regex>
#include <set>
#include <sstream>

namespace fs = std::filesystem;
using ebap::Catalog;
using ebap::load_catalog;
using ebap::parse_catalog;

namespace {

const fs::path kStacksDir = fs::path(EBAP_SOURCE_DIR) / "stacks";

// Sets an environment variable for one scope and restores the old value.
class ScopedEnv {
  public:
    ScopedEnv(const char* name, const std::string& value) : name_(name) {
        if (const char* old = std::getenv(name)) old_ = old;
        setenv(name, value.c_str(), 1);
    }
    ~ScopedEnv() {
        if (old_)
            setenv(name_, old_->c_str(), 1);
        else
            unsetenv(name_);
    }

  private:
    const char* name_;
    std::optional<std::string> old_;
};

class TempDir {
  public:
    TempDir() {
        std::random_device rd;
        path_ = fs::temp_directory_path() / ("ebap-catalog-test-" + std::to_string(rd()));
        fs::create_directories(path_);
    }
    ~TempDir() {
        std::error_code ec;
        fs::remove_all(path_, ec);
    }
    const fs::path& path() const { return path_; }

  private:
    fs::path path_;
};

// The probe kinds (docs/ARCHITECTURE.md, "Probe kinds"), written out independently of the loader.
const std::set<std::string> kDesignKinds = {
    "kafka",         "redis",        "postgres", "trino", "schema-registry",
    "kafka-connect", "minio",        "spark",    "flink", "grafana",
    "prometheus",    "iceberg-rest", "http",     "tcp",   "command"};
const std::set<std::string> kHostPortKinds = {"kafka", "redis", "postgres", "tcp"};

bool host_port_ok(const std::string& s) {
    static const std::regex re(R"(^[A-Za-z0-9.\-]+:([0-9]{1,5})$)");
    std::smatch m;
    return std::regex_match(s, m, re) && std::stoi(m[1]) >= 1 && std::stoi(m[1]) <= 65535;
}

bool endpoint_ok(const ebap::ProbeSpec& p) {
    if (p.kind == "command") return !p.command.empty();
    if (p.kind == "kafka") {
        std::stringstream list(p.endpoint);
        std::string one;
        int n = 0;
        while (std::getline(list, one, ','))
            if (!host_port_ok(one))
                return false;
            else
                ++n;
        return n > 0;
    }
    if (kHostPortKinds.count(p.kind)) return host_port_ok(p.endpoint);
    static const std::regex url(R"(^https?://[A-Za-z0-9.\-]+(:[0-9]{1,5})?(/\S*)?$)");
    return std::regex_match(p.endpoint, url);
}

std::vector<std::string> shipped_names() {
    std::vector<std::string> names;
    for (const auto& e : fs::directory_iterator(kStacksDir))
        if (e.path().extension() == ".toml") names.push_back(e.path().stem().string());
    std::sort(names.begin(), names.end());
    return names;
}

Catalog load_shipped(const std::string& name) {
    ScopedEnv env("EBAP_STACKS_DIR", kStacksDir.string());
    return load_catalog(name);
}

// "path:line:column" of the first occurrence of `needle` in `text` (1-based).
std::string position_of(const std::string& text, const std::string& needle, std::size_t from = 0) {
    std::size_t at = text.find(needle, from);
    EXPECT_NE(at, std::string::npos) << needle;
    std::size_t line = 1 + std::count(text.begin(), text.begin() + at, '\n');
    std::size_t bol = text.rfind('\n', at);
    std::size_t col = bol == std::string::npos ? at + 1 : at - bol;
    return "t.toml:" + std::to_string(line) + ":" + std::to_string(col);
}

// The UsageError message parsing `text` produces; fails the test if none.
std::string error_of(const std::string& text) {
    try {
        parse_catalog(text, "t.toml");
    } catch (const ebap::UsageError& e) {
        return e.what();
    }
    ADD_FAILURE() << "catalog parsed without error:\n" << text;
    return {};
}

const std::string kHead = "[catalog]\n"
                          "name = \"t\"\n"
                          "\n"
                          "[stacks.core]\n"
                          "driver = \"compose\"\n"
                          "compose_file = \"c.yml\"\n"
                          "\n";

std::string service(const std::string& name, const std::string& extra = {},
                    const std::string& probe = "kafka",
                    const std::string& endpoint = "localhost:9092") {
    return "[[service]]\nname = \"" + name + "\"\nstack = \"core\"\nprobe = \"" + probe +
           "\"\nendpoint = \"" + endpoint + "\"\n" + extra + "\n";
}

} // namespace

TEST(CatalogShipped, AllFourPlatformsArePresent) {
    std::vector<std::string> names = shipped_names();
    for (const char* want : {"bluesky", "de-project", "ebap", "telemetra"})
        EXPECT_NE(std::find(names.begin(), names.end(), want), names.end()) << want;
}

TEST(CatalogShipped, EveryCatalogLoadsByNameAndIsConsistent) {
    for (const auto& name : shipped_names()) {
        SCOPED_TRACE(name);
        Catalog cat = load_shipped(name);
        EXPECT_EQ(cat.name, name);
        EXPECT_EQ(fs::path(cat.path).parent_path(), kStacksDir);
        EXPECT_FALSE(cat.title.empty());
        ASSERT_FALSE(cat.stacks.empty());
        ASSERT_FALSE(cat.services.empty());
        for (const auto& st : cat.stacks) {
            SCOPED_TRACE(st.name);
            EXPECT_EQ(st.driver, "compose");
            EXPECT_FALSE(st.project.empty());
            EXPECT_FALSE(st.compose_file.empty());
        }
        std::set<std::string> names, stacks_used;
        for (const auto& s : cat.services) {
            SCOPED_TRACE(s.name);
            EXPECT_TRUE(names.insert(s.name).second) << "duplicate";
            ASSERT_NE(cat.stack(s.stack), nullptr) << s.stack;
            stacks_used.insert(s.stack);
            EXPECT_TRUE(kDesignKinds.count(s.probe.kind)) << s.probe.kind;
            EXPECT_TRUE(endpoint_ok(s.probe)) << s.probe.kind << " " << s.probe.endpoint;
            EXPECT_FALSE(s.compose_service.empty());
            EXPECT_FALSE(s.description.empty());
            EXPECT_EQ(cat.service(s.name), &s);
        }
        for (const auto& st : cat.stacks)
            EXPECT_TRUE(stacks_used.count(st.name)) << st.name;
    }
}

TEST(CatalogShipped, EbapHasEveryPlatformService) {
    Catalog cat = load_shipped("ebap");
    const std::map<std::string, std::string> want = {{"kafka", "kafka"},
                                                     {"schema-registry", "schema-registry"},
                                                     {"kafka-connect", "kafka-connect"},
                                                     {"postgres", "postgres"},
                                                     {"redis", "redis"},
                                                     {"minio", "minio"},
                                                     {"minio-console", "http"},
                                                     {"spark-master", "spark"},
                                                     {"spark-worker", "http"},
                                                     {"spark-batch-master", "spark"},
                                                     {"spark-batch-worker", "http"},
                                                     {"trino", "trino"},
                                                     {"grafana", "grafana"}};
    for (const auto& [name, kind] : want) {
        const ebap::ServiceSpec* s = cat.service(name);
        ASSERT_NE(s, nullptr) << name;
        EXPECT_EQ(s->probe.kind, kind) << name;
    }
    // Seed 000's host ports.
    EXPECT_EQ(cat.service("kafka")->probe.endpoint, "localhost:9092");
    EXPECT_EQ(cat.service("trino")->probe.endpoint, "http://localhost:8085");
    EXPECT_EQ(cat.service("spark-batch-master")->probe.endpoint, "http://localhost:8090");
    EXPECT_EQ(cat.service("kafka-connect")->probe.endpoint, "http://localhost:8083");
    EXPECT_EQ(cat.stack("core")->compose_file, "test/docker-compose.yml");
}

TEST(CatalogShipped, DeProjectHasThreeBrokers) {
    Catalog cat = load_shipped("de-project");
    std::set<std::string> endpoints;
    for (const auto& s : cat.services)
        if (s.probe.kind == "kafka") endpoints.insert(s.probe.endpoint);
    EXPECT_EQ(endpoints,
              (std::set<std::string>{"localhost:9092", "localhost:9093", "localhost:9094"}));
    for (const char* name :
         {"zookeeper", "schema-registry", "kafka-ui", "flink-jobmanager", "flink-taskmanager",
          "minio", "iceberg-rest", "dagster-webserver", "prometheus", "grafana", "node-exporter",
          "openmetadata", "superset", "graphql-api"})
        EXPECT_NE(cat.service(name), nullptr) << name;
}

TEST(CatalogSearch, EnvDirComesFirstAndUnknownNamesListWhatExists) {
    TempDir dir;
    std::ofstream(dir.path() / "mine.toml") << kHead << service("kafka");
    ScopedEnv env("EBAP_STACKS_DIR", dir.path().string());

    Catalog cat = load_catalog("mine");
    EXPECT_EQ(cat.name, "t");
    EXPECT_EQ(cat.path, (dir.path() / "mine.toml").string());

    auto names = ebap::catalog_names();
    EXPECT_NE(std::find(names.begin(), names.end(), "mine"), names.end());
    try {
        load_catalog("no-such-platform");
        FAIL() << "expected UsageError";
    } catch (const ebap::UsageError& e) {
        std::string msg = e.what();
        EXPECT_NE(msg.find("no-such-platform"), std::string::npos) << msg;
        EXPECT_NE(msg.find("mine"), std::string::npos) << msg;
        EXPECT_NE(msg.find("ebap"), std::string::npos) << msg; // source tree is searched too
    }
}

TEST(CatalogSearch, FileArgumentsAreReadAsFiles) {
    TempDir dir;
    fs::path file = dir.path() / "x.toml";
    std::ofstream(file) << kHead << service("redis", "", "redis", "127.0.0.1:6379");
    EXPECT_EQ(load_catalog(file.string()).services.at(0).name, "redis");
    EXPECT_THROW(load_catalog((dir.path() / "missing.toml").string()), ebap::UsageError);
}

TEST(CatalogParse, ValidCatalogKeepsEveryField) {
    std::string text = kHead +
                       "[stacks.local]\ndriver = \"command\"\nup = [\"a\", \"b\"]\n"
                       "down = [\"c\"]\n\n" +
                       service("kafka") +
                       service("api",
                               "expect_body = \"ok\"\nexpect_status = 204\ntimeout_ms = 750\n"
                               "optional = true\ncompose_service = \"api-svc\"\n",
                               "http", "http://localhost:8000/health") +
                       "[[service]]\nname = \"job\"\nstack = \"local\"\nprobe = \"command\"\n"
                       "command = [\"true\"]\n";
    Catalog cat = parse_catalog(text, "t.toml");
    ASSERT_EQ(cat.services.size(), 3u);
    EXPECT_EQ(cat.stack("core")->project, "t"); // defaults to the catalog name
    EXPECT_EQ(cat.stack("local")->up, (std::vector<std::string>{"a", "b"}));
    EXPECT_EQ(cat.service("kafka")->compose_service, "kafka"); // defaults to the name
    const auto& api = *cat.service("api");
    EXPECT_EQ(api.probe.expect_body, "ok");
    EXPECT_EQ(api.probe.expect_status, 204);
    EXPECT_EQ(api.probe.timeout_ms, 750);
    EXPECT_TRUE(api.optional);
    EXPECT_EQ(api.compose_service, "api-svc");
    EXPECT_EQ(cat.service("job")->probe.command, (std::vector<std::string>{"true"}));
    EXPECT_FALSE(cat.service("kafka")->optional);
}

TEST(CatalogParse, SyntaxErrorReportsLineAndColumn) {
    std::string text = "[catalog]\nname = \"t\"\ntitle = = \"x\"\n";
    std::string msg = error_of(text);
    EXPECT_EQ(msg.rfind("t.toml:3:", 0), 0u) << msg;
    EXPECT_TRUE(std::regex_search(msg, std::regex(R"(^t\.toml:3:[1-9][0-9]*: invalid TOML)")))
        << msg;
}

TEST(CatalogParse, UnknownProbeKindSuggestsOne) {
    std::string text = kHead + service("kafka", "", "kafak");
    std::string msg = error_of(text);
    EXPECT_EQ(msg.rfind(position_of(text, "\"kafak\"") + ":", 0), 0u) << msg;
    EXPECT_NE(msg.find("unknown probe kind 'kafak'"), std::string::npos) << msg;
    EXPECT_NE(msg.find("'kafka'?"), std::string::npos) << msg;
}

TEST(CatalogParse, UnknownStackIsNamed) {
    std::string text = kHead + service("kafka");
    text.replace(text.find("stack = \"core\""), 14, "stack = \"cor\"");
    std::string msg = error_of(text);
    EXPECT_EQ(msg.rfind(position_of(text, "\"cor\"") + ":", 0), 0u) << msg;
    EXPECT_NE(msg.find("unknown stack 'cor'"), std::string::npos) << msg;
}

TEST(CatalogParse, UnknownKeysSuggestTheClosestKnownKey) {
    std::string text = kHead + service("kafka", "endpont = \"x\"\n");
    std::string msg = error_of(text);
    EXPECT_EQ(msg.rfind(position_of(text, "endpont") + ":", 0), 0u) << msg;
    EXPECT_NE(msg.find("unknown key 'endpont'"), std::string::npos) << msg;
    EXPECT_NE(msg.find("did you mean 'endpoint'"), std::string::npos) << msg;

    text = kHead + "compose_fil = \"x\"\n" + service("kafka");
    msg = error_of(text);
    EXPECT_NE(msg.find("did you mean 'compose_file'"), std::string::npos) << msg;

    msg = error_of("[catalog]\nname = \"t\"\ntitel = \"x\"\n");
    EXPECT_EQ(msg.rfind("t.toml:3:1:", 0), 0u) << msg;
    EXPECT_NE(msg.find("did you mean 'title'"), std::string::npos) << msg;

    msg = error_of(kHead + "[[services]]\nname = \"x\"\n");
    EXPECT_NE(msg.find("did you mean 'service'"), std::string::npos) << msg;
}

TEST(CatalogParse, DuplicateServiceNameIsRejectedAtTheSecond) {
    std::string text = kHead + service("kafka") + service("kafka");
    std::string msg = error_of(text);
    std::size_t second = text.find("name = \"kafka\"", text.find("name = \"kafka\"") + 1);
    EXPECT_EQ(msg.rfind(position_of(text, "\"kafka\"", second) + ":", 0), 0u) << msg;
    EXPECT_NE(msg.find("duplicate service name 'kafka'"), std::string::npos) << msg;
}

TEST(CatalogParse, MissingKeysAreNamed) {
    std::string no_endpoint = kHead + "[[service]]\nname = \"r\"\nstack = \"core\"\n"
                                      "probe = \"redis\"\n";
    EXPECT_NE(error_of(no_endpoint).find("missing key 'endpoint'"), std::string::npos);
    std::string no_probe = kHead + "[[service]]\nname = \"r\"\nstack = \"core\"\n";
    EXPECT_NE(error_of(no_probe).find("missing key 'probe'"), std::string::npos);
    std::string no_name = kHead + "[[service]]\nstack = \"core\"\nprobe = \"tcp\"\n"
                                  "endpoint = \"h:1\"\n";
    EXPECT_NE(error_of(no_name).find("missing key 'name'"), std::string::npos);
    EXPECT_NE(error_of("[catalog]\ntitle = \"x\"\n").find("missing key 'name'"), std::string::npos);
    std::string no_command = kHead + "[[service]]\nname = \"c\"\nstack = \"core\"\n"
                                     "probe = \"command\"\n";
    EXPECT_NE(error_of(no_command).find("'command'"), std::string::npos);
    EXPECT_NE(error_of(kHead).find("no services"), std::string::npos);
}

TEST(CatalogParse, WrongTypesAndBadValuesAreRejected) {
    std::string text = kHead + service("kafka", "expect_status = \"200\"\n");
    std::string msg = error_of(text);
    EXPECT_EQ(msg.rfind(position_of(text, "\"200\"") + ":", 0), 0u) << msg;
    EXPECT_NE(msg.find("'expect_status'"), std::string::npos) << msg;
    EXPECT_NE(msg.find("integer"), std::string::npos) << msg;

    EXPECT_NE(error_of(kHead + service("k", "command = [\"a\", 1]\n")).find("array of strings"),
              std::string::npos);
    EXPECT_NE(error_of(kHead + service("k", "optional = \"yes\"\n")).find("'optional'"),
              std::string::npos);
    EXPECT_NE(error_of("[catalog]\nname = 5\n").find("must be a string"), std::string::npos);
    EXPECT_NE(error_of(kHead + "[service]\nname = \"x\"\n").find("[[service]]"), std::string::npos);

    // Endpoints must match the probe kind.
    EXPECT_NE(
        error_of(kHead + service("r", "", "redis", "http://localhost:6379")).find("host:port"),
        std::string::npos);
    EXPECT_NE(error_of(kHead + service("t", "", "trino", "localhost:8085")).find("URL"),
              std::string::npos);
    EXPECT_NE(error_of(kHead + service("k", "", "kafka", "localhost:99999")).find("'endpoint'"),
              std::string::npos);

    std::string bad_driver =
        "[catalog]\nname = \"t\"\n[stacks.core]\ndriver = \"helm\"\n" + service("kafka");
    EXPECT_NE(error_of(bad_driver).find("unknown driver 'helm'"), std::string::npos);
    std::string no_file =
        "[catalog]\nname = \"t\"\n[stacks.core]\ndriver = \"compose\"\n" + service("kafka");
    EXPECT_NE(error_of(no_file).find("missing key 'compose_file'"), std::string::npos);
}
