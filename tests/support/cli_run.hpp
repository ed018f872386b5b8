#pragma once
// Runs the built ebapctl binary as an operator would, capturing both streams.
#include "support/temp_dir.hpp"

#include <map>
#include <string>
#include <vector>

namespace ebap::test {

struct CliResult {
    int exit_code = -1;
    std::string out;
    std::string err;
};

// Runs EBAPCTL_BIN with args; env entries are set (value) or, when the value is
// "<unset>", removed. Kills the child after timeout_ms (exit_code stays -1).
CliResult run_cli(const std::vector<std::string>& args,
                  const std::map<std::string, std::string>& env = {}, int timeout_ms = 60000);

// Same for any argv (kcat, redis-cli ...).
CliResult run_argv(const std::vector<std::string>& argv,
                   const std::map<std::string, std::string>& env = {}, int timeout_ms = 60000,
                   const std::string& stdin_data = {});

} // namespace ebap::test
