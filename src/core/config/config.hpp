#pragma once
// Resolved configuration: built-in defaults < config file < environment < flags.
// Every value remembers where it came from so `ebapctl doctor` can say so.
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace ebap {

struct ConfigValue {
    std::string text;              // scalar value (ints are kept as text too)
    std::vector<std::string> list; // array values (e.g. kafka.groups)
    bool is_list = false;
    std::string origin = "default"; // "default", "FILE:LINE", "env NAME", "flag --x"
};

enum class ConfigType { Text, Int, Number };

// One known key: its default, the environment variable that overrides it, whether it is
// a secret (shown as ****), and for numbers their type and range, checked once at load
// for every command (the error names the file:line or variable the value came from).
struct ConfigKey {
    const char* key;
    const char* env; // nullptr when no environment override exists
    const char* fallback;
    bool secret;
    bool is_list;
    const char* help;
    ConfigType type = ConfigType::Text;
    double min = 0, max = 0; // inclusive, for Int and Number
};

const std::vector<ConfigKey>& config_keys();

// How Config::load resolves: `env = false` leaves the environment's overrides out (the demo
// loads its own file so that only what it started is touched).
struct LoadOptions {
    bool env = true;
};

class Config {
  public:
    // Built-in defaults plus environment overrides; no file.
    static Config defaults();
    // Resolve the search order (explicit path, $EBAPCTL_CONFIG, ./ebapctl.toml,
    // $XDG_CONFIG_HOME/ebapctl/config.toml, /etc/ebapctl/config.toml).
    // Throws UsageError naming file:line:column and key on a bad file, and saying why a
    // file that is there cannot be read (a directory, permission denied).
    static Config load(const std::string& explicit_path = {}, LoadOptions opts = {});
    // Parse one TOML text as if it came from `path` (tests use this).
    static Config from_toml(const std::string& text, const std::string& path,
                            LoadOptions opts = {});

    const std::string& str(const std::string& key) const;
    long num(const std::string& key) const; // throws UsageError if not an integer
    const std::vector<std::string>& list(const std::string& key) const;
    const ConfigValue& value(const std::string& key) const;
    bool is_secret(const std::string& key) const;
    void set(const std::string& key, const std::string& text, const std::string& origin);

    const std::string& file() const { return file_; } // empty when none was found
    const std::vector<std::string>& warnings() const { return warnings_; }
    const std::map<std::string, ConfigValue>& values() const { return values_; }

    // Convenience views used by many clients.
    std::string redis_prefix() const { return str("redis.prefix"); }
    std::string state_dir() const { return str("paths.state_dir"); }
    std::string cold_root() const { return str("paths.cold_root"); }
    // libpq conninfo from postgres.* (password included: never print it).
    std::string pg_conninfo() const;

  private:
    static Config builtin(); // every key at its fallback, no environment
    void apply_env();
    void validate() const;
    void derive_paths();
    std::map<std::string, ConfigValue> values_;
    std::string file_;
    std::vector<std::string> warnings_;
};

// Levenshtein-closest known key, for "unknown key, did you mean" warnings.
std::string closest_key(const std::string& key);

} // namespace ebap
