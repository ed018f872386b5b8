#include "pipeline/sinks/cold/fs_sync.hpp"

#include "core/base/error.hpp"

#include <fmt/format.h>

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <unistd.h>

namespace ebap::pipeline {

void sync_dir(const std::string& dir, bool whole_fs, std::string_view context) {
    const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        throw Error(
            fmt::format("{}: cannot open directory {}: {}", context, dir, std::strerror(errno)));
    const int rc = whole_fs ? ::syncfs(fd) : ::fsync(fd);
    const int err = errno;
    ::close(fd);
    if (rc != 0)
        throw Error(fmt::format("{}: cannot {} {}: {}", context,
                                whole_fs ? "syncfs" : "fsync directory", dir, std::strerror(err)));
}

} // namespace ebap::pipeline
