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

ProbeResult auth_failed(const std::string& reason, Clock::time_point start) {
    return finish(Health::Degraded, "authentication failed: " + reason, start);
}

std::string no_answer(int timeout_ms) {
    return fmt::format("no answer within {} ms", timeout_ms);
}


} // namespace ebap::probe_detail
