// Hot-path decoding cost: EventDecoder (simdjson On-Demand, reused buffers) against a
// nlohmann::json DOM of the same record, plus the cold-path enrich splice. The ratio
// DOM / decoder is what we report. Run: decode_bench --benchmark_min_time=1
#include "pipeline/decode/cdc.hpp"
#include "pipeline/decode/event.hpp"

#include <benchmark/benchmark.h>
#include <nlohmann/json.hpp>

#include <string>

namespace {

using namespace ebap::pipeline;

// A typical generator event (~180 bytes).
const std::string kEvent =
    R"({"event_id":"7f3c1a2e-5b6d-4c8e-9f01-23456789abcd","user_id":48213,)"
    R"("event_type":"purchase","ts":1718000000123,"session_id":"s-91a2b3c4",)"
    R"("region":"eu-west","amount":42.5,"latency_ms":87.3,"status":"ok"})";

void BM_DecodeSimdjsonOnDemand(benchmark::State& state) {
    EventDecoder decoder;
    Event ev;
    for (auto _ : state) {
        auto reason = decoder.decode(kEvent, ev);
        benchmark::DoNotOptimize(reason);
        benchmark::DoNotOptimize(ev.user_id);
    }
    state.SetItemsProcessed(state.iterations());
    state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(kEvent.size()));
}
BENCHMARK(BM_DecodeSimdjsonOnDemand);

// The DOM alone (what "nlohmann::json::parse per event" costs).
void BM_ParseNlohmannDom(benchmark::State& state) {
    for (auto _ : state) {
        auto j = nlohmann::json::parse(kEvent);
        benchmark::DoNotOptimize(j);
    }
    state.SetItemsProcessed(state.iterations());
    state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(kEvent.size()));
}
BENCHMARK(BM_ParseNlohmannDom);

// The DOM plus pulling the same fields out into an Event (the fair comparison).
void BM_DecodeNlohmannDom(benchmark::State& state) {
    Event ev;
    for (auto _ : state) {
        const auto j = nlohmann::json::parse(kEvent);
        ev.event_id = j.at("event_id").get<std::string>();
        ev.user_id = j.at("user_id").get<std::int64_t>();
        ev.type = *parse_event_type(j.at("event_type").get<std::string>());
        ev.ts_ms = j.at("ts").get<std::int64_t>();
        ev.session_id = j.value("session_id", "");
        ev.region = j.value("region", "");
        ev.amount = j.value("amount", 0.0);
        ev.latency_ms = j.value("latency_ms", -1.0);
        ev.error = j.value("status", "ok") == "error";
        benchmark::DoNotOptimize(ev.user_id);
    }
    state.SetItemsProcessed(state.iterations());
    state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(kEvent.size()));
}
BENCHMARK(BM_DecodeNlohmannDom);

void BM_EnrichSplice(benchmark::State& state) {
    UserProfile p;
    p.id = 48213;
    p.name = "Ana Lima";
    p.region = "eu-west";
    p.tier = "gold";
    std::string out;
    for (auto _ : state) {
        out.clear();
        append_enriched_json(out, kEvent, &p, "eu-west");
        benchmark::DoNotOptimize(out.data());
    }
    state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_EnrichSplice);

} // namespace

BENCHMARK_MAIN();
