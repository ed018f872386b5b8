// The console's loop: the collectors run on their own threads and signal a wake-up
// pipe when they publish; the UI thread waits in one poll() on the terminal, that pipe
// and the resize pipe, folds new snapshots into the model and draws one frame. A dead or
// hanging backend only delays its own collector, never a keystroke.
#include "tui/console.hpp"

#include "core/base/error.hpp"
#include "core/base/format.hpp"
#include "core/base/log.hpp"
#include "core/base/time.hpp"
#include "pipeline/worker/worker.hpp"
#include "tui/actions.hpp"
#include "tui/cmdline.hpp"
#include "tui/screen.hpp"
#include "tui/sql_session.hpp"
#include "tui/views.hpp"

#include <curses.h>
#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <functional>
#include <mutex>
#include <climits>
#include <cwchar>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <filesystem>

namespace ebap::tui {
namespace {

int g_resize_pipe[2] = {-1, -1};
std::atomic<bool> g_quit{false};

void on_winch(int) {
    const char c = 'w';
    [[maybe_unused]] auto n = write(g_resize_pipe[1], &c, 1);
}
void on_quit(int) {
    g_quit = true;
    const char c = 'q';
    [[maybe_unused]] auto n = write(g_resize_pipe[1], &c, 1);
}

void drain(int fd) {
    char buf[256];
    while (read(fd, buf, sizeof buf) > 0) {
    }
}

void nonblocking_pipe(int fds[2]) {
    if (pipe(fds) != 0) throw Error(std::string("pipe: ") + std::strerror(errno));
    for (int i = 0; i < 2; ++i) {
        fcntl(fds[i], F_SETFL, fcntl(fds[i], F_GETFL) | O_NONBLOCK);
        fcntl(fds[i], F_SETFD, FD_CLOEXEC);
    }
}

double config_double(const Config& c, const char* key, double fallback) {
    try {
        return std::stod(c.str(key));
    } catch (...) {
        return fallback;
    }
}

class Console {
  public:
    Console(std::shared_ptr<const Config> config, const Catalog& catalog, const ConsoleOptions& opt,
            ThemeLoad theme)
        : config_(std::move(config)), catalog_(catalog), opt_(opt), theme_(std::move(theme)) {}

    int run();

  private:
    void wake() {
        const char c = 'd';
        [[maybe_unused]] auto n = write(wake_[1], &c, 1);
    }
    void handle_key(wint_t key, bool is_key_code);
    void act(Action a);
    void click(const MEVENT& ev);
    void run_command(const std::string& line);
    void set_view(View v) {
        if (v != ui_.view) {
            previous_ = ui_.view;
            back_.push_back(ui_.view);
            if (back_.size() > 32) back_.erase(back_.begin());
        }
        ui_.view = v;
        ui_.scroll = 0;
        ui_.zoom = false;
        ui_.focus = v == View::overview ? overview_focus_ : 0;
        pace_collectors();
    }
    // The shown view's sources at their interval; the others slowed by console.refresh_hidden.
    void pace_collectors();
    // Selects the row named `name` in the view's list (a service, group or region).
    bool select_named(View v, const std::string& name);
    int rows_in(View v) const; // how many rows the view's cursor moves over
    void say(std::string msg, int tone = 0) {
        ui_.message = std::move(msg);
        ui_.message_tone = tone;
        message_until_ = now_ms() + 5000;
    }
    std::vector<std::string> live_names(const std::string& command) const;
    // Up/down: the view's cursor (service, group or partition, region); the log scrolls
    // (newest at the bottom).
    void move_cursor(int delta);

