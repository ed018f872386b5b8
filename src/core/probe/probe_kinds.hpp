#pragma once
// Internal to the probe files: one entry point per probe kind, plus the small
// helpers they share. probe_round() (probe.hpp) is the public way in.
#include "core/base/host_port.hpp"
#include "core/probe/kinds.hpp"
#include "core/probe/probe.hpp"

#include <chrono>
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

// What an HTTP answer means for one kind (probe_http_checks.cpp).
struct HttpReply {
    std::string kind;
    std::string what; // "trino /v1/info" or the URL of a generic http probe
    long status = 0;
    std::string body;
    const ProbeSpec* spec = nullptr;
};
struct Verdict {
    Health state;
    std::string detail;
};
Verdict judge_http(const HttpReply& reply);
// The path a kind asks for, appended to its endpoint ("" for generic http).
const char* http_path(const std::string& kind);

// One row of the probe-kind table (probe_kinds.cpp): the public facts, and how to probe.
struct ProbeKind {
    ProbeKindInfo info;
    ProbeResult (*run)(const ProbeSpec&, const ProbeOptions&, int timeout_ms); // not HTTP
    Verdict (*judge)(const HttpReply&);                                        // HTTP
    bool own_status; // the judge reads non-2xx answers itself
};
const ProbeKind* find_kind(std::string_view name);

ProbeResult probe_tcp(const ProbeSpec& spec, int timeout_ms);
ProbeResult probe_command(const ProbeSpec& spec, int timeout_ms);
ProbeResult probe_redis(const ProbeSpec& spec, const ProbeOptions& opts, int timeout_ms);
ProbeResult probe_postgres(const ProbeSpec& spec, const ProbeOptions& opts, int timeout_ms);
ProbeResult probe_kafka(const ProbeSpec& spec, int timeout_ms);

} // namespace ebap::probe_detail
