#include "tui/cmdline.hpp"

#include <climits>
#include <cstdio>
#include <cwchar>
#include <cstdlib>
#include <algorithm>
#include <cstring>
#include <filesystem>

// readline.h uses FILE and must come after <cstdio>.
#include <readline/history.h>
#include <readline/readline.h>

namespace ebap::tui {
namespace {

constexpr int kHistoryLines = 2000;

// readline's callbacks are plain functions: the one open line's state lives here.
struct State {
    const CommandLine::Options* opt = nullptr;
    int pending = EOF;      // the byte readline reads next
    bool done = false;      // a line was accepted or cancelled
    std::string accepted;   // the accepted line, run once the line has closed
    bool has_accepted = false;
    std::vector<std::string> matches;       // the current Tab's candidates
    std::vector<std::string> shown_matches; // the last Tab's list, drawn beside the line
} g;

int getc_hook(FILE*) {
    const int c = g.pending;
    g.pending = EOF;
    return c;
}
int input_available_hook() { return g.pending != EOF; }
void redisplay_hook() {}
void prep_term(int) {}
void deprep_term() {}

void line_handler(char* line) {
    g.done = true;
    if (!line) return;
    g.accepted = line;
    g.has_accepted = true;
    std::free(line);
}

char* generator(const char*, int state) {
    static std::size_t i;
    if (state == 0) i = 0;
    return i < g.matches.size() ? strdup(g.matches[i++].c_str()) : nullptr;
}

char** complete(const char* text, int start, int) {
    g.matches.clear();
    if (g.opt && g.opt->complete) g.matches = g.opt->complete(std::string(rl_line_buffer, std::size_t(start)), text);
    rl_completion_append_character =
        g.matches.size() == 1 && g.opt && g.opt->blank_after && !g.opt->blank_after(g.matches[0]) ? '\0' : ' ';
    rl_attempted_completion_over = 1; // never file names
    return rl_completion_matches(text, generator);
}

void display_matches(char** matches, int n, int) {
    g.shown_matches.clear();
    for (int i = 1; i <= n; ++i)
        g.shown_matches.emplace_back(matches[i]);
}

FILE* null_stream() {
    static FILE* f = std::fopen("/dev/null", "w");
    return f;
}

} // namespace

CommandLine::CommandLine(Screen& screen, Options options) : screen_(screen), opt_(std::move(options)) {
    std::error_code ec;
    std::filesystem::create_directories(std::filesystem::path(opt_.history_file).parent_path(), ec);
}

CommandLine::~CommandLine() {
    if (active_) close();
    history_truncate_file(opt_.history_file.c_str(), kHistoryLines);
}

void CommandLine::open(const std::string& prompt, const std::string& text) {
    if (g.opt && g.opt != &opt_) return; // another line is open
    rl_readline_name = "ebapctl";
    rl_catch_signals = 0;
    rl_catch_sigwinch = 0;
    rl_change_environment = 0;
    rl_prep_term_function = prep_term;
    rl_deprep_term_function = deprep_term;
    rl_getc_function = getc_hook;
    rl_input_available_hook = input_available_hook;
    rl_redisplay_function = redisplay_hook;
    rl_attempted_completion_function = complete;
    rl_completion_display_matches_hook = display_matches;
    rl_basic_word_break_characters = const_cast<char*>(opt_.word_breaks.c_str());
    rl_completer_word_break_characters = const_cast<char*>(opt_.word_breaks.c_str());
    rl_outstream = null_stream();
    rl_instream = nullptr;
    // This line's own history: what the file holds now (another line, or the REPL in
    // another process, may have added to it).
    using_history();
    clear_history();
    stifle_history(kHistoryLines);
    read_history(opt_.history_file.c_str());
    g.opt = &opt_;
    g.done = false;
    g.has_accepted = false;
    g.shown_matches.clear();
    active_ = true;
    rl_callback_handler_install(prompt.c_str(), line_handler);
    if (!text.empty()) {
        rl_insert_text(text.c_str());
        rl_point = rl_end;
    }
    curs_set(1);
}

void CommandLine::close() {
    rl_callback_handler_remove();
    active_ = false;
    g.opt = nullptr;
    g.shown_matches.clear();
    curs_set(0);
}

std::string CommandLine::text() const { return active_ && rl_line_buffer ? rl_line_buffer : ""; }

void CommandLine::feed(wint_t key, bool code) {
    if (!active_) return;
    std::string bytes;
    if (code) {
        switch (key) {
        case KEY_LEFT: bytes = "\033[D"; break;
        case KEY_RIGHT: bytes = "\033[C"; break;
        case KEY_UP: bytes = "\033[A"; break;
        case KEY_DOWN: bytes = "\033[B"; break;
        case KEY_HOME: bytes = "\033[H"; break;
        case KEY_END: bytes = "\033[F"; break;
        case KEY_DC: bytes = "\033[3~"; break;
        case KEY_BACKSPACE: bytes = "\177"; break;
        case KEY_ENTER: bytes = "\r"; break;
        default: return;
        }
    } else if (key == 27) {
        close(); // Esc leaves the line, as in k9s
        return;
    } else if (key == '\n') {
        bytes = "\r";
    } else {
        char buf[MB_LEN_MAX];
        std::mbstate_t st{};
        const std::size_t n = std::wcrtomb(buf, wchar_t(key), &st);
        if (n == static_cast<std::size_t>(-1)) return;
        bytes.assign(buf, n);
    }
    for (char b : bytes) {
        g.pending = static_cast<unsigned char>(b);
        rl_callback_read_char();
        if (g.done) break;
    }
    if (!g.done) return;
    const bool accepted = g.has_accepted;
    const std::string line = g.accepted;
    close();
    // The line is closed before it runs: what it runs may open another one (e `export `).
    if (accepted && !line.empty()) {
        add_history(line.c_str());
        // append_history() does not create the file: the first line writes it whole.
        std::error_code ec;
        if (std::filesystem::exists(opt_.history_file, ec))
            append_history(1, opt_.history_file.c_str());
        else
            write_history(opt_.history_file.c_str());
    }
    if (accepted && opt_.run) opt_.run(line);
}

void CommandLine::draw() {
    const int y = screen_.rows() - 1;
    draw(y, 0, screen_.cols(), y - 1);
}

void CommandLine::draw(int y, int x, int w, int matches_y) {
    if (!active_) return;
    screen_.fill_row(y, x, w, Role::bg);
    if (!g.shown_matches.empty()) {
        std::string list;
        for (const auto& m : g.shown_matches)
            list += m + "  ";
        screen_.fill_row(matches_y, x, w, Role::selection);
        screen_.put(matches_y, x + 1, list, Role::selection, false, w - 2);
    }
    const std::string prompt = rl_display_prompt ? rl_display_prompt : ":";
    const std::string buffer = rl_line_buffer ? rl_line_buffer : "";
    screen_.put(y, x, prompt, Role::accent, true);
    const int px = text_width(prompt);
    const int room = std::max(1, w - px - 1);
    // Sideways scroll: whole characters off the left until the cursor fits.
    std::size_t from = 0;
    const std::size_t point = std::size_t(std::clamp(rl_point, 0, int(buffer.size())));
    while (from < point && text_width(buffer.substr(from, point - from)) >= room) {
        ++from;
        while (from < point && (static_cast<unsigned char>(buffer[from]) & 0xC0) == 0x80)
            ++from;
    }
    screen_.put(y, x + px, buffer.substr(from), Role::fg, false, room);
    const int cx = x + px + text_width(buffer.substr(from, point - from));
    ::move(y, std::min(cx, x + w - 1)); // the frame's doupdate() puts the cursor here
}

} // namespace ebap::tui
