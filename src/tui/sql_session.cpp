#include "tui/sql_session.hpp"

#include "core/base/error.hpp"
#include "core/base/format.hpp"
#include "core/base/time.hpp"
#include "core/sql/statement_split.hpp"
#include "tui/widgets.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <mutex>
#include <thread>

namespace ebap::tui {

// The widest a column gets in the grid; longer values end in an ellipsis (the row in full,
// Enter or v, shows them whole).
constexpr int kMaxColumnWidth = 40;

struct SqlSession::Shared {
    std::mutex mu;
    SqlSnapshot snap;                        // under mu
    std::unique_ptr<sql::SqlClient> client;  // swapped only while no statement runs
    std::string engine;
    std::function<void()> wake;
    std::size_t max_rows = 100000;
    std::atomic<bool> running{false};
    std::condition_variable finished;        // running went false (under mu)
    std::atomic<bool> cancel_requested{false}; // Esc, until the next run
    std::thread thread;

    // execute() clears the client's flag when it starts: an Esc that came just before is
    // passed on again from the next callback.
    void pass_cancel() {
        if (cancel_requested && !client->cancel_flag().load()) client->cancel();
    }
};

std::pair<const sql::RowPage*, std::size_t> SqlRows::at(std::size_t r) const {
    const auto it = std::upper_bound(starts.begin(), starts.end(), r);
    const std::size_t i = std::size_t(it - starts.begin()) - 1;
    return {pages[i].get(), r - starts[i]};
}

std::string grid_text(std::string_view text) { return printable(text); }

namespace {

// Pages into the shared result; wakes the UI at most ten times a second while rows
// stream (each wake draws a frame), and at once for the first rows.
class GridSink : public sql::ResultSink {
  public:
    explicit GridSink(SqlSession::Shared& s) : s_(s) {}
    void on_columns(const std::vector<sql::Column>& columns) override {
        {
            std::lock_guard lock(s_.mu);
            s_.snap.columns = columns;
            s_.snap.widths.clear();
            for (const auto& c : columns)
                s_.snap.widths.push_back(std::min(kMaxColumnWidth, std::max(1, text_width(grid_text(c.name)))));
            ++s_.snap.version;
        }
        wake(true);
    }
    void on_page(const sql::RowPage& page) override {
        s_.pass_cancel();
        if (truncated_) return;
        std::size_t have;
        {
            std::lock_guard lock(s_.mu);
            have = s_.snap.rows.count;
        }
        std::size_t keep = page.rows();
        if (have + keep > s_.max_rows) keep = s_.max_rows - have;
        std::shared_ptr<sql::RowPage> copy;
        if (keep == page.rows()) {
            copy = std::make_shared<sql::RowPage>(page);
        } else {
            copy = std::make_shared<sql::RowPage>(page.columns());
            for (std::size_t r = 0; r < keep; ++r)
                for (std::size_t c = 0; c < page.columns(); ++c) {
                    const sql::Cell& cell = page.cell(r, c);
                    if (cell.kind == sql::CellKind::Null) copy->add_null();
                    else if (cell.kind == sql::CellKind::Complex) copy->add_complex(page.text(cell), page.json(cell));
                    else copy->add(cell.kind, page.text(cell));
                }
        }
        std::vector<int> widths(page.columns(), 0);
        for (std::size_t r = 0; r < copy->rows(); ++r)
            for (std::size_t c = 0; c < copy->columns(); ++c) {
                const sql::Cell& cell = copy->cell(r, c);
                const int w = cell.kind == sql::CellKind::Null ? 4 : text_width(grid_text(copy->text(cell)));
                widths[c] = std::max(widths[c], std::min(kMaxColumnWidth, w));
            }
        const bool full = have + keep >= s_.max_rows;
        {
            std::lock_guard lock(s_.mu);
            auto& snap = s_.snap;
            if (copy->rows() > 0) {
                snap.rows.starts.push_back(snap.rows.count);
                snap.rows.count += copy->rows();
                snap.bytes += copy->bytes();
                snap.rows.pages.push_back(std::move(copy));
            }
            for (std::size_t c = 0; c < widths.size() && c < snap.widths.size(); ++c)
                snap.widths[c] = std::max(snap.widths[c], widths[c]);
            if (full) snap.truncated = true;
            ++snap.version;
        }
        if (full) {
            truncated_ = true;
            s_.client->cancel(); // the rest is not wanted: stop it on the server
        }
        wake(have == 0 || full);
    }
    void on_stats(const sql::QueryStats& stats) override {
        s_.pass_cancel();
        {
            std::lock_guard lock(s_.mu);
            s_.snap.stats = stats;
            ++s_.snap.version;
        }
        wake(false);
    }
    void on_notice(const std::string& text) override {
        {
            std::lock_guard lock(s_.mu);
            if (s_.snap.notices.size() < 100) s_.snap.notices.push_back(printable(text));
            ++s_.snap.version;
        }
        wake(true);
    }
    bool truncated() const { return truncated_; }

