// The small shared pieces of core/base: each fact once, pinned to literal values.
#include "core/base/backoff.hpp"
#include "core/base/closest.hpp"
#include "core/base/format.hpp"
#include "core/base/log.hpp"
#include "core/base/time.hpp"

#include <gtest/gtest.h>

#include <climits>

namespace ebap {
namespace {

using std::chrono::milliseconds;

TEST(Backoff, DoublesFromTheFirstWaitUpToTheCapAndResetsOnSuccess) {
    Backoff b(milliseconds(100), milliseconds(500));
    EXPECT_EQ(b.wait(), milliseconds(0));
    const auto t = Backoff::Clock::time_point{} + std::chrono::hours(1);
    EXPECT_EQ(b.failed(t), milliseconds(100));
    EXPECT_EQ(b.next(), t + milliseconds(100));
    EXPECT_FALSE(b.due(t + milliseconds(99)));
    EXPECT_TRUE(b.due(t + milliseconds(100)));
    EXPECT_EQ(b.failed(t), milliseconds(200));
    EXPECT_EQ(b.failed(t), milliseconds(400));
    EXPECT_EQ(b.failed(t), milliseconds(500));
    EXPECT_EQ(b.failed(t), milliseconds(500));
    b.succeeded();
    EXPECT_EQ(b.failed(t), milliseconds(100));
    Backoff capped(milliseconds(100), milliseconds(30));
    EXPECT_EQ(capped.failed(t), milliseconds(30));
}

TEST(Time, UtcFormattingIsExactAndSafeForAnyInt64) {
    EXPECT_EQ(utc_iso(0), "1970-01-01T00:00:00Z");
    EXPECT_EQ(utc_iso(1700000000123, true), "2023-11-14T22:13:20.123Z");
    EXPECT_EQ(utc_iso(-1, true), "1969-12-31T23:59:59.999Z");
    EXPECT_EQ(utc_iso(951782400000), "2000-02-29T00:00:00Z");
    EXPECT_EQ(utc_iso(253402300799999, true), "9999-12-31T23:59:59.999Z");
    EXPECT_EQ(utc_iso(253402300800000), "out of range");
    EXPECT_EQ(utc_iso(99999999999999999), "out of range");
    EXPECT_EQ(utc_iso(INT64_MAX), "out of range");
    EXPECT_EQ(utc_iso(INT64_MIN), "out of range");
    EXPECT_EQ(utc_day(1717200000000), "2024-06-01");
    EXPECT_EQ(days_from_civil(2024, 6, 1), 19875);
    const CivilDate d = civil_from_days(19875);
    EXPECT_EQ(d.year, 2024);
    EXPECT_EQ(d.month, 6u);
    EXPECT_EQ(d.day, 1u);
}

TEST(Format, PercentEncodingKeepsOnlyTheNamedCharacters) {
    EXPECT_EQ(percent_encode("eu-west_1/a b", "-_"), "eu-west_1%2Fa%20b");
    EXPECT_EQ(percent_encode("eu-west_1/a b", "-_/"), "eu-west_1/a%20b");
    EXPECT_EQ(percent_encode("\xff", ""), "%FF");
    EXPECT_EQ(fmt_duration_ms(1e30), "forever");
    EXPECT_EQ(fmt_duration_ms(-1), "-");
}

TEST(Closest, TheNearestKnownWordWins) {
    EXPECT_EQ(edit_distance("kitten", "sitting"), 3u);
    EXPECT_EQ(closest("redsi", {"kafka", "redis", "postgres"}), "redis");
    EXPECT_EQ(closest("x", {}), "");
}

TEST(Log, ARingBufferKeepsTheLastLinesInOrderAndNoSinkDropsThem) {
    auto ring = std::make_shared<log::RingBuffer>(3);
    {
        log::ScopedSink scope(ring);
        for (int i = 0; i < 5; ++i)
            log::info("test", "line {}", i);
        log::warn("worker[1]", "careful");
    }
    const auto lines = ring->since();
    ASSERT_EQ(lines.size(), 3u);
    EXPECT_EQ(lines[0].text, "line 3");
    EXPECT_EQ(lines[1].text, "line 4");
    EXPECT_EQ(lines[2].text, "careful");
    EXPECT_EQ(lines[2].source, "worker[1]");
    EXPECT_EQ(lines[2].level, log::Level::Warn);
    EXPECT_EQ(lines[2].seq, lines[1].seq + 1);
    EXPECT_EQ(ring->since(lines[1].seq).size(), 1u);
    const auto dropped = log::dropped();
    auto none = log::set_sink(nullptr);
    log::info("test", "nobody listens");
    EXPECT_EQ(log::dropped(), dropped + 1);
    log::set_sink(none);
    EXPECT_EQ(ring->since().size(), 3u); // the scope ended: nothing more reached it
}

} // namespace
} // namespace ebap

