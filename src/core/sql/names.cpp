#include "core/sql/names.hpp"

#include <algorithm>
#include <cctype>

namespace ebap::sql {
namespace {

const char* const kKeywords[] = {
    "ALL", "ALTER", "AND", "ANALYZE", "AS", "ASC", "BETWEEN", "BIGINT", "BOOLEAN", "BY", "CALL",
    "CASE", "CAST", "CATALOGS", "COLUMNS", "COMMIT", "COUNT", "CREATE", "CROSS", "DATE",
    "DEALLOCATE", "DECIMAL", "DELETE", "DESC", "DESCRIBE", "DISTINCT", "DOUBLE", "DROP", "ELSE",
    "END", "EXCEPT", "EXECUTE", "EXISTS", "EXPLAIN", "FALSE", "FETCH", "FIRST", "FROM", "FULL",
    "FUNCTIONS", "GRANT", "GROUP", "HAVING", "IN", "INNER", "INSERT", "INTEGER", "INTERSECT",
    "INTERVAL", "INTO", "IS", "JOIN", "LEFT", "LIKE", "LIMIT", "MERGE", "NOT", "NULL", "OFFSET",
    "ON", "OR", "ORDER", "OUTER", "PREPARE", "RESET", "RIGHT", "ROLLBACK", "SCHEMA", "SCHEMAS",
    "SELECT", "SESSION", "SET", "SHOW", "START", "STATS", "TABLE", "TABLES", "THEN",
    "TIMESTAMP", "TRANSACTION", "TRUE", "UNION", "UPDATE", "USE", "USING", "VALUES", "VARCHAR",
    "VIEW", "WHEN", "WHERE", "WITH",
};

constexpr std::size_t kMaxNames = 200000;

std::string lower(std::string s) {
    for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
}

struct Collect : ResultSink {
    std::set<std::string>& out;
    explicit Collect(std::set<std::string>& o) : out(o) {}
    void on_columns(const std::vector<Column>&) override {}
    void on_page(const RowPage& p) override {
        for (std::size_t r = 0; r < p.rows() && out.size() < kMaxNames; ++r)
            for (std::size_t c = 0; c < p.columns(); ++c)
                if (p.cell(r, c).kind != CellKind::Null) out.insert(std::string(p.text(p.cell(r, c))));
    }
};

} // namespace

void NameCache::load(std::unique_ptr<SqlClient> client) {
    stop();
    client_ = std::move(client);
    thread_ = std::thread([this] { run(); });
}

std::vector<std::string> NameCache::snapshot() {
    std::lock_guard lock(mu_);
    return {names_.begin(), names_.end()};
}

void NameCache::stop() {
    if (client_) client_->cancel();
    if (thread_.joinable()) thread_.join();
    client_.reset();
}

void NameCache::run() {
    std::set<std::string> found;
    Collect sink(found);
    std::vector<std::string> queries;
    if (client_->engine() == "trino") {
        queries.push_back("SHOW CATALOGS");
        const std::string catalog = client_->current_catalog();
        if (!catalog.empty())
            queries.push_back("SELECT table_schema, table_name, column_name FROM \"" + catalog +
                              "\".information_schema.columns");
    } else {
        queries.push_back("SELECT table_schema, table_name, column_name FROM information_schema.columns "
                          "WHERE table_schema NOT IN ('pg_catalog', 'information_schema')");
    }
    for (const auto& q : queries) {
        client_->execute(q, sink);
        if (client_->cancel_flag().load()) return;
    }
    std::lock_guard lock(mu_);
    names_ = std::move(found);
}

std::vector<std::string> sql_completions(const std::string& prefix,
                                         const std::vector<std::string>& names) {
    std::vector<std::string> out;
    const std::string p = lower(prefix);
    const bool upper = !prefix.empty() && std::isupper(static_cast<unsigned char>(prefix[0]));
    for (const char* k : kKeywords) {
        if (lower(k).rfind(p, 0) == 0) out.push_back(upper ? k : lower(k));
    }
    for (const auto& n : names)
        if (lower(n).rfind(p, 0) == 0) out.push_back(n);
    std::sort(out.begin(), out.end());
    out.erase(std::unique(out.begin(), out.end()), out.end());
    return out;
}

bool is_sql_keyword(const std::string& word) {
    const std::string w = lower(word);
    for (const char* k : kKeywords)
        if (lower(k) == w) return true;
    return false;
}

} // namespace ebap::sql
