// The doctor's verdict and feature summary from its checks (probes/kernel/doctor_checks.cpp): which
// results make attach impossible and which only fall back.
#include "probes/kernel/doctor_checks.hpp"

#include <gtest/gtest.h>

namespace iotrace::probes {
namespace {

DoctorReport all_ok() {
  DoctorReport r;
  for (const char* id : {"privileges", "kernel", "btf", "tp_btf", "raw_tp", "sched_switch", "sched_info",
                         "io_uring", "uprobes", "ringbuf"})
    r.checks.push_back({id, id, CheckState::ok, "", ""});
  r.checks.push_back({"fentry", "fentry", CheckState::info, "load refused: EPERM", ""});
  return r;
}

void set_state(DoctorReport& r, const std::string& id, CheckState s) {
  for (auto& c : r.checks)
    if (c.id == id) c.state = s;
}

const FeatureStatus& feature(const DoctorReport& r, const std::string& name) {
  for (const auto& f : r.features)
    if (f.feature == name) return f;
  throw std::runtime_error("no feature " + name);
}

TEST(DoctorSummary, EverythingWorks) {
  auto r = all_ok();
  summarize(r);
  EXPECT_TRUE(r.attach_works);
  EXPECT_EQ(feature(r, "syscall accounting").how, "BTF tracepoints (tp_btf)");
  EXPECT_EQ(feature(r, "loop stalls and scheduler time").how,
            "the scheduler's per-task counters (no sched_switch program)");
  for (const auto& f : r.features) EXPECT_EQ(f.state, CheckState::ok) << f.feature;
}

TEST(DoctorSummary, WithoutSchedInfoSchedSwitchTimesTheThreads) {
  auto r = all_ok();
  set_state(r, "sched_info", CheckState::fallback);
  summarize(r);
  EXPECT_TRUE(r.attach_works);
  EXPECT_EQ(feature(r, "loop stalls and scheduler time").how, "sched_switch via tp_btf");
  set_state(r, "sched_switch", CheckState::fatal);
  summarize(r);
  EXPECT_FALSE(r.attach_works);
}

TEST(DoctorSummary, RawTracepointsAreAFallbackNotAFailure) {
  auto r = all_ok();
  set_state(r, "tp_btf", CheckState::fallback);
  summarize(r);
  EXPECT_TRUE(r.attach_works);
  EXPECT_EQ(feature(r, "syscall accounting").state, CheckState::fallback);
  EXPECT_EQ(feature(r, "loop stalls and scheduler time").how, "sched_switch via raw_tp");
}

TEST(DoctorSummary, LostFeaturesDoNotStopAttach) {
  auto r = all_ok();
  set_state(r, "io_uring", CheckState::fallback);
  set_state(r, "uprobes", CheckState::fallback);
  summarize(r);
  EXPECT_TRUE(r.attach_works);
  EXPECT_EQ(feature(r, "io_uring SQE/CQE/io-wq counts").state, CheckState::fallback);
  EXPECT_EQ(feature(r, "synchronous DNS on loops").how, "not detected (no uprobes)");
}

TEST(DoctorSummary, WithoutSchedInfoWakeupsAreTimed) {
  auto r = all_ok();
  set_state(r, "sched_info", CheckState::fallback);
  summarize(r);
  EXPECT_TRUE(r.attach_works);
  EXPECT_EQ(feature(r, "blocked/preempted split").state, CheckState::fallback);
  EXPECT_EQ(feature(r, "blocked/preempted split").how, "sched_wakeup timing (costs every wakeup)");
}

TEST(DoctorSummary, AttachNeedsPrivilegesBtfATracepointAndTheRingBuffer) {
  for (const char* id : {"privileges", "btf", "sched_switch", "ringbuf"}) {
    auto r = all_ok();
    set_state(r, "sched_info", CheckState::fallback);  // else sched_switch is not needed
    set_state(r, id, CheckState::fatal);
    summarize(r);
    EXPECT_FALSE(r.attach_works) << id;
  }
  auto r = all_ok();
  set_state(r, "tp_btf", CheckState::fallback);
  set_state(r, "raw_tp", CheckState::fatal);
  summarize(r);
  EXPECT_FALSE(r.attach_works);
  EXPECT_EQ(feature(r, "syscall accounting").state, CheckState::fatal);
}

}  // namespace
}  // namespace iotrace::probes
