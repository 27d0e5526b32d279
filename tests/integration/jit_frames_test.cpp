// Frames in code generated at run time: without a perf map they are kept as unnamed [jit]
// frames and the report carries one note saying how to get names; with /tmp/perf-PID.map
// they are named from it.
#include "harness.hpp"

using namespace itest;

namespace {

class JitFramesTest : public ::testing::Test {
 protected:
  void TearDown() override {
    if (bpf_available()) { EXPECT_TRUE(leftover_programs().empty()); }
  }

  nlohmann::json trace(const std::vector<std::string>& args) {
    TraceResult r = trace_workload({"wl_jit", args, {"--json"}});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_TRUE(r.report.is_object()) << r.out;
    return r.report;
  }
};

// The frames of the nanosleep flagged on the loop thread.
nlohmann::json sleep_frames(const nlohmann::json& report) {
  for (const auto& f : report.at("processes").at(0).at("findings"))
    if (f.at("id") == "blocking-call-on-loop" && f.at("syscall") == "clock_nanosleep")
      return f.at("stack").at("frames");
  return nlohmann::json::array();
}

std::vector<std::string> notes_about_jit(const nlohmann::json& report) {
  std::vector<std::string> out;
  for (const auto& n : report.at("notes"))
    if (n.get<std::string>().find("JIT-compiled") != std::string::npos) out.push_back(n);
  return out;
}

}  // namespace

TEST_F(JitFramesTest, WithoutAPerfMapTheFrameIsJitUnnamedAndOneNoteSaysHowToNameIt) {
  REQUIRE_BPF();
  auto report = trace({});
  auto frames = sleep_frames(report);
  size_t jit = 0;
  bool below = false;  // the stack goes on past the JIT frame into the loop
  for (const auto& fr : frames) {
    if (jit && fr.at("symbol") == "main") below = true;
    if (fr.at("kind") != "jit") continue;
    ++jit;
    EXPECT_EQ(fr.at("module"), "[jit]") << fr.dump();
    EXPECT_EQ(fr.at("symbol"), "") << fr.dump();
    EXPECT_EQ(fr.at("offset"), fr.at("addr")) << "a JIT frame has no file: its offset is its address";
    EXPECT_FALSE(fr.contains("build_id")) << fr.dump();
  }
  EXPECT_EQ(jit, 1u) << frames.dump(1);
  EXPECT_TRUE(below) << frames.dump(1);
  auto notes = notes_about_jit(report);
  ASSERT_EQ(notes.size(), 1u) << report.at("notes").dump(1);
  int pid = report.at("processes").at(0).at("pid").get<int>();
  EXPECT_NE(notes[0].find("/tmp/perf-" + std::to_string(pid) + ".map, which was missing"),
            std::string::npos)
      << notes[0];
  EXPECT_NE(notes[0].find("--perf-basic-prof"), std::string::npos) << notes[0];
  EXPECT_NE(notes[0].find("Compiler.perfmap"), std::string::npos) << notes[0];
}

TEST_F(JitFramesTest, APerfMapNamesTheJitFrame) {
  REQUIRE_BPF();
  auto report = trace({"perfmap"});
  auto frames = sleep_frames(report);
  bool named = false;
  for (const auto& fr : frames)
    if (fr.at("kind") == "jit") {
      EXPECT_EQ(fr.at("symbol"), "jit_stub") << fr.dump();
      EXPECT_EQ(fr.at("symbol_offset"), 16) << "the return address follows the 2-byte call";
      named = true;
    }
  EXPECT_TRUE(named) << frames.dump(1);
  EXPECT_TRUE(notes_about_jit(report).empty()) << report.at("notes").dump(1);
}
