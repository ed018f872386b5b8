#include "support/cli_run.hpp"

#include "core/base/process.hpp"

#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <poll.h>
#include <sys/wait.h>
#include <unistd.h>

namespace ebap::test {

CliResult run_argv(const std::vector<std::string>& argv,
                   const std::map<std::string, std::string>& env, int timeout_ms,
                   const std::string& stdin_data) {
    int out[2], err[2], in[2];
    if (pipe2(out, O_CLOEXEC) || pipe2(err, O_CLOEXEC) || pipe2(in, O_CLOEXEC)) return {};
    SpawnOptions opts;
    opts.death_signal = 0; // as a shell would start it
    for (const auto& [k, v] : env)
        opts.env.push_back(v == "<unset>" ? k : k + "=" + v);
    pid_t pid = -1;
    try {
        pid = start_child(argv, opts, {.in_fd = in[0], .out_fd = out[1], .err_fd = err[1]});
    } catch (const std::exception& e) {
        for (int fd : {out[0], out[1], err[0], err[1], in[0], in[1]})
            close(fd);
        CliResult failed;
        failed.exit_code = 127;
        failed.err = e.what();
        return failed;
    }
    close(out[1]);
    close(err[1]);
    close(in[0]);
    if (!stdin_data.empty()) {
        // Small inputs only: fits the pipe buffer.
        ssize_t w = write(in[1], stdin_data.data(), stdin_data.size());
        (void)w;
    }
    close(in[1]);
    CliResult r;
    auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
    pollfd fds[2] = {{out[0], POLLIN, 0}, {err[0], POLLIN, 0}};
    int open_fds = 2;
    bool timed_out = false;
    char buf[65536];
    while (open_fds > 0) {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                        deadline - std::chrono::steady_clock::now())
                        .count();
        if (left <= 0) {
            timed_out = true;
            break;
        }
        int n = poll(fds, 2, static_cast<int>(left));
        if (n < 0 && errno == EINTR) continue;
        for (int i = 0; i < 2; ++i) {
            if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
            ssize_t got = read(fds[i].fd, buf, sizeof buf);
            if (got <= 0) {
                close(fds[i].fd);
                fds[i].fd = -1;
                --open_fds;
            } else {
                (i == 0 ? r.out : r.err).append(buf, got);
            }
        }
    }
    for (auto& f : fds)
        if (f.fd >= 0) close(f.fd);
    if (timed_out) kill(pid, SIGKILL);
    int status = 0;
    waitpid(pid, &status, 0);
    if (!timed_out && WIFEXITED(status)) r.exit_code = WEXITSTATUS(status);
    return r;
}

CliResult run_cli(const std::vector<std::string>& args,
                  const std::map<std::string, std::string>& env, int timeout_ms) {
    std::vector<std::string> argv = {EBAPCTL_BIN};
    argv.insert(argv.end(), args.begin(), args.end());
    return run_argv(argv, env, timeout_ms);
}

} // namespace ebap::test
