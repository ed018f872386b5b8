// trino-peer ROWS [PAGE_ROWS] [STATEMENTS]: the test peer as a process for bench/, answering
// each statement with ROWS synthetic rows (bigint, varchar, double, boolean, varchar with
// NULLs) in pages of PAGE_ROWS; prints its URL on stdout, then serves until killed.
#include "support/trino_peer.hpp"

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <unistd.h>

int main(int argc, char** argv) {
    if (argc < 2) {
        std::fprintf(stderr, "usage: trino-peer ROWS [PAGE_ROWS] [STATEMENTS]\n");
        return 2;
    }
    const long rows = std::atol(argv[1]);
    const long page = argc > 2 ? std::atol(argv[2]) : 10000;
    const int statements = argc > 3 ? std::atoi(argv[3]) : 100;
    ebap::test::TrinoPeer peer;
    for (int i = 0; i < statements; ++i) peer.enqueue({{.rows = rows, .page_rows = page}});
    std::printf("%s\n", peer.url().c_str());
    std::fflush(stdout);
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigprocmask(SIG_BLOCK, &set, nullptr);
    int sig = 0;
    sigwait(&set, &sig);
    return 0;
}
