#include "support/tmux.hpp"

#include <sstream>

namespace ebap::test {

CliResult Tmux::run(std::vector<std::string> args) const {
    std::vector<std::string> argv = {"tmux", "-L", socket_, "-f", "/dev/null"};
    argv.insert(argv.end(), args.begin(), args.end());
    return run_argv(argv, {}, 20000);
}

bool Tmux::start(const std::string& command, int cols, int rows, std::string* error) const {
    const auto r = run({"new-session", "-d", "-s", "t", "-x", std::to_string(cols), "-y", std::to_string(rows), command});
    if (error) *error = r.err;
    return r.exit_code == 0;
}

std::string Tmux::capture(bool escapes) const {
    std::vector<std::string> a = {"capture-pane", "-p", "-t", "t"};
    if (escapes) a.push_back("-e");
    return run(a).out;
}

void Tmux::keys(const std::vector<std::string>& k) const {
    std::vector<std::string> a = {"send-keys", "-t", "t"};
    a.insert(a.end(), k.begin(), k.end());
    run(a);
}

void Tmux::literal(std::string text) const {
    if (!text.empty() && text.back() == ';') text.insert(text.size() - 1, "\\");
    run({"send-keys", "-t", "t", "-l", text});
}

void Tmux::click(int row, int col) const {
    const auto enc = [&](int button) {
        return std::string("\x1b[M") + char(32 + button) + char(33 + col) + char(33 + row);
    };
    run({"send-keys", "-t", "t", "-l", enc(0)});
    run({"send-keys", "-t", "t", "-l", enc(3)});
}

int Tmux::col_of(const std::string& pane, const std::string& text) {
    std::istringstream in(pane);
    std::string line;
    while (std::getline(in, line))
        if (const auto at = line.find(text); at != std::string::npos) {
            int col = 0;
            for (std::size_t i = 0; i < at; ++i)
                col += (static_cast<unsigned char>(line[i]) & 0xC0) != 0x80;
            return col;
        }
    return -1;
}

int Tmux::row_of(const std::string& pane, const std::string& text) {
    std::istringstream in(pane);
    std::string line;
    for (int i = 0; std::getline(in, line); ++i)
        if (line.find(text) != std::string::npos) return i;
    return -1;
}

void Tmux::resize(int cols, int rows) const {
    run({"resize-window", "-t", "t", "-x", std::to_string(cols), "-y", std::to_string(rows)});
}

} // namespace ebap::test
