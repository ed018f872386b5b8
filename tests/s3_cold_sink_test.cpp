// The S3 client and the cold path's S3 backend against a real third-party S3 server:
// s3rver (npm), started here on a free port with a temporary directory. It checks access
// keys and requires x-amz-content-sha256 (it does not verify SigV4 signatures).
#include "core/base/error.hpp"
#include "pipeline/sinks/cold/cold_sink.hpp"
#include "pipeline/sinks/cold/s3_client.hpp"
#include "pipeline/sinks/cold/sha256.hpp"
#include "support/child_process.hpp"
#include "support/ports.hpp"
#include "support/temp_dir.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <csignal>
#include <cstdlib>
#include <fmt/format.h>
#include <map>
#include <sstream>
#include <thread>
#include <unistd.h>
#include <zstd.h>

namespace ebap::pipeline {
namespace {

const std::string kBucket = "ebap-bronze";
const std::string kTopic = "ebap.events.raw";

std::string s3rver_bin() {
    const char* env = std::getenv("S3RVER_BIN");
    return env && *env ? env : EBAP_SOURCE_DIR "/tools/node_modules/.bin/s3rver";
}

// One s3rver process for the suite.
class S3rver {
  public:
    void start() {
        std::string why;
        for (int attempt = 0; attempt < 3; ++attempt) {
            port_ = test::free_port();
            test::ChildOptions opts;
            opts.log_path = dir_.file("s3rver.log");
            opts.parent_death_signal = SIGKILL;
            // s3rver's continuation tokens use DES, which Node 17+ (OpenSSL 3) only
            // offers through the legacy provider: without it, paged listings fail (500).
            pid_ = test::spawn_child({"env", "NODE_OPTIONS=--openssl-legacy-provider", s3rver_bin(),
                                      "--directory", dir_.path(), "--port", std::to_string(port_),
                                      "--address", "127.0.0.1", "--silent"},
                                     opts);
            // Up once it answers an S3 request (404 NoSuchBucket counts).
            S3Client probe(options());
            const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
            while (std::chrono::steady_clock::now() < deadline && test::child_running(pid_)) {
                try {
                    probe.head_bucket("probe");
                    return;
                } catch (const Error& e) {
                    why = e.what();
                }
                std::this_thread::sleep_for(std::chrono::milliseconds(50));
            }
            why = "s3rver did not answer: " + why + "\n" + test::file_tail(opts.log_path);
            stop();
        }
        throw std::runtime_error(why);
    }
    void stop() {
        if (pid_ > 0) test::stop_child(pid_, SIGTERM, 3000);
        pid_ = -1;
    }
    ~S3rver() { stop(); }
    S3Options options(const std::string& access = "S3RVER",
                      const std::string& secret = "S3RVER") const {
        S3Options o;
        o.endpoint = "http://127.0.0.1:" + std::to_string(port_);
        o.access_key = access;
        o.secret_key = secret;
        o.connect_timeout_ms = 2000;
        o.timeout_ms = 10000;
        return o;
    }

