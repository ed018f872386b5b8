#pragma once
// Where regions are on Earth, for the console's map: well-known cloud region names built
// in, extended and overridden by the `[geo.coords]` table of the configuration.
#include "core/config/config.hpp"

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ebap {

struct GeoPoint {
    double lat = 0, lon = 0; // degrees: north and east positive
    bool operator==(const GeoPoint&) const = default;
};

struct NamedPoint {
    const char* name;
    GeoPoint at;
    const char* place; // the metro the name stands for, for the docs
};
// us-east (N. Virginia), eu-west (Ireland), ap-northeast (Tokyo), ...
const std::vector<NamedPoint>& builtin_region_coords();

// geo.coords entries as the configuration keeps them: "NAME=LAT,LON".
std::string coord_item(const std::string& name, GeoPoint at);
std::optional<std::pair<std::string, GeoPoint>> parse_coord_item(std::string_view item);

// The built-in table with the configuration's geo.coords on top (same name: the
// configuration wins).
std::map<std::string, GeoPoint> region_coords(const Config& config);

} // namespace ebap
