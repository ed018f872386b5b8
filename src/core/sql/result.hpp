#pragma once
// What an SQL engine hands its caller: columns once, then rows page by page (a page lives
// only for the callback), progress snapshots, and one outcome per statement.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ebap::sql {

struct Column {
    std::string name;
    std::string type;     // as the engine spells it: "varchar(3)", "row(x bigint,y double)", "int4"
    bool numeric = false; // right-aligned by the table printers
};

// How a value reads in JSON: a string, a JSON literal as is (number, true/false), or a
// complex value (array, map, row) whose JSON text travels beside its display text.
enum class CellKind : std::uint8_t { Null, String, Literal, Complex };

struct Cell {
    std::uint32_t off = 0, len = 0;   // display text in the page's arena (Trino CLI form)
    std::uint32_t joff = 0, jlen = 0; // JSON text, Complex only
    CellKind kind = CellKind::Null;
};

// A page of rows, row-major, every text in one arena so a page is a few allocations.
class RowPage {
  public:
    explicit RowPage(std::size_t columns = 0) : columns_(columns) {}
    void reset(std::size_t columns) {
        columns_ = columns;
        cells_.clear();
        arena_.clear();
    }
    std::size_t columns() const { return columns_; }
    std::size_t rows() const { return columns_ ? cells_.size() / columns_ : 0; }
    const Cell& cell(std::size_t row, std::size_t col) const { return cells_[row * columns_ + col]; }
    std::string_view text(const Cell& c) const { return {arena_.data() + c.off, c.len}; }
    std::string_view json(const Cell& c) const { return {arena_.data() + c.joff, c.jlen}; }
    std::size_t bytes() const { return arena_.size() + cells_.size() * sizeof(Cell); }

    void add_null() { cells_.push_back({}); }
    void add(CellKind kind, std::string_view text) {
        cells_.push_back({offset(), std::uint32_t(text.size()), 0, 0, kind});
        arena_.append(text);
    }
    void add_complex(std::string_view display, std::string_view json) {
        Cell c{offset(), std::uint32_t(display.size()), 0, std::uint32_t(json.size()),
               CellKind::Complex};
        arena_.append(display);
        c.joff = offset();
        arena_.append(json);
        cells_.push_back(c);
    }
    // Appends display text to the arena piecewise: begin_text(), arena() +=, end_text(kind).
    std::string& arena() { return arena_; }
    std::uint32_t offset() const { return std::uint32_t(arena_.size()); }
    void add_span(CellKind kind, std::uint32_t off) {
        cells_.push_back({off, offset() - off, 0, 0, kind});
    }

  private:
    std::size_t columns_;
    std::vector<Cell> cells_;
    std::string arena_;
};

// Progress of the running statement, as far as the engine tells (Trino: stats; PostgreSQL:
// rows received only).
struct QueryStats {
    std::string query_id;
    std::string state;        // QUEUED, PLANNING, RUNNING, FINISHED, FAILED ("" before the first answer)
    std::int64_t elapsed_ms = 0;
    std::int64_t processed_rows = 0, processed_bytes = 0;
    std::int64_t rows_received = 0; // rows handed to the caller so far
    int nodes = 0;
    int total_splits = 0, completed_splits = 0, running_splits = 0, queued_splits = 0;
    std::optional<double> progress_percent;
    std::string update_type; // as soon as the engine says the statement is an update
};

struct QueryError {
    enum Kind { Query, Transport, Canceled, Protocol } kind = Query;
    std::string message;
    std::string name;     // SYNTAX_ERROR, USER_CANCELED, or a SQLSTATE for PostgreSQL
    std::string type;     // USER_ERROR, INTERNAL_ERROR ... (PostgreSQL: its severity)
    int line = 0, column = 0; // 1-based position in the statement, 0 when unknown
};

struct StatementResult {
    std::string query_id;
    std::vector<Column> columns;
    std::string update_type;                 // INSERT, CREATE TABLE, SET SESSION ... ("" for a query)
    std::optional<std::int64_t> update_count;
    std::int64_t rows = 0;
    std::optional<QueryError> error;         // set when the statement failed or was cancelled
    QueryStats stats;                        // the last stats seen
    bool ok() const { return !error; }
};

// The receiver of a running statement; called on the thread that runs execute().
class ResultSink {
  public:
    virtual ~ResultSink() = default;
    virtual void on_columns(const std::vector<Column>& columns) = 0;
    // The page is valid only during the call.
    virtual void on_page(const RowPage& page) = 0;
    virtual void on_stats(const QueryStats&) {}
    // A server's notice or warning ("NOTICE: table \"t\" does not exist, skipping").
    virtual void on_notice(const std::string&) {}
};

} // namespace ebap::sql
