// CLI entry: dispatch only; the commands are in src/cli (registry.cpp lists them).
#include "cli/command.hpp"

#include <clocale>
#include <csignal>

int main(int argc, char** argv) {
    std::setlocale(LC_ALL, "");
    // A peer closing its socket is an error value, never a reason to die.
    std::signal(SIGPIPE, SIG_IGN);
    return ebap::cli::run_cli(argc, argv);
}
