#pragma once
// The interactive `ebapctl sql`: readline editing, its own history file, Ctrl-R, Tab
// completion of keywords and learned names, \engine, \format, \timing.
#include "cli/command.hpp"
#include "cli/sql_runner.hpp"

namespace ebap::cli {

struct ReplOptions {
    std::string engine;
    sql::SessionOptions session;
    RunOptions run;
};

int run_sql_repl(Context& ctx, const ReplOptions& options);

} // namespace ebap::cli
