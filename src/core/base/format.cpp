#include "core/base/format.hpp"

#include <cstdlib>
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

namespace {

// Decodes the code point at s[i]; `len` is its byte length (an invalid byte: 1, cp -1).
long decode_utf8(std::string_view s, std::size_t i, std::size_t& len) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
        len = 1;
        return c;
    }
    len = utf8_length(s, i);
    if (len == 0) {
        len = 1;
        return -1;
    }
    long cp = c & (len == 2 ? 0x1F : len == 3 ? 0x0F : 0x07);
    for (std::size_t k = 1; k < len; ++k)
        cp = (cp << 6) | (static_cast<unsigned char>(s[i + k]) & 0x3F);
    return cp;
}

// Columns of one code point. wcwidth() knows them only in a UTF-8 locale (a C locale says
// -1 for all of U+0080 and up), so the common zero-width and double-width ranges (combining
// marks, CJK, Hangul, full-width forms, emoji) are also known here.
int codepoint_width(long cp) {
    if (cp < 0) return 1;
    if (cp < 0x80) return cp < 0x20 || cp == 0x7F ? 0 : 1;
    if (MB_CUR_MAX > 1) {
        const int w = wcwidth(static_cast<wchar_t>(cp));
        if (w >= 0) return w;
    }
    struct Range {
        long lo, hi;
    };
    static constexpr Range kZero[] = {{0x0300, 0x036F}, {0x0483, 0x0489}, {0x0591, 0x05BD},
                                      {0x1AB0, 0x1AFF}, {0x1DC0, 0x1DFF}, {0x200B, 0x200F},
                                      {0x2060, 0x2064}, {0x20D0, 0x20FF}, {0xFE00, 0xFE0F},
                                      {0xFE20, 0xFE2F}, {0xE0100, 0xE01EF}};
    static constexpr Range kWide[] = {
        {0x1100, 0x115F},   {0x231A, 0x231B},   {0x23E9, 0x23EC},   {0x2614, 0x2615},
        {0x2E80, 0x303E},   {0x3041, 0x33FF},   {0x3400, 0x4DBF},   {0x4E00, 0x9FFF},
        {0xA000, 0xA4CF},   {0xA960, 0xA97F},   {0xAC00, 0xD7A3},   {0xF900, 0xFAFF},
        {0xFE30, 0xFE4F},   {0xFF00, 0xFF60},   {0xFFE0, 0xFFE6},   {0x1F004, 0x1F004},
        {0x1F300, 0x1F64F}, {0x1F680, 0x1F6FF}, {0x1F900, 0x1F9FF}, {0x1FA70, 0x1FAFF},
        {0x20000, 0x2FFFD}, {0x30000, 0x3FFFD}};
    for (const Range& r : kZero)
        if (cp >= r.lo && cp <= r.hi) return 0;
    for (const Range& r : kWide)
        if (cp >= r.lo && cp <= r.hi) return 2;
    return 1;
}

} // namespace

int display_width(const std::string& s) {
    int width = 0;
    for (std::size_t i = 0, len = 0; i < s.size(); i += len)
        width += codepoint_width(decode_utf8(s, i, len));
    return width;
}

std::string mask_url_credentials(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    std::size_t at = 0;
    for (;;) {
        const std::size_t scheme = text.find("://", at);
        if (scheme == std::string_view::npos) break;
        const std::size_t start = scheme + 3;
        // The authority ends at the path, query, fragment, or where a message goes on.
        std::size_t end = start;
        while (end < text.size() && std::string_view("/?# \t\n\"'<>").find(text[end]) ==
                                        std::string_view::npos)
            ++end;
        const std::string_view authority = text.substr(start, end - start);
        const std::size_t userinfo_end = authority.rfind('@');
        out.append(text.substr(at, start - at));
        if (userinfo_end != std::string_view::npos) {
            const std::string_view userinfo = authority.substr(0, userinfo_end);
            const std::size_t colon = userinfo.find(':');
            if (colon != std::string_view::npos) {
                out.append(userinfo.substr(0, colon));
                out.append(":***");
                out.append(authority.substr(userinfo_end));
            } else {
                out.append(authority);
            }
        } else {
            out.append(authority);
        }
        at = end;
    }
    out.append(text.substr(at));
    return out;
}

std::string truncate_display(const std::string& s, int max_width) {
    if (display_width(s) <= max_width) return s;
    std::string out;
    int width = 0;
    for (std::size_t i = 0, len = 0; i < s.size(); i += len) {
        const int w = codepoint_width(decode_utf8(s, i, len));
        if (width + w > max_width - 1) break;
        out.append(s, i, len);
        width += w;
    }
    return out + "\u2026";
}

void json_quote(std::string& out, std::string_view s) {
    static const char* hex = "0123456789abcdef";
    out += '"';
    for (unsigned char c : s) {
        switch (c) {
        case '"': out += "\\\""; break;
        case '\\': out += "\\\\"; break;
        case '\n': out += "\\n"; break;
        case '\r': out += "\\r"; break;
        case '\t': out += "\\t"; break;
        default:
            if (c < 0x20) {
                out += "\\u00";
                out += hex[c >> 4];
                out += hex[c & 15];
            } else {
                out += static_cast<char>(c);
            }
        }
    }
    out += '"';
}

} // namespace ebap
