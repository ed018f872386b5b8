#include "cli/sql_progress.hpp"

#include "core/base/format.hpp"

#include <fmt/format.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <cstdio>

namespace ebap::cli {

std::string trino_time(double seconds) {
    const long total = long(seconds + 0.5);
    return fmt::format("{}:{:02d}", total / 60, total % 60);
}

ProgressLine::ProgressLine(bool enabled, std::string engine)
    : enabled_(enabled), engine_(std::move(engine)), start_(std::chrono::steady_clock::now()) {
    if (enabled_) thread_ = std::thread([this] { loop(); });
}

ProgressLine::~ProgressLine() { stop(); }

void ProgressLine::update(const sql::QueryStats& stats) {
    if (!enabled_) return;
    std::lock_guard lock(mu_);
    stats_ = stats;
}

void ProgressLine::stop() {
    {
        std::lock_guard lock(mu_);
        if (stopping_) return;
        stopping_ = true;
    }
    cv_.notify_all();
    if (thread_.joinable()) thread_.join();
}

std::string ProgressLine::render(const sql::QueryStats& s, double elapsed) const {
    const double rows = double(engine_ == "trino" ? s.processed_rows : s.rows_received);
    const double rate = elapsed > 0 ? rows / elapsed : 0;
    std::string line;
    if (!s.query_id.empty()) line += "Query " + s.query_id + ", ";
    line += (s.state.empty() ? std::string("WAITING") : s.state) + ", " + trino_time(elapsed);
    if (engine_ == "trino") {
        const double bytes = double(s.processed_bytes);
        line += fmt::format(" [{} rows, {}] [{} rows/s, {}/s]", fmt_count(rows), fmt_bytes(bytes),
                            fmt_count(rate), fmt_bytes(elapsed > 0 ? bytes / elapsed : 0));
        if (s.total_splits > 0)
            line += fmt::format(" splits {}/{}", s.completed_splits, s.total_splits);
        if (s.progress_percent) line += fmt::format(" {:.0f}%", *s.progress_percent);
        else if (s.total_splits > 0)
            line += fmt::format(" {:.0f}%", 100.0 * s.completed_splits / s.total_splits);
    } else {
        line += fmt::format(" [{} rows received] [{} rows/s]", fmt_count(rows), fmt_count(rate));
    }
    return line;
}

void ProgressLine::loop() {
    winsize ws{};
    const int width = ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0 ? ws.ws_col : 80;
    std::unique_lock lock(mu_);
    for (;;) {
        cv_.wait_for(lock, std::chrono::milliseconds(250), [this] { return stopping_; });
        if (stopping_) break;
        const double elapsed =
            std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
        if (elapsed < 0.5) continue;
        const sql::QueryStats s = stats_;
        lock.unlock();
        std::string line = truncate_display(printable(render(s, elapsed)), width - 1);
        std::fprintf(stderr, "\r\x1b[K%s", line.c_str());
        std::fflush(stderr);
        lock.lock();
        drawn_ = true;
    }
    if (drawn_) {
        std::fputs("\r\x1b[K", stderr);
        std::fflush(stderr);
    }
}

} // namespace ebap::cli
