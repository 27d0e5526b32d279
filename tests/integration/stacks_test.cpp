// Stacks on binaries built the way distributions build them (optimised, no frame pointers) and
// on Python code: the kernel's copy of the user stack, unwound with the binaries' call-frame
// information, reaches the handler that made the call; CPython 3.11 frames are named with
// their function and line.
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <sstream>

#include "harness.hpp"

using namespace itest;

namespace {

class StacksTest : public ::testing::Test {
 protected:
  void TearDown() override {
    if (bpf_available()) { EXPECT_TRUE(leftover_programs().empty()); }
  }
};

const nlohmann::json* finding_for(const nlohmann::json& proc, const std::string& id,
                                  const std::string& syscall) {
  for (const auto& f : proc.at("findings"))
    if (f.at("id") == id && f.at("syscall") == syscall) return &f;
  return nullptr;
}

std::vector<std::string> symbols(const nlohmann::json& stack) {
  std::vector<std::string> out;
  for (const auto& fr : stack.at("frames")) out.push_back(fr.at("symbol").get<std::string>());
  return out;
}

bool has(const std::vector<std::string>& syms, const std::string& needle) {
  for (const auto& s : syms)
    if (s.find(needle) != std::string::npos) return true;
  return false;
}

}  // namespace

TEST_F(StacksTest, CopiedStacksReachTheHandlerWithoutFramePointers) {
  REQUIRE_BPF();
  TraceResult r = trace_workload({"wl_loop_block_nofp", {"sleep"}, {"--json"}});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto& p = r.report.at("processes").at(0);
  const auto* f = finding_for(p, "blocking-call-on-loop", "clock_nanosleep");
  ASSERT_NE(f, nullptr) << p.at("findings").dump(1);
  EXPECT_EQ(f->at("count"), 12);
  const auto& st = f->at("stack");
  auto syms = symbols(st);
  EXPECT_EQ(st.at("unwinder"), "dwarf") << st.dump(1);
  EXPECT_FALSE(st.at("truncated").get<bool>()) << st.dump(1);
  // through the handler and the loop down to the thread's first frame
  EXPECT_TRUE(has(syms, "handle_sleep")) << st.dump(1);
  EXPECT_TRUE(has(syms, "handle_request")) << st.dump(1);
  EXPECT_TRUE(has(syms, "serve")) << st.dump(1);
  EXPECT_TRUE(has(syms, "start_thread")) << st.dump(1);
  // every native frame names its file and build-id or module offset
  for (const auto& fr : st.at("frames")) EXPECT_FALSE(fr.at("module").get<std::string>().empty());
  // the loop stall's longest call is that sleep: the stall has the same stack
  for (const auto& s : p.at("findings"))
    if (s.at("id") == "loop-stall") { EXPECT_TRUE(has(symbols(s.at("stack")), "handle_sleep")) << s.dump(1); }
}

// A helper the compiler inlined has no frame of its own: the binary's DWARF names it, as
// addr2line -i does, so the function the user wrote appears above the one it was inlined into.
TEST_F(StacksTest, InlinedFunctionsAreNamedFromTheBinarysDwarf) {
  REQUIRE_BPF();
  TraceResult r = trace_workload({"wl_loop_block", {"inlined"}, {"--json"}});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto& p = r.report.at("processes").at(0);
  const auto* f = finding_for(p, "blocking-call-on-loop", "clock_nanosleep");
  ASSERT_NE(f, nullptr) << p.at("findings").dump(1);
  const auto& frames = f->at("stack").at("frames");
  size_t at = frames.size();
  for (size_t i = 0; i < frames.size(); ++i)
    if (frames[i].value("inlined", false) && frames[i].at("symbol") == "wait_for_backend") at = i;
  ASSERT_LT(at + 1, frames.size()) << f->at("stack").dump(1);
  const auto& outer = frames[at + 1];
  EXPECT_EQ(outer.at("symbol"), "handle_inlined_wait") << f->at("stack").dump(1);
  EXPECT_FALSE(outer.value("inlined", false));
  EXPECT_NE(frames[at].value("file", "").find("wl_loop_block.cpp"), std::string::npos);
  EXPECT_GT(frames[at].value("line", 0), 0);
  // elfutils' addr2line -i on the same address (the byte before the return address) says the
  // same: "wait_for_backend inlined at FILE:LINE:COL in handle_inlined_wait", its line, then
  // the outer function and the line it was inlined at
  char hex[32];
  snprintf(hex, sizeof(hex), "%#llx", static_cast<unsigned long long>(outer.at("offset").get<uint64_t>() - 1));
  Child c = spawn({"/usr/bin/eu-addr2line", "-i", "-f", "-e", workload_bin("wl_loop_block"), hex}, false);
  close(c.in);
  const std::string a2l = read_all(c.out);
  wait_exit(c.pid);
  EXPECT_EQ(a2l.rfind("wait_for_backend inlined at ", 0), 0u) << a2l;
  EXPECT_NE(a2l.find("\nhandle_inlined_wait\n"), std::string::npos) << a2l;
  const std::string inner = std::to_string(frames[at].value("line", 0));
  const std::string outer_line = std::to_string(outer.value("line", 0));
  EXPECT_NE(a2l.find("\n" + outer.value("file", std::string()) + ":" + inner + ":"), std::string::npos)
      << a2l << " inlined function at line " << inner;
  EXPECT_NE(a2l.find("wl_loop_block.cpp:" + outer_line + ":"), std::string::npos)
      << a2l << " inlined at line " << outer_line;
}

