#pragma once
// One registry of subcommands (registry.cpp) drives dispatch, --help, --readonly and the
// man-page check; each command lives in its own cmd_*.cpp.
#include "core/catalog/catalog.hpp"
#include "core/config/config.hpp"

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace CLI {
class App;
}

namespace ebap::cli {

struct GlobalOptions {
    std::string config_path;
    std::string catalog;     // --catalog NAME|FILE (overrides catalog.name)
    bool json = false;       // --json: one JSON document on stdout
    bool readonly = false;   // --readonly: refuse state-changing commands
    std::string theme;       // --theme NAME|FILE (the console)
    bool no_color = false;   // --no-color (the console; NO_COLOR does the same)
    bool worker = false;     // --worker: the console hosts worker.threads workers
};

// What a command sees: the parsed global options and the configuration, loaded once on
// first use and shared read-only from then on.
class Context {
  public:
    GlobalOptions global;
    const Config& config();
    const Catalog& catalog();
    // The loaded configuration as a shared handle (collectors and workers keep it).
    std::shared_ptr<const Config> shared_config();

  private:
    std::shared_ptr<const Config> config_;
    std::optional<Catalog> catalog_;
};

using Action = std::function<int()>;

struct CommandDef {
    std::string name;
    std::string summary;
    bool dangerous = false; // changes state: refused under --readonly, audited
    // Declares the subcommand's options on `sub`; returns what runs after parsing.
    std::function<Action(CLI::App& sub, Context& ctx)> define;
};

// Every subcommand of every layer, in --help order.
const std::vector<CommandDef>& all_commands();

// Parses argv, runs the chosen command (the console when none is named), maps exceptions
// to exit statuses.
int run_cli(int argc, char** argv);

} // namespace ebap::cli
