#pragma once
// Every console action in one registry: its name (the `:` command when it can be typed,
// and console.keys.NAME in the config), its default keys, its scope, its help line and
// whether it changes state. Dispatch, the command line's completion, the `?` overlay and
// the man page's key and command tables all read it (man_page_test keeps the page in
// step). The config rebinds any keyed action by name; a key bound to two actions that
// can meet in one view is reported at start-up, and the first binding keeps it.
#include <curses.h>

#include <optional>
#include <string>
#include <vector>

namespace ebap {
class Config;
}

namespace ebap::tui {

enum class Action {
    none,
    // views, in View's order
    overview, services, lag, kpi, geo, workers, sql, log,
    status, // the services view under the scripted subcommand's name
    command_line, filter, detail, back, previous, help, quit,
    up, down, page_up, page_down, top, bottom, next_panel, prev_panel, sort_prev, sort_next,
    worker_start, worker_stop, theme, refresh,
    // the SQL view
    sql_edit, export_result, vertical, column_left, column_right,
};

struct CommandSpec {
    std::string name;  // `:name` when typed; console.keys.NAME when it has keys
    std::string keys;  // default keys, space separated key names: "j Down"
    std::string scope; // "global", or the view it works in
    std::string help;
    bool dangerous = false;
    Action action = Action::none;
    bool typed = true; // runs as `:name`
    std::string args;  // what follows the name when typed: "N", "GROUP", ...
};
const std::vector<CommandSpec>& console_commands();
// A typed command by name or unique prefix (key-only actions are not commands).
const CommandSpec* find_command(const std::string& name);
std::string closest_command(const std::string& name);
const CommandSpec& spec_of(Action a);

// One key as get_wch delivers it: a character, or a KEY_* code.
struct KeyPress {
    wint_t key = 0;
    bool code = false;
    bool operator==(const KeyPress&) const = default;
    bool operator<(const KeyPress& o) const { return code != o.code ? code < o.code : key < o.key; }
};
// Enter, Backspace and friends arrive in several forms; one form for each.
KeyPress normalize(KeyPress k);
// "q", "G", "Ctrl-R", "Tab", "BTab", "Enter", "Esc", "Space", "Up", "Down", "Left",
// "Right", "PgUp", "PgDn", "Home", "End", "Backspace", "Delete", "F1".."F12".
std::optional<KeyPress> parse_key(const std::string& name);
std::string key_name(KeyPress k);

class Keymap {
  public:
    // The registry's defaults.
    Keymap();
    // The defaults with console.keys.* from the config over them; what could not be
    // bound (an unknown key name, a clash) is added to `problems`, naming where the
    // setting came from.
    Keymap(const Config& config, std::vector<std::string>* problems);
    // The action a key runs in `view` (a view name), Action::none when it runs nothing.
    Action lookup(KeyPress k, const std::string& view) const;
    // The keys bound to an action, as names ("j Down"); empty when unbound.
    std::string keys_of(Action a) const;

  private:
    void bind(Action a, const std::string& keys, const std::string& origin,
              std::vector<std::string>* problems);
    struct Binding {
        KeyPress key;
        Action action;
    };
    std::vector<Binding> bindings_;
};

} // namespace ebap::tui
