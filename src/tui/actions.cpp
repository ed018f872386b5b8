#include "tui/actions.hpp"

#include "core/base/closest.hpp"
#include "core/config/config.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <sstream>

namespace ebap::tui {

const std::vector<CommandSpec>& console_commands() {
    // Keys follow k9s where an operator's fingers already know them.
    static const std::vector<CommandSpec> kCommands = {
        {"overview", "1", "global", "the overview: services, KPIs, lag, regions", false, Action::overview},
        {"services", "2", "global", "every catalog service, its probe in full and its history", false, Action::services},
        {"lag", "3", "global", "topics, consumer groups and the selected group's partitions", false, Action::lag, true,
         "[GROUP]"},
        {"kpi", "4", "global", "the KPI speedometers with longer sparklines", false, Action::kpi},
        {"geo", "5", "global", "regional health: the table and the world map", false, Action::geo, true, "[REGION]"},
        {"workers", "6", "global", "the in-process streaming workers, per thread and stage", false, Action::workers},
        {"sql", "7", "global", "SQL against Trino or PostgreSQL: a statement line and the result grid", false,
         Action::sql, true, "[STATEMENT]"},
        {"log", "8", "global", "every state change and command, with its time", false, Action::log},
        {"status", "", "global", "the services view (as ebapctl status); :status NAME selects one", false,
         Action::status, true, "[SERVICE]"},
        {"worker start", "", "global", "host N streaming worker threads in this console", false, Action::worker_start,
         true, "[N]"},
        {"worker stop", "", "global", "stop the hosted workers (they flush and commit first)", true,
         Action::worker_stop},
        {"theme", "", "global", "switch the theme live", false, Action::theme, true, "NAME|FILE"},
        {"refresh", "", "global", "collector interval in seconds, for one source or all", false, Action::refresh, true,
         "[health|lag|kpi] SECONDS"},
        {"export", "e", "sql", "write the fetched rows to FILE; the format from its extension or named", false,
         Action::export_result, true, "FILE [FORMAT]"},
        {"help", "?", "global", "keys and commands", false, Action::help},
        {"quit", "q", "global", "leave the console (also Ctrl-C)", false, Action::quit},
        {"q", "", "global", "leave the console", false, Action::quit},
        // Keys only.
        {"command_line", ":", "global", "the command line (Tab completes, Up/Down history, Ctrl-R search)", false,
         Action::command_line, false},
        {"filter", "/", "global", "filter the current table (substring; !text inverts)", false, Action::filter, false},
        {"detail", "Enter", "global", "open the focused panel, or the selected row in full", false, Action::detail,
         false},
        {"back", "Esc", "global", "close help, the filter or the detail; else back to the view before", false,
         Action::back, false},
        {"previous", "-", "global", "the previous view (again: back)", false, Action::previous, false},
        {"up", "k Up", "global", "move the cursor up (or scroll)", false, Action::up, false},
        {"down", "j Down", "global", "move the cursor down (or scroll)", false, Action::down, false},
        {"page_up", "PgUp Ctrl-B", "global", "a page up", false, Action::page_up, false},
        {"page_down", "PgDn Ctrl-F", "global", "a page down", false, Action::page_down, false},
        {"top", "Home g", "global", "the first row", false, Action::top, false},
        {"bottom", "End G", "global", "the last row", false, Action::bottom, false},
        {"next_panel", "Tab", "global", "focus the next panel", false, Action::next_panel, false},
        {"prev_panel", "BTab", "global", "focus the previous panel", false, Action::prev_panel, false},
        {"sort_prev", "<", "global", "sort the current table by the previous column", false, Action::sort_prev, false},
        {"sort_next", ">", "global", "sort the current table by the next column (again: reverse)", false,
         Action::sort_next, false},
        {"sql_edit", "i", "sql", "type a statement (Enter runs it, Tab completes, Up/Down history, Esc leaves)",
         false, Action::sql_edit, false},
        {"vertical", "v", "sql", "the result as records, a column per line (again: the grid)", false,
         Action::vertical, false},
        {"column_left", "h Left", "sql", "scroll the result a column left", false, Action::column_left, false},
        {"column_right", "l Right", "sql", "scroll the result a column right", false, Action::column_right, false},
    };
    return kCommands;
}

const CommandSpec* find_command(const std::string& name) {
    const CommandSpec* prefix = nullptr;
    int prefixes = 0;
    for (const auto& c : console_commands()) {
        if (!c.typed) continue;
        if (c.name == name) return &c;
        if (!name.empty() && c.name.compare(0, name.size(), name) == 0) prefix = &c, ++prefixes;
    }
    return prefixes == 1 ? prefix : nullptr;
}

std::string closest_command(const std::string& name) {
    std::vector<std::string> names;
    for (const auto& c : console_commands())
        if (c.typed) names.push_back(c.name);
    return closest(name, names);
}

const CommandSpec& spec_of(Action a) {
    for (const auto& c : console_commands())
        if (c.action == a) return c;
    static const CommandSpec none{};
    return none;
}

KeyPress normalize(KeyPress k) {
    if (k.code && k.key == KEY_ENTER) return {'\n', false};
    if (!k.code && k.key == '\r') return {'\n', false};
    if (!k.code && (k.key == 127 || k.key == 8)) return {KEY_BACKSPACE, true};
    return k;
}

namespace {

struct Named {
    const char* name;
    KeyPress key;
};
const Named kNamed[] = {
    {"Tab", {'\t', false}},          {"BTab", {KEY_BTAB, true}},     {"Enter", {'\n', false}},
    {"Esc", {27, false}},            {"Space", {' ', false}},        {"Up", {KEY_UP, true}},
    {"Down", {KEY_DOWN, true}},      {"Left", {KEY_LEFT, true}},     {"Right", {KEY_RIGHT, true}},
    {"PgUp", {KEY_PPAGE, true}},     {"PgDn", {KEY_NPAGE, true}},    {"Home", {KEY_HOME, true}},
    {"End", {KEY_END, true}},        {"Backspace", {KEY_BACKSPACE, true}}, {"Delete", {KEY_DC, true}},
};

bool iequal(const std::string& a, const char* b) {
    std::size_t i = 0;
    for (; i < a.size() && b[i]; ++i)
        if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i])))
            return false;
    return i == a.size() && !b[i];
}

} // namespace

