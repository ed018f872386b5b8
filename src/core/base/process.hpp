#pragma once
// Child processes without a shell: spawn, run with a deadline, stop.
#include <csignal>
#include <string>
#include <sys/types.h>
#include <vector>

namespace ebap {

struct SpawnOptions {
    std::string run_as;           // user name to switch to (when we are root), empty = stay
    std::string log_file;         // stdout+stderr appended here; empty = /dev/null
    // PR_SET_PDEATHSIG: no orphan survives us (Linux sends it when the forking *thread*
    // exits: start long-lived children from a long-lived thread). 0: keep running.
    int death_signal = SIGTERM;
    // Over this process's environment: "NAME=VALUE" sets, a bare "NAME" removes.
    std::vector<std::string> env;
};

// The one way this project starts a child. argv, environment and executable path are
// prepared before fork (a multi-threaded parent's child may only make async-signal-safe
// calls); the child gets its own process group, /dev/null or `in_fd` as stdin, the given
// stdout/stderr (-1: /dev/null). An exec failure is reported back through a close-on-exec
// pipe and thrown as Error("cannot run ARGV0: reason"); returns the pid.
struct ChildIo {
    int in_fd = -1, out_fd = -1, err_fd = -1;
};
pid_t start_child(const std::vector<std::string>& argv, const SpawnOptions& opts,
                  const ChildIo& io);

// Starts argv[0] (PATH lookup) and returns its pid; throws Error naming argv[0].
pid_t spawn_process(const std::vector<std::string>& argv, const SpawnOptions& opts = {});

struct RunResult {
    int exit_code = -1; // -1 when killed or timed out
    bool timed_out = false;
    std::string output; // stdout and stderr, interleaved (stdout only with split_stderr)
    std::string err;    // stderr, with split_stderr
};

// Runs to completion or kills it at the deadline. split_stderr keeps stderr out of
// `output` (in `err`), for callers that parse what a tool prints.
RunResult run_process(const std::vector<std::string>& argv, int timeout_ms,
                      const SpawnOptions& opts = {}, bool split_stderr = false);

// SIGTERM, wait up to grace_ms, then SIGKILL; reaps the child. Returns true if it exited.
bool stop_process(pid_t pid, int grace_ms = 5000);

// Non-blocking: true while the child has not exited (reaps it when it has).
bool process_alive(pid_t pid);

} // namespace ebap
