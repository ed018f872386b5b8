#include "pipeline/sinks/cold/cold_storage.hpp"

#include "core/base/error.hpp"
#include "pipeline/sinks/cold/fs_sync.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

namespace fs = std::filesystem;

namespace ebap::pipeline {
namespace {

[[noreturn]] void fail_errno(const std::string& what, const std::string& path) {
    throw Error(fmt::format("cold path: cannot {} {}: {}", what, path, std::strerror(errno)));
}

void sync_dir(const std::string& dir, bool whole_fs = false) {
    pipeline::sync_dir(dir, whole_fs, "cold path");
}

// parts, then more: writev(2) of up to kIov pieces at a time (a batch's object is often
// a few hundred frames), resuming after short writes.
void write_all(int fd, const std::vector<std::string_view>& parts, std::string_view more,
               const std::string& path) {
    constexpr std::size_t kIov = 64;
    std::vector<std::string_view> left;
    left.reserve(parts.size() + 1);
    for (const std::string_view p : parts)
        if (!p.empty()) left.push_back(p);
    if (!more.empty()) left.push_back(more);
    std::size_t next = 0;
    iovec iov[kIov];
    while (next < left.size()) {
        int cnt = 0;
        for (std::size_t i = next; i < left.size() && cnt < static_cast<int>(kIov); ++i, ++cnt)
            iov[cnt] = {const_cast<char*>(left[i].data()), left[i].size()};
        ssize_t n = ::writev(fd, iov, cnt);
        if (n < 0) {
            if (errno == EINTR) continue;
            fail_errno("write", path);
        }
        while (n > 0) { // drop what was written, maybe a part of one piece
            const auto k = std::min(static_cast<std::size_t>(n), left[next].size());
            left[next].remove_prefix(k);
            n -= static_cast<ssize_t>(k);
            if (left[next].empty()) ++next;
        }
    }
}

} // namespace

void ColdStorage::put_all(const std::vector<ColdObject>& objects) {
    for (const ColdObject& o : objects) {
        if (o.tail.empty() && o.head.size() == 1) {
            put(o.key, o.head.front());
            continue;
        }
        std::string whole; // one object at a time: a request body is contiguous
        whole.reserve(o.size());
        for (const std::string_view part : o.head)
            whole.append(part);
        whole.append(o.tail);
        put(o.key, whole);
    }
}

// ---- local directory ----

LocalDirStorage::LocalDirStorage(std::string root) : root_(std::move(root)) {
    while (root_.size() > 1 && root_.back() == '/')
        root_.pop_back();
}

void LocalDirStorage::prepare() {
    std::error_code ec;
    fs::create_directories(root_, ec);
    if (ec) throw Error(fmt::format("cold path: cannot create {}: {}", root_, ec.message()));
}

std::string LocalDirStorage::temp_path(const std::string& key) const {
    const fs::path p = fs::path(root_) / key;
    return (p.parent_path() / ("." + p.filename().string() + ".tmp")).string();
}

namespace {

// Writes data to the hidden temporary name of final_path; fsyncs it when asked. Returns
// whether the directory had to be created.
bool write_temp(const fs::path& final_path, const std::string& tmp,
                const std::vector<std::string_view>& parts, std::string_view more, bool sync) {
    const fs::path dir = final_path.parent_path();
    std::error_code ec;
    const bool created = fs::create_directories(dir, ec);
    if (ec) throw Error(fmt::format("cold path: cannot create {}: {}", dir.string(), ec.message()));
    const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) fail_errno("create", tmp);
    try {
        write_all(fd, parts, more, tmp);
        if (sync && ::fsync(fd) != 0) fail_errno("fsync", tmp);
    } catch (...) {
        ::close(fd);
        ::unlink(tmp.c_str());
        throw;
    }
    if (::close(fd) != 0) {
        ::unlink(tmp.c_str());
        fail_errno("close", tmp);
    }
    return created;
}

void rename_into_place(const std::string& tmp, const fs::path& final_path) {
    if (::rename(tmp.c_str(), final_path.c_str()) != 0) {
        const int e = errno;
        ::unlink(tmp.c_str());
        errno = e;
        fail_errno("rename into place", final_path.string());
    }
}

} // namespace

