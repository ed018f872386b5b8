#pragma once
// The output formats of `ebapctl sql` (those of the Trino CLI) as row sinks that print as
// pages arrive: machine formats row by row, the table formats in blocks of at most
// kBlockRows rows, so memory stays bounded whatever the row count.
#include "core/sql/result.hpp"

#include <cstdio>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace ebap::sql {

enum class SqlFormat {
    Aligned, Vertical, Auto, Csv, CsvHeader, CsvUnquoted, CsvHeaderUnquoted, Tsv, TsvHeader,
    Json, Markdown, Null
};

// Names as --format spells them, in the man page's order.
const std::vector<std::pair<std::string, SqlFormat>>& sql_formats();
std::optional<SqlFormat> parse_sql_format(const std::string& name);
std::string sql_format_name(SqlFormat f);
std::string sql_format_choices(); // "aligned, vertical, ..."

// Where printed text goes: stdout or a pager, opened on the first write (so a statement
// that prints nothing starts no pager). write() returns false once the reader is gone.
class OutputSink {
  public:
    virtual ~OutputSink() = default;
    virtual bool write(std::string_view text) = 0;
    virtual bool flush() = 0;
};

// The table formats print at most this many rows per block, each block's columns as wide
// as its own widest value (the Trino CLI does the same).
inline constexpr std::size_t kBlockRows = 10000;

class RowPrinter : public ResultSink {
  public:
    // `width` is the terminal's columns (for auto), 0 when unknown.
    RowPrinter(SqlFormat format, OutputSink& out, int width = 0);
    ~RowPrinter() override;
    void on_columns(const std::vector<Column>& columns) override;
    void on_page(const RowPage& page) override;
    // Prints what is buffered and the footer ("(3 rows)"); false when the output is gone.
    bool finish();
    bool output_lost() const;

  private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

// "Query 20200514_… failed (SYNTAX_ERROR): line 1:17: …", then the line and its caret.
std::string format_query_error(const QueryError& e, const std::string& statement,
                               const std::string& query_id);

// "INSERT: 12 rows", "CREATE TABLE".
std::string update_summary(const StatementResult& r);

// Trino may name a statement an update (updateType) after that page's rows: the first
// page waits until its page is read whole (on_stats), then an update's "rows" column is
// dropped (the summary says it) and a query's rows go on to `inner`.
class UpdateAwareSink : public ResultSink {
  public:
    explicit UpdateAwareSink(ResultSink& inner) : inner_(inner) {}
    void on_columns(const std::vector<Column>& c) override { columns_ = c; }
    void on_page(const RowPage& page) override;
    void on_notice(const std::string& text) override { inner_.on_notice(text); }
    void on_stats(const QueryStats& s) override;
    // The end: a query's header even without rows.
    void finish();
    bool sent() const { return sent_; }

  private:
    void release();
    ResultSink& inner_;
    std::vector<Column> columns_;
    std::optional<RowPage> held_;
    bool sent_ = false, update_ = false;
};

} // namespace ebap::sql
