#include "support/child_process.hpp"

#include "core/base/process.hpp"

#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <fstream>
#include <stdexcept>
#include <thread>

#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <pwd.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

namespace ebap::test {
namespace {

// out_fd receives stdout+stderr (-1: the log file, or /dev/null): the project's one way
// to start a child (core/base/process.hpp).
pid_t fork_exec(const std::vector<std::string>& argv, const ChildOptions& opts, int out_fd) {
    if (argv.empty()) throw std::runtime_error("spawn_child: empty argv");
    SpawnOptions spawn;
    spawn.run_as = opts.run_as_user;
    spawn.death_signal = opts.parent_death_signal;
    int log_fd = -1;
    if (out_fd < 0 && !opts.log_path.empty()) {
        log_fd = open(opts.log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
        if (log_fd < 0)
            throw std::runtime_error("cannot open " + opts.log_path + ": " + std::strerror(errno));
        if (!opts.run_as_user.empty() && geteuid() == 0)
            if (passwd* pw = getpwnam(opts.run_as_user.c_str()))
                if (fchown(log_fd, pw->pw_uid, pw->pw_gid) != 0) { /* root can still write it */
                }
        out_fd = log_fd;
    }
    try {
        const pid_t pid = start_child(argv, spawn, {.out_fd = out_fd, .err_fd = out_fd});
        if (log_fd >= 0) close(log_fd);
        return pid;
    } catch (const std::exception& e) {
        if (log_fd >= 0) close(log_fd);
        throw std::runtime_error(e.what());
    }
}

} // namespace

pid_t spawn_child(const std::vector<std::string>& argv, const ChildOptions& opts) {
    return fork_exec(argv, opts, -1);
}

int run_child(const std::vector<std::string>& argv, std::string* output, const ChildOptions& opts,
              int timeout_ms) {
    int out[2];
    if (pipe2(out, O_CLOEXEC) != 0)
        throw std::runtime_error(std::string("pipe: ") + std::strerror(errno));
    pid_t pid;
    try {
        pid = fork_exec(argv, opts, out[1]);
    } catch (...) {
        close(out[0]);
        close(out[1]);
        throw;
    }
    close(out[1]);
    auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
    std::string text;
    char buf[4096];
    bool timed_out = false;
    while (true) {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0) {
            timed_out = true;
            break;
        }
        pollfd p{out[0], POLLIN, 0};
        if (poll(&p, 1, static_cast<int>(left.count())) <= 0) continue;
        ssize_t n = read(out[0], buf, sizeof buf);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        text.append(buf, static_cast<std::size_t>(n));
    }
    close(out[0]);
    if (output) *output = text;
    if (timed_out) {
        kill(pid, SIGKILL);
        waitpid(pid, nullptr, 0);
        return -1;
    }
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

bool child_running(pid_t pid) {
    if (pid <= 0) return false;
    int status = 0;
    return waitpid(pid, &status, WNOHANG) == 0;
}

void stop_child(pid_t pid, int sig, int grace_ms) {
    if (!child_running(pid)) return;
    kill(pid, sig);
    auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(grace_ms);
    while (std::chrono::steady_clock::now() < deadline) {
        if (!child_running(pid)) return;
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    kill(pid, SIGKILL);
    waitpid(pid, nullptr, 0);
}

std::string file_tail(const std::string& path, int max_lines) {
    std::ifstream in(path);
    std::deque<std::string> lines;
    for (std::string line; std::getline(in, line);) {
        lines.push_back(line);
        if (static_cast<int>(lines.size()) > max_lines) lines.pop_front();
    }
    std::string out;
    for (const auto& l : lines)
        out += l + "\n";
    return out;
}

std::string server_user(const std::string& user) {
    return geteuid() == 0 ? user : std::string();
}

} // namespace ebap::test
