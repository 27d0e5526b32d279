// Blocking calls on event-loop threads: each kind of blocking work is found on the loop
// thread with a stack through the workload's handler; the same work offloaded to a pool, and a
// healthy loop, produce no loop finding.
#include <set>

#include "harness.hpp"

using namespace itest;

namespace {

const std::set<std::string> k_loop_ids = {"blocking-call-on-loop", "slow-call-on-loop",
                                          "blocking-risk-on-loop", "loop-stall", "cpu-stall",
                                          "sync-dns-on-loop",      "et-not-drained"};

class BlockingTest : public ::testing::Test {
 protected:
  void TearDown() override {
    if (bpf_available()) { EXPECT_TRUE(leftover_programs().empty()); }
  }

  nlohmann::json trace(const std::vector<std::string>& args,
                       const std::vector<std::string>& global = {}) {
    TraceSpec spec{"wl_loop_block", args, {"--json"}};
    spec.global_args = global;
    TraceResult r = trace_workload(spec);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_TRUE(r.report.is_object()) << r.out;
    return r.report.at("processes").at(0);
  }
};

int tid_named(const nlohmann::json& proc, const std::string& comm) {
  for (const auto& t : proc.at("threads"))
    if (t.at("comm") == comm) return t.at("tid").get<int>();
  return -1;
}

bool stack_has(const nlohmann::json& f, const std::string& needle) {
  for (const auto& fr : f.at("stack").at("frames"))
    if (fr.at("symbol").get<std::string>().find(needle) != std::string::npos) return true;
  return false;
}

std::vector<nlohmann::json> findings(const nlohmann::json& proc, const std::string& id) {
  std::vector<nlohmann::json> out;
  for (const auto& f : proc.at("findings"))
    if (f.at("id") == id) out.push_back(f);
  return out;
}

// The stalled iterations of loop-main, of every kind: on a busy machine an iteration whose
// wakeup waited long for a CPU is loop-preempted (or cpu-stall) instead of loop-stall.
int loop_main_stalls(const nlohmann::json& proc) {
  int n = 0;
  for (const char* id : {"loop-stall", "loop-preempted", "cpu-stall"})
    for (const auto& f : findings(proc, id))
      if (f.at("tid").get<int>() == tid_named(proc, "loop-main")) n += f.at("count").get<int>();
  return n;
}

// The findings for `syscall` among `ids` on the loop thread, merged into one (counts and
// times summed, the first stack kept): slow and fast calls of one site are separate findings.
nlohmann::json loop_finding(const nlohmann::json& proc, const std::set<std::string>& ids,
                            const std::string& syscall) {
  int loop = tid_named(proc, "loop-main");
  nlohmann::json out = nullptr;
  for (const auto& f : proc.at("findings")) {
    if (!ids.count(f.at("id")) || f.at("tid").get<int>() != loop || f.at("syscall") != syscall)
      continue;
    if (out.is_null()) {
      out = f;
      continue;
    }
    for (const char* k : {"count", "total_ns", "sleep_ns", "runq_ns"})
      out[k] = out[k].get<uint64_t>() + f.at(k).get<uint64_t>();
    out["max_ns"] = std::max(out["max_ns"].get<uint64_t>(), f.at("max_ns").get<uint64_t>());
  }
  return out;
}

}  // namespace

// Where the blocked/preempted split comes from: the task's own counters (tp_btf with
// sched_info, the default), sched_switch with the task's run_delay (raw tracepoints), or
// sched_switch and sched_wakeup timing everything (no sched_info). All must agree.
enum class SplitSource { task_counters, raw_tracepoints, timed_wakeups };

std::vector<std::string> split_args(SplitSource s) {
  switch (s) {
    case SplitSource::task_counters: return {};
    case SplitSource::raw_tracepoints: return {"--no-feature", "tp_btf"};
    case SplitSource::timed_wakeups: return {"--no-feature", "sched_info"};
  }
  return {};
}

class BlockingSplitTest : public BlockingTest, public ::testing::WithParamInterface<SplitSource> {};

