#include "pipeline/decode/event.hpp"

#include "core/base/format.hpp"
#include "core/base/time.hpp"
#include "pipeline/decode/json_scan.hpp"
#include "pipeline/decode/rfc3339.hpp"

#include <algorithm>
#include <cstring>
#include <fmt/format.h>
#include <simdjson.h>
#include <utility>

namespace ebap::pipeline {
namespace od = simdjson::ondemand;

namespace {

constexpr std::string_view kTypeNames[kEventTypeCount] = {"view",  "search", "cart", "purchase",
                                                          "login", "logout", "error"};

// Bits of the required fields seen in a record.
enum : unsigned { kSeenEventId = 1, kSeenUserId = 2, kSeenType = 4, kSeenTs = 8 };

const char* json_type_name(od::json_type t) {
    switch (t) {
    case od::json_type::array:
        return "array";
    case od::json_type::object:
        return "object";
    case od::json_type::number:
        return "number";
    case od::json_type::string:
        return "string";
    case od::json_type::boolean:
        return "boolean";
    case od::json_type::null:
        return "null";
    }
    return "unknown";
}

// A value quoted inside a reason: bounded (reasons travel in Kafka headers and logs),
// cut on a UTF-8 boundary, C0, DEL and C1 controls masked.
std::string snippet(std::string_view s) {
    constexpr std::size_t kMax = 64;
    std::size_t cut = s.size();
    if (cut > kMax) {
        cut = kMax;
        while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80)
            --cut;
    }
    std::string out;
    out.reserve(cut + 3);
    for (std::size_t i = 0; i < cut; ++i) {
        const auto c = static_cast<unsigned char>(s[i]);
        const bool c1 = c == 0xC2 && i + 1 < cut && (static_cast<unsigned char>(s[i + 1]) & 0xE0) == 0x80;
        if (c1) ++i; // U+0080..U+009F
        out.push_back(c < 0x20 || c == 0x7f || c1 ? '?' : s[i]);
    }
    if (cut < s.size()) out += "...";
    return out;
}

} // namespace

std::string_view event_type_name(EventType type) {
    return kTypeNames[static_cast<std::size_t>(type)];
}

std::optional<EventType> parse_event_type(std::string_view name) {
    for (std::size_t i = 0; i < kEventTypeCount; ++i)
        if (kTypeNames[i] == name) return static_cast<EventType>(i);
    return std::nullopt;
}

// Field readers return Read: ok, a JSON syntax error (kept in syntax_error; the caller
// adds the byte offset) or a rule violation (kept in reason). Error codes, never
// exceptions: a malformed record is an ordinary outcome here.
struct EventDecoder::Impl {
    enum class Read { ok, syntax, rule };

    od::parser parser{kMaxEventBytes};
    std::unique_ptr<char[]> buf; // the record plus SIMDJSON_PADDING, reused
    std::size_t cap = 0;
    simdjson::error_code syntax_error = simdjson::SUCCESS;
    std::string reason;
    std::int64_t now_ms = 0, tolerance_ms = 0, max_ts_ms = INT64_MAX;

    void load(std::string_view json) {
        if (json.size() + simdjson::SIMDJSON_PADDING > cap) {
            cap = std::max<std::size_t>({json.size() + simdjson::SIMDJSON_PADDING, 2 * cap, 4096});
            buf = std::make_unique<char[]>(cap); // zero-filled, padding included
        }
        std::memcpy(buf.get(), json.data(), json.size());
    }

    Read syntax(simdjson::error_code e) {
        syntax_error = e;
        return Read::syntax;
    }
    Read rule(std::string r) {
        reason = std::move(r);
        return Read::rule;
    }

    Read type_of(od::value& v, od::json_type& t) {
        if (auto e = v.type().get(t)) return syntax(e);
        return Read::ok;
    }

    // Consumes a null literal (type() only looks at its first letter).
    Read null_literal(od::value& v) {
        bool is_null = false;
        if (v.is_null().get(is_null) != simdjson::SUCCESS || !is_null)
            return syntax(simdjson::N_ATOM_ERROR);
        return Read::ok;
    }

    // A string; with nullable, null reads as absent (present = false).
    Read string_value(od::value v, std::string_view field, bool nullable, std::string_view& out,
                      bool& present) {
        od::json_type t;
        if (auto r = type_of(v, t); r != Read::ok) return r;
        present = false;
        if (t == od::json_type::null && nullable) return null_literal(v);
        if (t != od::json_type::string)
            return rule(fmt::format("{}: expected string, got {}", field, json_type_name(t)));
        if (auto e = v.get_string().get(out)) return syntax(e);
        present = true;
        return Read::ok;
    }

