// Collectors publish snapshots that readers take without waiting; the embeddable worker
// starts, reports its state and metrics, and stops, all against real servers (a real
// redis-server, librdkafka's mock cluster over TCP).
#include "core/base/log.hpp"
#include "core/base/time.hpp"
#include "core/catalog/catalog.hpp"
#include "core/collect/health_collector.hpp"
#include "core/collect/kpi_collector.hpp"
#include "core/embedded/kafka_mock.hpp"
#include "core/embedded/local_servers.hpp"
#include "core/redis/redis_client.hpp"
#include "pipeline/worker/metrics_http.hpp"
#include "pipeline/worker/worker.hpp"
#include "pipeline/worker/worker_collector.hpp"
#include "support/pipeline_harness.hpp"
#include "support/redis_server.hpp"
#include "support/silent_listener.hpp"
#include "support/temp_dir.hpp"

#include <gtest/gtest.h>

#include <future>
#include <thread>
#include <unistd.h>

namespace ebap::collect {
namespace {

using namespace std::chrono_literals;

// Waits (polling, bounded) until pred holds; the bound is a hang guard, not a threshold.
template <typename Pred>
bool eventually(Pred pred, std::chrono::seconds bound = 60s) {
    const auto end = std::chrono::steady_clock::now() + bound;
    while (std::chrono::steady_clock::now() < end) {
        if (pred()) return true;
        std::this_thread::sleep_for(10ms);
    }
    return pred();
}

struct Counting {
    int value = 0;
};

// Rounds count up; a round fails while `fail` is set, blocks while `hold` is set.
class FakeCollector final : public Collector<Counting> {
  public:
    FakeCollector() : Collector("fake", 10ms, 40ms) {}
    ~FakeCollector() override { stop(); }
    std::atomic<bool> fail{false}, hold{false}, holding{false};

