#include "tui/theme.hpp"

#include "build_info.hpp"
#include "core/base/closest.hpp"
#include "core/base/error.hpp"

#include <fmt/format.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

namespace ebap::tui {
namespace {

namespace fs = std::filesystem;

constexpr std::array<const char*, kRoleCount> kRoleNames = {
    "bg",   "fg",   "title", "border",    "accent",   "selection",  "ok",          "warn",
    "crit", "muted", "gauge_low", "gauge_mid", "gauge_high", "graph_start", "graph_mid", "graph_end"};

struct Alias {
    const char* btop;
    Role role;
};
constexpr Alias kAliases[] = {
    {"main_bg", Role::bg},       {"main_fg", Role::fg},         {"div_line", Role::border},
    {"hi_fg", Role::accent},     {"selected_bg", Role::selection}, {"inactive_fg", Role::muted},
    {"cpu_start", Role::graph_start}, {"cpu_mid", Role::graph_mid}, {"cpu_end", Role::graph_end},
};

std::optional<Role> role_of(const std::string& key) {
    for (std::size_t i = 0; i < kRoleCount; ++i)
        if (key == kRoleNames[i]) return static_cast<Role>(i);
    for (const auto& a : kAliases)
        if (key == a.btop) return a.role;
    return std::nullopt;
}

int hex(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

std::optional<Rgb> parse_rgb(const std::string& v) {
    if (v.size() != 7 || v[0] != '#') return std::nullopt;
    int d[6];
    for (int i = 0; i < 6; ++i)
        if ((d[i] = hex(v[std::size_t(i) + 1])) < 0) return std::nullopt;
    return Rgb{std::uint8_t(d[0] * 16 + d[1]), std::uint8_t(d[2] * 16 + d[3]),
               std::uint8_t(d[4] * 16 + d[5])};
}

std::string trim(const std::string& s) {
    const auto b = s.find_first_not_of(" \t\r");
    if (b == std::string::npos) return {};
    return s.substr(b, s.find_last_not_of(" \t\r") - b + 1);
}

std::vector<fs::path> search_dirs() {
    std::vector<fs::path> dirs;
    if (const char* env = std::getenv("EBAP_THEMES_DIR"); env && *env) dirs.emplace_back(env);
    dirs.emplace_back("themes");
    dirs.emplace_back(fs::path(build::datadir) / "themes");
    dirs.emplace_back(fs::path(build::source_dir) / "themes");
    return dirs;
}

int dist2(Rgb a, Rgb b) {
    const int dr = a.r - b.r, dg = a.g - b.g, db = a.b - b.b;
    return dr * dr + dg * dg + db * db;
}

} // namespace

const char* role_name(Role r) { return kRoleNames[static_cast<std::size_t>(r)]; }

Theme default_theme() {
    Theme t;
    t.name = "default";
    auto set = [&](Role r, std::uint32_t hex) {
        t.colors[std::size_t(r)] = Rgb{std::uint8_t(hex >> 16), std::uint8_t(hex >> 8), std::uint8_t(hex)};
    };
    set(Role::fg, 0xcccccc);
    set(Role::title, 0xeeeeee);
    set(Role::border, 0x4e4e4e);
    set(Role::accent, 0x5fafd7);
    set(Role::selection, 0x303a4a);
    set(Role::ok, 0x5fd75f);
    set(Role::warn, 0xffaf00);
    set(Role::crit, 0xff5f5f);
    set(Role::muted, 0x6c6c6c);
    set(Role::gauge_low, 0x5fd75f);
    set(Role::gauge_mid, 0xffaf00);
    set(Role::gauge_high, 0xff5f5f);
    set(Role::graph_start, 0x5fafd7);
    set(Role::graph_mid, 0x87afd7);
    set(Role::graph_end, 0xd7afff);
    return t;
}

ThemeLoad parse_theme(const std::string& text, const std::string& origin) {
    ThemeLoad out{default_theme(), {}};
    out.theme.name = fs::path(origin).stem().string();
    std::istringstream in(text);
    std::string line;
    for (int n = 1; std::getline(in, line); ++n) {
        const std::string l = trim(line);
        if (l.empty() || l[0] == '#') continue;
        auto problem = [&](const std::string& what) {
            out.problems.push_back(fmt::format("{}:{}: {}", origin, n, what));
        };
        const auto open = l.find('['), close = l.find(']'), eq = l.find('=');
        if (l.rfind("theme[", 0) != 0 || close == std::string::npos || eq != close + 1) {
            problem("expected theme[key]=\"#RRGGBB\"");
            continue;
        }
        const std::string key = l.substr(open + 1, close - open - 1);
        std::string value = trim(l.substr(eq + 1));
        if (value.size() < 2 || value.front() != '"' || value.back() != '"') {
            problem(fmt::format("the value of {} must be quoted: \"#RRGGBB\" or \"\"", key));
            continue;
        }
        value = value.substr(1, value.size() - 2);
        const auto role = role_of(key);
        if (!role) {
            std::vector<std::string> known(kRoleNames.begin(), kRoleNames.end());
            const std::string near = closest(key, known);
            problem(fmt::format("unknown key '{}'{}", key,
                                near.empty() ? "" : " (did you mean '" + near + "'?)"));
            continue;
        }
        if (value.empty()) {
            out.theme.colors[std::size_t(*role)] = std::nullopt;
            continue;
        }
        const auto rgb = parse_rgb(value);
        if (!rgb) {
            problem(fmt::format("{}: '{}' is not a colour (#RRGGBB)", key, value));
            continue;
        }
        out.theme.colors[std::size_t(*role)] = rgb;
    }
    return out;
}

std::vector<std::string> theme_names() {
    std::set<std::string> names;
    for (const auto& dir : search_dirs()) {
        std::error_code ec;
        for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec))
            if (it->path().extension() == ".theme") names.insert(it->path().stem().string());
    }
    return {names.begin(), names.end()};
}