    Read int_value(od::value v, std::string_view field, std::int64_t& out) {
        od::json_type t;
        if (auto r = type_of(v, t); r != Read::ok) return r;
        if (t != od::json_type::number)
            return rule(fmt::format("{}: expected integer, got {}", field, json_type_name(t)));
        od::number_type nt;
        if (auto e = v.get_number_type().get(nt)) return syntax(e);
        if (nt == od::number_type::floating_point_number)
            return rule(
                fmt::format("{}: expected integer, got a number with fraction or exponent", field));
        if (nt == od::number_type::unsigned_integer)
            return rule(fmt::format("{}: integer out of range", field));
        if (auto e = v.get_int64().get(out))
            return e == simdjson::NUMBER_OUT_OF_RANGE
                       ? rule(fmt::format("{}: integer out of range", field))
                       : syntax(e);
        return Read::ok;
    }

    // A number in [0, max]; null reads as absent (present = false).
    Read amount_value(od::value v, std::string_view field, double max, double& out,
                      bool& present) {
        od::json_type t;
        if (auto r = type_of(v, t); r != Read::ok) return r;
        present = false;
        if (t == od::json_type::null) return null_literal(v);
        if (t != od::json_type::number)
            return rule(fmt::format("{}: expected number, got {}", field, json_type_name(t)));
        if (auto e = v.get_double().get(out))
            return e == simdjson::NUMBER_OUT_OF_RANGE
                       ? rule(fmt::format("{}: number out of range", field))
                       : syntax(e);
        if (out < 0) return rule(fmt::format("{}: must be >= 0, got {}", field, out));
        if (out > max) return rule(fmt::format("{}: {} is above the limit {}", field, out, max));
        present = true;
        return Read::ok;
    }

    Read ts_value(od::value v, std::int64_t& out) {
        od::json_type t;
        if (auto r = type_of(v, t); r != Read::ok) return r;
        if (t == od::json_type::number) {
            if (auto r = int_value(v, "ts", out); r != Read::ok) return r;
        } else if (t == od::json_type::string) {
            std::string_view s;
            if (auto e = v.get_string().get(s)) return syntax(e);
            const auto ms = parse_rfc3339_ms(s);
            if (!ms)
                return rule(fmt::format(
                    "ts: '{}' is not RFC 3339 (e.g. 2024-06-10T12:34:56.789Z or +02:00 offset)",
                    snippet(s)));
            out = *ms;
        } else {
            return rule(
                fmt::format("ts: expected epoch milliseconds (integer) or RFC 3339 string, got {}",
                            json_type_name(t)));
        }
        if (out < 0) return rule("ts: must not be before 1970-01-01");
        return Read::ok;
    }

    // A field nobody reads: still validated all the way down, because the cold path
    // stores the raw bytes and must only ever store valid JSON.
    Read validate(od::value v) {
        od::json_type t;
        if (auto r = type_of(v, t); r != Read::ok) return r;
        switch (t) {
        case od::json_type::object: {
            od::object obj;
            if (auto e = v.get_object().get(obj)) return syntax(e);
            for (auto item : obj) {
                od::field f;
                std::string_view key;
                if (auto e = std::move(item).get(f)) return syntax(e);
                if (auto e = f.unescaped_key().get(key)) return syntax(e);
                if (auto r = validate(f.value()); r != Read::ok) return r;
            }
            return Read::ok;
        }
        case od::json_type::array: {
            od::array arr;
            if (auto e = v.get_array().get(arr)) return syntax(e);
            for (auto item : arr) {
                od::value element;
                if (auto e = std::move(item).get(element)) return syntax(e);
                if (auto r = validate(element); r != Read::ok) return r;
            }
            return Read::ok;
        }
        case od::json_type::number: {
            od::number n;
            if (auto e = v.get_number().get(n)) return syntax(e);
            return Read::ok;
        }
        case od::json_type::string: {
            std::string_view s;
            if (auto e = v.get_string().get(s)) return syntax(e);
            return Read::ok;
        }
        case od::json_type::boolean: {
            bool b;
            if (v.get_bool().get(b) != simdjson::SUCCESS) // "tru", "fals": say so
                return syntax(v.raw_json_token().substr(0, 1) == "t" ? simdjson::T_ATOM_ERROR
                                                                     : simdjson::F_ATOM_ERROR);
            return Read::ok;
        }
        case od::json_type::null:
            return null_literal(v);
        }
        return syntax(simdjson::TAPE_ERROR);
    }

