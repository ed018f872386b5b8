// ebapctl status [--wait [--timeout S]]: one probe round over the catalog.
// Exit 0 all required services UP, 3 any of them not UP (or still not at the
// --wait deadline), 1 failure, 2 usage.
#include "cli/command.hpp"
#include "core/base/error.hpp"
#include "cli/output.hpp"
#include "core/probe/probe_targets.hpp"
#include "core/base/state_file.hpp"

#include <CLI/CLI.hpp>

#include <chrono>
#include <thread>

namespace ebap::cli {
namespace {

struct StatusOptions {
    bool wait = false;
    double timeout_s = 60;
};

bool all_up(const Catalog& cat, const std::vector<ProbeResult>& results) {
    for (std::size_t i = 0; i < results.size(); ++i)
        if (!cat.services[i].optional && results[i].state != Health::Up) return false;
    return true;
}

// `since` survives across one-shot runs through a small state file.
std::vector<std::int64_t> update_since(Context& ctx, const std::vector<ProbeResult>& results) {
    const auto& cat = ctx.catalog();
    StateFile file(ctx.config().state_dir(), "status-" + cat.name + ".json");
    nlohmann::json doc = file.read();
    std::vector<std::int64_t> since;
    for (std::size_t i = 0; i < results.size(); ++i) {
        auto& entry = doc[cat.services[i].name];
        std::string state = health_name(results[i].state);
        if (!entry.is_object() || entry.value("state", "") != state)
            entry = {{"state", state}, {"since_ms", results[i].at_ms}};
        since.push_back(entry.value("since_ms", results[i].at_ms));
    }
    file.write(doc);
    return since;
}

int report(Context& ctx, const std::vector<ProbeResult>& results) {
    const auto& cat = ctx.catalog();
    std::vector<std::int64_t> since = update_since(ctx, results);
    std::int64_t now = now_ms();
    if (ctx.global.json) {
        nlohmann::json services = nlohmann::json::array();
        for (std::size_t i = 0; i < results.size(); ++i) {
            const auto& s = cat.services[i];
            const auto& r = results[i];
            services.push_back({{"name", s.name},
                                {"stack", s.stack},
                                {"probe", s.probe.kind},
                                {"endpoint", probe_targets(cat, ctx.config())[i].spec.endpoint},
                                {"state", health_name(r.state)},
                                {"latency_ms", r.latency_ms},
                                {"detail", r.detail},
                                {"since_ms", since[i]},
                                {"optional", s.optional}});
        }
        print_json(
            {{"catalog", cat.name}, {"healthy", all_up(cat, results)}, {"services", services}});
    } else {
        Table t({{"SERVICE"},
                 {"STACK"},
                 {"STATE"},
                 {"LATENCY", Table::Right},
                 {"SINCE", Table::Right},
                 {"DETAIL"}});
        for (std::size_t i = 0; i < results.size(); ++i) {
            const auto& r = results[i];
            std::string state = health_name(r.state);
            t.add({cat.services[i].name, cat.services[i].stack, state,
                   fmt_duration_ms(r.latency_ms), fmt_duration_ms(double(now - since[i])),
                   r.detail},
                  {Tone::Plain, Tone::Dim, tone_of(state)});
        }
        print_table(t);
    }
    return all_up(cat, results) ? kExitOk : kExitUnhealthy;
}

} // namespace

CommandDef status_command() {
    return {"status", "health of every service in the stack catalog", false,
            [](CLI::App& sub, Context& ctx) -> Action {
                auto opts = std::make_shared<StatusOptions>();
                sub.add_flag("--wait", opts->wait, "probe until every service is UP");
                sub.add_option("--timeout", opts->timeout_s, "seconds --wait waits (default 60)")
                    ->check(CLI::PositiveNumber);
                return [&ctx, opts] {
                    const auto& cat = ctx.catalog();
                    auto targets = probe_targets(cat, ctx.config());
                    auto popts = probe_options(ctx.config());
                    auto deadline = std::chrono::steady_clock::now() +
                                    std::chrono::milliseconds(long(opts->timeout_s * 1000));
                    auto results = probe_round(targets, popts);
                    while (opts->wait && !all_up(cat, results) &&
                           std::chrono::steady_clock::now() < deadline) {
                        std::this_thread::sleep_for(std::chrono::milliseconds(500));
                        results = probe_round(targets, popts);
                    }
                    return report(ctx, results);
                };
            }};
}

} // namespace ebap::cli
