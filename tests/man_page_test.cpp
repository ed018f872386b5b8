// The man page documents every subcommand --help names, every configuration key and
// the geo map's built-in region names, and mandoc's linter finds nothing above style
// level.
#include "core/config/region_coords.hpp"
#include "support/cli_run.hpp"
#include "core/config/config.hpp"
#include "tui/actions.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <regex>
#include <sstream>

using ebap::test::run_argv;
using ebap::test::run_cli;

namespace {
std::string man_page() {
    std::ifstream in(std::string(EBAP_SOURCE_DIR) + "/man/ebapctl.1");
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

// Subcommand names from CLI11's --help "Subcommands:" section.
std::vector<std::string> help_subcommands() {
    auto h = run_cli({"--help"});
    std::vector<std::string> names;
    auto at = h.out.find("Subcommands:");
    if (at == std::string::npos) return names;
    std::istringstream lines(h.out.substr(at));
    std::string line;
    std::getline(lines, line);
    std::regex row(R"(^\s+([a-z][a-z0-9-]*)\s)");
    while (std::getline(lines, line)) {
        std::smatch m;
        if (std::regex_search(line, m, row)) names.push_back(m[1]);
    }
    return names;
}
} // namespace

TEST(ManPage, DocumentsEverySubcommandHelpNames) {
    std::string page = man_page();
    ASSERT_FALSE(page.empty());
    auto names = help_subcommands();
    ASSERT_GE(names.size(), 6u);
    for (const auto& n : names) {
        // Each subcommand has its own .It Cm entry (mdoc).
        EXPECT_NE(page.find(".It Cm " + n), std::string::npos) << "man page lacks " << n;
    }
}

TEST(ManPage, LintIsClean) {
    auto r = run_argv(
        {"mandoc", "-Tlint", "-Wwarning", std::string(EBAP_SOURCE_DIR) + "/man/ebapctl.1"});
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
    EXPECT_EQ(r.out + r.err, "");
}

// One registry drives the console's dispatch, completion and help, and the man page's
// key and command tables follow it: every keyed action is `.It Cm KEYS Pq Ic NAME` with
// its help line under it, every typed command `.It Cm :NAME [Ar ARGS]` with its help line,
// and every view keeps its number in the Views list.
namespace {
std::string unescape(std::string s) {
    for (std::size_t at; (at = s.find("\\&")) != std::string::npos;)
        s.erase(at, 2);
    for (std::size_t at; (at = s.find("\\-")) != std::string::npos;)
        s.replace(at, 2, "-");
    return s;
}
std::string line_after(const std::string& text, const std::string& line) {
    const auto at = text.find(line + "\n");
    if (at == std::string::npos) return "(no line '" + line + "')";
    const auto from = at + line.size() + 1;
    return text.substr(from, text.find('\n', from) - from);
}
} // namespace

TEST(ManPage, KeyAndCommandTablesFollowTheRegistry) {
    const std::string man = man_page();
    const auto at = man.find(".Sh CONSOLE");
    ASSERT_NE(at, std::string::npos);
    const std::string section = unescape(man.substr(at, man.find("\n.Sh ", at + 4) - at));
    int keyed = 0, typed = 0;
    for (const auto& c : ebap::tui::console_commands()) {
        if (!c.keys.empty()) {
            ++keyed;
            EXPECT_EQ(line_after(section, ".It Cm " + c.keys + " Pq Ic " + c.name), c.help) << c.name;
        }
        if (c.typed) {
            ++typed;
            EXPECT_EQ(line_after(section, ".It Cm :" + c.name + (c.args.empty() ? "" : " Ar " + c.args)), c.help)
                << c.name;
        }
        if (!c.keys.empty() && c.keys[0] >= '1' && c.keys[0] <= '9') {
            EXPECT_NE(section.find(".It " + c.keys + " " + c.name), std::string::npos) << c.keys << " " << c.name;
        }
    }
    EXPECT_GE(keyed, 20);
    EXPECT_GE(typed, 12);
}

// Every keyed action can be rebound by name: the configuration knows console.keys.NAME.
TEST(ManPage, EveryKeyedActionHasItsConfigKey) {
    for (const auto& c : ebap::tui::console_commands()) {
        if (c.keys.empty()) continue;
        bool known = false;
        for (const auto& k : ebap::config_keys())
            known = known || std::string(k.key) == "console.keys." + c.name;
        EXPECT_TRUE(known) << "console.keys." << c.name;
    }
}

namespace {
std::string man_section(const std::string& name) {
    const std::string man = man_page();
    const auto at = man.find(".Sh " + name);
    if (at == std::string::npos) return {};
    return man.substr(at, man.find(".Sh ", at + 4) - at);
}
} // namespace

TEST(ManPage, DocumentsEveryConfigurationKey) {
    const std::string section = man_section("CONFIGURATION");
    ASSERT_FALSE(section.empty());
    for (const auto& k : ebap::config_keys())
        EXPECT_NE(section.find(k.key), std::string::npos) << k.key;
    for (const auto& r : ebap::builtin_region_coords())
        EXPECT_NE(section.find(std::string(".Li ") + r.name + "\n"), std::string::npos) << r.name;
}
