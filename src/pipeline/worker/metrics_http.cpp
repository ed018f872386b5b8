#include "pipeline/worker/metrics_http.hpp"

#include "core/base/error.hpp"

#include <charconv>
#include <map>
#include <fmt/format.h>
#include <httplib.h>

namespace ebap::pipeline {
namespace {

struct ProcessFamily {
    const char* name;
    const char* type;
    const char* help;
    double (*value)(const WorkerMetricsSnapshot&);
    void (*set)(WorkerMetricsSnapshot&, double); // nullptr: derived, not read back
};

#define EBAP_PFIELD(expr) [](const WorkerMetricsSnapshot& s) -> double { return double(expr); }
#define EBAP_PSET(field, scale)                                                                \
    [](WorkerMetricsSnapshot& s, double v) { s.field = static_cast<std::int64_t>(v * scale); }

const ProcessFamily kProcessFamilies[] = {
    {"ebap_worker_watermark_delay_seconds", "gauge", "Wall clock minus the watermark.",
     EBAP_PFIELD(double(s.watermark_delay_ms()) / 1000.0), nullptr},
    {"ebap_worker_cdc_records_total", "counter", "CDC records applied to the profile table.",
     EBAP_PFIELD(s.cdc_records_total), EBAP_PSET(cdc_records_total, 1)},
    {"ebap_worker_cdc_errors_total", "counter", "CDC records that could not be applied.",
     EBAP_PFIELD(s.cdc_errors_total), EBAP_PSET(cdc_errors_total, 1)},
    {"ebap_worker_cdc_lag_seconds", "gauge", "Debezium ts_ms minus source.ts_ms, last record.",
     EBAP_PFIELD(double(s.cdc_lag_ms) / 1000.0), EBAP_PSET(cdc_lag_ms, 1000)},
    {"ebap_worker_cdc_behind_records", "gauge", "CDC records not yet read.",
     EBAP_PFIELD(s.cdc_behind), EBAP_PSET(cdc_behind, 1)},
    {"ebap_worker_profiles", "gauge", "User profiles in the table.", EBAP_PFIELD(s.profiles),
     EBAP_PSET(profiles, 1)},
    {"ebap_worker_view_refreshes_total", "counter", "Derived-view recomputations.",
     EBAP_PFIELD(s.view_refreshes_total), EBAP_PSET(view_refreshes_total, 1)},
    {"ebap_worker_view_errors_total", "counter", "Failed derived-view recomputations.",
     EBAP_PFIELD(s.view_errors_total), EBAP_PSET(view_errors_total, 1)},
    {"ebap_worker_uptime_seconds", "gauge", "Seconds since the worker started.",
     EBAP_PFIELD(double(s.taken_ms - s.started_ms) / 1000.0),
     [](WorkerMetricsSnapshot& s, double v) {
         s.started_ms = s.taken_ms - static_cast<std::int64_t>(v * 1000);
     }},
};

#undef EBAP_PSET
#undef EBAP_PFIELD

// Prometheus floats: integers print without a fraction, others with full precision.
std::string number(double v) {
    return fmt::format("{}", v);
}

} // namespace

std::string prometheus_text(const WorkerMetricsSnapshot& s) {
    std::string out;
    out.reserve(8192);
    for (const MetricDef& d : thread_metric_defs()) {
        const char* type = d.kind == MetricKind::Counter ? "counter" : "gauge";
        out += fmt::format("# HELP {} {}\n# TYPE {} {}\n", d.prometheus, d.help, d.prometheus,
                           type);
        for (const auto& t : s.threads)
            out += fmt::format("{}{{thread=\"{}\"}} {}\n", d.prometheus, t.index,
                               number(metric_base_value(d, t)));
    }
    for (const auto& f : kProcessFamilies)
        out += fmt::format("# HELP {} {}\n# TYPE {} {}\n{} {}\n", f.name, f.help, f.name, f.type,
                           f.name, number(f.value(s)));
    return out;
}

WorkerMetricsSnapshot parse_prometheus_text(const std::string& text, std::int64_t taken_ms) {
    WorkerMetricsSnapshot s;
    s.taken_ms = taken_ms;
    s.started_ms = taken_ms;
    std::map<std::string, const MetricDef*> defs;
    for (const MetricDef& d : thread_metric_defs())
        defs[d.prometheus] = &d;
    std::size_t at = 0;
    while (at < text.size()) {
        std::size_t eol = text.find('\n', at);
        if (eol == std::string::npos) eol = text.size();
        const std::string_view line(text.data() + at, eol - at);
        at = eol + 1;
        if (line.empty() || line.front() == '#') continue;
        const auto space = line.rfind(' ');
        if (space == std::string_view::npos) continue;
        double value = 0;
        const std::string_view num = line.substr(space + 1);
        if (std::from_chars(num.data(), num.data() + num.size(), value).ec != std::errc())
            continue;
        std::string_view name = line.substr(0, space);
        int thread = -1;
        if (const auto brace = name.find('{'); brace != std::string_view::npos) {
            const std::string_view labels = name.substr(brace);
            name = name.substr(0, brace);
            const auto q = labels.find("thread=\"");
            if (q == std::string_view::npos) continue;
            const std::string_view digits = labels.substr(q + 8);
            if (std::from_chars(digits.data(), digits.data() + digits.size(), thread).ec !=
                    std::errc() ||
                thread < 0 || thread > 1024)
                continue;
        }
        if (thread >= 0) {
            const auto d = defs.find(std::string(name));
            if (d == defs.end()) continue; // a family of a newer worker: ignored
            while (static_cast<int>(s.threads.size()) <= thread) {
                s.threads.emplace_back();
                s.threads.back().index = static_cast<int>(s.threads.size()) - 1;
            }
            d->second->set(s.threads[static_cast<std::size_t>(thread)],
                           metric_raw_value(*d->second, value));
            continue;
        }
        for (const auto& f : kProcessFamilies)
            if (f.set && name == f.name) f.set(s, value);
    }
    return s;
}

MetricsServer::MetricsServer(const std::string& addr, std::function<WorkerMetricsSnapshot()> source)
    : server_(std::make_unique<httplib::Server>()) {
    const auto colon = addr.rfind(':');
    int port = -1;
    if (colon != std::string::npos && colon > 0) {
        const char* b = addr.data() + colon + 1;
        const char* e = addr.data() + addr.size();
        auto [p, ec] = std::from_chars(b, e, port);
        if (ec != std::errc() || p != e || b == e) port = -1;
    }
    if (port < 0 || port > 65535)
        throw UsageError("--metrics-addr must be HOST:PORT (e.g. 127.0.0.1:9464), got '" + addr +
                         "'");
    host_ = addr.substr(0, colon);
    if (host_.size() > 2 && host_.front() == '[' && host_.back() == ']')
        host_ = host_.substr(1, host_.size() - 2);

    server_->Get("/metrics", [source](const httplib::Request&, httplib::Response& res) {
        res.set_content(prometheus_text(source()), "text/plain; version=0.0.4; charset=utf-8");
    });
    server_->Get("/", [](const httplib::Request&, httplib::Response& res) {
        res.set_content("ebapctl worker: metrics at /metrics\n", "text/plain");
    });
    if (port == 0) {
        port_ = server_->bind_to_any_port(host_);
    } else {
        port_ = server_->bind_to_port(host_, port) ? port : -1;
    }
    if (port_ <= 0)
        throw Error("metrics endpoint: cannot listen on " + addr +
                    " (address in use or not local?); choose another --metrics-addr");
    thread_ = std::thread([this] { server_->listen_after_bind(); });
}

MetricsServer::~MetricsServer() {
    server_->stop();
    if (thread_.joinable()) thread_.join();
}

} // namespace ebap::pipeline
