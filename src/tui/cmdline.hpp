#pragma once
// A line editor inside the console: GNU readline's callback interface fed from the
// console's own input loop (readline never reads the terminal or draws; we hand it each
// byte and draw its buffer through ncurses). The `:` command line and the SQL view's
// statement line are two of them, each with its own history file (read when it opens,
// each accepted line appended at once), Ctrl-R search and its own Tab completion; only
// one is open at a time, since readline keeps one global state.
#include "tui/actions.hpp"
#include "tui/screen.hpp"

#include <curses.h>

#include <functional>
#include <string>
#include <vector>

namespace ebap::tui {

class CommandLine {
  public:
    using Run = std::function<void(const std::string&)>;
    // Tab: what may replace `word`, the word before the cursor; `before` is the line in
    // front of it ("lag ", "SELECT * FROM ").
    using Complete = std::function<std::vector<std::string>(const std::string& before, const std::string& word)>;
    struct Options {
        std::string history_file;
        Run run;
        Complete complete;
        std::string word_breaks = " \t\n";
        // Whether a single completion gets a blank after it (an SQL name may go on with '.').
        std::function<bool(const std::string&)> blank_after;
    };
    CommandLine(Screen& screen, Options options);
    ~CommandLine();
    CommandLine(const CommandLine&) = delete;
    CommandLine& operator=(const CommandLine&) = delete;

    // Opens the line with `text` already typed (the cursor at its end).
    void open(const std::string& prompt, const std::string& text = "");
    bool active() const { return active_; }
    void feed(wint_t key, bool is_key_code); // one key from get_wch
    // The line at the bottom of the screen, into the frame being drawn.
    void draw();
    // The line at row y, columns x..x+w, scrolled sideways so the cursor shows; a Tab's
    // list of matches on row `matches_y`.
    void draw(int y, int x, int w, int matches_y);
    // What is typed so far.
    std::string text() const;

  private:
    void close();
    Screen& screen_;
    Options opt_;
    bool active_ = false;
};

} // namespace ebap::tui