TEST_P(BlockingSplitTest, SleepOnTheLoopIsABlockingCallAndAStall) {
  REQUIRE_BPF();
  auto p = trace({"sleep"}, split_args(GetParam()));
  auto f = loop_finding(p, {"blocking-call-on-loop"}, "clock_nanosleep");
  ASSERT_FALSE(f.is_null()) << p.at("findings").dump(1);
  EXPECT_EQ(f.at("count"), 12);
  EXPECT_GE(f.at("max_ns").get<uint64_t>(), 30000000u);
  // blocked, not preempted: most of the time asleep
  EXPECT_GT(f.at("sleep_ns").get<uint64_t>() * 2, f.at("total_ns").get<uint64_t>());
  EXPECT_TRUE(stack_has(f, "handle_sleep") || stack_has(f, "handle_request")) << f.dump(1);
  auto stalls = findings(p, "loop-stall");
  ASSERT_EQ(stalls.size(), 1u) << p.at("findings").dump(1);
  EXPECT_EQ(stalls[0].at("tid").get<int>(), tid_named(p, "loop-main"));
  // Each of the 12 iterations stalls. On a busy machine an iteration whose wakeup waited long
  // for a CPU is called loop-preempted (or cpu-stall) instead: count the loop's stalls of
  // every kind, which is what the workload controls.
  EXPECT_GE(loop_main_stalls(p), 11) << p.at("findings").dump(1);
}

INSTANTIATE_TEST_SUITE_P(SplitSources, BlockingSplitTest,
                         ::testing::Values(SplitSource::task_counters, SplitSource::raw_tracepoints,
                                           SplitSource::timed_wakeups),
                         [](const auto& info) {
                           switch (info.param) {
                             case SplitSource::task_counters: return "TaskCounters";
                             case SplitSource::raw_tracepoints: return "RawTracepoints";
                             case SplitSource::timed_wakeups: return "TimedWakeups";
                           }
                           return "Unknown";
                         });

// The loop watch hooks only the waits and loop threads' context switches: the same sleep on
// the loop is found, with the same count and stack, and the same stalls; the syscall table
// holds the waits alone.
TEST_F(BlockingTest, TheLoopWatchFindsTheSameSleepOnTheLoopFromTheWaitsAndSwitchesAlone) {
  REQUIRE_BPF();
  TraceSpec spec{"wl_loop_block", {"sleep"}, {"--json", "--loop-watch"}};
  TraceResult r = trace_workload(spec);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  ASSERT_TRUE(r.report.is_object()) << r.out;
  EXPECT_EQ(r.report.at("settings").at("tier"), "loop-watch");
  const auto& p = r.report.at("processes").at(0);
  auto f = loop_finding(p, {"blocking-call-on-loop"}, "clock_nanosleep");
  ASSERT_FALSE(f.is_null()) << p.at("findings").dump(1);
  EXPECT_EQ(f.at("count"), 12);
  EXPECT_GE(f.at("max_ns").get<uint64_t>(), 30000000u);
  EXPECT_GT(f.at("sleep_ns").get<uint64_t>() * 2, f.at("total_ns").get<uint64_t>());
  EXPECT_TRUE(stack_has(f, "handle_sleep") || stack_has(f, "handle_request")) << f.dump(1);
  EXPECT_GE(loop_main_stalls(p), 11) << p.at("findings").dump(1);
  for (const auto& sc : p.at("syscalls"))
    EXPECT_EQ(sc.at("syscall").get<std::string>().rfind("epoll_", 0), 0u) << sc.dump();
  for (const auto& t : p.at("threads"))
    if (t.at("comm") == "loop-main") { EXPECT_GE(t.at("iterations").get<int>(), 12); }
}

