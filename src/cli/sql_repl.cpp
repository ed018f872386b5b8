#include "cli/sql_repl.hpp"

#include "core/base/error.hpp"
#include "core/base/format.hpp"
#include "core/sql/names.hpp"
#include "core/sql/statement_split.hpp"

#include <readline/history.h>
#include <readline/readline.h>

#include <algorithm>
#include <atomic>
#include <csignal>
#include <filesystem>
#include <mutex>
#include <poll.h>
#include <set>
#include <thread>
#include <unistd.h>

namespace ebap::cli {
namespace {

constexpr int kHistoryLines = 2000;

std::string lower(std::string s) {
    for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
}

// The REPL's state, reached from readline's C callbacks.
struct Repl {
    Context* ctx = nullptr;
    ReplOptions opt;
    std::unique_ptr<sql::SqlClient> client;
    std::unique_ptr<StatementRunner> runner;
    sql::NameCache names;
    std::vector<std::string> completion_names; // taken at the start of each completion
    std::string pending;                         // lines of an unfinished statement
    std::vector<std::string> lines;              // lines readline handed over
    bool eof = false;

    std::string prompt() const {
        if (!pending.empty()) return std::string(client->engine().size(), ' ') + "-> ";
        std::string where = client->engine() == "trino" ? client->current_schema()
                                                        : client->current_catalog();
        return client->engine() + (where.empty() ? "" : ":" + where) + "> ";
    }
    void connect(const std::string& engine) {
        auto fresh = sql::make_sql_client(engine, ctx->config(), opt.session);
        names.stop();
        client = std::move(fresh);
        opt.engine = engine;
        if (runner) runner->set_client(*client);
        names.load(sql::make_sql_client(engine, ctx->config(), opt.session));
    }
};

Repl* g_repl = nullptr;
volatile std::sig_atomic_t g_interrupted = 0;

extern "C" void on_prompt_sigint(int) { g_interrupted = 1; }

extern "C" void on_line(char* line) {
    if (!line) {
        g_repl->eof = true;
    } else {
        g_repl->lines.emplace_back(line);
        std::free(line);
    }
    rl_callback_handler_remove(); // the main loop runs it, then installs the next prompt
}

char* completion_generator(const char* text, int state) {
    static std::vector<std::string> matches;
    static std::size_t next = 0;
    if (state == 0) {
        matches = sql::sql_completions(text, g_repl->completion_names);
        next = 0;
        // A keyword is followed by a blank; a name may go on with ".schema".
        const bool keyword = matches.size() == 1 && sql::is_sql_keyword(matches[0]);
        rl_completion_append_character = matches.size() == 1 && !keyword ? '\0' : ' ';
    }
    return next < matches.size() ? strdup(matches[next++].c_str()) : nullptr;
}

char** complete(const char* text, int, int) {
    g_repl->completion_names = g_repl->names.snapshot();
    rl_attempted_completion_over = 1; // no file names
    return rl_completion_matches(text, completion_generator);
}

std::string history_path(const Config& c) { return c.state_dir() + "/sql_history"; }

void print_help() {
    std::fputs("Statements end with ';' (outside quotes and comments).\n"
               "  \\engine [trino|postgres]  show or switch the engine\n"
               "  \\format [NAME]            show or set the output format\n"
               "  \\timing [on|off]          status line after each statement\n"
               "  \\refresh                  reload the names Tab completes\n"
               "  \\q, quit, exit            leave (Ctrl-D too)\n"
               "Ctrl-C cancels a running statement (twice: exits), Ctrl-R searches the history.\n",
               stdout);
}

// A backslash command or quit; true when the line was one.
bool meta_command(Repl& r, const std::string& line, bool& quit) {
    std::string t = line;
    while (!t.empty() && (t.back() == ';' || std::isspace(static_cast<unsigned char>(t.back())))) t.pop_back();
    t.erase(0, t.find_first_not_of(" \t"));
    const std::string word = lower(t.substr(0, t.find(' ')));
    std::string arg = t.find(' ') == std::string::npos ? "" : t.substr(t.find(' ') + 1);
    arg.erase(0, arg.find_first_not_of(" \t"));
    if (word == "quit" || word == "exit" || word == "\\q") {
        quit = true;
        return true;
    }
    if (word == "help" || word == "\\?" || word == "\\help" || word == "\\h") {
        print_help();
        return true;
    }
    if (word.empty() || word[0] != '\\') return false;
    if (word == "\\engine") {
        if (arg.empty()) {
            std::printf("%s (%s)\n", r.client->engine().c_str(), r.client->endpoint().c_str());
        } else if (arg != "trino" && arg != "postgres") {
            std::fprintf(stderr, "\\engine: must be trino or postgres, got '%s'\n", printable(arg).c_str());
        } else {
            try {
                r.connect(arg);
                std::printf("engine %s (%s)\n", arg.c_str(), r.client->endpoint().c_str());
            } catch (const std::exception& e) {
                std::fprintf(stderr, "\\engine: %s\n", printable(e.what()).c_str());
            }
        }
    } else if (word == "\\format") {
        if (arg.empty()) {
            std::printf("%s\n", sql::sql_format_name(r.runner->options().format).c_str());
        } else if (auto f = sql::parse_sql_format(arg)) {
            r.runner->options().format = *f;
        } else {
            std::fprintf(stderr, "\\format: must be one of %s, got '%s'\n",
                         sql::sql_format_choices().c_str(), printable(arg).c_str());
        }
    } else if (word == "\\timing") {
        bool& timing = r.runner->options().timing;
        if (arg.empty()) timing = !timing;
        else if (arg == "on") timing = true;
        else if (arg == "off") timing = false;
        else std::fprintf(stderr, "\\timing: must be on or off, got '%s'\n", printable(arg).c_str());
        std::printf("timing is %s\n", timing ? "on" : "off");
    } else if (word == "\\refresh") {
        r.names.load(sql::make_sql_client(r.opt.engine, r.ctx->config(), r.opt.session));
        std::printf("reloading names\n");
    } else {
        std::fprintf(stderr, "unknown command %s (\\help lists them)\n", printable(word).c_str());
    }
    return true;
}

void handle_line(Repl& r, const std::string& line, bool& quit) {
    if (r.pending.empty() && meta_command(r, line, quit)) {
        if (!line.empty()) add_history(line.c_str());
        return;
    }
    r.pending += (r.pending.empty() ? "" : "\n") + line;
    sql::Split split = sql::split_statements(r.pending);
    if (split.statements.empty() && sql::is_blank_sql(r.pending)) {
        r.pending.clear();
        return;
    }
    if (split.statements.empty()) return; // not finished yet
    add_history(r.pending.c_str());
    for (const auto& s : split.statements) {
        if (r.runner->run(s) == RunStatus::Aborted) break;
    }
    r.pending = split.rest;
}

} // namespace

int run_sql_repl(Context& ctx, const ReplOptions& options) {
    Repl r;
    r.ctx = &ctx;
    r.opt = options;
    r.client = sql::make_sql_client(options.engine, ctx.config(), options.session);
    r.runner = std::make_unique<StatementRunner>(*r.client, options.run);
    r.names.load(sql::make_sql_client(options.engine, ctx.config(), options.session));
    g_repl = &r;

    const std::string history = history_path(ctx.config());
    std::error_code ec;
    std::filesystem::create_directories(ctx.config().state_dir(), ec);
    using_history();
    stifle_history(kHistoryLines);
    read_history(history.c_str());
    rl_readline_name = "ebapctl-sql";
    rl_catch_signals = 0;
    rl_attempted_completion_function = complete;
    rl_basic_word_break_characters = const_cast<char*>(sql::kSqlWordBreaks);

    std::printf("ebapctl sql: %s at %s. \\help for commands; statements end with ';'.\n",
                r.client->engine().c_str(), r.client->endpoint().c_str());
    struct sigaction sa {}, old {};
    sa.sa_handler = on_prompt_sigint;
    sigemptyset(&sa.sa_mask);
    bool quit = false;
    while (!quit && !r.eof) {
        sigaction(SIGINT, &sa, &old);
        g_interrupted = 0;
        rl_callback_handler_install(r.prompt().c_str(), on_line);
        while (r.lines.empty() && !r.eof) {
            pollfd p{STDIN_FILENO, POLLIN, 0};
            const int n = ::poll(&p, 1, 100);
            if (g_interrupted) { // Ctrl-C at the prompt drops the line and the statement
                g_interrupted = 0;
                rl_replace_line("", 0);
                r.pending.clear();
                std::fputs("\n", stdout);
                rl_callback_handler_remove();
                rl_callback_handler_install(r.prompt().c_str(), on_line);
                continue;
            }
            if (n > 0) rl_callback_read_char();
        }
        sigaction(SIGINT, &old, nullptr);
        std::vector<std::string> lines;
        lines.swap(r.lines);
        for (const auto& line : lines)
            if (!quit) handle_line(r, line, quit);
    }
    if (r.eof) std::fputs("\n", stdout);
    write_history(history.c_str());
    history_truncate_file(history.c_str(), kHistoryLines);
    r.names.stop();
    g_repl = nullptr;
    return kExitOk;
}

} // namespace ebap::cli
