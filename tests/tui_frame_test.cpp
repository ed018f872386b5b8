// Frames drawn into an off-screen terminal of a fixed size: what the overview puts on the
// screen, and which widgets a frame redraws (every one first, none when nothing changed,
// the one gauge whose value changed).
#include "tui/screen.hpp"
#include "tui/theme.hpp"
#include "tui/views.hpp"

#include <curses.h>
#include <gtest/gtest.h>

#include <clocale>
#include <cstdio>

namespace ebap::tui {
namespace {

constexpr std::int64_t kNow = 1'780'000'000'000;

class OffscreenFrame : public ::testing::Test {
  protected:
    void SetUp() override {
        ASSERT_NE(std::setlocale(LC_ALL, "C.UTF-8"), nullptr);
        out_ = std::tmpfile();
        ASSERT_NE(out_, nullptr);
        m_.catalog = "frame-test";
        m_.gauges = default_gauges(0.02, 0.10);
        collect::HealthData h;
        for (const char* name : {"redis", "trino"}) {
            collect::ServiceHealth s;
            s.name = name;
            s.result.state = s.name == "redis" ? Health::Up : Health::Down;
            s.result.detail = s.name == "redis" ? "" : "connection refused";
            s.since_ms = kNow - 5000;
            h.services.push_back(s);
        }
        auto hs = std::make_shared<collect::Snapshot<collect::HealthData>>();
        hs->data = h;
        hs->rounds = 1;
        hs->taken_ms = kNow;
        m_.health = hs;
        auto k = std::make_shared<collect::Snapshot<collect::KpiData>>();
        k->data.now.eps = 4321;
        k->data.now.stale = false;
        k->rounds = 1;
        k->taken_ms = kNow;
        m_.kpi = k;
        ui_.hints = "q quit";
    }
    void TearDown() override {
        std::fclose(out_);
        std::setlocale(LC_ALL, "C");
    }
    static std::string row(int y) {
        char buf[512] = {};
        mvinnstr(y, 0, buf, sizeof buf - 1);
        return buf;
    }
    std::FILE* out_ = nullptr;
    Model m_;
    UiState ui_;
};

} // namespace

TEST_F(OffscreenFrame, HasTheSizeAskedFor) {
    Screen s(default_theme(), false, Offscreen{out_, 40, 120});
    EXPECT_EQ(s.rows(), 40);
    EXPECT_EQ(s.cols(), 120);
    EXPECT_NE(s.color_mode(), ColorMode::mono); // xterm-256color: 256 colours or direct (COLORTERM)
    EXPECT_TRUE(s.glyphs().utf8);
    Frame f;
    draw(s, m_, ui_, kNow, f);
    s.show();
    EXPECT_NE(row(39).find("1 overview"), std::string::npos) << row(39);
    EXPECT_NE(row(1).find("Services 1/2 UP"), std::string::npos) << row(1);
    std::fflush(out_);
    EXPECT_GT(std::ftell(out_), 1000); // the frame went to the file
}

TEST_F(OffscreenFrame, RedrawsOnlyWhatChanged) {
    Screen s(default_theme(), false, Offscreen{out_, 60, 200});
    Frame f;
    draw(s, m_, ui_, kNow, f);
    s.show();
    const int all = f.drawn;
    EXPECT_GE(all, 9); // header, services, 5 gauges, lag, regions, key line
    draw(s, m_, ui_, kNow, f);
    s.show();
    EXPECT_EQ(f.drawn, 0);
    auto k = std::make_shared<collect::Snapshot<collect::KpiData>>(*m_.kpi);
    k->data.now.eps = 4322;
    m_.kpi = k;
    draw(s, m_, ui_, kNow, f);
    s.show();
    EXPECT_EQ(f.drawn, 1);
    f.invalidate();
    draw(s, m_, ui_, kNow, f);
    s.show();
    EXPECT_EQ(f.drawn, all);
}

TEST_F(OffscreenFrame, AnUnknownTerminalIsAnError) {
    EXPECT_THROW(Screen(default_theme(), false, Offscreen{out_, 24, 80, "no-such-terminal-type"}),
                 std::runtime_error);
}

} // namespace ebap::tui
