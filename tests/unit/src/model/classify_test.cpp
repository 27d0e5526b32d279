// The I/O model of synthetic processes, one per model, judged from the calls alone.
#include "src/model/classify.hpp"

#include <gtest/gtest.h>

#include "capture_builder.hpp"
#include "src/output/report.hpp"

namespace iotrace {
namespace {

using test::CaptureBuilder;
using test::k_ms;
using Strings = std::vector<std::string>;

constexpr int k_op_read = 22;  // IORING_OP_READ
constexpr int k_op_recv = 27;  // IORING_OP_RECV

const ThreadModel& thread_model(const ProcessReport& p, uint32_t tid) {
  for (const auto& t : p.model.threads)
    if (t.tid == tid) return t;
  throw std::runtime_error("no thread " + std::to_string(tid));
}

double evidence(const std::vector<Evidence>& ev, std::string_view name) {
  for (const auto& e : ev)
    if (e.name == name) return e.value;
  return -1;
}

void blocking_conn_thread(CaptureBuilder& b, uint32_t pid, uint32_t tid) {
  b.thread(pid, tid, "conn").vol_switches = 200;
  b.row(tid, "read", 100, FdKind::tcp).bytes = 100 * 512;
  b.row(tid, "write", 100, FdKind::tcp).bytes = 100 * 512;
}

TEST(Classify, BlockingThreadPerConnection) {
  CaptureBuilder b;
  b.process(100, "tpc");
  b.thread(100, 100, "tpc");
  b.row(100, "accept4", 3, FdKind::tcp);
  for (uint32_t tid = 101; tid <= 103; ++tid) blocking_conn_thread(b, 100, tid);
  Report rep = b.report();
  const ProcessModel& m = rep.processes[0].model;
  EXPECT_EQ(m.model, "blocking");
  EXPECT_EQ(m.parts, Strings{"blocking"});
  EXPECT_EQ(m.trigger, "");
  EXPECT_EQ(m.sentence,
            "4 threads do blocking I/O with no multiplexer (603 blocking socket waits), at most 4 "
            "threads alive at once: thread-per-connection. A thread's stack defaults to 8.0MiB (RLIMIT_STACK), so 10,000 "
            "connections would reserve 78.1GiB of address space; 1.0 context switches per operation");
  EXPECT_EQ(evidence(m.evidence, "blocking_socket_threads"), 4);
  const ThreadModel& t = thread_model(rep.processes[0], 101);
  EXPECT_EQ(t.model, "blocking");
  EXPECT_EQ(t.role, "blocking-io");
  EXPECT_EQ(t.sentence, "does blocking I/O with no multiplexer: 200 calls on blocking sockets");
}

TEST(Classify, BusyPoll) {
  CaptureBuilder b;
  b.process(200, "spin");
  b.thread(200, 201, "spin").oncpu_ns = 9 * test::k_s;
  auto& r = b.row(201, "recvfrom", 10000, FdKind::udp, 300);
  r.nonblock = true;
  r.err_eagain = 9000;
  r.bytes = 1000 * 512;
  Report rep = b.report();
  const ProcessModel& m = rep.processes[0].model;
  EXPECT_EQ(m.model, "busy-poll");
  EXPECT_EQ(m.parts, Strings{"busy-poll"});
  EXPECT_EQ(m.sentence, "1 thread polls non-blocking fds in a loop with no wait call");
  const ThreadModel& t = thread_model(rep.processes[0], 201);
  EXPECT_EQ(t.role, "event-loop");
  EXPECT_EQ(t.model, "busy-poll");
  EXPECT_EQ(t.sentence,
            "polls non-blocking fds with no wait call: 9000 of 10000 reads/writes/accepts returned "
            "EAGAIN (90%), burning 9.00s of CPU");
  EXPECT_DOUBLE_EQ(t.confidence, 0.95);
}

TEST(Classify, NonBlockingReadsWithFewEagainAreNotBusyPoll) {
  CaptureBuilder b;
  b.process(200, "srv");
  b.thread(200, 201, "srv");
  auto& r = b.row(201, "recvfrom", 1000, FdKind::udp);
  r.nonblock = true;
  r.err_eagain = 99;  // under the 100 EAGAIN floor
  Report rep = b.report();
  EXPECT_EQ(rep.processes[0].model.model, "unknown");
}

TEST(Classify, Select) {
  CaptureBuilder b;
  b.process(300, "sel");
  b.thread(300, 301, "sel").loop = true;
  auto& s = b.row(301, "select", 200);
  s.arg_sum = 200 * 40;
  s.ret_sum = 200 * 2;
  b.row(301, "read", 400, FdKind::tcp).nonblock = true;
  Report rep = b.report();
  const ProcessModel& m = rep.processes[0].model;
  EXPECT_EQ(m.model, "select");
  EXPECT_EQ(m.parts, Strings{"select"});
  EXPECT_DOUBLE_EQ(m.confidence, 1.0);
  const ThreadModel& t = thread_model(rep.processes[0], 301);
  EXPECT_EQ(t.role, "event-loop");
  EXPECT_EQ(t.sentence, "waits in select (200 select calls, 40 fds per call, 2.0 ready)");
}

TEST(Classify, PollViaPpoll) {
  CaptureBuilder b;
  b.process(300, "poller");
  b.thread(300, 301, "poller").loop = true;
  auto& p = b.row(301, "ppoll", 30);
  p.arg_sum = 30 * 8;
  p.arg_max = 8;
  p.ret_sum = 30;
  b.row(301, "read", 30, FdKind::tcp).nonblock = true;  // the connections the waits returned
  Report rep = b.report();
  EXPECT_EQ(rep.processes[0].model.model, "poll");
  EXPECT_EQ(thread_model(rep.processes[0], 301).sentence,
            "waits in poll (30 poll calls, 8 fds per call, 1.0 ready)");
  EXPECT_DOUBLE_EQ(thread_model(rep.processes[0], 301).confidence, 0.8);
}

// An epoll loop whose thread registered fds with the given modes while traced.
Report epoll_report(uint64_t edge, uint64_t level) {
  CaptureBuilder b;
  b.process(400, "srv");
  test::epoll_loop(b, 400, 401, 100, 8);
  auto& t = b.capture().threads.back();
  t.epoll.ctl_add = edge + level;
  t.epoll.edge = edge;
  t.epoll.level = level;
  t.epoll.fd_kinds[static_cast<int>(FdKind::tcp)] = edge + level;
  return b.report();
}

TEST(Classify, EpollLevelTriggered) {
  Report rep = epoll_report(0, 10);
  const ProcessModel& m = rep.processes[0].model;
  EXPECT_EQ(m.model, "epoll");
  EXPECT_EQ(m.parts, Strings{"epoll"});
  EXPECT_EQ(m.trigger, "level");
  EXPECT_EQ(m.interest_kinds, Strings{"tcp"});
  const ThreadModel& t = thread_model(rep.processes[0], 401);
  EXPECT_EQ(t.role, "event-loop");
  EXPECT_EQ(t.trigger, "level");
  EXPECT_EQ(t.sentence, "waits in epoll (100 epoll waits, 8.0 events per wait)");
  EXPECT_EQ(evidence(t.evidence, "events_per_wait"), 8);
}

TEST(Classify, EpollEdgeTriggered) {
  Report rep = epoll_report(10, 0);
  EXPECT_EQ(rep.processes[0].model.trigger, "edge");
  EXPECT_EQ(thread_model(rep.processes[0], 401).trigger, "edge");
}

TEST(Classify, EpollMixedTriggers) {
  Report rep = epoll_report(5, 10);
  EXPECT_EQ(rep.processes[0].model.model, "epoll");
  EXPECT_EQ(rep.processes[0].model.trigger, "mixed");
  EXPECT_EQ(thread_model(rep.processes[0], 401).trigger, "mixed");
}

TEST(Classify, EpollModesFromFdinfoAlone) {
  // Every registration was made before attach: only /proc/PID/fdinfo tells the modes.
  CaptureBuilder b;
  auto& p = b.process(400, "srv");
  p.epoll.push_back({3, {{4, 0x80000001u, 4, FdKind::tcp},         // EPOLLET | EPOLLIN
                         {5, 0xc0000001u, 5, FdKind::tcp},         // + EPOLLONESHOT
                         {6, 0x80000001u, 6, FdKind::eventfd}}});
  test::epoll_loop(b, 400, 401, 100, 8);
  Report rep = b.report();
  const ProcessModel& m = rep.processes[0].model;
  EXPECT_EQ(m.model, "epoll");
  EXPECT_EQ(m.trigger, "edge");
  EXPECT_TRUE(m.oneshot);
  EXPECT_FALSE(m.exclusive);
  EXPECT_EQ(m.interest_kinds, (Strings{"eventfd", "tcp"}));
}

TEST(Classify, EpollLevelFromFdinfoWithExclusive) {
  CaptureBuilder b;
  auto& p = b.process(400, "srv");
  p.epoll.push_back({3, {{4, 0x10000001u, 4, FdKind::tcp, true}}});  // a listener: EPOLLEXCLUSIVE | EPOLLIN
  test::epoll_loop(b, 400, 401, 100, 8);
  Report rep = b.report();
  EXPECT_EQ(rep.processes[0].model.trigger, "level");
  EXPECT_TRUE(rep.processes[0].model.exclusive);
}

TEST(Classify, EpollFdHeldButNeverWaitedOnIsNotEpoll) {
  CaptureBuilder b;
  auto& p = b.process(400, "srv");
  p.epoll.push_back({3, {{4, 0x80000001u, 4, FdKind::tcp}}});
  for (uint32_t tid = 401; tid <= 402; ++tid) blocking_conn_thread(b, 400, tid);
  Report rep = b.report();
  EXPECT_EQ(rep.processes[0].model.model, "blocking");
  EXPECT_EQ(rep.processes[0].model.trigger, "");
}

TEST(Classify, IoUringWaitingInEnter) {
  CaptureBuilder b;
  b.process(500, "ring");
  auto& t = b.thread(500, 501, "ring");
  t.loop = true;
  t.uring.sqes = t.uring.cqes = 3200;
  t.uring.ops[k_op_recv] = 3200;  // a server's ring: socket reads
  t.uring.enter_getevents = 100;
  b.row(501, "io_uring_enter", 100, FdKind::io_uring).arg_sum = 3200;
  Report rep = b.report();
  const ProcessModel& m = rep.processes[0].model;
  EXPECT_EQ(m.model, "io_uring");
  EXPECT_EQ(m.parts, Strings{"io_uring"});
  EXPECT_EQ(thread_model(rep.processes[0], 501).role, "event-loop");
  EXPECT_EQ(thread_model(rep.processes[0], 501).model, "io_uring");
}

TEST(Classify, IoUringWithSqpollThread) {
  CaptureBuilder b;
  b.process(500, "ring");
  auto& t = b.thread(500, 501, "ring");
  t.uring.cqes = 5000;  // completions peeked from the ring, no enter at all
  t.uring.rings_sqpoll = 1;
  auto& sq = b.thread(500, 502, "iou-sqp-123");
  sq.io_worker = true;
  sq.uring.sqes = 5000;
  sq.uring.ops[k_op_recv] = 5000;
  Report rep = b.report();
  const ProcessModel& m = rep.processes[0].model;
  EXPECT_EQ(m.model, "io_uring");
  EXPECT_EQ(m.parts, Strings{"io_uring"});
  const ThreadModel& s = thread_model(rep.processes[0], 502);
  EXPECT_EQ(s.role, "sqpoll");
  EXPECT_EQ(s.model, "io_uring");
  EXPECT_EQ(s.sentence, "kernel SQPOLL thread: submitted 5000 SQEs without io_uring_enter");
  const ThreadModel& u = thread_model(rep.processes[0], 501);
  EXPECT_EQ(u.role, "event-loop");
  EXPECT_EQ(u.model, "io_uring");
}

TEST(Classify, IoWqWorkerIsNotASubmitter) {
  CaptureBuilder b;
  b.process(500, "ring");
  auto& t = b.thread(500, 501, "ring");
  t.loop = true;
  t.uring.sqes = t.uring.cqes = 100;
  t.uring.ops[k_op_read] = 100;
  t.uring.enter_getevents = 100;
  b.row(501, "io_uring_enter", 100, FdKind::io_uring);
  auto& w = b.thread(500, 502, "iou-wrk-501");
  w.io_worker = true;
  w.uring.punts = 50;
  Report rep = b.report();
  EXPECT_EQ(rep.processes[0].model.model, "io_uring");
  EXPECT_EQ(rep.processes[0].model.parts, Strings{"io_uring"});
  EXPECT_EQ(thread_model(rep.processes[0], 502).role, "io-wq");
}

TEST(Classify, LinuxAio) {
  CaptureBuilder b;
  b.process(600, "aio");
  b.thread(600, 601, "aio").loop = true;
  b.row(601, "io_submit", 50).ret_sum = 400;
  b.row(601, "io_getevents", 50).ret_sum = 400;
  Report rep = b.report();
  EXPECT_EQ(rep.processes[0].model.model, "linux-aio");
  // file I/O only, no socket: the thread drives its own disk I/O and no client waits on it
  const ThreadModel& t = thread_model(rep.processes[0], 601);
  EXPECT_EQ(t.role, "async-io");
  EXPECT_EQ(t.sentence,
            "drives asynchronous file I/O through Linux AIO (50 io_submit, 50 io_getevents calls), "
            "with no socket or other source: nothing but its own I/O waits on this thread");
}

TEST(Classify, ThreadPoolBehindAnEventLoop) {
  CaptureBuilder b;
  b.process(700, "node");
  test::epoll_loop(b, 700, 701, 200, 4);
  for (uint32_t tid = 702; tid <= 705; ++tid) {
    b.thread(700, tid, "worker");
    // handed work (futex) in volume: 500 reads in the 10 s trace
    b.row(tid, "pread64", 500, FdKind::regular, 200000).bytes = 500 * 65536;
    b.row(tid, "futex", 500);
  }
  Report rep = b.report();
  const ProcessModel& m = rep.processes[0].model;
  EXPECT_EQ(m.model, "threadpool");
  EXPECT_EQ(m.parts, (Strings{"epoll", "threadpool"}));
  const ThreadModel& w = thread_model(rep.processes[0], 702);
  EXPECT_EQ(w.role, "pool-worker");
  EXPECT_EQ(w.model, "blocking");
}

TEST(Classify, MixedEpollAndIoUringThreads) {
  CaptureBuilder b;
  b.process(800, "mixed");
  test::epoll_loop(b, 800, 801, 100, 4);
  auto& t = b.thread(800, 802, "ring");
  t.loop = true;
  t.uring.sqes = t.uring.cqes = 800;
  t.uring.ops[k_op_read] = 800;
  t.uring.enter_getevents = 100;
  b.row(802, "io_uring_enter", 100, FdKind::io_uring);
  Report rep = b.report();
  const ProcessModel& m = rep.processes[0].model;
  EXPECT_EQ(m.model, "mixed");
  EXPECT_EQ(m.parts, (Strings{"epoll", "io_uring"}));
  EXPECT_EQ(thread_model(rep.processes[0], 801).model, "epoll");
  EXPECT_EQ(thread_model(rep.processes[0], 802).model, "io_uring");
}

TEST(Classify, MixedWithinOneThread) {
  CaptureBuilder b;
  b.process(800, "mixed");
  test::epoll_loop(b, 800, 801, 100, 4);
  auto& t = b.capture().threads.back();
  t.uring.sqes = t.uring.cqes = 400;
  t.uring.ops[k_op_read] = 400;
  t.uring.enter_getevents = 50;
  b.row(801, "io_uring_enter", 50, FdKind::io_uring);
  Report rep = b.report();
  EXPECT_EQ(rep.processes[0].model.model, "mixed");
  EXPECT_EQ(rep.processes[0].model.parts, (Strings{"epoll", "io_uring"}));
  const ThreadModel& tm = thread_model(rep.processes[0], 801);
  EXPECT_EQ(tm.model, "mixed");
  EXPECT_EQ(tm.role, "event-loop");
}

TEST(Classify, OneStrayPollInAnEpollLoopIsStillEpoll) {
  CaptureBuilder b;
  b.process(800, "srv");
  test::epoll_loop(b, 800, 801, 100, 4);
  b.row(801, "poll", 5).arg_sum = 5;  // under 10% of the waits
  Report rep = b.report();
  EXPECT_EQ(rep.processes[0].model.model, "epoll");
}

TEST(Classify, Idle) {
  CaptureBuilder b;
  auto& p = b.process(900, "sleepy");
  p.traced_ns = 5 * test::k_s;
  b.thread(900, 901, "sleepy");
  b.row(901, "clock_nanosleep", 2, FdKind::none, test::k_s);
  Report rep = b.report();
  const ProcessModel& m = rep.processes[0].model;
  EXPECT_EQ(m.model, "idle");
  EXPECT_EQ(m.sentence, "2 syscalls in 5.00s: too little activity to classify");
  EXPECT_DOUBLE_EQ(m.confidence, 1.0);
  EXPECT_EQ(thread_model(rep.processes[0], 901).role, "idle");
  EXPECT_EQ(thread_model(rep.processes[0], 901).sentence, "made 2 syscalls while traced: too few to say");
}

TEST(Classify, NoThreadsAtAllIsIdle) {
  CaptureBuilder b;
  b.process(900, "gone");
  Report rep = b.report();
  EXPECT_EQ(rep.processes[0].model.model, "idle");
  EXPECT_TRUE(rep.processes[0].model.threads.empty());
}

TEST(Classify, UnknownWhenNoModelledCallsWereMade) {
  CaptureBuilder b;
  b.process(900, "compute");
  b.thread(900, 901, "compute").oncpu_ns = 9 * test::k_s;
  b.row(901, "futex", 100);
  b.row(901, "getpid", 100);
  Report rep = b.report();
  const ProcessModel& m = rep.processes[0].model;
  EXPECT_EQ(m.model, "unknown");
  EXPECT_EQ(m.sentence, "200 syscalls, none of them the I/O calls iotrace classifies by");
  EXPECT_DOUBLE_EQ(m.confidence, 0.0);
  const ThreadModel& t = thread_model(rep.processes[0], 901);
  EXPECT_EQ(t.role, "compute");
  EXPECT_EQ(t.sentence, "made 200 syscalls but none of them I/O iotrace models; 9.00s on CPU");
}

TEST(Classify, RuntimeHintsComeFromExeAndLibraries) {
  std::string why;
  ProcessRecord p;
  p.exe = "/usr/bin/node";
  EXPECT_EQ(detect_runtime(p, &why), "libuv/Node.js");
  EXPECT_EQ(why, "executable node");
  p.exe = "/usr/bin/python3.11";
  p.libraries = {"libc.so.6", "_asyncio.cpython-311-x86_64-linux-gnu.so"};
  EXPECT_EQ(detect_runtime(p, &why), "python-asyncio");
  EXPECT_EQ(why, "maps _asyncio.cpython-311-x86_64-linux-gnu.so");
  p.exe = "/usr/local/bin/app";
  p.libraries = {"libevent-2.1.so.7"};
  EXPECT_EQ(detect_runtime(p, &why), "libevent");
  p.exe = "/usr/sbin/nginx";
  p.libraries = {};
  EXPECT_EQ(detect_runtime(p, &why), "nginx");
  p.exe = "/usr/bin/redis-server";
  EXPECT_EQ(detect_runtime(p, &why), "redis-ae");
  p.exe = "/opt/srv";
  why = "unchanged";
  EXPECT_EQ(detect_runtime(p, &why), "");
  EXPECT_EQ(why, "unchanged");
}

TEST(Classify, TheModelComesFromBehaviourNotTheName) {
  // Named like nginx, behaving like thread-per-connection.
  CaptureBuilder b;
  b.process(950, "nginx").exe = "/usr/sbin/nginx";
  for (uint32_t tid = 951; tid <= 952; ++tid) blocking_conn_thread(b, 950, tid);
  Report rep = b.report();
  EXPECT_EQ(rep.processes[0].model.model, "blocking");
  EXPECT_EQ(rep.processes[0].model.runtime, "nginx");
}

}  // namespace
}  // namespace iotrace

