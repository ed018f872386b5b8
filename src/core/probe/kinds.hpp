#pragma once
// The probe kinds a catalog may name, each once (probe_kinds.cpp): its name, the endpoint
// form it takes, and for HTTP kinds the path it asks for. The catalog validates with it;
// probe_round dispatches with it.
#include <string>
#include <string_view>
#include <vector>

namespace ebap {

enum class EndpointForm {
    HttpUrl,        // http(s)://host:port
    KafkaBootstrap, // host:port[,host:port...]
    HostPort,       // host:port, [v6]:port, or a unix socket directory
    None,           // the command kind: an argv instead
};

struct ProbeKindInfo {
    const char* name;
    EndpointForm endpoint;
    const char* http_path; // appended to the endpoint; nullptr for kinds that are not HTTP
};

const ProbeKindInfo* find_probe_kind(std::string_view name); // nullptr when unknown
const std::vector<std::string>& probe_kind_names();          // table order

} // namespace ebap