  private:
    void wake(bool now) {
        const auto t = std::chrono::steady_clock::now();
        if (!now && t - last_ < std::chrono::milliseconds(100)) return;
        last_ = t;
        if (s_.wake) s_.wake();
    }
    SqlSession::Shared& s_;
    bool truncated_ = false;
    std::chrono::steady_clock::time_point last_{};
};

std::string where_of(const sql::SqlClient& c) {
    const std::string cat = c.current_catalog(), sch = c.current_schema();
    if (c.engine() == "postgres") return cat;
    return cat.empty() ? sch : sch.empty() ? cat : cat + "." + sch;
}

void run_statements(const std::shared_ptr<SqlSession::Shared>& self, std::vector<std::string> statements) {
    SqlSession::Shared& s = *self;
    for (std::size_t i = 0; i < statements.size(); ++i) {
        const std::string& statement = statements[i];
        if (s.cancel_requested) break;
        {
            std::lock_guard lock(s.mu);
            auto& snap = s.snap;
            // The summaries of the statements before stay as notices above the last one.
            if (!snap.summary.empty() && i > 0) snap.notices.push_back(snap.summary);
            if (i == 0) snap.notices.clear();
            snap.state = SqlState::running;
            snap.statement = statement;
            snap.columns.clear();
            snap.widths.clear();
            snap.rows = {};
            snap.bytes = 0;
            snap.stats = {};
            snap.error.clear();
            snap.summary.clear();
            snap.truncated = false;
            snap.started_ms = now_ms();
            snap.finished_ms = 0;
            ++snap.serial;
            ++snap.version;
        }
        if (s.wake) s.wake();
        GridSink grid(s);
        sql::UpdateAwareSink sink(grid);
        sql::StatementResult r;
        try {
            r = s.client->execute(statement, sink);
        } catch (const std::exception& e) {
            r.error = sql::QueryError{sql::QueryError::Protocol, e.what()};
        }
        if (!r.error) sink.finish();
        bool stop = false;
        {
            std::lock_guard lock(s.mu);
            auto& snap = s.snap;
            if (!r.stats.state.empty() || r.stats.elapsed_ms) snap.stats = r.stats;
            snap.finished_ms = now_ms();
            snap.where = where_of(*s.client);
            if (r.error && !grid.truncated()) {
                snap.state = r.error->kind == sql::QueryError::Canceled ? SqlState::cancelled : SqlState::failed;
                snap.error = sql::format_query_error(*r.error, statement, r.query_id);
                while (!snap.error.empty() && snap.error.back() == '\n')
                    snap.error.pop_back();
                stop = true;
            } else {
                snap.state = SqlState::finished;
                if (!r.update_type.empty()) snap.summary = sql::update_summary(r);
            }
            ++snap.version;
        }
        if (stop) break;
    }
    {
        std::lock_guard lock(s.mu);
        s.running = false;
    }
    s.finished.notify_all();
    if (s.wake) s.wake();
}

} // namespace

SqlSession::SqlSession(std::shared_ptr<const Config> config, std::function<void()> wake)
    : shared_(std::make_shared<Shared>()), config_(std::move(config)) {
    shared_->wake = std::move(wake);
    shared_->max_rows = std::size_t(std::max(1L, config_->num("console.sql_max_rows")));
    set_engine(config_->str("sql.engine").empty() ? "trino" : config_->str("sql.engine"));
}

SqlSession::~SqlSession() {
    names_.stop();
    stop_within(std::chrono::milliseconds(500));
}

bool SqlSession::stop_within(std::chrono::milliseconds limit) {
    cancel();
    std::unique_lock lock(shared_->mu);
    const bool done = shared_->finished.wait_for(lock, limit, [&] { return !shared_->running.load(); });
    lock.unlock();
    if (shared_->thread.joinable()) {
        if (done) shared_->thread.join();
        else shared_->thread.detach(); // it holds the shared state and its client
    }
    return done;
}

void SqlSession::cancel() {
    if (!shared_->running) return;
    shared_->cancel_requested = true;
    shared_->client->cancel();
}

bool SqlSession::running() const { return shared_->running; }

std::string SqlSession::engine() const { return shared_->engine; }

void SqlSession::set_engine(const std::string& engine) {
    if (running()) throw UsageError("a statement is running; Esc cancels it first");
    auto client = sql::make_sql_client(engine, *config_, {});
    names_.stop();
    std::lock_guard lock(shared_->mu);
    shared_->client = std::move(client);
    shared_->engine = engine;
    shared_->snap.engine = engine;
    shared_->snap.endpoint = shared_->client->endpoint();
    shared_->snap.where = where_of(*shared_->client);
    ++shared_->snap.version;
}

void SqlSession::refresh_names() {
    try {
        names_.load(sql::make_sql_client(engine(), *config_, {}));
    } catch (const std::exception&) {
        // the engine refused its settings: the statements will say why
    }
}

std::vector<std::string> SqlSession::names() { return names_.snapshot(); }

bool SqlSession::run(const std::string& text, std::string* why) {
    if (running()) {
        if (why) *why = "a statement is running; Esc cancels it";
        return false;
    }
    sql::Split split = sql::split_statements(text);
    if (!sql::is_blank_sql(split.rest)) split.statements.push_back(split.rest);
    if (split.statements.empty()) {
        if (why) *why = "nothing to run";
        return false;
    }
    if (shared_->thread.joinable()) shared_->thread.join(); // the last one has finished
    shared_->running = true;
    shared_->cancel_requested = false;
    shared_->thread = std::thread(run_statements, shared_, std::move(split.statements));
    return true;
}

SqlSnapshot SqlSession::snapshot() const {
    std::lock_guard lock(shared_->mu);
    return shared_->snap;
}

namespace {

class FileOut : public sql::OutputSink {
  public:
    explicit FileOut(std::FILE* f) : f_(f) {}
    bool write(std::string_view text) override { return std::fwrite(text.data(), 1, text.size(), f_) == text.size(); }
    bool flush() override { return std::fflush(f_) == 0; }

