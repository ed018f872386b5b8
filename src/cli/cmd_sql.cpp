// ebapctl sql [-e SQL | -f FILE] [--engine trino|postgres] [--format F] ...: statements
// against Trino or the platform's PostgreSQL; with neither -e nor -f and a terminal on
// stdin, the REPL (sql_repl.cpp).
//   exit 0  every statement succeeded (or the reader of the output went away)
//   exit 1  a statement failed, was cancelled, or the server could not be reached
//   exit 2  usage: a bad option, format, engine, file, or a password refused over http
#include "cli/command.hpp"
#include "cli/options.hpp"
#include "cli/output.hpp"
#include "cli/sql_repl.hpp"
#include "cli/sql_runner.hpp"
#include "core/base/error.hpp"
#include "core/base/format.hpp"
#include "core/sql/statement_split.hpp"

#include <CLI/CLI.hpp>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <iostream>
#include <sstream>
#include <sys/ioctl.h>
#include <unistd.h>

namespace ebap::cli {
namespace {

struct SqlOptions {
    std::string execute, file, format, engine, catalog, schema, ca_file;
    std::vector<std::string> session;
    bool ignore_errors = false, no_progress = false, no_pager = false, insecure_password = false;
};

std::string read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw UsageError("-f " + path + ": cannot read: " + std::strerror(errno));
    std::stringstream ss;
    ss << in.rdbuf();
    if (in.bad()) throw UsageError("-f " + path + ": cannot read: read error");
    return ss.str();
}

// --engine, else sql.engine (the error names where a bad value came from).
std::string resolve_engine(const SqlOptions& o, const Config& c) {
    if (!o.engine.empty()) return o.engine; // CLI11 checked it
    const std::string& e = c.str("sql.engine");
    if (e != "trino" && e != "postgres")
        throw UsageError(c.value("sql.engine").origin + ": key 'sql.engine' must be trino or postgres, got '" +
                         e + "'");
    return e;
}

sql::SqlFormat resolve_format(const SqlOptions& o, const Context& ctx, const Config& c) {
    if (!o.format.empty()) return *sql::parse_sql_format(o.format);
    if (const std::string& f = c.str("sql.format"); !f.empty()) {
        if (auto parsed = sql::parse_sql_format(f)) return *parsed;
        throw UsageError(c.value("sql.format").origin + ": key 'sql.format' must be one of " +
                         sql::sql_format_choices() + ", got '" + f + "'");
    }
    if (ctx.global.json) return sql::SqlFormat::Json;
    return isatty(STDOUT_FILENO) ? sql::SqlFormat::Aligned : sql::SqlFormat::CsvHeader;
}

sql::SessionOptions session_of(const SqlOptions& o) {
    sql::SessionOptions s;
    s.catalog = o.catalog;
    s.schema = o.schema;
    s.ca_file = o.ca_file;
    s.insecure_password = o.insecure_password;
    for (const auto& kv : o.session) {
        const auto eq = kv.find('=');
        s.properties[kv.substr(0, eq)] = kv.substr(eq + 1);
    }
    return s;
}

int terminal_width() {
    winsize ws{};
    if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0) return ws.ws_col;
    if (const char* c = std::getenv("COLUMNS")) return std::atoi(c);
    return 0;
}

int run_sql(Context& ctx, const SqlOptions& o) {
    const Config& config = ctx.config();
    const std::string engine = resolve_engine(o, config);
    const sql::SqlFormat format = resolve_format(o, ctx, config);
    if (!o.ca_file.empty() && access(o.ca_file.c_str(), R_OK) != 0)
        throw UsageError("--ca-file " + o.ca_file + ": " + std::strerror(errno));
    const sql::SessionOptions session = session_of(o);

    const bool interactive = o.execute.empty() && o.file.empty() && isatty(STDIN_FILENO);
    RunOptions run{.format = format,
                   .progress = !o.no_progress && isatty(STDERR_FILENO),
                   .pager = !o.no_pager && isatty(STDOUT_FILENO),
                   .timing = false,
                   .width = terminal_width()};
    if (interactive)
        return run_sql_repl(ctx, {.engine = engine, .session = session, .run = run});

    std::string text;
    std::string source;
    if (!o.execute.empty()) {
        text = o.execute;
        source = "-e";
    } else if (!o.file.empty()) {
        text = read_file(o.file);
        source = o.file;
    } else {
        std::stringstream ss;
        ss << std::cin.rdbuf();
        text = ss.str();
        source = "standard input";
    }
    sql::Split split = sql::split_statements(text);
    if (!split.rest.empty()) split.statements.push_back(split.rest);
    if (split.statements.empty()) throw UsageError(source + ": no SQL statement");

    auto client = sql::make_sql_client(engine, config, session);
    StatementRunner runner(*client, run);
    int status = kExitOk;
    std::string last_error;
    for (const auto& statement : split.statements) {
        const RunStatus s = runner.run(statement);
        if (s == RunStatus::OutputClosed) break;
        if (s == RunStatus::Ok) continue;
        status = kExitFailure;
        last_error = runner.last_error();
        if (s == RunStatus::Aborted || !o.ignore_errors) break;
    }
    if (status != kExitOk && ctx.global.json) {
        while (!last_error.empty() && last_error.back() == '\n') last_error.pop_back();
        print_json_error(status, last_error, "sql");
    }
    return status;
}

} // namespace

CommandDef sql_command() {
    return {"sql", "SQL against Trino or PostgreSQL (-e, -f, standard input, or a REPL)", false,
            [](CLI::App& sub, Context& ctx) -> Action {
                auto o = std::make_shared<SqlOptions>();
                auto* e = sub.add_option("-e,--execute", o->execute, "statements to run")
                              ->check(non_empty());
                sub.add_option("-f,--file", o->file, "file of statements to run")->excludes(e);
                sub.add_option("--engine", o->engine, "trino or postgres (default: sql.engine)")
                    ->check(CLI::IsMember({"trino", "postgres"}));
                sub.add_option("--format", o->format,
                               "output format: " + sql::sql_format_choices() +
                                   " (default: aligned on a terminal, csv-header otherwise)")
                    ->check(CLI::Validator(
                        [](std::string& v) {
                            return sql::parse_sql_format(v) ? std::string()
                                                       : "must be one of " + sql::sql_format_choices() +
                                                             ", got '" + v + "'";
                        },
                        "FORMAT"));
                sub.add_option("--catalog", o->catalog,
                               "Trino catalog (default: trino.catalog); PostgreSQL: the database");
                sub.add_option("--schema", o->schema,
                               "Trino schema (default: trino.schema); PostgreSQL: the search_path");
                sub.add_option("--session", o->session, "session property NAME=VALUE (repeatable)")
                    ->check(CLI::Validator(
                        [](std::string& v) {
                            const auto eq = v.find('=');
                            return eq == std::string::npos || eq == 0
                                       ? "must be NAME=VALUE, got '" + v + "'"
                                       : std::string();
                        },
                        "NAME=VALUE"));
                sub.add_flag("--ignore-errors", o->ignore_errors,
                             "go on after a failed statement (the exit status is still 1)");
                sub.add_flag("--no-progress", o->no_progress, "no progress line on stderr");
                sub.add_flag("--no-pager", o->no_pager, "never page terminal output");
                sub.add_flag("--insecure-password", o->insecure_password,
                             "send trino.password over plain http");
                sub.add_option("--ca-file", o->ca_file,
                               "PEM file of trust anchors for https (default: trino.ca_file)");
                return [&ctx, o] { return run_sql(ctx, *o); };
            }};
}

} // namespace ebap::cli
