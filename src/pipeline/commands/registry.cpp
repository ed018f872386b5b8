#include "pipeline/commands/registry.hpp"

namespace ebap::pipeline {

const std::vector<CommandDef>& pipeline_commands() {
    // One line per pipeline command (worker, gen, seed) as they land.
    static const std::vector<CommandDef> all = {};
    return all;
}

} // namespace ebap::pipeline
