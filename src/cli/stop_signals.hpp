#pragma once
// SIGINT, SIGTERM and SIGHUP (terminal closed) ask a long-running command to stop cleanly;
// the previous handlers come back when the scope ends. One instance at a time.
#include <atomic>

namespace ebap::cli {

class StopSignals {
  public:
    // `also` (optional) is raised with the scope's own flag, e.g. a worker's stop flag.
    // With second_exits, a second signal ends the process at once with status 130.
    explicit StopSignals(std::atomic<bool>* also = nullptr, bool second_exits = false);
    ~StopSignals();
    StopSignals(const StopSignals&) = delete;
    StopSignals& operator=(const StopSignals&) = delete;

    static bool requested(); // a signal arrived since the scope began

  private:
    struct Saved;
    Saved* saved_;
};

} // namespace ebap::cli
