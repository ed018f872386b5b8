#include "pipeline/gen/generator.hpp"

#include "core/base/time.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <ctime>
#include <iterator>

namespace ebap::pipeline {
namespace {

// Transition probabilities of the session chain. Calibrated (stationary visit
// counts per session: ~3.8 views, ~0.96 searches, ~0.24 carts, ~0.072
// purchases) so that cart/view ~ 6.3 % and purchase/cart = 30 %, in line with
// public e-commerce benchmarks: global add-to-cart rates of about 6.4-7.9 %
// (opensend.com, "19 Add-to-Cart Rate Statistics for eCommerce Stores", 2025)
// and about 30-40 % of shoppers with a cart completing the purchase, i.e. the
// ~70 % cart abandonment (frihet.online, "Latest ecommerce benchmarks", part 2).
struct Row {
    double view, search, cart, purchase; // the rest of the row is "leave"
};
constexpr Row kFromView{0.62, 0.13, 0.058, 0.0};
constexpr Row kFromSearch{0.70, 0.10, 0.02, 0.0};
constexpr Row kFromCart{0.45, 0.05, 0.0, 0.30};
constexpr Row kFromPurchase{0.25, 0.05, 0.0, 0.0};
constexpr double kFirstView = 0.65;    // else the session opens with a search
constexpr double kLogin = 0.7;         // sessions that start with a login
constexpr double kLogout = 0.8;        // logged-in sessions that end with a logout
constexpr double kErrorEvent = 0.002;  // an event_type "error" instead of a step
constexpr double kErrorStatus = 0.008; // a step whose status is "error"
constexpr double kNoRegion = 0.02;     // events without region: worker falls back to the profile
constexpr double kSlowTail = 0.01;     // latency outliers
constexpr std::int64_t kMinute = 60'000;
constexpr int kBadKinds = 8;

// splitmix64: derives independent per-user / per-session streams from the seed.
std::uint64_t mix(std::uint64_t x) {
    x += 0x9e3779b97f4a7c15ULL;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

template <typename Rng> std::size_t weighted(Rng& rng, const std::vector<double>& weights) {
    double r = std::uniform_real_distribution<double>(0.0, 1.0)(rng);
    for (std::size_t i = 0; i + 1 < weights.size(); ++i) {
        if (r < weights[i]) return i;
        r -= weights[i];
    }
    return weights.size() - 1;
}

const std::vector<double> kRegionWeights = {0.25, 0.15, 0.18, 0.12, 0.12, 0.12, 0.06};
const std::vector<double> kTierWeights = {0.6, 0.3, 0.1};
// Median latency per region (ms), same order as generator_regions().
constexpr double kRegionLatency[] = {60, 70, 80, 85, 140, 110, 160};

const char* const kFirst[] = {
    "Ada",  "Ben",    "Chen", "Dara",   "Emil",  "Fatima", "Goran", "Hana",  "Ivan",  "Jun",
    "Kofi", "Lena",   "Maya", "Nikhil", "Olga",  "Pablo",  "Qiu",   "Rosa",  "Sami",  "Tara",
    "Uma",  "Viktor", "Wen",  "Ximena", "Yusuf", "Zoe",    "Aiko",  "Bruno", "Carla", "Diego"};
const char* const kLast[] = {"Silva",  "Smith", "Tanaka", "Kumar",   "Nguyen", "Garcia", "Muller",
                             "Rossi",  "Kim",   "Okafor", "Ivanova", "Haddad", "Jensen", "Novak",
                             "Santos", "Chen",  "Dubois", "Larsen",  "Moreau", "Popescu"};

std::string lower(std::string s) {
    for (char& c : s)
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
}

} // namespace

const std::vector<std::string>& generator_regions() {
    static const std::vector<std::string> r = {"us-east",  "us-west",      "eu-west", "eu-central",
                                               "ap-south", "ap-northeast", "sa-east"};
    return r;
}

const std::vector<std::string>& generator_tiers() {
    static const std::vector<std::string> t = {"free", "plus", "premium"};
    return t;
}

const std::vector<std::string>& generator_event_types() {
    static const std::vector<std::string> t = {"view",  "search", "cart", "purchase",
                                               "login", "logout", "error"};
    return t;
}

GenProfile make_profile(std::uint64_t seed, std::int64_t id) {
    std::mt19937_64 rng(mix(seed ^ mix(static_cast<std::uint64_t>(id))));
    GenProfile p;
    p.id = id;
    std::string first = kFirst[rng() % std::size(kFirst)];
    std::string last = kLast[rng() % std::size(kLast)];
    p.name = first + " " + last;
    p.email = lower(first) + "." + lower(last) + std::to_string(id) + "@example.com";
    p.region = generator_regions()[weighted(rng, kRegionWeights)];
    p.tier = generator_tiers()[weighted(rng, kTierWeights)];
    return p;
}

ClickstreamGenerator::ClickstreamGenerator(GeneratorOptions opts)
    : opts_(opts), rng_(mix(opts.seed)), cdc_rng_(mix(opts.seed ^ 0xcdcULL)) {
    opts_.users = std::max<std::int64_t>(1, opts_.users);
    profiles_.resize(static_cast<std::size_t>(opts_.users));
    const auto& regions = generator_regions();
    const auto& tiers = generator_tiers();
    for (std::int64_t id = 1; id <= opts_.users; ++id) {
        GenProfile p = make_profile(opts_.seed, id);
        auto& st = profiles_[static_cast<std::size_t>(id - 1)];
        st.region = static_cast<std::uint8_t>(std::find(regions.begin(), regions.end(), p.region) -
                                              regions.begin());
        st.tier = static_cast<std::uint8_t>(std::find(tiers.begin(), tiers.end(), p.tier) -
                                            tiers.begin());
    }
    active_.assign(static_cast<std::size_t>(opts_.users) + 1, false);
    // A quarter of the users at most are in a session, so a free user is always quick to find.
    std::size_t sessions =
        static_cast<std::size_t>(std::clamp<std::int64_t>(opts_.users / 4, 1, 512));
    for (std::size_t i = 0; i < sessions; ++i)
        pool_.push_back(new_session());
}

const std::string& ClickstreamGenerator::region_of(std::int64_t user_id) const {
    return generator_regions()[profiles_[static_cast<std::size_t>(user_id - 1)].region];
}

ClickstreamGenerator::Session ClickstreamGenerator::new_session() {
    std::uniform_int_distribution<std::int64_t> pick(1, opts_.users);
    std::int64_t user;
    do
        user = pick(rng_);
    while (active_[static_cast<std::size_t>(user)]);
    active_[static_cast<std::size_t>(user)] = true;
    Session s{user, mix(opts_.seed ^ (next_session_++ << 20)), State::View, uniform() < kLogin};
    s.state = s.logged_in ? State::Login : (uniform() < kFirstView ? State::View : State::Search);
    return s;
}

void ClickstreamGenerator::end_session(std::size_t slot) {
    active_[static_cast<std::size_t>(pool_[slot].user_id)] = false;
    pool_[slot] = new_session();
}

ClickstreamGenerator::State ClickstreamGenerator::advance(State from) {
    if (from == State::Login) return uniform() < kFirstView ? State::View : State::Search;
    const Row& row = from == State::View     ? kFromView
                     : from == State::Search ? kFromSearch
                     : from == State::Cart   ? kFromCart
                                             : kFromPurchase;
    double r = uniform();
    if ((r -= row.view) < 0) return State::View;
    if ((r -= row.search) < 0) return State::Search;
    if ((r -= row.cart) < 0) return State::Cart;
    if ((r -= row.purchase) < 0) return State::Purchase;
    return State::Logout;
}

void ClickstreamGenerator::next(std::int64_t now_ms, GeneratedEvent& out) {
    static const std::string_view kNames[] = {"login", "view",     "search",
                                              "cart",  "purchase", "logout"};
    std::size_t slot = std::uniform_int_distribution<std::size_t>(0, pool_.size() - 1)(rng_);
    Session& s = pool_[slot];
    const Session snapshot = s;
    std::string_view type;
    bool error = false;
    bool browsing = s.state != State::Login && s.state != State::Logout;
    if (browsing && uniform() < kErrorEvent) {
        type = "error"; // the page failed; the user retries the same step
        error = true;
    } else {
        type = kNames[static_cast<int>(s.state)];
        error = uniform() < kErrorStatus;
        if (s.state == State::Logout) {
            end_session(slot);
        } else {
            State next = advance(s.state);
            if (next == State::Logout && !(s.logged_in && uniform() < kLogout))
                end_session(slot); // left without logging out
            else
                s.state = next;
        }
    }
    out.late = uniform() < opts_.late_fraction;
    std::int64_t ts = now_ms;
    if (out.late) ts -= 15 * kMinute + static_cast<std::int64_t>(uniform() * 15 * kMinute);
    out.bad = uniform() < opts_.bad_fraction;
    Bad bad = out.bad ? static_cast<Bad>(1 + rng_() % kBadKinds) : Bad::None;
    out.type = out.bad ? std::string_view("bad") : type;
    out.key = std::to_string(snapshot.user_id);
    write_event(snapshot, type, ts, error, bad, out.value);
}

void ClickstreamGenerator::write_event(const Session& s, std::string_view type, std::int64_t ts,
                                       bool error, Bad bad, std::string& out) {
    out.clear();
    auto it = std::back_inserter(out);
    std::uint64_t a = rng_(), b = rng_();
    const auto& profile = profiles_[static_cast<std::size_t>(s.user_id - 1)];
    out += '{';
    if (bad != Bad::MissingEventId)
        fmt::format_to(it, "\"event_id\":\"{:08x}-{:04x}-4{:03x}-{:04x}-{:012x}\",", a >> 32,
                       (a >> 16) & 0xffff, a & 0xfff, 0x8000 | (b >> 48 & 0x3fff),
                       b & 0xffffffffffffULL);
    if (bad == Bad::UserIdString)
        fmt::format_to(it, "\"user_id\":\"{}\",", s.user_id);
    else if (bad != Bad::MissingUserId)
        fmt::format_to(it, "\"user_id\":{},", s.user_id);
    if (bad == Bad::UnknownType) {
        static const char* const kUnknown[] = {"checkout", "wishlist", "refund"};
        type = kUnknown[rng_() % std::size(kUnknown)];
    }
    fmt::format_to(it, "\"event_type\":\"{}\",", type);
    if (bad == Bad::BadTs) {
        static const char* const kBadTs[] = {"\"yesterday\"", "null", "\"1700000000000ms\"",
                                             "true"};
        fmt::format_to(it, "\"ts\":{},", kBadTs[rng_() % std::size(kBadTs)]);
    } else if (bad != Bad::MissingTs) {
        fmt::format_to(it, "\"ts\":{},", ts);
    }
    fmt::format_to(it, "\"session_id\":\"s-{:016x}\",", s.id);
    if (uniform() >= kNoRegion)
        fmt::format_to(it, "\"region\":\"{}\",", generator_regions()[profile.region]);
    if (type == "purchase") {
        double amount = std::lognormal_distribution<double>(std::log(45.0), 0.8)(rng_);
        fmt::format_to(it, "\"amount\":{:.2f},", std::max(0.5, amount));
    }
    double latency =
        std::lognormal_distribution<double>(std::log(kRegionLatency[profile.region]), 0.45)(rng_);
    if (uniform() < kSlowTail) latency *= 4 + 8 * uniform();
    fmt::format_to(it, "\"latency_ms\":{:.1f},\"status\":\"{}\"}}", latency,
                   error ? "error" : "ok");

    if (bad == Bad::Truncated) {
        // Any proper prefix of an object is invalid JSON (its closing brace is gone).
        out.resize(1 + rng_() % (out.size() - 1));
    } else if (bad == Bad::NotObject) {
        if (rng_() % 2)
            out = "[" + out + "]";
        else
            out = fmt::format("{} user={} at {}", type, s.user_id, ts);
    }
}

std::string ClickstreamGenerator::cdc_value(std::int64_t id, const ProfileState* before,
                                            const ProfileState& after, char op,
                                            std::int64_t now_ms) {
    GenProfile p = make_profile(opts_.seed, id);
    auto row = [&](const ProfileState& st) {
        return fmt::format(
            R"({{"id":{},"name":"{}","email":"{}","region":"{}","tier":"{}","updated_at":"{}"}})",
            id, p.name, p.email, generator_regions()[st.region], generator_tiers()[st.tier],
            utc_iso(st.updated_at, true));
    };
    // The change reaches Kafka a little after it committed: ts_ms - source.ts_ms is the CDC lag.
    std::int64_t committed = now_ms - 5 - static_cast<std::int64_t>(cdc_rng_() % 60);
    lsn_ += 200 + static_cast<std::int64_t>(cdc_rng_() % 300);
    std::int64_t tx = 700 + lsn_ / 1000;
    return fmt::format(
        R"({{"before":{},"after":{},"source":{{"version":"2.3.0.Final","connector":"postgresql","name":"ebap",)"
        R"("ts_ms":{},"snapshot":"false","db":"ebap","sequence":"[null,\"{}\"]","schema":"public",)"
        R"("table":"users","txId":{},"lsn":{},"xmin":null}},"op":"{}","ts_ms":{},"transaction":null}})",
        before ? row(*before) : "null", row(after), committed, lsn_, tx, lsn_, op, now_ms);
}

std::vector<CdcRecord> ClickstreamGenerator::initial_cdc(std::int64_t now_ms) {
    std::vector<CdcRecord> out;
    out.reserve(profiles_.size());
    for (std::int64_t id = 1; id <= opts_.users; ++id) {
        auto& st = profiles_[static_cast<std::size_t>(id - 1)];
        st.updated_at = now_ms;
        out.push_back({fmt::format(R"({{"id":{}}})", id), cdc_value(id, nullptr, st, 'c', now_ms)});
    }
    return out;
}

bool ClickstreamGenerator::next_cdc(std::int64_t now_ms, CdcRecord& out) {
    std::uniform_real_distribution<double> unit(0.0, 1.0);
    if (unit(cdc_rng_) >= opts_.cdc_updates_per_event) return false;
    std::int64_t id = std::uniform_int_distribution<std::int64_t>(1, opts_.users)(cdc_rng_);
    auto& st = profiles_[static_cast<std::size_t>(id - 1)];
    ProfileState before = st;
    // Mostly tier changes (upgrades, downgrades); sometimes a user moves region.
    if (unit(cdc_rng_) < 0.7) {
        st.tier =
            static_cast<std::uint8_t>((st.tier + 1 + cdc_rng_() % 2) % generator_tiers().size());
    } else {
        st.region = static_cast<std::uint8_t>(
            (st.region + 1 + cdc_rng_() % (generator_regions().size() - 1)) %
            generator_regions().size());
    }
    st.updated_at = now_ms;
    out.key = fmt::format(R"({{"id":{}}})", id);
    out.value = cdc_value(id, &before, st, 'u', now_ms);
    return true;
}

} // namespace ebap::pipeline
