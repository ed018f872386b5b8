#include "cli/output.hpp"

#include <cstdlib>
#include <cstring>
#include <unistd.h>

namespace ebap::cli {

bool color_enabled(std::FILE* stream) {
    const char* no_color = std::getenv("NO_COLOR");
    if (no_color && *no_color) return false;
    const char* term = std::getenv("TERM");
    if (!term || std::strcmp(term, "dumb") == 0) return false;
    return isatty(fileno(stream));
}

Tone tone_of(const std::string& w) {
    if (w == "UP" || w == "OK" || w == "ok" || w == "Stable" || w == "RUNNING") return Tone::Ok;
    if (w == "DEGRADED" || w == "WARN" || w == "warn" || w == "STALL" || w == "REWIND")
        return Tone::Warn;
    if (w == "DOWN" || w == "ERR" || w == "STOP" || w == "crit" || w == "FAILED") return Tone::Crit;
    if (w == "UNKNOWN" || w == "unknown" || w == "-") return Tone::Dim;
    return Tone::Plain;
}

static const char* sgr(Tone t) {
    switch (t) {
    case Tone::Ok:
        return "\033[32m";
    case Tone::Warn:
        return "\033[33m";
    case Tone::Crit:
        return "\033[31;1m";
    case Tone::Dim:
        return "\033[2m";
    case Tone::Accent:
        return "\033[36m";
    case Tone::Plain:
        break;
    }
    return "";
}

void Table::add(std::vector<std::string> cells, std::vector<Tone> tones) {
    cells.resize(columns_.size());
    for (auto& c : cells) // names and details come from events, Redis and servers
        c = truncate_display(printable(c), kMaxCellWidth);
    tones.resize(columns_.size(), Tone::Plain);
    rows_.push_back(std::move(cells));
    tones_.push_back(std::move(tones));
}

std::string Table::render(bool color) const {
    std::vector<int> width(columns_.size());
    for (std::size_t c = 0; c < columns_.size(); ++c) {
        width[c] = display_width(columns_[c].title);
        for (const auto& row : rows_)
            width[c] = std::max(width[c], display_width(row[c]));
    }
    std::string out;
    auto cell = [&](const std::string& text, std::size_t c, Tone tone) {
        int pad = width[c] - display_width(text);
        bool last = c + 1 == columns_.size();
        if (columns_[c].align == Right) out.append(pad, ' ');
        if (color && tone != Tone::Plain)
            out += std::string(sgr(tone)) + text + "\033[0m";
        else
            out += text;
        if (columns_[c].align == Left && !last) out.append(pad, ' ');
        if (!last) out += "  ";
    };
    for (std::size_t c = 0; c < columns_.size(); ++c)
        cell(columns_[c].title, c, color ? Tone::Accent : Tone::Plain);
    out += '\n';
    for (std::size_t r = 0; r < rows_.size(); ++r) {
        for (std::size_t c = 0; c < columns_.size(); ++c)
            cell(rows_[r][c], c, tones_[r][c]);
        out += '\n';
    }
    return out;
}

void print_json(const nlohmann::json& doc) {
    std::string s = doc.dump(2);
    s += '\n';
    std::fwrite(s.data(), 1, s.size(), stdout);
}

void print_json_error(int code, const std::string& message, const std::string& command) {
    const char* kind = code == 2 ? "usage" : code == 3 ? "unhealthy" : "failure";
    print_json({{"ok", false},
                {"error",
                 {{"code", code},
                  {"kind", kind},
                  {"message", message},
                  {"command", command.empty() ? nlohmann::json(nullptr) : nlohmann::json(command)}}}});
}

void print_table(const Table& t) {
    std::string s = t.render(color_enabled(stdout));
    std::fwrite(s.data(), 1, s.size(), stdout);
}

} // namespace ebap::cli
