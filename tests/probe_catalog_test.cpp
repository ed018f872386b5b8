// The catalog keys that state what one probe kind expects (issue #14): connectors,
// unassigned_grace_ms, apps, role, min_insync_replicas, max_slot_wal_bytes. Each is
// read into the ProbeSpec, rejected on any other kind and checked for type and range,
// with the file position of the key, and misspellings get a suggestion.
#include "core/base/error.hpp"
#include "core/catalog/catalog.hpp"
#include "core/probe/kinds.hpp"

#include <gtest/gtest.h>

#include <string>

namespace {

using ebap::parse_catalog;

const std::string kHead = "[catalog]\nname = \"t\"\n[stacks.core]\ndriver = \"external\"\n";

std::string service(const std::string& probe, const std::string& endpoint, const std::string& extra,
                    const std::string& name = "s") {
    return "[[service]]\nname = \"" + name + "\"\nstack = \"core\"\nprobe = \"" + probe +
           "\"\nendpoint = \"" + endpoint + "\"\n" + extra;
}

std::string error_of(const std::string& text) {
    try {
        parse_catalog(text, "t.toml");
    } catch (const ebap::UsageError& e) {
        return e.what();
    }
    return "(no error)";
}

TEST(ProbeCatalog, ExpectationsAreReadIntoTheProbeSpec) {
    auto cat = parse_catalog(
        kHead +
            service("kafka-connect", "http://localhost:8083",
                    "connectors = [\"ebap-users-cdc\", \"ebap-s3-sink\"]\n"
                    "unassigned_grace_ms = 90000\n") +
            service("spark", "http://localhost:8080", "apps = [\"ebap-streaming\"]\n", "s2") +
            service("trino", "http://localhost:8085", "role = \"worker\"\n", "s3") +
            service("kafka", "localhost:9092", "min_insync_replicas = 2\n", "s4") +
            service("postgres", "localhost:5432", "max_slot_wal_bytes = 4096\n", "s5") +
            service("minio-cluster", "http://localhost:9000", "", "s6"),
        "t.toml");
    ASSERT_EQ(cat.services.size(), 6u);
    EXPECT_EQ(cat.services[0].probe.connectors,
              (std::vector<std::string>{"ebap-users-cdc", "ebap-s3-sink"}));
    EXPECT_EQ(cat.services[0].probe.unassigned_grace_ms, 90000);
    EXPECT_EQ(cat.services[1].probe.apps, (std::vector<std::string>{"ebap-streaming"}));
    EXPECT_EQ(cat.services[2].probe.role, "worker");
    EXPECT_EQ(cat.services[3].probe.min_insync_replicas, 2);
    EXPECT_EQ(cat.services[4].probe.max_slot_wal_bytes, 4096);
    EXPECT_EQ(cat.services[5].probe.kind, "minio-cluster");
    ASSERT_NE(ebap::find_probe_kind("minio-cluster"), nullptr);
    EXPECT_STREQ(ebap::find_probe_kind("minio-cluster")->http_path, "/minio/health/cluster");
}

TEST(ProbeCatalog, DefaultsWhenAbsent) {
    auto cat = parse_catalog(kHead + service("kafka-connect", "http://localhost:8083", ""), "t");
    const auto& p = cat.services[0].probe;
    EXPECT_TRUE(p.connectors.empty());
    EXPECT_EQ(p.unassigned_grace_ms, 0); // the probe applies kDefaultUnassignedGraceMs
    EXPECT_EQ(ebap::kDefaultUnassignedGraceMs, 360000);
    EXPECT_EQ(ebap::kDefaultMaxSlotWalBytes, 1073741824);
}

TEST(ProbeCatalog, AKeyOfAnotherKindIsRejectedWithItsPosition) {
    std::string text = kHead + service("spark", "http://localhost:8080", "connectors = [\"x\"]\n");
    std::string msg = error_of(text);
    EXPECT_EQ(msg.rfind("t.toml:10:", 0), 0u) << msg;
    EXPECT_NE(msg.find("'connectors' in service 's' applies only to probe 'kafka-connect' "
                       "(this service has probe 'spark')"),
              std::string::npos)
        << msg;
    msg = error_of(kHead + service("redis", "localhost:6379", "max_slot_wal_bytes = 5\n"));
    EXPECT_NE(msg.find("applies only to probe 'postgres'"), std::string::npos) << msg;
}

TEST(ProbeCatalog, WrongTypesAndRangesAreRejected) {
    auto bad = [](const std::string& probe, const std::string& endpoint, const std::string& kv) {
        return error_of(kHead + service(probe, endpoint, kv + "\n"));
    };
    EXPECT_NE(bad("spark", "http://h:1", "apps = \"ebap\"").find("must be an array of strings"),
              std::string::npos);
    EXPECT_NE(bad("trino", "http://h:1", "role = \"boss\"")
                  .find("'role' in service 's' must be \"coordinator\" or \"worker\""),
              std::string::npos);
    EXPECT_NE(bad("kafka", "h:1", "min_insync_replicas = 0").find("must be 1..100"),
              std::string::npos);
    EXPECT_NE(bad("postgres", "h:1", "max_slot_wal_bytes = 0").find("must be at least 1"),
              std::string::npos);
    EXPECT_NE(
        bad("kafka-connect", "http://h:1", "unassigned_grace_ms = -1").find("must be 0..86400000"),
        std::string::npos);
}

TEST(ProbeCatalog, MisspelledKeySuggestsTheExpectation) {
    std::string msg =
        error_of(kHead + service("kafka-connect", "http://h:1", "conectors = [\"x\"]\n"));
    EXPECT_EQ(msg.rfind("t.toml:10:1:", 0), 0u) << msg;
    EXPECT_NE(msg.find("unknown key 'conectors'"), std::string::npos) << msg;
    EXPECT_NE(msg.find("did you mean 'connectors'"), std::string::npos) << msg;
}

} // namespace
