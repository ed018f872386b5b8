#pragma once
// The console's widgets as pure functions of their data and size: text fitted to a
// display width, sparklines, meters, semicircular gauges and large digits. Each has an
// ASCII form for terminals without UTF-8. Nothing here touches ncurses, so the layout of
// each widget is unit-tested at several sizes.
#include "tui/theme.hpp"

#include <optional>
#include <string>
#include <vector>

namespace ebap::tui {

// Glyphs for the current terminal: UTF-8 or the ASCII fallback.
struct Glyphs {
    bool utf8 = true;
    const char* ellipsis() const { return utf8 ? "…" : "~"; }
    const char* ok() const { return utf8 ? "●" : "*"; }
    const char* warn() const { return utf8 ? "▲" : "!"; }
    const char* crit() const { return utf8 ? "✖" : "x"; }
    const char* unknown() const { return utf8 ? "○" : "?"; }
    const char* up() const { return utf8 ? "↗" : "/"; }
    const char* down() const { return utf8 ? "↘" : "\\"; }
    const char* flat() const { return utf8 ? "→" : "-"; }
    const char* dash() const { return utf8 ? "—" : "-"; }
    const char* dot() const { return utf8 ? "·" : "|"; }
};

// Columns the text takes on screen (wcwidth per character, in the current locale).
int text_width(const std::string& s);
// The text cut to at most `width` columns, ending in an ellipsis when cut; wide
// characters are never split.
std::string fit(const std::string& s, int width, const Glyphs& g);
// The text in lines of at most `width` columns (cut at spaces where it can), at most
// `max_lines`; the last ends in an ellipsis when text is left over.
std::vector<std::string> wrap(const std::string& s, int width, int max_lines, const Glyphs& g);
// fit, then padded with spaces to exactly `width` columns (left or right aligned).
std::string pad(const std::string& s, int width, const Glyphs& g, bool right = false);

// 1234567 -> "1,234,567"; 4931.4 -> "4,931".
std::string thousands(double v);
// A value in at most 5 columns: 4.9k, 12.3M, 889, 0.95 (for gauges and narrow cells).
std::string compact(double v);

// Values scaled from 0 (or the minimum, if negative) to the maximum onto 8 levels
// (▁..█; ASCII _.-^). Only the last `width` values are drawn, right-aligned; a missing
// value is a space.
std::string sparkline(const std::vector<std::optional<double>>& values, int width,
                      const Glyphs& g);

// A horizontal meter: `width` cells, filled in proportion to (value - lo) / (hi - lo).
struct Meter {
    int filled = 0, width = 0;
    std::string text; // the whole bar: filled cells then track cells
};
Meter meter(double value, double lo, double hi, int width, const Glyphs& g);

// A bar of `width` cells for a fraction 0..1, in eighths of a cell (▏▎▍▌▋▊▉█) so small
// differences show; ASCII: '#' cells. Padded with spaces to `width`.
std::string bar(double fraction, int width, const Glyphs& g);

// One cell of a drawn widget.
struct Cell {
    std::string glyph = " ";
    Role role = Role::fg;
};
using CellRows = std::vector<std::vector<Cell>>;

// A semicircular gauge `width` x `height` cells: the arc sweeps 180 degrees from lo
// (left) to hi (right); cells up to the value are filled, coloured gauge_low below warn,
// gauge_mid below crit and gauge_high above; the rest is muted track. `reverse`: low
// values are the bad ones (warn/crit are below).
struct GaugeSpec {
    double value = 0, lo = 0, hi = 1;
    std::optional<double> warn, crit;
};
CellRows gauge(const GaugeSpec& spec, int width, int height, const Glyphs& g);

// Large digits, 3 rows high, for 0-9 . , % k M G - and space; other characters are drawn
// as themselves in the middle row.
std::vector<std::string> big_text(const std::string& s, const Glyphs& g);
int big_width(const std::string& s); // columns big_text takes

// Direction of a change against the previous reading.
const char* trend(std::optional<double> now, std::optional<double> before, const Glyphs& g);

} // namespace ebap::tui
