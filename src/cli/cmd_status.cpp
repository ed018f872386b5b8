// ebapctl status [--wait [--timeout S]]: one probe round over the catalog.
// Exit 0 all required services UP, 3 any of them not UP (or still not at the
// --wait deadline), 1 failure, 2 usage.
#include "cli/command.hpp"
#include "cli/views.hpp"
#include "core/base/error.hpp"
#include "cli/output.hpp"
#include "core/collect/health_collector.hpp"
#include "core/base/state_file.hpp"

#include <CLI/CLI.hpp>

#include <chrono>
#include <thread>

namespace ebap::cli {

void print_health(const collect::HealthData& d, bool json) {
    const std::int64_t now = now_ms();
    if (json) {
        nlohmann::json services = nlohmann::json::array();
        for (const auto& s : d.services)
            services.push_back({{"name", s.name},
                                {"stack", s.stack},
                                {"probe", s.probe_kind},
                                {"endpoint", s.endpoint},
                                {"state", health_name(s.result.state)},
                                {"latency_ms", s.result.latency_ms},
                                {"detail", s.result.detail},
                                {"since_ms", s.since_ms},
                                {"optional", s.optional}});
        print_json({{"catalog", d.catalog}, {"healthy", d.healthy}, {"services", services}});
    } else {
        Table t({{"SERVICE"},
                 {"STACK"},
                 {"STATE"},
                 {"LATENCY", Table::Right},
                 {"SINCE", Table::Right},
                 {"DETAIL"}});
        for (const auto& s : d.services) {
            const std::string state = health_name(s.result.state);
            t.add({s.name, s.stack, state, fmt_duration_ms(s.result.latency_ms),
                   fmt_duration_ms(double(now - s.since_ms)), s.result.detail},
                  {Tone::Plain, Tone::Dim, tone_of(state)});
        }
        print_table(t);
    }
}

namespace {

struct StatusOptions {
    bool wait = false;
    double timeout_s = 60;
};

// `since` survives across one-shot runs through a small state file.
StateFile since_file(Context& ctx) {
    return StateFile(ctx.config().state_dir(), "status-" + ctx.catalog().name + ".json");
}

collect::HealthCollector::Since load_since(Context& ctx) {
    collect::HealthCollector::Since since;
    const nlohmann::json doc = since_file(ctx).read();
    if (doc.is_object())
        for (const auto& [name, e] : doc.items())
            if (e.is_object())
                since[name] = {e.value("state", ""), e.value("since_ms", std::int64_t{0})};
    return since;
}

void save_since(Context& ctx, const collect::HealthData& d) {
    nlohmann::json doc = nlohmann::json::object();
    for (const auto& s : d.services)
        doc[s.name] = {{"state", health_name(s.result.state)}, {"since_ms", s.since_ms}};
    since_file(ctx).write(doc);
}

int report(Context& ctx, const collect::HealthData& d) {
    save_since(ctx, d);
    print_health(d, ctx.global.json);
    return d.healthy ? kExitOk : kExitUnhealthy;
}


int run_status(Context& ctx, const StatusOptions& opts) {
    collect::HealthCollector health(ctx.shared_config(), ctx.catalog(), load_since(ctx));
    if (!opts.wait) return report(ctx, health.collect_once()->data);
    // --wait: the collector probes on its own thread every 500 ms; we poll its snapshot.
    using Clock = std::chrono::steady_clock;
    const auto deadline = Clock::now() + std::chrono::milliseconds(long(opts.timeout_s * 1000));
    health.set_interval(std::chrono::milliseconds(500));
    health.start();
    std::uint64_t seen = 0;
    for (;;) {
        const auto snap = health.latest();
        if (snap && snap->rounds > seen) {
            seen = snap->rounds;
            if (snap->data.healthy || Clock::now() >= deadline) {
                health.stop();
                return report(ctx, snap->data);
            }
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
}

} // namespace

CommandDef status_command() {
    return {"status", "health of every service in the stack catalog", false,
            [](CLI::App& sub, Context& ctx) -> Action {
                auto opts = std::make_shared<StatusOptions>();
                sub.add_flag("--wait", opts->wait, "probe until every service is UP");
                sub.add_option("--timeout", opts->timeout_s, "seconds --wait waits (default 60)")
                    ->check(CLI::PositiveNumber);
                return [&ctx, opts] { return run_status(ctx, *opts); };
            }};
}

} // namespace ebap::cli
