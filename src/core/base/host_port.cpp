#include "core/base/host_port.hpp"

#include "core/base/error.hpp"

#include <algorithm>
#include <cctype>

namespace ebap {

HostPort parse_host_port(const std::string& endpoint, int default_port) {
    std::string rest = endpoint;
    if (auto scheme = rest.find("://"); scheme != std::string::npos) rest = rest.substr(scheme + 3);
    if (!rest.empty() && rest[0] == '/') { // unix socket directory, optionally ":port"
        auto colon = rest.rfind(':');
        bool numeric = colon != std::string::npos && colon + 1 < rest.size() &&
                       std::all_of(rest.begin() + colon + 1, rest.end(),
                                   [](unsigned char c) { return std::isdigit(c); });
        return numeric ? HostPort{rest.substr(0, colon), std::stoi(rest.substr(colon + 1))}
                       : HostPort{rest, default_port};
    }
    if (auto slash = rest.find('/'); slash != std::string::npos) rest.resize(slash);
    if (auto at = rest.rfind('@'); at != std::string::npos)
        rest = rest.substr(at + 1); // user:pass@

    HostPort hp{rest, default_port};
    std::string port;
    if (!rest.empty() && rest[0] == '[') {
        auto close = rest.find(']');
        if (close == std::string::npos)
            throw UsageError("bad endpoint '" + endpoint + "': missing ']'");
        hp.host = rest.substr(1, close - 1);
        if (close + 1 < rest.size()) {
            if (rest[close + 1] != ':') throw UsageError("bad endpoint '" + endpoint + "'");
            port = rest.substr(close + 2);
        }
    } else if (auto colon = rest.rfind(':'); colon != std::string::npos) {
        if (rest.find(':') != colon) return {rest, default_port}; // bare IPv6 address
        hp.host = rest.substr(0, colon);
        port = rest.substr(colon + 1);
    }
    if (hp.host.empty())
        throw UsageError("bad endpoint '" + endpoint + "': no host (expected host:port)");
    if (!port.empty()) {
        bool digits =
            std::all_of(port.begin(), port.end(), [](unsigned char c) { return std::isdigit(c); });
        int value = digits && port.size() <= 5 ? std::stoi(port) : 0;
        if (value <= 0 || value > 65535)
            throw UsageError("bad endpoint '" + endpoint + "': port '" + port + "' is not 1-65535");
        hp.port = value;
    }
    if (hp.port <= 0)
        throw UsageError("bad endpoint '" + endpoint + "': no port (expected host:port)");
    return hp;
}

bool valid_host_port(const std::string& endpoint) {
    if (endpoint.empty() || endpoint.find_first_of(" \t\r\n/@,") != std::string::npos)
        return false;
    try {
        return parse_host_port(endpoint, 0).port > 0;
    } catch (const UsageError&) {
        return false;
    }
}

} // namespace ebap
