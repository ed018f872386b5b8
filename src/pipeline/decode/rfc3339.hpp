#pragma once
// RFC 3339 timestamps ("2024-06-10T12:34:56.789+02:00") to epoch milliseconds, without
// locale, time zone database or allocation: it runs once per event on the hot path.
#include <cstdint>
#include <optional>
#include <string_view>

namespace ebap::pipeline {

// Accepts YYYY-MM-DD[T|t| ]HH:MM:SS[.fraction](Z|z|+hh:mm|-hh:mm). The fraction may have
// any number of digits; digits past milliseconds are truncated. Second 60 (a leap second)
// is accepted and lands on the next minute's :00. nullopt when malformed or out of range.
std::optional<std::int64_t> parse_rfc3339_ms(std::string_view text);

} // namespace ebap::pipeline
