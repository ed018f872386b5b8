#pragma once
// A tmux server of the test's own (-L), so a user's tmux and its config never interfere:
// the console and the REPL run in its pane as an operator's terminal would run them, keys
// go in with send-keys and the screen comes back with capture-pane. Waits poll the pane
// up to a hang guard of 30 s; nothing depends on the machine's speed.
#include "support/cli_run.hpp"

#include <chrono>
#include <string>
#include <thread>
#include <vector>

namespace ebap::test {

class Tmux {
  public:
    explicit Tmux(std::string socket) : socket_(std::move(socket)) {}
    ~Tmux() { run({"kill-server"}); }
    Tmux(const Tmux&) = delete;
    Tmux& operator=(const Tmux&) = delete;

    CliResult run(std::vector<std::string> args) const;
    // A session "t" of cols x rows running `command`; false (with tmux's error) when refused.
    bool start(const std::string& command, int cols = 100, int rows = 40, std::string* error = nullptr) const;
    std::string capture(bool escapes = false) const;
    void keys(const std::vector<std::string>& k) const; // key names: "Enter", "Escape", "C-c"
    void key(const std::string& k) const { keys(std::vector<std::string>{k}); }
    // Text typed as it is (a trailing ';', which tmux reads as its separator, escaped).
    void literal(std::string text) const;
    // A left click at a cell (0-based), as a terminal reports it (X10 mouse encoding: the
    // console asked for mouse events, so tmux passes the bytes through).
    void click(int row, int col) const;
    // The display column (0-based) where `text` starts on its line, -1 when none (every
    // character before it one column wide, as the console's borders and glyphs are).
    static int col_of(const std::string& pane, const std::string& text);
    // The pane's line holding `text` (0-based), -1 when none.
    static int row_of(const std::string& pane, const std::string& text);
    void resize(int cols, int rows) const;

    // Polls the pane until `pred` holds (true) or 30 s pass (false, with the last pane).
    template <class P>
    bool wait_for(P pred, std::string* last = nullptr, bool escapes = false) const {
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
        std::string pane;
        while (std::chrono::steady_clock::now() < deadline) {
            pane = capture(escapes);
            if (pred(pane)) {
                if (last) *last = pane;
                return true;
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(100));
        }
        if (last) *last = pane;
        return false;
    }
    // wait_for the text to show.
    bool shows(const std::string& text, std::string* pane = nullptr) const {
        return wait_for([&](const std::string& p) { return p.find(text) != std::string::npos; }, pane);
    }

  private:
    std::string socket_;
};

} // namespace ebap::test
