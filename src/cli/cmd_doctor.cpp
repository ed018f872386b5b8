// ebapctl doctor: the resolved configuration with where each value came from
// (secrets as ****), then one connectivity probe per configured endpoint.
// Exit 0 all reachable, 3 some endpoint unreachable, 2 bad configuration.
#include "cli/command.hpp"
#include "core/base/error.hpp"
#include "cli/output.hpp"
#include "core/probe/probe.hpp"
#include "core/probe/probe_targets.hpp"

#include <CLI/CLI.hpp>

namespace ebap::cli {
namespace {

std::string shown(const Config& c, const std::string& key) {
    const auto& v = c.value(key);
    if (c.is_secret(key)) return v.text.empty() ? "" : "****";
    return mask_url_credentials(v.text); // TRINO_URL=http://admin:secret@... reads admin:***

}

std::vector<ProbeTarget> endpoint_targets(const Config& c) {
    auto first = [](const std::string& s) { return s.substr(0, s.find(',')); };
    return {
        {"kafka", {"kafka", first(c.str("kafka.bootstrap_servers"))}},
        {"redis", {"redis", c.str("redis.host") + ":" + c.str("redis.port")}},
        {"postgres", {"postgres", c.str("postgres.host") + ":" + c.str("postgres.port")}},
        {"trino", {"trino", c.str("trino.url")}},
        {"minio", {"minio", c.str("minio.endpoint")}},
    };
}

} // namespace

CommandDef doctor_command() {
    return {"doctor", "resolved configuration, value origins and connectivity", false,
            [](CLI::App& sub, Context& ctx) -> Action {
                auto offline = std::make_shared<bool>(false);
                sub.add_flag("--offline", *offline, "skip the connectivity checks");
                return [&ctx, offline] {
                    const Config& c = ctx.config();
                    std::vector<ProbeTarget> targets;
                    std::vector<ProbeResult> results;
                    if (!*offline) {
                        targets = endpoint_targets(c);
                        results = probe_round(targets, probe_options(c));
                    }
                    bool ok = true;
                    for (const auto& r : results)
                        ok = ok && r.state == Health::Up;
                    if (ctx.global.json) {
                        nlohmann::json values = nlohmann::json::array();
                        for (const auto& k : config_keys()) {
                            const auto& v = c.value(k.key);
                            std::vector<std::string> items;
                            for (const auto& item : v.list)
                                items.push_back(mask_url_credentials(item));
                            nlohmann::json value = v.is_list ? nlohmann::json(items)
                                                             : nlohmann::json(shown(c, k.key));
                            values.push_back({{"key", k.key},
                                              {"value", value},
                                              {"origin", v.origin},
                                              {"secret", k.secret}});
                        }
                        nlohmann::json checks = nlohmann::json::array();
                        for (std::size_t i = 0; i < results.size(); ++i)
                            checks.push_back({{"name", targets[i].service},
                                              {"endpoint",
                                               mask_url_credentials(targets[i].spec.endpoint)},
                                              {"state", health_name(results[i].state)},
                                              {"latency_ms", results[i].latency_ms},
                                              {"detail", mask_url_credentials(results[i].detail)}});
                        print_json({{"config_file", c.file()},
                                    {"catalog", c.str("catalog.name")},
                                    {"warnings", c.warnings()},
                                    {"values", values},
                                    {"connectivity", checks},
                                    {"ok", ok}});
                    } else {
                        std::printf("configuration file: %s\n\n", c.file().empty()
                                                                      ? "(none; built-in defaults)"
                                                                      : c.file().c_str());
                        Table t({{"KEY"}, {"VALUE"}, {"FROM"}});
                        for (const auto& k : config_keys())
                            t.add({k.key,
                                   c.value(k.key).is_list ? mask_url_credentials(c.value(k.key).text)
                                                          : shown(c, k.key),
                                   c.value(k.key).origin},
                                  {Tone::Plain, Tone::Plain, Tone::Dim});
                        print_table(t);
                        if (!results.empty()) {
                            std::printf("\n");
                            Table n({{"ENDPOINT"},
                                     {"ADDRESS"},
                                     {"STATE"},
                                     {"LATENCY", Table::Right},
                                     {"DETAIL"}});
                            for (std::size_t i = 0; i < results.size(); ++i) {
                                std::string st = health_name(results[i].state);
                                n.add({targets[i].service,
                                       mask_url_credentials(targets[i].spec.endpoint), st,
                                       fmt_duration_ms(results[i].latency_ms),
                                       mask_url_credentials(results[i].detail)},
                                      {Tone::Plain, Tone::Plain, tone_of(st)});
                            }
                            print_table(n);
                        }
                    }
                    return ok ? kExitOk : kExitUnhealthy;
                };
            }};
}

} // namespace ebap::cli
