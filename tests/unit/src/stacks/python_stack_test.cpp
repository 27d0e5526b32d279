// Tables and expected lines were produced by CPython 3.11 itself (dis.get_instructions with
// show_caches=True, positions.lineno), so the decoder is checked against the interpreter.
#include <gtest/gtest.h>

#include <string>

#include "src/stacks/python_stack.hpp"

namespace iotrace {
namespace {

std::string unhex(const std::string& h) {
  std::string out;
  for (size_t i = 0; i + 1 < h.size(); i += 2) out += static_cast<char>(std::stoi(h.substr(i, 2), nullptr, 16));
  return out;
}

TEST(PyLinetableTest, ShortAndOneLineForms) {
  const std::string table = unhex("8000d80809884189058041d80809884189058041e00708883182758075dd0f10901189748c74880bd80b0c8048");
  const std::pair<int, int> expected[] = {{0, 3}, {1, 4}, {2, 4}, {3, 4}, {4, 4}, {5, 4}, {6, 5}, {7, 5}, {8, 5}, {9, 5}, {10, 5}, {11, 7}, {12, 7}, {13, 7}, {14, 7}, {15, 7}, {16, 7}, {17, 8}, {18, 8}, {19, 8}, {20, 8}, {21, 8}, {22, 8}, {23, 8}, {24, 8}, {25, 8}, {26, 8}, {27, 8}, {28, 8}, {29, 8}, {30, 8}, {31, 8}, {32, 9}, {33, 9}};
  for (auto [index, line] : expected)
    EXPECT_EQ(python311_line(table, 3, static_cast<uint64_t>(index)), line) << "instruction " << index;
}

TEST(PyLinetableTest, LongFormAcrossBlankLines) {
  const std::string table = unhex("8000d8090af008000a0bf00904090c8041f57e02000c0fd80809f103010c0bf400010c0bf00001050b");
  const std::pair<int, int> expected[] = {{0, 1}, {1, 2}, {2, 6}, {3, 2}, {4, 2}, {5, 97}, {6, 97}, {7, 97}, {8, 97}, {9, 97}, {10, 97}, {11, 98}, {12, 97}, {13, 97}, {14, 97}, {15, 97}, {16, 97}, {17, 97}, {18, 97}, {19, 97}};
  for (auto [index, line] : expected)
    EXPECT_EQ(python311_line(table, 1, static_cast<uint64_t>(index)), line) << "instruction " << index;
}

TEST(PyLinetableTest, PastTheEndAndGarbageGiveNoLine) {
  EXPECT_EQ(python311_line(unhex("8000"), 5, 3), 0);
  EXPECT_EQ(python311_line(std::string("\x01\x02", 2), 5, 0), 0);
  EXPECT_EQ(python311_line("", 5, 0), 0);
}

Frame native(const std::string& sym) {
  Frame f;
  f.symbol = sym;
  f.module = "python3.11";
  return f;
}

Frame py(const std::string& fn) {
  Frame f;
  f.kind = FrameKind::interpreted;
  f.symbol = fn;
  return f;
}

std::vector<std::string> names(const std::vector<Frame>& s) {
  std::vector<std::string> out;
  for (const auto& f : s) out.push_back(f.symbol);
  return out;
}

TEST(PythonStackTest, RunsGoAboveTheEvalFramesThatRanThem) {
  // handler -> (entry) run_once ... two eval-loop entries
  std::vector<Frame> n = {native("clock_nanosleep"), native("time_sleep"),
                          native("_PyEval_EvalFrameDefault"), native("PyObject_Call"),
                          native("_PyEval_EvalFrameDefault"), native("main")};
  interleave_python(n, {py("handler"), py("serve"), py("run_forever"), py("<module>")},
                    {false, true, false, true});
  EXPECT_EQ(names(n), (std::vector<std::string>{"clock_nanosleep", "time_sleep", "handler", "serve",
                                                "_PyEval_EvalFrameDefault", "PyObject_Call",
                                                "run_forever", "<module>",
                                                "_PyEval_EvalFrameDefault", "main"}));
}

TEST(PythonStackTest, FramesLeftOverGoAfterACutNativeStack) {
  std::vector<Frame> n = {native("clock_nanosleep")};
  interleave_python(n, {py("handler"), py("<module>")}, {false, true});
  EXPECT_EQ(names(n), (std::vector<std::string>{"clock_nanosleep", "handler", "<module>"}));
}

}  // namespace
}  // namespace iotrace
