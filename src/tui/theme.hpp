#pragma once
// Console themes in btop's format: one `theme[key]="#RRGGBB"` per line, `#` comments.
// Keys are semantic roles (bg, fg, title, border, accent, selection, ok, warn, crit, muted,
// gauge_low/mid/high, graph_start/mid/end); btop's own names (main_bg, main_fg, div_line,
// hi_fg, selected_bg, inactive_fg) are read as their roles, so a btop theme loads too.
// Pure: no ncurses here; screen.cpp maps the colours onto what the terminal can show.
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace ebap::tui {

enum class Role : std::uint8_t {
    bg, fg, title, border, accent, selection, ok, warn, crit, muted,
    gauge_low, gauge_mid, gauge_high, graph_start, graph_mid, graph_end,
};
inline constexpr std::size_t kRoleCount = 16;
const char* role_name(Role r);

struct Rgb {
    std::uint8_t r = 0, g = 0, b = 0;
    bool operator==(const Rgb&) const = default;
};

struct Theme {
    std::string name;
    // nullopt: the terminal's own colour (bg and fg default to it).
    std::array<std::optional<Rgb>, kRoleCount> colors{};
    std::optional<Rgb> of(Role r) const { return colors[static_cast<std::size_t>(r)]; }
};

// The compiled-in default (dark), used when no theme file is found or one is broken.
Theme default_theme();

struct ThemeLoad {
    Theme theme;
    std::vector<std::string> problems; // "file:line: ..." for each line that was refused
};

// Parses theme text; every role it does not set keeps the default's colour. A line
// that is not `theme[key]="#RRGGBB"` (or "") is a problem naming file:line.
ThemeLoad parse_theme(const std::string& text, const std::string& origin);

// NAME (themes/NAME.theme in the search path: $EBAP_THEMES_DIR, ./themes, the install
// datadir, the source tree) or a FILE path. Throws UsageError naming the theme and the
// places searched, with the names that exist.
ThemeLoad load_theme(const std::string& name_or_file);
std::vector<std::string> theme_names();

// Colour depth the terminal offers, best first.
enum class ColorMode { direct, c256, c16, mono };
// COLORTERM truecolor/24bit with a direct-colour terminfo -> direct; else by `colors`;
// NO_COLOR or --no-color -> mono.
ColorMode pick_color_mode(const char* colorterm, int colors, bool no_color);

// Nearest xterm-256 palette index (the 6x6x6 cube or the grey ramp).
int xterm256(Rgb c);
// Nearest of the 16 ANSI colours (0-15).
int ansi16(Rgb c);

} // namespace ebap::tui