    Read field(std::string_view key, od::value v, Event& ev, unsigned& seen) {
        std::string_view s;
        bool present = false;
        Read r = Read::ok;
        // Dispatch on length first: one compare for nearly every key.
        switch (key.size()) {
        case 2:
            if (key != "ts") break;
            seen |= kSeenTs;
            return ts_value(v, ev.ts_ms);
        case 6:
            if (key == "region") {
                if ((r = string_value(v, key, true, s, present)) != Read::ok || !present) return r;
                if (auto why = region_problem(s)) return rule(std::move(*why));
                ev.region.assign(s);
                return Read::ok;
            }
            if (key == "amount") return amount_value(v, key, kMaxAmount, ev.amount, present);
            if (key == "status") {
                if ((r = string_value(v, key, true, s, present)) != Read::ok || !present) return r;
                if (s == "error")
                    ev.error = true;
                else if (s != "ok")
                    return rule(fmt::format("status '{}' is not one of ok, error", snippet(s)));
                return Read::ok;
            }
            break;
        case 7:
            if (key != "user_id") break;
            seen |= kSeenUserId;
            return int_value(v, key, ev.user_id);
        case 8:
            if (key != "event_id") break;
            if ((r = string_value(v, key, false, s, present)) != Read::ok) return r;
            if (s.empty()) return rule("event_id: must not be empty");
            ev.event_id.assign(s);
            seen |= kSeenEventId;
            return Read::ok;
        case 10:
            if (key == "event_type") {
                if ((r = string_value(v, key, false, s, present)) != Read::ok) return r;
                const auto type = parse_event_type(s);
                if (!type)
                    return rule(fmt::format("event_type '{}' is not one of view, search, cart, "
                                            "purchase, login, logout, error",
                                            snippet(s)));
                ev.type = *type;
                seen |= kSeenType;
                return Read::ok;
            }
            if (key == "session_id") {
                if ((r = string_value(v, key, true, s, present)) == Read::ok)
                    ev.session_id.assign(s);
                return r;
            }
            if (key == "latency_ms") {
                if ((r = amount_value(v, key, kMaxLatencyMs, ev.latency_ms, present)) ==
                        Read::ok &&
                    !present)
                    ev.latency_ms = -1;
                return r;
            }
            break;
        default:
            break;
        }
        return validate(v);
    }

    std::string syntax_reason(od::document& doc, simdjson::error_code e, std::string_view json) {
        if (e == simdjson::INCOMPLETE_ARRAY_OR_OBJECT) return structure_reason(json);
        const char* at = nullptr;
        if (doc.current_location().get(at) == simdjson::SUCCESS && at >= buf.get() &&
            at < buf.get() + json.size())
            return fmt::format("invalid JSON at byte {}: {}", at - buf.get(),
                               simdjson::error_message(e));
        return fmt::format("invalid JSON at end of record: {}", simdjson::error_message(e));
    }

    // The structural pass names the fault but not its place: find it (error path only).
    static std::string stage1_reason(simdjson::error_code e, std::string_view json) {
        std::size_t at = json_scan::npos;
        if (e == simdjson::UTF8_ERROR)
            at = json_scan::first_invalid_utf8(json);
        else if (e == simdjson::UNESCAPED_CHARS)
            at = json_scan::first_control_in_string(json);
        else if (e == simdjson::UNCLOSED_STRING)
            at = json_scan::unclosed_string_start(json);
        else if (e == simdjson::INCOMPLETE_ARRAY_OR_OBJECT)
            return structure_reason(json);
        if (at == json_scan::npos)
            return fmt::format("invalid JSON: {}", simdjson::error_message(e));
        return fmt::format("invalid JSON at byte {}: {}", at, simdjson::error_message(e));
    }

    // The root object either never closes or is followed by more text.
    static std::string structure_reason(std::string_view json) {
        const std::size_t start = json_scan::skip_ws(json, 0);
        const std::size_t end = json_scan::skip_value(json, start);
        if (end == json_scan::npos)
            return "invalid JSON at end of record: the object is not closed";
        return fmt::format("invalid JSON at byte {}: {}", json_scan::skip_ws(json, end),
                           simdjson::error_message(simdjson::TRAILING_CONTENT));
    }
};

EventDecoder::EventDecoder() : impl_(std::make_unique<Impl>()) {}

void EventDecoder::set_clock(std::int64_t now_ms, std::int64_t tolerance_ms) {
    impl_->now_ms = now_ms;
    impl_->tolerance_ms = tolerance_ms;
    impl_->max_ts_ms = now_ms > INT64_MAX - tolerance_ms ? INT64_MAX : now_ms + tolerance_ms;
}

