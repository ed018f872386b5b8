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

namespace ebap::cli {

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

class RowPrinter : public sql::ResultSink {
  public:
    // `width` is the terminal's columns (for auto), 0 when unknown.
    RowPrinter(SqlFormat format, OutputSink& out, int width = 0);
    ~RowPrinter() override;
    void on_columns(const std::vector<sql::Column>& columns) override;
    void on_page(const sql::RowPage& page) override;
    // Prints what is buffered and the footer ("(3 rows)"); false when the output is gone.
    bool finish();
    bool output_lost() const;

  private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

} // namespace ebap::cli
