// RedisClient against a real redis-server: reply types, pipelining, AUTH,
// deadlines and connection loss.
#include "core/base/error.hpp"
#include "core/redis/redis_client.hpp"
#include "support/ports.hpp"
#include "support/redis_server.hpp"
#include "support/silent_listener.hpp"

#include <gtest/gtest.h>

#include <netinet/in.h>
#include <sys/socket.h>
#include <thread>
#include <unistd.h>

namespace ebap {
namespace {

using Type = RedisReply::Type;

RedisOptions local(int port, std::string password = {}) {
    RedisOptions o;
    o.host = "127.0.0.1";
    o.port = port;
    o.password = std::move(password);
    o.connect_timeout_ms = 1000;
    o.command_timeout_ms = 2000;
    return o;
}

// Runs f, expects an ebap::Error, returns its message.
template <typename F> std::string error_of(F&& f) {
    try {
        f();
    } catch (const Error& e) {
        return e.what();
    }
    ADD_FAILURE() << "expected ebap::Error";
    return {};
}

class RedisClientTest : public ::testing::Test {
  protected:
    static void SetUpTestSuite() {
        server_ = new test::RedisServer();
        server_->start();
    }
    static void TearDownTestSuite() {
        delete server_;
        server_ = nullptr;
    }
    void SetUp() override {
        client_.emplace(local(server_->port()));
        ASSERT_EQ(client_->command({"FLUSHALL"}).type, Type::Status);
    }
    static test::RedisServer* server_;
    std::optional<RedisClient> client_;
};
test::RedisServer* RedisClientTest::server_ = nullptr;

TEST_F(RedisClientTest, RepliesAreTypedAndOwned) {
    auto& c = *client_;
    RedisReply pong = c.command({"PING"});
    EXPECT_EQ(pong.type, Type::Status);
    EXPECT_EQ(pong.str, "PONG");

    EXPECT_TRUE(c.command({"GET", "missing"}).is_nil());

    RedisReply n = c.command({"INCRBY", "counter", "41"});
    EXPECT_EQ(n.type, Type::Integer);
    EXPECT_EQ(n.integer, 41);

    ASSERT_EQ(c.command({"RPUSH", "list", "a", "b", "c"}).integer, 3);
    RedisReply list = c.command({"LRANGE", "list", "0", "-1"});
    ASSERT_TRUE(list.is_array());
    ASSERT_EQ(list.elements.size(), 3u);
    EXPECT_EQ(list.elements[0].str, "a");
    EXPECT_EQ(list.elements[2].str, "c");

    // A server error is a value, not an exception: the caller decides what it means.
    RedisReply wrong = c.command({"HGETALL", "list"});
    EXPECT_TRUE(wrong.is_error());
    EXPECT_EQ(wrong.str.rfind("WRONGTYPE", 0), 0u) << wrong.str;
    EXPECT_TRUE(c.command({"NOSUCHCOMMAND"}).is_error());
    EXPECT_EQ(c.command({"PING"}).str, "PONG"); // still usable after error replies
}

TEST_F(RedisClientTest, ArgumentsAreBinarySafe) {
    auto& c = *client_;
    const std::string key("k\0ey with spaces", 16);
    static constexpr char kValue[] = "\0\r\n\xff binary \"quoted\"";
    const std::string value(kValue, sizeof kValue - 1); // 20 bytes, the NUL included
    ASSERT_EQ(c.command({"SET", key, value}).str, "OK");
    RedisReply got = c.command({"GET", key});
    ASSERT_TRUE(got.is_string());
    EXPECT_EQ(got.str, value);
    EXPECT_EQ(got.str.size(), 20u);
}

TEST_F(RedisClientTest, TenThousandCommandsInOneTransactionFlush) {
    auto& c = *client_;
    const int n = 10000;
    c.append({"MULTI"});
    for (int i = 0; i < n; ++i) {
        c.append({"HINCRBY", "agg", "events", "1"});
        c.append({"HSET", "offsets", "t:" + std::to_string(i % 6), std::to_string(i)});
    }
    c.append({"EXEC"});
    EXPECT_EQ(c.pending(), static_cast<std::size_t>(2 * n + 2));

    std::vector<RedisReply> replies = c.flush();
    EXPECT_EQ(c.pending(), 0u);
    ASSERT_EQ(replies.size(), static_cast<std::size_t>(2 * n + 2));
    EXPECT_EQ(replies.front().str, "OK");
    for (int i = 1; i <= 2 * n; ++i)
        ASSERT_EQ(replies[i].str, "QUEUED") << i;
    const RedisReply& exec = replies.back();
    ASSERT_TRUE(exec.is_array());
    ASSERT_EQ(exec.elements.size(), static_cast<std::size_t>(2 * n));
    EXPECT_EQ(exec.elements[0].integer, 1);
    EXPECT_EQ(exec.elements[2 * n - 2].integer, n); // the last HINCRBY saw every increment

    EXPECT_EQ(c.command({"HGET", "agg", "events"}).str, std::to_string(n));
    EXPECT_EQ(c.command({"HGET", "offsets", "t:3"}).str, "9999");
    EXPECT_TRUE(c.flush().empty()); // nothing pending: no round trip, no replies
}

TEST_F(RedisClientTest, PipelineKeepsReplyOrder) {
    auto& c = *client_;
    for (int i = 0; i < 10000; ++i)
        c.append({"SET", "k" + std::to_string(i), std::to_string(i * 7)});
    for (int i = 0; i < 10000; ++i)
        c.append({"GET", "k" + std::to_string(i)});
    std::vector<RedisReply> replies = c.flush();
    ASSERT_EQ(replies.size(), 20000u);
    for (int i = 0; i < 10000; ++i)
        ASSERT_EQ(replies[10000 + i].str, std::to_string(i * 7)) << i;
}

TEST_F(RedisClientTest, CommandWhilePipelinedCommandsArePendingIsRefused) {
    auto& c = *client_;
    c.append({"SET", "a", "1"});
    EXPECT_NE(error_of([&] { c.command({"GET", "a"}); }).find("flush() first"), std::string::npos);
    ASSERT_EQ(c.flush().size(), 1u);
    EXPECT_EQ(c.command({"GET", "a"}).str, "1");
}

TEST_F(RedisClientTest, LostConnectionThrowsThenTheNextCallReconnects) {
    auto& c = *client_;
    long long id = c.command({"CLIENT", "ID"}).integer;
    RedisClient admin(local(server_->port()));
    ASSERT_EQ(admin.command({"CLIENT", "KILL", "ID", std::to_string(id)}).integer, 1);

    std::string msg = error_of([&] { c.command({"PING"}); });
    EXPECT_EQ(msg.rfind("redis 127.0.0.1:" + std::to_string(server_->port()) + ": ", 0), 0u) << msg;
    EXPECT_NE(msg.find("connection lost"), std::string::npos) << msg;
    EXPECT_FALSE(c.connected());

    EXPECT_EQ(c.command({"PING"}).str, "PONG");
    EXPECT_NE(c.command({"CLIENT", "ID"}).integer, id);
    EXPECT_TRUE(c.connected());

    long long before = c.command({"CLIENT", "ID"}).integer;
    c.reconnect();
    EXPECT_NE(c.command({"CLIENT", "ID"}).integer, before);
}

TEST_F(RedisClientTest, MovedClientKeepsItsConnection) {
    RedisClient moved(std::move(*client_));
    client_.reset();
    EXPECT_EQ(moved.command({"PING"}).str, "PONG");
    RedisClient assigned(local(server_->port()));
    assigned = std::move(moved);
    EXPECT_EQ(assigned.command({"ECHO", "x"}).str, "x");
}

TEST(RedisClientAuth, PasswordProtectedServer) {
    test::RedisServer server({"--requirepass", "s3cret-pw"});
    server.start();
    std::string endpoint = "redis 127.0.0.1:" + std::to_string(server.port()) + ": ";

    std::string none = error_of([&] { RedisClient c(local(server.port())); });
    EXPECT_EQ(none.rfind(endpoint, 0), 0u) << none;
    EXPECT_NE(none.find("requires a password"), std::string::npos) << none;

    std::string wrong = error_of([&] { RedisClient c(local(server.port(), "not-it")); });
    EXPECT_EQ(wrong.rfind(endpoint, 0), 0u) << wrong;
    EXPECT_NE(wrong.find("AUTH failed"), std::string::npos) << wrong;
    EXPECT_EQ(wrong.find("not-it"), std::string::npos) << "the password leaked: " << wrong;

    RedisClient good(local(server.port(), "s3cret-pw"));
    EXPECT_EQ(good.command({"SET", "k", "v"}).str, "OK");
    // A reconnect authenticates again.
    good.reconnect();
    EXPECT_EQ(good.command({"GET", "k"}).str, "v");
}

TEST(RedisClientAuth, PasswordForAServerWithoutOneFails) {
    test::RedisServer server;
    server.start();
    std::string msg = error_of([&] { RedisClient c(local(server.port(), "pw")); });
    EXPECT_NE(msg.find("AUTH failed"), std::string::npos) << msg;
}

TEST(RedisClientUnreachable, RefusedPortFailsWithHostPortAndReason) {
    int port = test::free_port();
    std::string msg = error_of([&] { RedisClient c(local(port)); });
    EXPECT_EQ(msg.rfind("redis 127.0.0.1:" + std::to_string(port) + ": ", 0), 0u) << msg;
    EXPECT_NE(msg.find("refused"), std::string::npos) << msg;
}

TEST(RedisClientUnreachable, SilentServerHitsTheCommandTimeout) {
    // The kernel completes the handshake from the backlog, so only the command
    // deadline can end the wait.
    test::SilentListener silent;
    int port = silent.port();

    RedisOptions o = local(port);
    o.command_timeout_ms = 300;
    std::string msg = error_of([&] { RedisClient c(o); });
    // The reason names the 300 ms command deadline: that one fired, not the connect one.
    EXPECT_EQ(msg.rfind("redis 127.0.0.1:" + std::to_string(port) + ": ", 0), 0u) << msg;
    EXPECT_NE(msg.find("no reply within 300 ms"), std::string::npos) << msg;
}

TEST(RedisClientUnreachable, NonRedisServerIsNamedAsSuch) {
    // An HTTP server on the Redis port: answers with text hiredis cannot parse.
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    ASSERT_GE(fd, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    ASSERT_EQ(::listen(fd, 8), 0);
    socklen_t len = sizeof addr;
    ASSERT_EQ(::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len), 0);
    std::thread http([fd] {
        int conn = ::accept(fd, nullptr, nullptr);
        if (conn < 0) return;
        const char reply[] = "HTTP/1.1 400 Bad Request\r\n\r\n";
        (void)!::write(conn, reply, sizeof reply - 1);
        char buf[256];
        (void)!::read(conn, buf, sizeof buf); // hold the socket until the client gives up
        ::close(conn);
    });
    std::string msg = error_of([&] { RedisClient c(local(ntohs(addr.sin_port))); });
    http.join();
    ::close(fd);
    EXPECT_NE(msg.find("not a Redis server?"), std::string::npos) << msg;
}

TEST(RedisClientUnreachable, ServerGoneMidSessionThrows) {
    test::RedisServer server;
    server.start();
    int port = server.port();
    RedisClient c(local(port));
    ASSERT_EQ(c.command({"PING"}).str, "PONG");
    server.stop();
    for (int i = 0; i < 10000; ++i)
        c.append({"SET", "k" + std::to_string(i), std::string(100, 'x')});
    std::string msg = error_of([&] { c.flush(); });
    EXPECT_EQ(msg.rfind("redis 127.0.0.1:" + std::to_string(port) + ": ", 0), 0u) << msg;
    EXPECT_EQ(c.pending(), 0u);
    // The next call tries one reconnect, which is refused.
    std::string again = error_of([&] { c.command({"PING"}); });
    EXPECT_NE(again.find("refused"), std::string::npos) << again;
}

} // namespace
} // namespace ebap
