#pragma once
// The console's SQL: statements run on a thread of their own (one at a time) against
// Trino or PostgreSQL through the same SqlClient as `ebapctl sql`; pages of rows are
// copied into a shared result as they arrive (up to console.sql_max_rows, then the rest
// is cancelled on the server), and the UI thread takes snapshots of it, which cost a few
// pointers. Esc cancels on the server (Trino: DELETE nextUri; PostgreSQL: PQcancel); a
// running query never blocks a key.
#include "core/config/config.hpp"
#include "core/sql/names.hpp"
#include "core/sql/printer.hpp"
#include "core/sql/sql_client.hpp"

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace ebap::tui {

// Fetched rows, page by page; a page never changes once added.
struct SqlRows {
    std::vector<std::shared_ptr<const sql::RowPage>> pages;
    std::vector<std::size_t> starts; // the index of each page's first row
    std::size_t count = 0;
    // Row r as (page, row in that page); r < count.
    std::pair<const sql::RowPage*, std::size_t> at(std::size_t r) const;
};

enum class SqlState { idle, running, finished, failed, cancelled };

// What the SQL view draws.
struct SqlSnapshot {
    std::uint64_t version = 0; // changes whenever anything below does
    std::uint64_t serial = 0;  // one per statement run
    SqlState state = SqlState::idle;
    std::string engine, endpoint, where; // where: the session's catalog.schema or database
    std::string statement;               // the one running or shown
    std::vector<sql::Column> columns;
    std::vector<int> widths; // each column's display width: header and values, capped
    SqlRows rows;
    sql::QueryStats stats;
    std::string error;    // the failure, with the caret under its place
    std::string summary;  // "INSERT: 3 rows", "CREATE TABLE"
    std::vector<std::string> notices;
    bool truncated = false; // console.sql_max_rows reached: the rest was cancelled
    std::size_t bytes = 0;  // held by the fetched pages
    std::int64_t started_ms = 0, finished_ms = 0;
};

// A cell's text as the grid shows it: one line, controls made visible.
std::string grid_text(std::string_view text);

class SqlSession {
  public:
    // `wake` is called (from the query's thread) when there is something new to draw.
    SqlSession(std::shared_ptr<const Config> config, std::function<void()> wake);
    ~SqlSession(); // cancels; waits for the thread only briefly (see stop_within)
    SqlSession(const SqlSession&) = delete;
    SqlSession& operator=(const SqlSession&) = delete;

    // Runs the statements of `text` (split on ';' outside quotes and comments; a last one
    // without ';' too) one after the other; false with `why` while a statement runs.
    bool run(const std::string& text, std::string* why);
    // Asks the running statement to stop on the server.
    void cancel();
    bool running() const;
    // "trino" or "postgres"; switching makes a new client (UsageError when refused).
    void set_engine(const std::string& engine);
    std::string engine() const;
    SqlSnapshot snapshot() const;
    // Names Tab offers: learned from the server in the background.
    std::vector<std::string> names();
    void refresh_names();
    // Writes the fetched rows in `format` to `path` (replaced); the rows written. Throws
    // Error naming the file when it cannot be written.
    std::size_t export_to(const std::string& path, sql::SqlFormat format) const;
    // Cancels and waits up to `limit` for the statement's thread; false when it is still
    // stuck (it is left to finish on its own and holds what it needs).
    bool stop_within(std::chrono::milliseconds limit);

    struct Shared; // the state the query's thread shares with the UI

  private:
    std::shared_ptr<Shared> shared_;
    std::shared_ptr<const Config> config_;
    sql::NameCache names_;
};

// The format a file name asks for: .csv csv-header, .tsv tsv-header, .json json, .md
// markdown, anything else aligned.
sql::SqlFormat format_for_path(const std::string& path);

} // namespace ebap::tui
