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
    b.process(pid, "worker").followed = true;
    b.thread(pid, pid, "worker");
    b.row(pid, "recvfrom", 1000, FdKind::tcp);
    b.row(pid, "sendto", 1000, FdKind::tcp);
  }
  Report rep = b.report();
  ASSERT_TRUE(rep.service.has_value());
  EXPECT_EQ(rep.service->model, "blocking");
  EXPECT_NE(rep.service->sentence.find("set aside"), std::string::npos) << rep.service->sentence;
}

// A pre-fork server's parent sleeping in select with no descriptors (apr_sleep): a sleep, not
// an event loop waiting in select. The same parent on a listener and a pipe is a loop.
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

}  // namespace
}  // namespace iotrace
