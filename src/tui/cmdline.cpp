#include "tui/cmdline.hpp"

#include "core/base/closest.hpp"

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

// readline's callbacks are plain functions: the one active command line lives here.
struct State {
    CommandLine::Run run;
    CommandLine::Names names;
    int pending = EOF;      // the byte readline reads next
    bool done = false;      // a line was accepted or cancelled
    std::vector<std::string> candidates;
    std::vector<std::string> shown_matches; // the last Tab's list, drawn above the line
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
    std::string text(line);
    std::free(line);
    if (!text.empty()) add_history(text.c_str());
    if (g.run) g.run(text);
}

char* generator(const char* text, int state) {
    static std::size_t i;
    if (state == 0) i = 0;
    const std::size_t n = std::strlen(text);
    while (i < g.candidates.size()) {
        const std::string& c = g.candidates[i++];
        if (c.compare(0, n, text) == 0) return strdup(c.c_str());
    }
    return nullptr;
}

char** complete(const char* text, int start, int) {
    g.candidates.clear();
    if (start == 0) {
        for (const auto& c : console_commands())
            if (c.typed) g.candidates.push_back(c.name.substr(0, c.name.find(' ')));
        std::sort(g.candidates.begin(), g.candidates.end());
        g.candidates.erase(std::unique(g.candidates.begin(), g.candidates.end()), g.candidates.end());
    } else if (g.names) {
        // The names that fit the command's argument: "worker " offers start and stop,
        // "lag " the groups, "theme " the themes...
        std::string word(rl_line_buffer, std::size_t(start));
        while (!word.empty() && word.back() == ' ')
            word.pop_back();
        g.candidates = g.names(word);
    }
    rl_attempted_completion_over = 1;
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

CommandLine::CommandLine(Screen& screen, std::string history_file, Run run, Names names)
    : screen_(screen), history_file_(std::move(history_file)) {
    g.run = std::move(run);
    g.names = std::move(names);
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
    rl_outstream = null_stream();
    rl_instream = nullptr;
    using_history();
    stifle_history(1000);
    read_history(history_file_.c_str());
}

CommandLine::~CommandLine() {
    if (active_) rl_callback_handler_remove();
    std::error_code ec;
    std::filesystem::create_directories(std::filesystem::path(history_file_).parent_path(), ec);
    write_history(history_file_.c_str());
    g.run = nullptr;
    g.names = nullptr;
}

void CommandLine::open(const std::string& prompt) {
    active_ = true;
    g.done = false;
    g.shown_matches.clear();
    rl_callback_handler_install(prompt.c_str(), line_handler);
    curs_set(1);
}

void CommandLine::close() {
    rl_callback_handler_remove();
    active_ = false;
    g.shown_matches.clear();
    curs_set(0);
}

void CommandLine::feed(wint_t key, bool code) {
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
        close(); // Esc leaves the command line, as in k9s
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
    if (g.done) close();
}

void CommandLine::draw() {
    const int y = screen_.rows() - 1;
    screen_.fill_row(y, 0, screen_.cols(), Role::bg);
    if (!g.shown_matches.empty()) {
        std::string list;
        for (const auto& m : g.shown_matches)
            list += m + "  ";
        screen_.fill_row(y - 1, 0, screen_.cols(), Role::selection);
        screen_.put(y - 1, 1, list, Role::selection, false, screen_.cols() - 2);
    }
    const std::string prompt = rl_display_prompt ? rl_display_prompt : ":";
    const std::string buffer = rl_line_buffer ? rl_line_buffer : "";
    screen_.put(y, 0, prompt, Role::accent, true);
    const int px = text_width(prompt);
    screen_.put(y, px, buffer, Role::fg);
    const int cx = px + text_width(buffer.substr(0, std::size_t(std::max(0, rl_point))));
    move(y, std::min(cx, screen_.cols() - 1)); // the frame's doupdate() puts the cursor here
}

} // namespace ebap::tui
