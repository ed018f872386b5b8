// CLI entry: dispatch only; every subcommand lives in a commands/ folder.
#include "core/commands/command.hpp"
#include "pipeline/commands/registry.hpp"

#include <clocale>
#include <csignal>

int main(int argc, char** argv) {
    std::setlocale(LC_ALL, "");
    // A peer closing its socket is an error value, never a reason to die.
    std::signal(SIGPIPE, SIG_IGN);
    return ebap::run_cli(argc, argv, ebap::pipeline::pipeline_commands());
}
