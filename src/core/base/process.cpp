#include "core/base/process.hpp"

#include "core/base/error.hpp"

#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <pwd.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

namespace ebap {

namespace {

// Everything exec needs, built before fork: the child of a multi-threaded process (the demo
// hosts librdkafka's threads) may only make async-signal-safe calls, so no allocation,
// putenv or PATH search after fork.
struct ExecPlan {
    std::string path;                  // resolved executable
    std::vector<std::string> env_text; // "NAME=value", environ overlaid with SpawnOptions::env
    std::vector<char*> argv, envp;     // null-terminated views of the above
};

std::string resolve_path(const std::string& file) {
    if (file.find('/') != std::string::npos) return file;
    const char* path = std::getenv("PATH");
    std::string dirs = path && *path ? path : "/usr/local/bin:/usr/bin:/bin";
    dirs += ":/usr/sbin:/sbin"; // servers (redis-server on some systems) live there
    std::size_t at = 0;
    while (at <= dirs.size()) {
        std::size_t colon = dirs.find(':', at);
        if (colon == std::string::npos) colon = dirs.size();
        std::string dir = dirs.substr(at, colon - at);
        const std::string candidate = (dir.empty() ? "." : dir) + "/" + file;
        if (access(candidate.c_str(), X_OK) == 0) return candidate;
        at = colon + 1;
    }
    return file; // execve fails with ENOENT: exit 127, as a shell would
}

ExecPlan plan_exec(const std::vector<std::string>& argv, const SpawnOptions& opts) {
    ExecPlan p;
    p.path = resolve_path(argv[0]);
    auto name_of = [](const std::string& e) { return e.substr(0, e.find('=')); };
    // "NAME=VALUE" sets NAME, a bare "NAME" removes it.
    for (char** e = environ; e && *e; ++e) {
        const std::string entry = *e;
        bool overridden = false;
        for (const auto& o : opts.env)
            overridden = overridden || name_of(o) == name_of(entry);
        if (!overridden) p.env_text.push_back(entry);
    }
    for (const auto& o : opts.env)
        if (o.find('=') != std::string::npos) p.env_text.push_back(o);
    for (const auto& a : argv)
        p.argv.push_back(const_cast<char*>(a.c_str()));
    p.argv.push_back(nullptr);
    for (auto& e : p.env_text)
        p.envp.push_back(e.data());
    p.envp.push_back(nullptr);
    return p;
}

// Runs in the child after fork: only async-signal-safe calls until exec.
[[noreturn]] void exec_child(const ExecPlan& plan, const SpawnOptions& opts, const ChildIo& io,
                             int status_fd, pid_t parent, uid_t uid, gid_t gid,
                             bool switch_user) {
    const int devnull = open("/dev/null", O_RDWR);
    dup2(io.in_fd >= 0 ? io.in_fd : devnull, STDIN_FILENO);
    dup2(io.out_fd >= 0 ? io.out_fd : devnull, STDOUT_FILENO);
    dup2(io.err_fd >= 0 ? io.err_fd : devnull, STDERR_FILENO);
    setpgid(0, 0); // own process group: a terminal's Ctrl-C reaches us, we stop children
    int e = 0;
    if (switch_user && (setgroups(0, nullptr) != 0 || setgid(gid) != 0 || setuid(uid) != 0))
        e = errno;
    // Set after the uid change, which clears it.
    if (!e && opts.death_signal) {
        prctl(PR_SET_PDEATHSIG, opts.death_signal);
        if (getppid() != parent) _exit(1); // the parent died before the signal was armed
    }
    if (!e) {
        execve(plan.path.c_str(), plan.argv.data(), plan.envp.data());
        e = errno;
    }
    ssize_t ignored = write(status_fd, &e, sizeof e);
    (void)ignored;
    _exit(127);
}

} // namespace

pid_t start_child(const std::vector<std::string>& argv, const SpawnOptions& opts,
                  const ChildIo& io) {
    if (argv.empty()) throw Error("internal: empty command line");
    uid_t uid = 0;
    gid_t gid = 0;
    const bool switch_user = !opts.run_as.empty() && geteuid() == 0;
    if (switch_user) {
        passwd* pw = getpwnam(opts.run_as.c_str());
        if (!pw) throw Error("cannot run " + argv[0] + " as unknown user '" + opts.run_as + "'");
        uid = pw->pw_uid;
        gid = pw->pw_gid;
    }
    const ExecPlan plan = plan_exec(argv, opts);
    int status[2];
    if (pipe2(status, O_CLOEXEC) != 0)
        throw Error("cannot start " + argv[0] + ": " + std::strerror(errno));
    const pid_t parent = getpid();
    const pid_t pid = fork();
    if (pid < 0) {
        const int e = errno;
        close(status[0]);
        close(status[1]);
        throw Error("cannot start " + argv[0] + ": " + std::strerror(e));
    }
    if (pid == 0) exec_child(plan, opts, io, status[1], parent, uid, gid, switch_user);
    setpgid(pid, pid); // also from the parent: no race with an early kill(-pid)
    close(status[1]);
    int exec_errno = 0;
    ssize_t got;
    while ((got = read(status[0], &exec_errno, sizeof exec_errno)) < 0 && errno == EINTR) {
    }
    close(status[0]);
    if (got == sizeof exec_errno) {
        while (waitpid(pid, nullptr, 0) < 0 && errno == EINTR) {
        }
        throw Error("cannot run " + argv[0] + ": " + std::strerror(exec_errno));
    }
    return pid;
}

pid_t spawn_process(const std::vector<std::string>& argv, const SpawnOptions& opts) {
    int fd = open(opts.log_file.empty() ? "/dev/null" : opts.log_file.c_str(),
                  O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd < 0) throw Error("cannot open log " + opts.log_file + ": " + std::strerror(errno));
    if (!opts.run_as.empty() && geteuid() == 0) {
        if (passwd* pw = getpwnam(opts.run_as.c_str()))
            if (fchown(fd, pw->pw_uid, pw->pw_gid) != 0) { /* log stays root-owned; fine */
            }
    }
    pid_t pid;
    try {
        pid = start_child(argv, opts, {.out_fd = fd, .err_fd = fd});
    } catch (...) {
        close(fd);
        throw;
    }
    close(fd);
    return pid;
}

RunResult run_process(const std::vector<std::string>& argv, int timeout_ms,
                      const SpawnOptions& opts, bool split_stderr) {
    int fds[2];
    int errs[2] = {-1, -1};
    if (pipe2(fds, O_CLOEXEC) != 0) throw Error(std::string("pipe: ") + std::strerror(errno));
    if (split_stderr && pipe2(errs, O_CLOEXEC) != 0) {
        const int e = errno;
        close(fds[0]);
        close(fds[1]);
        throw Error(std::string("pipe: ") + std::strerror(e));
    }
    pid_t pid;
    try {
        pid = start_child(argv, opts, {.out_fd = fds[1], .err_fd = split_stderr ? errs[1] : fds[1]});
    } catch (...) {
        for (int fd : {fds[0], fds[1], errs[0], errs[1]})
            if (fd >= 0) close(fd);
        throw;
    }
    close(fds[1]);
    if (split_stderr) close(errs[1]);
    RunResult r;
    auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
    char buf[4096];
    pollfd p[2] = {{fds[0], POLLIN, 0}, {errs[0], POLLIN, 0}};
    const int nfds = split_stderr ? 2 : 1;
    int open_fds = nfds;
    while (open_fds > 0) {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                        deadline - std::chrono::steady_clock::now())
                        .count();
        if (left <= 0) {
            r.timed_out = true;
            break;
        }
        int n = poll(p, nfds, static_cast<int>(left));
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) continue;
        for (int i = 0; i < nfds; ++i) {
            if (p[i].fd < 0 || !(p[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
            ssize_t got = read(p[i].fd, buf, sizeof buf);
            if (got <= 0) {
                close(p[i].fd);
                p[i].fd = -1;
                --open_fds;
                continue;
            }
            std::string& to = i == 0 ? r.output : r.err;
            if (to.size() < (1u << 20)) to.append(buf, got);
        }
    }
    for (auto& f : p)
        if (f.fd >= 0) close(f.fd);
    if (r.timed_out) {
        kill(-pid, SIGKILL);
        kill(pid, SIGKILL);
    }
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    if (!r.timed_out && WIFEXITED(status)) r.exit_code = WEXITSTATUS(status);
    return r;
}

bool process_alive(pid_t pid) {
    int status;
    return waitpid(pid, &status, WNOHANG) == 0;
}

bool stop_process(pid_t pid, int grace_ms) {
    if (pid <= 0) return false;
    kill(pid, SIGTERM);
    auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(grace_ms);
    int status;
    while (std::chrono::steady_clock::now() < deadline) {
        pid_t r = waitpid(pid, &status, WNOHANG);
        if (r == pid || (r < 0 && errno == ECHILD)) return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    kill(pid, SIGKILL);
    waitpid(pid, &status, 0);
    return false;
}

} // namespace ebap
