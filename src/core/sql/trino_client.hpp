#pragma once
// Trino's v1 client protocol over libcurl: POST /v1/statement, follow nextUri to its end,
// session headers carried to the next statement, retries inside a deadline, DELETE on
// cancel. docs/ARCHITECTURE.md, "SQL clients".
#include "core/sql/sql_client.hpp"

#include <memory>

namespace ebap::sql {

struct TrinoOptions {
    std::string url;      // http(s)://host:port of the coordinator
    std::string user;
    std::string password; // Basic auth; refused over http unless insecure_password
    long timeout_ms = 120000; // one request, and the window in which a failed one is retried
    SessionOptions session;
};

class TrinoClient : public SqlClient {
  public:
    // Throws UsageError for a malformed URL or a password over plain http.
    explicit TrinoClient(TrinoOptions options);
    ~TrinoClient() override;
    StatementResult execute(const std::string& statement, ResultSink& sink) override;
    std::string engine() const override { return "trino"; }
    std::string current_catalog() const override;
    std::string current_schema() const override;
    std::string endpoint() const override;

  private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

} // namespace ebap::sql
