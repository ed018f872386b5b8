// Exactly-once across crashes: `ebapctl worker` is SIGKILLed at seeded random points while
// a generated stream keeps arriving, restarted each time, and finally drained. Redis must
// hold exactly the totals of one clean pass (computed here with the per-partition
// watermark rule), the cold path every counted event exactly once, the DLQ every malformed
// record at least once. Also: two worker processes in one group count what one would.
#include "core/embedded/kafka_mock.hpp"
#include "core/redis/redis_client.hpp"
#include "pipeline/gen/generator.hpp"
#include "support/child_process.hpp"
#include "support/cli_run.hpp"
#include "support/pipeline_harness.hpp"
#include "support/ports.hpp"
#include "support/redis_server.hpp"
#include "support/temp_dir.hpp"

#include <gtest/gtest.h>
#include <httplib.h>
#include <nlohmann/json.hpp>

#include <atomic>
#include <chrono>
#include <csignal>
#include <ctime>
#include <fstream>
#include <functional>
#include <random>
#include <regex>
#include <thread>

namespace ebap::test {
namespace {

using nlohmann::json;
using Clock = std::chrono::steady_clock;

const std::string kEvents = "ebap.events.raw";
const std::string kTelemetry = "ebap.metrics.telemetry";
const std::string kCdc = "ebap.cdc.users";
const std::string kDlq = "ebap.events.dlq";
const std::string kGroup = "ebapctl-workers";
constexpr int kPartitions = 8;
constexpr std::int64_t kUsers = 400;
// A killed worker's group members linger until their session times out, and the embedded
// broker waits about that long on every rebalance: short sessions keep restarts quick. Not
// below ~3.5 s: the broker holds a first JoinGroup 3 s, and a member whose session ends
// meanwhile is dropped, forever.
const char* const kSession = "session.timeout.ms=4000";
const char* const kHeartbeat = "heartbeat.interval.ms=1000";

class WorkerCrash : public ::testing::Test {
  protected:
    void SetUp() override {
        redis_.start();
        kafka_.create_design_topics(kPartitions);
        std::ofstream(dir_.file("ebapctl.toml")) << "[worker]\nflush_ms = 200\n";
    }

    std::map<std::string, std::string> env() const {
        return {
            {"KAFKA_BOOTSTRAP_SERVERS", kafka_.bootstrap()}, {"REDIS_HOST", redis_.host()},
            {"REDIS_PORT", std::to_string(redis_.port())},   {"REDIS_PASSWORD", "<unset>"},
            {"EBAP_STATE_DIR", dir_.file("state")},          {"EBAP_COLD_ROOT", dir_.file("cold")},
            {"EBAPCTL_CONFIG", dir_.file("ebapctl.toml")}};
    }

    pid_t start_worker(const std::vector<std::string>& args, const std::string& log) {
        return spawn_ebapctl(args, env(), dir_.file(log));
    }

    // Profiles first (every user, once), as `ebapctl seed` would have them.
    void produce_profiles(TestProducer& p, pipeline::ClickstreamGenerator& gen) {
        for (const auto& rec : gen.initial_cdc(1714564800000)) {
            const std::int64_t id = json::parse(rec.key)["id"];
            p.send(kCdc, static_cast<std::int32_t>(id % 3), rec.key, rec.value);
        }
    }

    // count generated events from event time start_ms, 40 ms apart; recorded for the truth.
    void produce_events(TestProducer& p, pipeline::ClickstreamGenerator& gen, int count,
                        int per_ms = 0) {
        pipeline::GeneratedEvent ev;
        const auto started = Clock::now();
        for (int i = 0; i < count; ++i) {
            gen.next(clock_ms_, ev);
            clock_ms_ += 40;
            const std::int64_t user = std::stoll(ev.key);
            const auto partition = static_cast<std::int32_t>(user % kPartitions);
            p.send(kEvents, partition, ev.key, ev.value);
            sent_.push_back({partition, user, ev.bad, ev.bad ? json() : json::parse(ev.value)});
            if (per_ms > 0 && i % 200 == 199) // pace: keep the stream arriving while workers die
                std::this_thread::sleep_until(started +
                                              std::chrono::milliseconds((i + 1) / per_ms));
        }
    }

