#include "probes/tracer/timeline_recorder.hpp"

#include <gtest/gtest.h>

#include "bpf/iotrace_abi.h"

namespace iotrace::probes {
namespace {

constexpr uint64_t k_start = 5000000000ull;  // the trace's start on the kernel's clock

TEST(TimelineRecorder, DecodesEachKindRelativeToTheTraceStart) {
  TimelineRecorder rec(100, k_start);
  iot_tl_iter it{};
  it.it.hdr = {IOT_TL_ITER, sizeof(it)};
  it.it.tid = 11;
  it.it.tgid = 10;
  it.it.start_ns = k_start + 1000;
  it.it.dur_ns = 30000000;
  it.it.max_nr = 230;
  it.it.max_stack = 4;
  it.it.max_sys_ns = 29000000;
  it.it.sleep_ns = 28000000;
  it.wait_ret = 2;
  it.stall = 1;
  rec.add(&it, sizeof(it));
  iot_tl_call w{};
  w.hdr = {IOT_TL_WAIT, sizeof(w)};
  w.tid = 11;
  w.tgid = 10;
  w.start_ns = k_start - 10;  // began before the trace: clamped to its start
  w.dur_ns = 500;
  w.nr = 232;
  w.ret = 3;
  rec.add(&w, sizeof(w));
  iot_tl_call f = w;
  f.hdr.type = IOT_TL_FLAG;
  f.kind = IOT_FLAG_RISK;
  f.fd_kind = IOT_FD_REG;
  f.stack = 9;
  rec.add(&f, sizeof(f));
  iot_tl_tick t{};
  t.hdr = {IOT_TL_TICK, sizeof(t)};
  t.tid = 12;
  t.tgid = 10;
  t.start_ns = k_start + 100;
  t.dur_ns = 100000000;
  t.calls = 40;
  t.waits = 4;
  t.events = 6;
  rec.add(&t, sizeof(t));
  const auto& r = rec.log().records();
  ASSERT_EQ(r.size(), 4u);
  EXPECT_EQ(r[0].kind, TimelineKind::iteration);
  EXPECT_EQ(r[0].start_ns, 1000u);
  EXPECT_EQ(r[0].pid, 10u);
  EXPECT_EQ(r[0].nr, 230);
  EXPECT_EQ(r[0].stack_id, 4);
  EXPECT_EQ(r[0].ret, 2);
  EXPECT_TRUE(r[0].stall);
  EXPECT_EQ(r[1].kind, TimelineKind::wait);
  EXPECT_EQ(r[1].start_ns, 0u);
  EXPECT_EQ(r[1].ret, 3);
  EXPECT_EQ(r[2].kind, TimelineKind::flagged);
  EXPECT_EQ(r[2].flag, FlagKind::risk);
  EXPECT_EQ(r[2].fd_kind, FdKind::regular);
  EXPECT_EQ(r[2].stack_id, 9);
  EXPECT_EQ(r[3].kind, TimelineKind::tick);
  EXPECT_EQ(r[3].tid, 12u);
  EXPECT_EQ(r[3].calls, 40u);
  EXPECT_EQ(r[3].events, 6u);
}

TEST(TimelineRecorder, SkipsShortAndUnknownRecords) {
  TimelineRecorder rec(100, k_start);
  iot_tl_iter it{};
  it.it.hdr = {IOT_TL_ITER, sizeof(it)};
  rec.add(&it, sizeof(it) - 8);  // shorter than its kind
  iot_event_hdr other{99, sizeof(iot_event_hdr)};
  rec.add(&other, sizeof(other));
  rec.add(&other, 4);
  EXPECT_TRUE(rec.log().records().empty());
}

TEST(TimelineRecorder, LossesAreMarkedWhenTheKernelsCountGrows) {
  TimelineRecorder rec(100, k_start);
  rec.note_lost(0, k_start + 100);
  rec.note_lost(7, k_start + 200);
  rec.note_lost(7, k_start + 300);  // nothing new since the last poll
  rec.note_lost(10, k_start + 400);
  const auto& l = rec.log().losses();
  ASSERT_EQ(l.size(), 2u);
  EXPECT_EQ(l[0].at_ns, 200u);
  EXPECT_EQ(l[0].count, 7u);
  EXPECT_EQ(l[1].at_ns, 400u);
  EXPECT_EQ(l[1].count, 3u);
  EXPECT_EQ(rec.log().lost(), 10u);
}

}  // namespace
}  // namespace iotrace::probes
