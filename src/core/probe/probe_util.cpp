// Helpers shared by the probe kinds: deadlines, result stamping, endpoint parsing.
#include "core/base/error.hpp"
#include "core/probe/probe_kinds.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>

namespace ebap::probe_detail {

std::int64_t epoch_ms() {
    using namespace std::chrono;
    return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

int timeout_for(const ProbeSpec& spec, const ProbeOptions& opts) {
    if (spec.timeout_ms > 0) return spec.timeout_ms;
    return opts.timeout_ms > 0 ? opts.timeout_ms : 2000;
}

ProbeResult finish(Health state, std::string detail, Clock::time_point start) {
    ProbeResult r;
    r.state = state;
    r.latency_ms = std::chrono::duration<double, std::milli>(Clock::now() - start).count();
    r.detail = one_line(detail);
    r.at_ms = epoch_ms();
    return r;
}

int remaining_ms(Clock::time_point deadline) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    return static_cast<int>(std::max<long long>(0, left.count()));
}

std::string one_line(const std::string& text, std::size_t max) {
    std::string out;
    out.reserve(std::min(text.size(), max));
    bool space = false;
    for (unsigned char c : text) {
        if (std::isspace(c) || std::iscntrl(c)) {
            space = !out.empty();
            continue;
        }
        if (space) out += ' ';
        space = false;
        out += static_cast<char>(c);
        if (out.size() >= max) {
            // Never leave half a UTF-8 character before the ellipsis.
            while (!out.empty() && (static_cast<unsigned char>(out.back()) & 0xC0) == 0x80)
                out.pop_back();
            if (!out.empty() && static_cast<unsigned char>(out.back()) >= 0xC0) out.pop_back();
            out += "…";
            break;
        }
    }
    return out;
}

std::string human_bytes(double bytes) {
    static const char* units[] = {"B", "kB", "MB", "GB", "TB", "PB"};
    int u = 0;
    while (bytes >= 1000 && u < 5) {
        bytes /= 1000;
        ++u;
    }
    return u == 0 ? fmt::format("{:.0f} {}", bytes, units[u])
                  : fmt::format("{:.1f} {}", bytes, units[u]);
}

std::string no_answer(int timeout_ms) {
    return fmt::format("no answer within {} ms", timeout_ms);
}

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

} // namespace ebap::probe_detail
