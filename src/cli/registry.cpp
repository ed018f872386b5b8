#include "cli/command.hpp"

namespace ebap::cli {

CommandDef status_command();
CommandDef lag_command();
CommandDef kpi_command();
CommandDef geo_command();
CommandDef doctor_command();
CommandDef demo_command();
CommandDef broker_command();
CommandDef gen_command();
CommandDef seed_command();
CommandDef worker_command();
CommandDef sql_command();

const std::vector<CommandDef>& all_commands() {
    static const std::vector<CommandDef> all = {
        status_command(), lag_command(),    kpi_command(), geo_command(),
        doctor_command(), demo_command(),   broker_command(),
        gen_command(),    seed_command(),   worker_command(), sql_command(),
    };
    return all;
}

} // namespace ebap::cli
