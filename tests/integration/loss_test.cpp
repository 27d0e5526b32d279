// Loss accounting under floods (bench/run_loss.sh is the long version): every loop stall the
// kernel counts is either delivered through the ring buffer or counted as a ring-buffer loss,
// also when iotrace's reader falls behind or the trace ends mid-flood; flagged calls stay
// exact when more distinct stacks occur than the stack map holds, and every call recorded
// without its stack is a counted stack loss.
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#include <chrono>
#include <map>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <thread>

#include <sys/syscall.h>

#include "harness.hpp"

using namespace itest;
using nlohmann::json;

namespace {

constexpr uint64_t k_stack_map_entries = 4096;  // iot_stacks (bpf/maps.bpf.h)
constexpr int k_nr_pread64 = SYS_pread64;  // this architecture's number

class Loss : public ::testing::Test {
 protected:
  void TearDown() override {
    if (bpf_available()) {
      EXPECT_TRUE(leftover_programs().empty()) << "iotrace left programs loaded";
    }
  }
};

enum class Reader {
  running,  // iotrace reads the ring buffer all along
  stopped,  // iotrace is SIGSTOPped for the whole flood: the ring buffer overflows
  midway,   // the trace is ended while the flood goes on
};

struct FloodRun {
  int exit_code = -1;
  std::string err;
  json report;   // iotrace's --json report
  json capture;  // the raw capture (--save-capture)
};

// Runs wl_flood with wargs under iotrace attach (--json --save-capture, then iargs).
FloodRun flood(const std::vector<std::string>& wargs, const std::vector<std::string>& iargs, Reader reader) {
  std::vector<std::string> wargv{workload_bin("wl_flood")};
  wargv.insert(wargv.end(), wargs.begin(), wargs.end());
  Child w = spawn(wargv, false);
  std::string ready = read_line(w.out);
  if (ready.rfind("ready ", 0) != 0) throw std::runtime_error("workload said: " + ready);

  char cap_path[] = "/tmp/iotrace-loss-XXXXXX";
  int cap_fd = mkstemp(cap_path);
  if (cap_fd < 0) throw std::runtime_error("mkstemp");
  close(cap_fd);
  std::vector<std::string> args{iotrace_bin(), "attach", std::to_string(w.pid), "--json",
                                "--save-capture", cap_path};
  args.insert(args.end(), iargs.begin(), iargs.end());
  Child t = spawn(args, true);
  FloodRun r;
  while (true) {
    std::string line = read_line(t.err, 20000);
    r.err += line + "\n";
    if (line.find("attached to") != std::string::npos) break;
    if (line.find("error:") != std::string::npos) throw std::runtime_error(r.err);
  }
  // the report can be megabytes: drain both pipes while iotrace writes
  std::string out, err;
  std::thread out_reader([&] { out = read_all(t.out); });
  std::thread err_reader([&] { err = read_all(t.err); });

  if (reader == Reader::stopped) kill(t.pid, SIGSTOP);
  if (write(w.in, "go\n", 3) != 3) throw std::runtime_error("cannot start the workload");
  if (reader == Reader::midway) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    kill(t.pid, SIGINT);
    r.exit_code = wait_exit(t.pid, 60000);
  }
  std::string done = read_line(w.out, 60000);
  if (reader == Reader::stopped) kill(t.pid, SIGCONT);
  if (reader != Reader::midway) {
    kill(t.pid, SIGINT);  // at once: what is still in the ring buffer must not be dropped
    r.exit_code = wait_exit(t.pid, 60000);
  }
  out_reader.join();
  err_reader.join();
  close(t.out);
  close(t.err);
  close(t.in);
  close(w.in);
  wait_exit(w.pid);
  close(w.out);
  if (done != "done") throw std::runtime_error("workload said: " + done);

  r.err += err;
  r.report = json::parse(out, nullptr, false);
  std::ifstream in(cap_path);
  std::stringstream ss;
  ss << in.rdbuf();
  unlink(cap_path);
  r.capture = json::parse(ss.str(), nullptr, false);
  return r;
}

const json& capture_thread(const json& capture, const std::string& comm) {
  for (const auto& t : capture.at("threads"))
    if (t.at("comm") == comm) return t;
  throw std::runtime_error("no thread named " + comm + " in the capture");
}

uint64_t report_thread_stalls(const json& report, int tid) {
  for (const auto& p : report.at("processes"))
    for (const auto& t : p.at("threads"))
      if (t.at("tid").get<int>() == tid) return t.at("stalls").get<uint64_t>();
  throw std::runtime_error("tid not in the report: " + std::to_string(tid));
}

struct StallFigures {
  uint64_t kernel = 0;    // the kernel's count for the loop thread
  uint64_t received = 0;  // stall events delivered for it
  uint64_t lost = 0;      // ring-buffer losses
};

