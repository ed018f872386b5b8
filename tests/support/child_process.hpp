#pragma once
// Child processes for test servers, without a shell. Children started with
// die_with_parent get a signal when the test process dies (even by SIGKILL or a
// crash), so a failed test never leaves a server behind. Linux delivers that
// signal when the *thread* that forked exits: start servers from the test's
// main thread (gtest fixtures and test bodies are).
#include <string>
#include <sys/types.h>
#include <vector>

namespace ebap::test {

struct ChildOptions {
    std::string log_path;        // stdout+stderr appended here (empty: /dev/null)
    std::string run_as_user;     // switch to this user first (only when we are root)
    int parent_death_signal = 0; // e.g. SIGKILL; 0 = keep running if we die
};

// Starts argv[0] (searched in PATH). Throws std::runtime_error when it cannot start.
pid_t spawn_child(const std::vector<std::string>& argv, const ChildOptions& opts = {});

// Runs to completion; output (stdout+stderr) into *output. Returns the exit
// status, or -1 when killed after timeout_ms.
int run_child(const std::vector<std::string>& argv, std::string* output = nullptr,
              const ChildOptions& opts = {}, int timeout_ms = 120000);

// True while pid has not exited (reaps it when it has).
bool child_running(pid_t pid);

// Sends sig, waits up to grace_ms, then SIGKILL; always reaps.
void stop_child(pid_t pid, int sig, int grace_ms);

// The last max_lines lines of a file ("" if unreadable): for error messages.
std::string file_tail(const std::string& path, int max_lines = 20);

// When we are root, `user` runs server processes (postgres refuses root); else "".
std::string server_user(const std::string& user);

} // namespace ebap::test
