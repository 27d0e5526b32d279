// Syscall-per-operation metrics on synthetic captures whose answers are known.
#include <gtest/gtest.h>

#include "capture_builder.hpp"
#include "src/findings/findings.hpp"
#include "src/output/report.hpp"

namespace iotrace {
namespace {

using test::CaptureBuilder;

std::vector<std::string> ids(const Metrics& m, uint32_t tid) {
  std::vector<std::string> out;
  for (const auto& v : m.values)
    if (v.tid == tid) out.push_back(v.id);
  return out;
}

TEST(Metrics, SixtyFourEventsPerEpollWait) {
  CaptureBuilder b;
  b.process(100, "srv");
  test::epoll_loop(b, 100, 101, 100, 64);
  Report rep = b.report();
  const Metrics& m = rep.processes[0].metrics;
  EXPECT_EQ(ids(m, 0), (std::vector<std::string>{"operations", "io_syscalls", "syscalls_per_op",
                                                 "events_per_wait", "empty_wait_share", "eagain_share",
                                                 "epoll_ctl_per_event", "bytes_per_read",
                                                 "switches_per_op"}));
  EXPECT_EQ(m.get("operations"), 6400);
  EXPECT_EQ(m.get("io_syscalls"), 6500);  // 100 waits + 6400 reads
  EXPECT_DOUBLE_EQ(m.get("syscalls_per_op"), 6500.0 / 6400.0);
  EXPECT_EQ(m.get("events_per_wait"), 64);
  EXPECT_EQ(m.get("empty_wait_share"), 0);
  EXPECT_EQ(m.get("eagain_share"), 0);
  EXPECT_EQ(m.get("bytes_per_read"), 512);
  // The event-loop thread gets the same metrics under its tid.
  EXPECT_EQ(ids(m, 101), ids(m, 0));
  EXPECT_EQ(m.get("events_per_wait", 101), 64);
  EXPECT_EQ(m.get("bytes_per_write"), -1);  // no writes: no ratio
  EXPECT_EQ(m.get("no_such_metric", 0, -7), -7);
}

TEST(Metrics, ProcessWideSumsAndPerThreadValues) {
  CaptureBuilder b;
  b.process(100, "srv");
  test::epoll_loop(b, 100, 101, 100, 10);
  test::epoll_loop(b, 100, 102, 100, 30);
  auto& zero = b.row(102, "epoll_wait", 0);
  zero.nr = test::nr_of("epoll_pwait");
  zero.calls = 50;
  zero.zero_ret = 50;  // 50 timeouts
  Report rep = b.report();
  const Metrics& m = rep.processes[0].metrics;
  EXPECT_EQ(m.get("events_per_wait"), 4000.0 / 250.0);
  EXPECT_EQ(m.get("events_per_wait", 101), 10);
  EXPECT_EQ(m.get("events_per_wait", 102), 20);  // 3000 events in 150 waits
  EXPECT_EQ(m.get("empty_wait_share", 102), 50.0 / 150.0);
  EXPECT_EQ(m.get("empty_wait_share"), 50.0 / 250.0);
}

TEST(Metrics, EagainShareAndWrites) {
  CaptureBuilder b;
  b.process(100, "srv");
  test::epoll_loop(b, 100, 101, 100, 9);  // 900 reads
  auto& r = b.row(101, "read", 100, FdKind::tcp);
  r.nonblock = true;
  r.err_eagain = 100;
  auto& w = b.row(101, "write", 300, FdKind::tcp);
  w.nonblock = true;
  w.bytes = 300 * 1000;
  auto& ctl = b.row(101, "epoll_ctl", 90, FdKind::epoll);
  (void)ctl;
  Report rep = b.report();
  const Metrics& m = rep.processes[0].metrics;
  EXPECT_EQ(m.get("operations"), 1200);
  EXPECT_EQ(m.get("io_syscalls"), 100 + 900 + 100 + 300 + 90);
  EXPECT_DOUBLE_EQ(m.get("eagain_share"), 100.0 / 1300.0);
  EXPECT_EQ(m.get("epoll_ctl_per_event"), 0.1);
  EXPECT_EQ(m.get("bytes_per_read"), 512);
  EXPECT_EQ(m.get("bytes_per_write"), 1000);
}

TEST(Metrics, SelectFdsPerCallAndHighestFd) {
  CaptureBuilder b;
  b.process(200, "sel");
  auto& t = b.thread(200, 201, "sel");
  t.loop = true;
  t.select_max_nfds = 1500;
  auto& s = b.row(201, "select", 50);
  s.arg_sum = 50 * 1500;
  s.arg_max = 1500;
  s.ret_sum = 50;
  Report rep = b.report();
  const Metrics& m = rep.processes[0].metrics;
  EXPECT_EQ(m.get("select_fds_per_call"), 1500);
  EXPECT_EQ(m.get("select_ready_per_call"), 1);
  EXPECT_EQ(m.get("select_max_nfds"), 1500);
  EXPECT_EQ(m.get("select_max_nfds", 201), 1500);
  EXPECT_EQ(m.get("poll_fds_per_call"), -1);
}

TEST(Metrics, PollFdsPerCall) {
  CaptureBuilder b;
  b.process(300, "poller");
  b.thread(300, 301, "poller").loop = true;
  auto& p = b.row(301, "poll", 100);
  p.arg_sum = 100 * 2000;
  p.arg_max = 2000;
  p.ret_sum = 200;
  Report rep = b.report();
  const Metrics& m = rep.processes[0].metrics;
  EXPECT_EQ(m.get("poll_fds_per_call"), 2000);
  EXPECT_EQ(m.get("poll_ready_per_call"), 2);
  EXPECT_EQ(m.get("select_max_nfds"), -1);
}

void uring_thread(CaptureBuilder& b, uint32_t pid, uint32_t tid, uint64_t enters,
                  uint64_t sqes_per_enter) {
  auto& t = b.thread(pid, tid, "ring");
  t.loop = true;
  t.uring.sqes = enters * sqes_per_enter;
  t.uring.cqes = enters * sqes_per_enter;
  t.uring.enter_getevents = enters;
  t.uring.rings = 1;
  auto& e = b.row(tid, "io_uring_enter", enters, FdKind::io_uring);
  e.arg_sum = enters * sqes_per_enter;
  e.ret_sum = enters * sqes_per_enter;
}

TEST(Metrics, IoUringOneSqePerEnter) {
  CaptureBuilder b;
  b.process(400, "ring");
  uring_thread(b, 400, 401, 1000, 1);
  Report rep = b.report();
  const Metrics& m = rep.processes[0].metrics;
  EXPECT_EQ(m.get("sqes_per_enter"), 1);
  EXPECT_EQ(m.get("cqes_per_enter"), 1);
  EXPECT_EQ(m.get("enters_per_op"), 1);
  EXPECT_EQ(m.get("operations"), 1000);
  EXPECT_EQ(m.get("uring_sqes"), 1000);
  EXPECT_EQ(m.get("sqes_per_enter", 401), 1);
}

TEST(Metrics, IoUringThirtyTwoSqesPerEnter) {
  CaptureBuilder b;
  b.process(400, "ring");
  uring_thread(b, 400, 401, 100, 32);
  Report rep = b.report();
  const Metrics& m = rep.processes[0].metrics;
  EXPECT_EQ(m.get("sqes_per_enter"), 32);
  EXPECT_EQ(m.get("cqes_per_enter"), 32);
  EXPECT_EQ(m.get("enters_per_op"), 100.0 / 3200.0);
  EXPECT_EQ(m.get("syscalls_per_op"), 100.0 / 3200.0);
  EXPECT_EQ(m.get("operations"), 3200);
}

TEST(Metrics, IoUringCountersOfKernelWorkersCountForTheProcess) {
  CaptureBuilder b;
  b.process(400, "ring");
  uring_thread(b, 400, 401, 100, 4);
  auto& w = b.thread(400, 402, "iou-wrk-401");
  w.io_worker = true;
  w.uring.punts = 40;
  w.uring.overflows = 2;
  Report rep = b.report();
  const Metrics& m = rep.processes[0].metrics;
  EXPECT_EQ(m.get("iowq_punts"), 40);
  EXPECT_EQ(m.get("cq_overflows"), 2);
  EXPECT_EQ(m.get("iowq_punts", 401), 0);
  EXPECT_EQ(m.get("iowq_punts", 402), -1);  // not an event-loop thread
}

TEST(Metrics, LinuxAioIocbsPerSubmit) {
  CaptureBuilder b;
  b.process(500, "aio");
  b.thread(500, 501, "aio").loop = true;
  auto& s = b.row(501, "io_submit", 50, FdKind::none, 200000);
  s.arg_sum = 400;
  s.ret_sum = 400;
  auto& g = b.row(501, "io_getevents", 50);
  g.ret_sum = 400;
  Report rep = b.report();
  const Metrics& m = rep.processes[0].metrics;
  EXPECT_EQ(m.get("iocbs_per_submit"), 8);
  EXPECT_EQ(m.get("submit_ns_per_call"), 200000);
  EXPECT_EQ(m.get("operations"), 400);
  EXPECT_EQ(m.get("syscalls_per_op"), 100.0 / 400.0);
}

TEST(Metrics, ContextSwitchesPerOperation) {
  CaptureBuilder b;
  b.process(600, "tpc");
  for (uint32_t tid = 601; tid <= 604; ++tid) {
    auto& t = b.thread(600, tid, "worker");
    t.vol_switches = 150;
    t.invol_switches = 50;
    b.row(tid, "recvfrom", 100, FdKind::tcp).bytes = 100 * 64;
  }
  Report rep = b.report();
  const Metrics& m = rep.processes[0].metrics;
  EXPECT_EQ(m.get("operations"), 400);
  EXPECT_EQ(m.get("switches_per_op"), 2);
  EXPECT_EQ(m.get("bytes_per_read"), 64);
  EXPECT_EQ(ids(m, 601), std::vector<std::string>{});  // not event loops
}

TEST(Metrics, EmptyProcessHasOnlyCounts) {
  CaptureBuilder b;
  b.process(700, "quiet");
  Report rep = b.report();
  const Metrics& m = rep.processes[0].metrics;
  EXPECT_EQ(ids(m, 0), (std::vector<std::string>{"operations", "io_syscalls"}));
  EXPECT_EQ(m.get("operations"), 0);
  EXPECT_EQ(m.get("io_syscalls"), 0);
}

}  // namespace
}  // namespace iotrace