TEST_F(StacksTest, WithoutCopiesTheFramePointerWalkIsUsedAndCountsStayExact) {
  REQUIRE_BPF();
  TraceSpec spec{"wl_loop_block_nofp", {"sleep"}, {"--json"}};
  spec.global_args = {"--no-feature", "unwind"};
  TraceResult r = trace_workload(spec);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto& p = r.report.at("processes").at(0);
  const auto* f = finding_for(p, "blocking-call-on-loop", "clock_nanosleep");
  ASSERT_NE(f, nullptr) << p.at("findings").dump(1);
  EXPECT_EQ(f->at("count"), 12);
  EXPECT_EQ(f->at("stack").at("unwinder"), "frame-pointer") << f->dump(1);
}

TEST_F(StacksTest, PythonFramesNameTheFunctionFileAndLine) {
  REQUIRE_BPF();
  const std::string script = std::string(PY_WORKLOAD_DIR) + "/py_loop_sleep.py";
  int sleep_line = 0;
  {
    std::ifstream in(script);
    std::string line;
    for (int n = 1; std::getline(in, line); ++n)
      if (line.find("time.sleep(0.03)") != std::string::npos) sleep_line = n;
  }
  ASSERT_GT(sleep_line, 0);
  TraceResult r = run_iotrace({"run", "--json", "--", "/usr/bin/python3.11", script});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto& p = r.report.at("processes").at(0);
  const auto* f = finding_for(p, "blocking-call-on-loop", "clock_nanosleep");
  ASSERT_NE(f, nullptr) << p.at("findings").dump(1);
  EXPECT_EQ(f->at("count"), 12);
  const nlohmann::json* handler = nullptr;
  for (const auto& fr : f->at("stack").at("frames"))
    if (fr.at("kind") == "interpreted" && fr.at("symbol") == "sleepy_handler") handler = &fr;
  ASSERT_NE(handler, nullptr) << f->at("stack").dump(1);
  EXPECT_EQ(handler->at("line"), sleep_line);
  EXPECT_NE(handler->at("file").get<std::string>().find("py_loop_sleep.py"), std::string::npos);
  // the callback that called it, and asyncio's own frames, are there too, below it
  EXPECT_TRUE(has(symbols(f->at("stack")), "on_readable")) << f->at("stack").dump(1);
  EXPECT_TRUE(has(symbols(f->at("stack")), "_run")) << f->at("stack").dump(1);
}

TEST_F(StacksTest, FoldedStacksAndHistogramsOfAKnownLoop) {
  REQUIRE_BPF();
  char dir[] = "/tmp/iotrace-folded.XXXXXX";
  ASSERT_NE(mkdtemp(dir), nullptr);
  const std::string folded = std::string(dir) + "/loop.folded";
  TraceResult r = trace_workload({"wl_loop_block_nofp", {"sleep"}, {"--hist", "--folded", folded}});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  // the 12 sleeps of 30 ms on the loop, under the handler's stack, thread name first
  std::ifstream in(folded);
  std::string line;
  uint64_t sleep_us = 0;
  int lines = 0;
  while (std::getline(in, line)) {
    ++lines;
    auto space = line.rfind(' ');
    ASSERT_NE(space, std::string::npos) << line;
    uint64_t v = std::stoull(line.substr(space + 1));
    EXPECT_GT(v, 0u) << line;
    if (line.rfind("loop-main;", 0) == 0 && line.find(";handle_sleep;") != std::string::npos &&
        line.find(";clock_nanosleep ") != std::string::npos)
      sleep_us += v;
  }
  EXPECT_GT(lines, 0);
  EXPECT_GE(sleep_us, 12u * 30000u) << "12 sleeps of at least 30 ms";
  EXPECT_LT(sleep_us, 12u * 30000u * 3);
  // --hist: the sleeps' histogram: 12 calls, its rows count 12, none below 16.8 ms
  auto at = r.out.find("clock_nanosleep: 12 calls");
  ASSERT_NE(at, std::string::npos) << r.out;
  std::istringstream rows(r.out.substr(at));
  std::getline(rows, line);  // the title
  std::getline(rows, line);  // the header
  uint64_t counted = 0;
  while (std::getline(rows, line) && line.find(" -> ") != std::string::npos) {
    auto colon = line.find(" : ");
    ASSERT_NE(colon, std::string::npos) << line;
    uint64_t n = std::stoull(line.substr(colon + 3));
    if (n && line.find("ms ->") == std::string::npos) ADD_FAILURE() << "a sleep under 1 ms: " << line;
    counted += n;
  }
  EXPECT_EQ(counted, 12u) << r.out.substr(at);
  std::remove(folded.c_str());
  rmdir(dir);
}
