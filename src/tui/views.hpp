#pragma once
// The console's views, drawn from the Model into rectangles of the screen. The
// overview composes the panels; each numbered view gives one panel the whole screen.
#include "tui/model.hpp"
#include "tui/screen.hpp"

#include <map>
#include <string>
#include <vector>

namespace ebap::tui {

enum class View { overview, services, lag, kpi, geo, workers, sql, log };
inline constexpr int kViewCount = 8;
// The sources a view shows; the others' collectors slow down while it is on screen.
struct Sources {
    bool health = false, lag = false, kpi = false, workers = false;
};
Sources sources_of(View v);
const char* view_name(View v); // "overview", "services", "lag", "kpi", "geo", "workers", "sql", "log"

// The panels a click or Tab can land on.
enum class Panel { none, services, kpi, lag, regions, groups, partitions, detail, workers, sql, log };

struct UiState {
    View view = View::overview;
    std::string filter; // the current table's `/` filter (substring; a leading ! inverts)
    std::string message; // the status line's last message
    int message_tone = 0;
    bool help = false;
    std::string confirm; // a dangerous action waiting for y: its exact description
    int scroll = 0;      // the log's lines back from the newest
    int selected[kViewCount] = {}; // each view's cursor: service, group, region (worst-first order)
    int partition = 0;   // the lag view's partition cursor
    int focus = 0;       // the overview's focused panel (Tab), or the lag view's (groups, partitions)
    bool zoom = false;   // Enter on a row: its detail takes the whole view
    int region_sort = 0; // 0: worst first; 1..6: region, events, users, revenue, error %, p95
    int service_sort = 0; // 0: worst first; 1: name, 2: latency, 3: since the last change
    bool reverse = false; // the picked column the other way round
    std::string hints;   // the key line's right side, from the keymap
    bool cmdline_open = false; // the command line covers the key line
    std::vector<std::pair<std::string, std::string>> help_rows; // the ? overlay: keys, what they do
    int sql_column = 0;        // the SQL grid's first column on screen
    bool sql_vertical = false; // the SQL result as records
    bool sql_editing = false;  // the statement line is open (it covers the view's first rows)
};

// The overview's panels in Tab order.
inline constexpr Panel kOverviewPanels[] = {Panel::services, Panel::kpi, Panel::lag, Panel::regions};

// A place on the screen a click can select: a panel, or one of its rows.
struct Hit {
    Rect r;
    Panel panel = Panel::none;
    int row = -1; // index in the panel's shown order; -1: the panel itself
};

// What the last frame left on the screen. Each widget is redrawn only when what it shows
// changed (its signature); the rest stays as ncurses holds it, and one doupdate() sends
// the difference.
struct Frame {
    std::map<int, std::uint64_t> sig;       // widget id -> what it showed
    std::map<int, std::vector<Hit>> hits;   // widget id -> its clickable places
    std::map<int, Rect> rects;              // widget id -> where it was drawn
    std::uint64_t layout = 0;               // size, view and the UI state every widget reads
    int drawn = 0;                          // widgets drawn by the last frame
    int sql_top = 0;                        // the SQL grid's first row on screen
    void invalidate() { layout = 0; }
    // The smallest place under (y, x); nullptr when none.
    const Hit* at(int y, int x) const;
};

// The names of a view's rows in the order it shows them (its sort and filter): services,
// groups or regions; empty for the other views.
std::vector<std::string> shown_names(const Model& m, const UiState& ui, View v);

// Brings the SQL view's filtered rows up to date with the snapshot and the filter (only
// the rows not looked at yet, unless the filter or the statement changed).
void filter_sql_rows(SqlModel& m, const std::string& filter);
// "trino:ebap> ", "postgres:ebap> ": the statement line's prompt.
std::string sql_prompt(const SqlSnapshot& s);

// Draws a frame into the screen's buffer (the caller sends it with Screen::show(), once
// per frame, after any overlay of its own such as the command line) (header, the view, the key line) for the screen's size.
void draw(Screen& s, const Model& m, const UiState& ui, std::int64_t now_ms, Frame& frame);

// The smallest size the console draws in.
inline constexpr int kMinCols = 80, kMinRows = 24;

} // namespace ebap::tui