    void stalled_worker_is_fenced(bool cold);

    Truth truth(const pipeline::ClickstreamGenerator& gen) const {
        Truth t;
        for (const auto& s : sent_) {
            if (s.bad)
                t.add_dlq();
            else
                t.add_event(s.partition, s.event, gen.region_of(s.user));
        }
        return t;
    }

    // Sum of the next offsets the group committed to Redis.
    // Hot-path next offsets summed ("<topic>:<partition>"; not the :maxts / :cold fields).
    std::int64_t redis_progress(RedisClient& redis) {
        static const std::regex kHotField(R"([^:]+:\d+)");
        std::int64_t sum = 0;
        const RedisReply r = redis.command({"HGETALL", "ebap:offsets:" + kGroup});
        for (std::size_t i = 0; i + 1 < r.elements.size(); i += 2)
            if (std::regex_match(r.elements[i].str, kHotField))
                sum += std::stoll(r.elements[i + 1].str);
        return sum;
    }

    // Polls done() every 50 ms until it holds or timeout_ms passed; its last answer.
    static bool wait_until(const std::function<bool()>& done, int timeout_ms) {
        const auto deadline = Clock::now() + std::chrono::milliseconds(timeout_ms);
        while (!done() && Clock::now() < deadline)
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
        return done();
    }

    bool wait_for_progress(RedisClient& redis, std::int64_t beyond, int timeout_ms) {
        return wait_until([&] { return redis_progress(redis) > beyond; }, timeout_ms);
    }

    bool logged(const std::string& log, const std::string& text) const {
        return file_tail(dir_.file(log), 400).find(text) != std::string::npos;
    }

    // The profiles, then count events, every delivery confirmed.
    void produce_first(TestProducer& p, pipeline::ClickstreamGenerator& gen, int count) {
        produce_profiles(p, gen);
        produce_events(p, gen, count);
        p.flush();
    }

    // SIGTERM to every worker (flush, commit, leave the group): each must exit 0.
    void stop_gracefully(const std::vector<std::pair<pid_t, std::string>>& workers) {
        for (const auto& [pid, log] : workers)
            kill(pid, SIGTERM);
        for (const auto& [pid, log] : workers) {
            const int status = wait_exit(pid, 30000);
            if (status < 0) stop_child(pid, SIGKILL, 1000);
            EXPECT_EQ(status, 0) << file_tail(dir_.file(log), 40);
        }
    }

    CliResult drain() {
        return run_cli({"--json", "worker", "--drain", "-X", kSession, "-X", kHeartbeat}, env(),
                       60000);
    }

    void expect_everything_matches(const Truth& t, RedisClient& redis, bool dlq_exactly_once) {
        expect_redis_matches_truth(redis, t);
        std::vector<std::string> hidden;
        expect_cold_matches_truth(read_cold_path(dir_.file("cold"), &hidden), t);
        if (!hidden.empty())
            std::printf("note: %zu hidden cold-path uploads left by killed runs\n", hidden.size());
        // DLQ: every malformed record at least once (exactly once without crashes).
        std::map<std::string, int> dlq_values;
        const CliResult k =
            run_argv({"kcat", "-b", kafka_.bootstrap(), "-C", "-t", kDlq, "-e", "-q", "-f", "%h\n"},
                     {}, 30000);
        ASSERT_EQ(k.exit_code, 0) << k.err;
        std::istringstream in(k.out);
        std::int64_t lines = 0;
        for (std::string line; std::getline(in, line);) {
            ++lines;
            const auto at = line.find(",source.topic=");
            if (at != std::string::npos) ++dlq_values[line.substr(at)];
        }
        EXPECT_EQ(static_cast<std::int64_t>(dlq_values.size()), t.dlq()) << "distinct DLQ sources";
        if (dlq_exactly_once) {
            EXPECT_EQ(lines, t.dlq());
        } else {
            EXPECT_GE(lines, t.dlq());
        }
        for (const auto& gp : group_offsets(kafka_.bootstrap(), kGroup, {kEvents, kTelemetry}))
            if (gp.high > 0) {
                EXPECT_EQ(gp.committed, gp.high) << gp.topic << "[" << gp.partition << "]";
            }
    }

