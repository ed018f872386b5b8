#pragma once
// Runs statements of `ebapctl sql` (scripted and the REPL): the printer, the pager, the
// progress line, Ctrl-C (cancel; a second one exits at once), errors with their caret.
#include "core/sql/printer.hpp"
#include "core/sql/sql_client.hpp"

#include <string>

namespace ebap::cli {

struct RunOptions {
    sql::SqlFormat format = sql::SqlFormat::Aligned;
    bool progress = false; // draw the progress line on stderr
    bool pager = false;    // page terminal output through $PAGER
    bool timing = false;   // the final status line after each statement
    int width = 0;         // terminal columns, for --format auto
};

enum class RunStatus { Ok, Failed, Aborted, OutputClosed };

class StatementRunner {
  public:
    StatementRunner(sql::SqlClient& client, RunOptions options)
        : client_(&client), options_(options) {}
    void set_client(sql::SqlClient& client) { client_ = &client; }
    RunOptions& options() { return options_; }
    // One statement; results on stdout (or the pager), messages on stderr.
    RunStatus run(const std::string& statement);
    const std::string& last_error() const { return last_error_; }

  private:
    sql::SqlClient* client_;
    RunOptions options_;
    std::string last_error_;
};

} // namespace ebap::cli