void LocalDirStorage::put(const std::string& key, std::string_view data) {
    const fs::path final_path = fs::path(root_) / key;
    const fs::path dir = final_path.parent_path();
    const std::string tmp = temp_path(key);
    const bool created = write_temp(final_path, tmp, {data}, {}, true);
    rename_into_place(tmp, final_path);
    sync_dir(dir.string());
    // New directories must reach the disk too, up to the root.
    if (created)
        for (fs::path d = dir.parent_path();; d = d.parent_path()) {
            sync_dir(d.string());
            if (d == fs::path(root_) || d == d.parent_path()) break;
        }
}

void LocalDirStorage::put_all(const std::vector<ColdObject>& objects) {
    if (objects.size() < 2) return ColdStorage::put_all(objects);
    std::vector<std::string> temps;
    temps.reserve(objects.size());
    try {
        for (const ColdObject& o : objects) {
            temps.push_back(temp_path(o.key));
            write_temp(fs::path(root_) / o.key, temps.back(), o.head, o.tail, false);
        }
        sync_dir(root_, true); // every temporary file is whole on disk
    } catch (...) {
        for (const std::string& t : temps)
            ::unlink(t.c_str());
        throw;
    }
    for (std::size_t i = 0; i < objects.size(); ++i)
        rename_into_place(temps[i], fs::path(root_) / objects[i].key);
    sync_dir(root_, true); // the renames and any new directories
}

void LocalDirStorage::remove(const std::string& key) {
    for (const std::string& p : {(fs::path(root_) / key).string(), temp_path(key)})
        if (::unlink(p.c_str()) != 0 && errno != ENOENT) fail_errno("remove", p);
}

std::string LocalDirStorage::get(const std::string& key) {
    const std::string path = (fs::path(root_) / key).string();
    std::ifstream in(path, std::ios::binary);
    if (!in) fail_errno("read", path);
    std::ostringstream out;
    out << in.rdbuf();
    return out.str();
}

std::vector<std::string> LocalDirStorage::list(const std::string& prefix) {
    std::vector<std::string> keys;
    std::error_code ec;
    if (!fs::exists(root_, ec)) return keys;
    for (auto it = fs::recursive_directory_iterator(root_, ec);
         !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
        if (!it->is_regular_file()) continue;
        if (it->path().filename().string().starts_with(".")) continue;
        std::string key = fs::relative(it->path(), root_).generic_string();
        if (key.starts_with(prefix)) keys.push_back(std::move(key));
    }
    if (ec) throw Error(fmt::format("cold path: cannot list {}: {}", root_, ec.message()));
    std::sort(keys.begin(), keys.end());
    return keys;
}

// ---- S3 ----

S3Storage::S3Storage(S3Options options, std::string bucket, std::string prefix)
    : client_(std::move(options)), bucket_(std::move(bucket)), prefix_(std::move(prefix)) {
    while (prefix_.starts_with("/"))
        prefix_.erase(0, 1);
    if (!prefix_.empty() && !prefix_.ends_with("/")) prefix_ += "/";
}

void S3Storage::prepare() {
    client_.create_bucket(bucket_);
}

void S3Storage::put(const std::string& key, std::string_view data) {
    client_.put_object(bucket_, prefix_ + key, data, "application/zstd");
}

void S3Storage::remove(const std::string& key) {
    client_.delete_object(bucket_, prefix_ + key);
}

std::string S3Storage::get(const std::string& key) {
    return client_.get_object(bucket_, prefix_ + key);
}

std::vector<std::string> S3Storage::list(const std::string& prefix) {
    std::vector<std::string> keys;
    for (auto& o : client_.list_all(bucket_, prefix_ + prefix))
        if (o.key.starts_with(prefix_)) keys.push_back(o.key.substr(prefix_.size()));
    std::sort(keys.begin(), keys.end());
    return keys;
}

std::string S3Storage::describe() const {
    return "s3://" + bucket_ + "/" + prefix_;
}

std::unique_ptr<ColdStorage> make_cold_storage(const std::string& root, const S3Options& s3) {
    if (root.empty())
        throw UsageError("paths.cold_root is empty: set a directory or s3://bucket/prefix "
                         "(EBAP_COLD_ROOT)");
    constexpr std::string_view kScheme = "s3://";
    if (!root.starts_with(kScheme)) return std::make_unique<LocalDirStorage>(root);
    const std::string rest = root.substr(kScheme.size());
    const auto slash = rest.find('/');
    const std::string bucket = rest.substr(0, slash);
    if (bucket.empty())
        throw UsageError("paths.cold_root " + root + " names no bucket (want s3://bucket/prefix)");
    return std::make_unique<S3Storage>(s3, bucket,
                                       slash == std::string::npos ? "" : rest.substr(slash + 1));
}

} // namespace ebap::pipeline
