#include "core/redis/kpi_reader.hpp"

#include "core/redis/keys.hpp"

#include "core/base/format.hpp"
#include "core/base/time.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <map>

#include <fmt/format.h>

namespace ebap {

const std::vector<KpiField>& kpi_fields() {
    static const std::vector<KpiField> fields = {
        {kpi_field::eps, &KpiNow::eps},
        {kpi_field::active_users_1m, &KpiNow::active_users_1m},
        {kpi_field::purchases_1m, &KpiNow::purchases_1m},
        {kpi_field::revenue_1m, &KpiNow::revenue_1m},
        {kpi_field::error_rate_1m, &KpiNow::error_rate_1m, 0, 1},
        {kpi_field::late_events, &KpiNow::late_events},
        {kpi_field::dlq_events, &KpiNow::dlq_events},
        {kpi_field::watermark_ms, &KpiNow::watermark_ms},
        {kpi_field::updated_ms, &KpiNow::updated_ms},
    };
    return fields;
}

const std::vector<RegionField>& region_fields() {
    static const std::vector<RegionField> fields = {
        {region_field::events_1m, &RegionHealth::events_1m},
        {region_field::active_users_1m, &RegionHealth::active_users_1m},
        {region_field::revenue_1m, &RegionHealth::revenue_1m},
        {region_field::error_rate, &RegionHealth::error_rate, 0, 1},
        {region_field::p95_latency_ms, &RegionHealth::p95_latency_ms},
        {region_field::window_start_ms, &RegionHealth::window_start_ms},
        {region_field::updated_ms, &RegionHealth::updated_ms},
    };
    return fields;
}

std::optional<double> parse_number(const std::string& text) {
    double v = 0;
    const char* end = text.data() + text.size();
    auto [ptr, ec] = std::from_chars(text.data(), end, v);
    if (ec != std::errc() || ptr != end || !std::isfinite(v)) return std::nullopt;
    return v;
}

namespace {

// Values are operator data of unknown origin: keep notes one short line each.
std::string shorten(const std::string& s) {
    return s.size() <= 40 ? s : s.substr(0, 37) + "...";
}

// Explains a server error reply for `key`; WRONGTYPE is resolved to the actual type.
std::string explain_error(RedisClient& client, const std::string& key, const RedisReply& r,
                          const char* expected) {
    if (r.str.rfind("WRONGTYPE", 0) == 0) {
        RedisReply t = client.command({"TYPE", key});
        // Redis type names (string, list, set, zset, hash, stream) all take "a".
        std::string type = t.is_error() || t.str.empty() ? "value of another type" : t.str;
        return key + " is a " + type + ", expected " + expected;
    }
    return key + ": server replied " + shorten(r.str);
}

// HGETALL reply -> field map; nullopt (with a note) when the key is unusable.
std::optional<std::map<std::string, std::string>> hash_fields(RedisClient& client,
                                                              const std::string& key,
                                                              const RedisReply& r,
                                                              std::vector<std::string>& notes) {
    if (r.is_error()) {
        notes.push_back(explain_error(client, key, r, "a hash"));
        return std::nullopt;
    }
    if (!r.is_array()) {
        notes.push_back(key + ": unexpected reply to HGETALL");
        return std::nullopt;
    }
    if (r.elements.empty()) {
        notes.push_back(key + " does not exist");
        return std::nullopt;
    }
    std::map<std::string, std::string> out;
    for (std::size_t i = 0; i + 1 < r.elements.size(); i += 2)
        out[r.elements[i].str] = r.elements[i + 1].str;
    return out;
}

// Fills each numeric field; notes the missing and the unparseable ones.
template <typename T, typename Fields>
void fill_numbers(T& target, const Fields& fields, const std::string& key,
                  const std::map<std::string, std::string>& values,
                  std::vector<std::string>& notes) {
    std::string missing;
    for (const auto& f : fields) {
        auto it = values.find(f.name);
        if (it == values.end()) {
            missing += missing.empty() ? f.name : std::string(", ") + f.name;
            continue;
        }
        target.*f.member = parse_number(it->second);
        if (!(target.*f.member)) {
            notes.push_back(key + " field " + f.name + " is not a number: '" + shorten(it->second) +
                            "'");
        } else if (const double v = *(target.*f.member); v < f.min || v > f.max) {
            target.*f.member = std::nullopt;
            notes.push_back(key + " field " + f.name + " is " + shorten(it->second) +
                            (v < 0 && f.min == 0 ? ", negative"
                                                 : fmt::format(", outside {:g} to {:g}", f.min, f.max)));
        }
    }
    if (!missing.empty()) notes.push_back(key + " lacks " + missing);
}

template <typename T>
void judge_staleness(T& target, const std::string& key, std::int64_t stale_after_ms,
                     std::vector<std::string>& notes) {
    target.age_ms.reset();
    target.clock_skew_ms.reset();
    target.stale = true;
    if (!target.updated_ms) return;
    const double ahead = *target.updated_ms - static_cast<double>(now_ms());
    if (ahead > static_cast<double>(stale_after_ms)) {
        // Not "0 ms ago": a writer whose clock runs ahead, or a value that is no time at all.
        target.clock_skew_ms = ahead;
        notes.push_back(key + " updated_ms is " + future_text(ahead));
        return;
    }
    target.age_ms = std::max(0.0, -ahead);
    target.stale = *target.age_ms > static_cast<double>(stale_after_ms);
    if (target.stale)
        notes.push_back(key + " last updated " + fmt_duration_ms(*target.age_ms) +
                        " ago (stale after " +
                        fmt_duration_ms(static_cast<double>(stale_after_ms)) + ")");
}

std::string normalized_health(const std::string& raw) {
    std::string h = raw;
    std::transform(h.begin(), h.end(), h.begin(), [](unsigned char c) { return std::tolower(c); });
    return h;
}

} // namespace

std::string future_text(double ahead_ms) {
    // Beyond a century it is no clock running fast: the value is no plausible time.
    if (ahead_ms > 100.0 * 365 * 86400 * 1000) return "far in the future (not a plausible time)";
    return fmt_duration_ms(ahead_ms) + " in the future \u2014 clock skew?";
}

KpiReader::KpiReader(RedisClient& client, std::string prefix, std::int64_t stale_after_ms)
    : client_(client), prefix_(std::move(prefix)), stale_after_ms_(stale_after_ms) {}

KpiNow KpiReader::read_kpi_now() {
    KpiNow k;
    const std::string key = RedisKeys(prefix_).kpi_now();
    auto values = hash_fields(client_, key, client_.command({"HGETALL", key}), k.notes);
    if (!values) return k;
    k.present = true;
    fill_numbers(k, kpi_fields(), key, *values, k.notes);
    judge_staleness(k, key, stale_after_ms_, k.notes);
    if (k.watermark_ms) {
        const double ahead = *k.watermark_ms - static_cast<double>(now_ms());
        if (ahead > static_cast<double>(stale_after_ms_)) {
            k.watermark_ahead_ms = ahead;
            k.notes.push_back(key + " watermark_ms is " + future_text(ahead) +
                              ": later events would all count as late");
        }
    }
    return k;
}

std::vector<RegionHealth> KpiReader::read_regions(std::vector<std::string>* notes) {
    std::vector<std::string> scratch;
    auto& set_notes = notes ? *notes : scratch;
    const std::string set_key = RedisKeys(prefix_).regions();
    RedisReply members = client_.command({"SMEMBERS", set_key});
    if (members.is_error()) {
        set_notes.push_back(explain_error(client_, set_key, members, "a set"));
        return {};
    }
    std::vector<RegionHealth> regions;
    for (const auto& m : members.elements) {
        RegionHealth r;
        r.region = m.str;
        regions.push_back(std::move(r));
    }
    if (regions.empty()) {
        set_notes.push_back(set_key + " does not exist or is empty");
        return regions;
    }
    std::sort(regions.begin(), regions.end(),
              [](const RegionHealth& a, const RegionHealth& b) { return a.region < b.region; });

    // One round trip for every region's hash.
    for (const auto& r : regions)
        client_.append({"HGETALL", RedisKeys(prefix_).region(r.region)});
    std::vector<RedisReply> replies = client_.flush();

    for (std::size_t i = 0; i < regions.size(); ++i) {
        RegionHealth& r = regions[i];
        const std::string key = RedisKeys(prefix_).region(r.region);
        auto values = hash_fields(client_, key, replies[i], r.notes);
        if (!values) continue;
        r.present = true;
        fill_numbers(r, region_fields(), key, *values, r.notes);
        if (auto it = values->find("health"); it == values->end()) {
            r.notes.push_back(key + " lacks health");
        } else {
            std::string h = normalized_health(it->second);
            if (h == "ok" || h == "warn" || h == "crit" || h == "unknown")
                r.health = h;
            else
                r.notes.push_back(key + " field health is not ok/warn/crit: '" +
                                  shorten(it->second) + "'");
        }
        judge_staleness(r, key, stale_after_ms_, r.notes);
    }
    return regions;
}

std::vector<KpiPoint> KpiReader::read_kpi_series(std::size_t n, std::vector<std::string>* notes) {
    std::vector<std::string> scratch;
    auto& out_notes = notes ? *notes : scratch;
    std::vector<KpiPoint> points;
    if (n == 0) return points;
    const std::string key = RedisKeys(prefix_).ts_kpi();
    RedisReply r = client_.command({"XREVRANGE", key, "+", "-", "COUNT", std::to_string(n)});
    if (r.is_error()) {
        out_notes.push_back(explain_error(client_, key, r, "a stream"));
        return points;
    }
    if (r.elements.empty()) out_notes.push_back(key + " does not exist or is empty");
    std::size_t bad = 0;
    for (auto it = r.elements.rbegin(); it != r.elements.rend(); ++it) {
        const RedisReply& entry = *it;
        if (!entry.is_array() || entry.elements.size() < 2) continue;
        const std::string& id = entry.elements[0].str;
        KpiPoint p;
        if (std::from_chars(id.data(), id.data() + id.size(), p.ms).ec != std::errc()) continue;
        const auto& kv = entry.elements[1].elements;
        for (std::size_t i = 0; i + 1 < kv.size(); i += 2) {
            if (kv[i].str == "eps")
                p.eps = parse_number(kv[i + 1].str);
            else if (kv[i].str == "active_users")
                p.active_users = parse_number(kv[i + 1].str);
        }
        if (!p.eps || !p.active_users) ++bad;
        points.push_back(p);
    }
    if (bad > 0)
        out_notes.push_back(fmt::format("{} of {} entries of {} lack a numeric eps or active_users",
                                        bad, points.size(), key));
    return points;
}

} // namespace ebap
