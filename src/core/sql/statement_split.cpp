#include "core/sql/statement_split.hpp"

#include <cctype>

namespace ebap::sql {
namespace {

std::string trim(std::string_view s) {
    std::size_t b = 0, e = s.size();
    while (b < e && std::isspace(static_cast<unsigned char>(s[b]))) ++b;
    while (e > b && std::isspace(static_cast<unsigned char>(s[e - 1]))) --e;
    return std::string(s.substr(b, e - b));
}

// A dollar-quote tag at s[i] ("$$" or "$name$"), or 0.
std::size_t dollar_tag(std::string_view s, std::size_t i) {
    if (s[i] != '$') return 0;
    // $1 is a parameter, not a quote; the tag follows identifier rules.
    if (i > 0 && (std::isalnum(static_cast<unsigned char>(s[i - 1])) || s[i - 1] == '_')) return 0;
    std::size_t j = i + 1;
    if (j < s.size() && std::isdigit(static_cast<unsigned char>(s[j]))) return 0;
    while (j < s.size() && (std::isalnum(static_cast<unsigned char>(s[j])) || s[j] == '_')) ++j;
    return j < s.size() && s[j] == '$' ? j - i + 1 : 0;
}

} // namespace

bool is_blank_sql(std::string_view text) {
    Split s = split_statements(text);
    return s.statements.empty() && !s.rest_open && s.rest.empty();
}

Split split_statements(std::string_view s) {
    Split out;
    std::size_t start = 0, i = 0;
    bool content = false; // anything but blanks and comments since start
    auto flush = [&](std::size_t end) {
        if (content) out.statements.push_back(trim(s.substr(start, end - start)));
        start = end + 1;
        content = false;
    };
    while (i < s.size()) {
        const char c = s[i];
        if (c == '-' && i + 1 < s.size() && s[i + 1] == '-') {
            while (i < s.size() && s[i] != '\n') ++i;
            continue;
        }
        if (c == '/' && i + 1 < s.size() && s[i + 1] == '*') {
            const std::size_t end = s.find("*/", i + 2);
            if (end == std::string_view::npos) {
                out.rest_open = true;
                i = s.size();
                break;
            }
            i = end + 2;
            continue;
        }
        if (c == '\'' || c == '"') {
            content = true;
            std::size_t j = i + 1;
            for (;;) {
                if (j >= s.size()) {
                    out.rest_open = true;
                    break;
                }
                if (s[j] == c) {
                    if (j + 1 < s.size() && s[j + 1] == c) { // doubled quote
                        j += 2;
                        continue;
                    }
                    break;
                }
                ++j;
            }
            i = j + 1;
            continue;
        }
        if (std::size_t tag = dollar_tag(s, i)) {
            content = true;
            const std::size_t end = s.find(s.substr(i, tag), i + tag);
            if (end == std::string_view::npos) {
                out.rest_open = true;
                i = s.size();
                break;
            }
            i = end + tag;
            continue;
        }
        if (c == ';') {
            flush(i);
            ++i;
            continue;
        }
        if (!std::isspace(static_cast<unsigned char>(c))) content = true;
        ++i;
    }
    if (start < s.size()) {
        std::string rest = trim(s.substr(start));
        if (content || out.rest_open) out.rest = rest;
    }
    return out;
}

} // namespace ebap::sql
