#include "tui/widgets.hpp"

#include "core/base/format.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cwchar>

namespace ebap::tui {
namespace {

// Length in bytes and width of the character at s[i] (invalid bytes: 1 byte, 1 column).
std::pair<std::size_t, int> char_at(const std::string& s, std::size_t i) {
    std::mbstate_t st{};
    wchar_t wc;
    const std::size_t n = std::mbrtowc(&wc, s.data() + i, s.size() - i, &st);
    if (n == static_cast<std::size_t>(-1) || n == static_cast<std::size_t>(-2) || n == 0)
        return {1, 1};
    const int w = wcwidth(wc);
    return {n, w < 0 ? 1 : w};
}

} // namespace

int text_width(const std::string& s) { return display_width(s); }

std::string fit(const std::string& s, int width, const Glyphs& g) {
    if (width <= 0) return {};
    if (text_width(s) <= width) return s;
    const int room = width - 1; // the ellipsis takes one column
    std::string out;
    int used = 0;
    for (std::size_t i = 0; i < s.size();) {
        const auto [n, w] = char_at(s, i);
        if (used + w > room) break;
        out.append(s, i, n);
        used += w;
        i += n;
    }
    return out + g.ellipsis();
}

std::vector<std::string> wrap(const std::string& s, int width, int max_lines, const Glyphs& g) {
    std::vector<std::string> lines;
    if (width <= 0 || max_lines <= 0) return lines;
    std::size_t i = 0;
    while (i < s.size() && int(lines.size()) < max_lines) {
        while (i < s.size() && s[i] == ' ')
            ++i;
        if (i >= s.size()) break;
        std::size_t end = i, last_space = std::string::npos;
        int used = 0;
        while (end < s.size()) {
            const auto [n, w] = char_at(s, end);
            if (used + w > width) break;
            if (s[end] == ' ') last_space = end;
            used += w;
            end += n;
        }
        if (end < s.size() && last_space != std::string::npos && last_space > i) end = last_space;
        lines.push_back(s.substr(i, end - i));
        i = end;
    }
    if (i < s.size() && !lines.empty() && s.find_first_not_of(' ', i) != std::string::npos)
        lines.back() = fit(lines.back() + " " + s.substr(i), width, g);
    return lines;
}

std::string pad(const std::string& s, int width, const Glyphs& g, bool right) {
    std::string f = fit(s, width, g);
    const int gap = width - text_width(f);
    if (gap <= 0) return f;
    return right ? std::string(std::size_t(gap), ' ') + f : f + std::string(std::size_t(gap), ' ');
}

std::string thousands(double v) {
    if (!std::isfinite(v)) return "-";
    if (std::fabs(v) >= 1e15) return fmt::format("{:.3g}", v);
    const auto n = static_cast<long long>(std::llround(v));
    std::string digits = std::to_string(n < 0 ? -n : n);
    std::string out;
    for (std::size_t i = 0; i < digits.size(); ++i) {
        if (i && (digits.size() - i) % 3 == 0) out += ',';
        out += digits[i];
    }
    return n < 0 ? "-" + out : out;
}

std::string compact(double v) {
    if (!std::isfinite(v)) return "-";
    const double a = std::fabs(v);
    if (a >= 1e12) return fmt::format("{:.2g}", v);
    if (a >= 1e9) return fmt::format("{:.1f}G", v / 1e9);
    if (a >= 1e6) return fmt::format("{:.1f}M", v / 1e6);
    if (a >= 1e4) return fmt::format("{:.0f}k", v / 1e3);
    if (a >= 1e3) return fmt::format("{:.1f}k", v / 1e3);
    if (a >= 100 || a == 0 || std::floor(a) == a) return fmt::format("{:.0f}", v);
    if (a >= 10) return fmt::format("{:.1f}", v);
    return fmt::format("{:.2f}", v);
}

std::string sparkline(const std::vector<std::optional<double>>& values, int width,
                      const Glyphs& g) {
    static const char* kUtf8[8] = {"▁", "▂", "▃", "▄", "▅", "▆", "▇", "█"};
    static const char* kAscii[4] = {"_", ".", "-", "^"};
    if (width <= 0) return {};
    const std::size_t n = std::min(values.size(), std::size_t(width));
    const auto first = values.end() - static_cast<std::ptrdiff_t>(n);
    double lo = 0, hi = 0;
    bool any = false;
    for (auto it = first; it != values.end(); ++it)
        if (*it && std::isfinite(**it)) {
            lo = any ? std::min(lo, **it) : std::min(0.0, **it);
            hi = any ? std::max(hi, **it) : **it;
            any = true;
        }
    std::string out(std::size_t(width) - n, ' ');
    const int levels = g.utf8 ? 8 : 4;
    for (auto it = first; it != values.end(); ++it) {
        if (!*it || !std::isfinite(**it)) {
            out += ' ';
            continue;
        }
        int level = 0;
        if (hi > lo) level = static_cast<int>(std::lround((**it - lo) / (hi - lo) * (levels - 1)));
        level = std::clamp(level, 0, levels - 1);
        out += g.utf8 ? kUtf8[level] : kAscii[level];
    }
    return out;
}

Meter meter(double value, double lo, double hi, int width, const Glyphs& g) {
    Meter m;
    m.width = std::max(0, width);
    double f = hi > lo && std::isfinite(value) ? (value - lo) / (hi - lo) : 0;
    f = std::clamp(f, 0.0, 1.0);
    m.filled = static_cast<int>(std::lround(f * m.width));
    for (int i = 0; i < m.width; ++i)
        m.text += i < m.filled ? (g.utf8 ? "█" : "#") : (g.utf8 ? "░" : "-");
    return m;
}

std::string bar(double fraction, int width, const Glyphs& g) {
    width = std::max(0, width);
    const double f = std::isfinite(fraction) ? std::clamp(fraction, 0.0, 1.0) : 0;
    std::string out;
    if (!g.utf8) {
        const int n = static_cast<int>(std::lround(f * width));
        return std::string(std::size_t(n), '#') + std::string(std::size_t(width - n), ' ');
    }
    static const char* kEighths[] = {"", "▏", "▎", "▍", "▌", "▋", "▊", "▉"};
    const int eighths = static_cast<int>(std::lround(f * width * 8));
    int cells = 0;
    for (; cells < eighths / 8; ++cells)
        out += "█";
    if (eighths % 8 && cells < width) out += kEighths[eighths % 8], ++cells;
    out += std::string(std::size_t(width - cells), ' ');
    return out;
}

CellRows gauge(const GaugeSpec& s, int width, int height, const Glyphs& g) {
    CellRows rows(std::size_t(std::max(0, height)), std::vector<Cell>(std::size_t(std::max(0, width))));
    if (width < 3 || height < 2) return rows;
    const double span = s.hi > s.lo ? s.hi - s.lo : 1;
    auto frac = [&](double v) { return std::clamp((v - s.lo) / span, 0.0, 1.0); };
    const double value = std::isfinite(s.value) ? frac(s.value) : 0;
    // Cells are about twice as tall as wide: the radius in rows is half that in columns.
    const double cx = (width - 1) / 2.0, rx = width / 2.0, ry = double(height);
    const double thickness = std::max(0.24, 1.3 / height);
    for (int y = 0; y < height; ++y) {
        for (int x = 0; x < width; ++x) {
            const double dx = (x - cx) / rx, dy = (height - 0.5 - y) / ry;
            const double r = std::sqrt(dx * dx + dy * dy);
            if (r > 1.0 || r < 1.0 - thickness) continue;
            const double angle = std::atan2(dy, dx); // pi at the left, 0 at the right
            const double at = 1.0 - angle / M_PI;    // 0 at lo .. 1 at hi
            Cell& c = rows[std::size_t(y)][std::size_t(x)];
            if (at <= value && value > 0) {
                const double v = s.lo + at * span;
                const bool crit = s.crit && v >= *s.crit, warn = s.warn && v >= *s.warn;
                c.role = crit ? Role::gauge_high : warn ? Role::gauge_mid : Role::gauge_low;
                c.glyph = g.utf8 ? "█" : "#";
            } else {
                c.role = Role::muted;
                c.glyph = g.utf8 ? "░" : ".";
            }
        }
    }
    return rows;
}

namespace {

// 3x3 cell font (4 wide with spacing for digits), drawn with half blocks.
struct Glyph3 {
    char c;
    const char* rows[3];
};
constexpr Glyph3 kFont[] = {
    {'0', {"█▀█", "█ █", "▀▀▀"}}, {'1', {"▀█ ", " █ ", "▀▀▀"}}, {'2', {"▀▀█", "█▀▀", "▀▀▀"}},
    {'3', {"▀▀█", " ▀█", "▀▀▀"}}, {'4', {"█ █", "▀▀█", "  ▀"}}, {'5', {"█▀▀", "▀▀█", "▀▀▀"}},
    {'6', {"█▀▀", "█▀█", "▀▀▀"}}, {'7', {"▀▀█", "  █", "  ▀"}}, {'8', {"█▀█", "█▀█", "▀▀▀"}},
    {'9', {"█▀█", "▀▀█", "▀▀▀"}}, {'.', {" ", " ", "▀"}},        {',', {" ", " ", "▀"}},
    {'%', {"▀ █", " █ ", "█ ▄"}}, {'k', {"█  ", "█▄▀", "▀ ▀"}},  {'M', {"█▄█", "█ █", "▀ ▀"}},
    {'G', {"█▀▀", "█ █", "▀▀▀"}}, {'-', {"   ", "▀▀▀", "   "}},  {' ', {" ", " ", " "}},
};

const Glyph3* glyph3(char c) {
    for (const auto& f : kFont)
        if (f.c == c) return &f;
    return nullptr;
}

} // namespace

std::vector<std::string> big_text(const std::string& s, const Glyphs& g) {
    std::vector<std::string> rows(3);
    for (std::size_t i = 0; i < s.size(); ++i) {
        const Glyph3* f = glyph3(s[i]);
        if (i) {
            for (auto& r : rows)
                r += ' ';
        }
        if (!f) {
            rows[0] += ' ';
            rows[1] += s[i];
            rows[2] += ' ';
            continue;
        }
        for (int r = 0; r < 3; ++r) {
            std::string row = f->rows[r];
            if (!g.utf8) {
                std::string ascii;
                for (std::size_t k = 0; k < row.size();) {
                    if (row.compare(k, 3, "█") == 0)
                        ascii += '#', k += 3;
                    else if (row.compare(k, 3, "▀") == 0)
                        ascii += '"', k += 3;
                    else if (row.compare(k, 3, "▄") == 0)
                        ascii += '_', k += 3;
                    else
                        ascii += row[k++];
                }
                row = ascii;
            }
            rows[std::size_t(r)] += row;
        }
    }
    return rows;
}

int big_width(const std::string& s) {
    int w = 0;
    for (std::size_t i = 0; i < s.size(); ++i) {
        const Glyph3* f = glyph3(s[i]);
        w += (i ? 1 : 0) + (f ? text_width(f->rows[0]) : 1);
    }
    return w;
}

const char* trend(std::optional<double> now, std::optional<double> before, const Glyphs& g) {
    if (!now || !before) return " ";
    const double d = *now - *before, scale = std::max(std::fabs(*before), 1.0);
    if (d > 0.02 * scale) return g.up();
    if (d < -0.02 * scale) return g.down();
    return g.flat();
}

} // namespace ebap::tui
