// ebapctl lag [--group G]...: topic watermarks and, per consumer group, lag per
// partition with a Burrow-style status (lag_status.hpp) and a time-to-drain.
// Groups: --group (repeatable) or else kafka.groups; the mock cluster cannot
// list groups, so they are always named. Each run adds one observation to the
// group's window in <state_dir>/lag/, so consecutive runs judge a trend.
//   exit 0  every group is OK
//   exit 3  some group is WARN, REWIND, STALL, STOP or ERR
//   exit 1  Kafka did not answer within kafka.timeout_ms (message names the servers)
//   exit 2  usage or bad configuration
#include "cli/command.hpp"
#include "cli/options.hpp"
#include "cli/views.hpp"
#include "core/base/log.hpp"
#include "core/collect/lag_collector.hpp"
#include "core/base/error.hpp"
#include "core/kafka/kafka_admin.hpp"
#include "core/kafka/kafka_lag.hpp"
#include "core/kafka/lag_status.hpp"
#include "core/kafka/lag_store.hpp"
#include "cli/output.hpp"

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <algorithm>
#include <cstring>
#include <langinfo.h>

namespace ebap::cli {
namespace {

using nlohmann::json;

using collect::GroupReport;

json nullable(int64_t v) {
    return v < 0 ? json(nullptr) : json(v);
}
json nullable(const std::optional<double>& v) {
    return v ? json(*v) : json(nullptr);
}

const char* infinity_sign() {
    const char* cs = nl_langinfo(CODESET);
    return cs && std::strcmp(cs, "UTF-8") == 0 ? "∞" : "inf";
}

// "-" for a group without partitions, "done" without lag, "current" when the lag
// is only the last seconds of consumption, the slowest partition's time when
// every lagging partition drains, "∞" when one does not, "?" before a trend.
std::string drain_text(const GroupVerdict& v) {
    switch (v.drain) {
    case Drain::None:
        return "-";
    case Drain::Done:
        return "done";
    case Drain::KeepingUp:
        return "current";
    case Drain::Estimate:
        return fmt_duration_ms(*v.drain_seconds * 1000.0);
    case Drain::Never:
        return infinity_sign();
    case Drain::Unknown:
        break;
    }
    return "?";
}

std::string cell(int64_t v) {
    return v < 0 ? "-" : std::to_string(v);
}

void print_json_report(const KafkaLagSnapshot& snap, const std::map<std::string, double>& rates,
                       const std::vector<GroupReport>& groups) {
    json topics = json::array();
    for (const auto& t : snap.topics) {
        json wm = json::array();
        for (const auto& w : t.watermarks) {
            json e = {
                {"partition", w.partition}, {"low", nullable(w.low)}, {"high", nullable(w.high)}};
            if (!w.error.empty()) e["error"] = w.error;
            wm.push_back(std::move(e));
        }
        auto r = rates.find(t.name);
        topics.push_back({{"name", t.name},
                          {"partitions", t.watermarks.size()},
                          {"messages", t.messages},
                          {"rate", r == rates.end() ? json(nullptr) : json(r->second)},
                          {"watermarks", wm}});
    }
    json out_groups = json::array();
    for (const auto& g : groups) {
        json parts = json::array();
        for (std::size_t i = 0; i < g.lag.partitions.size(); ++i) {
            const auto& p = g.lag.partitions[i];
            const auto& v = g.verdict.partitions[i];
            parts.push_back({{"topic", p.topic},
                             {"partition", p.partition},
                             {"low", nullable(p.low)},
                             {"high", nullable(p.high)},
                             {"committed", nullable(p.committed)},
                             {"lag", nullable(v.lag)},
                             {"no_commit", v.no_commit},
                             {"status", lag_status_name(v.status)},
                             {"reason", v.reason},
                             {"observations", v.observations},
                             {"complete", v.complete},
                             {"consume_rate", nullable(v.consume_rate)},
                             {"drain_rate", nullable(v.drain_rate)}});
        }
        json maxlag = nullptr;
        if (auto m = g.verdict.maxlag)
            maxlag = {{"topic", g.lag.partitions[*m].topic},
                      {"partition", g.lag.partitions[*m].partition},
                      {"lag", g.verdict.partitions[*m].lag}};
        out_groups.push_back({{"group", g.lag.group},
                              {"state", g.lag.state},
                              {"members", g.lag.members < 0 ? json(nullptr) : json(g.lag.members)},
                              {"status", lag_status_name(g.verdict.status)},
                              {"reason", g.verdict.reason},
                              {"total_lag", g.verdict.total_lag},
                              {"complete", g.verdict.complete},
                              {"maxlag", maxlag},
                              {"consume_rate", nullable(g.verdict.consume_rate)},
                              {"drain", drain_name(g.verdict.drain)},
                              {"drain_seconds", nullable(g.verdict.drain_seconds)},
                              {"partitions", parts}});
    }
    print_json({{"bootstrap", snap.bootstrap},
                {"ts_ms", snap.ts_ms},
                {"topics", topics},
                {"groups", out_groups}});
}

void print_text_report(const KafkaLagSnapshot& snap, const std::map<std::string, double>& rates,
                       const std::vector<GroupReport>& groups) {
    Table topics({{"TOPIC"},
                  {"PARTITIONS", Table::Right},
                  {"MESSAGES", Table::Right},
                  {"RATE", Table::Right}});
    for (const auto& t : snap.topics) {
        auto r = rates.find(t.name);
        std::string rate = r == rates.end() ? "-" : fmt::format("{:.1f}/s", r->second);
        bool broken = std::any_of(t.watermarks.begin(), t.watermarks.end(),
                                  [](const Watermark& w) { return !w.error.empty(); });
        topics.add({t.name, std::to_string(t.watermarks.size()), std::to_string(t.messages), rate},
                   {broken ? Tone::Warn : Tone::Plain});
    }
    print_table(topics);
    if (groups.empty()) return;

    Table lag({{"GROUP"},
               {"STATUS"},
               {"TOPIC"},
               {"PARTITION", Table::Right},
               {"HIGH", Table::Right},
               {"COMMITTED", Table::Right},
               {"LAG", Table::Right},
               {"DRAIN", Table::Right}});
    for (const auto& g : groups) {
        for (std::size_t i = 0; i < g.lag.partitions.size(); ++i) {
            const auto& p = g.lag.partitions[i];
            const char* st = lag_status_name(g.verdict.partitions[i].status);
            lag.add({g.lag.group, st, p.topic, std::to_string(p.partition), cell(p.high),
                     cell(p.committed), cell(g.verdict.partitions[i].lag), ""},
                    {Tone::Plain, tone_of(st)});
        }
        const char* st = lag_status_name(g.verdict.status);
        lag.add({g.lag.group, st, "total", "", "", "", std::to_string(g.verdict.total_lag),
                 drain_text(g.verdict)},
                {Tone::Accent, tone_of(st), Tone::Accent});
    }
    std::fputc('\n', stdout);
    print_table(lag);
    std::fputc('\n', stdout);
    for (const auto& g : groups) {
        std::string who = g.lag.members >= 0
                              ? fmt::format("state {}, {} members", g.lag.state, g.lag.members)
                              : "state " + g.lag.state;
        std::printf("%s: %s, %s (%s)\n", printable(g.lag.group).c_str(),
                    lag_status_name(g.verdict.status), printable(g.verdict.reason).c_str(),
                    printable(who).c_str());
    }
}

} // namespace

void print_lag(const collect::LagData& d, bool json) {
    if (json)
        print_json_report(d.kafka, d.rates, d.groups);
    else
        print_text_report(d.kafka, d.rates, d.groups);
    std::fflush(stdout);
}

namespace {

int run_lag(Context& ctx, std::vector<std::string> groups) {
    collect::LagCollector collector(ctx.shared_config(), std::move(groups), /*persist=*/true);
    const auto snap = collector.collect_once(/*rethrow=*/true);
    const collect::LagData& d = snap->data;
    if (!d.saved)
        log::warn("lag", "cannot write {}/lag/: each run is judged alone (no trend) until the "
                         "state directory is writable",
                  ctx.config().state_dir());
    print_lag(d, ctx.global.json);
    return d.healthy ? kExitOk : kExitUnhealthy;
}

} // namespace

CommandDef lag_command() {
    return {"lag", "consumer-group lag per partition with a Burrow-style status", false,
            [](CLI::App& sub, Context& ctx) -> Action {
                auto groups = std::make_shared<std::vector<std::string>>();
                sub.add_option("--group", *groups,
                               "consumer group to evaluate (repeatable; default kafka.groups)")
                    ->delimiter(',')
                    ->check(non_empty());
                return [&ctx, groups] { return run_lag(ctx, *groups); };
            }};
}

} // namespace ebap::cli
