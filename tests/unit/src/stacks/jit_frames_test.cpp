// The note about JIT frames without names: one note for all stacks, naming the processes and
// the runtime's own way to write /tmp/perf-PID.map.
#include <gtest/gtest.h>

#include <algorithm>

#include "capture_builder.hpp"
#include "src/stacks/jit_frames.hpp"

namespace iotrace {
namespace {

using test::CaptureBuilder;

Frame native_frame(const std::string& symbol) {
  Frame f;
  f.module = "node";
  f.symbol = symbol;
  return f;
}

Frame jit_frame(uint64_t addr, const std::string& symbol = "") {
  Frame f;
  f.addr = addr;
  f.offset = addr;
  f.module = "[jit]";
  f.kind = FrameKind::jit;
  f.symbol = symbol;
  return f;
}

// A process with one loop thread whose flagged call has the given frames.
CaptureBuilder with_stack(const std::string& exe, std::vector<Frame> frames) {
  CaptureBuilder b;
  auto& p = b.process(100, exe);
  p.exe = "/usr/bin/" + exe;
  b.thread(100, 101, "loop").loop = true;
  b.flagged(101, "fsync", FdKind::regular, FlagKind::slow).stack.frames = std::move(frames);
  return b;
}

TEST(UnnamedJitNote, NoneWithoutJitFramesOrWhenAllAreNamed) {
  EXPECT_FALSE(unnamed_jit_note(with_stack("node", {native_frame("fsync")}).capture()));
  EXPECT_FALSE(unnamed_jit_note(
      with_stack("node", {native_frame("fsync"), jit_frame(0x3000, "LazyCompile:*handler")})
          .capture()));
}

TEST(UnnamedJitNote, NodeWithoutAMapGetsNodeFlags) {
  auto b = with_stack("node", {native_frame("fsync"), jit_frame(0x3000), jit_frame(0x4000)});
  auto note = unnamed_jit_note(b.capture());
  ASSERT_TRUE(note);
  EXPECT_EQ(*note,
            "2 stack frames of process 100 (node) are in JIT-compiled code with no name: iotrace "
            "names such code from /tmp/perf-100.map, which was missing. Node.js: start node with "
            "--perf-basic-prof (or --perf-basic-prof-only-functions, a smaller map), which keeps "
            "the map up to date, then trace again.");
}

TEST(UnnamedJitNote, JavaWithAStaleMapGetsJcmd) {
  auto b = with_stack("java", {native_frame("fsync"), jit_frame(0x3000, "Interpreter"),
                               jit_frame(0x5000)});
  auto note = unnamed_jit_note(b.capture());
  ASSERT_TRUE(note);
  EXPECT_EQ(*note,
            "1 stack frame of process 100 (java) is in JIT-compiled code with no name: iotrace "
            "names such code from /tmp/perf-100.map, which did not list them (code compiled "
            "after it was written). Java (JDK 17+): run 'jcmd 100 Compiler.perfmap' just before "
            "tracing, or start java with -XX:+UnlockDiagnosticVMOptions -XX:+DumpPerfMapAtExit "
            "(written when it exits, e.g. under 'iotrace run').");
}

TEST(UnnamedJitNote, OneNoteForEveryProcessAndStackWithBothAdvicesForAnUnknownRuntime) {
  auto b = with_stack("node", {jit_frame(0x3000)});
  auto& p = b.process(200, "luajit");
  p.exe = "/usr/bin/luajit";
  b.thread(200, 201, "main");
  Stall s;
  s.tid = 201;
  s.stack.frames = {jit_frame(0x9000), jit_frame(0xa000)};
  b.capture().stalls.push_back(s);
  auto note = unnamed_jit_note(b.capture());
  ASSERT_TRUE(note);
  EXPECT_NE(note->find("3 stack frames of processes 100 (node), 200 (luajit) are in"), std::string::npos)
      << *note;
  EXPECT_NE(note->find("/tmp/perf-PID.map, which was missing."), std::string::npos) << *note;
  EXPECT_NE(note->find("--perf-basic-prof"), std::string::npos) << *note;
  EXPECT_NE(note->find("'jcmd PID Compiler.perfmap'"), std::string::npos) << *note;
  // build_report carries it once
  auto rep = b.report();
  EXPECT_EQ(std::count(rep.notes.begin(), rep.notes.end(), *note), 1);
}

}  // namespace
}  // namespace iotrace
