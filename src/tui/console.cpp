// The console's loop: the collectors run on their own threads and signal a wake-up
// pipe when they publish; the UI thread waits in one poll() on the terminal, that pipe
// and the resize pipe, folds new snapshots into the model and draws one frame. A dead or
// hanging backend only delays its own collector, never a keystroke.
#include "tui/console.hpp"

#include "core/base/error.hpp"
#include "core/base/log.hpp"
#include "core/base/time.hpp"
#include "pipeline/worker/worker.hpp"
#include "tui/cmdline.hpp"
#include "tui/screen.hpp"
#include "tui/views.hpp"

#include <curses.h>
#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <fmt/format.h>

#include <atomic>
#include <functional>
#include <mutex>
#include <climits>
#include <cwchar>
#include <csignal>
#include <cstdlib>
#include <cstring>

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
    void run_command(const std::string& line);
    void set_view(View v) {
        if (v != ui_.view) previous_ = ui_.view;
        ui_.view = v;
        ui_.scroll = 0;
    }
    void say(std::string msg, int tone = 0) {
        ui_.message = std::move(msg);
        ui_.message_tone = tone;
        message_until_ = now_ms() + 5000;
    }
    std::vector<std::string> live_names() const;
    // Up/down: the services view's cursor; elsewhere the log scrolls (newest at the bottom).
    void move_cursor(int delta) {
        if (ui_.view == View::services) {
            const int n = model_.health ? int(model_.health->data.services.size()) : 0;
            ui_.selected = std::clamp(ui_.selected + delta, 0, std::max(0, n - 1));
        } else {
            ui_.scroll = std::max(0, ui_.scroll - delta);
        }
    }

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
    Model model_;
    UiState ui_;
    View previous_ = View::overview;
    bool filtering_ = false;
    bool quit_ = false;
    int exit_code_ = kExitOk;
    std::int64_t message_until_ = 0;
};

