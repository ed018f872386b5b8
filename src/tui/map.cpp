#include "tui/map.hpp"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>

namespace ebap::tui {

// data/landmask-0.5deg.pbm, compiled in by cmake/embed.cmake.
extern const unsigned char kLandmaskPbm[];
extern const std::size_t kLandmaskPbm_size;

namespace {

bool space(unsigned char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

// Braille dot bits by (row 0-3, column 0-1) inside a cell (U+2800 + bits).
constexpr std::uint8_t kDotBit[4][2] = {{0x01, 0x08}, {0x02, 0x10}, {0x04, 0x20}, {0x40, 0x80}};

std::string braille(std::uint8_t bits) {
    const unsigned cp = 0x2800u + bits; // three bytes of UTF-8: E2 A0..A3 80..BF
    return {char(0xE0 | (cp >> 12)), char(0x80 | ((cp >> 6) & 0x3F)), char(0x80 | (cp & 0x3F))};
}

// The label as one cell a column: a wide character's second column is an empty glyph, a
// zero-width one joins the character before it.
std::vector<Cell> label_cells(const std::string& label, Role role) {
    std::vector<Cell> cells;
    for (std::size_t i = 0; i < label.size();) {
        const auto c = static_cast<unsigned char>(label[i]);
        std::size_t n = c < 0x80 ? 1 : c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1;
        n = std::min(n, label.size() - i);
        const std::string ch = label.substr(i, n);
        i += n;
        const int w = text_width(ch);
        if (w == 0 && !cells.empty()) {
            cells.back().glyph += ch;
            continue;
        }
        cells.push_back({ch, role});
        if (w == 2) cells.push_back({"", role});
    }
    return cells;
}

} // namespace

std::optional<LandMask> parse_pbm(const unsigned char* data, std::size_t size) {
    if (size < 3 || data[0] != 'P' || data[1] != '4') return std::nullopt;
    std::size_t i = 2;
    auto number = [&]() -> std::optional<int> {
        while (i < size && (space(data[i]) || data[i] == '#')) {
            if (data[i] == '#')
                while (i < size && data[i] != '\n')
                    ++i;
            else
                ++i;
        }
        long v = 0;
        const std::size_t start = i;
        while (i < size && data[i] >= '0' && data[i] <= '9' && v < 100000)
            v = v * 10 + (data[i++] - '0');
        if (i == start || v <= 0 || v >= 100000) return std::nullopt;
        return int(v);
    };
    const auto w = number(), h = number();
    // One whitespace character ends the header; the bits follow.
    if (!w || !h || i >= size || !space(data[i])) return std::nullopt;
    ++i;
    const std::size_t row_bytes = (std::size_t(*w) + 7) / 8;
    if (size - i < row_bytes * std::size_t(*h)) return std::nullopt;
    LandMask m{*w, *h, std::vector<bool>(std::size_t(*w) * std::size_t(*h))};
    for (int r = 0; r < *h; ++r)
        for (int c = 0; c < *w; ++c)
            m.land[std::size_t(r) * std::size_t(*w) + std::size_t(c)] =
                (data[i + std::size_t(r) * row_bytes + std::size_t(c) / 8] >> (7 - c % 8)) & 1;
    return m;
}

const LandMask& land_mask() {
    static const LandMask mask = parse_pbm(kLandmaskPbm, kLandmaskPbm_size).value_or(LandMask{});
    return mask;
}

bool is_land(double lat, double lon) {
    const LandMask& m = land_mask();
    if (m.width == 0 || !std::isfinite(lat) || !std::isfinite(lon)) return false;
    const int row = std::clamp(int(std::floor((90 - lat) / 180 * m.height)), 0, m.height - 1);
    const int col = std::clamp(int(std::floor((lon + 180) / 360 * m.width)), 0, m.width - 1);
    return m.at(row, col);
}

int map_width_for(int height, const MapBounds& b) {
    // A cell is 2 dots wide and 4 high, and about twice as high as wide: dots are square
    // when a column spans as many degrees of longitude per dot as a row does of latitude.
    return std::max(0, int(std::lround(2.0 * height * (b.east - b.west) / (b.north - b.south))));
}

std::optional<MapCell> map_cell(double lat, double lon, int width, int height, const MapBounds& b) {
    if (width <= 0 || height <= 0) return std::nullopt;
    if (!(lat <= b.north && lat >= b.south && lon >= b.west && lon <= b.east)) return std::nullopt;
    const int row = int(std::floor((b.north - lat) / (b.north - b.south) * height));
    const int col = int(std::floor((lon - b.west) / (b.east - b.west) * width));
    return MapCell{std::min(row, height - 1), std::min(col, width - 1)};
}

CellRows world_map(int width, int height, const Glyphs& g, const MapBounds& b) {
    CellRows rows(std::size_t(std::max(0, height)),
                  std::vector<Cell>(std::size_t(std::max(0, width))));
    const LandMask& m = land_mask();
    if (width <= 0 || height <= 0 || m.width == 0) return rows;
    const int dw = 2 * width, dh = 4 * height;
    // A dot's extent in mask cells (fractional), left/top edge of dot 0 at u0/v0.
    const double du = (b.east - b.west) / dw / (360.0 / m.width);
    const double dv = (b.north - b.south) / dh / (180.0 / m.height);
    const double u0 = (b.west + 180) / (360.0 / m.width), v0 = (90 - b.north) / (180.0 / m.height);
    // The mask cells whose centres lie in [a, b) (in cell units); the cell under the
    // middle when there are none (the dot is smaller than a cell).
    auto span = [](double a, double e, int n) {
        int lo = int(std::ceil(a - 0.5)), hi = int(std::ceil(e - 0.5)) - 1;
        if (hi < lo) lo = hi = int(std::floor((a + e) / 2));
        return std::pair{std::clamp(lo, 0, n - 1), std::clamp(hi, 0, n - 1)};
    };
    std::vector<std::pair<int, int>> cols(std::size_t(dw), {0, 0});
    for (int x = 0; x < dw; ++x)
        cols[std::size_t(x)] = span(u0 + x * du, u0 + (x + 1) * du, m.width);
    std::vector<std::uint8_t> bits(std::size_t(width) * std::size_t(height));
    for (int y = 0; y < dh; ++y) {
        const auto [r0, r1] = span(v0 + y * dv, v0 + (y + 1) * dv, m.height);
        for (int x = 0; x < dw; ++x) {
            const auto [c0, c1] = cols[std::size_t(x)];
            int land = 0;
            for (int r = r0; r <= r1; ++r)
                for (int c = c0; c <= c1; ++c)
                    land += m.at(r, c);
            if (2 * land >= (r1 - r0 + 1) * (c1 - c0 + 1))
                bits[std::size_t(y / 4) * std::size_t(width) + std::size_t(x / 2)] |=
                    kDotBit[y % 4][x % 2];
        }
    }
    for (int r = 0; r < height; ++r)
        for (int c = 0; c < width; ++c) {
            const std::uint8_t b8 = bits[std::size_t(r) * std::size_t(width) + std::size_t(c)];
            if (!b8) continue;
            Cell& cell = rows[std::size_t(r)][std::size_t(c)];
            cell.glyph = g.utf8 ? braille(b8) : std::popcount(b8) <= 4 ? "." : ":";
            cell.role = Role::muted;
        }
    return rows;
}

std::vector<bool> draw_markers(CellRows& map, const std::vector<MapMarker>& markers,
                               const MapBounds& b) {
    const int h = int(map.size()), w = h ? int(map[0].size()) : 0;
    std::vector<bool> placed(markers.size());
    std::vector<std::vector<bool>> taken(std::size_t(h), std::vector<bool>(std::size_t(w), false));
    auto free_at = [&](int r, int c) {
        return r >= 0 && r < h && c >= 0 && c < w && !taken[std::size_t(r)][std::size_t(c)];
    };
    std::vector<MapCell> at(markers.size());
    // Markers first, so that no label hides one.
    static constexpr int kNear[][2] = {{0, 0},  {0, 1}, {0, -1},  {-1, 0}, {1, 0},
                                       {-1, 1}, {1, 1}, {-1, -1}, {1, -1}};
    for (std::size_t i = 0; i < markers.size(); ++i) {
        const auto cell = map_cell(markers[i].lat, markers[i].lon, w, h, b);
        if (!cell) continue;
        for (const auto& d : kNear) {
            const int r = cell->row + d[0], c = cell->col + d[1];
            if (!free_at(r, c)) continue;
            map[std::size_t(r)][std::size_t(c)] = {markers[i].glyph, markers[i].role};
            taken[std::size_t(r)][std::size_t(c)] = true;
            at[i] = {r, c};
            placed[i] = true;
            break;
        }
    }
    for (std::size_t i = 0; i < markers.size(); ++i) {
        if (!placed[i] || markers[i].label.empty()) continue;
        const auto text = label_cells(markers[i].label, markers[i].label_role);
        const int n = int(text.size()), r = at[i].row, c = at[i].col;
        // Right, left, above, below; a blank column on each side keeps it off the land.
        const MapCell slots[] = {
            {r, c + 2}, {r, c - 1 - n}, {r - 1, c - n / 2}, {r + 1, c - n / 2}};
        for (const auto& s : slots) {
            if (s.row < 0 || s.row >= h || s.col < 0 || s.col + n > w) continue;
            bool fits = true;
            for (int x = s.col - 1; x <= s.col + n && fits; ++x)
                fits = (x < 0 || x >= w) ? true : free_at(s.row, x);
            if (!fits) continue;
            for (int x = std::max(0, s.col - 1); x <= std::min(w - 1, s.col + n); ++x) {
                auto& cell = map[std::size_t(s.row)][std::size_t(x)];
                cell = x >= s.col && x < s.col + n ? text[std::size_t(x - s.col)] : Cell{};
                taken[std::size_t(s.row)][std::size_t(x)] = true;
            }
            break;
        }
    }
    return placed;
}

} // namespace ebap::tui
