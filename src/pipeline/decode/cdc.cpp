#include "pipeline/decode/cdc.hpp"

#include "pipeline/decode/event.hpp"
#include "pipeline/decode/rfc3339.hpp"

#include <algorithm>
#include <charconv>
#include <cstring>
#include <fmt/format.h>
#include <mutex>
#include <simdjson.h>

namespace ebap::pipeline {
namespace dom = simdjson::dom;

// ---- ProfileTable ----

void ProfileTable::upsert(UserProfile profile) {
    std::unique_lock lock(mu_);
    const std::int64_t id = profile.id;
    rows_.insert_or_assign(id, std::move(profile));
}

bool ProfileTable::erase(std::int64_t id) {
    std::unique_lock lock(mu_);
    return rows_.erase(id) > 0;
}

void ProfileTable::clear() {
    std::unique_lock lock(mu_);
    rows_.clear();
}

std::size_t ProfileTable::size() const {
    std::shared_lock lock(mu_);
    return rows_.size();
}

std::optional<UserProfile> ProfileTable::lookup(std::int64_t id) const {
    std::optional<UserProfile> out;
    visit(id, [&](const UserProfile& p) { out = p; });
    return out;
}

std::optional<std::string> ProfileTable::region_of(std::int64_t id) const {
    std::optional<std::string> out;
    visit(id, [&](const UserProfile& p) { out = p.region; });
    return out;
}

// ---- CdcDecoder ----

std::string_view cdc_op_name(CdcOp op) {
    switch (op) {
    case CdcOp::create:
        return "c";
    case CdcOp::read:
        return "r";
    case CdcOp::update:
        return "u";
    case CdcOp::remove:
        return "d";
    case CdcOp::truncate:
        return "t";
    case CdcOp::tombstone:
        return "tombstone";
    }
    return "?";
}

std::int64_t normalize_epoch_ms(std::int64_t v) {
    const std::int64_t mag = v < 0 ? -v : v;
    if (mag >= 100'000'000'000'000'000) return v / 1'000'000; // ns
    if (mag >= 100'000'000'000'000) return v / 1'000;         // µs
    return v;
}

namespace {

// A parser with its own padded copy of the input: the key and the value are parsed
// side by side, and dom elements live only as long as their parser's document.
struct PaddedParser {
    dom::parser parser;
    std::unique_ptr<char[]> buf;
    std::size_t cap = 0;

    simdjson::error_code parse(std::string_view json, dom::element& out) {
        if (json.size() + simdjson::SIMDJSON_PADDING > cap) {
            cap = std::max<std::size_t>(json.size() + simdjson::SIMDJSON_PADDING, 2 * cap);
            buf = std::make_unique<char[]>(cap);
        }
        std::memcpy(buf.get(), json.data(), json.size());
        return parser.parse(buf.get(), json.size(), false).get(out);
    }
};

// {"schema":…, "payload":X} -> X; anything else as is.
dom::element unwrap(dom::element e, bool& wrapped) {
    wrapped = false;
    dom::object obj;
    if (e.get(obj) != simdjson::SUCCESS) return e;
    dom::element payload;
    if (obj["payload"].get(payload) != simdjson::SUCCESS) return e;
    dom::element op;
    if (obj["op"].get(op) == simdjson::SUCCESS) return e; // an envelope with a payload column?
    wrapped = true;
    return payload;
}

// An id as integer or numeric string (the docs show "id": "1" in keys).
std::optional<std::int64_t> as_id(dom::element e) {
    std::int64_t v;
    if (e.get_int64().get(v) == simdjson::SUCCESS) return v;
    std::string_view s;
    if (e.get_string().get(s) == simdjson::SUCCESS && !s.empty()) {
        const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
        if (ec == std::errc() && end == s.data() + s.size()) return v;
    }
    return std::nullopt;
}

std::optional<std::int64_t> id_of_row(dom::element row) {
    dom::element id;
    if (row.is_object() && row["id"].get(id) == simdjson::SUCCESS) return as_id(id);
    return std::nullopt;
}

std::string string_column(dom::object row, std::string_view name) {
    std::string_view s;
    if (row[name].get_string().get(s) == simdjson::SUCCESS) return std::string(s);
    return {}; // null, absent or not a string: unknown
}

std::int64_t updated_at_column(dom::object row) {
    dom::element e;
    if (row["updated_at"].get(e) != simdjson::SUCCESS) return 0;
    std::int64_t i;
    double d;
    std::string_view s;
    if (e.get_int64().get(i) == simdjson::SUCCESS) return normalize_epoch_ms(i);
    if (e.get_double().get(d) == simdjson::SUCCESS) return normalize_epoch_ms(std::int64_t(d));
    if (e.get_string().get(s) == simdjson::SUCCESS) // ZonedTimestamp: ISO 8601 text
        return parse_rfc3339_ms(s).value_or(0);
    return 0;
}

// source.snapshot: "true", "first", "last", "incremental", … or a boolean (older docs).
bool snapshot_flag(dom::element e) {
    bool b;
    std::string_view s;
    if (e.get_bool().get(b) == simdjson::SUCCESS) return b;
    if (e.get_string().get(s) == simdjson::SUCCESS) return !s.empty() && s != "false";
    return false;
}

} // namespace

struct CdcDecoder::Impl {
    PaddedParser key_parser, value_parser;

    // The row id carried by the Kafka key ({"id":N}, wrapped or not, or a bare N).
    std::optional<std::int64_t> key_id(std::string_view key, std::string& why) {
        if (key.empty()) {
            why = "the record has no key";
            return std::nullopt;
        }
        dom::element root;
        if (auto e = key_parser.parse(key, root)) {
            why = fmt::format("key is not valid JSON: {}", simdjson::error_message(e));
            return std::nullopt;
        }
        bool wrapped;
        const dom::element k = unwrap(root, wrapped);
        if (auto id = id_of_row(k)) return id;
        if (auto id = as_id(k)) return id;
        why = "key has no integer 'id'";
        return std::nullopt;
    }
};

CdcDecoder::CdcDecoder() : impl_(std::make_unique<Impl>()) {}
CdcDecoder::~CdcDecoder() = default;

CdcResult CdcDecoder::apply(std::string_view key, std::string_view value, ProfileTable& table) {
    CdcResult res;
    std::string why;
    const auto tombstone = [&] {
        res.op = CdcOp::tombstone;
        const auto id = impl_->key_id(key, why);
        if (!id) {
            res.error = "tombstone: " + why;
            return res;
        }
        res.id = *id;
        table.erase(*id);
        return res;
    };
    if (value.empty()) return tombstone();

    dom::element root;
    if (auto e = impl_->value_parser.parse(value, root)) {
        res.error = fmt::format("value is not valid JSON: {}", simdjson::error_message(e));
        return res;
    }
    if (root.is_null()) return tombstone();
    bool wrapped;
    const dom::element env_el = unwrap(root, wrapped);
    if (env_el.is_null()) return tombstone(); // {"schema":null,"payload":null}
    dom::object env;
    if (env_el.get(env) != simdjson::SUCCESS) {
        res.error = "value is not a Debezium envelope (not a JSON object)";
        return res;
    }

    dom::object source;
    std::int64_t source_ts = 0, ts = 0;
    const bool has_source = env["source"].get(source) == simdjson::SUCCESS;
    if (has_source) {
        dom::element snap;
        if (source["snapshot"].get(snap) == simdjson::SUCCESS) res.snapshot = snapshot_flag(snap);
        std::string_view table_name;
        if (source["table"].get_string().get(table_name) == simdjson::SUCCESS)
            res.table = table_name;
    }
    if (has_source && source["ts_ms"].get_int64().get(source_ts) == simdjson::SUCCESS &&
        env["ts_ms"].get_int64().get(ts) == simdjson::SUCCESS)
        res.cdc_lag_ms = ts - source_ts;

    std::string_view op;
    if (env["op"].get_string().get(op) != simdjson::SUCCESS) {
        res.error = "envelope has no string 'op'";
        return res;
    }
    if (op == "t") {
        res.op = CdcOp::truncate;
        table.clear();
        return res;
    }
    if (op == "d") {
        res.op = CdcOp::remove;
        dom::element before;
        std::optional<std::int64_t> id;
        if (env["before"].get(before) == simdjson::SUCCESS) id = id_of_row(before);
        if (!id) id = impl_->key_id(key, why); // before = null without REPLICA IDENTITY FULL
        if (!id) {
            res.error = "delete without 'before.id': " + why;
            return res;
        }
        res.id = *id;
        table.erase(*id);
        return res;
    }
    if (op == "c") {
        res.op = CdcOp::create;
    } else if (op == "r") { // snapshot read, whatever source.snapshot says
        res.op = CdcOp::read;
        res.snapshot = true;
    } else if (op == "u") {
        res.op = CdcOp::update;
    } else {
        std::string shown(op.substr(0, 16));
        res.error = fmt::format("op '{}' is not one of c, r, u, d, t", shown);
        return res;
    }

    dom::object after;
    if (env["after"].get(after) != simdjson::SUCCESS) {
        res.error = fmt::format("op '{}' without an 'after' row", op);
        return res;
    }
    UserProfile p;
    dom::element id_el;
    std::optional<std::int64_t> id;
    if (after["id"].get(id_el) == simdjson::SUCCESS) id = as_id(id_el);
    if (!id) id = impl_->key_id(key, why);
    if (!id) {
        res.error = fmt::format("op '{}' row has no integer 'id' ({})", op, why);
        return res;
    }
    p.id = res.id = *id;
    p.name = string_column(after, "name");
    p.email = string_column(after, "email");
    p.region = string_column(after, "region");
    if (auto why = region_problem(p.region)) {
        res.error = fmt::format("row id {}: {}", *id, *why);
        return res;
    }
    p.tier = string_column(after, "tier");
    p.updated_at = updated_at_column(after);
    table.upsert(std::move(p));
    return res;
}

} // namespace ebap::pipeline
