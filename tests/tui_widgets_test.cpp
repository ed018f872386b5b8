// The console's widgets and themes as pure functions, at several sizes: text fitted by
// display width (wide characters never split), sparklines, meters, the semicircular
// gauge, large digits, and btop-format themes with their errors by file:line.
#include "tui/theme.hpp"
#include "tui/widgets.hpp"

#include <gtest/gtest.h>

#include <clocale>

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
