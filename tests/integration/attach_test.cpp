// The foundation: exact in-kernel counts for a workload that makes known calls after attach.
#include <unistd.h>

#include "harness.hpp"

using namespace itest;

namespace {

class AttachTest : public ::testing::Test {
 protected:
  void TearDown() override {
    if (bpf_available()) { EXPECT_TRUE(leftover_programs().empty()) << "iotrace left programs loaded"; }
  }
};

const nlohmann::json* thread_named(const nlohmann::json& proc, const std::string& comm) {
  for (const auto& t : proc.at("threads"))
    if (t.at("comm") == comm) return &t;
  return nullptr;
}

uint64_t thread_calls(const nlohmann::json& t, const std::string& name) {
  uint64_t n = 0;
  for (const auto& s : t.at("syscalls"))
    if (s.at("syscall") == name) n += s.at("calls").get<uint64_t>();
  return n;
}

}  // namespace

// Every count the workload controls, exactly; global_args picks the object (with kfuncs, or
// the twin built without them that kernels before 6.2 load: same counts, same fd kinds).
static void expect_every_call_counted(const std::vector<std::string>& global_args) {
  TraceSpec spec{"wl_counted", {}, {"--json"}};
  spec.global_args = global_args;
  TraceResult r = trace_workload(spec);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  ASSERT_TRUE(r.report.is_object()) << r.out;
  EXPECT_EQ(r.report.at("schema_version"), 1);
  const auto& procs = r.report.at("processes");
  ASSERT_EQ(procs.size(), 1u);
  const auto& p = procs[0];
  EXPECT_EQ(syscall_calls(p, "write", "tcp"), 10000u);
  EXPECT_EQ(syscall_calls(p, "write", "tcp", "bytes"), 1000000u);
  EXPECT_EQ(syscall_calls(p, "read", "tcp"), 10007u);
  EXPECT_EQ(syscall_calls(p, "read", "tcp", "bytes"), 1000000u);
  EXPECT_EQ(syscall_calls(p, "read", "tcp", "eagain"), 7u);
  EXPECT_EQ(syscall_calls(p, "read", "tcp", "errors"), 7u);
  EXPECT_EQ(syscall_calls(p, "epoll_wait", "epoll"), 200u);
  EXPECT_EQ(syscall_calls(p, "pread64", "regular"), 3u);
  EXPECT_EQ(syscall_calls(p, "pread64", "regular", "bytes"), 3000u);
  // the thread created after attach is counted and named
  const auto* late = thread_named(p, "late-thread");
  ASSERT_NE(late, nullptr) << p.at("threads").dump();
  EXPECT_EQ(thread_calls(*late, "getppid"), 50u);
  // latency stats are consistent
  for (const auto& s : p.at("syscalls")) {
    EXPECT_LE(s.at("p50_ns").get<uint64_t>(), s.at("p99_ns").get<uint64_t>());
    EXPECT_LE(s.at("p99_ns").get<uint64_t>(), s.at("max_ns").get<uint64_t>());
  }
  EXPECT_EQ(r.report.at("losses").at("total"), 0);
}

TEST_F(AttachTest, CountsEveryCallExactly) {
  REQUIRE_BPF();
  expect_every_call_counted({});
}

TEST_F(AttachTest, CountsEveryCallExactlyWithTheObjectWithoutKfuncs) {
  REQUIRE_BPF();
  expect_every_call_counted({"--no-feature", "kfuncs"});
}

TEST_F(AttachTest, TextReportNamesCategories) {
  REQUIRE_BPF();
  TraceResult r = trace_workload({"wl_counted", {}, {}});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("socket I/O"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("multiplexing waits"), std::string::npos);
  EXPECT_NE(r.out.find("file I/O"), std::string::npos);
  EXPECT_NE(r.out.find("late-thread"), std::string::npos);
  EXPECT_NE(r.out.find("losses: none"), std::string::npos);
}

TEST_F(AttachTest, TargetExitingMidTraceStillGetsItsReport) {
  REQUIRE_BPF();
  TraceResult r = trace_workload({"wl_counted", {"exit"}, {"--json"}, true});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("every target exited"), std::string::npos) << r.err;
  const auto& p = r.report.at("processes").at(0);
  EXPECT_TRUE(p.at("exited").get<bool>());
  EXPECT_EQ(syscall_calls(p, "write", "tcp"), 10000u);
  EXPECT_EQ(syscall_calls(p, "epoll_wait", "epoll"), 200u);
}

TEST_F(AttachTest, DurationEndsTheTraceAndOutputFileIsWritten) {
  REQUIRE_BPF();
  std::string path = "/tmp/iotrace-itest-" + std::to_string(getpid()) + ".json";
  TraceResult r = run_iotrace({"attach", std::to_string(getpid()), "-d", "300ms", "--json", "-o", path});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(r.out.empty());
  FILE* f = fopen(path.c_str(), "r");
  ASSERT_NE(f, nullptr);
  std::string text;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof(buf), f)) > 0) text.append(buf, n);
  fclose(f);
  unlink(path.c_str());
  auto j = nlohmann::json::parse(text);
  EXPECT_EQ(j.at("processes").at(0).at("pid").get<int>(), getpid());
  EXPECT_GE(j.at("duration_ns").get<uint64_t>(), 300000000u);
}

TEST_F(AttachTest, FallbackToRawTracepointsCountsTheSame) {
  REQUIRE_BPF();
  // iotrace's global option goes before the subcommand: run it directly
  Child w = spawn({workload_bin("wl_counted")}, false);
  ASSERT_EQ(read_line(w.out).rfind("ready", 0), 0u);
  Child t = spawn({iotrace_bin(), "--no-feature", "tp_btf", "--no-feature", "io_uring", "attach",
                   std::to_string(w.pid), "--json"});
  std::string line;
  while ((line = read_line(t.err)).find("attached") == std::string::npos) {
    ASSERT_EQ(line.find("error"), std::string::npos) << line;
  }
  ASSERT_EQ(write(w.in, "go\n", 3), 3);
  ASSERT_EQ(read_line(w.out, 60000), "done");
  kill(t.pid, SIGINT);
  std::string out = read_all(t.out);
  std::string err = read_all(t.err);
  ASSERT_EQ(wait_exit(t.pid), 0) << err;
  close(w.in);
  wait_exit(w.pid);
  auto j = nlohmann::json::parse(out);
  const auto& p = j.at("processes").at(0);
  EXPECT_EQ(syscall_calls(p, "write", "tcp"), 10000u);
  EXPECT_EQ(syscall_calls(p, "read", "tcp", "eagain"), 7u);
  EXPECT_NE(j.at("notes").dump().find("raw tracepoints"), std::string::npos) << j.at("notes").dump();
}
