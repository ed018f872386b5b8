#pragma once
// Child processes without a shell: spawn, run with a deadline, stop.
#include <string>
#include <sys/types.h>
#include <vector>

namespace ebap {

struct SpawnOptions {
    std::string run_as;           // user name to switch to (when we are root), empty = stay
    std::string log_file;         // stdout+stderr appended here; empty = /dev/null
    bool die_with_parent = true;  // PR_SET_PDEATHSIG: no orphan survives us
    std::vector<std::string> env; // extra NAME=VALUE entries
};

// Starts argv[0] (PATH lookup) and returns its pid; throws Error naming argv[0].
pid_t spawn_process(const std::vector<std::string>& argv, const SpawnOptions& opts = {});

struct RunResult {
    int exit_code = -1; // -1 when killed or timed out
    bool timed_out = false;
    std::string output; // stdout and stderr, interleaved
};

// Runs to completion or kills it at the deadline.
RunResult run_process(const std::vector<std::string>& argv, int timeout_ms,
                      const SpawnOptions& opts = {});

// SIGTERM, wait up to grace_ms, then SIGKILL; reaps the child. Returns true if it exited.
bool stop_process(pid_t pid, int grace_ms = 5000);

// Non-blocking: true while the child has not exited (reaps it when it has).
bool process_alive(pid_t pid);

} // namespace ebap
