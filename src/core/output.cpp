#include "core/output.hpp"

#include <chrono>
#include <clocale>
#include <cstdlib>
#include <cstring>
#include <cwchar>
#include <unistd.h>

#include <fmt/format.h>

namespace ebap {

bool color_enabled(std::FILE* stream) {
    const char* no_color = std::getenv("NO_COLOR");
    if (no_color && *no_color) return false;
    const char* term = std::getenv("TERM");
    if (!term || std::strcmp(term, "dumb") == 0) return false;
    return isatty(fileno(stream));
}

Tone tone_of(const std::string& w) {
    if (w == "UP" || w == "OK" || w == "ok" || w == "Stable" || w == "RUNNING") return Tone::Ok;
    if (w == "DEGRADED" || w == "WARN" || w == "warn" || w == "STALL") return Tone::Warn;
    if (w == "DOWN" || w == "ERR" || w == "STOP" || w == "crit" || w == "FAILED") return Tone::Crit;
    if (w == "UNKNOWN" || w == "unknown" || w == "-") return Tone::Dim;
    return Tone::Plain;
}

int display_width(const std::string& s) {
    std::mbstate_t st{};
    const char* p = s.data();
    const char* end = p + s.size();
    int width = 0;
    while (p < end) {
        wchar_t wc;
        std::size_t n = std::mbrtowc(&wc, p, end - p, &st);
        if (n == static_cast<std::size_t>(-1) || n == static_cast<std::size_t>(-2)) {
            // Not valid in this locale: count remaining bytes as one column each.
            width += static_cast<int>(end - p);
            break;
        }
        if (n == 0) n = 1;
        int w = wcwidth(wc);
        width += w < 0 ? 1 : w;
        p += n;
    }
    return width;
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

void print_table(const Table& t) {
    std::string s = t.render(color_enabled(stdout));
    std::fwrite(s.data(), 1, s.size(), stdout);
}

std::string fmt_duration_ms(double ms) {
    if (ms < 0) return "-";
    if (ms < 1000) return fmt::format("{:.0f} ms", ms);
    double s = ms / 1000;
    if (s < 60) return fmt::format("{:.1f} s", s);
    auto total = static_cast<long long>(s);
    if (total < 3600) return fmt::format("{}m {:02}s", total / 60, total % 60);
    if (total < 86400) return fmt::format("{}h {:02}m", total / 3600, (total % 3600) / 60);
    return fmt::format("{}d {:02}h", total / 86400, (total % 86400) / 3600);
}

std::string fmt_count(double n) {
    double a = n < 0 ? -n : n;
    if (a < 1000) return fmt::format("{:.0f}", n);
    if (a < 1e6) return fmt::format("{:.1f}K", n / 1e3);
    if (a < 1e9) return fmt::format("{:.1f}M", n / 1e6);
    return fmt::format("{:.1f}G", n / 1e9);
}

std::string fmt_bytes(double n) {
    const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
    int u = 0;
    while (n >= 1024 && u < 4)
        n /= 1024, ++u;
    return u == 0 ? fmt::format("{:.0f} B", n) : fmt::format("{:.1f} {}", n, units[u]);
}

std::int64_t now_ms() {
    using namespace std::chrono;
    return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

} // namespace ebap