std::vector<std::string> Console::live_names() const {
    std::vector<std::string> names;
    for (const auto& s : catalog_.services)
        names.push_back(s.name);
    if (model_.lag)
        for (const auto& g : model_.lag->data.groups)
            names.push_back(g.lag.group);
    if (model_.kpi)
        for (const auto& r : model_.kpi->data.regions)
            names.push_back(r.region);
    for (const auto& t : theme_names())
        names.push_back(t);
    return names;
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
    const std::string& name = spec->name;
    if (name == "q" || name == "quit") {
        quit_ = true;
    } else if (name == "help") {
        ui_.help = true;
    } else if (name == "theme") {
        if (arg.empty()) {
            say("themes: " + [] {
                std::string s;
                for (const auto& n : theme_names())
                    s += (s.empty() ? "" : ", ") + n;
                return s;
            }());
            return;
        }
        try {
            ThemeLoad t = load_theme(arg);
            screen_->set_theme(t.theme);
            say(t.problems.empty() ? "theme " + t.theme.name : t.problems.front(), t.problems.empty() ? 0 : 2);
        } catch (const std::exception& e) {
            say(e.what(), 3);
        }
    } else if (name == "worker start") {
        char* end = nullptr;
        const long n = arg.empty() ? 0 : std::strtol(arg.c_str(), &end, 10);
        if (!arg.empty() && (*end || n < 1 || n > 64)) {
            say("worker start: give a thread count from 1 to 64, e.g. :worker start 2", 3);
            return;
        }
        start_workers(int(n));
    } else if (name == "worker stop") {
        std::lock_guard lock(worker_mu_);
        if (!worker_) {
            say("no workers run in this console", 2);
            return;
        }
        ui_.confirm = fmt::format("stop {} worker thread(s) of group {} (they flush and commit first)?",
                                  worker_->shared().threads, worker_->shared().group);
        confirmed_ = [this] { stop_workers(false); };
    } else if (name == "refresh") {
        char* end = nullptr;
        const double s = std::strtod(arg.c_str(), &end);
        if (arg.empty() || *end || !(s >= 0.1 && s <= 3600)) {
            say("refresh: give seconds between 0.1 and 3600, e.g. :refresh 5", 3);
            return;
        }
        const auto ms = std::chrono::milliseconds(static_cast<long>(s * 1000));
        for (collect::CollectorBase* c : {static_cast<collect::CollectorBase*>(health_.get()),
                                          static_cast<collect::CollectorBase*>(lag_.get()),
                                          static_cast<collect::CollectorBase*>(kpi_.get())})
            c->set_interval(ms);
        say(fmt::format("every collector now runs every {} s", arg));
    } else if (name == "workers" || name == "worker") {
        set_view(View::workers);
    } else {
        for (int v = 0; v < kViewCount; ++v)
            if (name == view_name(View(v))) return set_view(View(v));
        say(":" + name + " is not available in this console yet", 2);
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
    if (filtering_) {
        if (!code && (key == '\n' || key == '\r')) {
            filtering_ = false;
        } else if (!code && key == 27) {
            filtering_ = false;
            ui_.filter.clear();
        } else if ((code && key == KEY_BACKSPACE) || (!code && (key == 127 || key == 8))) {
            if (!ui_.filter.empty()) ui_.filter.pop_back();
        } else if (!code && key >= 32) {
            char buf[MB_LEN_MAX];
            std::mbstate_t st{};
            const std::size_t n = std::wcrtomb(buf, wchar_t(key), &st);
            if (n != static_cast<std::size_t>(-1)) ui_.filter.append(buf, n);
        }
        ui_.message = filtering_ ? "/" + ui_.filter : "";
        return;
    }
    if (ui_.help) {
        ui_.help = false;
        if (!code && (key == 27 || key == '?' || key == 'q')) return;
    }
    if (code) {
        if (key == KEY_RESIZE) screen_->resized();
        if (key == KEY_UP) move_cursor(-1);
        if (key == KEY_DOWN) move_cursor(+1);
        if (key == KEY_PPAGE) ui_.scroll += 10;
        if (key == KEY_NPAGE) ui_.scroll = std::max(0, ui_.scroll - 10);
        if (key == KEY_HOME) ui_.selected = 0;
        if (key == KEY_MOUSE) {
            MEVENT ev;
            if (getmouse(&ev) == OK) {
                if (ev.bstate & BUTTON4_PRESSED) ++ui_.scroll;
                if (ev.bstate & BUTTON5_PRESSED) ui_.scroll = std::max(0, ui_.scroll - 1);
            }
        }
        return;
    }
    switch (key) {
    case 'q':
        quit_ = true;
        break;
    case 3: // Ctrl-C in raw mode
        quit_ = true;
        break;
    case ':':
        cmdline_->open(":");
        break;
    case '/':
        filtering_ = true;
        ui_.filter.clear();
        ui_.message = "/";
        break;
    case 27:
        ui_.filter.clear();
        ui_.message.clear();
        break;
    case '?':
        ui_.help = true;
        break;
    case '-':
        set_view(previous_);
        break;
    case 'k':
        move_cursor(-1);
        break;
    case 'j':
        move_cursor(+1);
        break;
    case '<':
        ui_.region_sort = (ui_.region_sort + 6) % 7;
        break;
    case '>':
        ui_.region_sort = (ui_.region_sort + 1) % 7;
        break;
    default:
        if (key >= '1' && key < '1' + kViewCount) set_view(View(key - '1'));
        break;
    }
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
    cmdline_ = std::make_unique<CommandLine>(*screen_, config_->state_dir() + "/console_history",
                                             [this](const std::string& l) { run_command(l); },
                                             [this] { return live_names(); });
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

    draw(*screen_, model_, ui_, now_ms());
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
        if (!ui_.message.empty() && !filtering_ && message_until_ && now_ms() > message_until_) {
            ui_.message.clear();
            message_until_ = 0;
        }
        draw(*screen_, model_, ui_, now_ms());
        if (cmdline_->active()) cmdline_->draw();
    }
    if (worker_) {
        ui_.message = "stopping the workers: flushing and committing…";
        draw(*screen_, model_, ui_, now_ms());
    }
    cmdline_.reset();
    screen_.reset();
    stop_workers(true); // after the screen: a summary or error goes to the terminal
    workers_->stop();
    health_->stop();
    lag_->stop();
    kpi_->stop();
    std::signal(SIGWINCH, SIG_DFL);
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
