#include "tui/console.hpp"

#include "core/base/error.hpp"

#include <cstdio>

namespace ebap::tui {

int run_console(std::shared_ptr<const Config>, const Catalog&, const ConsoleOptions&) {
    std::fprintf(stderr, "ebapctl: the full-screen console is not built yet; "
                         "try 'ebapctl --help' or 'ebapctl demo'\n");
    return kExitUsage;
}

} // namespace ebap::tui
