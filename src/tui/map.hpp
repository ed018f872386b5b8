#pragma once
// A world map as a widget: land from the embedded GSHHG mask (data/README.md) in braille
// dots, 2x4 a cell (ASCII density characters without UTF-8), equirectangular, cropped to
// the latitudes where people live; markers placed by latitude and longitude, with labels
// where they fit. Pure like the other widgets: no ncurses here.
#include "tui/widgets.hpp"

#include <optional>
#include <string>
#include <vector>

namespace ebap::tui {

// The land mask: `width` x `height` cells from 90N and 180W, one bit a cell.
struct LandMask {
    int width = 0, height = 0;
    std::vector<bool> land; // row-major, rows north to south
    bool at(int row, int col) const {
        return land[std::size_t(row) * std::size_t(width) + std::size_t(col)];
    }
};
// A raw PBM (P4: header, then bits, most significant first, rows padded to bytes);
// nullopt when it is not one.
std::optional<LandMask> parse_pbm(const unsigned char* data, std::size_t size);
// The embedded mask, parsed once.
const LandMask& land_mask();
// Whether the mask cell holding (lat, lon) is land.
bool is_land(double lat, double lon);

// The part of the globe drawn. The default leaves out the Arctic and Antarctica.
struct MapBounds {
    double north = 75, south = -56, west = -180, east = 180;
};

// Columns a map `height` rows high takes for the projection's true proportions (braille
// dots are about square).
int map_width_for(int height, const MapBounds& b = {});

struct MapCell {
    int row = 0, col = 0;
    bool operator==(const MapCell&) const = default;
};
// The cell of a `width` x `height` map holding (lat, lon); nullopt outside the bounds.
// The north-west corner is (0, 0), the south-east corner (height-1, width-1).
std::optional<MapCell> map_cell(double lat, double lon, int width, int height,
                                const MapBounds& b = {});

// `width` x `height` cells of land in Role::muted; water is blank. A braille dot is land
// when at least half the mask cells under it are (a single mask cell when the dot is
// smaller); ASCII shows a cell's land dots as '.' (some) or ':' (most).
CellRows world_map(int width, int height, const Glyphs& g, const MapBounds& b = {});

struct MapMarker {
    double lat = 0, lon = 0;
    std::string glyph; // one column
    Role role = Role::fg;
    std::string label; // beside the marker where it fits; empty: none
    Role label_role = Role::fg;
};
// Draws the markers onto `map`, in order of importance: every marker before any label, a
// marker whose cell is taken moves to a free neighbour, and a label goes right, left,
// above or below its marker wherever it covers no other marker or label (or is left
// out). Returns, for each marker, whether it is on the map.
std::vector<bool> draw_markers(CellRows& map, const std::vector<MapMarker>& markers,
                               const MapBounds& b = {});

} // namespace ebap::tui
