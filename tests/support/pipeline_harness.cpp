#include "support/pipeline_harness.hpp"

#include "support/child_process.hpp"

#include <gtest/gtest.h>
#include <librdkafka/rdkafka.h>
#include <zstd.h>

#include <chrono>
#include <cmath>
#include <csignal>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <sys/wait.h>
#include <thread>

namespace ebap::test {
namespace fs = std::filesystem;

// ---- child processes ----

pid_t spawn_ebapctl(const std::vector<std::string>& args,
                    const std::map<std::string, std::string>& env, const std::string& log_path) {
    // spawn_child inherits our environment: env(1) sets the child's without touching ours.
    std::vector<std::string> argv{"env"};
    for (const auto& [k, v] : env)
        if (v == "<unset>") argv.insert(argv.end(), {"-u", k});
    for (const auto& [k, v] : env)
        if (v != "<unset>") argv.push_back(k + "=" + v);
    argv.push_back(EBAPCTL_BIN);
    argv.insert(argv.end(), args.begin(), args.end());
    return spawn_child(argv, {.log_path = log_path, .parent_death_signal = SIGKILL});
}

int wait_exit(pid_t pid, int timeout_ms) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
    for (;;) {
        int status = 0;
        const pid_t r = waitpid(pid, &status, WNOHANG);
        if (r == pid) return WIFEXITED(status) ? WEXITSTATUS(status) : 256 + WTERMSIG(status);
        if (r < 0 || std::chrono::steady_clock::now() >= deadline) return -1;
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
}

// ---- producer ----

struct TestProducerAccess {
    static void on_delivery(rd_kafka_t*, const rd_kafka_message_t* m, void* opaque) {
        auto* self = static_cast<TestProducer*>(opaque);
        const auto index = reinterpret_cast<std::uintptr_t>(m->_private);
        if (m->err) {
            if (self->first_error_.empty()) self->first_error_ = rd_kafka_err2str(m->err);
            return;
        }
        self->records_[index].offset = m->offset;
    }
};

TestProducer::TestProducer(const std::string& bootstrap) {
    char err[512];
    rd_kafka_conf_t* conf = rd_kafka_conf_new();
    const std::pair<const char*, const char*> settings[] = {
        {"bootstrap.servers", bootstrap.c_str()},
        {"enable.idempotence", "true"},
        {"acks", "all"},
        {"linger.ms", "5"},
        {"message.timeout.ms", "30000"}};
    for (const auto& [k, v] : settings)
        if (rd_kafka_conf_set(conf, k, v, err, sizeof err) != RD_KAFKA_CONF_OK)
            throw std::runtime_error(err);
    rd_kafka_conf_set_dr_msg_cb(conf, TestProducerAccess::on_delivery);
    rd_kafka_conf_set_opaque(conf, this);
    rk_ = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
    if (!rk_) throw std::runtime_error(err);
}

TestProducer::~TestProducer() {
    rd_kafka_flush(rk_, 10000);
    rd_kafka_destroy(rk_);
}

std::size_t TestProducer::send(const std::string& topic, std::int32_t partition,
                               std::optional<std::string> key, std::optional<std::string> value) {
    records_.push_back({topic, partition, -1, std::move(key), std::move(value)});
    const std::size_t index = records_.size() - 1;
    const ProducedRecord& r = records_.back();
    // Locals: the RD_KAFKA_V_* macros cast their arguments without parentheses.
    const void* key_ptr = r.key ? r.key->data() : nullptr;
    const std::size_t key_len = r.key ? r.key->size() : 0;
    void* value_ptr = r.value ? const_cast<char*>(r.value->data()) : nullptr;
    const std::size_t value_len = r.value ? r.value->size() : 0;
    for (;;) {
        rd_kafka_resp_err_t e = rd_kafka_producev(
            rk_, RD_KAFKA_V_TOPIC(topic.c_str()), RD_KAFKA_V_PARTITION(partition),
            RD_KAFKA_V_KEY(key_ptr, key_len), RD_KAFKA_V_VALUE(value_ptr, value_len),
            RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
            RD_KAFKA_V_OPAQUE(reinterpret_cast<void*>(index)), RD_KAFKA_V_END);
        if (e == RD_KAFKA_RESP_ERR__QUEUE_FULL) {
            rd_kafka_poll(rk_, 20);
            continue;
        }
        if (e) throw std::runtime_error(std::string("produce: ") + rd_kafka_err2str(e));
        break;
    }
    rd_kafka_poll(rk_, 0);
    return index;
}

void TestProducer::flush() {
    if (rd_kafka_flush(rk_, 60000) != RD_KAFKA_RESP_ERR_NO_ERROR)
        throw std::runtime_error("produce: flush timed out");
    if (!first_error_.empty()) throw std::runtime_error("produce: " + first_error_);
}

// ---- group offsets ----

std::vector<GroupPartition> group_offsets(const std::string& bootstrap, const std::string& group,
                                          const std::vector<std::string>& topics) {
    char err[512];
    rd_kafka_conf_t* conf = rd_kafka_conf_new();
    rd_kafka_conf_set(conf, "bootstrap.servers", bootstrap.c_str(), err, sizeof err);
    rd_kafka_conf_set(conf, "group.id", group.c_str(), err, sizeof err);
    rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, err, sizeof err);
    if (!rk) throw std::runtime_error(err);
    std::vector<GroupPartition> out;
    rd_kafka_topic_partition_list_t* list = rd_kafka_topic_partition_list_new(16);
    for (const auto& topic : topics) {
        rd_kafka_topic_t* t = rd_kafka_topic_new(rk, topic.c_str(), nullptr);
        const rd_kafka_metadata_t* md = nullptr;
        if (rd_kafka_metadata(rk, 0, t, &md, 10000) == RD_KAFKA_RESP_ERR_NO_ERROR) {
            for (int i = 0; i < md->topic_cnt; ++i)
                for (int p = 0; p < md->topics[i].partition_cnt; ++p) {
                    GroupPartition gp{topic, md->topics[i].partitions[p].id};
                    int64_t lo = 0, hi = 0;
                    rd_kafka_query_watermark_offsets(rk, topic.c_str(), gp.partition, &lo, &hi,
                                                     10000);
                    gp.high = hi;
                    gp.low = lo;
                    out.push_back(gp);
                    rd_kafka_topic_partition_list_add(list, topic.c_str(), gp.partition);
                }
            rd_kafka_metadata_destroy(md);
        }
        rd_kafka_topic_destroy(t);
    }
    if (rd_kafka_committed(rk, list, 10000) == RD_KAFKA_RESP_ERR_NO_ERROR)
        for (int i = 0; i < list->cnt; ++i)
            out[static_cast<std::size_t>(i)].committed = list->elems[i].offset;
    rd_kafka_topic_partition_list_destroy(list);
    rd_kafka_destroy(rk);
    return out;
}

