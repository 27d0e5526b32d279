// Finding rules on synthetic captures: each trigger next to a close variant that must not fire.
#include "src/findings/findings.hpp"

#include <gtest/gtest.h>

#include <set>
#include <stdexcept>

#include "capture_builder.hpp"
#include "src/output/report.hpp"

namespace iotrace {
namespace {

using test::CaptureBuilder;
using test::k_ms;

std::vector<std::string> ids(const ProcessReport& p) {
  std::vector<std::string> out;
  for (const auto& f : p.findings) out.push_back(f.id);
  return out;
}

const Finding& only(const ProcessReport& p, std::string_view id) {
  for (const auto& f : p.findings)
    if (f.id == id) return f;
  throw std::runtime_error("no finding " + std::string(id));
}

using Ids = std::vector<std::string>;

TEST(FindingRegistry, IdsAreUniqueKebabCaseWithAdvice) {
  std::set<std::string_view> seen;
  for (const auto& d : finding_registry()) {
    EXPECT_TRUE(seen.insert(d.id).second) << d.id;
    for (char ch : d.id) EXPECT_TRUE((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '-') << d.id;
    EXPECT_FALSE(d.title.empty()) << d.id;
    EXPECT_FALSE(d.advice.empty()) << d.id;
    EXPECT_EQ(finding_def(d.id), &d);
  }
  EXPECT_EQ(finding_def("no-such-finding"), nullptr);
  EXPECT_EQ(finding_def("busy-poll")->severity, Severity::high);
  EXPECT_EQ(severity_name(Severity::info), "info");
  EXPECT_EQ(severity_name(Severity::low), "low");
  EXPECT_EQ(severity_name(Severity::medium), "medium");
  EXPECT_EQ(severity_name(Severity::high), "high");
}

TEST(Findings, HealthyEpollLoopHasNone) {
  CaptureBuilder b;
  b.process(100, "srv");
  test::epoll_loop(b, 100, 101, 100, 64);
  EXPECT_EQ(ids(b.report().processes[0]), Ids{});
}

TEST(Findings, SelectWithAnFdAboveSetsize) {
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
  const auto& p = rep.processes[0];
  EXPECT_EQ(ids(p), (Ids{"select-fd-over-setsize", "scan-waste"}));
  const Finding& f = only(p, "select-fd-over-setsize");
  EXPECT_EQ(f.severity, Severity::high);
  EXPECT_EQ(f.tid, 201u);
  EXPECT_EQ(f.thread, "sel");
  EXPECT_EQ(f.syscall, "select");
  EXPECT_EQ(f.count, 50u);
  EXPECT_EQ(f.evidence, "select was called with nfds up to 1500 (an fd of 1499 or more) on thread 201");
  EXPECT_EQ(only(p, "scan-waste").evidence,
            "50 calls to select passed 1500 fds each and got 1.0 ready: the kernel scanned 1500x "
            "more fds than were ready; epoll would return only the ready ones");
}

TEST(Findings, SelectBelowSetsizeIsFine) {
  CaptureBuilder b;
  b.process(200, "sel");
  auto& t = b.thread(200, 201, "sel");
  t.loop = true;
  t.select_max_nfds = 1024;  // highest fd 1023: the last one fd_set holds
  auto& s = b.row(201, "select", 50);
  s.arg_sum = 50 * 20;
  s.arg_max = 1024;
  s.ret_sum = 50 * 5;
  EXPECT_EQ(ids(b.report().processes[0]), Ids{});
}

void poll_loop(CaptureBuilder& b, uint64_t nfds, uint64_t ready) {
  b.process(300, "poller");
  b.thread(300, 301, "poller").loop = true;
  auto& p = b.row(301, "poll", 100);
  p.arg_sum = 100 * nfds;
  p.arg_max = nfds;
  p.ret_sum = 100 * ready;
  auto& r = b.row(301, "read", 100 * ready, FdKind::tcp);
  r.nonblock = true;
  r.bytes = 100 * ready * 1024;
}

TEST(Findings, PollScanningTwoThousandFdsForTwoReady) {
  CaptureBuilder b;
  poll_loop(b, 2000, 2);
  Report rep = b.report();
  const auto& p = rep.processes[0];
  EXPECT_EQ(ids(p), Ids{"scan-waste"});
  const Finding& f = only(p, "scan-waste");
  EXPECT_EQ(f.severity, Severity::medium);
  EXPECT_EQ(f.syscall, "poll");
  EXPECT_EQ(f.count, 100u);
  EXPECT_EQ(f.evidence,
            "100 calls to poll passed 2000 fds each and got 2.0 ready: the kernel scanned 1000x "
            "more fds than were ready; epoll would return only the ready ones");
  EXPECT_EQ(f.advice, "epoll returns only ready fds: O(ready) instead of O(watched) per wait");
}

TEST(Findings, PollWithTenFdsIsNotScanWaste) {
  CaptureBuilder b;
  poll_loop(b, 10, 2);
  EXPECT_EQ(ids(b.report().processes[0]), Ids{});
}

void uring_loop(CaptureBuilder& b, uint64_t enters, uint64_t per_enter) {
  b.process(400, "ring");
  auto& t = b.thread(400, 401, "ring");
  t.loop = true;
  t.uring.sqes = t.uring.cqes = enters * per_enter;
  t.uring.enter_getevents = enters;
  auto& e = b.row(401, "io_uring_enter", enters, FdKind::io_uring);
  e.arg_sum = e.ret_sum = enters * per_enter;
}

TEST(Findings, IoUringOneSqePerEnterIsUnbatched) {
  CaptureBuilder b;
  uring_loop(b, 1000, 1);
  Report rep = b.report();
  EXPECT_EQ(ids(rep.processes[0]), Ids{"uring-unbatched"});
  const Finding& f = only(rep.processes[0], "uring-unbatched");
  EXPECT_EQ(f.count, 1000u);
  EXPECT_EQ(f.syscall, "io_uring_enter");
  EXPECT_EQ(f.evidence, "1000 io_uring_enter calls submitted 1000 SQEs (1.00 per enter) on thread 401");
}

TEST(Findings, IoUringThirtyTwoSqesPerEnterIsBatched) {
  CaptureBuilder b;
  uring_loop(b, 100, 32);
  EXPECT_EQ(ids(b.report().processes[0]), Ids{});
}

TEST(Findings, IoUringPuntsAndOverflowsAreJudgedPerProcess) {
  CaptureBuilder b;
  uring_loop(b, 100, 32);
  auto& w = b.thread(400, 402, "iou-wrk-401");
  w.io_worker = true;
  w.uring.punts = 800;
  w.uring.overflows = 3;
  Report rep = b.report();
  const auto& p = rep.processes[0];
  EXPECT_EQ(ids(p), (Ids{"uring-cq-overflow", "uring-iowq-punts"}));
  EXPECT_EQ(only(p, "uring-iowq-punts").evidence,
            "800 of 3200 io_uring requests (25%) were punted to io-wq workers");
  EXPECT_EQ(only(p, "uring-iowq-punts").tid, 0u);
  EXPECT_EQ(only(p, "uring-cq-overflow").evidence, "3 completions overflowed the CQ ring");
}

// A kernel whose submission tracepoint iotrace cannot use gives punts but no SQEs: no "N of 0".
TEST(Findings, IoUringCountsTheKernelCouldNotGiveFireNothing) {
  CaptureBuilder b;
  uring_loop(b, 1000, 1);
  for (auto& t : b.capture().threads) t.uring.sqes = 0;
  auto& w = b.thread(400, 402, "iou-wrk-401");
  w.io_worker = true;
  w.uring.punts = 494;
  b.capture().unavailable = {"uring_sqes"};
  Report rep = b.report();
  EXPECT_EQ(ids(rep.processes[0]), Ids{});
  for (const auto& m : rep.processes[0].metrics.values) EXPECT_NE(m.id, "sqes_per_enter");
}

// Punts while no submission was seen (a submitter outside the trace) make no share either.
TEST(Findings, IoUringPuntsWithoutSubmissionsMakeNoShare) {
  CaptureBuilder b;
  b.process(400, "uring");
  b.thread(400, 402, "iou-wrk-401").uring.punts = 50;
  EXPECT_EQ(ids(b.report().processes[0]), Ids{});
}

TEST(Findings, BusyPollWithNoWaitCall) {
  CaptureBuilder b;
  b.process(500, "spin");
  b.thread(500, 501, "spin").oncpu_ns = 9 * test::k_s;
  auto& r = b.row(501, "read", 10000, FdKind::tcp, 500);
  r.nonblock = true;
  r.err_eagain = 9900;
  r.bytes = 100 * 8192;
  Report rep = b.report();
  EXPECT_EQ(ids(rep.processes[0]), Ids{"busy-poll"});
  const Finding& f = only(rep.processes[0], "busy-poll");
  EXPECT_EQ(f.severity, Severity::high);
  EXPECT_EQ(f.count, 9900u);
  EXPECT_EQ(f.evidence,
            "thread 501 made 10000 reads/writes/accepts, 9900 (99%) returned EAGAIN, with no wait "
            "call; 9.00s on CPU");
}

TEST(Findings, HealthyLoopWithSomeEagainIsNotBusyPoll) {
  CaptureBuilder b;
  b.process(500, "srv");
  test::epoll_loop(b, 500, 501, 100, 10);
  auto& r = b.row(501, "read", 100, FdKind::tcp);
  r.nonblock = true;
  r.err_eagain = 100;  // each wake-up read until EAGAIN once: 100 of 1100
  EXPECT_EQ(ids(b.report().processes[0]), Ids{});
}

TEST(Findings, EagainWasteOnALoop) {
  CaptureBuilder b;
  b.process(500, "srv");
  test::epoll_loop(b, 500, 501, 100, 2);  // 200 reads
  auto& r = b.row(501, "read", 300, FdKind::tcp);
  r.nonblock = true;
  r.err_eagain = 300;
  Report rep = b.report();
  EXPECT_EQ(ids(rep.processes[0]), Ids{"eagain-waste"});
  EXPECT_EQ(only(rep.processes[0], "eagain-waste").evidence,
            "60% of reads/writes on thread 501 returned EAGAIN (300 of 500)");
}

TEST(Findings, EpollCtlChurn) {
  CaptureBuilder b;
  b.process(500, "srv");
  test::epoll_loop(b, 500, 501, 1000, 2);  // 2000 events
  b.row(501, "epoll_ctl", 2000, FdKind::epoll);
  Report rep = b.report();
  EXPECT_EQ(ids(rep.processes[0]), Ids{"epoll-ctl-churn"});
  EXPECT_EQ(only(rep.processes[0], "epoll-ctl-churn").evidence,
            "2000 epoll_ctl calls for 2000 events (1.00 per event) on thread 501");
}

TEST(Findings, EpollCtlOncePerConnectionIsNotChurn) {
  CaptureBuilder b;
  b.process(500, "srv");
  test::epoll_loop(b, 500, 501, 1000, 2);
  b.row(501, "epoll_ctl", 150, FdKind::epoll);
  EXPECT_EQ(ids(b.report().processes[0]), Ids{});
}

TEST(Findings, TinyReadsBelowSixtyFourBytes) {
  CaptureBuilder b;
  b.process(500, "srv");
  test::epoll_loop(b, 500, 501, 1000, 1);  // 1000 reads of 512 bytes
  auto& r = b.row(501, "recvfrom", 9000, FdKind::tcp);
  r.nonblock = true;
  r.bytes = 9000 * 8;
  Report rep = b.report();
  EXPECT_EQ(ids(rep.processes[0]), Ids{"tiny-reads"});
  EXPECT_EQ(only(rep.processes[0], "tiny-reads").evidence,
            "10000 socket reads on thread 501 moved 58.4 bytes each on average");
}

TEST(Findings, AioSubmitThatBlocked) {
  CaptureBuilder b;
  b.process(600, "aio");
  b.thread(600, 601, "aio").loop = true;
  b.row(601, "io_submit", 20, FdKind::none, 250000).ret_sum = 20;
  b.row(601, "io_getevents", 20).ret_sum = 20;
  Report rep = b.report();
  EXPECT_EQ(ids(rep.processes[0]), Ids{"aio-submit-blocked"});
  const Finding& f = only(rep.processes[0], "aio-submit-blocked");
  EXPECT_EQ(f.total_ns, 5 * k_ms);
  EXPECT_EQ(f.evidence,
            "20 io_submit calls took 250us each on average on thread 601, while its 20 io_getevents "
            "calls took 1.00us each: the I/O ran inside the submit");
}

TEST(Findings, AioSubmitThatWasQuick) {
  CaptureBuilder b;
  b.process(600, "aio");
  b.thread(600, 601, "aio").loop = true;
  b.row(601, "io_submit", 20, FdKind::none, 20000).ret_sum = 20;
  b.row(601, "io_getevents", 20).ret_sum = 20;
  EXPECT_EQ(ids(b.report().processes[0]), Ids{});
}

void blocking_server(CaptureBuilder& b, uint32_t threads) {
  auto& p = b.process(700, "tpc");
  p.sockets_open = threads + 1;
  for (uint32_t i = 0; i < threads; ++i) {
    auto& t = b.thread(700, 701 + i, "conn");
    t.vol_switches = 100;
    b.row(701 + i, "read", 100, FdKind::tcp).bytes = 100 * 512;
  }
}

TEST(Findings, ThreadPerConnectionAtScale) {
  CaptureBuilder b;
  blocking_server(b, 200);
  Report rep = b.report();
  ASSERT_EQ(rep.processes[0].model.model, "blocking");
  EXPECT_EQ(ids(rep.processes[0]), Ids{"thread-per-connection-scale"});
  const Finding& f = only(rep.processes[0], "thread-per-connection-scale");
  EXPECT_EQ(f.count, 200u);
  EXPECT_EQ(f.evidence,
            "200 threads did blocking I/O, up to 200 at once; each reserves 8.0MiB of stack (1.6GiB "
            "at the peak), and the process made 1.0 context switches per operation");
}

TEST(Findings, ThreadPerConnectionAtSmallScale) {
  CaptureBuilder b;
  blocking_server(b, 20);
  EXPECT_EQ(ids(b.report().processes[0]), Ids{});
}

// One event loop with a flagged call of the given sleep/runq split (50ms in total).
Report flagged_report(FlagKind kind, uint64_t sleep_ns, uint64_t runq_ns) {
  CaptureBuilder b;
  b.process(800, "srv");
  test::epoll_loop(b, 800, 801, 100, 4);
  b.row(801, "fsync", 1, FdKind::regular, 50 * k_ms);
  auto& f = b.flagged(801, "fsync", FdKind::regular, kind);
  f.count = 1;
  f.total_ns = f.max_ns = 50 * k_ms;
  f.sleep_ns = sleep_ns;
  f.runq_ns = runq_ns;
  f.hist.slots[log2_slot(50 * k_ms)] = 1;
  f.stack.frames = {{0x401234, "srv", 0x1234, "flush_log", 0x34},
                    {0x401000, "srv", 0x1000, "main", 0x20}};
  return b.report();
}

TEST(Findings, FlaggedCallThatSleptIsBlockingOnTheLoop) {
  Report rep = flagged_report(FlagKind::slow, 45 * k_ms, 1 * k_ms);
  const auto& p = rep.processes[0];
  EXPECT_EQ(ids(p), Ids{"blocking-call-on-loop"});
  const Finding& f = p.findings[0];
  // one 50 ms stop in the trace: worth fixing, not an alarm (severity follows the cost)
  EXPECT_EQ(f.severity, Severity::medium);
  EXPECT_EQ(f.tid, 801u);
  EXPECT_EQ(f.thread, "loop");
  EXPECT_EQ(f.syscall, "fsync");
  EXPECT_EQ(f.fd_kind, FdKind::regular);
  EXPECT_EQ(f.count, 1u);
  EXPECT_EQ(f.total_ns, 50 * k_ms);
  EXPECT_EQ(f.max_ns, 50 * k_ms);
  EXPECT_EQ(f.p50_ns, 50 * k_ms);  // clamped to the maximum
  EXPECT_EQ(f.sleep_ns, 45 * k_ms);
  EXPECT_EQ(f.runq_ns, 1 * k_ms);
  EXPECT_EQ(f.evidence,
            "fsync on a regular fd ran 1 times on event-loop thread 801 (loop): 50.0ms in total "
            "(0.50% of the loop's time), max 50.0ms; asleep 45.0ms, waiting for CPU 1.00ms");
  EXPECT_EQ(f.advice,
            "move the call off the loop: a worker pool, or an asynchronous API for it. C/C++: hand "
            "it to a thread pool, or submit it through io_uring");
  ASSERT_EQ(f.stack.frames.size(), 2u);
  EXPECT_EQ(f.stack.frames[0].symbol, "flush_log");
}

TEST(Findings, FlaggedCallThatWaitedForCpuIsPreemption) {
  Report rep = flagged_report(FlagKind::slow, 1 * k_ms, 40 * k_ms);
  const auto& p = rep.processes[0];
  EXPECT_EQ(ids(p), Ids{"preempted-on-loop"});
  EXPECT_EQ(p.findings[0].severity, Severity::info);
  // Not the call's fault: the advice is about CPU, without the runtime-specific fix.
  EXPECT_EQ(p.findings[0].advice,
            "not the call's fault: the machine is short of CPU; check load, CPU limits and pinning");
}

TEST(Findings, FlaggedCallOnCpuIsSlow) {
  Report rep = flagged_report(FlagKind::slow, 5 * k_ms, 5 * k_ms);
  EXPECT_EQ(ids(rep.processes[0]), Ids{"slow-call-on-loop"});
}

TEST(Findings, FastCallThatCanBlockIsARisk) {
  Report rep = flagged_report(FlagKind::risk, 45 * k_ms, 0);
  EXPECT_EQ(ids(rep.processes[0]), Ids{"blocking-risk-on-loop"});
}

TEST(Findings, RuntimeSpecificAdvice) {
  CaptureBuilder b;
  auto& pr = b.process(800, "node");
  pr.exe = "/usr/bin/node";
  test::epoll_loop(b, 800, 801, 100, 4);
  auto& f = b.flagged(801, "fsync", FdKind::regular, FlagKind::slow);
  f.count = 1;
  f.total_ns = f.max_ns = f.sleep_ns = 50 * k_ms;
  Report rep = b.report();
  ASSERT_EQ(ids(rep.processes[0]), Ids{"blocking-call-on-loop"});
  EXPECT_EQ(rep.processes[0].findings[0].advice,
            "move the call off the loop: a worker pool, or an asynchronous API for it. Node.js: use "
            "the fs/dns promise APIs (they run on libuv's pool) or worker_threads");
}

TEST(Findings, SitesWithTheSameSymbolizedStackAreMerged) {
  CaptureBuilder b;
  b.process(800, "srv");
  test::epoll_loop(b, 800, 801, 100, 4);
  for (uint64_t addr : {0x7ffd0001u, 0x7ffd0002u}) {
    auto& f = b.flagged(801, "fsync", FdKind::regular, FlagKind::slow);
    f.count = 2;
    f.total_ns = 20 * k_ms;
    f.max_ns = 12 * k_ms;
    f.sleep_ns = 18 * k_ms;
    f.hist.slots[23] = 2;
    // Same function and offset, different raw address past the unwinder's reach.
    f.stack.frames = {{0x401234, "srv", 0x1234, "flush_log", 0x34}, {addr, "[unknown]", 0, "", 0}};
  }
  auto& other = b.flagged(801, "fsync", FdKind::regular, FlagKind::slow);
  other.count = 1;
  other.total_ns = other.max_ns = other.sleep_ns = 5 * k_ms;
  other.stack.frames = {{0x401300, "srv", 0x1300, "other_site", 0x10}};
  Report rep = b.report();
  const auto& p = rep.processes[0];
  EXPECT_EQ(ids(p), (Ids{"blocking-call-on-loop", "blocking-call-on-loop"}));
  EXPECT_EQ(p.findings[0].count, 4u);
  EXPECT_EQ(p.findings[0].total_ns, 40 * k_ms);
  EXPECT_EQ(p.findings[0].sleep_ns, 36 * k_ms);
  EXPECT_EQ(p.findings[0].stack.frames[0].symbol, "flush_log");
  EXPECT_EQ(p.findings[1].stack.frames[0].symbol, "other_site");
}

TEST(Findings, FlaggedCallsOfOtherProcessesAreIgnored) {
  CaptureBuilder b;
  b.process(800, "srv");
  b.process(900, "other");
  test::epoll_loop(b, 800, 801, 100, 4);
  test::epoll_loop(b, 900, 901, 100, 4);
  auto& f = b.flagged(901, "fsync", FdKind::regular, FlagKind::slow);
  f.count = 1;
  f.total_ns = f.sleep_ns = 50 * k_ms;
  Report rep = b.report();
  EXPECT_EQ(ids(rep.processes[0]), Ids{});
  EXPECT_EQ(ids(rep.processes[1]), Ids{"blocking-call-on-loop"});
}

ThreadRecord& thread(CaptureBuilder& b, uint32_t tid) {
  for (auto& t : b.capture().threads)
    if (t.tid == tid) return t;
  throw std::runtime_error("no thread");
}

// The kernel counts every stall; events with details can be lost (ring buffer full).
TEST(Findings, StallsCountedWithoutDetailsAreSaid) {
  CaptureBuilder b;
  b.process(800, "srv");
  test::epoll_loop(b, 800, 801, 100, 4);
  thread(b, 801).stalls = 5;
  b.capture().losses.ringbuf = 3;
  Stall s;
  s.tid = 801;
  s.dur_ns = 40 * k_ms;
  s.sleep_ns = 34 * k_ms;
  s.cpu_ns = 5 * k_ms;
  b.capture().stalls = {s, s};
  Report rep = b.report();
  const auto& p = rep.processes[0];
  ASSERT_EQ(ids(p), Ids{"loop-stall"});
  EXPECT_EQ(p.findings[0].count, 2u);
  EXPECT_NE(p.findings[0].evidence.find("; 3 more stalls on this thread were counted without "
                                        "details (ring buffer full: see losses)"),
            std::string::npos)
      << p.findings[0].evidence;
}

// Without a ring-buffer loss, a kernel count ahead of the events is events still in flight
// when a live capture was read: nothing to say.
TEST(Findings, StallCountAheadOfEventsWithoutALossIsNotALoss) {
  CaptureBuilder b;
  b.process(800, "srv");
  test::epoll_loop(b, 800, 801, 100, 4);
  thread(b, 801).stalls = 3;
  Stall s;
  s.tid = 801;
  s.dur_ns = 40 * k_ms;
  s.sleep_ns = 34 * k_ms;
  s.cpu_ns = 5 * k_ms;
  b.capture().stalls = {s};
  Report rep = b.report();
  const auto& p = rep.processes[0];
  ASSERT_EQ(ids(p), Ids{"loop-stall"});
  EXPECT_EQ(p.findings[0].evidence.find("without details"), std::string::npos);
  thread(b, 801).stalls = 0;
  b.capture().stalls.clear();
  thread(b, 801).stalls = 2;
  EXPECT_EQ(ids(b.report().processes[0]), Ids{}) << "no events, no losses: no finding";
}

TEST(Findings, StallsWhoseDetailsWereAllLostStillMakeAFinding) {
  CaptureBuilder b;
  b.process(800, "srv");
  test::epoll_loop(b, 800, 801, 100, 4);
  thread(b, 801).stalls = 7;
  b.capture().losses.ringbuf = 7;
  Report rep = b.report();
  const auto& p = rep.processes[0];
  ASSERT_EQ(ids(p), Ids{"loop-stall"});
  EXPECT_EQ(p.findings[0].count, 7u);
  EXPECT_EQ(p.findings[0].evidence,
            "7 iterations of the loop on thread 801 (loop) took longer than 20.0ms; their details "
            "were lost (ring buffer full: see losses)");
}

TEST(Findings, StallsSplitByWhatTheLoopDid) {
  CaptureBuilder b;
  b.process(800, "srv");
  test::epoll_loop(b, 800, 801, 100, 4);
  Capture& c = b.capture();
  Stall s;
  s.tid = 801;
  s.dur_ns = 40 * k_ms;
  s.sys_ns = 35 * k_ms;
  s.sleep_ns = 34 * k_ms;
  s.cpu_ns = 5 * k_ms;
  s.max_nr = test::nr_of("fsync");
  c.stalls.push_back(s);
  s.dur_ns = 30 * k_ms;
  s.sys_ns = 0;
  s.sleep_ns = 0;
  s.cpu_ns = 29 * k_ms;
  s.max_nr = -1;
  c.stalls.push_back(s);
  Report rep = b.report();
  const auto& p = rep.processes[0];
  EXPECT_EQ(ids(p), (Ids{"loop-stall", "cpu-stall"}));
  EXPECT_EQ(p.findings[0].syscall, "fsync");
  EXPECT_EQ(p.findings[0].evidence,
            "1 iterations of the loop on thread 801 (loop) took longer than 20.0ms (max 40.0ms): "
            "35.0ms in syscalls, 34.0ms asleep, 0ns waiting for CPU, 5.00ms on CPU; the longest "
            "call was fsync");
  EXPECT_EQ(p.findings[1].syscall, "");
  EXPECT_EQ(p.findings[1].evidence,
            "1 iterations of the loop on thread 801 (loop) took longer than 20.0ms (max 30.0ms): "
            "0ns in syscalls, 0ns asleep, 0ns waiting for CPU, 29.0ms on CPU");
}

TEST(Findings, OrderedBySeverityThenImpact) {
  CaptureBuilder b;
  b.process(800, "srv");
  test::epoll_loop(b, 800, 801, 1000, 2);
  b.row(801, "epoll_ctl", 2000, FdKind::epoll);  // low
  for (uint64_t total : {10 * k_ms, 30 * k_ms}) {  // two high ones, different impact
    auto& f = b.flagged(801, total == 10 * k_ms ? "fsync" : "fdatasync", FdKind::regular,
                        FlagKind::slow);
    f.count = 1;
    f.total_ns = f.sleep_ns = total;
  }
  auto& r = b.flagged(801, "openat", FdKind::none, FlagKind::risk);  // low, with time
  r.count = 5;
  r.total_ns = r.sleep_ns = 1 * k_ms;
  Report rep = b.report();
  EXPECT_EQ(ids(rep.processes[0]), (Ids{"blocking-call-on-loop", "blocking-call-on-loop",
                                        "blocking-risk-on-loop", "epoll-ctl-churn"}));
  EXPECT_EQ(rep.processes[0].findings[0].syscall, "fdatasync");
  EXPECT_EQ(rep.processes[0].findings[1].syscall, "fsync");
}

}  // namespace
}  // namespace iotrace

// Go's netpoller runs on whichever thread is idle: its futex waits and sleeps are the
// scheduler's, not stalls of a loop.
TEST(Findings, GoProcessesGetNoLoopFindings) {
  iotrace::Capture c;
  c.settings.block_ns = 5000000;
  c.settings.stall_ns = 20000000;
  iotrace::ProcessRecord p;
  p.pid = 10;
  p.go_binary = true;
  c.processes.push_back(p);
  iotrace::ThreadRecord t;
  t.tid = 10;
  t.pid = 10;
  t.loop = true;
  c.threads.push_back(t);
  iotrace::FlaggedCall f;
  f.tid = 10;
  f.nr = 230;  // clock_nanosleep
  f.kind = iotrace::FlagKind::slow;
  f.count = 3;
  f.total_ns = f.max_ns = f.sleep_ns = 30000000;
  c.flagged.push_back(f);
  iotrace::Stall s;
  s.tid = 10;
  s.dur_ns = s.sleep_ns = 40000000;
  c.stalls.push_back(s);
  auto rep = iotrace::build_report(c);
  ASSERT_EQ(rep.processes.size(), 1u);
  EXPECT_TRUE(rep.processes[0].findings.empty());
  // the same capture from a non-Go program has both findings
  c.processes[0].go_binary = false;
  rep = iotrace::build_report(c);
  std::set<std::string> ids;
  for (const auto& x : rep.processes[0].findings) ids.insert(x.id);
  EXPECT_TRUE(ids.count("blocking-call-on-loop"));
  EXPECT_TRUE(ids.count("loop-stall"));
}
