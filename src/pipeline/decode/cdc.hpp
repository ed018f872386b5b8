#pragma once
// User profiles from Debezium CDC (topic ebap.cdc.users, table public.users): the
// GlobalKTable-like table every consumer thread joins events against, and the decoder
// that applies change records to it.
#include <cstdint>
#include <memory>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>

namespace ebap::pipeline {

struct UserProfile {
    std::int64_t id = 0;
    std::string name, email, region, tier; // empty when the column is null or absent
    std::int64_t updated_at = 0;           // epoch ms; 0 when unknown
};

// Shared by all consumer threads: many readers (one lookup per event), one CDC writer.
class ProfileTable {
  public:
    void upsert(UserProfile profile);
    bool erase(std::int64_t id); // false when it was not there
    void clear();
    std::size_t size() const;

    std::optional<UserProfile> lookup(std::int64_t id) const;
    std::optional<std::string> region_of(std::int64_t id) const;

    // Calls f(const UserProfile&) under the read lock when id is known and returns
    // whether it did: the allocation-free lookup for the hot path. f must be short and
    // must not call back into this table.
    template <class F> bool visit(std::int64_t id, F&& f) const {
        std::shared_lock lock(mu_);
        const auto it = rows_.find(id);
        if (it == rows_.end()) return false;
        f(it->second);
        return true;
    }

  private:
    mutable std::shared_mutex mu_;
    std::unordered_map<std::int64_t, UserProfile> rows_;
};

enum class CdcOp : std::uint8_t { create, read, update, remove, truncate, tombstone };
std::string_view cdc_op_name(CdcOp op); // "c", "r", "u", "d", "t", "tombstone"

struct CdcResult {
    CdcOp op = CdcOp::create;
    std::int64_t id = 0;                    // the row's id; 0 for truncate
    std::optional<std::int64_t> cdc_lag_ms; // envelope ts_ms - source.ts_ms, when both present
                                            // (raw difference: clock skew can make it negative)
    bool snapshot = false;                  // source.snapshot is true/first/last/... or op r
    std::string table;                      // source.table when present
    std::string error;                      // non-empty: nothing was applied, and why
    bool ok() const { return error.empty(); }
};

// One per CDC consumer (keeps its parsers and buffers). Understands the JsonConverter
// output with and without the {"schema":…,"payload":…} wrapper, for keys and values.
class CdcDecoder {
  public:
    CdcDecoder();
    ~CdcDecoder();
    CdcDecoder(const CdcDecoder&) = delete;
    CdcDecoder& operator=(const CdcDecoder&) = delete;

    // Applies one record: c/r/u upsert `after`, d deletes (the id from `before`, else from
    // the key: tables without REPLICA IDENTITY FULL send before = null), t clears the
    // table, an empty value (or JSON null) is a tombstone and deletes by key. Rows of any
    // table are accepted: columns other than the profile's are ignored.
    CdcResult apply(std::string_view key, std::string_view value, ProfileTable& table);

  private:
    struct Impl; // keeps simdjson.h out of every includer
    std::unique_ptr<Impl> impl_;
};

// Debezium integer timestamps come as ms, µs or ns depending on the column type and
// time.precision.mode; told apart by magnitude (µs since 1973 are >= 1e14 and ms stay
// below that until year 5138). Returns epoch ms.
std::int64_t normalize_epoch_ms(std::int64_t value);

} // namespace ebap::pipeline
