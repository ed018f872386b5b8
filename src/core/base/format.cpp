#include "core/base/format.hpp"

#include <cwchar>

#include <fmt/format.h>

namespace ebap {

std::string fmt_duration_ms(double ms) {
    if (!(ms >= 0)) return "-";
    if (ms < 1000) return fmt::format("{:.0f} ms", ms);
    double s = ms / 1000;
    if (s < 60) return fmt::format("{:.1f} s", s);
    if (s >= 9.0e15) return "forever";
    auto total = static_cast<long long>(s);
    if (total < 3600) return fmt::format("{}m {:02}s", total / 60, total % 60);
    if (total < 86400) return fmt::format("{}h {:02}m", total / 3600, (total % 3600) / 60);
    return fmt::format("{}d {:02}h", total / 86400, (total % 86400) / 3600);
}

std::string fmt_count(double n) {
    double a = n < 0 ? -n : n;
    if (a < 1000) return fmt::format("{:.0f}", n);
    if (a < 1e6) return fmt::format("{:.1f}K", n / 1e3);
    if (a < 1e9) return fmt::format("{:.1f}M", n / 1e6);
    return fmt::format("{:.1f}G", n / 1e9);
}

std::string fmt_bytes(double n) {
    const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
    int u = 0;
    while (n >= 1024 && u < 4)
        n /= 1024, ++u;
    return u == 0 ? fmt::format("{:.0f} B", n) : fmt::format("{:.1f} {}", n, units[u]);
}

std::string percent_encode(std::string_view s, std::string_view keep) {
    static constexpr char kHex[] = "0123456789ABCDEF";
    std::string out;
    out.reserve(s.size());
    for (const char ch : s) {
        const auto c = static_cast<unsigned char>(ch);
        if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
            keep.find(ch) != std::string_view::npos) {
            out.push_back(ch);
        } else {
            out.push_back('%');
            out.push_back(kHex[c >> 4]);
            out.push_back(kHex[c & 15]);
        }
    }
    return out;
}

int display_width(const std::string& s) {
    std::mbstate_t st{};
    const char* p = s.data();
    const char* end = p + s.size();
    int width = 0;
    while (p < end) {
        wchar_t wc;
        std::size_t n = std::mbrtowc(&wc, p, end - p, &st);
        if (n == static_cast<std::size_t>(-1) || n == static_cast<std::size_t>(-2)) {
            // Not valid in this locale: count remaining bytes as one column each.
            width += static_cast<int>(end - p);
            break;
        }
        if (n == 0) n = 1;
        int w = wcwidth(wc);
        width += w < 0 ? 1 : w;
        p += n;
    }
    return width;
}

} // namespace ebap
