#include "cli/sql_runner.hpp"

#include "cli/sql_progress.hpp"
#include "cli/stop_signals.hpp"
#include "core/base/format.hpp"
#include "core/sql/error_location.hpp"

#include <fmt/format.h>

#include <chrono>
#include <optional>
#include <cstdio>
#include <cstdlib>
#include <unistd.h>

namespace ebap::cli {
namespace {

// stdout, or a pager started on the first write. Before the first byte reaches a
// terminal the progress line is stopped, so the two never interleave.
class TerminalOut : public OutputSink {
  public:
    TerminalOut(bool pager, ProgressLine& progress) : use_pager_(pager), progress_(progress) {}
    ~TerminalOut() override {
        if (pipe_) pclose(pipe_); // waits for the reader to quit
    }
    bool write(std::string_view text) override {
        if (!started_) start();
        if (std::fwrite(text.data(), 1, text.size(), file_) != text.size()) return false;
        return true;
    }
    bool flush() override { return !started_ || std::fflush(file_) == 0; }

  private:
    void start() {
        started_ = true;
        file_ = stdout;
        if (use_pager_) {
            const char* env = std::getenv("PAGER");
            const std::string pager = env ? env : "less -SFX";
            if (!pager.empty()) {
                progress_.stop();
                std::fflush(stdout);
                if ((pipe_ = popen(pager.c_str(), "w"))) file_ = pipe_;
            }
        }
        if (file_ == stdout && isatty(STDOUT_FILENO)) progress_.stop();
    }
    bool use_pager_;
    ProgressLine& progress_;
    bool started_ = false;
    std::FILE* file_ = stdout;
    std::FILE* pipe_ = nullptr;
};

class RunSink : public sql::ResultSink {
  public:
    RunSink(RowPrinter& printer, ProgressLine& progress, sql::SqlClient& client)
        : printer_(printer), progress_(progress), client_(client) {}
    void on_columns(const std::vector<sql::Column>& c) override { printer_.on_columns(c); }
    void on_page(const sql::RowPage& page) override {
        printer_.on_page(page);
        if (printer_.output_lost()) client_.cancel(); // the pager quit, or `| head` closed
    }
    void on_stats(const sql::QueryStats& s) override { progress_.update(s); }
    void on_notice(const std::string& text) override {
        std::fflush(stdout);
        std::fprintf(stderr, "%s\n", printable(text).c_str());
    }

  private:
    RowPrinter& printer_;
    ProgressLine& progress_;
    sql::SqlClient& client_;
};

// Trino may name a statement an update (updateType) after that page's rows: the first
// page waits until its page is read whole (on_stats), then an update's "rows" column is
// dropped (the summary says it) and a query's rows go on.
class UpdateAwareSink : public sql::ResultSink {
  public:
    explicit UpdateAwareSink(RunSink& inner) : inner_(inner) {}
    void on_columns(const std::vector<sql::Column>& c) override { columns_ = c; }
    void on_page(const sql::RowPage& page) override {
        if (update_) return;
        if (!sent_ && !held_) {
            held_ = page;
            return;
        }
        release();
        inner_.on_page(page);
    }
    void on_notice(const std::string& text) override { inner_.on_notice(text); }
    void on_stats(const sql::QueryStats& s) override {
        if (!s.update_type.empty()) {
            update_ = true;
            held_.reset();
        }
        if (!update_) release();
        inner_.on_stats(s);
    }
    // The end: a query's header even without rows.
    void finish() {
        if (!update_ && !columns_.empty()) release();
    }
    bool sent() const { return sent_; }

  private:
    void release() {
        if (!sent_ && !columns_.empty()) {
            sent_ = true;
            inner_.on_columns(columns_);
        }
        if (held_) {
            std::optional<sql::RowPage> page = std::move(held_);
            held_.reset();
            inner_.on_page(*page);
        }
    }
    RunSink& inner_;
    std::vector<sql::Column> columns_;
    std::optional<sql::RowPage> held_;
    bool sent_ = false, update_ = false;
};

} // namespace

std::string format_query_error(const sql::QueryError& e, const std::string& statement,
                               const std::string& query_id) {
    if (e.kind == sql::QueryError::Canceled) return e.message + "\n";
    if (e.kind == sql::QueryError::Transport || e.kind == sql::QueryError::Protocol)
        return printable(mask_url_credentials(e.message)) + "\n";
    std::string out = "Query ";
    if (!query_id.empty()) out += query_id + " ";
    out += "failed";
    if (!e.name.empty()) out += " (" + e.name + ")";
    out += ": ";
    // Multi-line messages (PostgreSQL's DETAIL/HINT) keep their lines.
    std::size_t from = 0;
    for (;;) {
        const auto nl = e.message.find('\n', from);
        out += printable(e.message.substr(from, nl == std::string::npos ? nl : nl - from)) + "\n";
        if (nl == std::string::npos) break;
        from = nl + 1;
    }
    out += sql::caret_lines(statement, e.line, e.column);
    return out;
}

std::string update_summary(const sql::StatementResult& r) {
    std::string s = r.update_type;
    if (r.update_count)
        s += fmt::format(": {} row{}", *r.update_count, *r.update_count == 1 ? "" : "s");
    return s;
}

RunStatus StatementRunner::run(const std::string& statement) {
    last_error_.clear();
    const auto started = std::chrono::steady_clock::now();
    ProgressLine progress(options_.progress, client_->engine());
    TerminalOut out(options_.pager, progress);
    RowPrinter printer(options_.format, out, options_.width);
    RunSink run_sink(printer, progress, *client_);
    UpdateAwareSink sink(run_sink);
    sql::StatementResult r;
    {
        // Ctrl-C cancels on the server; a second one ends the process at once (130).
        StopSignals signals(&client_->cancel_flag(), /*second_exits=*/true);
        r = client_->execute(statement, sink);
    }
    progress.stop();
    const bool update = !r.update_type.empty();
    if (!update && !r.error) sink.finish();
    bool printed = true;
    if (!update && sink.sent()) printed = printer.finish();
    if (!printed || printer.output_lost()) return RunStatus::OutputClosed;
    if (r.error) {
        last_error_ = format_query_error(*r.error, statement, r.query_id);
        std::fflush(stdout);
        std::fputs(last_error_.c_str(), stderr);
        return r.error->kind == sql::QueryError::Canceled ? RunStatus::Aborted : RunStatus::Failed;
    }
    if (update) {
        std::fflush(stdout);
        std::fprintf(stderr, "%s\n", printable(update_summary(r)).c_str());
    }
    if (options_.timing) {
        const double s =
            std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
        std::string line = r.query_id.empty() ? client_->engine() : "Query " + r.query_id;
        line += fmt::format(", {}, {:.2f} s, {} rows", r.stats.state.empty() ? "FINISHED" : r.stats.state,
                            s, r.rows);
        if (s > 0) line += fmt::format(", {} rows/s", fmt_count(double(r.rows) / s));
        std::fprintf(stderr, "%s\n", printable(line).c_str());
    }
    return RunStatus::Ok;
}

} // namespace ebap::cli
