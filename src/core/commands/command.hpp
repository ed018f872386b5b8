#pragma once
// One registry of subcommands drives dispatch, --help and the man-page check.
// Each command lives in its own cmd_*.cpp and is listed once in registry.cpp.
#include "core/catalog.hpp"
#include "core/config.hpp"

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace CLI {
class App;
}

namespace ebap {

struct GlobalOptions {
    std::string config_path;
    std::string catalog;     // --catalog NAME|FILE (overrides catalog.name)
    bool json = false;       // --json: one JSON document on stdout
    bool readonly = false;   // --readonly: refuse state-changing commands
};

// What a command sees: the parsed global options and lazily resolved config.
class Context {
  public:
    GlobalOptions global;
    const Config& config();
    const Catalog& catalog();

  private:
    std::optional<Config> config_;
    std::optional<Catalog> catalog_;
};

using Action = std::function<int()>;

struct CommandDef {
    std::string name;
    std::string summary;
    bool dangerous = false;  // changes state: refused under --readonly, audited
    // Declares the subcommand's options on `sub`; returns what runs after parsing.
    std::function<Action(CLI::App& sub, Context& ctx)> define;
};

// The commands core itself provides.
const std::vector<CommandDef>& core_commands();

// Parses argv, runs the chosen command, maps exceptions to exit statuses.
// `extra` are the commands of the layers above core (pipeline, tui), passed in
// by main so that core never links against them.
int run_cli(int argc, char** argv, const std::vector<CommandDef>& extra = {});
// Every command name in --help order (core first, then extra).
std::vector<std::string> command_names(const std::vector<CommandDef>& extra = {});

} // namespace ebap
