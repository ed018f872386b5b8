// CdcDecoder and ProfileTable against the real Debezium captures in
// tests/fixtures/debezium (see its README.txt) plus wire-shaped users-table records.
#include "pipeline/decode/cdc.hpp"
#include "pipeline/decode/rfc3339.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <atomic>
#include <fstream>
#include <map>
#include <sstream>
#include <thread>
#include <vector>

namespace ebap::pipeline {
namespace {

using nlohmann::json;

std::string fixture(const std::string& name) {
    const std::string path = std::string(EBAP_FIXTURES_DIR) + "/debezium/" + name;
    std::ifstream in(path, std::ios::binary);
    if (!in) throw std::runtime_error("missing fixture " + path);
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

std::vector<std::string> fixture_lines(const std::string& name) {
    std::vector<std::string> lines;
    std::istringstream in(fixture(name));
    for (std::string line; std::getline(in, line);)
        if (!line.empty()) lines.push_back(line);
    return lines;
}

std::string key_of(std::int64_t id) {
    return json({{"id", id}}).dump();
}

// The Kafka key as the JsonConverter writes it with schemas.enable=true.
std::string wrapped_key_of(std::int64_t id) {
    return json({{"schema",
                  {{"type", "struct"},
                   {"name", "ebap.public.users.Key"},
                   {"optional", false},
                   {"fields", {{{"type", "int64"}, {"optional", false}, {"field", "id"}}}}}},
                 {"payload", {{"id", id}}}})
        .dump();
}

// A users-table change event as Debezium's PostgreSQL connector emits it.
json users_envelope(const std::string& op, const json& before, const json& after,
                    const json& snapshot = "false") {
    return {{"before", before},
            {"after", after},
            {"source",
             {{"version", "2.5.0.Final"},
              {"connector", "postgresql"},
              {"name", "ebap"},
              {"ts_ms", 1718000000000},
              {"snapshot", snapshot},
              {"db", "ebap"},
              {"schema", "public"},
              {"table", "users"},
              {"txId", 777},
              {"lsn", 123456},
              {"xmin", nullptr}}},
            {"op", op},
            {"ts_ms", 1718000000250},
            {"transaction", nullptr}};
}

json user_row(std::int64_t id, const std::string& name, const std::string& region,
              const json& updated_at = 1718000000000123) {
    return {{"id", id},         {"name", name},     {"email", name + "@example.org"},
            {"region", region}, {"tier", "silver"}, {"updated_at", updated_at}};
}

TEST(CdcFixtures, SchemaExcludeCaptureReplaysLikeAnOracle) {
    // Oracle: the same lines read with nlohmann, applied by the documented rules.
    std::map<std::int64_t, json> expect;
    ProfileTable table;
    CdcDecoder decoder;
    const auto lines = fixture_lines("flink-debezium-postgres-data-schema-exclude.txt");
    ASSERT_EQ(lines.size(), 16u);
    std::map<std::string, int> ops;
    for (const auto& line : lines) {
        const json j = json::parse(line);
        const std::string op = j["op"];
        const json& row = op == "d" ? j["before"] : j["after"];
        const std::int64_t id = row["id"];
        if (op == "d")
            expect.erase(id);
        else
            expect[id] = j["after"];

        const CdcResult r = decoder.apply(key_of(id), line, table);
        ASSERT_TRUE(r.ok()) << r.error << "\n" << line;
        EXPECT_EQ(cdc_op_name(r.op), op);
        EXPECT_EQ(r.id, id);
        EXPECT_EQ(r.table, "products");
        EXPECT_EQ(r.snapshot, j["source"]["snapshot"] == "true");
        EXPECT_EQ(r.cdc_lag_ms,
                  j["ts_ms"].get<std::int64_t>() - j["source"]["ts_ms"].get<std::int64_t>());
        ++ops[op];
    }
    EXPECT_EQ(ops, (std::map<std::string, int>{{"r", 9}, {"u", 4}, {"c", 2}, {"d", 1}}));
    ASSERT_EQ(table.size(), expect.size());
    for (const auto& [id, row] : expect) {
        const auto p = table.lookup(id);
        ASSERT_TRUE(p) << id;
        EXPECT_EQ(p->name, row["name"].get<std::string>()); // a products row: name only
        EXPECT_EQ(p->email, "");
        EXPECT_EQ(p->region, "");
        EXPECT_EQ(p->tier, "");
        EXPECT_EQ(p->updated_at, 0);
    }
}

TEST(CdcFixtures, SchemaWrapperGivesTheSameResult) {
    const std::string wrapped = fixture("flink-debezium-postgres-data-schema-include.line1.json");
    const std::string bare = fixture_lines("flink-debezium-postgres-data-schema-exclude.txt")[0];
    ASSERT_EQ(json::parse(wrapped)["payload"], json::parse(bare)); // the fixtures' own claim
    ProfileTable a, b;
    CdcDecoder decoder;
    const CdcResult ra = decoder.apply("", wrapped, a); // id from the row: key not needed
    const CdcResult rb = decoder.apply("", bare, b);
    ASSERT_TRUE(ra.ok()) << ra.error;
    ASSERT_TRUE(rb.ok()) << rb.error;
    EXPECT_EQ(ra.op, CdcOp::read);
    EXPECT_EQ(ra.op, rb.op);
    EXPECT_EQ(ra.id, rb.id);
    EXPECT_EQ(ra.cdc_lag_ms, rb.cdc_lag_ms);
    EXPECT_TRUE(ra.snapshot);
    ASSERT_TRUE(a.lookup(ra.id) && b.lookup(rb.id));
    EXPECT_EQ(a.lookup(ra.id)->name, b.lookup(rb.id)->name);
}

TEST(CdcFixtures, DocsCreateExampleWithSchema) {
    const std::string text = fixture("debezium-docs-pg-create-value-with-schema.json");
    const json j = json::parse(text);
    ProfileTable table;
    CdcDecoder decoder;
    const CdcResult r = decoder.apply("", text, table);
    ASSERT_TRUE(r.ok()) << r.error;
    EXPECT_EQ(r.op, CdcOp::create);
    EXPECT_EQ(r.id, j["payload"]["after"]["id"].get<std::int64_t>());
    EXPECT_EQ(r.table, j["payload"]["source"]["table"].get<std::string>());
    EXPECT_EQ(r.snapshot, j["payload"]["source"]["snapshot"].get<bool>()); // boolean form
    EXPECT_EQ(r.cdc_lag_ms, j["payload"]["ts_ms"].get<std::int64_t>() -
                                j["payload"]["source"]["ts_ms"].get<std::int64_t>());
    const auto p = table.lookup(r.id);
    ASSERT_TRUE(p);
    EXPECT_EQ(p->email, j["payload"]["after"]["email"].get<std::string>());
    EXPECT_EQ(p->name, ""); // customers has first_name/last_name: not profile columns
}

TEST(CdcFixtures, DeleteWithoutReplicaIdentityFallsBackToTheKey) {
    const auto lines = fixture_lines("flink-debezium-postgres-data-replica-identity.last2.txt");
    ASSERT_EQ(lines.size(), 2u);
    const std::int64_t id = json::parse(lines[0])["after"]["id"];
    for (const std::string& key :
         {key_of(id), wrapped_key_of(id), std::string(R"({"id":")") + std::to_string(id) + "\"}"}) {
        ProfileTable table;
        CdcDecoder decoder;
        const CdcResult u = decoder.apply(key, lines[0], table); // update with before = null
        ASSERT_TRUE(u.ok()) << u.error;
        EXPECT_EQ(u.op, CdcOp::update);
        EXPECT_FALSE(u.snapshot); // "false" as a string
        ASSERT_TRUE(table.lookup(id));
        const CdcResult d = decoder.apply(key, lines[1], table); // before = after = null
        ASSERT_TRUE(d.ok()) << d.error << " key " << key;
        EXPECT_EQ(d.op, CdcOp::remove);
        EXPECT_EQ(d.id, id);
        EXPECT_FALSE(table.lookup(id));
    }
    ProfileTable table;
    CdcDecoder decoder;
    const CdcResult d = decoder.apply("", lines[1], table);
    EXPECT_FALSE(d.ok());
    EXPECT_NE(d.error.find("key"), std::string::npos) << d.error;
}

TEST(Cdc, UsersRowsEveryOpAndTombstone) {
    ProfileTable table;
    CdcDecoder decoder;
    const json created = user_row(7, "ana", "eu-west");
    CdcResult r = decoder.apply(key_of(7), users_envelope("c", nullptr, created).dump(), table);
    ASSERT_TRUE(r.ok()) << r.error;
    EXPECT_EQ(r.op, CdcOp::create);
    EXPECT_EQ(r.cdc_lag_ms, 250);
    auto p = table.lookup(7);
    ASSERT_TRUE(p);
    EXPECT_EQ(p->name, "ana");
    EXPECT_EQ(p->email, "ana@example.org");
    EXPECT_EQ(p->region, "eu-west");
    EXPECT_EQ(p->tier, "silver");
    EXPECT_EQ(p->updated_at, 1718000000000); // MicroTimestamp -> ms
    EXPECT_EQ(table.region_of(7), "eu-west");

    const json moved = user_row(7, "ana", "ap-south");
    r = decoder.apply(key_of(7), users_envelope("u", created, moved).dump(), table);
    ASSERT_TRUE(r.ok()) << r.error;
    EXPECT_EQ(r.op, CdcOp::update);
    EXPECT_EQ(table.region_of(7), "ap-south");
    EXPECT_EQ(table.size(), 1u);

    r = decoder.apply(wrapped_key_of(7), users_envelope("d", moved, nullptr).dump(), table);
    ASSERT_TRUE(r.ok()) << r.error;
    EXPECT_EQ(r.op, CdcOp::remove);
    EXPECT_FALSE(table.lookup(7));

    // The tombstone after a delete, and one left alone by log compaction.
    ASSERT_TRUE(decoder
                    .apply(key_of(8),
                           users_envelope("r", nullptr, user_row(8, "bo", "x"), "last").dump(),
                           table)
                    .ok());
    r = decoder.apply(wrapped_key_of(8), "", table);
    ASSERT_TRUE(r.ok()) << r.error;
    EXPECT_EQ(r.op, CdcOp::tombstone);
    EXPECT_EQ(r.id, 8);
    EXPECT_FALSE(table.lookup(8));
    r = decoder.apply(key_of(9), "null", table);
    EXPECT_TRUE(r.ok()) << r.error;
    EXPECT_EQ(r.op, CdcOp::tombstone);
    r = decoder.apply(key_of(9), R"({"schema":null,"payload":null})", table);
    EXPECT_TRUE(r.ok()) << r.error;
    EXPECT_EQ(r.op, CdcOp::tombstone);
    r = decoder.apply("", "", table);
    EXPECT_FALSE(r.ok());
    EXPECT_EQ(r.op, CdcOp::tombstone);
}

TEST(Cdc, TruncateClearsTheTable) {
    ProfileTable table;
    CdcDecoder decoder;
    for (std::int64_t id = 1; id <= 5; ++id)
        ASSERT_TRUE(decoder
                        .apply(key_of(id),
                               users_envelope("r", nullptr, user_row(id, "u", "r"), "true").dump(),
                               table)
                        .ok());
    ASSERT_EQ(table.size(), 5u);
    json t = users_envelope("t", nullptr, nullptr);
    t.erase("before");
    t.erase("after");
    const CdcResult r = decoder.apply("", t.dump(), table);
    ASSERT_TRUE(r.ok()) << r.error;
    EXPECT_EQ(r.op, CdcOp::truncate);
    EXPECT_EQ(table.size(), 0u);
}

TEST(Cdc, SnapshotStringsAndBooleans) {
    const std::pair<json, bool> cases[] = {{"true", true},
                                           {"first", true},
                                           {"first_in_data_collection", true},
                                           {"last", true},
                                           {"last_in_data_collection", true},
                                           {"incremental", true},
                                           {"false", false},
                                           {true, true},
                                           {false, false},
                                           {nullptr, false}};
    ProfileTable table;
    CdcDecoder decoder;
    for (const auto& [snapshot, expect] : cases) {
        const CdcResult r = decoder.apply(
            key_of(1), users_envelope("u", nullptr, user_row(1, "a", "r"), snapshot).dump(), table);
        ASSERT_TRUE(r.ok()) << r.error;
        EXPECT_EQ(r.snapshot, expect) << snapshot;
    }
}

TEST(Cdc, UpdatedAtForms) {
    const std::int64_t ms = 1718000000123;
    const std::pair<json, std::int64_t> cases[] = {
        {ms, ms},                    // io.debezium.time.Timestamp
        {ms * 1000 + 456, ms},       // MicroTimestamp
        {ms * 1000000 + 456789, ms}, // NanoTimestamp
        {"2024-06-10T06:13:20.123456Z", *parse_rfc3339_ms("2024-06-10T06:13:20.123Z")}, // Zoned
        {"not a time", 0},
        {nullptr, 0},
    };
    ProfileTable table;
    CdcDecoder decoder;
    for (const auto& [value, expect] : cases) {
        const CdcResult r = decoder.apply(
            "", users_envelope("c", nullptr, user_row(3, "c", "r", value)).dump(), table);
        ASSERT_TRUE(r.ok()) << r.error;
        EXPECT_EQ(table.lookup(3)->updated_at, expect) << value;
    }
}

TEST(Cdc, NullColumnsAndStringIdsAreTolerated) {
    ProfileTable table;
    CdcDecoder decoder;
    json row = {{"id", "12"}, {"name", nullptr}, {"region", 5}};
    const CdcResult r = decoder.apply("", users_envelope("c", nullptr, row).dump(), table);
    ASSERT_TRUE(r.ok()) << r.error;
    const auto p = table.lookup(12);
    ASSERT_TRUE(p);
    EXPECT_EQ(p->name, "");
    EXPECT_EQ(p->region, "");
}

TEST(Cdc, BadRecordsSayWhyAndChangeNothing) {
    ProfileTable table;
    CdcDecoder decoder;
    ASSERT_TRUE(
        decoder.apply(key_of(1), users_envelope("c", nullptr, user_row(1, "a", "r")).dump(), table)
            .ok());
    json no_op = users_envelope("c", nullptr, user_row(2, "b", "r"));
    no_op.erase("op");
    json bad_op = users_envelope("x", nullptr, user_row(2, "b", "r"));
    json no_after = users_envelope("u", nullptr, nullptr);
    json no_id = users_envelope("c", nullptr, {{"name", "b"}});
    const std::pair<std::string, std::string> cases[] = {
        {"{not json", "value is not valid JSON"},
        {"[1]", "not a JSON object"},
        {no_op.dump(), "no string 'op'"},
        {bad_op.dump(), "op 'x' is not one of c, r, u, d, t"},
        {no_after.dump(), "op 'u' without an 'after' row"},
        {no_id.dump(), "row has no integer 'id'"},
        {users_envelope("c", nullptr, user_row(3, "c", "\x1b[2J")).dump(),
         "row id 3: region: control character U+001B at byte 0"},
    };
    for (const auto& [value, why] : cases) {
        const CdcResult r = decoder.apply("", value, table);
        EXPECT_FALSE(r.ok()) << value;
        EXPECT_NE(r.error.find(why), std::string::npos) << r.error;
    }
    EXPECT_EQ(table.size(), 1u);
    EXPECT_FALSE(decoder.apply("{bad", "", table).ok());
    EXPECT_EQ(table.size(), 1u);
}

// Readers never see a half-written profile while a writer upserts and erases.
TEST(ProfileTableTest, ConcurrentLookupsDuringUpserts) {
    ProfileTable table;
    constexpr std::int64_t kIds = 64;
    constexpr int kRounds = 100;
    std::atomic<bool> done{false};
    std::atomic<long> seen{0}, torn{0};
    auto reader = [&] {
        while (!done.load(std::memory_order_relaxed)) {
            for (std::int64_t id = 0; id < kIds; ++id) {
                const bool found = table.visit(id, [&](const UserProfile& p) {
                    // Every field of one version carries the same version number.
                    const std::string v = std::to_string(p.updated_at);
                    if (p.id != id || p.name != "n" + v || p.region != "r" + v || p.tier != "t" + v)
                        ++torn;
                });
                if (found) ++seen;
                if (const auto copy = table.lookup(id);
                    copy && copy->name.substr(1) != copy->region.substr(1))
                    ++torn;
            }
        }
    };
    std::thread r1(reader), r2(reader);
    CdcDecoder decoder;
    long applied = 0;
    for (int round = 1; round <= kRounds; ++round) {
        for (std::int64_t id = 0; id < kIds; ++id) {
            const std::string v = std::to_string(round);
            json row = {{"id", id},
                        {"name", "n" + v},
                        {"region", "r" + v},
                        {"tier", "t" + v},
                        {"updated_at", round}};
            applied += decoder.apply("", users_envelope("u", nullptr, row).dump(), table).ok();
            if ((id + round) % 7 == 0) table.erase(id);
        }
        if (round % 25 == 0) table.clear();
    }
    done = true;
    r1.join();
    r2.join();
    EXPECT_EQ(applied, kRounds * kIds);
    EXPECT_EQ(torn.load(), 0);
    EXPECT_GT(seen.load(), 0);
}

} // namespace
} // namespace ebap::pipeline