  private:
    test::TempDir dir_{"s3rver"};
    int port_ = 0;
    pid_t pid_ = -1;
};

std::string error_of(const std::function<void()>& f) {
    try {
        f();
    } catch (const Error& e) {
        return e.what();
    }
    ADD_FAILURE() << "expected ebap::Error";
    return {};
}

std::string decompress(const std::string& blob) {
    std::string out(ZSTD_getFrameContentSize(blob.data(), blob.size()), '\0');
    const auto n = ZSTD_decompress(out.data(), out.size(), blob.data(), blob.size());
    EXPECT_FALSE(ZSTD_isError(n)) << ZSTD_getErrorName(n);
    out.resize(n);
    return out;
}

std::string pseudo_random(std::size_t n) {
    std::string out(n, '\0');
    std::uint64_t x = 0x9E3779B97F4A7C15ull;
    for (auto& c : out) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        c = static_cast<char>(x);
    }
    return out;
}

class S3Test : public ::testing::Test {
  protected:
    static void SetUpTestSuite() {
        if (access(s3rver_bin().c_str(), X_OK) != 0) return;
        server_ = new S3rver();
        server_->start();
    }
    static void TearDownTestSuite() {
        delete server_;
        server_ = nullptr;
    }
    void SetUp() override {
        if (!server_)
            GTEST_SKIP() << "\n*** s3rver NOT FOUND at " << s3rver_bin()
                         << ": S3 TESTS SKIPPED ***\n*** install it: mkdir -p tools && cd tools && "
                            "npm install --no-audit --no-fund s3rver@3 (scripts/setup does) ***";
        client_.emplace(server_->options());
        client_->create_bucket(kBucket);
    }
    static S3rver* server_;
    std::optional<S3Client> client_;
};
S3rver* S3Test::server_ = nullptr;

TEST(Sha256, KnownVectors) {
    EXPECT_EQ(sha256_hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    EXPECT_EQ(sha256_hex("abc"),
              "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    EXPECT_EQ(sha256_hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
              "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
    EXPECT_EQ(sha256_hex(std::string(1'000'000, 'a')),
              "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
    // 63/64/65 bytes: padding that spills into a second block.
    EXPECT_EQ(sha256_hex(std::string(64, 'a')),
              "ffe054fe7ae0cb6dc65c3af9b61d5209f439851db43d0ba5997337df154668eb");
}

TEST_F(S3Test, ObjectRoundTripListingAndDeletion) {
    client_->create_bucket(kBucket); // idempotent
    const std::map<std::string, std::string> objects{
        {"events/day=2024-06-01/region=sa%2Feast/part-a.ndjson.zst", std::string("\0\x01zstd", 6)},
        {"events/day=2024-06-01/region=eu-west/part-b.ndjson.zst", "b"},
        {"events/day=2024-06-02/region=eu-west/part-c.ndjson.zst", std::string(300'000, 'c')},
        {"other/a b+c~.txt", "spaces and plus"},
        {"events/empty", ""},
        {"events/large", pseudo_random(3 << 20)}}; // past libcurl's Expect: 100-continue size
    for (const auto& [k, v] : objects)
        client_->put_object(kBucket, k, v);
    for (const auto& [k, v] : objects) {
        EXPECT_EQ(client_->get_object(kBucket, k), v) << k;
        EXPECT_EQ(client_->head_object(kBucket, k), static_cast<std::int64_t>(v.size())) << k;
    }
    // Two keys per page: the continuation token is followed.
    std::vector<std::string> paged;
    std::string token;
    int pages = 0;
    do {
        S3ListPage page = client_->list_objects_v2(kBucket, "events/", token, 2);
        for (const auto& o : page.objects)
            paged.push_back(o.key);
        token = page.next_token;
        ++pages;
    } while (!token.empty() && pages < 10);
    std::vector<std::string> want;
    for (const auto& [k, v] : objects)
        if (k.starts_with("events/")) want.push_back(k);
    EXPECT_EQ(paged, want);
    EXPECT_EQ(pages, static_cast<int>((want.size() + 1) / 2));
    EXPECT_GE(pages, 3);
    EXPECT_EQ(client_->list_all(kBucket, "events/").size(), want.size());

    client_->delete_object(kBucket, "other/a b+c~.txt");
    client_->delete_object(kBucket, "other/a b+c~.txt"); // absent: still fine
    EXPECT_EQ(client_->head_object(kBucket, "other/a b+c~.txt"), std::nullopt);
    const std::string missing = error_of([&] { client_->get_object(kBucket, "nope"); });
    EXPECT_NE(missing.find("get_object s3://ebap-bronze/nope"), std::string::npos) << missing;
    EXPECT_NE(missing.find("HTTP 404 NoSuchKey"), std::string::npos) << missing;
    EXPECT_FALSE(client_->head_bucket("no-such-bucket"));
    EXPECT_TRUE(client_->head_bucket(kBucket));
}

TEST_F(S3Test, WrongCredentialsNameTheS3ErrorCode) {
    S3Client wrong(server_->options("NOT-A-KEY", "secret-never-shown"));
    const std::string message = error_of([&] { wrong.put_object(kBucket, "events/x", "data"); });
    EXPECT_NE(message.find("put_object s3://ebap-bronze/events/x"), std::string::npos) << message;
    EXPECT_NE(message.find("HTTP 403 InvalidAccessKeyId"), std::string::npos) << message;
    EXPECT_NE(message.find("minio.root_user"), std::string::npos) << message;
    EXPECT_EQ(message.find("secret-never-shown"), std::string::npos) << message;
}

TEST_F(S3Test, UnreachableEndpointSaysSo) {
    S3Options o = server_->options();
    o.endpoint = "http://127.0.0.1:" + std::to_string(test::free_port());
    S3Client dead(o);
    const std::string message = error_of([&] { dead.get_object(kBucket, "k"); });
    EXPECT_NE(message.find("cannot reach http://127.0.0.1:"), std::string::npos) << message;
}

// Fails every put after the first n: a worker dying in the middle of a batch's uploads.
class CrashingS3Storage : public S3Storage {
  public:
    CrashingS3Storage(S3Options o, int n)
        : S3Storage(std::move(o), kBucket, "bronze/v1"), left_(n) {}
    void put(const std::string& key, std::string_view data) override {
        if (left_-- > 0) return S3Storage::put(key, data);
        throw Error("simulated crash");
    }

  private:
    int left_;
};

TEST_F(S3Test, ColdSinkCrashAndReplayKeepEveryEventOnce) {
    test::TempDir state("s3-state");
    ColdSinkOptions o;
    o.root = "s3://" + kBucket + "/bronze/v1";
    o.state_dir = state.path();
    o.group = "workers";
    o.s3 = server_->options();
    std::vector<std::pair<std::int64_t, std::string>> lines; // (offset, json)
    const char* regions[] = {"eu-west", "us-east", "ap-south"};
    auto batch = [&](std::int64_t first, std::int64_t last) {
        ColdBatch b;
        for (std::int64_t off = first; off <= last; ++off) {
            // Two days: the batch boundaries below cut through both.
            const std::int64_t ts = 1'717'286'370'000 + off * 1000; // 2024-06-01T23:59:30Z
            b.add(ts, regions[off % 3], fmt::format(R"({{"event_id":"e{}","ts":{}}})", off, ts));
        }
        return b;
    };
    {
        ColdSink sink(o);
        sink.prepare();
        sink.write_batch(kTopic, 4, 0, 19, batch(0, 19));
        sink.committed(kTopic, 4, 20);
        ColdSink crashing(o, std::make_unique<CrashingS3Storage>(server_->options(), 3));
        EXPECT_THROW(crashing.write_batch(kTopic, 4, 20, 59, batch(20, 59)), Error);
    }
    const auto before = client_->list_all(kBucket, "bronze/v1/events/");
    ASSERT_TRUE(std::any_of(before.begin(), before.end(), [](const S3Object& x) {
        return x.key.find("-20-59.ndjson.zst") != std::string::npos;
    })); // the crashed run's leftovers are really there

    ColdSink replay(o);
    replay.write_batch(kTopic, 4, 20, 41, batch(20, 41));
    replay.committed(kTopic, 4, 42);
    replay.write_batch(kTopic, 4, 42, 59, batch(42, 59));

    std::map<std::string, int> seen;
    const auto after = client_->list_all(kBucket, "bronze/v1/events/");
    for (const auto& obj : after) {
        EXPECT_TRUE(obj.key.starts_with("bronze/v1/events/day=2024-06-0")) << obj.key;
        EXPECT_EQ(obj.key.find("-20-59."), std::string::npos) << obj.key;
        std::istringstream in(decompress(client_->get_object(kBucket, obj.key)));
        for (std::string line; std::getline(in, line);)
            ++seen[line];
    }
    ASSERT_EQ(seen.size(), 60u);
    for (const auto& [line, n] : seen)
        EXPECT_EQ(n, 1) << line;
    EXPECT_TRUE(std::any_of(after.begin(), after.end(), [](const S3Object& x) {
        return x.key.find(
                   "day=2024-06-02/region=us-east/part-ebap.events.raw-4-42-59.ndjson.zst") !=
               std::string::npos;
    }));
    EXPECT_EQ(replay.storage().list("events/").size(), after.size());
}

} // namespace
} // namespace ebap::pipeline
