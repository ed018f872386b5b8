#include "core/sql/trino_value.hpp"

#include <cctype>

namespace ebap::sql {
namespace {

struct TypeParser {
    std::string_view s;
    std::size_t i = 0;

    void blanks() {
        while (i < s.size() && std::isspace(static_cast<unsigned char>(s[i]))) ++i;
    }
    std::string word() {
        blanks();
        std::string w;
        if (i < s.size() && s[i] == '"') { // a quoted row field name
            for (++i; i < s.size(); ++i) {
                if (s[i] == '"' && !(i + 1 < s.size() && s[i + 1] == '"')) break;
                if (s[i] == '"') ++i;
                w += s[i];
            }
            ++i;
            return w;
        }
        while (i < s.size() && s[i] != '(' && s[i] != ',' && s[i] != ')' &&
               !std::isspace(static_cast<unsigned char>(s[i])))
            w += static_cast<char>(std::tolower(static_cast<unsigned char>(s[i++])));
        return w;
    }
    // Skips one balanced argument (a number, or "with time zone" words) up to ',' or ')'.
    void skip_argument() {
        int depth = 0;
        while (i < s.size() && (depth > 0 || (s[i] != ',' && s[i] != ')'))) {
            if (s[i] == '(') ++depth;
            if (s[i] == ')') --depth;
            ++i;
        }
    }
    TrinoType type() {
        TrinoType t;
        t.raw = word();
        auto args = [&] {
            blanks();
            if (i >= s.size() || s[i] != '(') return;
            ++i;
            for (;;) {
                blanks();
                if (i >= s.size()) return;
                if (s[i] == ')') {
                    ++i;
                    return;
                }
                if (t.raw == "array" || t.raw == "map") {
                    t.args.push_back(type());
                } else if (t.raw == "row") {
                    // "name type" or just "type"
                    const std::size_t mark = i;
                    std::string first = word();
                    blanks();
                    if (i < s.size() && s[i] != ',' && s[i] != ')' && s[i] != '(') {
                        t.field_names.push_back(first);
                        t.args.push_back(type());
                    } else {
                        i = mark;
                        t.field_names.emplace_back();
                        t.args.push_back(type());
                    }
                } else {
                    skip_argument();
                }
                blanks();
                if (i < s.size() && s[i] == ',') ++i;
            }
        };
        args();
        // "timestamp(3) with time zone", "interval day to second": more words of the name.
        for (;;) {
            blanks();
            if (i >= s.size() || s[i] == ',' || s[i] == ')' || s[i] == '(') break;
            t.raw += " " + word();
        }
        return t;
    }
};

} // namespace

TrinoType parse_trino_type(std::string_view spelling) {
    TypeParser p{spelling};
    return p.type();
}

bool trino_numeric(const TrinoType& t) {
    return t.raw == "tinyint" || t.raw == "smallint" || t.raw == "integer" || t.raw == "bigint" ||
           t.raw == "real" || t.raw == "double" || t.raw == "decimal";
}

std::string base64_to_hex_pairs(std::string_view b64) {
    auto value = [](char c) -> int {
        if (c >= 'A' && c <= 'Z') return c - 'A';
        if (c >= 'a' && c <= 'z') return c - 'a' + 26;
        if (c >= '0' && c <= '9') return c - '0' + 52;
        if (c == '+' || c == '-') return 62;
        if (c == '/' || c == '_') return 63;
        return -1;
    };
    static const char* hex = "0123456789abcdef";
    std::string out;
    unsigned acc = 0;
    int bits = 0;
    for (char c : b64) {
        const int v = value(c);
        if (v < 0) continue; // '=' padding, line breaks
        acc = (acc << 6) | unsigned(v);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            const unsigned byte = (acc >> bits) & 0xff;
            if (!out.empty()) out += ' ';
            out += hex[byte >> 4];
            out += hex[byte & 15];
        }
    }
    return out;
}

} // namespace ebap::sql
