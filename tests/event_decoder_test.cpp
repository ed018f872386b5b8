// EventDecoder (every field rule of docs/ARCHITECTURE.md, "Clickstream event", RFC 3339, malformed
// JSON) and enrich_json (the cold-path line must re-parse and keep unknown fields).
#include "core/base/error.hpp"
#include "pipeline/decode/cdc.hpp"
#include "pipeline/decode/event.hpp"
#include "pipeline/decode/json_text.hpp"
#include "pipeline/decode/rfc3339.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <ctime>
#include <random>
#include <string>
#include <utility>
#include <vector>

namespace ebap::pipeline {
namespace {

using nlohmann::json;

// Epoch ms of a UTC civil time via libc (an oracle independent of rfc3339.cpp).
std::int64_t utc_ms(int y, int mo, int d, int h, int mi, int s, int ms = 0) {
    std::tm tm{};
    tm.tm_year = y - 1900;
    tm.tm_mon = mo - 1;
    tm.tm_mday = d;
    tm.tm_hour = h;
    tm.tm_min = mi;
    tm.tm_sec = s;
    return static_cast<std::int64_t>(timegm(&tm)) * 1000 + ms;
}

json base_event() {
    return {{"event_id", "e-1"}, {"user_id", 42}, {"event_type", "view"}, {"ts", 1718000000123}};
}

class DecoderTest : public ::testing::Test {
  protected:
    // Decodes text; returns the reason ("" when valid).
    std::string reason(const std::string& text) {
        held_ = text;
        const auto r = decoder_.decode(held_, ev_);
        return r ? *r : std::string();
    }
    std::string reason_of(const json& j) { return reason(j.dump()); }
    std::string with(const std::string& field, const json& value) {
        json j = base_event();
        j[field] = value;
        return reason_of(j);
    }
    std::string without(const std::string& field) {
        json j = base_event();
        j.erase(field);
        return reason_of(j);
    }

