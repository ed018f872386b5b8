#pragma once
// The Trino CLI's progress line on stderr while a statement runs: its own thread redraws
// the latest stats every 250 ms, so drawing never delays the fetch loop (which only copies
// a small struct under a mutex); nothing is drawn for statements shorter than 500 ms.
#include "core/sql/result.hpp"

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

namespace ebap::cli {

class ProgressLine {
  public:
    explicit ProgressLine(bool enabled, std::string engine);
    ~ProgressLine(); // stops and clears the line
    void update(const sql::QueryStats& stats);
    // Stops drawing for good and clears the line (before results go to the terminal).
    void stop();

  private:
    void loop();
    std::string render(const sql::QueryStats& s, double elapsed_s) const;
    bool enabled_;
    std::string engine_;
    std::mutex mu_;
    std::condition_variable cv_;
    sql::QueryStats stats_;
    bool stopping_ = false, drawn_ = false;
    std::chrono::steady_clock::time_point start_;
    std::thread thread_;
};

// "0:03" as the Trino CLI prints elapsed time.
std::string trino_time(double seconds);

} // namespace ebap::cli
