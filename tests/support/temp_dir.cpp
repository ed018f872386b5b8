#include "support/temp_dir.hpp"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <stdexcept>
#include <vector>

#include <sys/stat.h>

namespace ebap::test {

std::string test_tmp_root() {
    const char* env = std::getenv("EBAP_TEST_TMP");
    std::string root = env && *env ? env : "/tmp";
    std::error_code ec;
    std::filesystem::create_directories(root, ec);
    if (ec) throw std::runtime_error("cannot create test tmp root " + root + ": " + ec.message());
    return root;
}

TempDir::TempDir(const std::string& prefix) {
    std::string pattern = test_tmp_root() + "/" + prefix + "-XXXXXX";
    std::vector<char> buf(pattern.begin(), pattern.end());
    buf.push_back('\0');
    if (!mkdtemp(buf.data()))
        throw std::runtime_error("mkdtemp " + pattern + ": " + std::strerror(errno));
    path_ = buf.data();
    chmod(path_.c_str(), 0755);
}

TempDir::~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
}

} // namespace ebap::test
