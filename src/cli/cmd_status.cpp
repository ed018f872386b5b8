// ebapctl status [--wait [--timeout S]]: one probe round over the catalog.
// Exit 0 all required services UP, 3 any of them not UP (or still not at the
// --wait deadline), 1 failure, 2 usage.
#include "cli/command.hpp"
#include "cli/options.hpp"
#include "cli/views.hpp"
#include "core/base/error.hpp"
#include "cli/output.hpp"
#include "core/collect/health_collector.hpp"
#include "core/base/state_file.hpp"

#include <fmt/format.h>

#include <CLI/CLI.hpp>

#include <algorithm>
#include <chrono>
#include <thread>

namespace ebap::cli {

void print_health(const collect::HealthData& d, bool json, const nlohmann::json& wait) {
    const std::int64_t now = now_ms();
    if (json) {
        nlohmann::json services = nlohmann::json::array();
        for (const auto& s : d.services)
            services.push_back({{"name", s.name},
                                {"stack", s.stack},
                                {"probe", s.probe_kind},
                                {"endpoint", mask_url_credentials(s.endpoint)},
                                {"state", health_name(s.result.state)},
                                {"latency_ms", s.result.latency_ms},
                                {"detail", mask_url_credentials(s.result.detail)},
                                {"since_ms", s.since_ms},
                                {"optional", s.optional}});
        nlohmann::json doc = {{"catalog", d.catalog}, {"healthy", d.healthy}, {"services", services}};
        if (!wait.is_null()) doc["wait"] = wait;
        print_json(doc);
    } else {
        Table t({{"SERVICE"},
                 {"STACK"},
                 {"STATE"},
                 {"LATENCY", Table::Right},
                 {"SINCE", Table::Right},
                 {"DETAIL"}});
        for (const auto& s : d.services) {
            const std::string state = health_name(s.result.state);
            // A since_ms ahead of our clock (a state file from a skewed host) reads "-".
            t.add({s.name, s.stack, state, fmt_duration_ms(s.result.latency_ms),
                   fmt_duration_ms(double(now - s.since_ms)), mask_url_credentials(s.result.detail)},
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

int report(Context& ctx, const collect::HealthData& d, const nlohmann::json& wait = {}) {
    save_since(ctx, d);
    print_health(d, ctx.global.json, wait);
    return d.healthy ? kExitOk : kExitUnhealthy;
}

// The services of the last round that keep `status` from exiting 0.
std::string not_up(const collect::HealthData& d) {
    std::string out;
    for (const auto& s : d.services)
        if (!s.optional && s.result.state != Health::Up)
            out += (out.empty() ? "" : ", ") + s.name + " " + health_name(s.result.state);
    return out;
}

// A copy of the catalog and configuration whose probes all end within budget_ms: the
// round of `status --wait` never outlasts the deadline.
std::pair<std::shared_ptr<const Config>, Catalog> within(Context& ctx, long budget_ms) {
    auto cfg = std::make_shared<Config>(ctx.config());
    const long configured = ctx.config().num("probe.timeout_ms");
    if (budget_ms < configured)
        cfg->set("probe.timeout_ms", std::to_string(budget_ms), "status --timeout (remaining)");
    Catalog cat = ctx.catalog();
    for (auto& s : cat.services)
        if (s.probe.timeout_ms > budget_ms) s.probe.timeout_ms = static_cast<int>(budget_ms);
    return {std::move(cfg), std::move(cat)};
}

int run_status(Context& ctx, const StatusOptions& opts) {
    if (!opts.wait) {
        collect::HealthCollector health(ctx.shared_config(), ctx.catalog(), load_since(ctx));
        return report(ctx, health.collect_once()->data);
    }
    // --wait: a round every 500 ms until every service is UP or the deadline; each round
    // gets the time that is left as its probes' budget, so the deadline bounds it too.
    using Clock = std::chrono::steady_clock;
    const auto deadline =
        Clock::now() + std::chrono::milliseconds(static_cast<std::int64_t>(
                           std::min(opts.timeout_s, kMaxSeconds) * 1000));
    collect::HealthCollector::Since since = load_since(ctx);
    std::uint64_t rounds = 0;
    for (;;) {
        const long left = static_cast<long>(
            std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now())
                .count());
        auto [cfg, cat] = within(ctx, std::max(1L, left));
        collect::HealthCollector health(cfg, std::move(cat), since);
        const collect::HealthData d = health.collect_once()->data;
        ++rounds;
        for (const auto& s : d.services)
            since[s.name] = {health_name(s.result.state), s.since_ms};
        // A round that ends a moment before the deadline is the last: one with a budget of a
        // few milliseconds would only report "no answer within 1 ms".
        const bool expired = Clock::now() + std::chrono::milliseconds(50) >= deadline;
        if (d.healthy || expired) {
            std::string reason =
                d.healthy ? "every required service is UP"
                          : fmt::format("--timeout {:g} s reached after {} probe round{}; not UP: {}",
                                        opts.timeout_s, rounds, rounds == 1 ? "" : "s", not_up(d));
            if (!d.healthy) std::fprintf(stderr, "ebapctl: status: %s\n", printable(reason).c_str());
            return report(ctx, d,
                          {{"rounds", rounds}, {"timed_out", !d.healthy}, {"reason", reason}});
        }
        const auto pause = std::min<Clock::duration>(std::chrono::milliseconds(500),
                                                      deadline - Clock::now());
        if (pause > Clock::duration::zero()) std::this_thread::sleep_for(pause);
    }
}

} // namespace

CommandDef status_command() {
    return {"status", "health of every service in the stack catalog", false,
            [](CLI::App& sub, Context& ctx) -> Action {
                auto opts = std::make_shared<StatusOptions>();
                sub.add_flag("--wait", opts->wait, "probe until every service is UP");
                sub.add_option("--timeout", opts->timeout_s, "seconds --wait waits (default 60)")
                    ->check(positive_number());
                return [&ctx, opts] { return run_status(ctx, *opts); };
            }};
}

} // namespace ebap::cli
