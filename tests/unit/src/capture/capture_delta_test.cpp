// capture_delta: what happened between two captures of one trace.
#include "src/capture/capture_delta.hpp"

#include <gtest/gtest.h>

#include "src/capture/syscall_table.hpp"

namespace iotrace {
namespace {

constexpr uint64_t k_ms = 1000000;
constexpr uint64_t k_s = 1000000000;

SyscallRow make_row(uint32_t tid, const char* name, uint64_t calls, uint64_t each_ns) {
  SyscallRow r;
  r.tid = tid;
  r.nr = *syscall_nr(name);
  r.fd_kind = FdKind::tcp;
  r.calls = calls;
  r.total_ns = calls * each_ns;
  r.max_ns = each_ns;
  r.bytes = calls * 100;
  r.hist.slots[log2_slot(each_ns)] = calls;
  return r;
}

Capture make_capture(uint64_t duration_ns) {
  Capture c;
  c.duration_ns = duration_ns;
  ProcessRecord p;
  p.pid = 10;
  p.comm = "srv";
  p.traced_ns = duration_ns;
  c.processes.push_back(p);
  ThreadRecord t;
  t.pid = 10;
  t.tid = 10;
  t.comm = "srv";
  c.threads.push_back(t);
  return c;
}

TEST(CaptureDelta, SubtractsCountersAndCutsTheDuration) {
  Capture a = make_capture(1 * k_s);
  a.syscalls.push_back(make_row(10, "read", 100, 1000));
  a.threads[0].oncpu_ns = 5 * k_ms;
  a.threads[0].vol_switches = 7;
  a.losses.ringbuf = 2;
  Capture b = make_capture(3 * k_s);
  b.syscalls.push_back(make_row(10, "read", 250, 1000));
  b.syscalls.push_back(make_row(10, "write", 5, 1000));
  b.threads[0].oncpu_ns = 9 * k_ms;
  b.threads[0].vol_switches = 10;
  b.losses.ringbuf = 5;

  Capture d = capture_delta(a, b);
  EXPECT_EQ(d.duration_ns, 2 * k_s);
  ASSERT_EQ(d.processes.size(), 1u);
  EXPECT_EQ(d.processes[0].traced_ns, 2 * k_s);
  ASSERT_EQ(d.syscalls.size(), 2u);
  EXPECT_EQ(d.syscalls[0].calls, 150u);
  EXPECT_EQ(d.syscalls[0].bytes, 15000u);
  EXPECT_EQ(d.syscalls[0].total_ns, 150000u);
  EXPECT_EQ(d.syscalls[0].hist.count(), 150u);
  EXPECT_EQ(d.syscalls[1].calls, 5u);  // new in the interval: whole
  ASSERT_EQ(d.threads.size(), 1u);
  EXPECT_EQ(d.threads[0].oncpu_ns, 4 * k_ms);
  EXPECT_EQ(d.threads[0].vol_switches, 3u);
  EXPECT_EQ(d.losses.ringbuf, 3u);
}

TEST(CaptureDelta, DropsRowsAndThreadsIdleInTheInterval) {
  Capture a = make_capture(1 * k_s);
  a.syscalls.push_back(make_row(10, "read", 100, 1000));
  a.threads[0].oncpu_ns = 5 * k_ms;
  Capture b = a;
  b.duration_ns = 2 * k_s;
  b.processes[0].traced_ns = 2 * k_s;
  Capture d = capture_delta(a, b);
  EXPECT_TRUE(d.syscalls.empty());
  EXPECT_TRUE(d.threads.empty());
  ASSERT_EQ(d.processes.size(), 1u);  // the process stays: it is still a target
}

TEST(CaptureDelta, MaximumIsExactWhenItGrewAndBoundedOtherwise) {
  Capture a = make_capture(1 * k_s);
  a.syscalls.push_back(make_row(10, "read", 10, 4 * k_ms));  // max 4ms, earlier
  Capture b = make_capture(2 * k_s);
  SyscallRow r = make_row(10, "read", 10, 4 * k_ms);
  r.calls += 5;
  r.hist.slots[log2_slot(1000)] += 5;  // five fast calls in the interval
  b.syscalls.push_back(r);
  Capture d = capture_delta(a, b);
  ASSERT_EQ(d.syscalls.size(), 1u);
  EXPECT_EQ(d.syscalls[0].calls, 5u);
  EXPECT_EQ(d.syscalls[0].max_ns, 1023u);  // top of the 512..1023 slot, not the old 4ms

  b.syscalls[0].max_ns = 9 * k_ms;  // a new maximum in the interval is exact
  b.syscalls[0].hist.slots[log2_slot(9 * k_ms)] += 1;
  b.syscalls[0].calls += 1;
  d = capture_delta(a, b);
  EXPECT_EQ(d.syscalls[0].max_ns, 9 * k_ms);
}

TEST(CaptureDelta, StallsAreThoseNotSeenBefore) {
  Capture a = make_capture(1 * k_s);
  Stall s1;
  s1.tid = 10;
  s1.start_ns = 100 * k_ms;
  s1.dur_ns = 30 * k_ms;
  a.stalls.push_back(s1);
  Capture b = make_capture(2 * k_s);
  b.stalls.push_back(s1);
  Stall s2 = s1;
  s2.start_ns = 1500 * k_ms;
  s2.dur_ns = 50 * k_ms;
  b.stalls.push_back(s2);
  b.threads[0].stalls = 2;
  a.threads[0].stalls = 1;
  Capture d = capture_delta(a, b);
  ASSERT_EQ(d.stalls.size(), 1u);
  EXPECT_EQ(d.stalls[0].dur_ns, 50 * k_ms);
  ASSERT_EQ(d.threads.size(), 1u);
  EXPECT_EQ(d.threads[0].stalls, 1u);
}

TEST(CaptureDelta, RecreatedThreadAndRowCountWhole) {
  Capture a = make_capture(1 * k_s);
  a.syscalls.push_back(make_row(10, "read", 100, 1000));
  a.threads[0].oncpu_ns = 50 * k_ms;
  Capture b = make_capture(2 * k_s);
  b.syscalls.push_back(make_row(10, "read", 30, 1000));  // fewer than before: a new row
  b.threads[0].oncpu_ns = 2 * k_ms;
  Capture d = capture_delta(a, b);
  ASSERT_EQ(d.syscalls.size(), 1u);
  EXPECT_EQ(d.syscalls[0].calls, 30u);
  ASSERT_EQ(d.threads.size(), 1u);
  EXPECT_EQ(d.threads[0].oncpu_ns, 2 * k_ms);
}

TEST(CaptureDelta, FlaggedCallsSubtractPerCallSite) {
  Capture a = make_capture(1 * k_s);
  FlaggedCall f;
  f.tid = 10;
  f.nr = *syscall_nr("fsync");
  f.fd_kind = FdKind::regular;
  f.count = 3;
  f.total_ns = 30 * k_ms;
  f.max_ns = 10 * k_ms;
  f.hist.slots[log2_slot(10 * k_ms)] = 3;
  f.stack.frames.push_back({0x1000, "srv", 0x1000, "flush", 0});
  a.flagged.push_back(f);
  Capture b = make_capture(2 * k_s);
  FlaggedCall g = f;
  g.count = 5;
  g.total_ns = 50 * k_ms;
  g.hist.slots[log2_slot(10 * k_ms)] = 5;
  b.flagged.push_back(g);
  FlaggedCall other = f;  // same call, another call site: new
  other.stack.frames[0].addr = 0x2000;
  b.flagged.push_back(other);
  Capture d = capture_delta(a, b);
  ASSERT_EQ(d.flagged.size(), 2u);
  EXPECT_EQ(d.flagged[0].count, 2u);
  EXPECT_EQ(d.flagged[0].total_ns, 20 * k_ms);
  EXPECT_EQ(d.flagged[1].count, 3u);
}

}  // namespace
}  // namespace iotrace
