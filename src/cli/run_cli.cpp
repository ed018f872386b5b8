#include "cli/command.hpp"

#include "build_info.hpp"
#include "cli/output.hpp"
#include "cli/stderr_log.hpp"
#include "core/base/error.hpp"
#include "core/base/format.hpp"
#include "tui/console.hpp"

#include <CLI/CLI.hpp>

#include <cstdio>
#include <iostream>
#include <string_view>

namespace ebap::cli {

std::shared_ptr<const Config> Context::shared_config() {
    if (!config_) {
        auto loaded = std::make_shared<Config>(Config::load(global.config_path));
        for (const auto& w : loaded->warnings())
            std::fprintf(stderr, "ebapctl: warning: %s\n",
                         printable(mask_url_credentials(w)).c_str());
        if (!global.catalog.empty()) loaded->set("catalog.name", global.catalog, "flag --catalog");
        config_ = std::move(loaded);
    }
    return config_;
}

const Config& Context::config() { return *shared_config(); }

const Catalog& Context::catalog() {
    if (!catalog_) catalog_ = load_catalog(config().str("catalog.name"));
    return *catalog_;
}

int run_cli(int argc, char** argv) {
    // Library log lines go to stderr; the console replaces this sink with its ring buffer.
    log::ScopedSink log_to_stderr(std::make_shared<StderrSink>());
    CLI::App app{"ebapctl - operations console for the event-based analytics platform.\n"
                 "Without a subcommand it opens the full-screen console.",
                 "ebapctl"};
    app.fallthrough();
    app.require_subcommand(0, 1);
    Context ctx;
    app.add_option("--config", ctx.global.config_path, "configuration file (TOML)");
    app.add_option("--catalog", ctx.global.catalog, "stack catalog name or file");
    app.add_flag("--json", ctx.global.json, "print one JSON document instead of a table");
    app.add_flag("--readonly", ctx.global.readonly, "refuse every state-changing command");
    app.add_option("--theme", ctx.global.theme, "console theme: name in themes/ or a file");
    app.add_flag("--no-color", ctx.global.no_color, "console without colours (as NO_COLOR)");
    app.add_flag("--worker", ctx.global.worker, "console: host the streaming workers (worker.threads)");
    app.set_version_flag("--version", std::string("ebapctl ") + build::version);

    Action chosen;
    const CommandDef* chosen_def = nullptr;
    for (const CommandDef& def : all_commands()) {
        CLI::App* sub = app.add_subcommand(def.name, def.summary);
        Action action = def.define(*sub, ctx);
        sub->callback([&chosen, &chosen_def, action, &def] {
            chosen = action;
            chosen_def = &def;
        });
    }

    // --json is known only once parsed: a parse error looks for it among the words too.
    auto json_wanted = [&] {
        if (ctx.global.json) return true;
        for (int i = 1; i < argc; ++i)
            if (std::string_view(argv[i]) == "--json") return true;
        return false;
    };
    auto fail = [&](int code, const std::string& message) {
        const std::string shown = mask_url_credentials(message);
        std::fprintf(stderr, "ebapctl: %s\n", printable(shown).c_str());
        if (json_wanted())
            print_json_error(code, shown, chosen_def ? chosen_def->name : std::string());
        return code;
    };
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        if (e.get_exit_code() == 0) return app.exit(e) == 0 ? kExitOk : kExitUsage; // --help
        // CLI11 says "--eps: must be ..."; ours read "--eps must be ...".
        std::string message = e.what();
        if (auto at = message.find(": must "); at != std::string::npos && message[0] == '-')
            message.erase(at, 1);
        fail(kExitUsage, message);
        std::fprintf(stderr, "Run with --help for more information.\n");
        return kExitUsage;
    }
    try {
        if (chosen_def && chosen_def->dangerous && ctx.global.readonly)
            throw UsageError("'" + chosen_def->name + "' changes state and --readonly is set");
        // One validation for every command: the configuration (types and ranges, naming
        // file:line or the variable) and the catalog load before any command runs.
        ctx.config();
        ctx.catalog();
        if (!chosen)
            return tui::run_console(ctx.shared_config(), ctx.catalog(),
                                    {.readonly = ctx.global.readonly,
                                     .theme = ctx.global.theme,
                                     .no_color = ctx.global.no_color,
                                     .workers = ctx.global.worker
                                                    ? int(ctx.config().num("worker.threads"))
                                                    : 0});
        return chosen();
    } catch (const Error& e) {
        return fail(e.exit_code(), e.what());
    } catch (const std::exception& e) {
        return fail(kExitFailure, e.what());
    }
}

} // namespace ebap::cli
