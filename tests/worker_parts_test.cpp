// The worker's small parts on their own: the telemetry decoder and its latest-value
// batch, the --drain tracker, and the Prometheus text and log line built from a metrics
// snapshot.
#include "pipeline/worker/drain_tracker.hpp"
#include "pipeline/worker/metrics_http.hpp"
#include "pipeline/decode/telemetry.hpp"
#include "pipeline/worker/worker_metrics.hpp"

#include <gtest/gtest.h>

#include <regex>
#include <sstream>

namespace ebap::pipeline {
namespace {

TEST(TelemetryDecoder, ReadsRecordsAndNamesWhatIsWrong) {
    TelemetryDecoder d;
    TelemetryRecord r;
    ASSERT_EQ(d.decode(R"({"service":"redis","region":"eu-west","metric":"mem_mb","value":12.5,)"
                       R"("ts":1700000000123,"extra":[1,2]})",
                       r),
              std::nullopt);
    EXPECT_EQ(r.service, "redis");
    EXPECT_EQ(r.region, "eu-west");
    EXPECT_EQ(r.metric, "mem_mb");
    EXPECT_DOUBLE_EQ(r.value, 12.5);
    EXPECT_EQ(r.ts_ms, 1700000000123);

    // RFC 3339 time; a reused record carries nothing over from the previous one.
    ASSERT_EQ(
        d.decode(R"({"service":"kafka","metric":"lag","value":3,"ts":"2023-11-14T22:13:20.5Z"})",
                 r),
        std::nullopt);
    EXPECT_EQ(r.region, "");
    EXPECT_EQ(r.ts_ms, 1700000000500);

    const auto reason = [&](std::string_view json) { return d.decode(json, r).value_or("ok"); };
    EXPECT_EQ(reason(R"({"metric":"m","value":1})"), "missing required field 'service'");
    EXPECT_EQ(reason(R"({"service":"s","value":1})"), "missing required field 'metric'");
    EXPECT_EQ(reason(R"({"service":"s","metric":"m"})"), "missing required field 'value'");
    EXPECT_EQ(reason(R"({"service":"s","metric":"m","value":"high"})"),
              "field 'value' must be a number");
    EXPECT_EQ(reason(R"({"service":7,"metric":"m","value":1})"),
              "field 'service' must be a string");
    EXPECT_EQ(reason(R"({"service":"s","metric":"m","value":1,"ts":"yesterday"})"),
              "field 'ts' is not RFC 3339");
    EXPECT_EQ(reason(R"([1,2])"), "not a JSON object");
    EXPECT_EQ(reason(R"({"service":"s","metric":"m","value":1} {})"),
              "trailing content after the JSON object");
    EXPECT_EQ(reason(R"({"service":"s",)").rfind("invalid JSON: ", 0), 0u)
        << reason(R"({"service":"s",)");
}

TEST(TelemetryLatest, KeepsTheLastValuePerServiceAndMetricAsOneHsetPerService) {
    TelemetryLatest t;
    t.add({"redis", "eu-west", "mem_mb", 10, 1000});
    t.add({"redis", "eu-west", "mem_mb", 11, 2000}); // later record of the same pair wins
    t.add({"redis", "eu-west", "clients", 3, 2000});
    t.add({"kafka", "", "lag", 0.5, 1500});
    EXPECT_EQ(t.size(), 3u);
    const auto cmds = t.redis_commands("ebap:");
    ASSERT_EQ(cmds.size(), 2u);
    EXPECT_EQ(cmds[0],
              (std::vector<std::string>{"HSET", "ebap:svc:kafka", "lag", "0.5", "lag:ts", "1500"}));
    EXPECT_EQ(cmds[1], (std::vector<std::string>{
                           "HSET", "ebap:svc:redis", "clients", "3", "clients:ts", "2000", "region",
                           "eu-west", "mem_mb", "11", "mem_mb:ts", "2000", "region", "eu-west"}));
    t.clear();
    EXPECT_TRUE(t.empty());
    EXPECT_TRUE(t.redis_commands("ebap:").empty());
}

TEST(DrainTracker, DoneWhenEveryPartitionCommittedItsTarget) {
    const TopicPartition a{"t", 0}, b{"t", 1}, empty{"t", 2};
    DrainTracker d({{a, 100}, {b, 50}, {empty, 0}});
    EXPECT_EQ(d.partitions(), 3u);
    EXPECT_FALSE(d.done());
    EXPECT_EQ(d.remaining(), 150);
    d.report(a, 40);
    EXPECT_EQ(d.remaining(), 110);
    d.report({"other", 0}, 1'000'000); // not a target: ignored
    d.report(b, 50);
    EXPECT_FALSE(d.done());
    d.report(a, 120); // past the target (records produced after the start) also counts
    EXPECT_TRUE(d.done());
    EXPECT_EQ(d.remaining(), 0);
    d.report(a, 10); // a late, lower report cannot undo it
    EXPECT_TRUE(d.done());

    EXPECT_TRUE(DrainTracker({{empty, 0}}).done()); // nothing to drain at all
}

WorkerMetricsSnapshot sample_snapshot() {
    WorkerMetricsSnapshot s;
    s.taken_ms = 10'000;
    s.started_ms = 4'000;
    s.profiles = 7;
    s.cdc_lag_ms = 250;
    for (int i = 0; i < 2; ++i) {
        ThreadMetricsSnapshot t;
        t.index = i;
        t.events = 100 + i;
        t.late = i;
        t.queue_depth = 5;
        t.cold_pending = 10 * (i + 1);
        t.watermark_ms = 8'000 + i * 500;
        t.process_us = 1'500'000;
        t.paused = i == 1;
        s.threads.push_back(t);
    }
    return s;
}

TEST(WorkerMetrics, PrometheusTextHasOneHeaderPerFamilyAndASamplePerThread) {
    const std::string text = prometheus_text(sample_snapshot());
    EXPECT_NE(text.find("# HELP ebap_worker_events_total "), std::string::npos);
    EXPECT_NE(text.find("# TYPE ebap_worker_events_total counter\n"), std::string::npos);
    EXPECT_NE(text.find("ebap_worker_events_total{thread=\"0\"} 100\n"), std::string::npos);
    EXPECT_NE(text.find("ebap_worker_events_total{thread=\"1\"} 101\n"), std::string::npos);
    EXPECT_NE(text.find("ebap_worker_cold_pending{thread=\"1\"} 20\n"), std::string::npos);
    EXPECT_NE(text.find("ebap_worker_process_seconds_total{thread=\"0\"} 1.5\n"),
              std::string::npos);
    EXPECT_NE(text.find("ebap_worker_paused{thread=\"1\"} 1\n"), std::string::npos);
    EXPECT_NE(text.find("\nebap_worker_profiles 7\n"), std::string::npos);
    EXPECT_NE(text.find("\nebap_worker_uptime_seconds 6\n"), std::string::npos);
    EXPECT_NE(text.find("\nebap_worker_cdc_lag_seconds 0.25\n"), std::string::npos);
    // Every line is a comment or "name[{labels}] number", and no family is declared twice.
    std::istringstream in(text);
    std::map<std::string, int> types;
    static const std::regex kSample(R"(^[a-z_]+(\{thread="\d+"\})? -?[0-9.e+]+$)");
    for (std::string line; std::getline(in, line);) {
        if (line.rfind("# TYPE ", 0) == 0) {
            ++types[line.substr(7, line.find(' ', 7) - 7)];
            continue;
        }
        if (line.rfind("# HELP ", 0) == 0) continue;
        EXPECT_TRUE(std::regex_match(line, kSample)) << line;
    }
    for (const auto& [name, n] : types)
        EXPECT_EQ(n, 1) << name;
    EXPECT_GT(types.size(), 30u);
}

TEST(WorkerMetrics, TotalsSumCountersAndTheLogLineShowsThem) {
    const WorkerMetricsSnapshot s = sample_snapshot();
    const ThreadMetricsSnapshot t = s.total();
    EXPECT_EQ(t.events, 201);
    EXPECT_EQ(t.cold_pending, 30);
    EXPECT_EQ(t.process_us, 3'000'000);
    EXPECT_EQ(t.watermark_ms, 8'500); // a gauge: the max, not the sum
    EXPECT_TRUE(t.paused);
    const std::string line = metrics_log_line(s);
    EXPECT_NE(line.find("events 201"), std::string::npos) << line;
    EXPECT_NE(line.find("cold pending 30"), std::string::npos) << line;
    EXPECT_NE(line.find("PAUSED"), std::string::npos) << line;
}

} // namespace
} // namespace ebap::pipeline
