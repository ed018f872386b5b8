#pragma once
// Synthetic clickstream for `ebapctl gen` and the tests: a Markov chain per
// session (view <-> search -> cart -> purchase, exit from every state, login
// and logout around it), many sessions interleaved, JSON per docs/ARCHITECTURE.md,
// "Clickstream event". Deterministic for a seed and a sequence of clock values.
// Also the Debezium change events of public.users that `ebapctl seed` writes.
#include <cstdint>
#include <random>
#include <string>
#include <string_view>
#include <vector>

namespace ebap::pipeline {

// Region and tier names, in the order make_profile draws them from.
const std::vector<std::string>& generator_regions();
const std::vector<std::string>& generator_tiers();
// Every valid event_type, in the EventType order of event.hpp.
const std::vector<std::string>& generator_event_types();

// A user's profile as first created (same for gen and seed for a given seed).
struct GenProfile {
    std::int64_t id = 0;
    std::string name, email, region, tier;
};
GenProfile make_profile(std::uint64_t seed, std::int64_t id);

struct GeneratorOptions {
    std::uint64_t seed = 1;
    std::int64_t users = 1000;                 // user ids 1..users
    double late_fraction = 0.0;                // events stamped 15-30 min in the past
    double bad_fraction = 0.0;                 // malformed records (DLQ material)
    double cdc_updates_per_event = 1.0 / 5000; // chance of a profile update per next_cdc()
};

struct GeneratedEvent {
    std::string key;       // user_id as decimal
    std::string value;     // JSON (or garbage when bad)
    std::string_view type; // event_type name, or "bad"
    bool late = false;
    bool bad = false;
};

struct CdcRecord {
    std::string key;   // {"id":N}
    std::string value; // Debezium envelope without the schema wrapper
};

class ClickstreamGenerator {
  public:
    explicit ClickstreamGenerator(GeneratorOptions opts);

    // The next event of a randomly chosen active session, stamped now_ms
    // (or 15-30 min earlier when late). Buffers in `out` are reused.
    void next(std::int64_t now_ms, GeneratedEvent& out);

    // op "c" for every user, in id order: the CDC topic's initial content.
    std::vector<CdcRecord> initial_cdc(std::int64_t now_ms);
    // Occasionally (cdc_updates_per_event) changes one user's tier or region
    // and returns true with its op "u" record; later events use the new region.
    bool next_cdc(std::int64_t now_ms, CdcRecord& out);

    const GeneratorOptions& options() const { return opts_; }
    // Current region of a user (1..users).
    const std::string& region_of(std::int64_t user_id) const;

  private:
    enum class State : std::uint8_t { Login, View, Search, Cart, Purchase, Logout };
    struct Session {
        std::int64_t user_id;
        std::uint64_t id;
        State state;
        bool logged_in;
    };
    struct ProfileState {
        std::uint8_t region = 0;
        std::uint8_t tier = 0;
        std::int64_t updated_at = 0; // epoch ms
    };
    // Ways a record breaks the event contract (None = a valid event).
    enum class Bad : std::uint8_t {
        None,
        Truncated,
        MissingTs,
        UserIdString,
        UnknownType,
        MissingEventId,
        MissingUserId,
        BadTs,
        NotObject
    };

    Session new_session();
    void end_session(std::size_t slot);
    // Next browsing state after `from`, or Logout when the session leaves.
    State advance(State from);
    void write_event(const Session& s, std::string_view type, std::int64_t ts, bool error, Bad bad,
                     std::string& out);
    double uniform() { return unit_(rng_); }
    std::string cdc_value(std::int64_t id, const ProfileState* before, const ProfileState& after,
                          char op, std::int64_t now_ms);

    GeneratorOptions opts_;
    std::mt19937_64 rng_;
    std::mt19937_64 cdc_rng_; // separate stream: profile updates do not shift the events
    std::uniform_real_distribution<double> unit_{0.0, 1.0};
    std::vector<Session> pool_;
    std::vector<bool> active_;           // by user id
    std::vector<ProfileState> profiles_; // by user id - 1
    std::uint64_t next_session_ = 1;
    std::int64_t lsn_ = 0x2000000;
};

} // namespace ebap::pipeline