namespace iotrace {
namespace {

TEST(Classify, EpollLoopSubmittingToIoUringWithoutWaitingIsMixed) {
  // completions are peeked when an eventfd in the epoll set fires: no GETEVENTS enters
  CaptureBuilder b;
  b.process(810, "srv");
  test::epoll_loop(b, 810, 811, 100, 4);
  auto& t = b.capture().threads.back();
  t.uring.sqes = t.uring.cqes = 300;
  t.uring.ops[22] = 300;  // IORING_OP_READ
  b.row(811, "io_uring_enter", 300, FdKind::io_uring);
  Report rep = b.report();
  const ProcessModel& m = rep.processes[0].model;
  EXPECT_EQ(m.model, "mixed");
  EXPECT_EQ(m.parts, (Strings{"epoll", "io_uring"}));
  EXPECT_EQ(m.sentence,
            "1 event-loop thread waiting in epoll, submitting to io_uring without waiting in it; "
            "io_uring opcodes: read 300");
  EXPECT_EQ(thread_model(rep.processes[0], 811).model, "mixed");
}

TEST(Classify, OneFdPollBeforeBlockingCallsIsNotMultiplexing) {
  // socketserver-style: poll([listener], timeout) then accept; a thread per connection
  CaptureBuilder b;
  b.process(820, "srv");
  b.thread(820, 820, "main");
  auto& poll = b.row(820, "poll", 50);
  poll.arg_sum = 50;
  poll.arg_max = 1;
  b.row(820, "accept4", 3, FdKind::tcp);
  for (uint32_t tid = 821; tid <= 823; ++tid) blocking_conn_thread(b, 820, tid);
  Report rep = b.report();
  const ProcessModel& m = rep.processes[0].model;
  EXPECT_EQ(m.model, "blocking");
  EXPECT_EQ(evidence(m.evidence, "blocking_socket_threads"), 4);
  EXPECT_EQ(thread_model(rep.processes[0], 820).model, "blocking");
}

TEST(Classify, EpollThreadTakesTheFdinfoTriggerWhenNoEpollCtlWasSeen) {
  CaptureBuilder b;
  auto& p = b.process(830, "srv");
  p.epoll.push_back({3, {{4, 0x80000001u, 4, FdKind::socket_other}}});
  test::epoll_loop(b, 830, 831, 100, 4);
  Report rep = b.report();
  EXPECT_EQ(rep.processes[0].model.trigger, "edge");
  EXPECT_EQ(thread_model(rep.processes[0], 831).trigger, "edge");
  EXPECT_EQ(evidence(rep.processes[0].model.evidence, "fdinfo_conn_edge"), 1);
  EXPECT_EQ(evidence(rep.processes[0].model.evidence, "epoll_ctl_edge"), 0);
}

TEST(Classify, ServiceVerdictForAPreforkingServer) {
  CaptureBuilder b;
  b.capture().settings.follow_children = true;
  b.process(840, "master");
  b.thread(840, 840, "master");
  b.row(840, "wait4", 2);
  for (uint32_t pid = 841; pid <= 842; ++pid) {
    b.process(pid, "worker").followed = true;
    blocking_conn_thread(b, pid, pid);
  }
  Report rep = b.report();
  ASSERT_TRUE(rep.service.has_value());
  EXPECT_EQ(rep.service->model, "blocking");
  EXPECT_EQ(rep.service->root_pid, 840u);
  EXPECT_EQ(rep.service->sentence,
            "2 processes do blocking socket I/O with no multiplexer (400 calls on blocking sockets): "
            "process-per-connection, one process parked per connection; the parent 840 (master) "
            "does no modelled I/O");
}

TEST(Classify, NoServiceVerdictWithoutChildren) {
  CaptureBuilder b;
  b.capture().settings.follow_children = true;
  b.process(850, "solo");
  blocking_conn_thread(b, 850, 850);
  EXPECT_FALSE(b.report().service.has_value());
}

// An asyncio loop whose handler resolves a name and calls a backend synchronously, with the
// figures of the real capture (tests/fixtures/realworld/python-asyncio-sync-client-dns): glibc's
// resolver polls its UDP socket three times a lookup, so the thread has more one-fd polls than
// epoll waits; they are the resolver's (it sent the queries to port 53 itself), not waits on
// connections, and the thread is still the loop, with its synchronous DNS as a finding.
TEST(Classify, AResolversPollsDoNotUnmakeALoop) {
  CaptureBuilder b;
  b.process(200, "python3");
  auto& t = b.thread(200, 201, "python3");
  t.loop = true;
  t.dns_udp53 = 265;
  b.row(201, "epoll_wait", 138, FdKind::epoll, 100000).arg_max = 6;
  b.row(201, "poll", 795, FdKind::none, 10000).arg_max = 1;
  b.row(201, "recvfrom", 279, FdKind::tcp).nonblock = true;  // the served connections
  b.row(201, "sendto", 265, FdKind::tcp).nonblock = true;
  b.row(201, "recvfrom", 265, FdKind::tcp, 20 * k_ms);       // the backend's blocking socket
  b.row(201, "connect", 265, FdKind::udp);                   // the resolver's
  b.row(201, "recvfrom", 530, FdKind::udp).nonblock = true;
  Report rep = b.report();
  EXPECT_EQ(thread_model(rep.processes[0], 201).role, "event-loop");
  EXPECT_EQ(rep.processes[0].model.model, "epoll");
  // the same thread without the queries: its one-fd polls are waits on connections
  b.capture().threads[0].dns_udp53 = 0;
  EXPECT_NE(thread_model(b.report().processes[0], 201).role, "event-loop");
}

}  // namespace
}  // namespace iotrace

