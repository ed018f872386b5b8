#pragma once
// The `:` command line: GNU readline's callback interface fed from the console's own
// input loop (readline never reads the terminal or draws; we hand it each byte and draw
// its buffer through ncurses), with history kept under the state directory, Ctrl-R
// search and Tab completion of command names and live names. One registry of console
// commands drives dispatch, completion and the help overlay.
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
    // The completions for a command's argument; `command` is the line before the word
    // being completed ("lag", "worker", "refresh kpi").
    using Names = std::function<std::vector<std::string>(const std::string& command)>;
    CommandLine(Screen& screen, std::string history_file, Run run, Names names);
    ~CommandLine(); // saves the history
    CommandLine(const CommandLine&) = delete;
    CommandLine& operator=(const CommandLine&) = delete;

    void open(const std::string& prompt);
    bool active() const { return active_; }
    void feed(wint_t key, bool is_key_code); // one key from get_wch
    void draw(); // the line at the bottom of the screen, into the frame being drawn

  private:
    void close();
    Screen& screen_;
    std::string history_file_;
    bool active_ = false;
};

} // namespace ebap::tui