TEST_F(BlockingTest, TheLoopWatchFindsNothingOnALoopThatOffloads) {
  REQUIRE_BPF();
  TraceSpec spec{"wl_loop_block", {"sleep", "offload"}, {"--json", "--loop-watch"}};
  TraceResult r = trace_workload(spec);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  ASSERT_TRUE(r.report.is_object()) << r.out;
  const auto& p = r.report.at("processes").at(0);
  int loop = tid_named(p, "loop-main");
  ASSERT_GT(loop, 0) << p.at("threads").dump(1);
  for (const auto& f : p.at("findings"))
    if (k_loop_ids.count(f.at("id")) && f.at("tid").get<int>() == loop) ADD_FAILURE() << f.dump(1);
}

TEST_F(BlockingTest, FsyncOnTheLoopIsFound) {
  REQUIRE_BPF();
  auto p = trace({"fsync"});
  auto f = loop_finding(p, {"blocking-call-on-loop", "blocking-risk-on-loop", "slow-call-on-loop", "preempted-on-loop"}, "fsync");
  ASSERT_FALSE(f.is_null()) << p.at("findings").dump(1);
  EXPECT_EQ(f.at("count"), 12);
  EXPECT_EQ(f.at("fd_kind"), "regular");
  EXPECT_TRUE(stack_has(f, "handle_fsync") || stack_has(f, "handle_request")) << f.dump(1);
}

TEST_F(BlockingTest, DiskReadOnTheLoopIsFound) {
  REQUIRE_BPF();
  auto p = trace({"disk"});
  // asleep on the disk (blocking-call), fast from the page cache (blocking-risk), or slow on CPU
  // or waiting for one on a busy machine (slow-call): the same call flagged on the loop
  auto f = loop_finding(p, {"blocking-call-on-loop", "blocking-risk-on-loop", "slow-call-on-loop"},
                        "pread64");
  ASSERT_FALSE(f.is_null()) << p.at("findings").dump(1);
  EXPECT_EQ(f.at("fd_kind"), "regular");
  EXPECT_TRUE(stack_has(f, "handle_disk_read") || stack_has(f, "handle_request")) << f.dump(1);
}

TEST_F(BlockingTest, SynchronousDnsOnTheLoopIsFound) {
  REQUIRE_BPF();
  auto p = trace({"dns"});
  auto f = loop_finding(p, {"sync-dns-on-loop"}, "getaddrinfo");
  ASSERT_FALSE(f.is_null()) << p.at("findings").dump(1);
  EXPECT_EQ(f.at("count"), 12);
  EXPECT_GE(f.at("max_ns").get<uint64_t>(), 30000000u);
  EXPECT_TRUE(stack_has(f, "handle_dns")) << f.dump(1);
  // the resolver's internal poll() did not turn into loop iterations of its own
  for (const auto& t : p.at("threads"))
    if (t.at("comm") == "loop-main") { EXPECT_EQ(t.at("model"), "epoll"); }
}

TEST_F(BlockingTest, LockWaitOnTheLoopIsFound) {
  REQUIRE_BPF();
  auto p = trace({"mutex"});
  // a futex wait looks the same whether a lock is contended or a runtime parks an idle
  // worker: reported, with its stack, at info level
  auto f = loop_finding(p, {"lock-wait-on-loop"}, "futex");
  ASSERT_FALSE(f.is_null()) << p.at("findings").dump(1);
  EXPECT_EQ(f.at("severity"), "info");
  EXPECT_TRUE(stack_has(f, "handle_")) << f.dump(1);
}

TEST_F(BlockingTest, CpuHeavyHandlerIsACpuStall) {
  REQUIRE_BPF();
  auto p = trace({"cpu"});
  auto stalls = findings(p, "cpu-stall");
  ASSERT_EQ(stalls.size(), 1u) << p.at("findings").dump(1);
  EXPECT_EQ(stalls[0].at("tid").get<int>(), tid_named(p, "loop-main"));
  EXPECT_GE(stalls[0].at("max_ns").get<uint64_t>(), 50000000u);
  EXPECT_TRUE(findings(p, "blocking-call-on-loop").empty()) << p.at("findings").dump(1);
}

