// Stacks on binaries built the way distributions build them (optimised, no frame pointers) and
// on Python code: the kernel's copy of the user stack, unwound with the binaries' call-frame
// information, reaches the handler that made the call; CPython 3.11 frames are named with
// their function and line.
#include <fstream>
#include <sstream>

#include "harness.hpp"

using namespace itest;

namespace {

class StacksTest : public ::testing::Test {
 protected:
  void TearDown() override {
    if (bpf_available()) EXPECT_TRUE(leftover_programs().empty());
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
    if (s.at("id") == "loop-stall") EXPECT_TRUE(has(symbols(s.at("stack")), "handle_sleep")) << s.dump(1);
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