    EventDecoder decoder_;
    Event ev_;
    std::string held_;
};

TEST_F(DecoderTest, DecodesEveryField) {
    const json j = {{"event_id", "7f3c-1"}, {"user_id", 48213},    {"event_type", "purchase"},
                    {"ts", 1718000000123},  {"session_id", "s-9"}, {"region", "eu-west"},
                    {"amount", 42.5},       {"latency_ms", 87.25}, {"status", "ok"}};
    ASSERT_EQ(reason_of(j), "");
    EXPECT_EQ(ev_.event_id, "7f3c-1");
    EXPECT_EQ(ev_.user_id, 48213);
    EXPECT_EQ(ev_.type, EventType::purchase);
    EXPECT_EQ(ev_.ts_ms, 1718000000123);
    EXPECT_EQ(ev_.session_id, "s-9");
    EXPECT_EQ(ev_.region, "eu-west");
    EXPECT_DOUBLE_EQ(ev_.amount, 42.5);
    EXPECT_DOUBLE_EQ(ev_.latency_ms, 87.25);
    EXPECT_FALSE(ev_.error);
    EXPECT_EQ(ev_.raw, held_);
}

TEST_F(DecoderTest, OptionalFieldsDefaultAndResetBetweenRecords) {
    json full = base_event();
    full.update({{"session_id", "s"},
                 {"region", "us-east"},
                 {"amount", 3},
                 {"latency_ms", 5},
                 {"status", "error"}});
    ASSERT_EQ(reason_of(full), "");
    EXPECT_TRUE(ev_.error);
    ASSERT_EQ(reason_of(base_event()), ""); // same Event object: nothing may leak over
    EXPECT_EQ(ev_.session_id, "");
    EXPECT_EQ(ev_.region, "");
    EXPECT_EQ(ev_.amount, 0);
    EXPECT_LT(ev_.latency_ms, 0);
    EXPECT_FALSE(ev_.error);
}

TEST_F(DecoderTest, NullOptionalFieldsReadAsAbsent) {
    json j = base_event();
    for (const char* f : {"session_id", "region", "amount", "latency_ms", "status"})
        j[f] = nullptr;
    ASSERT_EQ(reason_of(j), "");
    EXPECT_EQ(ev_.region, "");
    EXPECT_EQ(ev_.amount, 0);
    EXPECT_LT(ev_.latency_ms, 0);
    EXPECT_FALSE(ev_.error);
}

TEST_F(DecoderTest, EveryEventTypeAndErrorFlag) {
    // The names of the contract, spelled out (not taken from event_type_name).
    const std::vector<std::pair<std::string, EventType>> types = {
        {"view", EventType::view},   {"search", EventType::search},
        {"cart", EventType::cart},   {"purchase", EventType::purchase},
        {"login", EventType::login}, {"logout", EventType::logout},
        {"error", EventType::error}};
    ASSERT_EQ(types.size(), kEventTypeCount);
    for (const auto& [name, type] : types) {
        ASSERT_EQ(with("event_type", name), "") << name;
        EXPECT_EQ(ev_.type, type) << name;
        EXPECT_EQ(parse_event_type(name), type) << name;
        EXPECT_EQ(event_type_name(type), name);
        EXPECT_EQ(ev_.error, type == EventType::error) << name;
    }
    EXPECT_EQ(with("status", "error"), "");
    EXPECT_TRUE(ev_.error);
}

TEST_F(DecoderTest, MissingRequiredFieldsAreNamed) {
    for (const char* f : {"event_id", "user_id", "event_type", "ts"})
        EXPECT_EQ(without(f), std::string("missing required field '") + f + "'");
}

TEST_F(DecoderTest, WrongTypesAreNamed) {
    EXPECT_EQ(with("user_id", "42"), "user_id: expected integer, got string");
    EXPECT_EQ(with("user_id", 4.5),
              "user_id: expected integer, got a number with fraction or exponent");
    EXPECT_EQ(with("user_id", nullptr), "user_id: expected integer, got null");
    EXPECT_EQ(
        reason(R"({"event_id":"a","user_id":9223372036854775808,"event_type":"view","ts":1})"),
        "user_id: integer out of range");
    EXPECT_EQ(with("event_id", 7), "event_id: expected string, got number");
    EXPECT_EQ(with("event_id", ""), "event_id: must not be empty");
    EXPECT_EQ(with("event_type", json::array()), "event_type: expected string, got array");
    EXPECT_EQ(with("event_type", "VIEW"),
              "event_type 'VIEW' is not one of view, search, cart, purchase, login, logout, error");
    EXPECT_EQ(with("ts", true),
              "ts: expected epoch milliseconds (integer) or RFC 3339 string, got boolean");
    EXPECT_EQ(with("ts", 1.5e12), "ts: expected integer, got a number with fraction or exponent");
    EXPECT_EQ(with("ts", -1), "ts: must not be before 1970-01-01");
    EXPECT_EQ(with("session_id", json::object()), "session_id: expected string, got object");
    EXPECT_EQ(with("region", 5), "region: expected string, got number");
    EXPECT_EQ(with("amount", "19.99"), "amount: expected number, got string");
    EXPECT_EQ(with("amount", -1), "amount: must be >= 0, got -1");
    EXPECT_EQ(with("latency_ms", -0.5), "latency_ms: must be >= 0, got -0.5");
    EXPECT_EQ(with("status", "OK"), "status 'OK' is not one of ok, error");
}

TEST_F(DecoderTest, EventTimesFarAheadOfTheClockAreRefused) {
    // Before the consumer sets a clock, any time is accepted (the decoder alone is pure).
    EXPECT_EQ(with("ts", 99999999999999999), "");
    const std::int64_t now = utc_ms(2026, 12, 2, 12, 0, 0);
    decoder_.set_clock(now, 300'000);
    EXPECT_EQ(with("ts", now + 300'000), "") << "exactly at the tolerance is still accepted";
    EXPECT_EQ(with("ts", now + 300'001),
              "ts 1796213100001 (2026-12-02T12:05:00Z) is 5m 00s ahead of this worker's clock, "
              "more than the 5m 00s allowed (worker.future_tolerance_s)");
    EXPECT_EQ(with("ts", "2026-12-02T13:02:00Z"),
              "ts 1796216520000 (2026-12-02T13:02:00Z) is 1h 02m ahead of this worker's clock, "
              "more than the 5m 00s allowed (worker.future_tolerance_s)");
    // The year 3170843: far past what a date can show, and still named.
    EXPECT_EQ(with("ts", 99999999999999999),
              "ts 99999999999999999 (out of range) is 1157386617d 21h ahead of this worker's clock, "
              "more than the 5m 00s allowed (worker.future_tolerance_s)");
    EXPECT_EQ(with("ts", now - 86'400'000), "") << "late events are the window's business";
    decoder_.set_clock(INT64_MAX - 5, 300'000); // no overflow at the top
    EXPECT_EQ(with("ts", 99999999999999999), "");
}

TEST_F(DecoderTest, RegionsMustBePrintableAndBounded) {
    EXPECT_EQ(with("region", "eu-west"), "");
    EXPECT_EQ(ev_.region, "eu-west");
    EXPECT_EQ(with("region", "東京-北"), "");
    EXPECT_EQ(with("region", std::string(64, 'r')), "");
    EXPECT_EQ(with("region", ""), "");
    EXPECT_EQ(ev_.region, "") << "empty is no region: the profile's applies";
    EXPECT_EQ(with("region", std::string(65, 'r')),
              "region: 65 bytes, longer than the 64 allowed ('" + std::string(64, 'r') + "...')");
    EXPECT_EQ(with("region", "\\x1b[2J"), "") << "a literal backslash is printable";
    EXPECT_EQ(with("region", "\x1b[2J"), "region: control character U+001B at byte 0 ('?[2J')");
    EXPECT_EQ(with("region", "eu\x1b]0;pwned\x07"),
              "region: control character U+001B at byte 2 ('eu?]0;pwned?')");
    EXPECT_EQ(with("region", "eu\nwest"), "region: control character U+000A at byte 2 ('eu?west')");
    EXPECT_EQ(with("region", "eu\x7f"), "region: control character U+007F at byte 2 ('eu?')");
    // U+009B, the 8-bit CSI, which some terminals obey like ESC [.
    EXPECT_EQ(with("region", "eu\xc2\x9b" "31m"),
              "region: control character U+009B at byte 2 ('eu?31m')");
}

TEST_F(DecoderTest, AmountsAndLatenciesAreBounded) {
    EXPECT_EQ(with("amount", 1e9), "");
    EXPECT_EQ(with("amount", 1e308), "amount: 1e+308 is above the limit 1000000000");
    EXPECT_EQ(with("latency_ms", 86'400'000), "");
    EXPECT_EQ(with("latency_ms", 1e300), "latency_ms: 1e+300 is above the limit 86400000");
}

TEST_F(DecoderTest, ReasonsQuoteValuesBoundedAndPrintable) {
    const std::string r = with("event_type", std::string(500, 'x') + "\n");
    EXPECT_LT(r.size(), 200u);
    EXPECT_EQ(r.find('\n'), std::string::npos);
    EXPECT_NE(r.find("..."), std::string::npos);
}

TEST_F(DecoderTest, NotAnObject) {
    EXPECT_EQ(reason("[1,2]"), "not a JSON object (got array)");
    EXPECT_EQ(reason("\"text\""), "not a JSON object (got string)");
    EXPECT_EQ(reason("17"), "not a JSON object (got number)");
    EXPECT_EQ(reason("null"), "not a JSON object (got null)");
    EXPECT_EQ(reason(""), "empty record (not a JSON object)");
    EXPECT_EQ(reason(" \n"), "empty record (not a JSON object)");
}

TEST_F(DecoderTest, MalformedJsonIsReportedWithItsPosition) {
    const std::string good = base_event().dump();
    const std::vector<std::string> bad = {
        good.substr(0, good.size() - 1),                 // truncated
        R"({"event_id":"a","user_id":1,})",              // trailing comma
        good + " x",                                     // trailing content
        good + "{}",                                     // second document
        R"({"event_id":"a","extra":tru,"user_id":1})",   // bad literal, unknown field
        R"({"event_id":"a","extra":nul,"user_id":1})",   // bad null, unknown field
        R"({"event_id":"a","extra":01,"user_id":1})",    // leading zero
        R"({"event_id":"a","extra":1.2.3,"user_id":1})", // bad number
        R"({"event_id":"a","extra":"\q","user_id":1})",  // bad escape
        R"({"event_id":"a","extra":{"x":[1,{"y":fals}]},"user_id":1})", // deep in unknown
        R"({"event_id":"a" "user_id":1})",                              // missing comma
        R"({"event_id":"a","user_id":1)",                               // unclosed
        "{\"event_id\":\"a\xff\",\"user_id\":1}",                       // not UTF-8
        "{\"event_id\":\"a\nb\",\"user_id\":1}",                        // raw control character
    };
    for (const auto& text : bad) {
        const std::string r = reason(text);
        EXPECT_EQ(r.rfind("invalid JSON", 0), 0u) << text << " -> " << r;
        const auto at = r.find("at byte ");
        if (at != std::string::npos) {
            EXPECT_LE(std::stoul(r.substr(at + 8)), text.size()) << text << " -> " << r;
        }
    }
}

TEST_F(DecoderTest, TrailingContentPointsAtIt) {
    const std::string good = base_event().dump();
    EXPECT_EQ(reason(good + "  x"), "invalid JSON at byte " + std::to_string(good.size() + 2) +
                                        ": Unexpected trailing content in the JSON input.");
}

TEST_F(DecoderTest, PositionsPointAtTheFault) {
    struct Case {
        std::string text, marker; // the reason must name the marker's offset
    };
    const Case cases[] = {
        {R"({"event_id":"a","extra":tru,"user_id":1})", "tru"},
        {R"({"event_id":"a","extra":{"x":[1,{"y":fals}]},"user_id":1})", "fals"},
        {R"({"event_id":"a","extra":-,"user_id":1})", "-"},
        {"{\"event_id\":\"ab\xc3\x28\",\"user_id\":1}", "\xc3"},
        {"{\"event_id\":\"ab\tc\",\"user_id\":1}", "\t"},
        {R"({"event_id":"a","user_id":1} x)", "x"},
        {R"({"event_id":"a","extra":"abc})", "\"abc"},
    };
    for (const auto& c : cases) {
        const std::string r = reason(c.text);
        EXPECT_EQ(r.rfind("invalid JSON at byte " + std::to_string(c.text.find(c.marker)) + ":", 0),
                  0u)
            << c.text << " -> " << r;
    }
}

TEST_F(DecoderTest, UnknownFieldsOfAnyShapeAreAccepted) {
    json j = base_event();
    j["context"] = {{"page", "/cart"}, {"ab", {1, 2.5, nullptr, true, "x\u00e9\"\\"}}, {"n", {}}};
    j["tags"] = json::array();
    j["\u00fcber"] = -0.0;
    EXPECT_EQ(reason_of(j), "");
    EXPECT_EQ(reason(" \t" + base_event().dump() + "\n "), "") << "surrounding whitespace";
}

TEST(Rfc3339, VariantsAgreeWithLibc) {
    struct Case {
        const char* text;
        std::int64_t expect;
    };
    const std::int64_t base = utc_ms(2024, 6, 10, 12, 34, 56);
    const Case cases[] = {
        {"2024-06-10T12:34:56Z", base},
        {"2024-06-10t12:34:56z", base},
        {"2024-06-10 12:34:56Z", base},
        {"2024-06-10T12:34:56.7Z", base + 700},
        {"2024-06-10T12:34:56.78Z", base + 780},
        {"2024-06-10T12:34:56.789Z", base + 789},
        {"2024-06-10T12:34:56.789999999Z", base + 789},
        {"2024-06-10T12:34:56+00:00", base},
        {"2024-06-10T12:34:56-00:00", base},
        {"2024-06-10T14:34:56+02:00", base},
        {"2024-06-10T07:04:56.5-05:30", base + 500},
        {"2024-06-11T00:04:56+11:30", base},
        {"2024-02-29T00:00:00Z", utc_ms(2024, 2, 29, 0, 0, 0)},
        {"2000-02-29T23:59:59Z", utc_ms(2000, 2, 29, 23, 59, 59)},
        {"1970-01-01T00:00:00Z", 0},
        {"1969-12-31T23:59:59Z", -1000},
        {"2016-12-31T23:59:60Z", utc_ms(2017, 1, 1, 0, 0, 0)},
    };
    for (const auto& c : cases)
        EXPECT_EQ(parse_rfc3339_ms(c.text), c.expect) << c.text;
}

TEST(Rfc3339, RejectsMalformed) {
    for (const char* text : {"",
                             "2024-06-10",
                             "2024-06-10T12:34:56",
                             "2024-06-10T12:34Z",
                             "2024-06-10T12:34:56+0200",
                             "2024-06-10T12:34:56+02",
                             "2024-06-10T12:34:56.Z",
                             "2024-06-10T12:34:56Zx",
                             "2023-02-29T00:00:00Z",
                             "1900-02-29T00:00:00Z",
                             "2024-13-01T00:00:00Z",
                             "2024-00-01T00:00:00Z",
                             "2024-04-31T00:00:00Z",
                             "2024-06-10T24:00:00Z",
                             "2024-06-10T12:60:00Z",
                             "2024-06-10T12:34:61Z",
                             "2024-06-10T12:34:56+24:00",
                             "2024-06-10T12:34:56+02:60",
                             "2024/06/10T12:34:56Z",
                             "20240610T123456Z",
                             "2024-06-10X12:34:56Z",
                             "+2024-06-10T12:34:56Z",
                             "2024-06-10T12:34:5aZ"})
        EXPECT_EQ(parse_rfc3339_ms(text), std::nullopt) << text;
}

TEST_F(DecoderTest, TsAcceptsRfc3339AndEpochMs) {
    ASSERT_EQ(with("ts", "2024-06-10T14:34:56.250+02:00"), "");
    EXPECT_EQ(ev_.ts_ms, utc_ms(2024, 6, 10, 12, 34, 56, 250));
    ASSERT_EQ(with("ts", 0), "");
    EXPECT_EQ(ev_.ts_ms, 0);
    EXPECT_EQ(with("ts", "2024-06-10T12:34:56"),
              "ts: '2024-06-10T12:34:56' is not RFC 3339 (e.g. 2024-06-10T12:34:56.789Z or +02:00 "
              "offset)");
    EXPECT_EQ(with("ts", "1969-12-31T23:59:59Z"), "ts: must not be before 1970-01-01");
}

TEST(JsonText, EveryAsciiByteAndUtf8RoundTrips) {
    std::string all;
    for (int c = 0; c < 0x80; ++c)
        all.push_back(static_cast<char>(c));
    all += "\u00e9\u4e2d\U0001F600";
    std::string out;
    append_json_string(out, all);
    EXPECT_EQ(json::parse(out).get<std::string>(), all);
    EXPECT_EQ(out.find('\n'), std::string::npos);
    out.clear();
    append_json_string(out, "a\"b\\c\x01");
    EXPECT_EQ(out, R"("a\"b\\c\u0001")");
}

// ---- enrich_json ----

UserProfile profile() {
    UserProfile p;
    p.id = 42;
    p.name = "Zoë \"Z\" O'Neil\n\\";
    p.email = "zoe@example.org";
    p.region = "ap-south";
    p.tier = "gold";
    return p;
}

TEST(EnrichJson, KeepsUnknownFieldsAndAddsRegionAndUser) {
    json in = base_event();
    in["context"] = {{"page", "/x"}, {"list", {1, "a", nullptr, {{"k", "}]\"{["}}}}};
    in["weird key \"q\""] = "v";
    in["region"] = "from-event";
    in["user"] = "stale";
    const std::string raw = in.dump();
    const UserProfile p = profile();
    const json out = json::parse(enrich_json(raw, &p, "eu-west"));

    json expect = in;
    expect["region"] = "eu-west";
    expect["user"] = {{"name", p.name}, {"tier", "gold"}, {"region", "ap-south"}};
    EXPECT_EQ(out, expect);
}

TEST(EnrichJson, WithoutProfileHasNoUser) {
    const std::string raw = base_event().dump();
    const json out = json::parse(enrich_json(raw, nullptr, "unknown"));
    json expect = base_event();
    expect["region"] = "unknown";
    EXPECT_EQ(out, expect);
}

TEST(EnrichJson, PrettyPrintedEscapedKeysAndEmptyObject) {
    json in = base_event();
    in["nested"] = {{"region", "inner stays"}};
    const std::string pretty = in.dump(4);
    std::string escaped = pretty;
    const std::string replaced = R"("\u0072egion": "old")";
    escaped.insert(escaped.find('{') + 1, "\n " + replaced + ",");
    for (const std::string& raw : {pretty, escaped}) {
        const json out = json::parse(enrich_json(raw, nullptr, "r1"));
        json expect = in;
        expect["region"] = "r1";
        EXPECT_EQ(out, expect) << raw;
    }
    EXPECT_EQ(json::parse(enrich_json("{ }", nullptr, "r")), json({{"region", "r"}}));
    EXPECT_EQ(json::parse(enrich_json(R"({"region":"a"})", nullptr, "b")), json({{"region", "b"}}));
}

TEST(EnrichJson, AppendsAndRefusesNonObjects) {
    std::string buf = "prefix\n";
    append_enriched_json(buf, base_event().dump(), nullptr, "r");
    EXPECT_EQ(buf.rfind("prefix\n{", 0), 0u);
    std::string before = buf;
    EXPECT_THROW(append_enriched_json(buf, "[1,2]", nullptr, "r"), Error);
    EXPECT_THROW(append_enriched_json(buf, R"({"a":1)", nullptr, "r"), Error);
    EXPECT_EQ(buf, before) << "a failed append leaves the buffer as it was";
}

// Random events with random extra fields: what the decoder reads and what enrich_json
// writes must agree with nlohmann's view of the same text.
TEST(EnrichJson, RandomEventsRoundTrip) {
    std::mt19937_64 rng(12345);
    EventDecoder decoder;
    Event ev;
    const UserProfile p = profile();
    auto rand_string = [&](std::size_t n) { // whole UTF-8 characters, JSON-special ones too
        static const char* const tokens[] = {"a", "Z",  "0",  " ",      "\"",    "\\",
                                             "/", "\n", "\t", "{",      "}",     "[",
                                             "]", ",",  ":",  "\u00e9", "\u4e2d"};
        std::string s;
        for (std::size_t i = 0; i < n; ++i)
            s += tokens[rng() % std::size(tokens)];
        return s;
    };
    for (int i = 0; i < 300; ++i) {
        json j = base_event();
        j["user_id"] = static_cast<std::int64_t>(rng() >> 1);
        j["ts"] = static_cast<std::int64_t>(rng() % 4'000'000'000'000);
        j["event_id"] = "id-" + std::to_string(i);
        if (rng() % 2) j["region"] = "r" + std::to_string(rng() % 5);
        if (rng() % 2) j["amount"] = static_cast<double>(rng() % 100000) / 100;
        const int extras = static_cast<int>(rng() % 4);
        for (int k = 0; k < extras; ++k)
            j["x" + rand_string(3)] = {{"s", rand_string(rng() % 12)},
                                       {"a", {rng() % 7, 0.5, nullptr, false}}};
        std::string text = j.dump(rng() % 2 ? -1 : 2);
        auto r = decoder.decode(text, ev);
        ASSERT_FALSE(r) << *r << "\n" << text;
        EXPECT_EQ(ev.user_id, j["user_id"].get<std::int64_t>());
        EXPECT_EQ(ev.ts_ms, j["ts"].get<std::int64_t>());
        EXPECT_EQ(ev.region, j.value("region", ""));
        const std::string region = ev.region.empty() ? "unknown" : ev.region;
        const json out = json::parse(enrich_json(ev.raw, rng() % 2 ? &p : nullptr, region));
        for (auto it = j.begin(); it != j.end(); ++it)
            if (it.key() != "region") {
                EXPECT_EQ(out.at(it.key()), it.value()) << it.key();
            }
        EXPECT_EQ(out.at("region"), region);
    }
}

} // namespace
} // namespace ebap::pipeline

namespace ebap::pipeline {
namespace {

// The worker's splice from decoder offsets gives the same JSON as the text scan, for
// region/user first, middle, last, escaped, nested, pretty-printed and absent.
TEST(EnrichJson, SpliceFromDecoderOffsetsMatchesTheTextScan) {
    const auto ev = [] {
        return nlohmann::json{
            {"event_id", "e-1"}, {"user_id", 7}, {"event_type", "view"}, {"ts", 1700000000000}};
    };
    std::vector<std::string> inputs;
    inputs.push_back(ev().dump());
    inputs.push_back(R"({"region":"x","event_id":"e","user_id":1,"event_type":"view","ts":5})");
    inputs.push_back(R"({"event_id":"e","user_id":1,"region":"x","event_type":"view","ts":5})");
    inputs.push_back(R"({"event_id":"e","user_id":1,"event_type":"view","ts":5,"region":"x"})");
    inputs.push_back(
        R"({"event_id":"e","user_id":1,"event_type":"view","ts":5,"user":{"a":1},"region":"x"})");
    inputs.push_back(R"({ "\u0072egion" : "x" , "event_id":"e","user_id":1,"event_type":"view",)"
                     R"("ts":5, "ctx": {"region": "inner", "l": [1, "}", {"user": 2}]} })");
    auto pretty = ev();
    pretty["nested"] = {{"region", "stays"}};
    pretty["region"] = "old";
    inputs.push_back(pretty.dump(2));
    inputs.push_back("\n\t" + pretty.dump(4) + " \n");

    UserProfile p;
    p.name = "N \"q\"";
    p.tier = "gold";
    p.region = "eu-west";
    EventDecoder decoder;
    Event e;
    for (const std::string& raw : inputs) {
        ASSERT_EQ(decoder.decode(raw, e), std::nullopt) << raw;
        const UserProfile* const profiles[] = {&p, nullptr};
        for (const UserProfile* profile : profiles) {
            std::string spliced = "keep:";
            append_enriched_event(spliced, e, profile, "r1");
            ASSERT_EQ(spliced.rfind("keep:", 0), 0u);
            const std::string scanned = enrich_json(raw, profile, "r1");
            EXPECT_EQ(nlohmann::json::parse(spliced.substr(5)), nlohmann::json::parse(scanned))
                << raw << "\n"
                << spliced;
            if (raw.find('\n') == std::string::npos && raw.find(' ') == std::string::npos) {
                EXPECT_EQ(spliced.substr(5), scanned) << raw; // compact input: same bytes
            }
        }
    }
}

} // namespace
} // namespace ebap::pipeline
