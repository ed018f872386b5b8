#pragma once
// A unique scratch directory for one test object, removed with it.
#include <string>

namespace ebap::test {

// $EBAP_TEST_TMP (set by ctest to <build>/test-tmp) or /tmp; created if missing.
std::string test_tmp_root();

class TempDir {
  public:
    // Creates <root>/<prefix>-XXXXXX (mode 0755 so a server user can traverse it).
    explicit TempDir(const std::string& prefix);
    ~TempDir(); // removes the whole tree, errors ignored
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    const std::string& path() const { return path_; }
    std::string file(const std::string& name) const { return path_ + "/" + name; }

  private:
    std::string path_;
};

} // namespace ebap::test
