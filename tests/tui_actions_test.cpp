// The console's one registry of actions: key names parse and print back, the defaults
// resolve per view, the config rebinds an action by name, and a clash or an unknown key
// name is reported with where the setting came from while the first binding keeps the key.
#include "core/config/config.hpp"
#include "tui/actions.hpp"

#include <gtest/gtest.h>

namespace ebap::tui {
namespace {

KeyPress ch(char c) { return {wint_t(c), false}; }
KeyPress code(int k) { return {wint_t(k), true}; }

} // namespace

TEST(KeyNames, ParseAndPrintBack) {
    for (const char* name : {"q", "G", ":", "/", "<", "Ctrl-R", "Tab", "BTab", "Enter", "Esc", "Space", "Up",
                             "Down", "Left", "Right", "PgUp", "PgDn", "Home", "End", "Backspace", "Delete", "F1",
                             "F12"}) {
        const auto k = parse_key(name);
        ASSERT_TRUE(k) << name;
        EXPECT_EQ(key_name(*k), name);
    }
    EXPECT_EQ(*parse_key("Ctrl-R"), ch(18));
    EXPECT_EQ(*parse_key("enter"), ch('\n'));
    EXPECT_EQ(*parse_key("F5"), code(KEY_F(5)));
    for (const char* bad : {"", "qq", "Ctrl-", "Ctrl-C", "Ctrl-1", "F0", "F13", "Hyper", "é"})
        EXPECT_FALSE(parse_key(bad)) << bad;
    // Enter and Backspace arrive in several forms and are one key each.
    EXPECT_EQ(normalize(ch('\r')), ch('\n'));
    EXPECT_EQ(normalize(code(KEY_ENTER)), ch('\n'));
    EXPECT_EQ(normalize(ch(127)), code(KEY_BACKSPACE));
}

TEST(Keymap, DefaultsFollowK9s) {
    const Keymap k;
    EXPECT_EQ(k.lookup(ch(':'), "overview"), Action::command_line);
    EXPECT_EQ(k.lookup(ch('/'), "geo"), Action::filter);
    EXPECT_EQ(k.lookup(ch('j'), "services"), Action::down);
    EXPECT_EQ(k.lookup(code(KEY_DOWN), "services"), Action::down);
    EXPECT_EQ(k.lookup(ch('\r'), "overview"), Action::detail);
    EXPECT_EQ(k.lookup(ch(27), "lag"), Action::back);
    EXPECT_EQ(k.lookup(ch('-'), "lag"), Action::previous);
    EXPECT_EQ(k.lookup(ch('\t'), "overview"), Action::next_panel);
    EXPECT_EQ(k.lookup(ch('3'), "overview"), Action::lag);
    EXPECT_EQ(k.lookup(ch('q'), "log"), Action::quit);
    EXPECT_EQ(k.lookup(ch('x'), "log"), Action::none);
    EXPECT_EQ(k.keys_of(Action::down), "j Down");
    EXPECT_EQ(k.keys_of(Action::worker_stop), "");
}

TEST(Keymap, TheDefaultsHaveNoClash) {
    const Config c = Config::from_toml("", "/etc/ebapctl.toml");
    std::vector<std::string> problems;
    const Keymap k(c, &problems);
    EXPECT_TRUE(problems.empty()) << problems.front();
}

TEST(Keymap, ConfigRebindsByActionName) {
    const Config c = Config::from_toml("[console.keys]\ndown = \"n Down\"\nquit = \"Q F10\"\n", "/etc/ebapctl.toml");
    std::vector<std::string> problems;
    const Keymap k(c, &problems);
    EXPECT_TRUE(problems.empty()) << problems.front();
    EXPECT_EQ(k.lookup(ch('n'), "services"), Action::down);
    EXPECT_EQ(k.lookup(ch('j'), "services"), Action::none); // the default is replaced, not added to
    EXPECT_EQ(k.lookup(ch('Q'), "overview"), Action::quit);
    EXPECT_EQ(k.lookup(code(KEY_F(10)), "overview"), Action::quit);
    EXPECT_EQ(k.lookup(ch('q'), "overview"), Action::none);
    EXPECT_EQ(k.keys_of(Action::quit), "Q F10");
}

TEST(Keymap, AClashAndAnUnknownKeyAreReportedWithTheirOrigin) {
    const Config c = Config::from_toml("[console.keys]\nfilter = \"q\"\nhelp = \"Hyper ?\"\n", "/etc/ebapctl.toml");
    std::vector<std::string> problems;
    const Keymap k(c, &problems);
    ASSERT_EQ(problems.size(), 2u);
    // The rebound action asked for q first; quit's default loses it and says so.
    EXPECT_EQ(problems[0], "console.keys.help (/etc/ebapctl.toml:3): unknown key 'Hyper' (keys are a character, "
                           "Ctrl-X, Tab, BTab, Enter, Esc, Space, Up, Down, Left, Right, PgUp, PgDn, Home, End, "
                           "Backspace, Delete or F1-F12)");
    EXPECT_EQ(problems[1], "console.keys.quit (default): key q is already bound to filter; it stays there");
    EXPECT_EQ(k.lookup(ch('q'), "overview"), Action::filter);
    EXPECT_EQ(k.lookup(ch('?'), "overview"), Action::help);
    EXPECT_EQ(k.keys_of(Action::quit), "");
}

TEST(Registry, TypedCommandsResolveByNameOrUniquePrefix) {
    ASSERT_NE(find_command("worker stop"), nullptr);
    EXPECT_TRUE(find_command("worker stop")->dangerous);
    EXPECT_EQ(find_command("ov")->action, Action::overview);
    EXPECT_EQ(find_command("st")->action, Action::status);
    EXPECT_EQ(find_command("down"), nullptr);  // a key-only action is not a command
    EXPECT_EQ(find_command("w"), nullptr);     // workers, worker start, worker stop
    EXPECT_EQ(closest_command("thme"), "theme");
}

} // namespace ebap::tui
