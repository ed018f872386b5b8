#include "pipeline/sinks/cold/cold_intent.hpp"

#include "core/base/error.hpp"
#include "pipeline/sinks/cold/fs_sync.hpp"

#include <fmt/format.h>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <unistd.h>

namespace fs = std::filesystem;

namespace ebap::pipeline {
namespace {

[[noreturn]] void fail_errno(const std::string& what, const std::string& path) {
    throw Error(
        fmt::format("cold-path intent log: cannot {} {}: {}", what, path, std::strerror(errno)));
}

bool parse_offset(std::string_view s, std::int64_t& out) {
    const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
    return !s.empty() && ec == std::errc() && end == s.data() + s.size();
}

bool parse_line(std::string_view line, IntentEntry& e) {
    const auto a = line.find(' ');
    if (a == std::string_view::npos) return false;
    const auto b = line.find(' ', a + 1);
    if (b == std::string_view::npos || b + 1 >= line.size()) return false;
    if (!parse_offset(line.substr(0, a), e.first) ||
        !parse_offset(line.substr(a + 1, b - a - 1), e.last))
        return false;
    e.key = std::string(line.substr(b + 1));
    return e.key.find('\0') == std::string::npos;
}

std::string format(const std::vector<IntentEntry>& entries) {
    std::string out;
    for (const auto& e : entries)
        out += fmt::format("{} {} {}\n", e.first, e.last, e.key);
    return out;
}

void write_fd(int fd, std::string_view data, const std::string& path) {
    while (!data.empty()) {
        const ssize_t n = ::write(fd, data.data(), data.size());
        if (n < 0) {
            if (errno == EINTR) continue;
            fail_errno("write", path);
        }
        data.remove_prefix(static_cast<std::size_t>(n));
    }
}

void fsync_dir(const std::string& dir) {
    sync_dir(dir, false, "cold-path intent log");
}

void ensure_dir(const std::string& path) {
    std::error_code ec;
    fs::create_directories(fs::path(path).parent_path(), ec);
    if (ec)
        throw Error(fmt::format("cold-path intent log: cannot create {}: {}",
                                fs::path(path).parent_path().string(), ec.message()));
}

} // namespace

IntentLog::IntentLog(std::string path) : path_(std::move(path)) {
    std::ifstream in(path_, std::ios::binary);
    if (!in) return; // none yet
    std::ostringstream buf;
    buf << in.rdbuf();
    const std::string text = buf.str();
    std::size_t pos = 0;
    while (pos < text.size()) {
        const auto nl = text.find('\n', pos);
        if (nl == std::string::npos) {
            torn_ = true; // the crash cut the last append short
            break;
        }
        IntentEntry e;
        if (parse_line(std::string_view(text).substr(pos, nl - pos), e))
            entries_.push_back(std::move(e));
        pos = nl + 1;
    }
}

void IntentLog::sync_filesystem() const {
    sync_dir(fs::path(path_).parent_path().string(), true, "cold-path intent log");
}

void IntentLog::append(const std::vector<IntentEntry>& add, bool sync) {
    if (add.empty()) return;
    if (torn_) {
        std::vector<IntentEntry> all = entries_;
        all.insert(all.end(), add.begin(), add.end());
        rewrite(std::move(all));
        return;
    }
    ensure_dir(path_);
    const bool is_new = ::access(path_.c_str(), F_OK) != 0;
    const int fd = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd < 0) fail_errno("open", path_);
    try {
        write_fd(fd, format(add), path_);
        if (sync && ::fsync(fd) != 0) fail_errno("fsync", path_);
    } catch (...) {
        ::close(fd);
        torn_ = true; // part of it may be there: rewrite next time
        throw;
    }
    ::close(fd);
    if (is_new && sync) fsync_dir(fs::path(path_).parent_path().string()); // the new name
    entries_.insert(entries_.end(), add.begin(), add.end());
}

void IntentLog::rewrite(std::vector<IntentEntry> entries) {
    ensure_dir(path_);
    const std::string tmp = path_ + ".tmp";
    const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) fail_errno("create", tmp);
    try {
        write_fd(fd, format(entries), tmp);
        if (::fsync(fd) != 0) fail_errno("fsync", tmp);
    } catch (...) {
        ::close(fd);
        ::unlink(tmp.c_str());
        throw;
    }
    ::close(fd);
    if (::rename(tmp.c_str(), path_.c_str()) != 0) fail_errno("rename", tmp);
    fsync_dir(fs::path(path_).parent_path().string());
    entries_ = std::move(entries);
    torn_ = false;
}

} // namespace ebap::pipeline
