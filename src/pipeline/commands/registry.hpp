#pragma once
// The subcommands of the pipeline layer (worker, gen, seed), handed to run_cli.
#include "core/commands/command.hpp"

#include <vector>

namespace ebap::pipeline {

const std::vector<CommandDef>& pipeline_commands();

} // namespace ebap::pipeline