  private:
    std::FILE* f_;
};

} // namespace

std::size_t SqlSession::export_to(const std::string& path, sql::SqlFormat format) const {
    const SqlSnapshot snap = snapshot();
    if (snap.columns.empty()) throw Error("nothing to export: the last statement returned no columns");
    // Written beside the target and renamed over it: a failed export leaves the old file.
    const std::string tmp = path + ".part";
    std::FILE* f = std::fopen(tmp.c_str(), "w");
    if (!f) throw Error(fmt::format("export: cannot write {}: {}", path, std::strerror(errno)));
    FileOut out(f);
    bool ok = true;
    {
        sql::RowPrinter printer(format, out, 0);
        printer.on_columns(snap.columns);
        for (const auto& page : snap.rows.pages) {
            printer.on_page(*page);
            if (printer.output_lost()) break;
        }
        ok = printer.finish() && !printer.output_lost();
    }
    ok = std::fclose(f) == 0 && ok;
    if (!ok) {
        const int e = errno;
        std::remove(tmp.c_str());
        throw Error(fmt::format("export: writing {} failed: {}", path, std::strerror(e)));
    }
    std::error_code ec;
    std::filesystem::rename(tmp, path, ec);
    if (ec) {
        std::remove(tmp.c_str());
        throw Error(fmt::format("export: cannot replace {}: {}", path, ec.message()));
    }
    return snap.rows.count;
}

sql::SqlFormat format_for_path(const std::string& path) {
    const auto dot = path.rfind('.');
    std::string ext = dot == std::string::npos ? "" : path.substr(dot + 1);
    for (char& c : ext) c = char(std::tolower(static_cast<unsigned char>(c)));
    if (ext == "csv") return sql::SqlFormat::CsvHeader;
    if (ext == "tsv") return sql::SqlFormat::TsvHeader;
    if (ext == "json" || ext == "jsonl" || ext == "ndjson") return sql::SqlFormat::Json;
    if (ext == "md") return sql::SqlFormat::Markdown;
    return sql::SqlFormat::Aligned;
}

} // namespace ebap::tui
