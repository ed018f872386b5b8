#include "pipeline/commands/registry.hpp"

namespace ebap::pipeline {

CommandDef gen_command();
CommandDef seed_command();
CommandDef worker_command();

const std::vector<CommandDef>& pipeline_commands() {
    // Each engineer adds one line per command here.
    static const std::vector<CommandDef> all = {
        gen_command(),
        seed_command(),
        worker_command(),
    };
    return all;
}

} // namespace ebap::pipeline
