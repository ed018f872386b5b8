#pragma once
// The one logging interface of core and pipeline: they never write to stdout or stderr.
// The CLI installs a stderr sink; the console installs a RingBuffer its log view reads.
// Without a sink, lines are dropped (counted).
#include <cstdint>
#include <deque>
#include <fmt/format.h>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace ebap::log {

enum class Level { Info, Warn, Error };
const char* level_name(Level l); // "info", "warning", "error"

struct Line {
    std::uint64_t seq = 0;   // 1, 2, ... in order of writing, per process
    std::int64_t ms = 0;     // wall clock
    Level level = Level::Info;
    std::string source;      // "worker", "worker[1]", "gen", ...
    std::string text;
};

class Sink {
  public:
    virtual ~Sink() = default;
    virtual void write(const Line& line) = 0; // called from any thread, one at a time
};

// Replaces the process's sink (nullptr: drop lines); returns the previous one.
std::shared_ptr<Sink> set_sink(std::shared_ptr<Sink> sink);
void write(Level level, std::string_view source, std::string text);
std::uint64_t dropped(); // lines written while no sink was installed

template <typename... Args>
void info(std::string_view source, fmt::format_string<Args...> f, Args&&... args) {
    write(Level::Info, source, fmt::format(f, std::forward<Args>(args)...));
}
template <typename... Args>
void warn(std::string_view source, fmt::format_string<Args...> f, Args&&... args) {
    write(Level::Warn, source, fmt::format(f, std::forward<Args>(args)...));
}
template <typename... Args>
void error(std::string_view source, fmt::format_string<Args...> f, Args&&... args) {
    write(Level::Error, source, fmt::format(f, std::forward<Args>(args)...));
}

// The last `capacity` lines, for the console's log view and for tests.
class RingBuffer : public Sink {
  public:
    explicit RingBuffer(std::size_t capacity) : capacity_(capacity) {}
    void write(const Line& line) override;
    // Lines with seq > after, oldest first.
    std::vector<Line> since(std::uint64_t after = 0) const;
    std::uint64_t last_seq() const;

  private:
    std::size_t capacity_;
    mutable std::mutex mu_;
    std::deque<Line> lines_;
};

// Installs a sink for a scope (a test, the console's lifetime), restoring the old one.
class ScopedSink {
  public:
    explicit ScopedSink(std::shared_ptr<Sink> sink) : old_(set_sink(std::move(sink))) {}
    ~ScopedSink() { set_sink(std::move(old_)); }
    ScopedSink(const ScopedSink&) = delete;
    ScopedSink& operator=(const ScopedSink&) = delete;

  private:
    std::shared_ptr<Sink> old_;
};

} // namespace ebap::log
