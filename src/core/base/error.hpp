#pragma once
// Errors cross module boundaries as exceptions and are turned into a message and
// an exit status once, at the command boundary (cli/run_cli.cpp).
#include <stdexcept>
#include <string>

namespace ebap {

// Stable exit statuses of every subcommand (documented in man/ebapctl.1).
enum ExitCode : int { kExitOk = 0, kExitFailure = 1, kExitUsage = 2, kExitUnhealthy = 3 };

class Error : public std::runtime_error {
  public:
    explicit Error(const std::string& what, int exit_code = kExitFailure)
        : std::runtime_error(what), exit_code_(exit_code) {}
    int exit_code() const { return exit_code_; }

  private:
    int exit_code_;
};

// Bad invocation or bad configuration: exit status 2.
class UsageError : public Error {
  public:
    explicit UsageError(const std::string& what) : Error(what, kExitUsage) {}
};

} // namespace ebap