TEST(DetectRuntime, GoFromItsElfSectionsNotItsName) {
  iotrace::ProcessRecord p;
  p.exe = "/usr/local/bin/server";
  p.go_binary = true;
  std::string why;
  EXPECT_EQ(iotrace::detect_runtime(p, &why), "go");
  EXPECT_NE(why.find(".go.buildinfo"), std::string::npos);
  p.go_binary = false;
  EXPECT_EQ(iotrace::detect_runtime(p, &why), "");
}

// Threads blocked since before the trace complete no call while traced: /proc shows them.
TEST(Classify, ThreadsParkedInReadsSinceBeforeTheTraceAreBlocking) {
  iotrace::Capture c;
  iotrace::ProcessRecord p;
  p.pid = 50;
  p.stack_rlimit_bytes = 8ull << 20;
  p.parked.push_back({0 /* read */, iotrace::FdKind::socket_other, 9998});
  p.parked.push_back({43 /* accept */, iotrace::FdKind::socket_other, 1});
  p.parked.push_back({230 /* clock_nanosleep */, iotrace::FdKind::none, 1});
  c.processes.push_back(p);
  auto rep = iotrace::build_report(c);
  const auto& m = rep.processes[0].model;
  EXPECT_EQ(m.model, "blocking");
  EXPECT_NE(m.sentence.find("9999 threads are parked"), std::string::npos) << m.sentence;
  // a process with a single parked reader is not called thread-per-connection
  c.processes[0].parked = {{0, iotrace::FdKind::pipe, 1}};
  EXPECT_EQ(iotrace::build_report(c).processes[0].model.model, "idle");
}

