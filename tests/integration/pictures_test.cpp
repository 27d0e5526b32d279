// --hist, --folded and --pprof are one set of options that attach, run and report each take
// and honour: run writes them; report, given run's capture, writes the same files; attach
// writes them for a running loop. go tool pprof (Debian's golang) reads the profile: its
// total is the folded file's, its frames name the workload's functions and its samples carry
// the thread and the finding.
#include <signal.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>

#include "harness.hpp"

using namespace itest;

namespace {

std::string slurp(const std::string& p) {
  std::ifstream in(p);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

uint64_t folded_total_us(const std::string& text, size_t* lines) {
  uint64_t us = 0;
  *lines = 0;
  std::istringstream in(text);
  for (std::string l; std::getline(in, l); ++*lines) us += std::stoull(l.substr(l.rfind(' ') + 1));
  return us;
}

// The first sample type's total from `go tool pprof -raw`.
uint64_t pprof_total_ns(const std::string& raw) {
  uint64_t ns = 0;
  static const std::regex sample(R"(^\s+([0-9]+)\s+[0-9]+: )");
  std::istringstream in(raw);
  for (std::string l; std::getline(in, l);) {
    std::smatch m;
    if (std::regex_search(l, m, sample)) ns += std::stoull(m[1]);
  }
  return ns;
}

class PictureOptions : public ::testing::Test {
 protected:
  std::string path(const std::string& name) const { return dir_ + "/" + name; }
  std::vector<std::string> pictures(const std::string& name) const {
    return {"--hist", "--folded", path(name + ".folded"), "--pprof", path(name + ".pb.gz"), "-o", path(name + ".txt")};
  }
  // The profile's total equals the folded file's (each folded line rounds down to a
  // microsecond); the raw profile has the thread and finding labels.
  void expect_same_time(const std::string& name, const std::string& thread) {
    size_t lines = 0;
    const uint64_t us = folded_total_us(slurp(path(name + ".folded")), &lines);
    ASSERT_GT(us, 0u) << name << ": nothing blocked in the folded file";
    const std::string raw = shell("go tool pprof -symbolize=none -raw " + path(name + ".pb.gz"));
    const uint64_t ns = pprof_total_ns(raw);
    EXPECT_GE(ns / 1000, us) << raw;
    EXPECT_LE(ns / 1000, us + lines) << raw;
    EXPECT_NE(raw.find("thread:[" + thread + "]"), std::string::npos) << raw;
    EXPECT_NE(raw.find("finding:[blocking-call-on-loop]"), std::string::npos) << raw;
    EXPECT_NE(slurp(path(name + ".txt")).find(" : count     distribution"), std::string::npos)
        << name << ": --hist printed no histogram";
  }
  TempDir tmp_{"iotrace-pictures"};
  const std::string dir_ = tmp_.path;
};

TEST_F(PictureOptions, RunAttachAndReportWriteTheFoldedStacksAndTheSameProfile) {
  REQUIRE_BPF();
  if (system("go tool pprof -h >/dev/null 2>&1") != 0) {
    if (in_ci()) FAIL() << "go tool pprof missing (Debian package golang-go)";
    GTEST_SKIP() << "needs Debian's golang-go for go tool pprof";
  }
  // run
  std::vector<std::string> args = {"run", "--save-capture", path("run.json")};
  for (auto& a : pictures("run")) args.push_back(a);
  args.insert(args.end(), {"--", workload_bin("wl_ci_blocking")});
  auto r = run_iotrace(args);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  expect_same_time("run", "ci-loop");
  const std::string top = shell("go tool pprof -symbolize=none -top " + path("run.pb.gz"));
  EXPECT_NE(top.find("ci::handle_request_blocking"), std::string::npos) << "the workload's frame is named:\n" << top;
  EXPECT_NE(top.find("clock_nanosleep"), std::string::npos) << top;

  // report, from run's capture: the same pictures
  args = {"report", path("run.json")};
  for (auto& a : pictures("report")) args.push_back(a);
  r = run_iotrace(args);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(slurp(path("report.folded")), slurp(path("run.folded")));
  EXPECT_EQ(shell("go tool pprof -symbolize=none -raw " + path("report.pb.gz")),
            shell("go tool pprof -symbolize=none -raw " + path("run.pb.gz")));
  expect_same_time("report", "ci-loop");

  // attach, to a running loop
  TraceSpec spec;
  spec.workload = "wl_loop_block";
  spec.workload_args = {"sleep"};
  spec.iotrace_args = pictures("attach");
  TraceResult t = trace_workload(spec);
  ASSERT_EQ(t.exit_code, 0) << t.err;
  expect_same_time("attach", "loop-main");
}

}  // namespace
