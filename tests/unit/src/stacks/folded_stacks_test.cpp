#include <gtest/gtest.h>

#include <map>
#include <regex>
#include <sstream>

#include "src/stacks/folded_stacks.hpp"
#include "src/capture/syscall_table.hpp"

namespace iotrace {
namespace {

// What flamegraph.pl and inferno accept: "frame(;frame)* COUNT", frames without ';', a
// positive integer count after the last space.
std::map<std::string, uint64_t> parse_folded(const std::string& text) {
  std::map<std::string, uint64_t> out;
  std::istringstream in(text);
  std::string line;
  static const std::regex re(R"(^([^;\s][^;]*(;[^;]+)*) ([1-9][0-9]*)$)");
  while (std::getline(in, line)) {
    std::smatch m;
    EXPECT_TRUE(std::regex_match(line, m, re)) << "not a folded line: '" << line << "'";
    if (!m.empty()) out[m[1]] += std::stoull(m[3]);
  }
  return out;
}

Frame fn(const std::string& s) {
  Frame f;
  f.symbol = s;
  f.module = "srv";
  return f;
}

Capture sample() {
  Capture c;
  ThreadRecord t;
  t.tid = 7;
  t.comm = "loop main";  // a space: replaced, the value stays the last field
  c.threads.push_back(t);
  FlaggedCall f;
  f.tid = 7;
  f.nr = *syscall_nr("clock_nanosleep");
  f.count = 3;
  f.total_ns = 90'000'000;
  f.stack.frames = {fn("clock_nanosleep"), fn("handle_sleep"), fn("main")};
  c.flagged.push_back(f);
  FlaggedCall et = f;  // data left behind: no time of its own
  et.kind = FlagKind::et_undrained;
  c.flagged.push_back(et);
  Frame py;
  py.kind = FrameKind::interpreted;
  py.symbol = "handler";
  py.file = "app;v2.py";
  py.line = 12;
  FlaggedCall p = f;
  p.total_ns = 5'000'000;
  p.stack.frames = {fn("clock_nanosleep"), py, fn("main")};
  c.flagged.push_back(p);
  Stall s1;  // longest call flagged: only the rest of the iteration is added
  s1.tid = 7;
  s1.dur_ns = 40'000'000;
  s1.max_sys_ns = 30'000'000;
  s1.max_nr = f.nr;
  s1.stack = f.stack;
  c.stalls.push_back(s1);
  Stall s2;  // no stack: all of it, under [loop_stall]
  s2.tid = 8;
  s2.dur_ns = 25'000'000;
  c.stalls.push_back(s2);
  return c;
}

TEST(FoldedStacksTest, BlockedLoopTimeByPathInMicroseconds) {
  auto lines = parse_folded(folded_stacks(sample()));
  EXPECT_EQ(lines["loop_main;main;handle_sleep;clock_nanosleep;clock_nanosleep"], 90000u);
  EXPECT_EQ(lines["loop_main;main;handler(app:v2.py:12);clock_nanosleep;clock_nanosleep"], 5000u);
  EXPECT_EQ(lines["loop_main;main;handle_sleep;clock_nanosleep;[rest_of_the_stalled_iteration]"], 10000u);
  EXPECT_EQ(lines["tid-8;[loop_stall]"], 25000u);
  EXPECT_EQ(lines.size(), 4u);  // the edge-triggered record adds nothing
}

TEST(FoldedStacksTest, NothingBlockedIsAnEmptyFile) { EXPECT_EQ(folded_stacks(Capture{}), ""); }

}  // namespace
}  // namespace iotrace