    std::shared_ptr<const Config> config_;
    Catalog catalog_;
    ConsoleOptions opt_;
    ThemeLoad theme_;
    int wake_[2] = {-1, -1};
    std::unique_ptr<Screen> screen_;
    std::unique_ptr<collect::HealthCollector> health_;
    std::unique_ptr<collect::LagCollector> lag_;
    std::unique_ptr<collect::KpiCollector> kpi_;
    std::unique_ptr<pipeline::WorkerCollector> workers_;
    mutable std::mutex worker_mu_;
    std::shared_ptr<pipeline::Worker> worker_; // the hosted workers, when they run
    std::function<void()> confirmed_;          // what `y` does while ui_.confirm is shown
    void start_workers(int threads);
    void stop_workers(bool wait);
    std::unique_ptr<CommandLine> cmdline_;
    // The SQL view: its session (made when the view first opens) and its statement line.
    std::unique_ptr<SqlSession> sql_;
    std::unique_ptr<CommandLine> sqlline_;
    bool ensure_sql();
    void open_sql_line(const std::string& text = "");
    void run_sql_line(const std::string& line);
    void export_sql(const std::string& arg);
    std::vector<std::string> command_completions(const std::string& before, const std::string& word) const;
    Model model_;
    UiState ui_;
    Frame frame_;
    Keymap keys_;
    View previous_ = View::overview;
    std::vector<View> back_; // where Esc goes
    int overview_focus_ = 0;
    std::chrono::milliseconds interval_[3]; // health, lag, kpi as configured or :refresh set
    int hidden_factor_ = 5;
    bool filtering_ = false;
    bool quit_ = false;
    int exit_code_ = kExitOk;
    std::int64_t message_until_ = 0;
};

std::vector<std::string> Console::live_names(const std::string& command) const {
    std::vector<std::string> names;
    const auto services = [&] {
        for (const auto& s : catalog_.services)
            names.push_back(s.name);
    };
    const auto groups = [&] {
        if (model_.lag)
            for (const auto& g : model_.lag->data.groups)
                names.push_back(g.lag.group);
    };
    const auto regions = [&] {
        if (model_.kpi)
            for (const auto& r : model_.kpi->data.regions)
                names.push_back(r.region);
    };
    if (command == "worker") {
        names = {"start", "stop"};
    } else if (command.rfind("export ", 0) == 0) {
        for (const auto& [name, f] : sql::sql_formats())
            names.push_back(name);
    } else if (command == "refresh") {
        names = {"health", "lag", "kpi"};
    } else if (command == "theme") {
        names = theme_names();
    } else if (command == "lag") {
        groups();
    } else if (command == "status" || command == "services") {
        services();
    } else if (command == "geo") {
        regions();
    } else {
        services(), groups(), regions();
        for (const auto& st : catalog_.stacks)
            names.push_back(st.name);
        if (model_.lag)
            for (const auto& t : model_.lag->data.kafka.topics)
                names.push_back(t.name);
        for (const auto& t : theme_names())
            names.push_back(t);
    }
    std::sort(names.begin(), names.end());
    names.erase(std::unique(names.begin(), names.end()), names.end());
    return names;
}

int Console::rows_in(View v) const { return int(shown_names(model_, ui_, v).size()); }

void Console::move_cursor(int delta) {
    const View v = ui_.view;
    if (v == View::lag && ui_.focus == 1) {
        int n = 0;
        if (model_.lag && !model_.lag->data.groups.empty()) {
            const auto& gs = model_.lag->data.groups;
            n = int(gs[std::size_t(std::clamp(ui_.selected[int(v)], 0, int(gs.size()) - 1))].lag.partitions.size());
        }
        ui_.partition = std::clamp(ui_.partition + delta, 0, std::max(0, n - 1));
    } else if (v == View::sql) {
        ui_.selected[int(v)] = std::clamp(ui_.selected[int(v)] + delta, 0, std::max(0, int(model_.sql.rows()) - 1));
    } else if (v == View::services || v == View::lag || v == View::geo) {
        const int before = ui_.selected[int(v)];
        ui_.selected[int(v)] = std::clamp(before + delta, 0, std::max(0, rows_in(v) - 1));
        if (v == View::lag && ui_.selected[int(v)] != before) ui_.partition = 0;
    } else {
        ui_.scroll = std::max(0, ui_.scroll - delta);
    }
}

// The row is found in the order the view shows (its sort and filter): by exact name, else
// by a unique prefix; the filter is cleared when it hides the name.
bool Console::select_named(View v, const std::string& name) {
    for (int pass = 0; pass < 2; ++pass) {
        const auto order = shown_names(model_, ui_, v);
        int prefix = -1, prefixes = 0;
        for (std::size_t i = 0; i < order.size(); ++i) {
            if (order[i] == name) {
                ui_.selected[int(v)] = int(i);
                return true;
            }
            if (order[i].compare(0, name.size(), name) == 0) prefix = int(i), ++prefixes;
        }
        if (prefixes == 1) {
            ui_.selected[int(v)] = prefix;
            return true;
        }
        if (ui_.filter.empty()) break;
        ui_.filter.clear();
    }
    return false;
}

void Console::pace_collectors() {
    const Sources on = sources_of(ui_.view);
    const auto pace = [&](collect::CollectorBase* c, bool shown, std::chrono::milliseconds base) {
        if (c) c->set_interval(shown ? base : base * hidden_factor_);
    };
    pace(health_.get(), on.health, interval_[0]);
    pace(lag_.get(), on.lag, interval_[1]);
    pace(kpi_.get(), on.kpi, interval_[2]);
}

void Console::run_command(const std::string& raw) {
    std::string line = raw;
    while (!line.empty() && line.front() == ' ')
        line.erase(0, 1);
    while (!line.empty() && line.back() == ' ')
        line.pop_back();
    if (line.empty()) return;
    model_.note(now_ms(), ":" + line);
    const auto sp = line.find(' ');
    const std::string cmd = line.substr(0, sp);
    std::string arg = sp == std::string::npos ? "" : line.substr(sp + 1);
    while (!arg.empty() && arg.front() == ' ')
        arg.erase(0, 1);
    const CommandSpec* spec = nullptr;
    if (!arg.empty()) { // two-word commands: "worker start 2"
        const auto sp2 = arg.find(' ');
        if ((spec = find_command(cmd + " " + arg.substr(0, sp2))))
            arg = sp2 == std::string::npos ? "" : arg.substr(sp2 + 1);
    }
    if (!spec) spec = find_command(cmd);
    if (!spec) {
        const std::string near = closest_command(cmd);
        say(fmt::format("unknown command '{}'{}; ? lists them", cmd, near.empty() ? "" : " (did you mean :" + near + "?)"), 3);
        return;
    }
    if (spec->dangerous && opt_.readonly) {
        say(fmt::format(":{} changes state and the console runs --readonly", spec->name), 3);
        return;
    }
    switch (spec->action) {
    case Action::quit:
        quit_ = true;
        break;
    case Action::help:
        ui_.help = true;
        break;
    case Action::theme:
        if (arg.empty()) {
            std::string list;
            for (const auto& n : theme_names())
                list += (list.empty() ? "" : ", ") + n;
            say("themes: " + list);
            return;
        }
        try {
            ThemeLoad t = load_theme(arg);
            screen_->set_theme(t.theme);
            say(t.problems.empty() ? "theme " + t.theme.name : t.problems.front(), t.problems.empty() ? 0 : 2);
        } catch (const std::exception& e) {
            say(e.what(), 3);
        }
        break;
    case Action::worker_start: {
        char* end = nullptr;
        const long n = arg.empty() ? 0 : std::strtol(arg.c_str(), &end, 10);
        if (!arg.empty() && (*end || n < 1 || n > 64)) {
            say("worker start: give a thread count from 1 to 64, e.g. :worker start 2", 3);
            return;
        }
        start_workers(int(n));
        break;
    }
    case Action::worker_stop: {
        std::lock_guard lock(worker_mu_);
        if (!worker_) {
            say("no workers run in this console", 2);
            return;
        }
        ui_.confirm = fmt::format("stop {} worker thread(s) of group {} (they flush and commit first)?",
                                  worker_->shared().threads, worker_->shared().group);
        confirmed_ = [this] { stop_workers(false); };
        break;
    }
    case Action::refresh: {
        // ":refresh 5" sets every source; ":refresh kpi 0.5" one of them.
        int only = -1;
        static const char* kSources[] = {"health", "lag", "kpi"};
        const auto sp2 = arg.find(' ');
        for (int i = 0; i < 3; ++i)
            if (sp2 != std::string::npos && arg.substr(0, sp2) == kSources[i]) only = i;
        const std::string num = only >= 0 ? arg.substr(sp2 + 1) : arg;
        char* end = nullptr;
        const double sec = std::strtod(num.c_str(), &end);
        if (num.empty() || *end || !(sec >= 0.1 && sec <= 3600)) {
            say("refresh: give seconds between 0.1 and 3600, for all sources or one: :refresh 5, :refresh kpi 0.5", 3);
            return;
        }
        const auto ms = std::chrono::milliseconds(static_cast<long>(sec * 1000));
        for (int i = 0; i < 3; ++i)
            if (only < 0 || only == i) interval_[i] = ms;
        pace_collectors();
        for (collect::CollectorBase* c : {static_cast<collect::CollectorBase*>(health_.get()),
                                          static_cast<collect::CollectorBase*>(lag_.get()),
                                          static_cast<collect::CollectorBase*>(kpi_.get())})
            c->poke();
        say(only < 0 ? fmt::format("every collector now runs every {} s", num)
                     : fmt::format("{} now runs every {} s", kSources[only], num));
        break;
    }
    case Action::sql:
        if (arg.empty()) {
            act(Action::sql);
            break;
        }
        set_view(View::sql);
        if (ensure_sql()) run_sql_line(arg);
        break;
    case Action::export_result:
        export_sql(arg);
        break;
    case Action::status:
    case Action::services:
    case Action::lag:
    case Action::geo: {
        const View v = spec->action == Action::lag ? View::lag : spec->action == Action::geo ? View::geo : View::services;
        set_view(v);
        if (!arg.empty() && !select_named(v, arg))
            say(fmt::format("no {} named '{}' (Tab completes the names)",
                            v == View::lag ? "group" : v == View::geo ? "region" : "service", printable(arg)),
                2);
        break;
    }
    default:
        act(spec->action);
        break;
    }
}

void Console::start_workers(int threads) {
    std::lock_guard lock(worker_mu_);
    if (worker_ && (worker_->state() == pipeline::WorkerState::Running ||
                    worker_->state() == pipeline::WorkerState::Starting)) {
        say("workers already run; :worker stop first", 2);
        return;
    }
    try {
        pipeline::WorkerOptions o;
        o.threads = threads;
        o.log_progress = false;
        auto w = std::make_shared<pipeline::Worker>(*config_, o);
        w->start();
        worker_ = std::move(w);
        say(fmt::format("workers starting: {} thread(s), group {}", worker_->shared().threads, worker_->shared().group));
        model_.note(now_ms(), fmt::format("workers started: {} thread(s)", worker_->shared().threads), 1);
    } catch (const std::exception& e) {
        say(std::string("worker start: ") + e.what(), 3);
    }
    if (workers_) workers_->poke();
}

void Console::stop_workers(bool wait) {
    std::shared_ptr<pipeline::Worker> w;
    {
        std::lock_guard lock(worker_mu_);
        w = worker_;
    }
    if (!w) return;
    w->stop();
    model_.note(now_ms(), "workers stopping: flushing and committing", 0);
    say("workers stopping: flushing and committing");
    if (wait) {
        try {
            const auto summary = w->wait();
            model_.note(now_ms(), fmt::format("workers stopped: {} records", summary.totals.records), 0);
        } catch (const std::exception& e) {
            model_.note(now_ms(), std::string("workers: ") + e.what(), 3);
        }
    }
    if (workers_) workers_->poke();
}

void Console::handle_key(wint_t key, bool code) {
    if (!ui_.confirm.empty()) {
        const bool yes = !code && (key == 'y' || key == 'Y');
        ui_.confirm.clear();
        auto action = std::move(confirmed_);
        confirmed_ = nullptr;
        if (yes && action)
            action();
        else
            say("cancelled");
        return;
    }
    if (cmdline_->active()) {
        cmdline_->feed(key, code);
        return;
    }
    if (sqlline_->active()) {
        sqlline_->feed(key, code);
        return;
    }
    if (filtering_) {
        const KeyPress k = normalize({key, code});
        if (k == KeyPress{'\n', false}) {
            filtering_ = false;
        } else if (k == KeyPress{27, false}) {
            filtering_ = false;
            ui_.filter.clear();
        } else if (k == KeyPress{KEY_BACKSPACE, true}) {
            if (!ui_.filter.empty()) {
                // one character back, not one byte
                std::size_t n = ui_.filter.size() - 1;
                while (n > 0 && (static_cast<unsigned char>(ui_.filter[n]) & 0xC0) == 0x80)
                    --n;
                ui_.filter.erase(n);
            }
        } else if (!code && key >= 32) {
            char buf[MB_LEN_MAX];
            std::mbstate_t st{};
            const std::size_t n = std::wcrtomb(buf, wchar_t(key), &st);
            if (n != static_cast<std::size_t>(-1)) ui_.filter.append(buf, n);
        }
        for (View v : {View::services, View::lag, View::geo})
            ui_.selected[int(v)] = 0;
        ui_.message = filtering_ ? "/" + ui_.filter : "";
        return;
    }
    if (ui_.help) { // any key closes the help; Esc, ? and q do nothing else
        ui_.help = false;
        const Action a = keys_.lookup({key, code}, view_name(ui_.view));
        if (a == Action::back || a == Action::help || a == Action::quit) return;
    }
    if (code && key == KEY_RESIZE) {
        screen_->resized();
        return;
    }
    if (code && key == KEY_MOUSE) {
        MEVENT ev;
        if (getmouse(&ev) == OK) click(ev);
        return;
    }
    if (!code && key == 3) { // Ctrl-C in raw mode
        quit_ = true;
        return;
    }
    act(keys_.lookup({key, code}, view_name(ui_.view)));
}

void Console::act(Action a) {
    const View v = ui_.view;
    const int page = std::max(1, screen_->rows() - 6);
    switch (a) {
    case Action::none:
        break;
    case Action::overview:
    case Action::services:
    case Action::lag:
    case Action::kpi:
    case Action::geo:
    case Action::workers:
    case Action::log:
        set_view(View(int(a) - int(Action::overview)));
        break;
    case Action::sql:
        set_view(View::sql);
        if (ensure_sql() && model_.sql.snap.state == SqlState::idle) open_sql_line();
        break;
    case Action::sql_edit:
        // A statement that failed comes back to be mended; else a fresh line (Up: history).
        if (ensure_sql())
            open_sql_line(model_.sql.snap.state == SqlState::failed ? model_.sql.snap.statement : "");
        break;
    case Action::export_result:
        if (model_.sql.snap.columns.empty()) {
            say("nothing to export yet: run a query first", 2);
            break;
        }
        cmdline_->open(":", "export ");
        break;
    case Action::vertical:
        ui_.sql_vertical = !ui_.sql_vertical;
        ui_.zoom = false;
        break;
    case Action::column_left:
    case Action::column_right: {
        const int n = int(model_.sql.snap.columns.size());
        ui_.sql_column = std::clamp(ui_.sql_column + (a == Action::column_left ? -1 : 1), 0, std::max(0, n - 1));
        break;
    }
    case Action::status:
        set_view(View::services);
        break;
    case Action::command_line:
        cmdline_->open(":");
        break;
    case Action::filter:
        filtering_ = true;
        ui_.filter.clear();
        ui_.message = "/";
        break;
    case Action::help:
        ui_.help = true;
        break;
    case Action::quit:
        quit_ = true;
        break;
    case Action::detail:
        if (v == View::overview) {
            // The focused panel's own view.
            static const View kOpens[] = {View::services, View::kpi, View::lag, View::geo};
            set_view(kOpens[std::clamp(ui_.focus, 0, 3)]);
        } else if (v == View::services || v == View::lag || (v == View::sql && model_.sql.rows() > 0)) {
            ui_.zoom = !ui_.zoom;
            if (v == View::lag && ui_.zoom) ui_.focus = 1;
        }
        break;
    case Action::back:
        if (v == View::sql && sql_ && sql_->running()) {
            sql_->cancel(); // Esc stops the statement on the server first
            say("cancelling the statement on the server…");
        } else if (!ui_.filter.empty()) {
            ui_.filter.clear();
            ui_.message.clear();
        } else if (ui_.zoom) {
            ui_.zoom = false;
        } else if (!back_.empty()) {
            ui_.message.clear();
            const View to = back_.back();
            back_.pop_back();
            previous_ = v;
            ui_.view = to;
            ui_.zoom = false;
            ui_.focus = to == View::overview ? overview_focus_ : 0;
            pace_collectors();
        }
        break;
    case Action::previous:
        set_view(previous_);
        break;
    case Action::up:
        move_cursor(-1);
        break;
    case Action::down:
        move_cursor(+1);
        break;
    case Action::page_up:
        move_cursor(-page);
        break;
    case Action::page_down:
        move_cursor(+page);
        break;
    case Action::top:
        move_cursor(-1000000);
        break;
    case Action::bottom:
        move_cursor(+1000000);
        break;
    case Action::next_panel:
    case Action::prev_panel: {
        const int step = a == Action::next_panel ? 1 : -1;
        if (v == View::overview) {
            overview_focus_ = (overview_focus_ + step + 4) % 4;
            ui_.focus = overview_focus_;
        } else if (v == View::lag) {
            ui_.focus = 1 - ui_.focus;
        }
        break;
    }
    case Action::sort_prev:
    case Action::sort_next: {
        // The regions in the overview and geo, the services in the services view. The
        // same column again (> past the last, < before the first) reverses the order.
        const int step = a == Action::sort_next ? 1 : -1;
        const bool services = v == View::services;
        int& sort = services ? ui_.service_sort : ui_.region_sort;
        const int n = services ? 4 : 7;
        const int next = sort + step;
        if (next < 0 || next >= n) {
            ui_.reverse = !ui_.reverse;
            if (!ui_.reverse) sort = (next + n) % n;
        } else {
            sort = next;
            ui_.reverse = false;
        }
        break;
    }
    default:
        break;
    }
}

// A click selects the panel (the overview's focus) or the row under it; a second click on
// the focused panel, or a double click, opens it; the wheel moves the cursor.
void Console::click(const MEVENT& ev) {
    if (ev.bstate & BUTTON4_PRESSED) return act(Action::up);
    if (ev.bstate & BUTTON5_PRESSED) return act(Action::down);
    if (!(ev.bstate & (BUTTON1_CLICKED | BUTTON1_PRESSED | BUTTON1_DOUBLE_CLICKED))) return;
    const Hit* h = frame_.at(ev.y, ev.x);
    if (!h) return;
    const bool twice = ev.bstate & BUTTON1_DOUBLE_CLICKED;
    if (ui_.view == View::overview) {
        for (int i = 0; i < 4; ++i) {
            if (kOverviewPanels[i] != h->panel) continue;
            if (ui_.focus == i || twice) {
                act(Action::detail);
                if (h->row >= 0 && ui_.view != View::overview) ui_.selected[int(ui_.view)] = h->row;
            } else {
                overview_focus_ = ui_.focus = i;
            }
            return;
        }
        return;
    }
    if (h->row < 0) {
        if (ui_.view == View::lag) ui_.focus = h->panel == Panel::partitions ? 1 : 0;
        return;
    }
    switch (h->panel) {
    case Panel::services:
        ui_.selected[int(View::services)] = h->row;
        if (twice) act(Action::detail);
        break;
    case Panel::groups:
        if (ui_.selected[int(View::lag)] != h->row) ui_.partition = 0;
        ui_.selected[int(View::lag)] = h->row;
        ui_.focus = 0;
        break;
    case Panel::partitions:
        ui_.partition = h->row;
        ui_.focus = 1;
        break;
    case Panel::regions:
        ui_.selected[int(View::geo)] = h->row;
        break;
    case Panel::sql:
        if (twice) act(Action::detail);
        ui_.selected[int(View::sql)] = h->row;
        break;
    default:
        break;
    }
}

// Tab on the `:` line: command names first, then what fits the command's argument (a file
// and then a format for :export).
std::vector<std::string> Console::command_completions(const std::string& before, const std::string& word) const {
    std::string head = before;
    while (!head.empty() && head.back() == ' ')
        head.pop_back();
    std::vector<std::string> out;
    const auto keep = [&](const std::vector<std::string>& names) {
        for (const auto& n : names)
            if (n.compare(0, word.size(), word) == 0) out.push_back(n);
    };
    if (head.empty()) {
        std::vector<std::string> names;
        for (const auto& c : console_commands())
            if (c.typed) names.push_back(c.name.substr(0, c.name.find(' ')));
        std::sort(names.begin(), names.end());
        names.erase(std::unique(names.begin(), names.end()), names.end());
        keep(names);
        return out;
    }
    if (head == "export") { // the file: entries of the directory typed so far
        namespace fs = std::filesystem;
        const auto slash = word.rfind('/');
        const std::string dir = slash == std::string::npos ? "" : word.substr(0, slash + 1);
        std::error_code ec;
        for (fs::directory_iterator it(dir.empty() ? "." : dir, ec), end; !ec && it != end; it.increment(ec)) {
            std::string name = dir + it->path().filename().string();
            if (it->is_directory(ec)) name += "/";
            if (name.compare(0, word.size(), word) == 0) out.push_back(name);
        }
        std::sort(out.begin(), out.end());
        return out;
    }
    keep(live_names(head.rfind("export ", 0) == 0 ? "export " : head));
    return out;
}

// The session is made when the SQL view first opens: a console that never runs SQL never
// connects to Trino or PostgreSQL.
bool Console::ensure_sql() {
    if (sql_) return true;
    try {
        sql_ = std::make_unique<SqlSession>(config_, [this] { wake(); });
        sql_->refresh_names();
        model_.sql.unavailable.clear();
        model_.sql.snap = sql_->snapshot();
        return true;
    } catch (const std::exception& e) {
        model_.sql.unavailable = std::string("SQL is not available: ") + e.what();
        say(model_.sql.unavailable, 3);
        return false;
    }
}

void Console::open_sql_line(const std::string& text) {
    if (!sql_) return;
    sqlline_->open(sql_prompt(sql_->snapshot()), text);
}

// A line from the statement line: \engine and \refresh as in the REPL, else statements.
void Console::run_sql_line(const std::string& raw) {
    if (!ensure_sql()) return;
    std::string line = raw;
    line.erase(0, line.find_first_not_of(" \t"));
    while (!line.empty() && (line.back() == ' ' || line.back() == '\t'))
        line.pop_back();
    if (line.empty()) return;
    if (line[0] == '\\') {
        const auto sp = line.find(' ');
        const std::string word = line.substr(0, sp);
        std::string arg = sp == std::string::npos ? "" : line.substr(sp + 1);
        arg.erase(0, arg.find_first_not_of(' '));
        if (word == "\\engine") {
            if (arg.empty()) {
                say(fmt::format("engine {} at {}", sql_->engine(), mask_url_credentials(model_.sql.snap.endpoint)));
            } else if (arg != "trino" && arg != "postgres") {
                say(fmt::format("\\engine: must be trino or postgres, got '{}'", printable(arg)), 3);
            } else {
                try {
                    sql_->set_engine(arg);
                    sql_->refresh_names();
                    model_.sql.snap = sql_->snapshot();
                    say(fmt::format("engine {} at {}", arg, mask_url_credentials(model_.sql.snap.endpoint)));
                } catch (const std::exception& e) {
                    say(std::string("\\engine: ") + e.what(), 3);
                }
            }
        } else if (word == "\\refresh") {
            sql_->refresh_names();
            say("reloading the names Tab completes");
        } else {
            say(fmt::format("unknown command {} (the statement line knows \\engine [trino|postgres] and \\refresh)",
                            printable(word)),
                3);
        }
        return;
    }
    std::string why;
    if (!sql_->run(line, &why)) {
        say(why, 2);
        return;
    }
    model_.note(now_ms(), fmt::format("sql ({}): {}", sql_->engine(), printable(line.substr(0, 200))));
    ui_.selected[int(View::sql)] = 0;
    ui_.sql_column = 0;
    ui_.zoom = false;
    if (!ui_.filter.empty()) ui_.filter.clear();
}

// :export FILE [FORMAT]: the fetched rows to a file, the format from the extension unless
// named; an existing file is replaced only after y.
void Console::export_sql(const std::string& arg) {
    if (!sql_ || model_.sql.snap.columns.empty()) {
        say("nothing to export yet: run a query in the SQL view (7) first", 2);
        return;
    }
    if (sql_->running()) {
        say("the statement is still running: export when it has finished (Esc cancels it)", 2);
        return;
    }
    std::string path = arg, format_name;
    if (const auto sp = arg.rfind(' '); sp != std::string::npos && sql::parse_sql_format(arg.substr(sp + 1))) {
        path = arg.substr(0, sp);
        format_name = arg.substr(sp + 1);
    }
    while (!path.empty() && path.back() == ' ')
        path.pop_back();
    if (path.empty()) {
        say("export: give a file, e.g. :export rows.csv (csv, tsv, json, md by extension) or :export out.txt vertical",
            3);
        return;
    }
    if (path[0] == '~' && std::getenv("HOME")) path = std::getenv("HOME") + path.substr(1);
    const sql::SqlFormat format = format_name.empty() ? format_for_path(path) : *sql::parse_sql_format(format_name);
    const auto write = [this, path, format] {
        try {
            const std::size_t n = sql_->export_to(path, format);
            const std::string msg = fmt::format("exported {} row{} to {} ({})", thousands(double(n)), n == 1 ? "" : "s",
                                                printable(path), sql::sql_format_name(format));
            say(msg, 0);
            model_.note(now_ms(), msg, 1);
        } catch (const std::exception& e) {
            say(e.what(), 3);
        }
    };
    std::error_code ec;
    if (std::filesystem::is_directory(path, ec)) {
        say(fmt::format("export: {} is a directory", printable(path)), 3);
        return;
    }
    if (std::filesystem::exists(path, ec)) {
        ui_.confirm = fmt::format("replace {}?", printable(path));
        confirmed_ = write;
        return;
    }
    write();
}

int Console::run() {
    nonblocking_pipe(wake_);
    nonblocking_pipe(g_resize_pipe);

    // Log lines (workers, collectors) go to the log view, never onto the screen.
    auto ring = std::make_shared<log::RingBuffer>(kLogLines);
    log::ScopedSink sink(ring);
    std::uint64_t log_seq = 0;

    model_.catalog = catalog_.name;
    model_.kafka = config_->str("kafka.bootstrap_servers");
    model_.redis = config_->str("redis.host") + ":" + config_->str("redis.port");
    model_.readonly = opt_.readonly;
    model_.region_coords = region_coords(*config_);
    model_.gauges = default_gauges(config_double(*config_, "worker.error_warn", 0.02),
                                   config_double(*config_, "worker.error_crit", 0.10));

    for (const auto& p : theme_.problems)
        model_.note(now_ms(), p + " (default colours used there)", 2);
    std::vector<std::string> key_problems;
    keys_ = Keymap(*config_, &key_problems);
    for (const auto& p : key_problems)
        model_.note(now_ms(), p, 2);
    std::vector<std::string> gauge_problems;
    apply_gauge_config(*config_, model_.gauges, &gauge_problems);
    for (const auto& p : gauge_problems)
        model_.note(now_ms(), p, 2);
    // The ? overlay and the key line read the registry with the keys as bound.
    for (const auto& c : console_commands()) {
        if (c.name == "q") continue;
        std::string keys = keys_.keys_of(c.action);
        if (c.typed) keys += (keys.empty() ? ":" : "  :") + c.name + (c.args.empty() ? "" : " " + c.args);
        if (c.action == Action::quit) keys += "  Ctrl-C";
        ui_.help_rows.emplace_back(keys, c.help + (c.dangerous ? " (asks first; refused under --readonly)" : ""));
    }
    const auto first_key = [&](Action a) {
        const std::string k = keys_.keys_of(a);
        return k.substr(0, k.find(' '));
    };
    ui_.hints = fmt::format("{} command  {} filter  Tab panel  {} help  {} quit", first_key(Action::command_line),
                            first_key(Action::filter), first_key(Action::help), first_key(Action::quit));
    interval_[0] = std::chrono::milliseconds(config_->num("probe.interval_ms"));
    interval_[1] = std::chrono::milliseconds(config_->num("lag.interval_ms"));
    interval_[2] = std::chrono::milliseconds(config_->num("kpi.interval_ms"));
    hidden_factor_ = int(config_->num("console.refresh_hidden"));
    if (!key_problems.empty() || !gauge_problems.empty())
        say(fmt::format("{} problem(s) in the console settings: see the log (8)", key_problems.size() + gauge_problems.size()), 2);

    health_ = std::make_unique<collect::HealthCollector>(config_, catalog_);
    lag_ = std::make_unique<collect::LagCollector>(config_, std::vector<std::string>{}, false);
    collect::KpiCollector::Parts parts;
    kpi_ = std::make_unique<collect::KpiCollector>(config_, parts);
    workers_ = std::make_unique<pipeline::WorkerCollector>(
        [this]() -> std::shared_ptr<const pipeline::Worker> {
            std::lock_guard lock(worker_mu_);
            return worker_;
        },
        std::chrono::milliseconds(1000));
    for (collect::CollectorBase* c : {static_cast<collect::CollectorBase*>(health_.get()),
                                      static_cast<collect::CollectorBase*>(lag_.get()),
                                      static_cast<collect::CollectorBase*>(kpi_.get()),
                                      static_cast<collect::CollectorBase*>(workers_.get())})
        c->on_publish([this] { wake(); });

    const bool no_color = opt_.no_color || (std::getenv("NO_COLOR") && *std::getenv("NO_COLOR"));
    screen_ = std::make_unique<Screen>(theme_.theme, no_color);
    cmdline_ = std::make_unique<CommandLine>(
        *screen_, CommandLine::Options{config_->state_dir() + "/console_history",
                                       [this](const std::string& l) { run_command(l); },
                                       [this](const std::string& before, const std::string& word) {
                                           return command_completions(before, word);
                                       }});
    // The same history file and completion as the `ebapctl sql` REPL.
    sqlline_ = std::make_unique<CommandLine>(
        *screen_, CommandLine::Options{config_->state_dir() + "/sql_history",
                                       [this](const std::string& l) { run_sql_line(l); },
                                       [this](const std::string&, const std::string& word) {
                                           return sql::sql_completions(word, sql_ ? sql_->names()
                                                                                  : std::vector<std::string>{});
                                       },
                                       sql::kSqlWordBreaks,
                                       [](const std::string& m) { return sql::is_sql_keyword(m); }});
    struct sigaction sa{};
    sa.sa_handler = on_winch;
    sigaction(SIGWINCH, &sa, nullptr);
    sa.sa_handler = on_quit;
    sigaction(SIGINT, &sa, nullptr);
    sigaction(SIGTERM, &sa, nullptr);
    sigaction(SIGHUP, &sa, nullptr);

    health_->start();
    lag_->start();
    kpi_->start();
    workers_->start();
    if (opt_.workers > 0) start_workers(opt_.workers);

    pace_collectors();
    draw(*screen_, model_, ui_, now_ms(), frame_);
    screen_->show();
    const std::int64_t quit_at =
        opt_.duration_s > 0 ? now_ms() + static_cast<std::int64_t>(opt_.duration_s * 1000) : 0;
    while (!quit_ && !g_quit && (!quit_at || now_ms() < quit_at)) {
        pollfd fds[3] = {{STDIN_FILENO, POLLIN, 0}, {wake_[0], POLLIN, 0}, {g_resize_pipe[0], POLLIN, 0}};
        const int timeout = 1000 - int(now_ms() % 1000) + 5; // the clock and ages tick each second
        const int n = poll(fds, 3, timeout);
        if (n < 0 && errno != EINTR) break;
        if (fds[2].revents & POLLIN) {
            drain(g_resize_pipe[0]);
            screen_->resized();
        }
        if (fds[1].revents & POLLIN) drain(wake_[0]);
        if (fds[0].revents & (POLLHUP | POLLERR)) break; // the terminal went away
        wint_t key;
        int r;
        while ((r = get_wch(&key)) != ERR) {
            handle_key(key, r == KEY_CODE_YES);
            if (quit_) break;
        }
        for (const auto& l : ring->since(log_seq)) {
            model_.note(l.ms, l.source + ": " + l.text, l.level == log::Level::Error ? 3 : l.level == log::Level::Warn ? 2 : 0);
            log_seq = l.seq;
        }
        model_.absorb(health_->latest(), lag_->latest(), kpi_->latest(), workers_->latest());
        if (sql_) {
            model_.sql.snap = sql_->snapshot();
            filter_sql_rows(model_.sql, ui_.view == View::sql ? ui_.filter : "");
        }
        if (!ui_.message.empty() && !filtering_ && message_until_ && now_ms() > message_until_) {
            ui_.message.clear();
            message_until_ = 0;
        }
        // The command line's completions cover a row of some widget: a closed line
        // leaves the whole frame to redraw.
        if ((ui_.cmdline_open && !cmdline_->active()) || (ui_.sql_editing && !sqlline_->active())) frame_.invalidate();
        ui_.cmdline_open = cmdline_->active();
        ui_.sql_editing = sqlline_->active() && ui_.view == View::sql;
        draw(*screen_, model_, ui_, now_ms(), frame_);
        if (cmdline_->active()) cmdline_->draw();
        if (ui_.sql_editing && screen_->cols() >= kMinCols && screen_->rows() >= kMinRows)
            sqlline_->draw(1, 0, screen_->cols(), 2);
        screen_->show(); // one doupdate() a frame
    }
    // Every collector stops now: joined one by one, the later ones would start fresh rounds
    // while the earlier ones are waited for, and a hung backend's deadlines would add up.
    for (collect::CollectorBase* c : {static_cast<collect::CollectorBase*>(health_.get()),
                                      static_cast<collect::CollectorBase*>(lag_.get()),
                                      static_cast<collect::CollectorBase*>(kpi_.get()),
                                      static_cast<collect::CollectorBase*>(workers_.get())})
        c->request_stop();
    if (worker_) {
        ui_.message = "stopping the workers: flushing and committing…";
        draw(*screen_, model_, ui_, now_ms(), frame_);
        screen_->show();
    }
    cmdline_.reset();
    sqlline_.reset();
    screen_.reset();
    stop_workers(true); // after the screen: a summary or error goes to the terminal
    std::signal(SIGWINCH, SIG_DFL);
    // A round stuck on a hanging backend (up to probe.timeout_ms) must not hold up the
    // quit: the workers have committed and the collectors hold nothing to save, so the
    // process leaves without waiting for such a round.
    bool stopped = true;
    const auto stop = [&](auto& c) {
        c->on_publish(nullptr); // no wake-ups for a console that is gone
        if (c->stop_within(std::chrono::milliseconds(500))) return;
        stopped = false;
        if (!opt_.exit_when_stuck) (void)c.release(); // its thread still uses it
    };
    stop(workers_), stop(health_), stop(lag_), stop(kpi_);
    if (sql_ && !sql_->stop_within(std::chrono::milliseconds(500))) stopped = false; // a statement still stuck
    if (!stopped && opt_.exit_when_stuck) {
        std::fflush(nullptr);
        _exit(exit_code_);
    }
    return exit_code_;
}

} // namespace

int run_console(std::shared_ptr<const Config> config, const Catalog& catalog,
                const ConsoleOptions& options) {
    // A missing theme is a usage error before the screen opens; a broken line in one is
    // reported in the log view, with the default colours for that key.
    ThemeLoad theme{default_theme(), {}};
    if (!options.theme.empty()) {
        theme = load_theme(options.theme);
    } else {
        try {
            theme = load_theme("default");
        } catch (const std::exception&) {
        }
    }
    if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO))
        throw UsageError("the console needs a terminal; use a subcommand (ebapctl --help) in scripts");
    Console console(std::move(config), catalog, options, std::move(theme));
    return console.run();
}

} // namespace ebap::tui
