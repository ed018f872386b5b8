#pragma once
// The one calendar of the project: epoch milliseconds <-> UTC dates, exact for every
// proleptic Gregorian date and safe for any int64 (no gmtime, no time zone database).
#include <cstdint>
#include <string>

namespace ebap {

std::int64_t now_ms(); // wall clock, epoch milliseconds

struct CivilDate {
    std::int64_t year;
    unsigned month, day;
};
std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d); // days since 1970-01-01
CivilDate civil_from_days(std::int64_t days);

// "2024-06-10" (the cold path's day= partition).
std::string utc_day(std::int64_t epoch_ms);
// "2024-06-10T12:34:56Z", or with milliseconds "2024-06-10T12:34:56.789Z". Years outside
// 0000-9999 read "out of range" instead of a garbled date.
std::string utc_iso(std::int64_t epoch_ms, bool with_ms = false);

} // namespace ebap
