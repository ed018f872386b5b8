#pragma once
// The validators of every numeric and text option, so each command rejects bad values the
// same way: "--eps must be a positive number, got 'abc'" (never CLI11's "not in range
// 0.000000 to 1797…"), nan and inf refused, negatives refused for unsigned options.
#include <cstdint>
#include <string>

namespace CLI {
class Validator;
}

namespace ebap::cli {

// User ids 1..U that `gen` and `seed` accept.
inline constexpr std::int64_t kMaxUsers = 1'000'000'000;
// Seconds beyond which a duration or timeout option means "practically forever" (keeps
// the millisecond arithmetic of 1e300 from overflowing).
inline constexpr double kMaxSeconds = 1e9;

// A finite number > 0.
CLI::Validator positive_number();
// A finite number >= 0.
CLI::Validator non_negative_number();
// A finite number from lo to hi (inclusive).
CLI::Validator number_range(double lo, double hi);
// An integer (no fraction, no exponent) from lo to hi (inclusive).
CLI::Validator integer_range(std::int64_t lo, std::int64_t hi);
// An integer from 0 to 2^64-1 ("-1" is refused, not wrapped).
CLI::Validator unsigned_integer();
// Not empty and not only blanks.
CLI::Validator non_empty();

} // namespace ebap::cli
