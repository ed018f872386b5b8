// What one console frame costs: the overview drawn into an off-screen ncurses terminal
// (xterm-256color, output to a temp file) from a Model of realistic snapshots. Modes:
// full (the Frame invalidated: every widget drawn, ncurses sends what differs from the
// screen it holds), one_kpi (one gauge's value changed), idle (nothing changed), kpi_tick
// (a new KPI snapshot: every gauge's history moves, the regions redraw), clock_tick (the
// second changed: header and service ages) and repaint (full, and every cell sent again,
// as after a resize).
// Run: console_frame_bench --benchmark_repetitions=9 --benchmark_report_aggregates_only=true
#include "tui/model.hpp"
#include "tui/screen.hpp"
#include "tui/theme.hpp"
#include "tui/views.hpp"

#include <benchmark/benchmark.h>
#include <curses.h>
#include <fmt/format.h>

#include <clocale>
#include <cstdio>
#include <random>
#include <stdexcept>
#include <sys/stat.h>

namespace {

using namespace ebap;
using namespace ebap::tui;

constexpr std::int64_t kNow = 1'780'000'000'000; // a fixed wall clock: the header stays put

template <class T>
std::shared_ptr<const collect::Snapshot<T>> snapshot(T data, std::uint64_t rounds,
                                                     std::int64_t taken) {
    auto s = std::make_shared<collect::Snapshot<T>>();
    s->data = std::move(data);
    s->rounds = rounds;
    s->taken_ms = taken;
    s->round_ms = 12;
    return s;
}

collect::HealthData health(std::mt19937& rng) {
    static const char* kNames[] = {"kafka",   "redis",         "postgres",   "trino",
                                   "minio",   "flink-jm",      "schema-reg", "kafka-connect",
                                   "grafana", "worker-metrics"};
    collect::HealthData d;
    d.catalog = "bench";
    std::uniform_real_distribution<double> lat(0.4, 40);
    for (int i = 0; i < 10; ++i) {
        collect::ServiceHealth s;
        s.name = kNames[i];
        s.stack = i < 3 ? "core" : "platform";
        s.probe_kind = i == 1 ? "redis" : i == 2 ? "postgres" : i == 0 ? "kafka" : "http";
        s.endpoint = fmt::format("10.0.0.{}:{}", 10 + i, 8000 + i);
        s.optional = i >= 8;
        const Health h = i == 3 ? Health::Down : i == 6 ? Health::Degraded : Health::Up;
        s.result = {h, lat(rng),
                    h == Health::Down       ? "connect to 10.0.0.13:8003: connection refused"
                    : h == Health::Degraded ? "HTTP 503 from /v1/info (starting)"
                                            : "",
                    kNow - 800};
        s.since_ms = kNow - 1000 * (60 + 97 * i);
        for (std::size_t k = 0; k < collect::kHealthHistory; ++k) {
            s.history.push_back(k % 17 == 3 && i == 6 ? Health::Degraded : h);
            s.latency.push_back(h == Health::Down ? std::nullopt : std::optional<double>(lat(rng)));
        }
        d.services.push_back(std::move(s));
    }
    return d;
}

collect::LagData lag() {
    collect::LagData d;
    d.kafka.ts_ms = kNow;
    d.kafka.bootstrap = "10.0.0.10:9092";
    for (auto [name, parts] : {std::pair{"ebap.events.raw", 6}, std::pair{"ebap.events.dlq", 3},
                               std::pair{"ebap.users.cdc", 3}}) {
        TopicOffsets t;
        t.name = name;
        for (int p = 0; p < parts; ++p) {
            t.watermarks.push_back({p, 1000, 1'250'000 + 7919 * p, ""});
            t.messages += t.watermarks.back().high - 1000;
            t.high_sum += t.watermarks.back().high;
        }
        d.rates[name] = 830.0 * parts;
        d.kafka.topics.push_back(std::move(t));
    }
    for (auto [group, behind] :
         {std::pair{"ebapctl-workers", 120}, std::pair{"lakehouse-loader", 45'000}}) {
        collect::GroupReport g;
        g.lag.group = group;
        g.lag.state = "Stable";
        g.lag.members = 2;
        for (int p = 0; p < 6; ++p) {
            const std::int64_t high = 1'250'000 + 7919 * p;
            g.lag.partitions.push_back(
                {"ebap.events.raw", p, 1000, high, high - behind * (p + 1), behind * (p + 1), ""});
            g.lag.total_lag += behind * (p + 1);
            PartitionVerdict v;
            v.status = behind > 1000 ? LagStatus::Warn : LagStatus::Ok;
            v.reason = behind > 1000 ? "lag grew in 8 of 10 observations"
                                     : "consuming, lag within the window";
            v.lag = behind * (p + 1);
            v.observations = 10;
            v.complete = 1;
            v.consume_rate = 830;
            v.drain_rate = behind > 1000 ? -12.5 : 3.0;
            g.verdict.partitions.push_back(v);
        }
        g.verdict.status = behind > 1000 ? LagStatus::Warn : LagStatus::Ok;
        g.verdict.reason = g.verdict.partitions.front().reason;
        g.verdict.total_lag = g.lag.total_lag;
        g.verdict.complete = 1;
        g.verdict.maxlag = 5;
        g.verdict.consume_rate = 4980;
        g.verdict.drain = behind > 1000 ? Drain::Never : Drain::KeepingUp;
        d.groups.push_back(std::move(g));
    }
    return d;
}

collect::KpiData kpi(std::mt19937& rng) {
    collect::KpiData d;
    d.now.eps = 4987;
    d.now.active_users_1m = 1312;
    d.now.purchases_1m = 161;
    d.now.revenue_1m = 12'480.5;
    d.now.error_rate_1m = 0.0132;
    d.now.late_events = 312;
    d.now.dlq_events = 25;
    d.now.watermark_ms = double(kNow - 4000);
    d.now.updated_ms = double(kNow - 600);
    d.now.present = true;
    d.now.stale = false;
    d.now.age_ms = 600;
    static const char* kRegions[] = {"ap-northeast", "ap-southeast", "eu-central", "eu-west",
                                     "sa-east",      "us-east",      "us-west"};
    std::uniform_real_distribution<double> u(0, 1);
    for (int i = 0; i < 7; ++i) {
        RegionHealth r;
        r.region = kRegions[i];
        r.health = i == 4 ? "crit" : i == 1 ? "warn" : "ok";
        r.events_1m = 20'000 + 9000 * u(rng);
        r.active_users_1m = 150 + 80 * u(rng);
        r.revenue_1m = 1500 + 900 * u(rng);
        r.error_rate = i == 4 ? 0.12 : 0.01 * u(rng);
        r.p95_latency_ms = i == 1 ? 720 : 90 + 200 * u(rng);
        r.window_start_ms = double(kNow - 60'000);
        r.updated_ms = double(kNow - 600);
        r.present = true;
        r.stale = false;
        r.age_ms = 600;
        d.regions.push_back(std::move(r));
    }
    for (std::size_t i = 0; i < kKpiHistory; ++i)
        d.series.push_back({kNow - std::int64_t(kKpiHistory - i) * 1000, 4500 + 900 * u(rng),
                            1100 + 400 * u(rng)});
    return d;
}

pipeline::WorkerData workers() {
    pipeline::WorkerData d;
    d.source = "in-process";
    d.state = "running";
    for (int i = 0; i < 2; ++i) {
        pipeline::ThreadMetricsSnapshot t;
        t.index = i;
        t.records = 4'000'000 + i;
        t.records_per_s = 2493;
        t.queue_depth = 17;
        t.late = 150;
        t.dlq = 12;
        d.metrics.threads.push_back(t);
    }
    d.metrics.taken_ms = kNow;
    d.total = d.metrics.total();
    return d;
}

// A console ten minutes in: every source answered ~600 times, the histories are full.
struct Bench {
    Model m;
    UiState ui;
    collect::Collector<collect::KpiData>::Ptr kpi_a, kpi_b; // one gauge's value apart
    Bench() {
        std::mt19937 rng(1);
        m.catalog = "bench";
        m.kafka = "10.0.0.10:9092,10.0.0.11:9092,10.0.0.12:9092";
        m.redis = "10.0.0.20:6379";
        m.gauges = default_gauges(0.02, 0.10);
        m.health = snapshot(health(rng), 300, kNow - 800);
        m.lag = snapshot(lag(), 300, kNow - 700);
        m.workers = snapshot(workers(), 600, kNow - 300);
        kpi_a = snapshot(kpi(rng), 600, kNow - 600);
        auto b = *kpi_a;
        b.data.now.eps = *b.data.now.eps + 1;
        kpi_b = std::make_shared<const collect::Snapshot<collect::KpiData>>(std::move(b));
        m.kpi = kpi_a;
        std::uniform_real_distribution<double> u(0, 1);
        for (const auto& g : m.gauges)
            for (std::size_t i = 0; i < kKpiHistory; ++i)
                m.kpi_history[g.key].push_back(g.lo + (g.hi - g.lo) * (0.3 + 0.4 * u(rng)));
        for (const auto& gr : m.lag->data.groups) {
            for (std::size_t i = 0; i < kLagHistory; ++i)
                m.lag_history[gr.lag.group].push_back(double(gr.verdict.total_lag) *
                                                      (0.8 + 0.4 * u(rng)));
            m.prev_group_lag[gr.lag.group] = m.lag_history[gr.lag.group].back();
        }
        for (const auto& r : m.kpi->data.regions)
            m.prev_regions[r.region] = r;
        for (int i = 0; i < 200; ++i)
            m.note(kNow - 1000 * (200 - i),
                   fmt::format("svc:trino DOWN: connection refused ({})", i), 3);
        ui.hints = ": command  / filter  Tab panel  ? help  q quit";
    }
};

// The off-screen terminal writes to a temp file: its growth is the bytes a real terminal
// would have been sent.
struct Term {
    std::FILE* out = std::tmpfile();
    Screen screen;
    Term(int cols, int rows) : screen(default_theme(), false, Offscreen{out, rows, cols}) {}
    ~Term() { std::fclose(out); }
    long bytes() const {
        struct stat st {};
        return fstat(fileno(out), &st) == 0 ? long(st.st_size) : 0;
    }
};

enum Mode { full, one_kpi, idle, kpi_tick, clock_tick, repaint };

void BM_Frame(benchmark::State& state) {
    const int cols = int(state.range(0)), rows = int(state.range(1));
    const auto mode = Mode(state.range(2));
    Bench b;
    Term t(cols, rows);
    Frame frame;
    draw(t.screen, b.m, b.ui, kNow, frame);
    t.screen.show();
    // The tick modes alternate two snapshots / seconds, so every frame sees a change; the
    // next round's ts:kpi series has moved by one point.
    auto next_round = std::make_shared<collect::Snapshot<collect::KpiData>>(*b.kpi_a);
    next_round->rounds += 1;
    next_round->taken_ms += 1000;
    auto& series = next_round->data.series;
    series.erase(series.begin());
    series.push_back({kNow + 1000, 4700, 1200});
    const collect::Collector<collect::KpiData>::Ptr tick_a = b.kpi_a, tick_b = next_round;
    const long bytes0 = t.bytes();
    std::int64_t now = kNow, drawn = 0;
    std::uint64_t i = 0;
    for (auto _ : state) {
        switch (mode) {
        case full:
            frame.invalidate();
            break;
        case repaint:
            frame.invalidate();
            clearok(curscr, TRUE);
            break;
        case one_kpi:
            b.m.kpi = (i & 1) ? b.kpi_a : b.kpi_b;
            break;
        case idle:
            break;
        case kpi_tick: {
            auto next = (i & 1) ? tick_a : tick_b;
            b.m.absorb(b.m.health, b.m.lag, next, b.m.workers);
            break;
        }
        case clock_tick:
            now += 1000;
            break;
        }
        draw(t.screen, b.m, b.ui, now, frame);
        t.screen.show(); // the frame's one doupdate(), as the console does
        drawn += frame.drawn;
        ++i;
    }
    std::fflush(t.out);
    state.counters["drawn"] = benchmark::Counter(double(drawn), benchmark::Counter::kAvgIterations);
    state.counters["bytes"] =
        benchmark::Counter(double(t.bytes() - bytes0), benchmark::Counter::kAvgIterations);
}

void sizes(benchmark::internal::Benchmark* b) {
    b->ArgNames({"cols", "rows", "mode"});
    for (auto [c, r] : {std::pair{200, 60}, std::pair{120, 40}, std::pair{80, 24}})
        for (int mode : {full, repaint, one_kpi, idle, kpi_tick, clock_tick})
            b->Args({c, r, mode});
}
BENCHMARK(BM_Frame)->Apply(sizes)->Unit(benchmark::kMicrosecond);

} // namespace

int main(int argc, char** argv) {
    // As ebapctl on a UTF-8 terminal: box drawing, braille and block glyphs.
    if (!std::setlocale(LC_ALL, "C.UTF-8"))
        std::fprintf(stderr, "console_frame_bench: no C.UTF-8 locale\n");
    benchmark::Initialize(&argc, argv);
    if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    return 0;
}
