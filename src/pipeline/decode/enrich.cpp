// The cold-path line of an event: raw's top-level members copied as text, then the
// resolved region and the profile. A text scan, not a DOM: it runs once per event and
// must keep unknown fields byte for byte. It trusts that EventDecoder accepted raw (so
// raw is one valid JSON object); it only guards against running off the end.
#include "core/base/error.hpp"
#include "pipeline/decode/cdc.hpp"
#include "pipeline/decode/event.hpp"
#include "pipeline/decode/json_scan.hpp"
#include "pipeline/decode/json_text.hpp"

namespace ebap::pipeline {
namespace {

using json_scan::skip_string;
using json_scan::skip_value;
using json_scan::skip_ws;
constexpr std::size_t kNpos = json_scan::npos;

int hex_digit(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

// Whether a raw (still escaped) key spells the ASCII name. Escaped keys are rare but
// must match the way the decoder (which unescapes) saw them.
bool key_is(std::string_view key, std::string_view name) {
    if (key.find('\\') == kNpos) return key == name;
    std::string plain;
    for (std::size_t i = 0; i < key.size(); ++i) {
        if (key[i] != '\\') {
            plain.push_back(key[i]);
            continue;
        }
        if (++i >= key.size()) return false;
        if (key[i] != 'u') {
            // \" \\ \/ stand for themselves; \b \f \n \r \t are controls, never in a name
            if (key[i] != '"' && key[i] != '\\' && key[i] != '/') return false;
            plain.push_back(key[i]);
            continue;
        }
        if (i + 4 >= key.size()) return false;
        int code = 0;
        for (std::size_t k = 1; k <= 4; ++k) {
            const int d = hex_digit(key[i + k]);
            if (d < 0) return false;
            code = code * 16 + d;
        }
        if (code >= 0x80) return false; // cannot be part of an ASCII name
        plain.push_back(static_cast<char>(code));
        i += 4;
    }
    return plain == name;
}

} // namespace

namespace {

bool is_ws(char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

void append_resolved(std::string& out, bool first, const UserProfile* profile,
                     std::string_view region) {
    if (!first) out.push_back(',');
    out.append("\"region\":");
    append_json_string(out, region);
    if (profile) {
        out.append(",\"user\":{\"name\":");
        append_json_string(out, profile->name);
        out.append(",\"tier\":");
        append_json_string(out, profile->tier);
        out.append(",\"region\":");
        append_json_string(out, profile->region);
        out.push_back('}');
    }
    out.push_back('}');
}

} // namespace

void append_enriched_json(std::string& out, std::string_view raw, const UserProfile* profile,
                          std::string_view region) {
    const std::size_t start = out.size();
    const auto fail = [&] {
        out.resize(start);
        throw Error("cannot enrich event: the record is not a JSON object");
    };
    std::size_t p = skip_ws(raw, 0);
    if (p >= raw.size() || raw[p] != '{') fail();
    p = skip_ws(raw, p + 1);
    out.push_back('{');
    bool first = true;
    if (p < raw.size() && raw[p] == '}') p = kNpos; // empty object
    while (p != kNpos) {
        if (p >= raw.size() || raw[p] != '"') fail();
        const std::size_t key_begin = p;
        const std::size_t key_end = skip_string(raw, p);
        if (key_end == kNpos) fail();
        p = skip_ws(raw, key_end);
        if (p >= raw.size() || raw[p] != ':') fail();
        const std::size_t value_begin = skip_ws(raw, p + 1);
        const std::size_t value_end = skip_value(raw, value_begin);
        if (value_end == kNpos) fail();
        const std::string_view key = raw.substr(key_begin + 1, key_end - key_begin - 2);
        if (!key_is(key, "region") && !key_is(key, "user")) {
            if (!first) out.push_back(',');
            out.append(raw.substr(key_begin, key_end - key_begin));
            out.push_back(':');
            out.append(raw.substr(value_begin, value_end - value_begin));
            first = false;
        }
        p = skip_ws(raw, value_end);
        if (p >= raw.size()) fail();
        if (raw[p] == '}') break;
        if (raw[p] != ',') fail();
        p = skip_ws(raw, p + 1);
    }
    append_resolved(out, first, profile, region);
}

void append_enriched_event(std::string& out, const Event& e, const UserProfile* profile,
                           std::string_view region) {
    const std::string_view raw = e.raw;
    const std::size_t n = e.member_at.size();
    const std::size_t close = raw.find_last_of('}');
    if (n > 64 || close == std::string_view::npos)
        return append_enriched_json(out, raw, profile, region);
    out.push_back('{');
    bool first = true;
    for (std::size_t i = 0; i < n; ++i) {
        if (e.replaced >> i & 1) continue;
        const std::size_t begin = e.member_at[i];
        std::size_t end = i + 1 < n ? e.member_at[i + 1] : close;
        if (end > raw.size() || end < begin) return append_enriched_json(out, raw, profile, region);
        // A member runs up to the next key: drop the whitespace and the separating comma.
        while (end > begin && is_ws(raw[end - 1]))
            --end;
        if (i + 1 < n && end > begin && raw[end - 1] == ',') --end;
        while (end > begin && is_ws(raw[end - 1]))
            --end;
        if (!first) out.push_back(',');
        out.append(raw.substr(begin, end - begin));
        first = false;
    }
    append_resolved(out, first, profile, region);
}

std::string enrich_json(std::string_view raw, const UserProfile* profile, std::string_view region) {
    std::string out;
    out.reserve(raw.size() + 96);
    append_enriched_json(out, raw, profile, region);
    return out;
}

} // namespace ebap::pipeline
