#include "core/base/state_file.hpp"

#include "core/base/error.hpp"

#include <filesystem>
#include <fstream>
#include <unistd.h>

namespace ebap {
namespace fs = std::filesystem;

StateFile::StateFile(const std::string& state_dir, const std::string& name)
    : path_(state_dir + "/" + name) {}

nlohmann::json StateFile::read() const {
    std::ifstream in(path_);
    if (!in) return nlohmann::json::object();
    auto doc = nlohmann::json::parse(in, nullptr, false);
    return doc.is_object() ? doc : nlohmann::json::object();
}

bool StateFile::write(const nlohmann::json& doc) const {
    std::error_code ec;
    fs::create_directories(fs::path(path_).parent_path(), ec);
    std::string tmp = path_ + ".tmp." + std::to_string(getpid());
    {
        std::ofstream out(tmp, std::ios::trunc);
        if (!out) return false;
        out << doc.dump();
        if (!out) return false;
    }
    fs::rename(tmp, path_, ec);
    return !ec;
}

void ensure_dir(const std::string& path) {
    std::error_code ec;
    fs::create_directories(path, ec);
    if (ec) throw Error("cannot create directory " + path + ": " + ec.message());
}

} // namespace ebap
