#pragma once
// Internal to the probe files: one entry point per probe kind, plus the small
// helpers they share. probe_round() (probe.hpp) is the public way in.
#include "core/base/host_port.hpp"
#include "core/probe/kinds.hpp"
#include "core/probe/probe.hpp"

#include <librdkafka/rdkafka.h>

#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ebap::probe_detail {

using Clock = std::chrono::steady_clock;

// Epoch milliseconds now (ProbeResult::at_ms).
std::int64_t epoch_ms();
// The deadline that applies to one target: its own, else the round default.
int timeout_for(const ProbeSpec& spec, const ProbeOptions& opts);
// A finished result: latency measured from `start`, at_ms = now.
ProbeResult finish(Health state, std::string detail, Clock::time_point start);
// Milliseconds left until `deadline` (never negative).
int remaining_ms(Clock::time_point deadline);
// Collapse a (possibly multi-line) message into one printable line of at most `max` bytes.
std::string one_line(const std::string& text, std::size_t max = 200);
// "1.2 MB", "350 B".
std::string human_bytes(double bytes);
// The standard wording of a probe that ran out of time.
std::string no_answer(int timeout_ms);


// HTTP kinds (trino, schema-registry, ..., http) are probed together.
bool is_http_kind(const std::string& kind);
// All HTTP specs through one curl multi handle; results in the same order.
std::vector<ProbeResult> probe_http_all(const std::vector<const ProbeSpec*>& specs,
                                        const ProbeOptions& opts);

// What an HTTP answer means for one kind (probe_kinds.cpp).
struct HttpReply {
    std::string kind;
    std::string what; // "trino /v1/info" or the URL of a generic http probe
    long status = 0;
    std::string body;
    std::map<std::string, std::string> headers; // of the last response; names in lower case
    const ProbeSpec* spec = nullptr;
    std::string error;               // transport failure (only ever set on `also`)
    std::shared_ptr<HttpReply> also; // the kind's second request (ProbeKind::also_path), if any
};
struct Verdict {
    Health state;
    std::string detail;
};
Verdict judge_http(const HttpReply& reply);
// The path a kind asks for, appended to its endpoint ("" for generic http).
const char* http_path(const std::string& kind);
// The kind's second path (flink /jobs/overview, trino /v1/info/state), or nullptr.
const char* also_path(const std::string& kind);

// What the probes remember between rounds (probe_memory.cpp), per scope (kind + endpoint).
std::string memory_scope(const ProbeSpec& spec);
// Epoch ms since when each of `items` has been seen in every round; an item missing from
// a round is forgotten, so it starts over when it shows again.
std::map<std::string, std::int64_t>
seen_since(const std::string& scope, const std::vector<std::string>& items, std::int64_t now_ms);
// The value stored under `scope` by the previous round (nullopt on the first); stores `value`.
std::optional<long long> exchange_counter(const std::string& scope, long long value);

// The kafka verdict over one metadata answer (probe_kafka.cpp): leaderless partitions,
// under-replicated ones (ISR smaller than the replica set) and, when min_insync_replicas
// is known (> 0), those whose ISR is below it.
Verdict judge_kafka_metadata(const rd_kafka_metadata_t& md, int controller, int min_insync);

// One row of the probe-kind table (probe_kinds.cpp): the public facts, and how to probe.
struct ProbeKind {
    ProbeKindInfo info;
    ProbeResult (*run)(const ProbeSpec&, const ProbeOptions&, int timeout_ms); // not HTTP
    Verdict (*judge)(const HttpReply&);                                        // HTTP
    bool own_status;       // the judge reads non-2xx answers itself
    const char* also_path; // a second request in the same round, or nullptr
};
const ProbeKind* find_kind(std::string_view name);

ProbeResult probe_tcp(const ProbeSpec& spec, int timeout_ms);
ProbeResult probe_command(const ProbeSpec& spec, int timeout_ms);
ProbeResult probe_redis(const ProbeSpec& spec, const ProbeOptions& opts, int timeout_ms);
ProbeResult probe_postgres(const ProbeSpec& spec, const ProbeOptions& opts, int timeout_ms);
ProbeResult probe_kafka(const ProbeSpec& spec, int timeout_ms);
// The detail of a failed login, for redis and postgres: DEGRADED, the service is up.
ProbeResult auth_failed(const std::string& reason, Clock::time_point start);

} // namespace ebap::probe_detail