// Reads the figures and checks what holds in every run: received + lost == kernel, and the
// report says what the capture says.
StallFigures reconcile_stalls(const FloodRun& r) {
  StallFigures f;
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(r.report.is_object()) << r.err;
  EXPECT_TRUE(r.capture.is_object()) << r.err;
  if (!r.report.is_object() || !r.capture.is_object()) return f;
  const json& t = capture_thread(r.capture, "stall-loop");
  int tid = t.at("tid").get<int>();
  f.kernel = t.at("stalls").get<uint64_t>();
  uint64_t all = 0;
  for (const auto& s : r.capture.at("stalls")) {
    ++all;
    if (s.at("tid").get<int>() == tid) ++f.received;
  }
  f.lost = r.capture.at("losses").at("ringbuf").get<uint64_t>();
  EXPECT_EQ(all, f.received) << "stall events from another thread";
  EXPECT_EQ(f.received + f.lost, f.kernel)
      << "received " << f.received << " + lost " << f.lost << " != the kernel's " << f.kernel;
  EXPECT_EQ(report_thread_stalls(r.report, tid), f.kernel);
  EXPECT_EQ(r.report.at("losses").at("ringbuf").get<uint64_t>(), f.lost);
  EXPECT_EQ(r.report.at("losses").at("total").get<uint64_t>(), f.lost);
  return f;
}

}  // namespace

TEST_F(Loss, StallFloodEveryStallReceivedOrCountedLost) {
  REQUIRE_BPF();
  constexpr uint64_t n = 20000;  // ~7 ring buffers' worth of stall events
  for (Reader reader : {Reader::running, Reader::stopped}) {
    bool stopped = reader == Reader::stopped;
    SCOPED_TRACE(stopped ? "reader stopped" : "reader running");
    FloodRun r = flood({"stall", std::to_string(n)}, {"--stall-threshold", "1us"}, reader);
    StallFigures f = reconcile_stalls(r);
    EXPECT_EQ(f.kernel, n) << "every iteration is longer than the threshold";
    if (stopped) {
      EXPECT_GT(f.lost, 0u) << "the ring buffer cannot hold " << n << " events";
      EXPECT_GT(f.received, 0u) << "what the ring buffer held was not delivered";
      EXPECT_NE(r.err.find("events lost"), std::string::npos) << r.err;
    }
  }
}

TEST_F(Loss, StallFloodEndedMidwayReconciles) {
  REQUIRE_BPF();
  constexpr uint64_t n = 200000;  // outlasts the 100 ms trace
  FloodRun r = flood({"stall", std::to_string(n)}, {"--stall-threshold", "1us"}, Reader::midway);
  StallFigures f = reconcile_stalls(r);
  EXPECT_GT(f.kernel, 0u);
  EXPECT_LT(f.kernel, n) << "the trace was meant to end before the flood";
}

TEST_F(Loss, StackFloodCountsEveryCallAndEveryLostStack) {
  REQUIRE_BPF();
  constexpr uint64_t n = 16384;
  constexpr int depth = 13;  // 8192 distinct stacks: twice the stack map
  FloodRun r = flood({"stacks", std::to_string(n), std::to_string(depth)}, {}, Reader::running);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  ASSERT_TRUE(r.capture.is_object()) << r.err;
  ASSERT_TRUE(r.report.is_object()) << r.err;
  int tid = capture_thread(r.capture, "stack-flood").at("tid").get<int>();
  uint64_t counted = 0, kept = 0, with_stack = 0, without_stack = 0, lost_calls = 0;
  for (const auto& f : r.capture.at("flagged")) {
    bool lost = f.at("stack").at("lost").get<bool>();
    uint64_t count = f.at("count").get<uint64_t>();
    if (lost) lost_calls += count;  // any call, any thread: each is one stack loss
    if (f.at("tid").get<int>() != tid || f.at("nr").get<int>() != k_nr_pread64) continue;
    counted += count;
    if (lost) {
      without_stack += count;
    } else {
      ++kept;  // one row per stack id
      with_stack += count;
    }
  }
  const json& losses = r.capture.at("losses");
  EXPECT_EQ(counted, n) << "flagged calls are counted whether or not their stack is kept";
  EXPECT_GT(kept, 0u);
  EXPECT_LE(kept, k_stack_map_entries);
  EXPECT_GT(lost_calls, 0u) << (1u << depth) << " stacks cannot all fit in the stack map";
  EXPECT_EQ(lost_calls, losses.at("stack").get<uint64_t>())
      << "a call recorded without its stack is a counted stack loss, and only those are";
  EXPECT_EQ(with_stack + without_stack, counted);
  EXPECT_GT(without_stack, 0u);
  EXPECT_EQ(losses.at("flagged_full").get<uint64_t>(), 0u);
  EXPECT_EQ(r.report.at("losses").at("stacks").get<uint64_t>(), lost_calls);
  // Each site with a stack id had its stack copied at its first call: either a copy arrived
  // (unwound with CFI) or it was dropped and counted (the site keeps the frame-pointer walk).
  uint64_t unwound = 0, walked = 0;
  for (const auto& f : r.capture.at("flagged")) {
    if (f.at("stack").at("lost").get<bool>()) continue;
    (f.at("stack").value("unwinder", "") == "dwarf" ? unwound : walked) += 1;
  }
  EXPECT_GT(unwound, 0u);
  EXPECT_LE(walked, losses.at("stack_copy").get<uint64_t>())
      << "a site without an unwound copy is one whose copies were counted as lost";
  EXPECT_EQ(r.report.at("losses").at("stack_copies"), losses.at("stack_copy"));
}