namespace iotrace {

// The loop watch sees the backend's waits and its commit's sleeps, not its socket calls: the
// interest list alone says the wait is for one connection.
TEST(Classify, TheLoopWatchJudgesOneConnectionFromTheInterestListAlone) {
  for (int sockets : {1, 3}) {
    CaptureBuilder b;
    b.capture().settings.tier = TraceTier::loop_watch;
    auto& proc = b.process(1900, "postgres");
    std::vector<EpollEntry> entries = {{3, 1, 0, FdKind::signalfd}, {4, 1, 1, FdKind::pipe}};
    for (int i = 0; i < sockets; ++i) entries.push_back({10 + i, 1, 2, FdKind::tcp, i > 0});
    proc.epoll.push_back({5, entries});
    b.thread(1900, 1900, "postgres").loop = true;
    b.row(1900, "epoll_wait", 2000, FdKind::epoll, 100000).ret_sum = 2000;
    auto& f = b.flagged(1900, "fdatasync", FdKind::regular, FlagKind::slow);
    f.count = 2000;
    f.total_ns = f.sleep_ns = 2000 * 6 * k_ms;
    f.max_ns = 9 * k_ms;
    Report rep = b.report();
    const auto& p = rep.processes[0];
    EXPECT_EQ(thread_model(p, 1900).role, sockets == 1 ? "blocking-io" : "event-loop") << thread_model(p, 1900).sentence;
    size_t on_loop = 0;
    for (const auto& f : p.findings) on_loop += f.id == "blocking-call-on-loop";
    EXPECT_EQ(on_loop, sockets == 1 ? 0u : 1u);
  }
}

}  // namespace iotrace
