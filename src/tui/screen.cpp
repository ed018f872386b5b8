#include "tui/screen.hpp"

#include <curses.h>

#include <algorithm>
#include <clocale>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <langinfo.h>
#include <stdexcept>

namespace ebap::tui {
namespace {

bool g_active = false;

void on_fatal(int sig) {
    restore_terminal();
    std::signal(sig, SIG_DFL);
    std::raise(sig);
}

// Ctrl-Z: give the terminal back, stop; on fg (SIGCONT) take it again.
void on_tstp(int) {
    if (g_active) endwin();
    std::signal(SIGTSTP, SIG_DFL);
    std::raise(SIGTSTP);
}
void on_cont(int) {
    std::signal(SIGTSTP, on_tstp);
    if (g_active) {
        reset_prog_mode();
        refresh();
    }
}

short pair_of(Role r) { return static_cast<short>(static_cast<int>(r) + 1); }

} // namespace

void restore_terminal() {
    if (!g_active) return;
    g_active = false;
    curs_set(1);
    endwin();
}

Screen::Screen(const Theme& theme, bool no_color) : theme_(theme) {
    if (!newterm(nullptr, stdout, stdin)) throw std::runtime_error("cannot open the terminal");
    g_active = true;
    for (int sig : {SIGSEGV, SIGABRT, SIGBUS, SIGFPE, SIGILL}) std::signal(sig, on_fatal);
    std::signal(SIGTSTP, on_tstp);
    std::signal(SIGCONT, on_cont);
    init(no_color);
}

Screen::Screen(const Theme& theme, bool no_color, const Offscreen& off) : theme_(theme) {
    no_input_ = std::fopen("/dev/null", "r");
    SCREEN* sp = no_input_ && off.out ? newterm(off.term.c_str(), off.out, no_input_) : nullptr;
    if (!sp) {
        if (no_input_) std::fclose(no_input_);
        throw std::runtime_error("cannot open an off-screen terminal '" + off.term + "'");
    }
    offscreen_ = sp;
    resizeterm(off.rows, off.cols);
    init(no_color);
}

void Screen::init(bool no_color) {
    const char* cs = nl_langinfo(CODESET);
    glyphs_.utf8 = cs && std::strcmp(cs, "UTF-8") == 0;
    cbreak();
    noecho();
    nonl();
    intrflush(stdscr, FALSE);
    keypad(stdscr, TRUE);
    nodelay(stdscr, TRUE);
    set_escdelay(25);
    curs_set(0);
    mousemask(BUTTON1_CLICKED | BUTTON1_PRESSED | BUTTON4_PRESSED | BUTTON5_PRESSED, nullptr);
    mouseinterval(0);
    if (has_colors() && !no_color) {
        start_color();
        use_default_colors();
    }
    mode_ = pick_color_mode(std::getenv("COLORTERM"), has_colors() && !no_color ? COLORS : 0,
                            no_color || !has_colors());
    set_theme(theme_);
}

Screen::~Screen() {
    if (offscreen_) {
        endwin();
        delscreen(static_cast<SCREEN*>(offscreen_));
        std::fclose(no_input_);
        return;
    }
    for (int sig : {SIGSEGV, SIGABRT, SIGBUS, SIGFPE, SIGILL, SIGTSTP, SIGCONT})
        std::signal(sig, SIG_DFL);
    restore_terminal();
}

void Screen::set_theme(const Theme& theme) {
    theme_ = theme;
    ++theme_version_;
    if (mode_ == ColorMode::mono) return;
    auto color = [&](std::optional<Rgb> c) -> int {
        if (!c) return -1;
        switch (mode_) {
        case ColorMode::direct:
            return (c->r << 16) | (c->g << 8) | c->b;
        case ColorMode::c256:
            return xterm256(*c);
        case ColorMode::c16:
            return ansi16(*c);
        case ColorMode::mono:
            break;
        }
        return -1;
    };
    const int bg = color(theme.of(Role::bg));
    for (std::size_t i = 0; i < kRoleCount; ++i) {
        const Role r = static_cast<Role>(i);
        int fg = color(theme.of(r)), back = bg;
        if (r == Role::selection) fg = color(theme.of(Role::fg)), back = color(theme.of(r));
        if (r == Role::bg) fg = color(theme.of(Role::fg));
        init_extended_pair(pair_of(r), fg, back);
    }
    bkgdset(' ' | COLOR_PAIR(pair_of(Role::bg)));
}

int Screen::rows() const { return LINES; }
int Screen::cols() const { return COLS; }

void Screen::resized() {
    endwin();
    refresh();
}

void Screen::clear() {
    erase();
}

void Screen::apply(Role role, bool bold) {
    attr_t a = A_NORMAL;
    if (mode_ == ColorMode::mono) {
        switch (role) {
        case Role::title:
        case Role::accent:
        case Role::warn:
            a = A_BOLD;
            break;
        case Role::crit:
        case Role::gauge_high:
            a = A_BOLD | A_UNDERLINE;
            break;
        case Role::muted:
        case Role::border:
            a = A_DIM;
            break;
        case Role::selection:
            a = A_REVERSE;
            break;
        default:
            break;
        }
        if (bold) a |= A_BOLD;
        attr_set(a, 0, nullptr);
        return;
    }
    if (bold) a |= A_BOLD;
    int pair = pair_of(role);
    attr_set(a, 0, &pair);
}

void Screen::put(int y, int x, const std::string& text, Role role, bool bold, int max) {
    if (y < 0 || y >= LINES || x < 0 || x >= COLS) return;
    const int room = max < 0 ? COLS - x : std::min(max, COLS - x);
    if (room <= 0) return;
    apply(role, bold);
    const std::string f = text_width(text) > room ? fit(text, room, glyphs_) : text;
    mvaddstr(y, x, f.c_str());
}

void Screen::put_cells(int y, int x, const CellRows& rows) {
    for (std::size_t r = 0; r < rows.size(); ++r)
        for (std::size_t c = 0; c < rows[r].size(); ++c)
            // Blank cells are left as they are; "" is a wide character's second column.
            if (const auto& cell = rows[r][c]; cell.glyph != " " && !cell.glyph.empty())
                put(y + int(r), x + int(c), cell.glyph, cell.role, false, std::max(1, text_width(cell.glyph)));
}

void Screen::frame(const Rect& r, const std::string& title, Role title_role) {
    if (r.h < 2 || r.w < 2) return;
    const bool u = glyphs_.utf8;
    const char* h = u ? "─" : "-";
    const char* v = u ? "│" : "|";
    std::string top = u ? "╭" : "+", bottom = u ? "╰" : "+";
    for (int i = 0; i < r.w - 2; ++i)
        top += h, bottom += h;
    top += u ? "╮" : "+";
    bottom += u ? "╯" : "+";
    put(r.y, r.x, top, Role::border);
    put(r.y + r.h - 1, r.x, bottom, Role::border);
    for (int y = r.y + 1; y < r.y + r.h - 1; ++y) {
        put(y, r.x, v, Role::border);
        put(y, r.x + r.w - 1, v, Role::border);
    }
    if (!title.empty() && r.w > 6) put(r.y, r.x + 2, " " + title + " ", title_role, true, r.w - 4);
}

void Screen::fill_row(int y, int x, int w, Role role) {
    if (w > 0) put(y, x, std::string(std::size_t(w), ' '), role, false, w);
}

void Screen::show() {
    wnoutrefresh(stdscr);
    doupdate();
}

} // namespace ebap::tui
