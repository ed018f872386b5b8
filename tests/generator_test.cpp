// ClickstreamGenerator and RateLimiter: funnel calibration, determinism, late
// and bad fractions, the JSON contract of every record, the Debezium shapes,
// and the token bucket over a simulated clock.
#include "pipeline/gen/generator.hpp"
#include "pipeline/gen/rate_limiter.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <map>
#include <optional>
#include <set>

namespace ebap::pipeline {
namespace {

using nlohmann::json;

constexpr std::int64_t kNow =
    1'700'000'000'000; // a fixed clock: the stream depends only on the seed
constexpr std::int64_t kMinute = 60'000;

bool is_integer(const json& v) {
    return v.is_number_integer() || v.is_number_unsigned();
}

// Why a record breaks the clickstream contract (docs/ARCHITECTURE.md, "Clickstream event"), or nullopt when it is valid.
std::optional<std::string> violation(const std::string& text) {
    json doc = json::parse(text, nullptr, false);
    if (doc.is_discarded()) return "not JSON";
    if (!doc.is_object()) return "not an object";
    if (!doc.contains("event_id") || !doc["event_id"].is_string()) return "event_id";
    if (!doc.contains("user_id") || !is_integer(doc["user_id"])) return "user_id";
    const auto& types = generator_event_types();
    if (!doc.contains("event_type") || !doc["event_type"].is_string() ||
        std::find(types.begin(), types.end(), doc["event_type"].get<std::string>()) == types.end())
        return "event_type";
    if (!doc.contains("ts") || !is_integer(doc["ts"]) || doc["ts"].get<std::int64_t>() <= 0)
        return "ts";
    if (doc.contains("session_id") && !doc["session_id"].is_string()) return "session_id";
    if (doc.contains("region") && !doc["region"].is_string()) return "region";
    if (doc.contains("amount") && !doc["amount"].is_number()) return "amount";
    if (doc.contains("latency_ms") && !doc["latency_ms"].is_number()) return "latency_ms";
    if (doc.contains("status") && doc["status"] != "ok" && doc["status"] != "error")
        return "status";
    return std::nullopt;
}

struct Tally {
    std::map<std::string, long> types;
    long late = 0, bad = 0, total = 0;
};

Tally run(GeneratorOptions opts, long n) {
    ClickstreamGenerator gen(opts);
    GeneratedEvent ev;
    Tally t;
    for (long i = 0; i < n; ++i) {
        gen.next(kNow + i, ev);
        ++t.total;
        t.late += ev.late;
        t.bad += ev.bad;
        ++t.types[std::string(ev.type)];
    }
    return t;
}

TEST(Generator, FunnelMatchesPublicConversionRates) {
    Tally t = run({.seed = 11, .users = 5000}, 200'000);
    double cart_per_view = double(t.types["cart"]) / double(t.types["view"]);
    double purchase_per_cart = double(t.types["purchase"]) / double(t.types["cart"]);
    EXPECT_GE(cart_per_view, 0.03);
    EXPECT_LE(cart_per_view, 0.09);
    EXPECT_GE(purchase_per_cart, 0.25);
    EXPECT_LE(purchase_per_cart, 0.35);
    // Sessions open and close: logins and logouts, and a small share of errors.
    EXPECT_GT(t.types["login"], 0);
    EXPECT_GT(t.types["logout"], 0);
    EXPECT_LT(t.types["logout"], t.types["login"]);
    double errors = double(t.types["error"]) / double(t.total);
    EXPECT_GT(errors, 0.0005);
    EXPECT_LT(errors, 0.01);
    EXPECT_EQ(t.types.count("bad"), 0u);
    EXPECT_EQ(t.late, 0);
}

TEST(Generator, SameSeedSameStreamOtherSeedDiffers) {
    GeneratorOptions opts{.seed = 7, .users = 300, .late_fraction = 0.1, .bad_fraction = 0.1};
    ClickstreamGenerator a(opts), b(opts),
        c({.seed = 8, .users = 300, .late_fraction = 0.1, .bad_fraction = 0.1});
    GeneratedEvent ea, eb, ec;
    int differ = 0;
    for (int i = 0; i < 5000; ++i) {
        a.next(kNow + i, ea);
        b.next(kNow + i, eb);
        c.next(kNow + i, ec);
        ASSERT_EQ(ea.key, eb.key) << i;
        ASSERT_EQ(ea.value, eb.value) << i;
        ASSERT_EQ(ea.late, eb.late);
        differ += ea.value != ec.value;
    }
    EXPECT_GT(differ, 4900);
    auto ca = a.initial_cdc(kNow), cb = b.initial_cdc(kNow);
    ASSERT_EQ(ca.size(), cb.size());
    for (std::size_t i = 0; i < ca.size(); ++i)
        EXPECT_EQ(ca[i].value, cb[i].value);
}

TEST(Generator, LateAndBadFractionsAreHonoured) {
    const long n = 100'000;
    Tally t = run({.seed = 3, .users = 1000, .late_fraction = 0.05, .bad_fraction = 0.02}, n);
    // Binomial: 5 sigma is ~0.0035 for 5 % and ~0.0022 for 2 % at n = 100k.
    EXPECT_NEAR(double(t.late) / n, 0.05, 0.0035);
    EXPECT_NEAR(double(t.bad) / n, 0.02, 0.0022);
    EXPECT_EQ(t.types["bad"], t.bad);
}

TEST(Generator, GoodRecordsKeepTheContractAndBadOnesBreakIt) {
    ClickstreamGenerator gen({.seed = 5, .users = 200, .late_fraction = 0.1, .bad_fraction = 0.1});
    GeneratedEvent ev;
    std::set<std::string> reasons, regions, statuses;
    long purchases = 0, slow = 0, good = 0, no_region = 0;
    for (int i = 0; i < 50'000; ++i) {
        std::int64_t now = kNow + i * 10;
        gen.next(now, ev);
        auto why = violation(ev.value);
        if (ev.bad) {
            ASSERT_TRUE(why.has_value()) << "bad record passes the contract: " << ev.value;
            reasons.insert(*why);
            continue;
        }
        ASSERT_FALSE(why.has_value()) << *why << " in " << ev.value;
        ++good;
        json doc = json::parse(ev.value);
        EXPECT_EQ(ev.key, std::to_string(doc["user_id"].get<std::int64_t>()));
        EXPECT_EQ(ev.type, doc["event_type"].get<std::string>());
        std::int64_t user = doc["user_id"];
        ASSERT_GE(user, 1);
        ASSERT_LE(user, 200);
        std::int64_t age = now - doc["ts"].get<std::int64_t>();
        if (ev.late) {
            EXPECT_GE(age, 15 * kMinute);
            EXPECT_LE(age, 30 * kMinute);
        } else {
            EXPECT_EQ(age, 0);
        }
        if (doc.contains("region")) {
            EXPECT_EQ(doc["region"], gen.region_of(user)); // a user's region is stable
            regions.insert(doc["region"]);
        } else {
            ++no_region;
        }
        statuses.insert(doc["status"]);
        if (doc["event_type"] == "error") {
            EXPECT_EQ(doc["status"], "error");
        }
        EXPECT_EQ(doc["session_id"].get<std::string>().rfind("s-", 0), 0u);
        EXPECT_EQ(doc["event_id"].get<std::string>().size(), 36u);
        EXPECT_GT(doc["latency_ms"].get<double>(), 0);
        slow += doc["latency_ms"].get<double>() > 1000;
        if (doc["event_type"] == "purchase") {
            ++purchases;
            EXPECT_GT(doc["amount"].get<double>(), 0);
        } else {
            EXPECT_FALSE(doc.contains("amount"));
        }
    }
    // Every kind of breakage shows up.
    EXPECT_GE(reasons.size(), 5u) << "reasons seen: " << reasons.size();
    EXPECT_TRUE(reasons.count("not JSON"));
    EXPECT_TRUE(reasons.count("ts"));
    EXPECT_TRUE(reasons.count("user_id"));
    EXPECT_TRUE(reasons.count("event_type"));
    EXPECT_EQ(regions.size(), generator_regions().size());
    EXPECT_EQ(statuses, (std::set<std::string>{"error", "ok"}));
    EXPECT_GT(purchases, 0);
    EXPECT_GT(slow, 0);
    EXPECT_LT(slow, good / 50);
    EXPECT_GT(no_region, 0);
    EXPECT_LT(no_region, good / 20);
}

TEST(Generator, EventIdsAreUnique) {
    ClickstreamGenerator gen({.seed = 9, .users = 50});
    GeneratedEvent ev;
    std::set<std::string> ids;
    for (int i = 0; i < 20'000; ++i) {
        gen.next(kNow, ev);
        ids.insert(json::parse(ev.value)["event_id"].get<std::string>());
    }
    EXPECT_EQ(ids.size(), 20'000u);
}

TEST(Generator, ProfilesAgreeWithSeedAndSpreadOverRegionsAndTiers) {
    // Pinned: `seed` and `gen` of any build must write these same people for a seed.
    const auto expect_profile = [](std::uint64_t seed, std::int64_t id, const char* name,
                                   const char* email, const char* region, const char* tier) {
        const GenProfile p = make_profile(seed, id);
        EXPECT_EQ(p.id, id);
        EXPECT_EQ(p.name, name) << seed << "/" << id;
        EXPECT_EQ(p.email, email) << seed << "/" << id;
        EXPECT_EQ(p.region, region) << seed << "/" << id;
        EXPECT_EQ(p.tier, tier) << seed << "/" << id;
    };
    expect_profile(42, 1, "Diego Kumar", "diego.kumar1@example.com", "us-east", "free");
    expect_profile(42, 2, "Yusuf Jensen", "yusuf.jensen2@example.com", "sa-east", "free");
    expect_profile(42, 5000, "Hana Chen", "hana.chen5000@example.com", "us-east", "free");
    expect_profile(1, 1, "Jun Kim", "jun.kim1@example.com", "eu-central", "free");
    expect_profile(1, 2, "Sami Ivanova", "sami.ivanova2@example.com", "ap-northeast", "plus");

    std::map<std::string, int> regions, tiers;
    for (int id = 1; id <= 5000; ++id) {
        GenProfile p = make_profile(42, id);
        EXPECT_EQ(p.id, id);
        EXPECT_NE(p.email.find(std::to_string(id) + "@"), std::string::npos);
        ++regions[p.region];
        ++tiers[p.tier];
    }
    EXPECT_EQ(regions.size(), generator_regions().size());
    EXPECT_EQ(tiers.size(), generator_tiers().size());
    EXPECT_GT(tiers["free"], tiers["premium"]);
    int same = 0;
    for (int id = 1; id <= 200; ++id)
        same += make_profile(42, id).name == make_profile(43, id).name;
    EXPECT_LT(same, 100); // another seed, other people
}

TEST(Generator, CdcEnvelopesHaveDebeziumShape) {
    ClickstreamGenerator gen({.seed = 4, .users = 30, .cdc_updates_per_event = 0.05});
    auto creates = gen.initial_cdc(kNow);
    ASSERT_EQ(creates.size(), 30u);
    for (std::size_t i = 0; i < creates.size(); ++i) {
        json key = json::parse(creates[i].key);
        EXPECT_EQ(key, json({{"id", i + 1}}));
        json v = json::parse(creates[i].value);
        EXPECT_FALSE(v.contains("schema")); // JSON converter without the schema wrapper
        EXPECT_TRUE(v["before"].is_null());
        EXPECT_EQ(v["op"], "c");
        GenProfile p = make_profile(4, std::int64_t(i + 1));
        EXPECT_EQ(v["after"]["id"], i + 1);
        EXPECT_EQ(v["after"]["name"], p.name);
        EXPECT_EQ(v["after"]["email"], p.email);
        EXPECT_EQ(v["after"]["region"], p.region);
        EXPECT_EQ(v["after"]["tier"], p.tier);
        EXPECT_EQ(v["after"]["updated_at"].get<std::string>().size(),
                  std::string("2023-11-14T22:13:20.000Z").size());
        const json& src = v["source"];
        EXPECT_EQ(src["connector"], "postgresql");
        EXPECT_EQ(src["snapshot"], "false");
        EXPECT_EQ(src["db"], "ebap");
        EXPECT_EQ(src["schema"], "public");
        EXPECT_EQ(src["table"], "users");
        EXPECT_EQ(v["ts_ms"], kNow);
        EXPECT_LT(src["ts_ms"].get<std::int64_t>(), kNow); // positive CDC lag
    }

    CdcRecord rec;
    GeneratedEvent ev;
    int updates = 0;
    for (int i = 0; i < 2000; ++i) {
        std::int64_t now = kNow + 1000 + i;
        if (!gen.next_cdc(now, rec)) continue;
        ++updates;
        json v = json::parse(rec.value);
        ASSERT_EQ(v["op"], "u");
        std::int64_t id = json::parse(rec.key)["id"];
        ASSERT_TRUE(v["before"].is_object()); // REPLICA IDENTITY FULL: the old row
        EXPECT_EQ(v["after"]["id"], id);
        bool tier_changed = v["before"]["tier"] != v["after"]["tier"];
        bool region_changed = v["before"]["region"] != v["after"]["region"];
        EXPECT_TRUE(tier_changed != region_changed) << rec.value;
        EXPECT_EQ(gen.region_of(id), v["after"]["region"]); // later events follow the new region
    }
    EXPECT_GT(updates, 50);
    EXPECT_LT(updates, 200);
}

// --- RateLimiter over a simulated clock ---

struct FakeClock {
    std::int64_t ns = 5'000'000'000;
    RateLimiter::Clock fn() {
        return [this] { return ns; };
    }
};

long admitted_over(RateLimiter& lim, FakeClock& clock, double seconds, std::int64_t step_ns) {
    long n = 0;
    std::int64_t end = clock.ns + static_cast<std::int64_t>(seconds * 1e9);
    while (clock.ns < end) {
        while (lim.try_acquire())
            ++n;
        clock.ns += step_ns;
    }
    return n;
}

// Callers that come back at least every (burst - 1) / eps seconds lose nothing to the cap.
TEST(RateLimiter, AdmitsRateTimesDurationWithinBurst) {
    for (double eps : {50.0, 1000.0, 25'000.0}) {
        for (std::int64_t step : {std::int64_t(100'000), std::int64_t(7'000'000)}) {
            FakeClock clock;
            double burst = RateLimiter::default_burst(eps);
            RateLimiter lim(eps, burst, clock.fn());
            long n = admitted_over(lim, clock, 10.0, step);
            EXPECT_GE(n, eps * 10 - 1) << eps << " eps, step " << step;
            EXPECT_LE(n, eps * 10 + burst) << eps << " eps, step " << step;
        }
    }
}

TEST(RateLimiter, WaitTimeIsWhatTheNextTokenNeeds) {
    FakeClock clock;
    RateLimiter lim(100, 1, clock.fn()); // one token every 10 ms
    EXPECT_EQ(lim.wait_ns(), 0);
    EXPECT_TRUE(lim.try_acquire());
    EXPECT_FALSE(lim.try_acquire());
    EXPECT_EQ(lim.wait_ns(), 10'000'000);
    clock.ns += 4'000'000;
    EXPECT_EQ(lim.wait_ns(), 6'000'000);
    clock.ns += 6'000'000;
    EXPECT_TRUE(lim.try_acquire());
    // An idle hour does not bank more than the burst.
    clock.ns += 3600'000'000'000;
    EXPECT_TRUE(lim.try_acquire());
    EXPECT_FALSE(lim.try_acquire());
}

TEST(RateLimiter, LateCallersLoseWhatOverflowsTheBucket) {
    FakeClock clock;
    RateLimiter lim(50, 4, clock.fn());
    // Polling every 200 ms refills 10 tokens, but the bucket holds 4.
    long n = admitted_over(lim, clock, 10.0, 200'000'000);
    EXPECT_EQ(n, 4 * 50);
}

TEST(RateLimiter, ZeroRateIsUnlimited) {
    FakeClock clock;
    RateLimiter lim(0, 1, clock.fn());
    EXPECT_TRUE(lim.unlimited());
    for (int i = 0; i < 100'000; ++i)
        ASSERT_TRUE(lim.try_acquire());
    EXPECT_EQ(lim.wait_ns(), 0);
}

} // namespace
} // namespace ebap::pipeline
