#include "core/config/region_coords.hpp"

#include <fmt/format.h>

#include <charconv>

namespace ebap {

// A region's data centres, roughly: the metro each provider's generic name stands for.
const std::vector<NamedPoint>& builtin_region_coords() {
    static const std::vector<NamedPoint> table = {
        {"us-east", {39.04, -77.49}, "N. Virginia"},   {"us-central", {41.26, -95.86}, "Iowa"},
        {"us-west", {45.84, -119.70}, "Oregon"},       {"ca-central", {45.50, -73.57}, "Montreal"},
        {"sa-east", {-23.55, -46.63}, "Sao Paulo"},    {"eu-west", {53.35, -6.26}, "Ireland"},
        {"eu-central", {50.11, 8.68}, "Frankfurt"},    {"eu-north", {59.33, 18.07}, "Stockholm"},
        {"eu-south", {45.46, 9.19}, "Milan"},          {"me-south", {26.07, 50.56}, "Bahrain"},
        {"me-central", {25.20, 55.27}, "UAE"},         {"af-south", {-33.92, 18.42}, "Cape Town"},
        {"ap-south", {19.08, 72.88}, "Mumbai"},        {"ap-east", {22.32, 114.17}, "Hong Kong"},
        {"ap-southeast", {1.35, 103.82}, "Singapore"}, {"ap-northeast", {35.68, 139.69}, "Tokyo"},
        {"au-southeast", {-33.87, 151.21}, "Sydney"},
    };
    return table;
}

std::string coord_item(const std::string& name, GeoPoint at) {
    return fmt::format("{}={},{}", name, at.lat, at.lon);
}

std::optional<std::pair<std::string, GeoPoint>> parse_coord_item(std::string_view item) {
    const auto eq = item.rfind('=');
    if (eq == std::string_view::npos || eq == 0) return std::nullopt;
    const auto comma = item.find(',', eq);
    if (comma == std::string_view::npos) return std::nullopt;
    auto number = [](std::string_view s) -> std::optional<double> {
        double v = 0;
        auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
        if (ec != std::errc() || ptr != s.data() + s.size() || s.empty()) return std::nullopt;
        return v;
    };
    const auto lat = number(item.substr(eq + 1, comma - eq - 1));
    const auto lon = number(item.substr(comma + 1));
    if (!lat || !lon) return std::nullopt;
    return std::pair{std::string(item.substr(0, eq)), GeoPoint{*lat, *lon}};
}

std::map<std::string, GeoPoint> region_coords(const Config& config) {
    std::map<std::string, GeoPoint> out;
    for (const auto& r : builtin_region_coords())
        out[r.name] = r.at;
    // Validated at load (ranges, file:line), so every item parses.
    for (const auto& item : config.list("geo.coords"))
        if (auto p = parse_coord_item(item)) out[p->first] = p->second;
    return out;
}

} // namespace ebap
