#pragma once
// A topic's partition: the key of offsets, lag windows and drain targets everywhere.
#include <compare>
#include <cstdint>
#include <string>

namespace ebap {

struct TopicPartition {
    std::string topic;
    std::int32_t partition = 0;
    auto operator<=>(const TopicPartition&) const = default;
};

} // namespace ebap