  protected:
    Counting collect(const Snapshot<Counting>* prev) override {
        while (hold.load()) {
            holding.store(true);
            std::this_thread::sleep_for(1ms);
        }
        holding.store(false);
        if (fail.load()) throw std::runtime_error("backend down");
        return {prev ? prev->data.value + 1 : 1};
    }
};

TEST(Collector, CollectOnceCountsARoundAndAFailureKeepsTheLastGoodData) {
    FakeCollector c;
    EXPECT_EQ(c.latest(), nullptr);
    auto s = c.collect_once();
    ASSERT_NE(s, nullptr);
    EXPECT_EQ(s->data.value, 1);
    EXPECT_EQ(s->rounds, 1u);
    EXPECT_TRUE(s->error.empty());
    EXPECT_GT(s->taken_ms, 0);
    c.fail = true;
    s = c.collect_once();
    EXPECT_EQ(s->data.value, 1); // the last good data
    EXPECT_EQ(s->error, "backend down");
    EXPECT_EQ(s->rounds, 2u);
    EXPECT_THROW(c.collect_once(/*rethrow=*/true), std::runtime_error);
    c.fail = false;
    s = c.collect_once();
    EXPECT_EQ(s->data.value, 2);
    EXPECT_TRUE(s->error.empty());
}

TEST(Collector, ReadingNeverWaitsForARoundInProgressAndLapsedTicksAreCounted) {
    FakeCollector c;
    std::atomic<int> published{0};
    c.on_publish([&] { ++published; });
    c.start();
    ASSERT_TRUE(eventually([&] { return c.latest() && c.latest()->data.value >= 2; }));
    c.hold = true;
    ASSERT_TRUE(eventually([&] { return c.holding.load(); }));
    // The round is stuck in its backend; readers still get the last snapshot at once.
    const auto during = c.latest();
    ASSERT_NE(during, nullptr);
    std::this_thread::sleep_for(100ms); // >= 10 intervals of 10 ms inside one round
    EXPECT_EQ(c.latest()->rounds, during->rounds);
    c.hold = false;
    ASSERT_TRUE(eventually([&] { return c.latest()->rounds > during->rounds; }));
    EXPECT_GE(c.latest()->skipped, 5u);
    c.stop();
    EXPECT_EQ(published.load(), static_cast<int>(c.latest()->rounds));
}

TEST(Collector, ALiveIntervalChangeAndAPokeRunRounds) {
    FakeCollector c;
    c.set_interval(1h);
    c.start();
    ASSERT_TRUE(eventually([&] { return c.latest() != nullptr; }));
    const auto first = c.latest()->rounds;
    c.poke();
    ASSERT_TRUE(eventually([&] { return c.latest()->rounds > first; }));
    EXPECT_EQ(c.interval(), 1h);
}

// The console stops its collectors together: one whose round ends while another is still
// being waited for must not start a new round (the hung backends' deadlines would add up).
TEST(Collector, AStopRequestedDuringARoundStartsNoOtherRound) {
    FakeCollector a, b;
    a.start();
    b.start();
    ASSERT_TRUE(eventually([&] { return a.latest() && b.latest(); }));
    a.hold = true;
    b.hold = true;
    ASSERT_TRUE(eventually([&] { return a.holding.load() && b.holding.load(); }));
    const auto held = a.latest()->rounds;
    a.request_stop();
    b.request_stop();
    a.hold = false;
    ASSERT_TRUE(eventually([&] { return a.latest()->rounds == held + 1; }));
    std::this_thread::sleep_for(100ms); // 10 intervals in which a would run again
    EXPECT_EQ(a.latest()->rounds, held + 1);
    b.hold = false;
    b.stop();
    a.stop();
    EXPECT_EQ(a.latest()->rounds, held + 1);
}

// A hidden view's collector is slowed down, then sped up when the view is shown again: the
// shorter interval applies at once, not after the longer one has run out.
TEST(Collector, AnIntervalShortenedAgainWhileWaitingForALongerOneApplies) {
    FakeCollector c;
    c.start();
    ASSERT_TRUE(eventually([&] { return c.latest() != nullptr; }));
    c.set_interval(1h);
    std::this_thread::sleep_for(100ms); // the thread now waits for the hour
    const auto before = c.latest()->rounds;
    c.set_interval(10ms);
    EXPECT_TRUE(eventually([&] { return c.latest()->rounds > before; })); // not in an hour
}

std::shared_ptr<const Config> config_for(const std::string& toml) {
    return std::make_shared<const Config>(Config::from_toml(toml, "test.toml"));
}

TEST(KpiCollectorTest, ReadsTheHashesAndSeriesWrittenInRedis) {
    test::RedisServer redis;
    redis.start();
    RedisClient client(RedisOptions{.host = "127.0.0.1", .port = redis.port()});
    const std::string now = std::to_string(now_ms());
    client.command({"HSET", "ebap:kpi:now", "eps", "12.5", "active_users_1m", "40",
                    "updated_ms", now});
    client.command({"SADD", "ebap:regions", "eu-west"});
    client.command({"HSET", "ebap:region:eu-west", "events_1m", "300", "health", "warn",
                    "updated_ms", now});
    client.command({"XADD", "ebap:ts:kpi", "1000-0", "eps", "3", "active_users", "7"});
    client.command({"XADD", "ebap:ts:kpi", "2000-0", "eps", "4", "active_users", "8"});
    auto config = config_for("[redis]\nhost = \"127.0.0.1\"\nport = " +
                             std::to_string(redis.port()) + "\n");
    KpiCollector kpi(config, {.now = true, .regions = true, .series = 10});
    const auto s = kpi.collect_once(true);
    ASSERT_TRUE(s->data.now.eps);
    EXPECT_EQ(*s->data.now.eps, 12.5);
    EXPECT_EQ(*s->data.now.active_users_1m, 40);
    ASSERT_EQ(s->data.regions.size(), 1u);
    EXPECT_EQ(s->data.regions[0].region, "eu-west");
    EXPECT_EQ(s->data.regions[0].health, "warn");
    EXPECT_EQ(*s->data.regions[0].events_1m, 300);
    ASSERT_EQ(s->data.series.size(), 2u);
    EXPECT_EQ(s->data.series[0].ms, 1000);
    EXPECT_EQ(*s->data.series[1].active_users, 8);

    redis.stop(); // the next round fails, names Redis, and keeps the data
    const auto down = kpi.collect_once();
    EXPECT_NE(down->error.find("127.0.0.1:" + std::to_string(redis.port())), std::string::npos)
        << down->error;
    ASSERT_TRUE(down->data.now.eps);
    EXPECT_EQ(*down->data.now.eps, 12.5);
}

TEST(HealthCollectorTest, StatesHistoryAndSinceFollowTheProbes) {
    test::SilentListener up; // accepts, never answers: enough for a tcp probe
    const int dead = free_tcp_port();
    const Catalog cat = parse_catalog(
        "[catalog]\nname = \"t\"\n[stacks.s]\ndriver = \"external\"\n"
        "[[service]]\nname = \"alive\"\nstack = \"s\"\nprobe = \"tcp\"\nendpoint = \"127.0.0.1:" +
            std::to_string(up.port()) +
            "\"\n[[service]]\nname = \"gone\"\nstack = \"s\"\nprobe = \"tcp\"\n"
            "optional = true\nendpoint = \"127.0.0.1:" +
            std::to_string(dead) + "\"\n",
        "cat.toml");
    // "alive" was UP since a known time in an earlier run: the seed carries it over.
    HealthCollector health(config_for(""), cat, {{"alive", {"UP", 1234}}, {"gone", {"UP", 99}}});
    auto s = health.collect_once();
    ASSERT_EQ(s->data.services.size(), 2u);
    const ServiceHealth& a = s->data.services[0];
    const ServiceHealth& g = s->data.services[1];
    EXPECT_EQ(a.name, "alive");
    EXPECT_EQ(a.result.state, Health::Up);
    EXPECT_EQ(a.since_ms, 1234);
    EXPECT_EQ(g.result.state, Health::Down);
    EXPECT_EQ(g.since_ms, g.result.at_ms); // its state changed: since is now
    EXPECT_TRUE(s->data.healthy);          // "gone" is optional
    s = health.collect_once();
    EXPECT_EQ(s->data.services[0].history, (std::vector<Health>{Health::Up, Health::Up}));
    EXPECT_EQ(s->data.services[0].since_ms, 1234);
    EXPECT_EQ(s->data.services[1].history, (std::vector<Health>{Health::Down, Health::Down}));
}

} // namespace
} // namespace ebap::collect

