#pragma once
// Internal to redis_sink.cpp and redis_views.cpp: pipelined batches that can name the
// command that failed, and lenient readers of reply values.
#include "core/redis/kpi_reader.hpp"
#include "core/redis/redis_client.hpp"

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <fmt/format.h>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ebap::pipeline::redis_detail {

constexpr std::size_t kPfaddChunk = 1024; // ids per PFADD: bounded argv, few commands

inline std::optional<std::int64_t> parse_int(std::string_view s) {
    std::int64_t v = 0;
    const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc() || end != s.data() + s.size() || s.empty()) return std::nullopt;
    return v;
}

// Hash replies as field -> value; a non-hash (error, nil) reads as empty.
inline std::map<std::string, std::string, std::less<>> as_hash(const RedisReply& r) {
    std::map<std::string, std::string, std::less<>> out;
    if (!r.is_array()) return out;
    for (std::size_t i = 0; i + 1 < r.elements.size(); i += 2)
        out.emplace(r.elements[i].str, r.elements[i + 1].str);
    return out;
}

inline double num_field(const std::map<std::string, std::string, std::less<>>& h,
                        std::string_view f) {
    const auto it = h.find(f);
    if (it == h.end()) return 0;
    return parse_number(it->second).value_or(0);
}

inline std::int64_t int_of(const RedisReply& r) {
    if (r.type == RedisReply::Type::Integer) return r.integer;
    if (r.is_string()) return parse_int(r.str).value_or(0);
    return 0;
}

inline std::string num(double v) {
    return fmt::format("{}", v);
}

// Floor division: epoch seconds of a millisecond time, also before 1970.
inline std::int64_t floor_seconds(std::int64_t ms) {
    return ms / 1000 - (ms % 1000 < 0 ? 1 : 0);
}

// Queues commands and remembers "COMMAND key" of each, to name the one that failed.
class RedisBatch {
  public:
    explicit RedisBatch(RedisClient& c) : client_(c) {}
    void add(const std::vector<std::string>& argv) {
        labels_.push_back(argv.size() > 1 ? argv[0] + " " + argv[1] : argv[0]);
        client_.append(argv);
    }
    void pfadd(const std::string& key, const std::vector<std::int64_t>& ids) {
        for (std::size_t i = 0; i < ids.size(); i += kPfaddChunk) {
            std::vector<std::string> argv{"PFADD", key};
            const std::size_t end = std::min(ids.size(), i + kPfaddChunk);
            for (std::size_t k = i; k < end; ++k)
                argv.push_back(std::to_string(ids[k]));
            add(argv);
        }
    }
    const std::string& label(std::size_t i) const { return labels_.at(i); }
    std::size_t size() const { return labels_.size(); }

  private:
    RedisClient& client_;
    std::vector<std::string> labels_;
};

} // namespace ebap::pipeline::redis_detail