namespace ebap {
namespace {

TEST(Printable, ControlCharactersAndBrokenUtf8BecomeVisibleEscapes) {
    EXPECT_EQ(printable("eu-west"), "eu-west");
    EXPECT_EQ(printable("\x1b[2J"), "\\x1b[2J");
    EXPECT_EQ(printable("\x1b]0;pwned\x07"), "\\x1b]0;pwned\\x07");
    EXPECT_EQ(printable("a\nb\tc\r"), "a\\nb\\tc\\r");
    EXPECT_EQ(printable("\x7f"), "\\x7f");
    EXPECT_EQ(printable("\xc2\x9b" "31m"), "\\xc2\\x9b31m"); // 8-bit CSI (U+009B)
    EXPECT_EQ(printable("\xff\xfe"), "\\xff\\xfe");
    EXPECT_EQ(printable("東京 🚀 é"), "東京 🚀 é"); // printable UTF-8 stays
    EXPECT_EQ(printable("\xed\xa0\x80"), "\\xed\\xa0\\x80"); // a UTF-16 surrogate
}

} // namespace
} // namespace ebap

#include "core/base/error.hpp"
#include "core/base/host_port.hpp"

namespace ebap {
namespace {

TEST(HostPortTest, OneParserForProbesAndCatalogs) {
    EXPECT_EQ(parse_host_port("redis.internal:6380", 6379).port, 6380);
    EXPECT_EQ(parse_host_port("redis.internal", 6379).port, 6379);
    const HostPort v6 = parse_host_port("[::1]:5432", 1);
    EXPECT_EQ(v6.host, "::1");
    EXPECT_EQ(v6.port, 5432);
    const HostPort url = parse_host_port("postgres://u:secret@db:5433/ebap", 5432);
    EXPECT_EQ(url.host, "db");
    EXPECT_EQ(url.port, 5433);
    EXPECT_EQ(parse_host_port("/var/run/postgresql", 5432).host, "/var/run/postgresql");
    EXPECT_THROW(parse_host_port("db:99999", 1), UsageError);
    EXPECT_THROW(parse_host_port(":6379", 1), UsageError);
    EXPECT_TRUE(valid_host_port("localhost:9092"));
    EXPECT_TRUE(valid_host_port("[::1]:9092"));
    EXPECT_FALSE(valid_host_port("localhost"));      // a catalog names the port
    EXPECT_FALSE(valid_host_port("a:1,b:2"));        // a list is the kafka form
    EXPECT_FALSE(valid_host_port("u@host:1"));       // no credentials in a catalog
    EXPECT_FALSE(valid_host_port("host:0"));
    EXPECT_FALSE(valid_host_port("http://host:80")); // a URL is the http form
}

// Issue #14, item 10: one masking for every place that shows or logs an endpoint.
TEST(MaskUrlCredentials, HidesPasswordsKeepsEverythingElse) {
    EXPECT_EQ(mask_url_credentials("http://admin:secret@trino:8080/v1"),
              "http://admin:***@trino:8080/v1");
    EXPECT_EQ(mask_url_credentials("https://u:p%40ss@host"), "https://u:***@host");
    EXPECT_EQ(mask_url_credentials("s3://key:sec@ret@bucket/prefix"), "s3://key:***@bucket/prefix");
    EXPECT_EQ(mask_url_credentials("http://user@host:1/x"), "http://user@host:1/x");
    EXPECT_EQ(mask_url_credentials("http://host:8080/a@b"), "http://host:8080/a@b");
    EXPECT_EQ(mask_url_credentials("localhost:9092"), "localhost:9092");
    EXPECT_EQ(mask_url_credentials("GET http://a:b@h/x failed; retry http://c:d@k"),
              "GET http://a:***@h/x failed; retry http://c:***@k");
    EXPECT_EQ(mask_url_credentials(""), "");
}

// Logs carry what libraries say, URLs included: the one write path masks them.
TEST(Log, LinesNeverCarryAUrlPassword) {
    auto ring = std::make_shared<log::RingBuffer>(8);
    log::ScopedSink scope(ring);
    log::warn("probe", "GET {} failed", "http://admin:secret@trino:8080/v1/info");
    const auto lines = ring->since(0);
    ASSERT_EQ(lines.size(), 1u);
    EXPECT_EQ(lines[0].text, "GET http://admin:***@trino:8080/v1/info failed");
}

// Item 8: widths of CJK and emoji without a UTF-8 locale (the test runs in "C").
TEST(DisplayWidth, WideAndZeroWidthCodePointsInAnyLocale) {
    EXPECT_EQ(display_width("eu-west"), 7);
    EXPECT_EQ(display_width("\u6771\u4eac"), 4);         // 東京
    EXPECT_EQ(display_width("\U0001F30D"), 2);            // 🌍
    EXPECT_EQ(display_width("e\u0301"), 1);               // e + combining acute
    EXPECT_EQ(display_width("\xff"), 1);                  // an invalid byte: one column
    EXPECT_EQ(truncate_display("abcdef", 4), "abc\u2026");
    EXPECT_EQ(truncate_display("\u6771\u4eac\u6771", 5), "\u6771\u4eac\u2026");
    EXPECT_EQ(truncate_display("short", 80), "short");
}

} // namespace
} // namespace ebap
