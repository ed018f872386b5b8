#pragma once
// A small JSON document under the state directory, replaced atomically.
#include <nlohmann/json.hpp>

#include <string>

namespace ebap {

class StateFile {
  public:
    StateFile(const std::string& state_dir, const std::string& name);
    // The stored document, or an empty object when missing or unreadable.
    nlohmann::json read() const;
    // Writes to a temporary name and renames; creates the directory. Best effort:
    // an unwritable state dir must not fail a read-only command.
    bool write(const nlohmann::json& doc) const;
    const std::string& path() const { return path_; }

  private:
    std::string path_;
};

// mkdir -p; throws Error naming the path on failure.
void ensure_dir(const std::string& path);

} // namespace ebap
