// The one definition of an event-loop thread (src/model/thread_role.hpp) and the loop findings that
// follow from it, on captures shaped like the real servers they describe: each test builds the
// calls a known model makes and checks the role, the model and the findings an expert would sign.
#include <gtest/gtest.h>

#include <algorithm>
#include <set>

#include "capture_builder.hpp"
#include "src/output/report.hpp"
#include "src/model/thread_concurrency.hpp"

namespace iotrace {
namespace {

using test::CaptureBuilder;
using test::k_ms;

const ThreadModel& model_of(const ProcessReport& p, uint32_t tid) {
  for (const auto& t : p.model.threads)
    if (t.tid == tid) return t;
  throw std::runtime_error("no thread model");
}

std::set<std::string> ids(const ProcessReport& p) {
  std::set<std::string> out;
  for (const auto& f : p.findings) out.insert(f.id);
  return out;
}

const Finding* finding(const ProcessReport& p, const std::string& id) {
  for (const auto& f : p.findings)
    if (f.id == id) return &f;
  return nullptr;
}

// A worker that select()s on its listener and a wake-up pipe, then serves the accepted
// connection with blocking reads and writes (gunicorn's sync worker).
TEST(ThreadRole, SelectOnTheListenerThenBlockingSocketsIsNotALoop) {
  CaptureBuilder b;
  b.process(100, "worker");
  auto& t = b.thread(100, 101, "worker");
  t.loop = true;  // the kernel saw it wait in select
  b.row(101, "select", 200, FdKind::none, 100000).arg_sum = 200 * 6;
  b.row(101, "accept4", 200, FdKind::tcp).nonblock = true;
  b.row(101, "recvfrom", 400, FdKind::tcp);  // blocking client sockets
  b.row(101, "sendto", 200, FdKind::tcp);
  auto& stall = b.capture().stalls.emplace_back();
  stall.tid = 101;
  stall.dur_ns = stall.sleep_ns = 40 * k_ms;
  Report rep = b.report();
  const auto& p = rep.processes[0];
  EXPECT_EQ(model_of(p, 101).role, "blocking-io");
  EXPECT_EQ(p.model.model, "blocking");
  // its role and its findings agree: no loop findings for a thread that is no loop
  EXPECT_FALSE(ids(p).count("loop-stall"));
  EXPECT_NE(model_of(p, 101).sentence.find("only hand it new connections"), std::string::npos);
}

// A thread that only drives its own file I/O through io_uring (fio's job thread).
TEST(ThreadRole, FileOnlyIoUringIsAsyncIoWithoutLoopFindings) {
  CaptureBuilder b;
  b.process(200, "fio");
  auto& t = b.thread(200, 201, "fio");
  t.loop = true;
  t.uring.sqes = t.uring.cqes = 5000;
  t.uring.ops[22] = 5000;  // IORING_OP_READ
  t.uring.enter_getevents = 1000;
  b.row(201, "io_uring_enter", 1000, FdKind::io_uring);
  b.row(201, "fadvise64", 1, FdKind::regular, 30 * k_ms);
  auto& f = b.flagged(201, "fadvise64", FdKind::regular, FlagKind::slow);
  f.count = 1;
  f.total_ns = f.max_ns = f.sleep_ns = 30 * k_ms;
  Report rep = b.report();
  const auto& p = rep.processes[0];
  EXPECT_EQ(model_of(p, 201).role, "async-io");
  EXPECT_EQ(p.model.model, "io_uring");
  EXPECT_TRUE(p.findings.empty()) << p.findings[0].id;
}

// A runtime worker that polls epoll and parks on a futex while its task waits for
// spawn_blocking (tokio): idle, not blocked.
TEST(LoopFindings, AFutexParkIsInfoNotABlockingCall) {
  CaptureBuilder b;
  b.process(300, "server");
  test::epoll_loop(b, 300, 301, 500, 2);
  b.row(301, "futex", 100, FdKind::none, 50 * k_ms);
  auto& f = b.flagged(301, "futex", FdKind::none, FlagKind::slow);
  f.count = 100;
  f.total_ns = f.sleep_ns = 100 * 50 * k_ms;
  f.max_ns = 50 * k_ms;
  auto& s = b.capture().stalls.emplace_back();
  s.tid = 301;
  s.dur_ns = s.sleep_ns = s.sys_ns = s.max_sys_ns = 50 * k_ms;
  s.max_nr = test::nr_of("futex");
  auto& fast = b.flagged(301, "futex", FdKind::none, FlagKind::risk);  // uncontended lock
  fast.count = 1000;
  Report rep = b.report();
  const auto& p = rep.processes[0];
  EXPECT_EQ(ids(p), (std::set<std::string>{"lock-wait-on-loop"}));
  for (const auto& x : p.findings) EXPECT_EQ(x.severity, Severity::info) << x.id;
}

// Iterations long because the loop waited for a CPU are the machine's.
TEST(LoopFindings, RunQueueStallsAreTheMachines) {
  CaptureBuilder b;
  b.process(400, "server");
  test::epoll_loop(b, 400, 401, 500, 2);
  for (int i = 0; i < 5; ++i) {
    auto& s = b.capture().stalls.emplace_back();
    s.tid = 401;
    s.dur_ns = 30 * k_ms;
    s.runq_ns = 25 * k_ms;
    s.cpu_ns = 5 * k_ms;
  }
  Report rep = b.report();
  const Finding* f = finding(rep.processes[0], "loop-preempted");
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->severity, Severity::info);
  EXPECT_FALSE(ids(rep.processes[0]).count("loop-stall"));
  EXPECT_FALSE(ids(rep.processes[0]).count("cpu-stall"));
}

// Severity follows the cost: one short on-CPU call is low, a repeated sleep that holds the
// loop for a real share of the trace is high.
TEST(LoopFindings, SeverityFollowsTheCost) {
  CaptureBuilder b;
  b.process(500, "server");
  test::epoll_loop(b, 500, 501, 500, 2);
  auto& w = b.flagged(501, "writev", FdKind::tcp, FlagKind::slow);
  w.count = 1;
  w.total_ns = w.max_ns = 5800000;  // 5.8 ms on CPU
  auto& s = b.flagged(501, "clock_nanosleep", FdKind::none, FlagKind::slow);
  s.count = 20;
  s.total_ns = s.sleep_ns = 20 * 30 * k_ms;
  s.max_ns = 30 * k_ms;
  Report rep = b.report();
  const auto& p = rep.processes[0];
  ASSERT_NE(finding(p, "slow-call-on-loop"), nullptr);
  EXPECT_EQ(finding(p, "slow-call-on-loop")->severity, Severity::low);
  ASSERT_NE(finding(p, "blocking-call-on-loop"), nullptr);
  EXPECT_EQ(finding(p, "blocking-call-on-loop")->severity, Severity::high);
}

// getaddrinfo on numeric addresses (a proxy converting "127.0.0.1"): many calls, never asleep,
// no query sent: no lookup happened, so no sync-dns finding. The same site asleep is one.
TEST(LoopFindings, SyncDnsNeedsALookupNotAFunctionName) {
  for (bool slept : {false, true}) {
    CaptureBuilder b;
    b.process(600, "proxy");
    test::epoll_loop(b, 600, 601, 500, 2);
    auto& f = b.flagged(601, "getppid", FdKind::none, FlagKind::dns);
    f.nr = k_nr_fn_base;  // getaddrinfo: resolver functions are numbered from k_nr_fn_base
    f.count = 15159;
    f.total_ns = 90 * k_ms;
    f.max_ns = 2 * k_ms;
    f.sleep_ns = slept ? 30 * k_ms : 0;
    Report rep = b.report();
    EXPECT_EQ(ids(rep.processes[0]).count("sync-dns-on-loop"), slept ? 1u : 0u) << slept;
  }
}

// Reading until EAGAIN is the edge-triggered contract (Go's netpoller): no eagain-waste.
TEST(PatternFindings, EagainUnderEdgeTriggeringIsTheContract) {
  for (bool edge : {true, false}) {
    CaptureBuilder b;
    auto& p = b.process(600, "server");
    for (int fd = 5; fd < 25; ++fd)
      p.epoll.push_back({3, {{fd, (edge ? 0x80000000u : 0u) | 1u, static_cast<uint64_t>(fd), FdKind::socket_other}}});
    test::epoll_loop(b, 600, 601, 1000, 1);
    auto& r = b.row(601, "read", 1000, FdKind::tcp);
    r.nonblock = true;
    r.err_eagain = 1000;
    Report rep = b.report();
    EXPECT_EQ(rep.processes[0].model.trigger, edge ? "edge" : "level");
    EXPECT_EQ(ids(rep.processes[0]).count("eagain-waste"), edge ? 0u : 1u);
  }
}

// Accepting until EAGAIN and then parking on a futex is not spinning (tokio's main thread).
TEST(PatternFindings, EagainThenSleepIsNotBusyPolling) {
  CaptureBuilder b;
  b.process(700, "server");
  b.thread(700, 701, "main");
  auto& a = b.row(701, "accept4", 600, FdKind::tcp);
  a.nonblock = true;
  a.err_eagain = 300;
  b.row(701, "futex", 300, FdKind::none, 10 * k_ms);
  Report rep = b.report();
  EXPECT_FALSE(ids(rep.processes[0]).count("busy-poll"));
  EXPECT_NE(model_of(rep.processes[0], 701).model, "busy-poll");
}

// nginx registers connections edge-triggered and its shared listener level-triggered with
// EPOLLEXCLUSIVE: the process is edge-triggered, the listener is named beside it.
TEST(Trigger, ConnectionsDecideTheProcesssTrigger) {
  CaptureBuilder b;
  auto& p = b.process(800, "nginx");
  EpollInstance inst{8, {}};
  inst.entries.push_back({6, 0x10000001u, 6, FdKind::socket_other});  // listener, EXCLUSIVE
  inst.entries.push_back({7, 0x00000001u, 7, FdKind::eventfd});       // wake-up
  for (int fd = 10; fd < 30; ++fd)
    inst.entries.push_back({fd, 0x80002001u, static_cast<uint64_t>(fd), FdKind::socket_other});
  p.epoll.push_back(inst);
  test::epoll_loop(b, 800, 801, 100, 4);
  Report rep = b.report();
  const auto& m = rep.processes[0].model;
  EXPECT_EQ(m.trigger, "edge");
  EXPECT_EQ(model_of(rep.processes[0], 801).trigger, "edge");
  EXPECT_NE(m.sentence.find("edge-triggered connections; 2 internal fds"), std::string::npos) << m.sentence;
}

// Apache's event MPM: one epoll listener thread hands connections to workers that read and
// write them with no multiplexer of their own.
TEST(ThreadRole, WorkersServingHandedOverConnectionsAreAPool) {
  CaptureBuilder b;
  b.process(900, "apache2");
  auto& l = b.thread(900, 901, "listener");
  l.loop = true;
  b.row(901, "epoll_wait", 300, FdKind::epoll, 100000).ret_sum = 300;
  b.row(901, "accept4", 300, FdKind::tcp).nonblock = true;
  for (uint32_t tid = 902; tid < 910; ++tid) {
    b.thread(900, tid, "worker");
    auto& r = b.row(tid, "read", 1000, FdKind::tcp);
    r.nonblock = true;
    b.row(tid, "writev", 1000, FdKind::tcp).nonblock = true;
    b.row(tid, "futex", 1000);
  }
  Report rep = b.report();
  const auto& p = rep.processes[0];
  EXPECT_EQ(p.model.model, "threadpool");
  EXPECT_EQ(model_of(p, 905).role, "pool-worker");
  EXPECT_NE(p.model.sentence.find("serving the connections it hands over"), std::string::npos)
      << p.model.sentence;
}

// glibc POSIX AIO: helper threads pread for a thread that waits on a futex.
TEST(ThreadRole, PosixAioHelpersAreAPool) {
  CaptureBuilder b;
  b.process(1000, "fio");
  b.thread(1000, 1001, "fio");
  b.row(1001, "futex", 500);
  b.row(1001, "clone3", 20);
  for (uint32_t tid = 1002; tid < 1006; ++tid) {
    b.thread(1000, tid, "fio");
    b.row(tid, "pread64", 400, FdKind::regular, 50000);
    b.row(tid, "futex", 400);
  }
  Report rep = b.report();
  EXPECT_EQ(rep.processes[0].model.model, "threadpool");
  EXPECT_EQ(model_of(rep.processes[0], 1003).role, "pool-worker");
}

// A JVM's compiler and GC threads read a file or two: not blocking-I/O workers.
TEST(ThreadRole, AFewFileReadsDoNotMakeAnIoWorker) {
  CaptureBuilder b;
  b.process(1100, "java");
  test::epoll_loop(b, 1100, 1101, 500, 2);
  b.thread(1100, 1102, "C2 CompilerThre");
  b.row(1102, "futex", 400);
  b.row(1102, "read", 3, FdKind::regular);
  Report rep = b.report();
  EXPECT_EQ(rep.processes[0].model.model, "epoll");
  EXPECT_NE(model_of(rep.processes[0], 1102).role, "pool-worker");
}

// Thread-per-request: many threads over the trace, few at once. The stack arithmetic uses
// the peak.
TEST(ThreadConcurrency, PeakNotThreadsSeen) {
  CaptureBuilder b;
  b.process(1200, "python3").threads_now = 2;
  for (uint32_t i = 0; i < 300; ++i) {
    auto& t = b.thread(1200, 1201 + i, "python3");
    t.first_ns = i * 10 * k_ms;
    t.last_ns = t.first_ns + 15 * k_ms;  // at most two alive at once
    t.exited = true;
    b.row(1201 + i, "recvfrom", 10, FdKind::tcp);
  }
  Report rep = b.report();
  EXPECT_EQ(peak_threads(b.capture(), 1200), 2u);
  EXPECT_EQ(rep.processes[0].model.model, "blocking");
  EXPECT_FALSE(ids(rep.processes[0]).count("thread-per-connection-scale"));
  EXPECT_NE(rep.processes[0].model.sentence.find("at most 2 threads alive at once"), std::string::npos)
      << rep.processes[0].model.sentence;
}

// Linux AIO on O_DIRECT waits in io_getevents; on a buffered file the submit does the I/O.
TEST(PatternFindings, AioSubmitBlockedOnlyWhenTheWaitIsInTheSubmit) {
  for (bool buffered : {true, false}) {
    CaptureBuilder b;
    b.process(1300, "fio");
    auto& t = b.thread(1300, 1301, "fio");
    t.first_ns = 0;
    t.last_ns = 10 * test::k_s;
    b.row(1301, "io_submit", 50000, FdKind::none, buffered ? 50000 : 21000).ret_sum = 50000;
    b.row(1301, "io_getevents", 50000, FdKind::none, buffered ? 500 : 9000).ret_sum = 50000;
    Report rep = b.report();
    EXPECT_EQ(ids(rep.processes[0]).count("aio-submit-blocked"), buffered ? 1u : 0u);
  }
}

// A pre-fork service: a master that wakes once a second does not set the service's model.
TEST(Service, AMasterThatSleepsDoesNotSetTheModel) {
  CaptureBuilder b;
  b.capture().settings.follow_children = true;
  b.process(1400, "master");
  auto& mt = b.thread(1400, 1400, "master");
  mt.loop = true;
  b.row(1400, "pselect6", 10, FdKind::none, 1000 * k_ms).arg_sum = 30;
  for (uint32_t pid = 1401; pid < 1405; ++pid) {
    auto& w = b.process(pid, "worker");
    w.followed = true;
    w.ppid = 1400;
    b.thread(pid, pid, "worker");
    b.row(pid, "recvfrom", 1000, FdKind::tcp);
    b.row(pid, "sendto", 1000, FdKind::tcp);
  }
  Report rep = b.report();
  ASSERT_TRUE(rep.service.has_value());
  EXPECT_EQ(rep.service->model, "blocking");
  // it waits for signals and timers only: a control loop, not the service's event loop
  EXPECT_EQ(model_of(rep.processes[0], 1400).role, "control-loop");
  EXPECT_NE(rep.service->sentence.find("the parent 1400 (master) runs a control loop"), std::string::npos)
      << rep.service->sentence;
}

// A pre-fork server's parent sleeping in select with no descriptors (apr_sleep): a sleep, not
// an event loop waiting in select. The same thread on a listener it accepts from is a loop.
TEST(ThreadRole, ASelectWithNoDescriptorsIsASleep) {
  for (uint64_t nfds : {0u, 8u}) {
    CaptureBuilder b;
    b.process(1450, "httpd");
    auto& t = b.thread(1450, 1450, "httpd");
    t.loop = nfds > 0;  // the kernel marks loops by the same rule (bpf/syscalls.bpf.h is_wait)
    auto& r = b.row(1450, "select", 80, FdKind::none, 1000 * k_ms);
    r.arg_sum = 80 * nfds;
    r.arg_max = nfds;
    b.row(1450, "wait4", 80, FdKind::none);
    b.row(1450, "accept4", 80, FdKind::tcp).nonblock = true;
    b.row(1450, "read", 80, FdKind::tcp).nonblock = true;
    Report rep = b.report();
    EXPECT_EQ(model_of(rep.processes[0], 1450).role == "event-loop", nfds > 0)
        << nfds << ": " << model_of(rep.processes[0], 1450).sentence;
  }
}

// The JDK's HttpServer: one selector thread, and an executor whose threads take exchanges from
// a queue (futex waits) and read and write the sockets with blocking calls. A pool, not
// thread-per-connection; a thread that accepts its own connections and blocks in them is.
TEST(ThreadRole, QueueFedBlockingSocketThreadsBesideALoopAreAPool) {
  CaptureBuilder b;
  b.process(1500, "java");
  test::epoll_loop(b, 1500, 1501, 1000, 2);
  for (uint32_t tid = 1502; tid < 1506; ++tid) {
    b.thread(1500, tid, "pool-1-thread");
    b.row(tid, "read", 2000, FdKind::tcp);
    b.row(tid, "write", 1000, FdKind::tcp);
    b.row(tid, "futex", 1000);
  }
  b.thread(1500, 1510, "conn");
  b.row(1510, "read", 2000, FdKind::tcp);
  b.row(1510, "write", 1000, FdKind::tcp);
  Report rep = b.report();
  const auto& p = rep.processes[0];
  EXPECT_EQ(model_of(p, 1503).role, "pool-worker");
  EXPECT_EQ(model_of(p, 1510).role, "blocking-io");
}

// An asyncio loop whose handler makes a synchronous HTTP call: 270 waits that return the
// clients' non-blocking sockets, and 897 calls on a blocking client socket that take 85% of the
// thread's time. It is a loop that blocks, not a blocking thread: the share is the finding's size.
TEST(ThreadRole, ALoopThatBlocksIsStillALoop) {
  CaptureBuilder b;
  b.process(1600, "python3");
  auto& t = b.thread(1600, 1600, "python3");
  t.loop = true;
  b.row(1600, "epoll_wait", 270, FdKind::epoll, 100000).ret_sum = 300;
  b.row(1600, "accept4", 30, FdKind::tcp).nonblock = true;
  b.row(1600, "recvfrom", 300, FdKind::tcp).nonblock = true;  // the requests
  b.row(1600, "sendto", 300, FdKind::tcp).nonblock = true;    // the responses
  b.row(1600, "connect", 299, FdKind::tcp);                    // the backend, blocking
  b.row(1600, "sendto", 299, FdKind::tcp);
  b.row(1600, "recvfrom", 598, FdKind::tcp, 20 * k_ms);
  auto& f = b.flagged(1600, "recvfrom", FdKind::tcp, FlagKind::slow);
  f.count = 299;
  f.total_ns = f.sleep_ns = 299 * 28 * k_ms;  // 8.5 s of the 10 s trace
  f.max_ns = 40 * k_ms;
  Report rep = b.report();
  const auto& p = rep.processes[0];
  EXPECT_EQ(model_of(p, 1600).role, "event-loop") << model_of(p, 1600).sentence;
  EXPECT_EQ(p.model.model, "epoll");
  const Finding* bl = finding(p, "blocking-call-on-loop");
  ASSERT_NE(bl, nullptr);
  EXPECT_EQ(bl->severity, Severity::high);
}

// A select-driven relay reads its sockets until EAGAIN after each wake-up, with MSG_DONTWAIT on
// sockets without O_NONBLOCK: a call that returned EAGAIN was a non-blocking call.
TEST(ThreadRole, EagainReturnsAreNonBlockingCalls) {
  CaptureBuilder b;
  b.process(1700, "relay");
  b.thread(1700, 1700, "relay").loop = true;
  auto& s = b.row(1700, "select", 400, FdKind::none, 100000);
  s.arg_sum = 400 * 8;
  s.arg_max = 8;
  s.ret_sum = 400;
  auto& r = b.row(1700, "recvfrom", 800, FdKind::tcp);  // half of them EAGAIN, fd flags blocking
  r.err_eagain = 400;
  b.row(1700, "sendto", 400, FdKind::tcp).nonblock = true;
  b.row(1700, "accept", 10, FdKind::tcp);
  Report rep = b.report();
  const auto& p = rep.processes[0];
  EXPECT_EQ(model_of(p, 1700).role, "event-loop") << model_of(p, 1700).sentence;
  EXPECT_EQ(p.model.model, "select");
}

// A process-per-connection backend (a database's): epoll on its one client socket, its latch
// (signalfd) and a parent-death pipe, and a commit fdatasync per transaction. Blocking I/O on
// one connection, not an event loop with a blocking call on it.
TEST(ThreadRole, AWaitOnOneConnectionIsNoLoop) {
  for (int sockets : {1, 3}) {
    CaptureBuilder b;
    auto& proc = b.process(1800, "postgres");
    std::vector<EpollEntry> entries = {{3, 1, 0, FdKind::signalfd}, {4, 1, 1, FdKind::pipe}};
    for (int i = 0; i < sockets; ++i) entries.push_back({10 + i, 1, 2, FdKind::tcp, i > 0});
    proc.epoll.push_back({5, entries});
    b.thread(1800, 1800, "postgres").loop = true;
    b.row(1800, "epoll_wait", 2000, FdKind::epoll, 100000).ret_sum = 2000;
    auto& r = b.row(1800, "recvfrom", 4000, FdKind::tcp);
    r.nonblock = true;
    r.err_eagain = 2000;
    b.row(1800, "sendto", 2000, FdKind::tcp).nonblock = true;
    b.row(1800, "pwrite64", 2000, FdKind::regular);
    b.row(1800, "fdatasync", 2000, FdKind::regular, 3 * k_ms);
    auto& f = b.flagged(1800, "fdatasync", FdKind::regular, FlagKind::slow);
    f.count = 2000;
    f.total_ns = f.sleep_ns = 2000 * 3 * k_ms;
    f.max_ns = 5 * k_ms;
    Report rep = b.report();
    const auto& p = rep.processes[0];
    if (sockets == 1) {
      EXPECT_EQ(model_of(p, 1800).role, "blocking-io") << model_of(p, 1800).sentence;
      EXPECT_EQ(p.model.model, "blocking");
      EXPECT_FALSE(ids(p).count("blocking-call-on-loop"));
      EXPECT_NE(model_of(p, 1800).sentence.find("its one connection"), std::string::npos);
    } else {
      // two listeners beside the connection: a server's loop, and its fdatasync is on the loop
      EXPECT_EQ(model_of(p, 1800).role, "event-loop");
      EXPECT_TRUE(ids(p).count("blocking-call-on-loop"));
    }
  }
}

// A supervisor: epoll on a signalfd and a socketpair to its children, timeouts, no connection,
// and it reaps children. A control loop: no loop findings for its slow calls, and it is not the
// service's loop. The same loop in a process with no children runs its own timers and callbacks:
// an event loop, whose slow calls stall it.
TEST(ThreadRole, ASignalLoopIsAControlLoop) {
  for (bool supervises : {true, false}) {
    CaptureBuilder b;
    auto& proc = b.process(1900, "supervisor");
    proc.epoll.push_back({3, {{4, 1, 4, FdKind::signalfd}, {5, 1, 5, FdKind::unix_socket}}});
    b.thread(1900, 1900, "supervisor").loop = true;
    b.row(1900, "epoll_wait", 20, FdKind::epoll, 1000 * k_ms).ret_sum = 4;
    b.row(1900, "read", 4, FdKind::signalfd);
    if (supervises) b.row(1900, "wait4", 4);
    b.row(1900, "openat", 20, FdKind::none);
    auto& f = b.flagged(1900, "openat", FdKind::none, FlagKind::slow);
    f.count = 3;
    f.total_ns = f.sleep_ns = 300 * k_ms;
    f.max_ns = 120 * k_ms;
    Report rep = b.report();
    const auto& p = rep.processes[0];
    EXPECT_EQ(model_of(p, 1900).role, supervises ? "control-loop" : "event-loop") << model_of(p, 1900).sentence;
    if (supervises) {
      EXPECT_EQ(p.model.model, "idle");
      EXPECT_TRUE(p.findings.empty()) << p.findings[0].id;
    } else {
      EXPECT_TRUE(ids(p).count("blocking-call-on-loop"));
    }
  }
}

// Beside an epoll loop: a JVM's VM Thread reading 44 small cgroup and /proc files in 10 s (futex
// waits, little volume), a stats writer once a second (no hand-off), and an acceptor that only
// accepts and hands the connections to the loop. None is a pool: the process is epoll.
TEST(ThreadRole, AFewChoresAndAnAcceptorAreNoPool) {
  CaptureBuilder b;
  b.process(2000, "java");
  test::epoll_loop(b, 2000, 2001, 1000, 2);
  b.thread(2000, 2002, "VM Thread");
  b.row(2002, "read", 44, FdKind::regular, 20000);
  b.row(2002, "openat", 44);
  b.row(2002, "futex", 300);
  b.thread(2000, 2003, "stats");
  b.row(2003, "write", 10, FdKind::regular, 10000);
  b.row(2003, "clock_nanosleep", 10, FdKind::none, 1000 * k_ms);
  b.thread(2000, 2004, "acceptor");
  b.row(2004, "accept", 500, FdKind::tcp, 20 * k_ms);
  b.row(2004, "epoll_ctl", 500, FdKind::tcp);
  Report rep = b.report();
  const auto& p = rep.processes[0];
  EXPECT_EQ(model_of(p, 2002).role, "helper") << model_of(p, 2002).sentence;
  EXPECT_EQ(model_of(p, 2003).role, "helper") << model_of(p, 2003).sentence;
  EXPECT_EQ(model_of(p, 2004).role, "acceptor") << model_of(p, 2004).sentence;
  EXPECT_EQ(p.model.model, "epoll") << p.model.sentence;
  EXPECT_NE(p.model.sentence.find("fed by 1 acceptor thread"), std::string::npos) << p.model.sentence;
}

// fsync on two loop threads: at each thread's site 20 calls passed the block threshold and
// 16,552 were fast this time, 6.5 s of the 10 s trace in all. One finding for the site (merged
// over the threads), high for its share; no separate low "fast this time" finding.
TEST(LoopFindings, OneFindingPerCallSiteJudgedByAllItsCalls) {
  CaptureBuilder b;
  b.process(2100, "server");
  for (uint32_t tid : {2101u, 2102u}) {
    test::epoll_loop(b, 2100, tid, 5000, 2);
    auto& slow = b.flagged(tid, "fsync", FdKind::regular, FlagKind::slow);
    slow.count = 20;
    slow.total_ns = slow.sleep_ns = 127 * k_ms;
    slow.max_ns = 12 * k_ms;
    auto& fast = b.flagged(tid, "fsync", FdKind::regular, FlagKind::risk);
    fast.count = 16552;
    fast.total_ns = fast.sleep_ns = 6000 * k_ms;
    fast.max_ns = 900000;
  }
  Report rep = b.report();
  const auto& p = rep.processes[0];
  EXPECT_FALSE(ids(p).count("blocking-risk-on-loop"));
  const Finding* f = finding(p, "blocking-call-on-loop");
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->severity, Severity::high);
  EXPECT_EQ(f->count, 2u * (20 + 16552));
  EXPECT_EQ(f->tids, (std::vector<uint32_t>{2101, 2102}));
  EXPECT_NE(f->evidence.find("20 of the calls took longer than"), std::string::npos) << f->evidence;
}

