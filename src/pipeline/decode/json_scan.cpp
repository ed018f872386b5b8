#include "pipeline/decode/json_scan.hpp"

namespace ebap::pipeline::json_scan {
namespace {

bool is_ws(char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

// Walks s calling on_string_byte(i) for every byte inside a string (escapes included)
// and returns the offset of an unterminated string's opening quote, or npos.
template <class F> std::size_t walk_strings(std::string_view s, F&& on_string_byte) {
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (s[i] != '"') continue;
        const std::size_t open = i;
        for (++i;; ++i) {
            if (i >= s.size()) return open;
            if (s[i] == '"') break;
            if (!on_string_byte(i)) return npos;
            if (s[i] == '\\') ++i;
        }
    }
    return npos;
}

} // namespace

std::size_t skip_ws(std::string_view s, std::size_t p) {
    while (p < s.size() && is_ws(s[p]))
        ++p;
    return p;
}

std::size_t skip_string(std::string_view s, std::size_t p) {
    for (++p; p < s.size(); ++p) {
        if (s[p] == '\\')
            ++p;
        else if (s[p] == '"')
            return p + 1;
    }
    return npos;
}

std::size_t skip_value(std::string_view s, std::size_t p) {
    if (p >= s.size()) return npos;
    if (s[p] == '"') return skip_string(s, p);
    if (s[p] == '{' || s[p] == '[') {
        int depth = 0;
        while (p < s.size()) {
            const char c = s[p];
            if (c == '"') {
                if ((p = skip_string(s, p)) == npos) return npos;
                continue;
            }
            if (c == '{' || c == '[')
                ++depth;
            else if ((c == '}' || c == ']') && --depth == 0)
                return p + 1;
            ++p;
        }
        return npos;
    }
    while (p < s.size() && s[p] != ',' && s[p] != '}' && s[p] != ']' && !is_ws(s[p]))
        ++p;
    return p;
}

std::size_t first_invalid_utf8(std::string_view s) {
    const auto byte = [&](std::size_t i) {
        return i < s.size() ? static_cast<unsigned char>(s[i]) : 0u;
    };
    const auto cont = [&](std::size_t i) { return (byte(i) & 0xC0) == 0x80; };
    for (std::size_t i = 0; i < s.size();) {
        const unsigned c = byte(i);
        std::size_t n = 0;             // continuation bytes
        unsigned lo = 0x80, hi = 0xBF; // allowed range of the second byte (no overlongs,
                                       // no surrogates, nothing above U+10FFFF)
        if (c < 0x80) {
            n = 0;
        } else if (c >= 0xC2 && c <= 0xDF) {
            n = 1;
        } else if (c >= 0xE0 && c <= 0xEF) {
            n = 2;
            if (c == 0xE0) lo = 0xA0;
            if (c == 0xED) hi = 0x9F;
        } else if (c >= 0xF0 && c <= 0xF4) {
            n = 3;
            if (c == 0xF0) lo = 0x90;
            if (c == 0xF4) hi = 0x8F;
        } else {
            return i;
        }
        if (n > 0 && (byte(i + 1) < lo || byte(i + 1) > hi)) return i;
        for (std::size_t k = 2; k <= n; ++k)
            if (!cont(i + k)) return i;
        i += n + 1;
    }
    return npos;
}

std::size_t first_control_in_string(std::string_view s) {
    std::size_t found = npos;
    walk_strings(s, [&](std::size_t i) {
        if (static_cast<unsigned char>(s[i]) >= 0x20) return true;
        found = i;
        return false;
    });
    return found;
}

std::size_t unclosed_string_start(std::string_view s) {
    return walk_strings(s, [](std::size_t) { return true; });
}

} // namespace ebap::pipeline::json_scan
