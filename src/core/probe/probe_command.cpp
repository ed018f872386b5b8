// command probe: run an argv (no shell) in its own process group; exit 0 is UP.
// Past the deadline the whole group is killed, so a hung check never outlives it.
#include "core/base/process.hpp"
#include "core/probe/probe_kinds.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>

#include <fcntl.h>
#include <poll.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

namespace ebap::probe_detail {
namespace {

constexpr std::size_t kKeepTail = 4096; // only the last line matters

// PATH lookup happens before fork: the child must only call async-signal-safe functions.
std::string find_program(const std::string& name) {
    if (name.find('/') != std::string::npos) return name;
    const char* path = std::getenv("PATH");
    std::string dirs = path ? path : "/usr/local/bin:/usr/bin:/bin";
    std::size_t pos = 0;
    while (pos <= dirs.size()) {
        std::size_t end = dirs.find(':', pos);
        if (end == std::string::npos) end = dirs.size();
        std::string dir = dirs.substr(pos, end - pos);
        std::string candidate = (dir.empty() ? "." : dir) + "/" + name;
        struct stat st {};
        if (stat(candidate.c_str(), &st) == 0 && S_ISREG(st.st_mode) &&
            access(candidate.c_str(), X_OK) == 0)
            return candidate;
        pos = end + 1;
    }
    return {};
}

std::string last_line(const std::string& text) {
    std::size_t end = text.find_last_not_of(" \t\r\n");
    if (end == std::string::npos) return {};
    std::size_t from = text.rfind('\n', end);
    from = from == std::string::npos ? 0 : from + 1;
    return one_line(text.substr(from, end + 1 - from), 160);
}

struct Pipe {
    int fd[2] = {-1, -1};
    bool open() { return pipe2(fd, O_CLOEXEC) == 0; }
    void close_end(int i) {
        if (fd[i] >= 0) ::close(fd[i]);
        fd[i] = -1;
    }
    ~Pipe() {
        close_end(0);
        close_end(1);
    }
};

// Reads whatever is available; returns false at EOF or error.
bool read_some(int fd, std::string& into) {
    char buf[4096];
    ssize_t n = read(fd, buf, sizeof buf);
    if (n < 0 && (errno == EINTR || errno == EAGAIN)) return true;
    if (n <= 0) return false;
    into.append(buf, static_cast<std::size_t>(n));
    if (into.size() > 2 * kKeepTail) into.erase(0, into.size() - kKeepTail);
    return true;
}

} // namespace

ProbeResult probe_command(const ProbeSpec& spec, int timeout_ms) {
    const auto start = Clock::now();
    const auto deadline = start + std::chrono::milliseconds(timeout_ms);
    if (spec.command.empty()) return finish(Health::Unknown, "no command configured", start);
    std::string program = find_program(spec.command[0]);
    if (program.empty())
        return finish(Health::Down, "command not found: " + spec.command[0], start);

    std::vector<std::string> argv = spec.command;
    argv[0] = program;

    Pipe out, err;
    if (!out.open() || !err.open())
        return finish(Health::Unknown, std::string("cannot create pipes: ") + std::strerror(errno),
                      start);
    pid_t pid = -1;
    try {
        pid = start_child(argv, {}, {.out_fd = out.fd[1], .err_fd = err.fd[1]});
    } catch (const std::exception& e) {
        return finish(Health::Down, e.what(), start);
    }
    out.close_end(1);
    err.close_end(1);

    std::string out_text, err_text;
    std::array<bool, 2> open_fd{true, true};
    int status = 0;
    bool exited = false;
    while (!exited) {
        if (Clock::now() >= deadline) {
            kill(-pid, SIGKILL);
            waitpid(pid, nullptr, 0);
            return finish(Health::Down, no_answer(timeout_ms) + " (killed)", start);
        }
        std::array<pollfd, 2> fds{
            {{open_fd[0] ? out.fd[0] : -1, POLLIN, 0}, {open_fd[1] ? err.fd[0] : -1, POLLIN, 0}}};
        // Short waits: a child can exit while a grandchild still holds the pipes.
        int n = poll(fds.data(), fds.size(), std::min(remaining_ms(deadline), 20));
        if (n > 0) {
            if (fds[0].revents && !read_some(out.fd[0], out_text)) open_fd[0] = false;
            if (fds[1].revents && !read_some(err.fd[0], err_text)) open_fd[1] = false;
        }
        pid_t w = waitpid(pid, &status, WNOHANG);
        exited = w == pid || (w < 0 && errno == ECHILD);
    }
    // Pick up what the child wrote just before it exited.
    for (int i = 0; i < 2; ++i) {
        int fd = i == 0 ? out.fd[0] : err.fd[0];
        fcntl(fd, F_SETFL, O_NONBLOCK);
        while (open_fd[i]) {
            std::size_t before = (i == 0 ? out_text : err_text).size();
            if (!read_some(fd, i == 0 ? out_text : err_text) ||
                (i == 0 ? out_text : err_text).size() == before)
                break;
        }
    }

    if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
        std::string line = last_line(out_text);
        return finish(Health::Up, line.empty() ? "exit 0" : line, start);
    }
    std::string why =
        WIFSIGNALED(status)
            ? fmt::format("killed by signal {} ({})", WTERMSIG(status), strsignal(WTERMSIG(status)))
            : fmt::format("exit {}", WEXITSTATUS(status));
    std::string line = last_line(err_text);
    if (line.empty()) line = last_line(out_text);
    return finish(Health::Down, line.empty() ? why : why + ": " + line, start);
}

} // namespace ebap::probe_detail
