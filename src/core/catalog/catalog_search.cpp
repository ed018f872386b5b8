// Finding catalogs: by file path, or by name in the stacks/ search path.
#include "build_info.hpp"
#include "core/catalog/catalog.hpp"
#include "core/base/error.hpp"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

namespace ebap {
namespace {
namespace fs = std::filesystem;

// $EBAP_STACKS_DIR first so tests and operators can override what is installed.
std::vector<fs::path> search_dirs() {
    std::vector<fs::path> dirs;
    if (const char* env = std::getenv("EBAP_STACKS_DIR"); env && *env) dirs.emplace_back(env);
    dirs.emplace_back("stacks");
    dirs.emplace_back(fs::path(build::datadir) / "stacks");
    dirs.emplace_back(fs::path(build::source_dir) / "stacks");
    return dirs;
}

bool is_file_argument(const std::string& arg) {
    return arg.find('/') != std::string::npos ||
           (arg.size() > 5 && arg.compare(arg.size() - 5, 5, ".toml") == 0);
}

Catalog load_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw UsageError(path + ": cannot read catalog file (does it exist?)");
    std::ostringstream text;
    text << in.rdbuf();
    return parse_catalog(text.str(), path);
}

} // namespace

std::vector<std::string> catalog_names() {
    std::set<std::string> names;
    for (const auto& dir : search_dirs()) {
        std::error_code ec;
        for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec))
            if (it->path().extension() == ".toml" && it->is_regular_file(ec))
                names.insert(it->path().stem().string());
    }
    return {names.begin(), names.end()};
}

Catalog load_catalog(const std::string& name_or_file) {
    if (is_file_argument(name_or_file)) return load_file(name_or_file);
    std::string searched;
    for (const auto& dir : search_dirs()) {
        fs::path candidate = dir / (name_or_file + ".toml");
        std::error_code ec;
        if (fs::is_regular_file(candidate, ec)) return load_file(candidate.string());
        searched += (searched.empty() ? "" : ", ") + dir.string();
    }
    std::string available;
    for (const auto& n : catalog_names())
        available += (available.empty() ? "" : ", ") + n;
    throw UsageError("unknown catalog '" + name_or_file +
                     "' (available: " + (available.empty() ? "none" : available) + "; searched " +
                     searched + "; or pass a path to a .toml file)");
}

} // namespace ebap
