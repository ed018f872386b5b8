#pragma once
// What Tab offers while an operator types SQL (the REPL and the console's SQL line): the
// keywords, and the catalogs, schemas, tables and columns a server has, learned from
// SHOW CATALOGS / information_schema on a thread of its own with its own client, so a slow
// catalog never delays the prompt.
#include "core/sql/sql_client.hpp"

#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace ebap::sql {

class NameCache {
  public:
    ~NameCache() { stop(); }
    // Starts (again) learning the names with `client`; the previous load is cancelled.
    void load(std::unique_ptr<SqlClient> client);
    // The names learned so far (empty until a load finished).
    std::vector<std::string> snapshot();
    void stop();

  private:
    void run();
    std::unique_ptr<SqlClient> client_;
    std::thread thread_;
    std::mutex mu_;
    std::set<std::string> names_;
};

// Names Tab offers for `prefix` (case-insensitive), keywords in the case the prefix uses.
std::vector<std::string> sql_completions(const std::string& prefix,
                                         const std::vector<std::string>& names);
// True for an SQL keyword Tab offers (any case): a completed keyword is followed by a blank.
bool is_sql_keyword(const std::string& word);
// Characters that end a word for completion (a name may go on after '.').
inline constexpr const char* kSqlWordBreaks = " \t\n\"'`@$><=;|&{(,.";

} // namespace ebap::sql