TEST_F(BlockingTest, HealthyAndOffloadedLoopsHaveNoLoopFindings) {
  REQUIRE_BPF();
  for (auto args : std::vector<std::vector<std::string>>{
           {"healthy"}, {"sleep", "offload"}, {"fsync", "offload"}, {"disk", "offload"}}) {
    auto p = trace(args);
    ASSERT_NE(tid_named(p, "loop-main"), -1);
    for (const auto& f : p.at("findings"))
      EXPECT_FALSE(k_loop_ids.count(f.at("id"))) << args[0] << ": " << f.dump(1);
  }
}

TEST_F(BlockingTest, EdgeTriggeredSocketLeftUndrainedIsFound) {
  REQUIRE_BPF();
  TraceResult r = trace_workload({"wl_et", {"nodrain"}, {"--json"}});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto& p = r.report.at("processes").at(0);
  auto et = findings(p, "et-not-drained");
  ASSERT_EQ(et.size(), 1u) << p.at("findings").dump(1);
  EXPECT_GE(et[0].at("count").get<int>(), 10);
  EXPECT_EQ(et[0].at("fd_kind"), "tcp");

  TraceResult ok = trace_workload({"wl_et", {"drain"}, {"--json"}});
  ASSERT_EQ(ok.exit_code, 0) << ok.err;
  EXPECT_TRUE(findings(ok.report.at("processes").at(0), "et-not-drained").empty())
      << ok.report.at("processes").at(0).at("findings").dump(1);
}

// Two spinning threads sharing one CPU: each is runnable about half the time and never asleep.
TEST_P(BlockingSplitTest, ThreadsSharingACpuWaitOnTheRunQueue) {
  REQUIRE_BPF();
  TraceSpec spec{"wl_cpu_share", {}, {"--json"}};
  spec.global_args = split_args(GetParam());
  TraceResult r = trace_workload(spec);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  ASSERT_TRUE(r.report.is_object()) << r.out;
  int seen = 0;
  for (const auto& t : r.report.at("processes").at(0).at("threads")) {
    std::string comm = t.at("comm");
    if (comm != "share-a" && comm != "share-b") continue;
    ++seen;
    uint64_t runq = t.at("runq_ns"), sleep = t.at("sleep_ns"), cpu = t.at("oncpu_ns");
    // 600 ms of spinning each on one CPU: ~300 ms on CPU and ~300 ms waiting for it
    EXPECT_GT(runq, 150'000'000u) << t.dump(1);
    EXPECT_GT(cpu, 150'000'000u) << t.dump(1);
    EXPECT_LT(sleep, 30'000'000u) << t.dump(1);
  }
  EXPECT_EQ(seen, 2) << r.out;
}

// A thread that ended keeps the CPU time it had (not its last stretch on CPU stretched to the
// end of the trace), and no thread has more time than the trace lasted.
TEST_P(BlockingSplitTest, AnExitedThreadKeepsItsOwnTime) {
  REQUIRE_BPF();
  TraceSpec spec{"wl_thread_exit", {"worker"}, {"--json"}};
  spec.global_args = split_args(GetParam());
  TraceResult r = trace_workload(spec);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  ASSERT_TRUE(r.report.is_object()) << r.out;
  uint64_t duration = r.report.at("duration_ns");
  bool seen = false;
  for (const auto& t : r.report.at("processes").at(0).at("threads")) {
    uint64_t cpu = t.at("oncpu_ns"), sleep = t.at("sleep_ns"), runq = t.at("runq_ns");
    EXPECT_LE(cpu + sleep + runq, duration + 20'000'000u) << t.dump(1);
    if (t.at("comm") != "spin-50ms") continue;
    seen = true;
    EXPECT_TRUE(t.at("exited").get<bool>()) << t.dump(1);
    // it spun 50 ms of its own CPU time (CLOCK_THREAD_CPUTIME_ID), however busy the machine
    EXPECT_GE(cpu, 45'000'000u) << t.dump(1);
    EXPECT_LE(cpu, 150'000'000u) << "the 500 ms after it exited are not its CPU time: " << t.dump(1);
    EXPECT_LT(sleep, 30'000'000u) << t.dump(1);
  }
  EXPECT_TRUE(seen) << r.out;
}
