// iotrace doctor on this machine (root, BTF, tp_btf and raw tracepoints, uprobes, ring
// buffer; fentry refused; no kprobes) and with a feature forced off.
#include <map>

#include "harness.hpp"

using namespace itest;

namespace {

bool has(const std::string& out, const std::string& s) { return out.find(s) != std::string::npos; }

class DoctorTest : public ::testing::Test {
 protected:
  void TearDown() override {
    if (bpf_available()) {
      EXPECT_TRUE(leftover_programs().empty()) << "doctor left test programs loaded";
    }
  }
};

}  // namespace

TEST_F(DoctorTest, AttachWillWorkHere) {
  REQUIRE_BPF();
  TraceResult r = run_iotrace({"doctor"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_TRUE(has(r.out, "ok       privileges           root")) << r.out;
  EXPECT_TRUE(has(r.out, "ok       BTF ")) << r.out;
  EXPECT_TRUE(has(r.out, "ok       tp_btf sys_enter     loads, attaches, fires")) << r.out;
  EXPECT_TRUE(has(r.out, "ok       raw_tp sys_enter     loads, attaches, fires")) << r.out;
  EXPECT_TRUE(has(r.out, "ok       sched_switch         tp_btf loads, attaches, fires")) << r.out;
  EXPECT_TRUE(has(r.out, "ok       uprobes              uprobe with cookie and uretprobe")) << r.out;
  EXPECT_TRUE(has(r.out, "ok       ring buffer ")) << r.out;
  // this kernel refuses fentry; iotrace does not use it (the meaning is checked in JSON)
  EXPECT_TRUE(has(r.out, "-        fentry               load refused: EPERM")) << r.out;
  EXPECT_TRUE(has(r.out, "-        kprobes              absent")) << r.out;
  EXPECT_TRUE(has(r.out, "ok       syscall accounting              BTF tracepoints (tp_btf)")) << r.out;
  EXPECT_TRUE(has(r.out, "ok       run-queue delay      task_struct.sched_info in BTF")) << r.out;
  EXPECT_TRUE(has(r.out, "ok       blocked/preempted split         scheduler's run-queue delay")) << r.out;
  EXPECT_TRUE(has(r.out, "ok       loop stalls and scheduler time  the scheduler's per-task counters"))
      << r.out;
  EXPECT_TRUE(has(r.out, "iotrace attach will work on this machine.\n")) << r.out;
  EXPECT_FALSE(has(r.out, "fatal")) << r.out;
  EXPECT_TRUE(r.err.empty()) << "libbpf's log only with -v: " << r.err;
}

TEST_F(DoctorTest, JsonNamesEveryCheck) {
  REQUIRE_BPF();
  TraceResult r = run_iotrace({"doctor", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  ASSERT_TRUE(r.report.is_object()) << r.out;
  EXPECT_EQ(r.report.at("attach_works"), true);
  std::map<std::string, std::string> state;
  for (const auto& c : r.report.at("checks")) state[c.at("id")] = c.at("state");
  for (const char* id : {"privileges", "kernel", "btf", "tp_btf", "raw_tp", "sched_switch", "sched_info",
                         "uprobes", "ringbuf", "tracer"})
    EXPECT_EQ(state[id], "ok") << id;
  for (const char* id : {"fentry", "kprobes", "tracefs", "io_uring_disabled", "perf_event_paranoid",
                         "lockdown", "memlock"})
    EXPECT_EQ(state[id], "info") << id;
  for (const auto& c : r.report.at("checks"))
    if (c.at("id") == "fentry") {
      EXPECT_EQ(c.at("result").get<std::string>().rfind("load refused: EPERM", 0), 0u) << c.dump();
      EXPECT_EQ(c.at("meaning"), "not used; iotrace does not need it");
    }
}

TEST_F(DoctorTest, ForcedOffTpBtfShowsTheRawTracepointFallback) {
  REQUIRE_BPF();
  TraceResult r = run_iotrace({"--no-feature", "tp_btf", "doctor"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_TRUE(has(r.out, "fallback tp_btf sys_enter     disabled with --no-feature tp_btf")) << r.out;
  EXPECT_TRUE(has(r.out, "ok       raw_tp sys_enter ")) << r.out;
  EXPECT_TRUE(has(r.out, "fallback syscall accounting              raw tracepoints (raw_tp)")) << r.out;
  EXPECT_TRUE(has(r.out, "sched_switch via raw_tp")) << r.out;
  EXPECT_TRUE(has(r.out, "iotrace attach will work on this machine.\n")) << r.out;
}

TEST_F(DoctorTest, ForcedOffIoUringFallsBack) {
  REQUIRE_BPF();
  TraceResult r = run_iotrace({"--no-feature", "io_uring", "doctor"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_TRUE(has(r.out, "fallback io_uring tracepoints disabled with --no-feature io_uring")) << r.out;
}

TEST_F(DoctorTest, ForcedOffSchedInfoTimesWakeups) {
  REQUIRE_BPF();
  TraceResult r = run_iotrace({"--no-feature", "sched_info", "doctor"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_TRUE(has(r.out, "fallback run-queue delay      disabled with --no-feature sched_info")) << r.out;
  EXPECT_TRUE(has(r.out, "fallback blocked/preempted split         sched_wakeup timing")) << r.out;
  EXPECT_TRUE(has(r.out, "ok       loop stalls and scheduler time  sched_switch via tp_btf")) << r.out;
}

// doctor loads the object attach loads: on this kernel, the one with kfuncs and every io_uring
// program in its newest form; each piece named, none off, no count missing.
TEST_F(DoctorTest, LoadsWhatAttachLoadsAndNamesEachKernelPiece) {
  REQUIRE_BPF();
  TraceResult r = run_iotrace({"doctor", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::map<std::string, std::string> state;
  for (const auto& k : r.report.at("kernel_features")) state[k.at("name")] = k.at("state");
  for (const char* name : {"kfunc bpf_rdonly_cast", "sched_info", "io_uring submissions",
                           "io_uring completions", "io_uring io-wq punts", "tp_btf"})
    EXPECT_EQ(state[name], "on") << name << ": " << r.out;
  EXPECT_TRUE(r.report.at("unavailable_counts").empty()) << r.out;
  for (const auto& c : r.report.at("checks")) {
    if (c.at("id") != "tracer") continue;
    EXPECT_NE(c.at("result").get<std::string>().find("(tp_btf, object with kfuncs)"), std::string::npos)
        << c.dump();
  }
}

TEST_F(DoctorTest, ForcedOffKfuncsLoadsTheTwinObject) {
  REQUIRE_BPF();
  TraceResult r = run_iotrace({"--no-feature", "kfuncs", "doctor"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_TRUE(has(r.out, "fallback kfunc bpf_rdonly_cast           disabled with --no-feature kfuncs")) << r.out;
  EXPECT_TRUE(has(r.out, "iotrace attach will work on this machine.\n")) << r.out;
  TraceResult j = run_iotrace({"--no-feature", "kfuncs", "doctor", "--json"});
  for (const auto& c : j.report.at("checks")) {
    if (c.at("id") != "tracer") continue;
    EXPECT_EQ(c.at("state"), "ok") << c.dump();
    EXPECT_NE(c.at("result").get<std::string>().find("object without kfuncs"), std::string::npos) << c.dump();
  }
}