std::optional<KeyPress> parse_key(const std::string& name) {
    if (name.size() == 1 && name[0] > ' ' && name[0] < 127) return KeyPress{wint_t(name[0]), false};
    for (const auto& n : kNamed)
        if (iequal(name, n.name)) return n.key;
    if (name.size() == 6 && (name.compare(0, 5, "Ctrl-") == 0 || name.compare(0, 5, "ctrl-") == 0)) {
        const char c = char(std::tolower(static_cast<unsigned char>(name[5])));
        if (c >= 'a' && c <= 'z' && c != 'c' && c != 'i' && c != 'm' && c != 'h' && c != 'j')
            return KeyPress{wint_t(c - 'a' + 1), false}; // ^C quits, ^I ^M ^H ^J are Tab Enter Backspace
    }
    if (name.size() >= 2 && (name[0] == 'F' || name[0] == 'f')) {
        int n = 0;
        for (std::size_t i = 1; i < name.size(); ++i) {
            if (name[i] < '0' || name[i] > '9') return std::nullopt;
            n = n * 10 + (name[i] - '0');
        }
        if (n >= 1 && n <= 12) return KeyPress{wint_t(KEY_F(n)), true};
    }
    return std::nullopt;
}

std::string key_name(KeyPress k) {
    k = normalize(k);
    for (const auto& n : kNamed)
        if (n.key == k) return n.name;
    if (k.code) {
        for (int i = 1; i <= 12; ++i)
            if (k.key == wint_t(KEY_F(i))) return fmt::format("F{}", i);
        return fmt::format("key {}", int(k.key));
    }
    if (k.key >= 1 && k.key <= 26) return fmt::format("Ctrl-{}", char('A' + k.key - 1));
    if (k.key > ' ' && k.key < 127) return std::string(1, char(k.key));
    return fmt::format("U+{:04X}", unsigned(k.key));
}

Keymap::Keymap() {
    for (const auto& c : console_commands())
        if (!c.keys.empty()) bind(c.action, c.keys, "default", nullptr);
}

Keymap::Keymap(const Config& config, std::vector<std::string>* problems) {
    // Rebound actions first, so that a clash with a default is the default's to lose
    // only when the config asked for the key; then the defaults of the others.
    std::vector<Action> rebound;
    for (const auto& c : console_commands()) {
        if (c.keys.empty()) continue;
        const std::string key = "console.keys." + c.name;
        const ConfigValue& v = config.value(key);
        if (v.text.empty()) continue;
        bind(c.action, v.text, fmt::format("{} ({})", key, v.origin), problems);
        rebound.push_back(c.action);
    }
    for (const auto& c : console_commands())
        if (!c.keys.empty() && std::find(rebound.begin(), rebound.end(), c.action) == rebound.end())
            bind(c.action, c.keys, "console.keys." + c.name + " (default)", problems);
}

void Keymap::bind(Action a, const std::string& keys, const std::string& origin, std::vector<std::string>* problems) {
    std::istringstream in(keys);
    const CommandSpec& spec = spec_of(a);
    for (std::string name; in >> name;) {
        const auto k = parse_key(name);
        if (!k) {
            if (problems)
                problems->push_back(fmt::format("{}: unknown key '{}' (keys are a character, Ctrl-X, Tab, BTab, "
                                                "Enter, Esc, Space, Up, Down, Left, Right, PgUp, PgDn, Home, End, "
                                                "Backspace, Delete or F1-F12)",
                                                origin, name));
            continue;
        }
        bool taken = false;
        for (const auto& b : bindings_) {
            if (!(b.key == *k)) continue;
            const CommandSpec& other = spec_of(b.action);
            if (b.action == a) {
                taken = true;
                break;
            }
            if (other.scope == spec.scope || other.scope == "global" || spec.scope == "global") {
                if (problems)
                    problems->push_back(fmt::format("{}: key {} is already bound to {}; it stays there", origin,
                                                    key_name(*k), other.name));
                taken = true;
                break;
            }
        }
        if (!taken) bindings_.push_back({*k, a});
    }
}

Action Keymap::lookup(KeyPress k, const std::string& view) const {
    k = normalize(k);
    Action global = Action::none;
    for (const auto& b : bindings_) {
        if (!(b.key == k)) continue;
        const std::string& scope = spec_of(b.action).scope;
        if (scope == view) return b.action;
        if (scope == "global" && global == Action::none) global = b.action;
    }
    return global;
}

std::string Keymap::keys_of(Action a) const {
    std::string out;
    for (const auto& b : bindings_)
        if (b.action == a) out += (out.empty() ? "" : " ") + key_name(b.key);
    return out;
}

} // namespace ebap::tui
