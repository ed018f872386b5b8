#pragma once
// Stack catalogs (stacks/*.toml): the services of one platform, each with the
// probe that tells its health and the stack (group) that starts and stops it.
#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace ebap {

// How one service is probed. `kind` is one of the probe kinds (core/probe/probe_kinds.cpp):
// kafka redis postgres trino schema-registry kafka-connect minio minio-cluster spark
// flink grafana prometheus iceberg-rest http tcp command. The fields after timeout_ms
// are expectations of one kind each (the catalog rejects them on any other kind).
struct ProbeSpec {
    std::string kind;
    std::string endpoint;             // URL for HTTP kinds, host:port for kafka/redis/postgres/tcp
    std::vector<std::string> command; // argv for kind == "command"
    std::string expect_body;          // http: substring the body must contain (optional)
    int expect_status = 0;            // http: required status (0 = any 2xx)
    int timeout_ms = 0;               // 0 = config probe.timeout_ms
    std::vector<std::string> connectors;  // kafka-connect: connectors that must exist
    std::int64_t unassigned_grace_ms = 0; // kafka-connect: 0 = kDefaultUnassignedGraceMs
    std::vector<std::string> apps;        // spark: applications that must be RUNNING
    std::string role;                     // trino: "coordinator" (default) or "worker"
    int min_insync_replicas = 0;          // kafka: 0 = unknown
    std::int64_t max_slot_wal_bytes = 0;  // postgres: 0 = kDefaultMaxSlotWalBytes
};

// Kafka Connect leaves a departed worker's tasks UNASSIGNED for up to
// scheduled.rebalance.max.delay.ms (5 min by default) before reassigning them: a minute more.
inline constexpr std::int64_t kDefaultUnassignedGraceMs = 6 * 60 * 1000;
// WAL an inactive replication slot may hold back before postgres is DEGRADED.
inline constexpr std::int64_t kDefaultMaxSlotWalBytes = std::int64_t{1} << 30;

// How a stack is started and stopped.
struct StackSpec {
    std::string name;
    std::string driver;                // compose | process | command | external
    std::string project;               // compose -p
    std::string compose_file;          // compose -f (relative to the catalog file's directory)
    std::vector<std::string> profiles; // compose --profile
    std::vector<std::string> up;       // command driver argv
    std::vector<std::string> down;
    std::string description;
};

struct ServiceSpec {
    std::string name;
    std::string stack;
    std::string description;
    ProbeSpec probe;
    std::string compose_service;    // service name in the compose file
    std::vector<std::string> start; // process driver argv (optional)
    std::vector<std::string> stop;
    bool optional = false; // not counted as unhealthy by `status` when DOWN
};

struct Catalog {
    std::string name;
    std::string title;
    std::string path; // file it was loaded from
    std::vector<StackSpec> stacks;
    std::vector<ServiceSpec> services;

    const StackSpec* stack(const std::string& name) const;
    const ServiceSpec* service(const std::string& name) const;
};


// Parse catalog TOML; errors throw UsageError naming path:line:column and key.
Catalog parse_catalog(const std::string& text, const std::string& path);
// Load by file path, or by NAME searched in $EBAP_STACKS_DIR, ./stacks,
// <datadir>/stacks and the source tree's stacks/ directory.
Catalog load_catalog(const std::string& name_or_file);
// Names of the catalogs found in the search path (for --help and doctor).
std::vector<std::string> catalog_names();

} // namespace ebap
