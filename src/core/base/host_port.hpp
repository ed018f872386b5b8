#pragma once
// Endpoints as operators write them: "host:port", "[v6]:port", "host" (default port),
// optionally "scheme://user:pass@host:port/path", or a unix socket directory "/dir[:port]".
#include <string>

namespace ebap {

struct HostPort {
    std::string host; // a name, an IPv4/IPv6 address (no brackets) or a unix socket directory
    int port = 0;
};
// Throws UsageError naming the endpoint when it cannot be read.
HostPort parse_host_port(const std::string& endpoint, int default_port);
// A catalog's "host:port" (or "[v6]:port"): an explicit port 1-65535, no scheme, path,
// credentials or list.
bool valid_host_port(const std::string& endpoint);

} // namespace ebap
