#include "cli/stderr_log.hpp"

#include "core/base/format.hpp"

#include <cstdio>

namespace ebap::cli {

void StderrSink::write(const log::Line& line) {
    std::string out = "ebapctl " + printable(line.source) + ": ";
    if (line.level != log::Level::Info) out += std::string(log::level_name(line.level)) + ": ";
    out += printable(line.text);
    out += '\n';
    std::fwrite(out.data(), 1, out.size(), stderr);
}

} // namespace ebap::cli