namespace ebap::pipeline {
namespace {

using namespace std::chrono_literals;
using collect::eventually;

TEST(EmbeddableWorker, StartReturnsAtOnceAndAnUnreachableRedisIsAFailedState) {
    auto log = std::make_shared<log::RingBuffer>(100);
    log::ScopedSink capture(log);
    const int dead = free_tcp_port();
    const Config config = Config::from_toml(
        "[redis]\nhost = \"127.0.0.1\"\nport = " + std::to_string(dead) +
            "\n[kafka]\nbootstrap_servers = \"127.0.0.1:" + std::to_string(free_tcp_port()) +
            "\"\n",
        "w.toml");
    Worker w(config, WorkerOptions{.cold = false});
    EXPECT_EQ(w.state(), WorkerState::Idle);
    w.start(); // no I/O on this thread
    ASSERT_TRUE(eventually([&] { return w.state() == WorkerState::Failed; }));
    EXPECT_NE(w.error().find("127.0.0.1:" + std::to_string(dead)), std::string::npos)
        << w.error();
    EXPECT_THROW(w.wait(), Error);
    // The failure went through the log interface, not to stderr.
    const auto lines = log->since();
    ASSERT_FALSE(lines.empty());
    EXPECT_EQ(lines.back().source, "worker");
    EXPECT_EQ(lines.back().level, log::Level::Error);
}

TEST(EmbeddableWorker, RunsStreamsReportsMetricsAndStops) {
    auto log = std::make_shared<log::RingBuffer>(1000);
    log::ScopedSink capture(log);
    test::RedisServer redis;
    redis.start();
    EmbeddedKafka kafka(1);
    kafka.create_design_topics(2);
    const Config config = Config::from_toml("[redis]\nhost = \"127.0.0.1\"\nport = " +
                                                std::to_string(redis.port()) +
                                                "\n[kafka]\nbootstrap_servers = \"" +
                                                kafka.bootstrap() + "\"\n",
                                            "w.toml");
    auto w = std::make_shared<Worker>(config, WorkerOptions{.threads = 2, .cold = false});
    WorkerCollector collector([w] { return std::shared_ptr<const Worker>(w); }, 50ms);
    w->start();
    ASSERT_TRUE(eventually([&] { return w->state() == WorkerState::Running; }))
        << worker_state_name(w->state()) << " " << w->error();
    const std::int64_t ts = now_ms();
    test::TestProducer producer(kafka.bootstrap());
    for (int i = 0; i < 40; ++i)
        producer.send("ebap.events.raw", i % 2, std::to_string(i % 5),
                      R"({"event_id":"e)" + std::to_string(i) + R"(","user_id":)" +
                          std::to_string(i % 5) + R"(,"event_type":"view","ts":)" +
                          std::to_string(ts) + "}");
    producer.flush();
    ASSERT_TRUE(eventually([&] { return w->metrics().total().records == 40; }))
        << w->metrics().total().records;
    const auto seen = collector.collect_once();
    EXPECT_EQ(seen->data.state, "running");
    EXPECT_EQ(seen->data.total.records, 40);
    EXPECT_EQ(seen->data.metrics.threads.size(), 2u);
    w->stop();
    const WorkerSummary summary = w->wait();
    EXPECT_EQ(w->state(), WorkerState::Stopped);
    EXPECT_TRUE(summary.ok);
    EXPECT_EQ(summary.totals.records, 40);
    EXPECT_EQ(summary.totals.events, 40);
    EXPECT_EQ(collector.collect_once()->data.state, "stopped");
}

TEST(WorkerScrape, ParsesTheExpositionBackIntoTheSameFields) {
    const std::string text = "# HELP ebap_worker_records_total x\n"
                             "# TYPE ebap_worker_records_total counter\n"
                             "ebap_worker_records_total{thread=\"0\"} 10\n"
                             "ebap_worker_records_total{thread=\"1\"} 32\n"
                             "ebap_worker_poll_seconds_total{thread=\"1\"} 1.5\n"
                             "ebap_worker_paused{thread=\"0\"} 1\n"
                             "ebap_worker_some_future_family{thread=\"0\"} 7\n"
                             "ebap_worker_profiles 9\n"
                             "ebap_worker_uptime_seconds 4\n"
                             "garbage line\n";
    const WorkerMetricsSnapshot s = parse_prometheus_text(text, 100'000);
    ASSERT_EQ(s.threads.size(), 2u);
    EXPECT_EQ(s.threads[0].records, 10);
    EXPECT_EQ(s.threads[1].records, 32);
    EXPECT_EQ(s.threads[1].poll_us, 1'500'000);
    EXPECT_EQ(s.threads[0].paused, 1);
    EXPECT_EQ(s.profiles, 9);
    EXPECT_EQ(s.started_ms, 96'000);
    EXPECT_EQ(s.total().records, 42);
}

} // namespace
} // namespace ebap::pipeline