ThemeLoad load_theme(const std::string& name_or_file) {
    fs::path path;
    if (name_or_file.find('/') != std::string::npos || name_or_file.ends_with(".theme")) {
        path = name_or_file;
    } else {
        for (const auto& dir : search_dirs()) {
            std::error_code ec;
            if (fs::is_regular_file(dir / (name_or_file + ".theme"), ec)) {
                path = dir / (name_or_file + ".theme");
                break;
            }
        }
        if (path.empty()) {
            const auto names = theme_names();
            std::string list;
            for (const auto& n : names)
                list += (list.empty() ? "" : ", ") + n;
            const std::string near = closest(name_or_file, names);
            throw UsageError(fmt::format("no theme '{}'{} (themes: {})", name_or_file,
                                         near.empty() ? "" : "; did you mean '" + near + "'?",
                                         list.empty() ? "none found" : list));
        }
    }
    std::ifstream in(path, std::ios::binary);
    if (!in) throw UsageError(path.string() + ": cannot read theme file");
    std::ostringstream text;
    text << in.rdbuf();
    return parse_theme(text.str(), path.string());
}

ColorMode pick_color_mode(const char* colorterm, int colors, bool no_color) {
    if (no_color || colors < 8) return ColorMode::mono;
    const bool truecolor =
        colorterm && (std::strcmp(colorterm, "truecolor") == 0 || std::strcmp(colorterm, "24bit") == 0);
    if (truecolor && colors >= 0x1000000) return ColorMode::direct;
    if (colors >= 256) return ColorMode::c256;
    return ColorMode::c16;
}

int xterm256(Rgb c) {
    static constexpr int kLevels[6] = {0, 95, 135, 175, 215, 255};
    auto level = [](int v) {
        int best = 0;
        for (int i = 1; i < 6; ++i)
            if (std::abs(kLevels[i] - v) < std::abs(kLevels[best] - v)) best = i;
        return best;
    };
    const int r = level(c.r), g = level(c.g), b = level(c.b);
    const Rgb cube{std::uint8_t(kLevels[r]), std::uint8_t(kLevels[g]), std::uint8_t(kLevels[b])};
    const int avg = (c.r + c.g + c.b) / 3;
    const int grey = avg > 238 ? 23 : avg < 8 ? 0 : (avg - 8) / 10;
    const auto gv = std::uint8_t(8 + grey * 10);
    const Rgb ramp{gv, gv, gv};
    return dist2(c, ramp) < dist2(c, cube) ? 232 + grey : 16 + 36 * r + 6 * g + b;
}

int ansi16(Rgb c) {
    static constexpr Rgb kAnsi[16] = {
        {0, 0, 0},       {205, 0, 0},     {0, 205, 0},     {205, 205, 0},
        {0, 0, 238},     {205, 0, 205},   {0, 205, 205},   {229, 229, 229},
        {127, 127, 127}, {255, 0, 0},     {0, 255, 0},     {255, 255, 0},
        {92, 92, 255},   {255, 0, 255},   {0, 255, 255},   {255, 255, 255}};
    int best = 0;
    for (int i = 1; i < 16; ++i)
        if (dist2(c, kAnsi[i]) < dist2(c, kAnsi[best])) best = i;
    return best;
}

} // namespace ebap::tui
