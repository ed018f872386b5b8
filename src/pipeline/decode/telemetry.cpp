#include "pipeline/decode/telemetry.hpp"

#include "core/redis/keys.hpp"

#include "pipeline/decode/event.hpp"
#include "pipeline/decode/rfc3339.hpp"

#include <algorithm>
#include <cstring>
#include <fmt/format.h>
#include <simdjson.h>

namespace ebap::pipeline {

namespace od = simdjson::ondemand;

struct TelemetryDecoder::Impl {
    od::parser parser;
    std::unique_ptr<char[]> buf; // the record plus SIMDJSON_PADDING, reused
    std::size_t cap = 0;
};

TelemetryDecoder::TelemetryDecoder() : impl_(std::make_unique<Impl>()) {}
TelemetryDecoder::~TelemetryDecoder() = default;

// Error codes, never exceptions: a malformed record is an ordinary outcome here.
std::optional<std::string> TelemetryDecoder::decode(std::string_view json, TelemetryRecord& out) {
    Impl& m = *impl_;
    if (json.size() + simdjson::SIMDJSON_PADDING > m.cap) {
        m.cap = std::max<std::size_t>(json.size() + simdjson::SIMDJSON_PADDING, 4096);
        m.buf = std::make_unique<char[]>(m.cap);
    }
    std::memcpy(m.buf.get(), json.data(), json.size());
    std::memset(m.buf.get() + json.size(), 0, simdjson::SIMDJSON_PADDING);
    out = {};
    const auto bad = [](simdjson::error_code e) {
        return fmt::format("invalid JSON: {}", simdjson::error_message(e));
    };
    od::document doc;
    if (auto e = m.parser.iterate(m.buf.get(), json.size(), m.cap).get(doc)) return bad(e);
    od::object obj;
    if (auto e = doc.get_object().get(obj))
        return e == simdjson::INCORRECT_TYPE ? std::string("not a JSON object") : bad(e);
    bool has_value = false;
    for (auto f : obj) {
        od::field field;
        if (auto e = std::move(f).get(field)) return bad(e);
        std::string_view key;
        if (auto e = field.unescaped_key().get(key)) return bad(e);
        od::value v = field.value();
        std::string_view s;
        if (key == "service" || key == "region" || key == "metric") {
            if (v.get_string().get(s)) return fmt::format("field '{}' must be a string", key);
            if (auto why = name_problem(key, s, key == "region" ? kMaxRegionBytes : 128))
                return why;
            (key == "service" ? out.service : key == "region" ? out.region : out.metric).assign(s);
        } else if (key == "value") {
            if (v.get_double().get(out.value)) return std::string("field 'value' must be a number");
            has_value = true;
        } else if (key == "ts") {
            od::json_type t;
            if (auto e = v.type().get(t)) return bad(e);
            if (t == od::json_type::string) {
                if (auto e = v.get_string().get(s)) return bad(e);
                const auto ms = parse_rfc3339_ms(s);
                if (!ms) return std::string("field 'ts' is not RFC 3339");
                out.ts_ms = *ms;
            } else if (v.get_int64().get(out.ts_ms)) {
                return std::string("field 'ts' must be epoch ms or RFC 3339");
            }
        }
        // other fields are skipped by the iteration
    }
    // Anything left after the object is trailing content (at the end the location reads
    // OUT_OF_BOUNDS).
    if (const char* at = nullptr; doc.current_location().get(at) == simdjson::SUCCESS)
        return std::string("trailing content after the JSON object");
    if (out.service.empty()) return std::string("missing required field 'service'");
    if (out.metric.empty()) return std::string("missing required field 'metric'");
    if (!has_value) return std::string("missing required field 'value'");
    return std::nullopt;
}

void TelemetryLatest::add(const TelemetryRecord& r) {
    Value& v = latest_[{r.service, r.metric}];
    v.region = r.region;
    v.value = r.value;
    v.ts_ms = r.ts_ms;
}

std::vector<std::vector<std::string>>
TelemetryLatest::redis_commands(const std::string& prefix) const {
    std::vector<std::vector<std::string>> out;
    const std::string* service = nullptr;
    for (const auto& [key, v] : latest_) {
        if (!service || *service != key.first) {
            out.push_back({"HSET", RedisKeys(prefix).service(key.first)});
            service = &key.first;
        }
        auto& cmd = out.back();
        cmd.push_back(key.second);
        cmd.push_back(fmt::format("{}", v.value));
        cmd.push_back(key.second + ":ts");
        cmd.push_back(std::to_string(v.ts_ms));
        if (!v.region.empty()) {
            cmd.push_back("region");
            cmd.push_back(v.region);
        }
    }
    return out;
}

} // namespace ebap::pipeline