// 12,000 threads with nine syscall rows each need more rows than the kernel's map holds at
// once (65,536): the reader drains the rows of exited threads while the trace runs, so the map
// holds live threads only and every count stays exact. bpftrace counts the same run's system
// calls on its own, at the same point (syscall exit), for the comparison.
TEST_F(Loss, ThreadChurnPastTheMapSizeIsExactAndMatchesBpftrace) {
  REQUIRE_BPF();
  if (access("/usr/bin/bpftrace", X_OK) != 0) {
    if (in_ci()) FAIL() << "bpftrace is not installed (Debian package bpftrace)";
    GTEST_SKIP() << "bpftrace is not installed";
  }
  char dir[] = "/tmp/iotrace-churn-XXXXXX";
  ASSERT_NE(mkdtemp(dir), nullptr);
  const std::string report_path = std::string(dir) + "/churn.json";
  Child w = spawn({workload_bin("wl_churn"), "12000", "wide"}, false);
  const std::string ready = read_line(w.out);
  ASSERT_EQ(ready.rfind("ready ", 0), 0u) << ready;
  const std::string pid = ready.substr(6);
  Child bt = spawn({"/usr/bin/bpftrace", "-e",
                    "tracepoint:raw_syscalls:sys_exit /pid == " + pid + "/ { @[args->id] = count(); }"},
                   true);
  ASSERT_NE(read_line(bt.out, 60000).find("Attaching"), std::string::npos);
  Child t = spawn({iotrace_bin(), "attach", pid, "--json", "-o", report_path}, true);
  while (read_line(t.err, 20000).find("attached to") == std::string::npos) {
  }
  ASSERT_EQ(write(w.in, "go\n", 3), 3);
  ASSERT_EQ(read_line(w.out, 120000), "done");
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  kill(t.pid, SIGINT);
  ASSERT_EQ(wait_exit(t.pid), 0);
  kill(bt.pid, SIGINT);
  const std::string counted = read_all(bt.out);
  wait_exit(bt.pid);
  close(w.in);
  wait_exit(w.pid);

  std::map<long, uint64_t> by_nr;  // "@[110]: 120000"
  std::istringstream lines(counted);
  for (std::string line; std::getline(lines, line);) {
    long nr = 0;
    unsigned long long n = 0;
    if (std::sscanf(line.c_str(), "@[%ld]: %llu", &nr, &n) == 2) by_nr[nr] = n;
  }
  ASSERT_FALSE(by_nr.empty()) << counted;
  uint64_t bpftrace_total = 0;
  for (const auto& [nr, n] : by_nr) bpftrace_total += n;

  std::ifstream in(report_path);
  auto report = nlohmann::json::parse(in, nullptr, false);
  ASSERT_TRUE(report.is_object());
  EXPECT_EQ(report.at("losses").at("total"), 0);
  const auto& p = report.at("processes").at(0);
  EXPECT_GE(p.at("threads_seen").get<uint64_t>(), 12000u);
  uint64_t iotrace_total = 0;
  for (const auto& s : p.at("syscalls")) iotrace_total += s.at("calls").get<uint64_t>();
  EXPECT_EQ(syscall_calls(p, "getppid"), 120000u);
  for (const char* name : {"getpid", "gettid", "getuid", "getgid", "geteuid", "getegid", "getpgrp", "getsid"})
    EXPECT_EQ(syscall_calls(p, name), 12000u) << name;
  EXPECT_EQ(by_nr[SYS_getppid], 120000u);
  // bpftrace counts returns: clone3 returns twice (in the parent and in the new thread) for
  // one call, and the workload's read of "go" was in flight when the trace began (iotrace
  // counts a call it saw start). Everything else is the same count.
  EXPECT_EQ(syscall_calls(p, "clone3") * 2, by_nr[SYS_clone3]);
  EXPECT_EQ(syscall_calls(p, "read") + 1, by_nr[SYS_read]);
  EXPECT_EQ(iotrace_total, bpftrace_total - by_nr[SYS_clone3] / 2 - 1) << counted;
  RecordProperty("threads", p.at("threads_seen").dump());
  RecordProperty("calls", std::to_string(iotrace_total));
  unlink(report_path.c_str());
  rmdir(dir);
}