// Recurring alone is not severe: three mmaps that waited 17 ms in 10 s (0.17% of the loop),
// ten socket writes of 67 ms (0.67%) are low; the same writes at 3% of the loop are medium.
TEST(LoopFindings, SeverityFollowsTheShareOfTheLoop) {
  for (uint64_t write_ms : {67u, 300u}) {
    CaptureBuilder b;
    b.process(2200, "server");
    test::epoll_loop(b, 2200, 2201, 5000, 2);
    auto& m = b.flagged(2201, "mmap", FdKind::none, FlagKind::slow);
    m.count = 3;
    m.total_ns = m.sleep_ns = 17 * k_ms;
    m.max_ns = 7 * k_ms;
    auto& w = b.flagged(2201, "write", FdKind::tcp, FlagKind::slow);
    w.count = 10;
    w.total_ns = w.sleep_ns = write_ms * k_ms;
    w.max_ns = write_ms * k_ms / 8;
    Report rep = b.report();
    Severity mmap_sev = Severity::info, write_sev = Severity::info;
    for (const auto& f : rep.processes[0].findings)
      if (f.id == "blocking-call-on-loop") (f.syscall == "mmap" ? mmap_sev : write_sev) = f.severity;
    EXPECT_EQ(mmap_sev, Severity::low);
    EXPECT_EQ(write_sev, write_ms == 67 ? Severity::low : Severity::medium) << write_ms;
  }
}

// A risk was fast each time: writes on a blocking socket that took 16% of the loop's time on
// CPU are the loop's own work (low); fast fsyncs that slept 3% of it are medium.
TEST(LoopFindings, ARiskIsSevereByTheTimeItSlept) {
  CaptureBuilder b;
  b.process(2300, "server");
  test::epoll_loop(b, 2300, 2301, 5000, 2);
  auto& w = b.flagged(2301, "write", FdKind::tcp, FlagKind::risk);
  w.count = 89662;
  w.total_ns = 1600 * k_ms;
  w.max_ns = 100000;
  auto& s = b.flagged(2301, "fsync", FdKind::regular, FlagKind::risk);
  s.count = 600;
  s.total_ns = s.sleep_ns = 300 * k_ms;
  s.max_ns = 900000;
  Report rep = b.report();
  for (const auto& f : rep.processes[0].findings) {
    if (f.id == "blocking-risk-on-loop") {
      EXPECT_EQ(f.severity, f.syscall == "write" ? Severity::low : Severity::medium) << f.syscall;
    }
  }
}

}  // namespace
}  // namespace iotrace
