#pragma once
// One interface for every SQL engine (Trino, PostgreSQL), so the scripted `sql`, its REPL
// and the console's SQL view drive them alike: execute() runs on a worker thread and calls
// the sink there; cancel() and stats() may be called from any thread (cancel() from a
// signal handler too: it only stores a flag).
#include "core/sql/result.hpp"

#include <atomic>
#include <map>
#include <memory>
#include <string>

namespace ebap {
class Config;
}

namespace ebap::sql {

struct SessionOptions {
    std::string catalog, schema;               // Trino catalog/schema; PostgreSQL database/search_path
    std::map<std::string, std::string> properties; // --session k=v
    bool insecure_password = false;            // allow a password over plain http
    std::string ca_file;                       // TLS trust anchors (empty: the system's)
    std::string time_zone;                     // X-Trino-Time-Zone (empty: not sent)
};

class SqlClient {
  public:
    virtual ~SqlClient() = default;
    // Runs one statement to its end (or its cancellation), streaming rows into `sink`.
    // Query failures come back in StatementResult::error; only misuse throws.
    virtual StatementResult execute(const std::string& statement, ResultSink& sink) = 0;
    // Asks the running statement to stop (Trino: DELETE nextUri; PostgreSQL: PQcancel).
    void cancel() { cancel_.store(true); }
    // The flag cancel() sets, for StopSignals; execute() clears it when it starts.
    std::atomic<bool>& cancel_flag() { return cancel_; }
    // "trino" or "postgres".
    virtual std::string engine() const = 0;
    // Where the session stands now (after USE, SET SESSION ...): for prompts.
    virtual std::string current_catalog() const = 0;
    virtual std::string current_schema() const = 0;
    // The server, for messages (credentials masked).
    virtual std::string endpoint() const = 0;

  protected:
    std::atomic<bool> cancel_{false};
};

// This machine's time zone as a name Trino knows ("Europe/Berlin", "UTC"): TZ, else
// /etc/timezone, else where /etc/localtime links; "" when none names one.
std::string local_time_zone();

// "trino" or "postgres" from the configuration (trino.*, postgres.*); throws UsageError
// for an unknown engine or a password refused over plain http.
std::unique_ptr<SqlClient> make_sql_client(const std::string& engine, const Config& config,
                                           const SessionOptions& session);

} // namespace ebap::sql
