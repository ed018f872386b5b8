#include "cli/sql_runner.hpp"

#include "cli/sql_progress.hpp"
#include "cli/stop_signals.hpp"
#include "core/base/format.hpp"

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
class TerminalOut : public sql::OutputSink {
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
    RunSink(sql::RowPrinter& printer, ProgressLine& progress, sql::SqlClient& client)
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
    sql::RowPrinter& printer_;
    ProgressLine& progress_;
    sql::SqlClient& client_;
};

} // namespace

RunStatus StatementRunner::run(const std::string& statement) {
    last_error_.clear();
    const auto started = std::chrono::steady_clock::now();
    ProgressLine progress(options_.progress, client_->engine());
    TerminalOut out(options_.pager, progress);
    sql::RowPrinter printer(options_.format, out, options_.width);
    RunSink run_sink(printer, progress, *client_);
    sql::UpdateAwareSink sink(run_sink);
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
        last_error_ = sql::format_query_error(*r.error, statement, r.query_id);
        std::fflush(stdout);
        std::fputs(last_error_.c_str(), stderr);
        return r.error->kind == sql::QueryError::Canceled ? RunStatus::Aborted : RunStatus::Failed;
    }
    if (update) {
        std::fflush(stdout);
        std::fprintf(stderr, "%s\n", printable(sql::update_summary(r)).c_str());
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
