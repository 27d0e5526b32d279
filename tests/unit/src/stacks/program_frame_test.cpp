#include "src/stacks/program_frame.hpp"

#include <gtest/gtest.h>

using namespace iotrace;

namespace {

Frame native(const std::string& symbol, const std::string& module) {
  Frame f;
  f.symbol = symbol;
  f.module = module;
  return f;
}

}  // namespace

TEST(ProgramFrame, SkipsTheRuntimeLibrariesTheCallWentThrough) {
  Stack s;
  s.frames = {native("clock_nanosleep", "libc.so.6"), native("__nanosleep", "libc.so.6"),
              native("std::this_thread::sleep_for", "libstdc++.so.6"), native("handle_sleep", "server"),
              native("main", "server")};
  EXPECT_EQ(program_frame(s), "handle_sleep");
}

TEST(ProgramFrame, AnInterpretedFrameCarriesItsFile) {
  Stack s;
  Frame py = native("handler", "[python]");
  py.kind = FrameKind::interpreted;
  py.file = "server.py";
  s.frames = {native("__recv", "libc.so.6"), py};
  EXPECT_EQ(program_frame(s), "handler (server.py)");
}

TEST(ProgramFrame, AStackInsideTheRuntimeOnlyIsNamedByItsInnermostSymbol) {
  Stack s;
  s.frames = {native("", "libc.so.6"), native("__GI___poll", "libc.so.6")};
  EXPECT_EQ(program_frame(s), "__GI___poll");
  EXPECT_EQ(program_frame(Stack{}), "");
}