// ---- cold path ----

namespace {

std::string read_file(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

// A cold object is one or more concatenated zstd frames: stream through all of them.
std::string decompress(const std::string& blob, const std::string& name) {
    if (ZSTD_getFrameContentSize(blob.data(), blob.size()) == ZSTD_CONTENTSIZE_ERROR)
        throw std::runtime_error(name + ": not zstd");
    std::string out;
    ZSTD_DStream* ds = ZSTD_createDStream();
    ZSTD_inBuffer in{blob.data(), blob.size(), 0};
    std::string buf(ZSTD_DStreamOutSize(), '\0');
    std::size_t left = 1;
    while (in.pos < in.size || left != 0) {
        ZSTD_outBuffer o{buf.data(), buf.size(), 0};
        left = ZSTD_decompressStream(ds, &o, &in);
        if (ZSTD_isError(left)) {
            ZSTD_freeDStream(ds);
            throw std::runtime_error(name + ": " + ZSTD_getErrorName(left));
        }
        out.append(buf.data(), o.pos);
        if (in.pos == in.size && o.pos == 0 && left != 0) {
            ZSTD_freeDStream(ds);
            throw std::runtime_error(name + ": truncated zstd frame");
        }
    }
    ZSTD_freeDStream(ds);
    return out;
}

std::string dir_value(const fs::path& p, const std::string& name) {
    const std::string s = p.filename().string();
    return s.rfind(name + "=", 0) == 0 ? s.substr(name.size() + 1) : "";
}

} // namespace

std::vector<ColdLine> read_cold_path(const std::string& root, std::vector<std::string>* hidden) {
    std::vector<ColdLine> out;
    const fs::path base = fs::path(root) / "events";
    if (!fs::exists(base)) return out;
    for (const auto& entry : fs::recursive_directory_iterator(base)) {
        if (!entry.is_regular_file()) continue;
        const fs::path& p = entry.path();
        const std::string rel = fs::relative(p, root).string();
        if (p.filename().string().front() == '.') {
            if (hidden) hidden->push_back(rel);
            continue;
        }
        const std::string text = decompress(read_file(p), rel);
        std::istringstream lines(text);
        for (std::string line; std::getline(lines, line);) {
            if (line.empty()) continue;
            out.push_back({dir_value(p.parent_path().parent_path(), "day"),
                           dir_value(p.parent_path(), "region"), rel, nlohmann::json::parse(line)});
        }
    }
    return out;
}

// ---- truth ----

std::int64_t event_ts(const nlohmann::json& ev) {
    const auto& ts = ev.at("ts");
    if (ts.is_number_integer()) return ts.get<std::int64_t>();
    const std::string s = ts.get<std::string>();
    std::tm tm{};
    int ms = 0;
    if (std::sscanf(s.c_str(), "%d-%d-%dT%d:%d:%d.%dZ", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
                    &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &ms) < 6)
        throw std::runtime_error("test event ts: " + s);
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    return static_cast<std::int64_t>(timegm(&tm)) * 1000 + ms;
}

bool Truth::add_event(std::int32_t partition, const nlohmann::json& ev,
                      const std::optional<std::string>& profile_region) {
    const std::int64_t ts = event_ts(ev);
    const std::int64_t start = ts - ((ts % 60000) + 60000) % 60000;
    std::string region = profile_region.value_or("");
    if (region.empty() && ev.contains("region") && ev["region"].is_string())
        region = ev["region"].get<std::string>();
    if (region.empty()) region = "unknown";
    // The cold path holds every valid event, late ones included.
    const std::string id = ev.at("event_id").get<std::string>();
    ++cold_ids_[id];
    cold_region_[id] = region;
    auto it = max_ts_.find(partition);
    if (it != max_ts_.end() && start + 60000 <= it->second - delay_ms_) {
        ++late_;
        return false;
    }
    if (it == max_ts_.end())
        max_ts_[partition] = ts;
    else
        it->second = std::max(it->second, ts);

    const std::string type = ev.at("event_type").get<std::string>();
    const bool error = type == "error" || (ev.contains("status") && ev["status"] == "error");
    const double amount = type == "purchase" && ev.contains("amount") && ev["amount"].is_number()
                              ? ev["amount"].get<double>()
                              : 0;
    const std::int64_t user = ev.at("user_id").get<std::int64_t>();

    WindowTruth& w = windows_[start];
    ++w.events;
    ++w.types[type];
    if (type == "purchase") {
        ++w.purchases;
        w.revenue += amount;
    }
    w.errors += error;
    w.users.insert(user);
    RegionTruth& r = w.regions[region];
    ++r.events;
    r.errors += error;
    r.revenue += amount;
    r.users.insert(user);
    if (ev.contains("latency_ms") && ev["latency_ms"].is_number() &&
        ev["latency_ms"].get<double>() >= 0)
        ++r.with_latency;
    ++events_;
    regions_.insert(region);
    return true;
}

namespace {

std::map<std::string, std::string> hgetall(RedisClient& redis, const std::string& key) {
    std::map<std::string, std::string> out;
    const RedisReply r = redis.command({"HGETALL", key});
    for (std::size_t i = 0; i + 1 < r.elements.size(); i += 2)
        out[r.elements[i].str] = r.elements[i + 1].str;
    return out;
}

std::int64_t field_int(const std::map<std::string, std::string>& h, const std::string& f) {
    auto it = h.find(f);
    return it == h.end() ? 0 : std::stoll(it->second);
}

double field_double(const std::map<std::string, std::string>& h, const std::string& f) {
    auto it = h.find(f);
    return it == h.end() ? 0 : std::stod(it->second);
}

void expect_hll(RedisClient& redis, const std::string& key, std::size_t n) {
    const long long count = redis.command({"PFCOUNT", key}).integer;
    const double tolerance = std::max(1.0, std::ceil(0.02 * double(n)));
    EXPECT_LE(std::abs(double(count) - double(n)), tolerance)
        << key << ": PFCOUNT " << count << ", truth " << n;
}

bool near(double a, double b) {
    return std::abs(a - b) <= 1e-6 * std::max(1.0, std::abs(b));
}

} // namespace

void expect_redis_matches_truth(RedisClient& redis, const Truth& truth, const std::string& prefix) {
    std::set<std::int64_t> stored;
    for (const auto& e : redis.command({"ZRANGE", prefix + "win:index", "0", "-1"}).elements)
        stored.insert(std::stoll(e.str));
    std::set<std::int64_t> expected;
    for (const auto& [w, t] : truth.windows())
        expected.insert(w);
    EXPECT_EQ(stored, expected) << "window index";

    for (const auto& [start, t] : truth.windows()) {
        const std::string key = prefix + "win:1m:" + std::to_string(start);
        const auto h = hgetall(redis, key);
        EXPECT_EQ(field_int(h, "events"), t.events) << key;
        EXPECT_EQ(field_int(h, "purchases"), t.purchases) << key;
        EXPECT_EQ(field_int(h, "errors"), t.errors) << key;
        EXPECT_TRUE(near(field_double(h, "revenue"), t.revenue))
            << key << " revenue " << field_double(h, "revenue") << " truth " << t.revenue;
        std::int64_t typed = 0;
        for (const auto& [f, v] : h)
            if (f.rfind("type:", 0) == 0) {
                typed += std::stoll(v);
                const auto it = t.types.find(f.substr(5));
                EXPECT_EQ(std::stoll(v), it == t.types.end() ? 0 : it->second) << key << " " << f;
            }
        EXPECT_EQ(typed, t.events) << key << ": per-type counts";
        expect_hll(redis, key + ":users", t.users.size());
        for (const auto& [region, r] : t.regions) {
            const std::string rkey = key + ":region:" + region;
            const auto rh = hgetall(redis, rkey);
            EXPECT_EQ(field_int(rh, "events"), r.events) << rkey;
            EXPECT_EQ(field_int(rh, "errors"), r.errors) << rkey;
            EXPECT_TRUE(near(field_double(rh, "revenue"), r.revenue)) << rkey;
            std::int64_t lat = 0;
            for (const auto& [f, v] : rh)
                if (f.rfind("lat:", 0) == 0) lat += std::stoll(v);
            EXPECT_EQ(lat, r.with_latency) << rkey << ": latency histogram total";
            expect_hll(redis, key + ":users:" + region, r.users.size());
        }
    }
    const auto counters = hgetall(redis, prefix + "counters");
    EXPECT_EQ(field_int(counters, "events"), truth.events());
    EXPECT_EQ(field_int(counters, "late_events"), truth.late());
    EXPECT_EQ(field_int(counters, "dlq_events"), truth.dlq());
    std::set<std::string> regions;
    for (const auto& e : redis.command({"SMEMBERS", prefix + "regions"}).elements)
        regions.insert(e.str);
    EXPECT_EQ(regions, truth.regions());
}

void expect_cold_matches_truth(const std::vector<ColdLine>& lines, const Truth& truth) {
    std::map<std::string, int> seen;
    for (const ColdLine& l : lines) {
        const std::string id = l.event.value("event_id", "");
        ++seen[id];
        const auto it = truth.cold_region().find(id);
        if (it == truth.cold_region().end()) continue; // reported by the map comparison below
        EXPECT_EQ(l.region, it->second) << l.object << ": event " << id;
        EXPECT_EQ(l.event.value("region", ""), it->second) << l.object << ": event " << id;
        const std::int64_t ts = event_ts(l.event);
        const std::time_t secs = static_cast<std::time_t>(ts / 1000);
        std::tm tm{};
        gmtime_r(&secs, &tm);
        char day[16];
        std::strftime(day, sizeof day, "%Y-%m-%d", &tm);
        EXPECT_EQ(l.day, day) << l.object << ": event " << id;
    }
    std::size_t missing = 0, extra = 0;
    for (const auto& [id, n] : truth.cold_ids()) {
        const auto it = seen.find(id);
        const int got = it == seen.end() ? 0 : it->second;
        if (got < n) missing += static_cast<std::size_t>(n - got);
        if (got > n) extra += static_cast<std::size_t>(got - n);
    }
    for (const auto& [id, n] : seen)
        if (!truth.cold_ids().count(id)) extra += static_cast<std::size_t>(n);
    EXPECT_EQ(missing, 0u) << "events missing from the cold path";
    EXPECT_EQ(extra, 0u) << "events duplicated or unexpected in the cold path";
    EXPECT_EQ(lines.size(), static_cast<std::size_t>(truth.events() + truth.late()));
}

} // namespace ebap::test
