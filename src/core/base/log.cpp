#include "core/base/log.hpp"

#include "core/base/format.hpp"
#include "core/base/time.hpp"

#include <atomic>

namespace ebap::log {
namespace {

std::mutex g_mu; // serialises writes and sink swaps: a sink sees one line at a time
std::shared_ptr<Sink> g_sink;
std::uint64_t g_seq = 0;
std::atomic<std::uint64_t> g_dropped{0};

} // namespace

const char* level_name(Level l) {
    switch (l) {
    case Level::Info:
        return "info";
    case Level::Warn:
        return "warning";
    case Level::Error:
        return "error";
    }
    return "info";
}

std::shared_ptr<Sink> set_sink(std::shared_ptr<Sink> sink) {
    std::lock_guard lock(g_mu);
    std::swap(g_sink, sink);
    return sink;
}

void write(Level level, std::string_view source, std::string text) {
    std::lock_guard lock(g_mu);
    if (!g_sink) {
        g_dropped.fetch_add(1, std::memory_order_relaxed);
        return;
    }
    // No sink ever sees a URL's password (librdkafka, curl and our own messages quote URLs).
    if (text.find("://") != std::string::npos) text = mask_url_credentials(text);
    Line line{++g_seq, now_ms(), level, std::string(source), std::move(text)};
    g_sink->write(line);
}

std::uint64_t dropped() { return g_dropped.load(std::memory_order_relaxed); }

void RingBuffer::write(const Line& line) {
    std::lock_guard lock(mu_);
    lines_.push_back(line);
    while (lines_.size() > capacity_)
        lines_.pop_front();
}

std::vector<Line> RingBuffer::since(std::uint64_t after) const {
    std::lock_guard lock(mu_);
    std::vector<Line> out;
    for (const Line& l : lines_)
        if (l.seq > after) out.push_back(l);
    return out;
}

std::uint64_t RingBuffer::last_seq() const {
    std::lock_guard lock(mu_);
    return lines_.empty() ? 0 : lines_.back().seq;
}

} // namespace ebap::log