    struct Sent {
        std::int32_t partition;
        std::int64_t user;
        bool bad;
        json event;
    };
    RedisServer redis_;
    EmbeddedKafka kafka_{3};
    TempDir dir_{"worker-crash"};
    std::vector<Sent> sent_;
    std::int64_t clock_ms_ = 1714564800000; // 2024-05-01T12:00:00Z
};

pipeline::GeneratorOptions generator_options() {
    return {.seed = 7,
            .users = kUsers,
            .late_fraction = 0.02,
            .bad_fraction = 0.01,
            .cdc_updates_per_event = 0};
}

TEST_F(WorkerCrash, KilledAtRandomPointsThenDrainedCountsEverythingOnce) {
    pipeline::ClickstreamGenerator gen(generator_options());
    RedisClient redis(RedisOptions{.host = redis_.host(), .port = redis_.port()});
    TestProducer producer(kafka_.bootstrap());
    produce_first(producer, gen, 8000);

    // More keeps arriving (~1 event per ms) while workers are killed and restarted.
    std::atomic<bool> stop_producing{false};
    std::thread more([&] {
        while (!stop_producing.load())
            produce_events(producer, gen, 500, 1);
    });
    struct Join {
        std::atomic<bool>& stop;
        std::thread& t;
        ~Join() { // also when an ASSERT returns early
            stop.store(true);
            if (t.joinable()) t.join();
        }
    } join_more{stop_producing, more};
    std::mt19937 rng(4242);
    std::uniform_int_distribution<int> pause_ms(300, 1500);
    int kills = 0;
    const auto t0 = Clock::now();
    for (int round = 0; round < 4; ++round) {
        const std::int64_t before = redis_progress(redis);
        // Cold objects every second (the default is a minute) so kills land between cold
        // writes and the transactions that record them; a tiny cap in some rounds moves
        // the batch boundaries, so replays cut batches where the killed run did not.
        const pid_t pid = start_worker({"worker", "--threads", "2", "--max-batch", "500",
                                        "--cold-flush-s", "1", "--cold-batch-mib",
                                        round % 2 ? "1" : "64", "-X", kSession, "-X", kHeartbeat},
                                       "worker.log");
        const bool progressed = wait_for_progress(redis, before, 30000);
        if (progressed) std::this_thread::sleep_for(std::chrono::milliseconds(pause_ms(rng)));
        const bool alive = child_running(pid);
        stop_child(pid, SIGKILL, 5000);
        std::printf("round %d: killed at %.1f s, %lld offsets committed\n", round,
                    std::chrono::duration<double>(Clock::now() - t0).count(),
                    static_cast<long long>(redis_progress(redis)));
        ASSERT_TRUE(progressed) << "no progress in round " << round << ":\n"
                                << file_tail(dir_.file("worker.log"), 30);
        kills += alive;
    }
    stop_producing.store(true);
    more.join();
    producer.flush();
    EXPECT_EQ(kills, 4) << file_tail(dir_.file("worker.log"), 30);
    std::printf("%zu records sent; draining\n", sent_.size());

    const CliResult r =
        run_cli({"--json", "worker", "--drain", "--threads", "2", "-X", kSession, "-X", kHeartbeat},
                env(), 90000);
    ASSERT_EQ(r.exit_code, 0) << r.out << r.err << file_tail(dir_.file("worker.log"), 30);
    const Truth t = truth(gen);
    ASSERT_GT(t.late(), 0);
    ASSERT_GT(t.dlq(), 0);
    expect_everything_matches(t, redis, false);
}

TEST_F(WorkerCrash, TwoProcessesInOneGroupCountWhatOneWould) {
    pipeline::ClickstreamGenerator gen(generator_options());
    RedisClient redis(RedisOptions{.host = redis_.host(), .port = redis_.port()});
    TestProducer producer(kafka_.bootstrap());
    produce_first(producer, gen, 4000);

    const pid_t a = start_worker(
        {"worker", "--threads", "2", "--max-batch", "1000", "-X", kSession, "-X", kHeartbeat},
        "a.log");
    // B joins once A is working: the rebalance revokes partitions from a process that holds
    // uncommitted work on both paths (its cold batch is written once a minute). Revoking
    // flushes both, so the next owner reads nothing again (checked below).
    ASSERT_TRUE(wait_for_progress(redis, 0, 30000)) << file_tail(dir_.file("a.log"));
    const pid_t b = start_worker(
        {"worker", "--threads", "1", "--max-batch", "1000", "-X", kSession, "-X", kHeartbeat},
        "b.log");
    produce_events(producer, gen, 16000, 4);
    producer.flush();
    // Wait until the group committed everything, then stop both gracefully (SIGTERM).
    const std::int64_t total = static_cast<std::int64_t>(sent_.size());
    wait_until([&] { return redis_progress(redis) >= total; }, 60000);
    EXPECT_EQ(redis_progress(redis), total)
        << file_tail(dir_.file("a.log")) << file_tail(dir_.file("b.log"));
    EXPECT_TRUE(child_running(a) && child_running(b));
    stop_gracefully({{a, "a.log"}, {b, "b.log"}});
    // Both did part of the work: each printed its summary table on the way out.
    std::int64_t read_by_both = 0;
    for (const char* log : {"a.log", "b.log"}) {
        std::ifstream in(dir_.file(log));
        std::smatch m;
        std::int64_t read = -1;
        static const std::regex kRow(R"(records read\s+(\d+))");
        for (std::string line; std::getline(in, line);)
            if (std::regex_search(line, m, kRow)) read = std::stoll(m[1]);
        EXPECT_GT(read, 0) << log << ":\n" << file_tail(dir_.file(log), 40);
        read_by_both += std::max<std::int64_t>(read, 0);
    }
    EXPECT_EQ(read_by_both, total); // across the rebalance: nothing read twice

    const CliResult r = drain();
    ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
    EXPECT_EQ(json::parse(r.out)["records"], 0); // nothing was left for the drain
    expect_everything_matches(truth(gen), redis, true);
}

void WorkerCrash::stalled_worker_is_fenced(bool cold) {
    // Worker A reads everything into one open batch (no timed flush), then stalls
    // (SIGSTOP) past its session: the group gives its partitions to worker B, which
    // counts every record and commits. When A resumes, librdkafka tells it the
    // partitions were lost and A's revoke flush tries to commit the batch it still
    // holds - records B has counted. Fencing must refuse it: with the cold path the
    // check before the cold write does, without it the check inside the Redis commit.
    pipeline::ClickstreamGenerator gen(generator_options());
    RedisClient redis(RedisOptions{.host = redis_.host(), .port = redis_.port()});
    TestProducer producer(kafka_.bootstrap());
    produce_first(producer, gen, 3000);
    const std::int64_t total = static_cast<std::int64_t>(sent_.size());

    const int port = free_port();
    std::vector<std::string> args{"worker",
                                  "--threads",
                                  "1",
                                  "--flush-ms",
                                  "600000",
                                  "--max-batch",
                                  "10000000",
                                  "--cold-flush-s",
                                  "86400",
                                  "--metrics-addr",
                                  "127.0.0.1:" + std::to_string(port),
                                  "-X",
                                  kSession,
                                  "-X",
                                  kHeartbeat};
    if (!cold) args.push_back("--no-cold");
    const pid_t a = start_worker(args, "a.log");
    httplib::Client http("127.0.0.1", port);
    static const std::regex kRecords(R"(\nebap_worker_records_total\{thread="0"\} (\d+))");
    std::int64_t read = 0;
    wait_until(
        [&] {
            std::smatch m;
            if (auto res = http.Get("/metrics");
                res && res->status == 200 && std::regex_search(res->body, m, kRecords))
                read = std::stoll(m[1]);
            return read >= total;
        },
        30000);
    ASSERT_EQ(read, total) << file_tail(dir_.file("a.log"));
    ASSERT_EQ(redis_progress(redis), 0) << "A committed before it stalled: nothing to fence";
    ASSERT_EQ(kill(a, SIGSTOP), 0);

    const pid_t b =
        start_worker({"worker", "--threads", "1", "-X", kSession, "-X", kHeartbeat}, "b.log");
    const bool b_took_over = wait_until([&] { return redis_progress(redis) == total; }, 60000);
    kill(a, SIGCONT);
    EXPECT_TRUE(b_took_over) << file_tail(dir_.file("b.log"));
    // A learns of the loss at its next heartbeat, tries its revoke flush, is refused.
    EXPECT_TRUE(wait_until([&] { return logged("a.log", "claimed by another worker"); }, 30000))
        << file_tail(dir_.file("a.log"), 40);
    stop_gracefully({{a, "a.log"}, {b, "b.log"}});
    EXPECT_NE(file_tail(dir_.file("a.log"), 60).find("batches fenced"), std::string::npos)
        << file_tail(dir_.file("a.log"), 60);

    const CliResult r = drain();
    ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
    expect_everything_matches(truth(gen), redis, false);
}

TEST_F(WorkerCrash, AStalledWorkerCannotCommitPartitionsTheGroupGaveAway) {
    stalled_worker_is_fenced(true);
}

TEST_F(WorkerCrash, AStalledHotOnlyWorkerIsRefusedByTheRedisCommitItself) {
    stalled_worker_is_fenced(false);
}

TEST_F(WorkerCrash, AFenceNoRebalanceExplainsIsHealedByRejoiningTheGroup) {
    // The owners hash names someone else for the partitions, but Kafka never moves them
    // (the hash rewritten by hand, or lost in a Redis restart): the worker is fenced,
    // waits for a rebalance that does not come, then leaves and rejoins the group and
    // claims again. What the fenced batch held is read again from Redis's offsets:
    // nothing lost, nothing counted twice.
    pipeline::ClickstreamGenerator gen(generator_options());
    RedisClient redis(RedisOptions{.host = redis_.host(), .port = redis_.port()});
    TestProducer producer(kafka_.bootstrap());
    produce_first(producer, gen, 2000);
    const pid_t w =
        start_worker({"worker", "--threads", "1", "-X", kSession, "-X", kHeartbeat}, "w.log");
    const std::int64_t first = static_cast<std::int64_t>(sent_.size());
    ASSERT_TRUE(wait_until([&] { return redis_progress(redis) == first; }, 60000))
        << file_tail(dir_.file("w.log"));
    for (int p = 0; p < kPartitions; ++p)
        redis.command(
            {"HSET", "ebap:owners:" + kGroup, kEvents + ":" + std::to_string(p), "someone-else"});
    produce_events(producer, gen, 2000);
    producer.flush();
    const std::int64_t total = static_cast<std::int64_t>(sent_.size());
    EXPECT_TRUE(wait_until([&] { return logged("w.log", "claimed by another worker"); }, 30000))
        << file_tail(dir_.file("w.log"));
    EXPECT_TRUE(wait_until([&] { return logged("w.log", "rejoining the group"); }, 40000))
        << file_tail(dir_.file("w.log"));
    EXPECT_TRUE(wait_until([&] { return redis_progress(redis) == total; }, 60000))
        << file_tail(dir_.file("w.log"), 40);
    stop_gracefully({{w, "w.log"}});

    const CliResult r = drain();
    ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
    expect_everything_matches(truth(gen), redis, false);
}

} // namespace
} // namespace ebap::test
