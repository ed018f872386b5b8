#pragma once
// The full-screen console: what `ebapctl` with no subcommand opens.
#include "core/catalog/catalog.hpp"
#include "core/config/config.hpp"

#include <memory>
#include <string>

namespace ebap::tui {

struct ConsoleOptions {
    bool readonly = false; // --readonly: the console refuses dangerous commands
    std::string theme;     // --theme NAME|FILE; empty: default
    bool no_color = false; // --no-color
    int workers = 0;       // --worker: host this many worker threads from the start
    double duration_s = 0; // quit by itself after this long (0: until q)
    // When a collector's round still hangs at quit: leave the process at once (the
    // standalone console), or else return and leave that collector to finish on its own
    // (the demo, which still has its servers to stop).
    bool exit_when_stuck = true;
};

// Runs the console until the operator quits; returns the process exit status.
int run_console(std::shared_ptr<const Config> config, const Catalog& catalog,
                const ConsoleOptions& options);

} // namespace ebap::tui
