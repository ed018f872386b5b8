#pragma once
// Clickstream events (docs/ARCHITECTURE.md, "Clickstream event"): the hot-path decoder
// (simdjson On-Demand, no DOM, no exceptions, no allocation beyond Event's own strings)
// and the enriched NDJSON line the cold path stores.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ebap::pipeline {

struct UserProfile; // cdc.hpp

enum class EventType : std::uint8_t { view, search, cart, purchase, login, logout, error };
inline constexpr std::size_t kEventTypeCount = 7;

std::string_view event_type_name(EventType type);                 // "view", "purchase", …
std::optional<EventType> parse_event_type(std::string_view name); // exact, lower case

struct Event {
    std::string event_id;
    std::int64_t user_id = 0;
    EventType type = EventType::view;
    std::int64_t ts_ms = 0; // event time, epoch milliseconds (>= 0)
    std::string session_id; // empty when absent
    std::string region;     // empty when absent: the user's profile region applies
    double amount = 0;      // >= 0; a purchase without amount counts 0 revenue
    double latency_ms = -1; // < 0: unknown
    bool error = false;     // status "error" or event_type "error"
    std::string_view raw;   // the bytes given to decode(); valid as long as they are
    // Where raw's top-level members start (the key's opening quote), in order, and which
    // of them are "region" or "user" (bit i: member i), for append_enriched_event.
    std::vector<std::uint32_t> member_at;
    std::uint64_t replaced = 0;
};

// Records larger than this are rejected before parsing (Kafka's default limit is 1 MiB).
inline constexpr std::size_t kMaxEventBytes = 16u << 20;

// What an event may carry, so that nothing downstream (Redis views, the console's tables)
// meets an absurd value: a region is printable text of at most kMaxRegionBytes; an amount
// at most kMaxAmount; a latency at most a day.
inline constexpr std::size_t kMaxRegionBytes = 64;
inline constexpr double kMaxAmount = 1e9;
inline constexpr double kMaxLatencyMs = 86'400'000;

// Why a region name is refused ("region: control character U+001B at byte 0"), or
// nullopt. Valid UTF-8 is assumed (simdjson checked it); C0, DEL and C1 controls are
// refused, as is an over-long name. Empty is no region (the profile's applies).
std::optional<std::string> region_problem(std::string_view region);
// The same rule for any name taken from a record (telemetry service and metric names).
std::optional<std::string> name_problem(std::string_view field, std::string_view text,
                                        std::size_t max_bytes);

// One per consumer thread: reuses its parser and padded buffer across records.
class EventDecoder {
  public:
    EventDecoder();
    ~EventDecoder();
    EventDecoder(const EventDecoder&) = delete;
    EventDecoder& operator=(const EventDecoder&) = delete;

    // Decodes one record into out, reusing out's string capacity. nullopt: a valid event.
    // Otherwise the reason, naming the field ("missing required field 'ts'", "not a JSON
    // object", "invalid JSON at byte 17: ..."), for the DLQ header; out is then partial.
    // Unknown fields are fully validated too, so raw is always safe to store as JSON.
    std::optional<std::string> decode(std::string_view json, Event& out);

    // Event times later than now_ms + tolerance_ms are refused from now on ("ts ... is
    // 1h 02m ahead of this worker's clock"): one absurd timestamp must not move a
    // partition's watermark into the future and make every later event late. The
    // consumer thread sets it once per poll; until then any time is accepted.
    void set_clock(std::int64_t now_ms, std::int64_t tolerance_ms);

  private:
    struct Impl; // keeps simdjson.h out of every includer
    std::unique_ptr<Impl> impl_;
};

// The cold-path NDJSON line (no trailing newline) of a record decode() accepted: raw's
// top-level fields verbatim in their order (unknown ones included), minus any "region"
// and "user", plus "region": region and, when profile is set, "user": {name, tier,
// region} from the profile. Spliced as text (no DOM). Throws ebap::Error when raw is not
// a JSON object.
std::string enrich_json(std::string_view raw, const UserProfile* profile, std::string_view region);
// Same, appended to out (lets a batch writer reuse one buffer).
void append_enriched_json(std::string& out, std::string_view raw, const UserProfile* profile,
                          std::string_view region);
// The same line for an event decode() just filled, spliced from the member offsets the
// decoder recorded (no second scan of the text). The same JSON as
// append_enriched_json(out, e.raw, ...) (whitespace inside a member is kept as sent);
// falls back to it past 64 members.
void append_enriched_event(std::string& out, const Event& e, const UserProfile* profile,
                           std::string_view region);

} // namespace ebap::pipeline
