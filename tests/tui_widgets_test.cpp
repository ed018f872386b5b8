// The console's widgets and themes as pure functions, at several sizes: text fitted by
// display width (wide characters never split), sparklines, meters, the semicircular
// gauge, large digits, the braille world map, and btop-format themes with their errors by
// file:line.
#include "tui/map.hpp"
#include "tui/theme.hpp"
#include "tui/widgets.hpp"

#include <gtest/gtest.h>

#include <clocale>
#include <cmath>

namespace ebap::tui {
namespace {

class Utf8 : public ::testing::Test {
  protected:
    void SetUp() override { ASSERT_NE(std::setlocale(LC_ALL, "C.UTF-8"), nullptr); }
    void TearDown() override { std::setlocale(LC_ALL, "C"); }
    Glyphs u{true}, a{false};
};

std::string row_text(const std::vector<Cell>& row) {
    std::string s;
    for (const auto& c : row)
        s += c.glyph;
    return s;
}

} // namespace

TEST_F(Utf8, FitCutsByColumnsAndNeverSplitsAWideCharacter) {
    EXPECT_EQ(text_width("東京-north"), 10);
    EXPECT_EQ(fit("eu-west", 7, u), "eu-west");
    EXPECT_EQ(fit("eu-west-1", 7, u), "eu-wes…");
    EXPECT_EQ(fit("東京-north", 4, u), "東…"); // 東 is 2 columns: 京 would make it 5
    EXPECT_EQ(text_width(fit("東京-north", 4, u)), 3);
    EXPECT_EQ(pad("東京", 6, u), "東京  ");
    EXPECT_EQ(pad("7", 4, u, true), "   7");
    EXPECT_EQ(fit("eu-west-1", 7, a), "eu-wes~");
    EXPECT_EQ(fit("abc", 0, u), "");
}

TEST(Widgets, NumbersForColumns) {
    EXPECT_EQ(thousands(1234567), "1,234,567");
    EXPECT_EQ(thousands(999), "999");
    EXPECT_EQ(thousands(-4931.4), "-4,931");
    EXPECT_EQ(thousands(1e300), "1e+300");
    EXPECT_EQ(compact(4931), "4.9k");
    EXPECT_EQ(compact(12345), "12k");
    EXPECT_EQ(compact(2.5e6), "2.5M");
    EXPECT_EQ(compact(0.95), "0.95");
    EXPECT_EQ(compact(889), "889");
}

TEST_F(Utf8, SparklineScalesFromZeroAndRightAligns) {
    EXPECT_EQ(sparkline({0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0}, 8, u), "▁▂▃▄▅▆▇█");
    EXPECT_EQ(sparkline({7.0, 7.0}, 4, u), "  ██");
    EXPECT_EQ(sparkline({1.0, std::nullopt, 1.0}, 3, u), "█ █");
    // Only the last `width` values are drawn.
    EXPECT_EQ(sparkline({100.0, 0.0, 1.0}, 2, u), "▁█");
    EXPECT_EQ(sparkline({0.0, 1.0, 2.0, 3.0}, 4, a), "_.-^");
    EXPECT_EQ(sparkline({}, 3, u), "   ");
}

TEST_F(Utf8, MeterFillsInProportionAndClamps) {
    Meter m = meter(25, 0, 100, 8, u);
    EXPECT_EQ(m.filled, 2);
    EXPECT_EQ(m.text, "██░░░░░░");
    EXPECT_EQ(meter(500, 0, 100, 4, a).text, "####");
    EXPECT_EQ(meter(-3, 0, 100, 4, a).text, "----");
}

TEST_F(Utf8, GaugeIsASymmetricArcFilledFromTheLeft) {
    for (auto [w, h] : {std::pair{20, 6}, std::pair{12, 3}, std::pair{40, 10}}) {
        const CellRows empty = gauge({0, 0, 100, 60, 85}, w, h, u);
        ASSERT_EQ(empty.size(), std::size_t(h));
        for (const auto& row : empty) {
            ASSERT_EQ(row.size(), std::size_t(w));
            // Left-right mirror image, and only track cells at zero.
            for (int x = 0; x < w; ++x) {
                EXPECT_EQ(row[std::size_t(x)].glyph, row[std::size_t(w - 1 - x)].glyph) << w << "x" << h;
                if (row[std::size_t(x)].glyph != " ") {
                    EXPECT_EQ(row[std::size_t(x)].role, Role::muted);
                }
            }
        }
        // The top row is the middle of the arc; the bottom row holds both ends.
        EXPECT_NE(row_text(empty.front()).find("░"), std::string::npos);
        EXPECT_EQ(empty.back().front().glyph, "░") << w << "x" << h;
        // Full: every arc cell filled, the right end in the crit colour.
        const CellRows full = gauge({100, 0, 100, 60, 85}, w, h, u);
        EXPECT_EQ(full.back().front().role, Role::gauge_low);
        EXPECT_EQ(full.back().back().role, Role::gauge_high);
        for (const auto& row : full)
            EXPECT_EQ(row_text(row).find("░"), std::string::npos);
    }
    // Half: the left half filled, the right half track.
    const CellRows half = gauge({50, 0, 100, 60, 85}, 20, 6, u);
    EXPECT_EQ(half.back().front().glyph, "█");
    EXPECT_EQ(half.back().back().glyph, "░");
    // ASCII: # and . only.
    for (const auto& row : gauge({50, 0, 100, {}, {}}, 20, 6, a))
        for (const auto& c : row)
            EXPECT_TRUE(c.glyph == " " || c.glyph == "#" || c.glyph == ".") << c.glyph;
    EXPECT_TRUE(gauge({1, 0, 1, {}, {}}, 2, 1, u)[0][0].glyph == " "); // too small: blank
}

TEST_F(Utf8, BigDigitsAreThreeRowsOfEqualWidth) {
    const auto rows = big_text("4.9k", u);
    ASSERT_EQ(rows.size(), 3u);
    for (const auto& r : rows)
        EXPECT_EQ(text_width(r), big_width("4.9k"));
    EXPECT_EQ(big_width("0"), 3);
    EXPECT_EQ(big_width("10"), 7);
    for (const auto& r : big_text("12%", a))
        for (unsigned char c : r)
            EXPECT_LT(c, 0x80);
}

TEST(Theme, BtopFormatWithErrorsByLine) {
    const std::string text = "# comment\n"
                             "theme[ok]=\"#00ff00\"\n"
                             "theme[main_bg]=\"#101010\"\n"
                             "theme[crit]=\"red\"\n"
                             "theme[wran]=\"#ffff00\"\n"
                             "ok = #fff\n"
                             "theme[bg]=\"\"\n";
    ThemeLoad t = parse_theme(text, "themes/x.theme");
    EXPECT_EQ(t.theme.name, "x");
    ASSERT_TRUE(t.theme.of(Role::ok));
    EXPECT_EQ(*t.theme.of(Role::ok), (Rgb{0, 255, 0}));
    EXPECT_FALSE(t.theme.of(Role::bg)) << "the later empty value wins: terminal default";
    EXPECT_EQ(*t.theme.of(Role::crit), *default_theme().of(Role::crit)) << "a bad value keeps the default";
    ASSERT_EQ(t.problems.size(), 3u);
    EXPECT_EQ(t.problems[0], "themes/x.theme:4: crit: 'red' is not a colour (#RRGGBB)");
    EXPECT_EQ(t.problems[1], "themes/x.theme:5: unknown key 'wran' (did you mean 'warn'?)");
    EXPECT_EQ(t.problems[2], "themes/x.theme:6: expected theme[key]=\"#RRGGBB\"");
}

TEST(Theme, EveryShippedThemeLoadsCleanly) {
    const auto names = theme_names();
    for (const char* want : {"default", "light", "solarized-dark", "gruvbox", "high-contrast", "mono"})
        EXPECT_NE(std::find(names.begin(), names.end(), want), names.end()) << want;
    for (const auto& n : names) {
        ThemeLoad t = load_theme(n);
        EXPECT_TRUE(t.problems.empty()) << n << ": " << t.problems.front();
        for (Role r : {Role::fg, Role::ok, Role::warn, Role::crit, Role::muted})
            EXPECT_TRUE(t.theme.of(r)) << n << " sets " << role_name(r);
    }
    EXPECT_THROW(load_theme("gruvbx"), std::exception);
}

TEST(Theme, ColourModesAndPaletteMapping) {
    EXPECT_EQ(pick_color_mode("truecolor", 0x1000000, false), ColorMode::direct);
    EXPECT_EQ(pick_color_mode("truecolor", 256, false), ColorMode::c256);
    EXPECT_EQ(pick_color_mode(nullptr, 256, false), ColorMode::c256);
    EXPECT_EQ(pick_color_mode(nullptr, 8, false), ColorMode::c16);
    EXPECT_EQ(pick_color_mode("truecolor", 256, true), ColorMode::mono);
    EXPECT_EQ(pick_color_mode(nullptr, 2, false), ColorMode::mono);
    EXPECT_EQ(xterm256({255, 0, 0}), 196);
    EXPECT_EQ(xterm256({0, 0, 0}), 16);
    EXPECT_EQ(xterm256({128, 128, 128}), 244); // the grey ramp is closer than the cube
    EXPECT_EQ(xterm256({95, 175, 215}), 74);
    EXPECT_EQ(ansi16({255, 0, 0}), 9);
    EXPECT_EQ(ansi16({0, 0, 0}), 0);
}

} // namespace ebap::tui

