#include "cli/stop_signals.hpp"

#include <csignal>
#include <unistd.h>

namespace ebap::cli {
namespace {

constexpr int kSignals[] = {SIGINT, SIGTERM, SIGHUP};

std::atomic<bool> g_requested{false};
std::atomic<int> g_count{0};
std::atomic<std::atomic<bool>*> g_also{nullptr};
std::atomic<bool> g_second_exits{false};

extern "C" void on_stop_signal(int) {
    if (g_count.fetch_add(1) > 0 && g_second_exits.load()) _exit(130);
    g_requested.store(true);
    if (std::atomic<bool>* also = g_also.load()) also->store(true);
}

} // namespace

struct StopSignals::Saved {
    struct sigaction old[3];
};

StopSignals::StopSignals(std::atomic<bool>* also, bool second_exits) : saved_(new Saved{}) {
    g_requested.store(false);
    g_count.store(0);
    g_also.store(also);
    g_second_exits.store(second_exits);
    struct sigaction sa {};
    sa.sa_handler = on_stop_signal;
    sigemptyset(&sa.sa_mask);
    for (int i = 0; i < 3; ++i)
        sigaction(kSignals[i], &sa, &saved_->old[i]);
}

StopSignals::~StopSignals() {
    for (int i = 0; i < 3; ++i)
        sigaction(kSignals[i], &saved_->old[i], nullptr);
    g_also.store(nullptr);
    delete saved_;
}

bool StopSignals::requested() { return g_requested.load(); }

} // namespace ebap::cli