std::optional<std::string> region_problem(std::string_view region) {
    return name_problem("region", region, kMaxRegionBytes);
}

std::optional<std::string> name_problem(std::string_view field, std::string_view region,
                                        std::size_t max_bytes) {
    if (region.size() > max_bytes)
        return fmt::format("{}: {} bytes, longer than the {} allowed ('{}')", field,
                           region.size(), max_bytes, snippet(region));
    for (std::size_t i = 0; i < region.size(); ++i) {
        const auto c = static_cast<unsigned char>(region[i]);
        unsigned code = c < 0x20 || c == 0x7f ? c : 0;
        if (c == 0xC2 && i + 1 < region.size()) { // U+0080..U+009F, the C1 controls
            const auto n = static_cast<unsigned char>(region[i + 1]);
            if (n >= 0x80 && n <= 0x9f) code = n;
        }
        if (code || c == 0)
            return fmt::format("{}: control character U+{:04X} at byte {} ('{}')", field, code,
                               i, snippet(region));
    }
    return std::nullopt;
}
EventDecoder::~EventDecoder() = default;

std::optional<std::string> EventDecoder::decode(std::string_view json, Event& out) {
    using Read = Impl::Read;
    Impl& im = *impl_;
    out.event_id.clear();
    out.session_id.clear();
    out.region.clear();
    out.user_id = 0;
    out.type = EventType::view;
    out.ts_ms = 0;
    out.amount = 0;
    out.latency_ms = -1;
    out.error = false;
    out.raw = json;
    out.member_at.clear();
    out.replaced = 0;

    if (json.size() > kMaxEventBytes)
        return fmt::format("record of {} bytes is larger than the {} byte limit", json.size(),
                           kMaxEventBytes);
    if (json.find_first_not_of(" \t\r\n") == std::string_view::npos)
        return std::string("empty record (not a JSON object)");
    im.load(json);

    od::document doc;
    if (auto e = im.parser.iterate(im.buf.get(), json.size(), im.cap).get(doc))
        return Impl::stage1_reason(e, json);
    od::json_type type;
    if (auto e = doc.type().get(type)) return im.syntax_reason(doc, e, json);
    if (type != od::json_type::object)
        return fmt::format("not a JSON object (got {})", json_type_name(type));
    od::object obj;
    if (auto e = doc.get_object().get(obj)) return im.syntax_reason(doc, e, json);

    unsigned seen = 0;
    for (auto item : obj) {
        od::field f;
        std::string_view key;
        if (auto e = std::move(item).get(f)) return im.syntax_reason(doc, e, json);
        // raw() points just past the key's opening quote, in the padded copy of json (read
        // before unescaped_key(), which may unescape the key in place).
        const std::size_t at = static_cast<std::size_t>(f.key().raw() - im.buf.get()) - 1;
        if (auto e = f.unescaped_key().get(key)) return im.syntax_reason(doc, e, json);
        if (out.member_at.size() < 64 && (key == "region" || key == "user"))
            out.replaced |= std::uint64_t{1} << out.member_at.size();
        out.member_at.push_back(static_cast<std::uint32_t>(at));
        const Read r = im.field(key, f.value(), out, seen);
        if (r == Read::syntax) return im.syntax_reason(doc, im.syntax_error, json);
        if (r == Read::rule) return std::move(im.reason);
    }
    // Anything left after the object is trailing content (the location reads OUT_OF_BOUNDS
    // once the whole record was consumed).
    if (const char* at = nullptr; doc.current_location().get(at) == simdjson::SUCCESS)
        return fmt::format("invalid JSON at byte {}: {}", at - im.buf.get(),
                           simdjson::error_message(simdjson::TRAILING_CONTENT));

    if (!(seen & kSeenEventId)) return std::string("missing required field 'event_id'");
    if (!(seen & kSeenUserId)) return std::string("missing required field 'user_id'");
    if (!(seen & kSeenType)) return std::string("missing required field 'event_type'");
    if (!(seen & kSeenTs)) return std::string("missing required field 'ts'");
    if (out.ts_ms > im.max_ts_ms)
        return fmt::format("ts {} ({}) is {} ahead of this worker's clock, more than the {} "
                           "allowed (worker.future_tolerance_s)",
                           out.ts_ms, utc_iso(out.ts_ms), fmt_duration_ms(double(out.ts_ms - im.now_ms)),
                           fmt_duration_ms(double(im.tolerance_ms)));
    if (out.type == EventType::error) out.error = true;
    return std::nullopt;
}

} // namespace ebap::pipeline
