#pragma once
// The console's views, drawn from the Model into rectangles of the screen. The
// overview composes the panels; each numbered view gives one panel the whole screen.
#include "tui/model.hpp"
#include "tui/screen.hpp"

#include <string>

namespace ebap::tui {

enum class View { overview, services, lag, kpi, geo, workers, log };
inline constexpr int kViewCount = 7;
const char* view_name(View v); // "overview", "services", "lag", "kpi", "geo", "workers", "log"

struct UiState {
    View view = View::overview;
    std::string filter; // the current table's `/` filter (substring)
    std::string message; // the status line's last message
    int message_tone = 0;
    bool help = false;
    std::string confirm; // a dangerous action waiting for y: its exact description
    int scroll = 0;
    int selected = 0;  // the services view's cursor (worst-first order)
    int region_sort = 0; // 0: worst first; 1..6: region, events, users, revenue, error %, p95

};

// Draws a whole frame (header, the view, the key line) for the screen's size.
void draw(Screen& s, const Model& m, const UiState& ui, std::int64_t now_ms);

// The smallest size the console draws in.
inline constexpr int kMinCols = 80, kMinRows = 24;

} // namespace ebap::tui
