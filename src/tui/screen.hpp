#pragma once
// The terminal under the console: ncursesw set up for an SSH session or tmux, colours
// from the theme mapped onto what the terminal offers (direct colour, the 256 cube, 16
// colours, or none: attributes only), and the few drawing calls the views use. The
// terminal is restored on exit, on fatal signals and across Ctrl-Z / fg.
#include "tui/theme.hpp"
#include "tui/widgets.hpp"

#include <cstdio>
#include <string>

namespace ebap::tui {

struct Rect {
    int y = 0, x = 0, h = 0, w = 0;
    Rect inner() const { return {y + 1, x + 1, h - 2, w - 2}; }
    bool empty() const { return h <= 0 || w <= 0; }
    bool operator==(const Rect&) const = default;
};

// A terminal that is not the process's own (benchmarks, tests): `term` at a fixed size,
// output to `out`, no input; signals and the real terminal are left alone.
struct Offscreen {
    std::FILE* out = nullptr;
    int rows = 24, cols = 80;
    std::string term = "xterm-256color";
};

class Screen {
  public:
    // Takes over the terminal (stdin/stdout). no_color: NO_COLOR or --no-color.
    Screen(const Theme& theme, bool no_color);
    Screen(const Theme& theme, bool no_color, const Offscreen& off);
    ~Screen(); // restores the terminal (an off-screen one is freed)
    Screen(const Screen&) = delete;
    Screen& operator=(const Screen&) = delete;

    void set_theme(const Theme& theme); // live (`:theme`)
    unsigned theme_version() const { return theme_version_; } // counts set_theme calls
    const Glyphs& glyphs() const { return glyphs_; }
    ColorMode color_mode() const { return mode_; }
    int rows() const;
    int cols() const;
    void resized(); // after SIGWINCH: re-reads the size

    void clear();
    // Text at (y, x), cut to `max` columns (-1: to the right edge).
    void put(int y, int x, const std::string& text, Role role = Role::fg, bool bold = false,
             int max = -1);
    void put_cells(int y, int x, const CellRows& rows);
    // A rounded frame with a title in its top border.
    void frame(const Rect& r, const std::string& title, Role title_role = Role::title);
    void fill_row(int y, int x, int w, Role role); // spaces in the role's background
    void show();                                     // one doupdate() per frame

  private:
    void init(bool no_color); // the curses modes and colours both kinds share
    void apply(Role role, bool bold);
    void* offscreen_ = nullptr; // the off-screen SCREEN
    std::FILE* no_input_ = nullptr;
    Theme theme_;
    unsigned theme_version_ = 0;
    ColorMode mode_ = ColorMode::mono;
    Glyphs glyphs_;
};

// Restores the terminal from a signal handler or an atexit path (idempotent).
void restore_terminal();

} // namespace ebap::tui
