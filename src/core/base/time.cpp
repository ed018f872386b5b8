#include "core/base/time.hpp"

#include <chrono>

#include <fmt/format.h>

namespace ebap {
namespace {

std::int64_t floor_div(std::int64_t a, std::int64_t b) {
    const std::int64_t q = a / b;
    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

} // namespace

std::int64_t now_ms() {
    using namespace std::chrono;
    return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

// Howard Hinnant's days_from_civil / civil_from_days.
std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) {
    y -= m <= 2;
    const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
    const auto yoe = static_cast<unsigned>(y - era * 400);
    const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

CivilDate civil_from_days(std::int64_t z) {
    z += 719468;
    const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    const auto doe = static_cast<unsigned>(z - era * 146097);
    const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    const std::int64_t y = static_cast<std::int64_t>(yoe) + era * 400;
    const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const unsigned mp = (5 * doy + 2) / 153;
    const unsigned d = doy - (153 * mp + 2) / 5 + 1;
    const unsigned m = mp < 10 ? mp + 3 : mp - 9;
    return {y + (m <= 2), m, d};
}

std::string utc_day(std::int64_t epoch_ms) {
    const CivilDate c = civil_from_days(floor_div(epoch_ms, 86'400'000));
    return fmt::format("{:04}-{:02}-{:02}", c.year, c.month, c.day);
}

std::string utc_iso(std::int64_t epoch_ms, bool with_ms) {
    const std::int64_t days = floor_div(epoch_ms, 86'400'000);
    const CivilDate c = civil_from_days(days);
    if (c.year < 0 || c.year > 9999) return "out of range";
    const std::int64_t in_day = epoch_ms - days * 86'400'000;
    const std::int64_t s = in_day / 1000;
    const std::string hms =
        fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}", c.year, c.month, c.day, s / 3600,
                    (s / 60) % 60, s % 60);
    return with_ms ? fmt::format("{}.{:03}Z", hms, in_day % 1000) : hms + "Z";
}

} // namespace ebap