namespace ebap::tui {
TEST_F(Utf8, WrapCutsAtSpacesAndEndsInAnEllipsis) {
    EXPECT_EQ(wrap("connection refused by the server", 12, 5, u),
              (std::vector<std::string>{"connection", "refused by", "the server"}));
    EXPECT_EQ(wrap("connection refused by the server", 12, 2, u),
              (std::vector<std::string>{"connection", "refused by …"}));
    EXPECT_EQ(wrap("abcdefghij", 4, 5, u), (std::vector<std::string>{"abcd", "efgh", "ij"}));
    EXPECT_EQ(wrap("東京東京東京", 4, 5, u), (std::vector<std::string>{"東京", "東京", "東京"}));
    EXPECT_TRUE(wrap("", 4, 5, u).empty());
}
} // namespace ebap::tui

namespace ebap::tui {
namespace {

int row_width(const std::vector<Cell>& row) {
    int w = 0;
    for (const auto& c : row)
        w += text_width(c.glyph);
    return w;
}

const Cell& cell_at(const CellRows& map, double lat, double lon) {
    const auto at = map_cell(lat, lon, int(map[0].size()), int(map.size()));
    EXPECT_TRUE(at) << lat << "," << lon;
    return map[std::size_t(at->row)][std::size_t(at->col)];
}

} // namespace

// The embedded GSHHG mask (data/landmask-0.5deg.pbm): its size, a land share near Earth's
// (Antarctica included), and places everyone knows. Lakes are water.
TEST(Map, LandMaskIsTheEmbeddedGshhgGrid) {
    const LandMask& m = land_mask();
    ASSERT_EQ(m.width, 720);
    ASSERT_EQ(m.height, 360);
    const auto land = std::count(m.land.begin(), m.land.end(), true);
    EXPECT_GT(double(land) / double(m.land.size()), 0.30);
    EXPECT_LT(double(land) / double(m.land.size()), 0.37);
    EXPECT_TRUE(is_land(0, 20));       // Congo basin
    EXPECT_TRUE(is_land(-10, -55));    // Brazil
    EXPECT_TRUE(is_land(40, -100));    // Kansas
    EXPECT_TRUE(is_land(-25, 135));    // central Australia
    EXPECT_TRUE(is_land(62, 100));     // Siberia
    EXPECT_TRUE(is_land(-80, 0));      // Antarctica
    EXPECT_FALSE(is_land(0, -160));    // mid-Pacific
    EXPECT_FALSE(is_land(30, -40));    // mid-Atlantic
    EXPECT_FALSE(is_land(-30, 80));    // Indian Ocean
    EXPECT_FALSE(is_land(42, 50.5));   // the Caspian Sea, a lake
    EXPECT_FALSE(is_land(44, -87));    // Lake Michigan
    EXPECT_TRUE(is_land(51.5, -0.75)); // England
    EXPECT_FALSE(is_land(90, 0));      // the North Pole is sea
}

TEST(Map, PbmHeaderAndBits) {
    const unsigned char ok[] = {'P', '4', '\n', '#', ' ', 'x', '\n', '1', '0', ' ', '2', '\n',
                                0b10000000, 0b01000000, 0b00000000, 0b11000000};
    const auto m = parse_pbm(ok, sizeof ok);
    ASSERT_TRUE(m);
    EXPECT_EQ(m->width, 10);
    EXPECT_EQ(m->height, 2);
    EXPECT_TRUE(m->at(0, 0));
    EXPECT_FALSE(m->at(0, 1));
    EXPECT_TRUE(m->at(0, 9)); // the second byte's second bit: column 9
    EXPECT_FALSE(m->at(1, 0));
    EXPECT_TRUE(m->at(1, 8));
    EXPECT_TRUE(m->at(1, 9));
    EXPECT_FALSE(parse_pbm(ok, sizeof ok - 1)) << "a row short";
    const unsigned char ascii_pbm[] = {'P', '1', '\n', '1', ' ', '1', '\n', '1'};
    EXPECT_FALSE(parse_pbm(ascii_pbm, sizeof ascii_pbm));
}

TEST(Map, LatLonToCellIsExact) {
    // Default bounds 75N..56S, 180W..180E: the corners and the origin.
    EXPECT_EQ(map_cell(75, -180, 80, 20), (MapCell{0, 0}));
    EXPECT_EQ(map_cell(-56, 180, 80, 20), (MapCell{19, 79}));
    EXPECT_EQ(map_cell(0, 0, 80, 20), (MapCell{11, 40})); // 75/131*20 = 11.45
    EXPECT_EQ(map_cell(-56, -180, 40, 10), (MapCell{9, 0}));
    EXPECT_EQ(map_cell(75, 180, 40, 10), (MapCell{0, 39}));
    EXPECT_FALSE(map_cell(75.01, 0, 80, 20)); // the Arctic is cropped
    EXPECT_FALSE(map_cell(-60, 0, 80, 20));
    EXPECT_FALSE(map_cell(0, 180.5, 80, 20));
    EXPECT_FALSE(map_cell(0, 0, 0, 20));
    // The whole globe on 36x18: 10 degrees a cell.
    const MapBounds globe{90, -90, -180, 180};
    EXPECT_EQ(map_cell(90, -180, 36, 18, globe), (MapCell{0, 0}));
    EXPECT_EQ(map_cell(-90, 180, 36, 18, globe), (MapCell{17, 35}));
    EXPECT_EQ(map_cell(0, 0, 36, 18, globe), (MapCell{9, 18}));
    EXPECT_EQ(map_cell(0.001, -0.001, 36, 18, globe), (MapCell{8, 17}));
    EXPECT_EQ(map_cell(10, 10, 36, 18, globe), (MapCell{8, 19}));
    EXPECT_EQ(map_cell(39.04, -77.49, 36, 18, globe), (MapCell{5, 10})); // N. Virginia
    EXPECT_EQ(map_cell(35.68, 139.69, 36, 18, globe), (MapCell{5, 31})); // Tokyo
    // Square dots: 131 degrees of latitude in 4h dots, 360 of longitude in 2w.
    EXPECT_EQ(map_width_for(10), 55);
    EXPECT_EQ(map_width_for(20), 110);
    EXPECT_EQ(map_width_for(10, globe), 40);
}

TEST_F(Utf8, WorldMapInBrailleAtSeveralSizes) {
    for (auto [w, h] : {std::pair{40, 10}, std::pair{80, 20}, std::pair{120, 30}}) {
        const CellRows map = world_map(w, h, u);
        ASSERT_EQ(map.size(), std::size_t(h));
        int land = 0;
        for (const auto& row : map) {
            ASSERT_EQ(row.size(), std::size_t(w));
            EXPECT_EQ(row_width(row), w) << row_text(row);
            for (const auto& c : row) {
                if (c.glyph == " ") continue;
                ++land;
                // U+2801..U+28FF in UTF-8: E2 A0 81 .. E2 A3 BF.
                ASSERT_EQ(c.glyph.size(), 3u) << c.glyph;
                EXPECT_EQ(std::uint8_t(c.glyph[0]), 0xE2);
                EXPECT_GE(std::uint8_t(c.glyph[1]), 0xA0);
                EXPECT_LE(std::uint8_t(c.glyph[1]), 0xA3);
                EXPECT_NE(c.glyph, "\u2800");
                EXPECT_EQ(c.role, Role::muted);
            }
        }
        // Land is roughly a third of the cropped map's cells.
        EXPECT_GT(land, w * h / 5) << w << "x" << h;
        EXPECT_LT(land, w * h / 2) << w << "x" << h;
        // Inside continents every dot is set; over open ocean none.
        EXPECT_EQ(cell_at(map, 0, 20).glyph, "\u28ff") << w << "x" << h;   // Congo basin
        EXPECT_EQ(cell_at(map, -10, -55).glyph, "\u28ff") << w << "x" << h; // Brazil
        EXPECT_EQ(cell_at(map, 18, 20).glyph, "\u28ff") << w << "x" << h;   // Sahara
        EXPECT_EQ(cell_at(map, 0, -140).glyph, " ") << w << "x" << h;        // mid-Pacific
        EXPECT_EQ(cell_at(map, 30, -40).glyph, " ") << w << "x" << h;        // mid-Atlantic
        EXPECT_EQ(cell_at(map, -30, 80).glyph, " ") << w << "x" << h;        // Indian Ocean
    }
    EXPECT_EQ(world_map(0, 5, u).size(), 5u);
    EXPECT_TRUE(world_map(5, 0, u).empty());
}

TEST_F(Utf8, WorldMapAsciiFallbackIsDensityCharacters) {
    for (auto [w, h] : {std::pair{40, 10}, std::pair{80, 20}, std::pair{120, 30}}) {
        const CellRows map = world_map(w, h, a);
        ASSERT_EQ(map.size(), std::size_t(h));
        for (const auto& row : map) {
            ASSERT_EQ(row.size(), std::size_t(w));
            EXPECT_EQ(row_width(row), w);
            for (const auto& c : row) {
                EXPECT_TRUE(c.glyph == " " || c.glyph == "." || c.glyph == ":") << c.glyph;
                for (unsigned char b : c.glyph)
                    EXPECT_LT(b, 0x80);
            }
        }
        EXPECT_EQ(cell_at(map, 0, 20).glyph, ":");
        EXPECT_EQ(cell_at(map, 30, -40).glyph, " ");
    }
}

TEST_F(Utf8, MarkersSitOnTheirCellAndLabelsNeverCoverEachOther) {
    CellRows map = world_map(80, 20, u);
    const std::vector<MapMarker> markers = {
        {53.35, -6.26, "▲", Role::warn, "eu-west"},     // Ireland
        {39.04, -77.49, "●", Role::ok, "us-east"},      // N. Virginia
        {39.04, -77.49, "✖", Role::crit, "us-east-2"},  // the same cell: moves beside it
        {35.68, 139.69, "●", Role::ok, "東京"},         // Tokyo, a wide label
        {10, 179.9, "●", Role::ok, "dateline"},          // at the right edge: label on the left
        {80, 0, "●", Role::ok, "svalbard"},              // north of the crop
    };
    const auto placed = draw_markers(map, markers);
    EXPECT_EQ(placed, (std::vector<bool>{true, true, true, true, true, false}));
    const auto ireland = *map_cell(53.35, -6.26, 80, 20);
    EXPECT_EQ(map[std::size_t(ireland.row)][std::size_t(ireland.col)].glyph, "▲");
    EXPECT_EQ(map[std::size_t(ireland.row)][std::size_t(ireland.col)].role, Role::warn);
    const auto virginia = *map_cell(39.04, -77.49, 80, 20);
    const auto& vrow = map[std::size_t(virginia.row)];
    EXPECT_EQ(vrow[std::size_t(virginia.col)].glyph, "●");
    EXPECT_EQ(vrow[std::size_t(virginia.col) + 1].glyph, "✖") << "the second marker moves right";
    // us-east's label goes left (the right is taken by us-east-2), a blank between.
    EXPECT_NE(row_text(vrow).find("us-east ●✖"), std::string::npos) << row_text(vrow);
    bool has_second = false;
    for (const auto& row : map)
        has_second = has_second || row_text(row).find("us-east-2") != std::string::npos;
    EXPECT_TRUE(has_second);
    const auto tokyo = *map_cell(35.68, 139.69, 80, 20);
    EXPECT_NE(row_text(map[std::size_t(tokyo.row)]).find("● 東京"), std::string::npos);
    const auto edge = *map_cell(10, 179.9, 80, 20);
    EXPECT_EQ(edge.col, 79);
    EXPECT_NE(row_text(map[std::size_t(edge.row)]).find("dateline ●"), std::string::npos);
    for (const auto& row : map) {
        ASSERT_EQ(row.size(), 80u);
        EXPECT_EQ(row_width(row), 80) << row_text(row);
    }
}

// ---- bars -------------------------------------------------------------------------------

TEST_F(Utf8, BarFillsInEighthsAndAlwaysHasItsWidth) {
    EXPECT_EQ(bar(1.0, 4, u), "████");
    EXPECT_EQ(bar(0.0, 4, u), "    ");
    EXPECT_EQ(bar(0.5, 4, u), "██  ");
    EXPECT_EQ(bar(0.3125, 4, u), "█▎  "); // 10 of the 32 eighths in 4 cells
    EXPECT_EQ(bar(2.0, 3, u), "███");              // clamped
    EXPECT_EQ(bar(std::nan(""), 3, u), "   ");
    for (double f : {0.0, 0.01, 0.33, 0.5, 0.99, 1.0})
        for (int w : {1, 7, 40}) {
            EXPECT_EQ(text_width(bar(f, w, u)), w) << f << " " << w;
            EXPECT_EQ(int(bar(f, w, a).size()), w) << f << " " << w;
        }
    EXPECT_EQ(bar(0.5, 4, a), "##  ");
}

} // namespace ebap::tui
