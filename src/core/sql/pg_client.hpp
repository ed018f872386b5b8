#pragma once
// PostgreSQL through libpq: single-row mode (rows reach the sink in pages, never the whole
// result at once), errors with their position, PQcancel on cancel().
#include "core/sql/sql_client.hpp"

#include <memory>

namespace ebap::sql {

class PgClient : public SqlClient {
  public:
    // conninfo holds the password: it is never shown; `endpoint` is what messages name.
    PgClient(std::string conninfo, std::string endpoint, SessionOptions session);
    ~PgClient() override;
    StatementResult execute(const std::string& statement, ResultSink& sink) override;
    std::string engine() const override { return "postgres"; }
    std::string current_catalog() const override;
    std::string current_schema() const override;
    std::string endpoint() const override { return endpoint_; }

  private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
    std::string endpoint_;
};

// The line and column (1-based, in characters) of a 1-based character offset into `text`.
std::pair<int, int> line_column_of(const std::string& text, int char_offset);

} // namespace ebap::sql
