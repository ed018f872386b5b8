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

namespace {

// Length of the UTF-8 sequence at s[i] (2-4), or 0 when it is not a valid one.
std::size_t utf8_length(std::string_view s, std::size_t i) {
    const auto c = static_cast<unsigned char>(s[i]);
    std::size_t n = c >= 0xF0 && c <= 0xF4 ? 4 : c >= 0xE0 ? 3 : c >= 0xC2 && c < 0xE0 ? 2 : 0;
    if (n == 0 || i + n > s.size()) return 0;
    for (std::size_t k = 1; k < n; ++k)
        if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) return 0;
    const auto c1 = static_cast<unsigned char>(s[i + 1]);
    if ((c == 0xE0 && c1 < 0xA0) || (c == 0xED && c1 >= 0xA0) || (c == 0xF0 && c1 < 0x90) ||
        (c == 0xF4 && c1 >= 0x90))
        return 0; // overlong, surrogate or beyond U+10FFFF
    return n;
}

} // namespace

std::string printable(std::string_view s) {
    static constexpr char kHex[] = "0123456789abcdef";
    std::string out;
    out.reserve(s.size());
    for (std::size_t i = 0; i < s.size();) {
        const auto c = static_cast<unsigned char>(s[i]);
        if (c >= 0x20 && c < 0x7F) {
            out.push_back(s[i++]);
            continue;
        }
        if (c == '\n' || c == '\t' || c == '\r') {
            out += c == '\n' ? "\\n" : c == '\t' ? "\\t" : "\\r";
            ++i;
            continue;
        }
        if (c >= 0x80) {
            const std::size_t n = utf8_length(s, i);
            // U+0080..U+009F (C1 controls, e.g. the 8-bit CSI) are escaped too.
            if (n > 0 && !(n == 2 && c == 0xC2 && static_cast<unsigned char>(s[i + 1]) < 0xA0)) {
                out.append(s.substr(i, n));
                i += n;
                continue;
            }
        }
        out += "\\x";
        out.push_back(kHex[c >> 4]);
        out.push_back(kHex[c & 15]);
        ++i;
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
