// The I/O model of each reference workload (tests/workloads), judged live: the model, epoll
// triggering mode, thread roles and the numbers the verdict rests on. Every workload serves
// a load client running in a separate, untraced process, so the counts are the server's.
#include <string>
#include <vector>

#include "harness.hpp"

using namespace itest;
using nlohmann::json;

namespace {

class ModelTest : public ::testing::Test {
 protected:
  void TearDown() override {
    if (bpf_available()) {
      EXPECT_TRUE(leftover_programs().empty()) << "iotrace left programs loaded";
    }
  }
};

json trace(const std::string& workload, std::vector<std::string> wargs = {},
           std::vector<std::string> extra = {}) {
  std::vector<std::string> args{"--json"};
  args.insert(args.end(), extra.begin(), extra.end());
  TraceResult r = trace_workload({workload, std::move(wargs), args});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(r.report.is_object()) << r.out << r.err;
  return r.report;
}

// The traced process itself (not a followed child).
const json& root(const json& report) {
  for (const auto& p : report.at("processes"))
    if (!p.at("followed").get<bool>()) return p;
  throw std::runtime_error("no root process in the report");
}

std::vector<json> threads_named(const json& proc, const std::string& comm) {
  std::vector<json> out;
  for (const auto& t : proc.at("threads"))
    if (t.at("comm").get<std::string>().rfind(comm, 0) == 0) out.push_back(t);
  return out;
}

const json& only_thread(const json& proc) {
  EXPECT_EQ(proc.at("threads").size(), 1u) << proc.at("threads").dump();
  return proc.at("threads").at(0);
}

double ev(const json& model_or_thread, const std::string& name) {
  const auto& e = model_or_thread.at("evidence");
  return e.contains(name) ? e.at(name).get<double>() : -1;
}

using Strings = std::vector<std::string>;

}  // namespace

TEST_F(ModelTest, BlockingThreadPerConnection) {
  REQUIRE_BPF();
  json r = trace("wl_blocking");
  const auto& p = root(r);
  const auto& m = p.at("model");
  EXPECT_EQ(m.at("model"), "blocking") << m.dump();
  EXPECT_EQ(m.at("parts"), Strings{"blocking"});
  EXPECT_TRUE(m.at("trigger").is_null());
  EXPECT_EQ(ev(m, "blocking_socket_threads"), 9);  // 8 connection threads and the acceptor
  EXPECT_EQ(ev(m, "loop_threads"), 0);
  auto conns = threads_named(p, "conn");
  ASSERT_EQ(conns.size(), 8u);
  for (const auto& t : conns) {
    EXPECT_EQ(t.at("role"), "blocking-io");
    EXPECT_EQ(t.at("model"), "blocking");
    EXPECT_EQ(ev(t, "blocking_socket_calls"), 801);  // 400 reads, 400 writes, the EOF read
  }
  EXPECT_NE(m.at("sentence").get<std::string>().find("thread-per-connection"), std::string::npos);
}

TEST_F(ModelTest, BusyPoll) {
  REQUIRE_BPF();
  json r = trace("wl_busypoll");
  const auto& p = root(r);
  EXPECT_EQ(p.at("model").at("model"), "busy-poll") << p.at("model").dump() << p.at("syscalls").dump().substr(0, 3000);
  const auto& t = only_thread(p);
  EXPECT_EQ(t.at("role"), "event-loop");
  EXPECT_EQ(t.at("model"), "busy-poll");
  // the share of EAGAIN returns follows the machine's speed, not the workload: a quarter at least
  EXPECT_GT(ev(t, "eagain_share"), 0.25);
  EXPECT_GE(ev(t, "eagain"), 100);
  EXPECT_EQ(syscall_calls(p, "epoll_wait") + syscall_calls(p, "poll"), 0u);
}

TEST_F(ModelTest, Select) {
  REQUIRE_BPF();
  json r = trace("wl_select");
  const auto& p = root(r);
  EXPECT_EQ(p.at("model").at("model"), "select") << p.at("model").dump();
  const auto& t = only_thread(p);
  EXPECT_EQ(t.at("role"), "event-loop");
  EXPECT_EQ(t.at("model"), "select");
  EXPECT_EQ(ev(t, "waits"), static_cast<double>(syscall_calls(p, "select") + syscall_calls(p, "pselect6")));
  EXPECT_GT(ev(t, "waits"), 0);
}

TEST_F(ModelTest, Poll) {
  REQUIRE_BPF();
  json r = trace("wl_poll");
  const auto& p = root(r);
  EXPECT_EQ(p.at("model").at("model"), "poll") << p.at("model").dump();
  const auto& t = only_thread(p);
  EXPECT_EQ(t.at("role"), "event-loop");
  EXPECT_EQ(t.at("model"), "poll");
  EXPECT_EQ(ev(t, "waits"), static_cast<double>(syscall_calls(p, "poll") + syscall_calls(p, "ppoll")));
}

TEST_F(ModelTest, EpollLevelTriggered) {
  REQUIRE_BPF();
  json r = trace("wl_epoll_lt");
  const auto& p = root(r);
  const auto& m = p.at("model");
  EXPECT_EQ(m.at("model"), "epoll") << m.dump();
  EXPECT_EQ(m.at("trigger"), "level");
  // 8 connections registered while traced; the listener before attach, seen in fdinfo
  EXPECT_EQ(ev(m, "epoll_ctl_level"), 8);
  EXPECT_EQ(ev(m, "epoll_ctl_edge"), 0);
  EXPECT_EQ(ev(m, "fdinfo_level"), 1);
  EXPECT_FALSE(m.at("oneshot").get<bool>());
  EXPECT_NE(m.at("interest_fd_kinds").dump().find("tcp"), std::string::npos);
  const auto& t = only_thread(p);
  EXPECT_EQ(t.at("role"), "event-loop");
  EXPECT_EQ(t.at("model"), "epoll");
  EXPECT_EQ(t.at("trigger"), "level");
  EXPECT_GT(ev(t, "events_per_wait"), 1.0);
}

TEST_F(ModelTest, EpollEdgeTriggered) {
  REQUIRE_BPF();
  json r = trace("wl_epoll_et");
  const auto& p = root(r);
  const auto& m = p.at("model");
  EXPECT_EQ(m.at("model"), "epoll") << m.dump();
  EXPECT_EQ(m.at("trigger"), "edge");
  EXPECT_EQ(ev(m, "epoll_ctl_edge"), 8);
  EXPECT_EQ(ev(m, "epoll_ctl_level"), 0);
  EXPECT_EQ(ev(m, "fdinfo_edge"), 1);
  const auto& t = only_thread(p);
  EXPECT_EQ(t.at("trigger"), "edge");
  // edge-triggered reads drain to EAGAIN
  EXPECT_GE(syscall_calls(p, "read", "tcp", "eagain"), 1u);
}

TEST_F(ModelTest, EpollEdgeTriggeredFromFdinfoWhenRegisteredBeforeAttach) {
  REQUIRE_BPF();
  json r = trace("wl_epoll_et", {"preconnect"});
  const auto& p = root(r);
  const auto& m = p.at("model");
  EXPECT_EQ(syscall_calls(p, "epoll_ctl"), 0u) << "registrations were meant to predate the trace";
  EXPECT_EQ(m.at("model"), "epoll") << m.dump();
  EXPECT_EQ(m.at("trigger"), "edge");
  EXPECT_EQ(ev(m, "fdinfo_edge"), 8);
  EXPECT_EQ(ev(m, "epoll_ctl_edge"), 0);
  const auto& t = only_thread(p);
  EXPECT_EQ(t.at("role"), "event-loop");
  EXPECT_EQ(t.at("trigger"), "edge");
}

TEST_F(ModelTest, IoUring) {
  REQUIRE_BPF();
  json r = trace("wl_uring");
  const auto& p = root(r);
  const auto& m = p.at("model");
  EXPECT_EQ(m.at("model"), "io_uring") << m.dump();
  EXPECT_EQ(m.at("parts"), Strings{"io_uring"});
  // 8 accepts, 8 x 401 recvs (the last one sees EOF), 8 x 400 sends, 8 closes
  EXPECT_EQ(ev(m, "uring_sqes"), 6424);
  EXPECT_NE(m.at("sentence").get<std::string>().find("recv 3208"), std::string::npos) << m.dump();
  const auto& t = only_thread(p);
  EXPECT_EQ(t.at("role"), "event-loop");
  EXPECT_EQ(t.at("model"), "io_uring");
  EXPECT_GT(ev(t, "waits"), 0);
}

// With the raw_tp syscall programs (a kernel without what the tp_btf ones need), the io_uring
// tracepoint programs still load and count into the same thread rows.
TEST_F(ModelTest, IoUringCountedWithRawTracepoints) {
  REQUIRE_BPF();
  TraceSpec spec{"wl_uring", {}, {"--json"}};
  spec.global_args = {"--no-feature", "tp_btf"};
  TraceResult r = trace_workload(spec);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  ASSERT_TRUE(r.report.is_object()) << r.out;
  const auto& p = root(r.report);
  EXPECT_EQ(p.at("model").at("model"), "io_uring") << p.at("model").dump();
  EXPECT_EQ(ev(p.at("model"), "uring_sqes"), 6424);
  EXPECT_EQ(r.report.at("notes"), json::array({"kernel feature tp_btf fallback: disabled with --no-feature tp_btf: raw tracepoints are used"}));
}

TEST_F(ModelTest, IoUringSqpoll) {
  REQUIRE_BPF();
  json r = trace("wl_uring_sqpoll");
  const auto& p = root(r);
  const auto& m = p.at("model");
  EXPECT_EQ(m.at("model"), "io_uring") << m.dump();
  EXPECT_EQ(ev(m, "sqpoll_threads"), 1);
  EXPECT_EQ(ev(m, "uring_sqes"), 6424);
  auto sqp = threads_named(p, "iou-sqp");
  ASSERT_EQ(sqp.size(), 1u) << p.at("threads").dump();
  EXPECT_EQ(sqp[0].at("role"), "sqpoll");
  EXPECT_EQ(ev(sqp[0], "sqes"), 6424);
  auto loop = threads_named(p, "wl_uring_sqpoll");
  ASSERT_EQ(loop.size(), 1u);
  EXPECT_EQ(loop[0].at("role"), "event-loop");
  EXPECT_EQ(loop[0].at("model"), "io_uring");
}

TEST_F(ModelTest, LinuxAio) {
  REQUIRE_BPF();
  json r = trace("wl_aio");
  const auto& p = root(r);
  EXPECT_EQ(p.at("model").at("model"), "linux-aio") << p.at("model").dump();
  EXPECT_EQ(syscall_calls(p, "io_submit"), 300u);
  const auto& t = only_thread(p);
  // file I/O only: the thread drives its own disk I/O, no client waits on it
  EXPECT_EQ(t.at("role"), "async-io");
  EXPECT_EQ(t.at("model"), "linux-aio");
  EXPECT_EQ(ev(t, "aio_submits"), 300);
  EXPECT_EQ(ev(t, "aio_iocbs_per_submit"), 8);
}

TEST_F(ModelTest, ThreadPoolBehindAnEpollLoop) {
  REQUIRE_BPF();
  json r = trace("wl_threadpool");
  const auto& p = root(r);
  const auto& m = p.at("model");
  EXPECT_EQ(m.at("model"), "threadpool") << m.dump();
  EXPECT_EQ(m.at("parts"), (Strings{"epoll", "threadpool"}));
  EXPECT_EQ(m.at("trigger"), "level");
  EXPECT_EQ(ev(m, "pool_threads"), 4);
  EXPECT_EQ(ev(m, "loop_threads"), 1);
  auto pool = threads_named(p, "pool");
  ASSERT_EQ(pool.size(), 4u);
  double reads = 0;
  for (const auto& t : pool) {
    EXPECT_EQ(t.at("role"), "pool-worker");
    EXPECT_EQ(t.at("model"), "blocking");
    reads += ev(t, "file_calls");
  }
  EXPECT_EQ(reads, 2400);  // 8 connections x 300 requests, one pread each
  auto loop = threads_named(p, "wl_threadpool");
  ASSERT_EQ(loop.size(), 1u);
  EXPECT_EQ(loop[0].at("role"), "event-loop");
  EXPECT_EQ(loop[0].at("model"), "epoll");
}

TEST_F(ModelTest, MixedEpollAndIoUringInOneThread) {
  REQUIRE_BPF();
  json r = trace("wl_mixed");
  const auto& p = root(r);
  const auto& m = p.at("model");
  EXPECT_EQ(m.at("model"), "mixed") << m.dump();
  EXPECT_EQ(m.at("parts"), (Strings{"epoll", "io_uring"}));
  EXPECT_EQ(ev(m, "uring_sqes"), 2400);
  const auto& t = only_thread(p);
  EXPECT_EQ(t.at("role"), "event-loop");
  EXPECT_EQ(t.at("model"), "mixed");
  EXPECT_EQ(t.at("trigger"), "level");
  EXPECT_EQ(ev(t, "uring_sqes"), 2400);
}

TEST_F(ModelTest, ThreadsWithDifferentModels) {
  REQUIRE_BPF();
  json r = trace("wl_multimodel");
  const auto& p = root(r);
  const auto& m = p.at("model");
  EXPECT_EQ(m.at("model"), "mixed") << m.dump();
  EXPECT_EQ(m.at("parts"), (Strings{"epoll", "poll", "blocking"}));
  auto ep = threads_named(p, "ep-loop");
  ASSERT_EQ(ep.size(), 1u);
  EXPECT_EQ(ep[0].at("role"), "event-loop");
  EXPECT_EQ(ep[0].at("model"), "epoll");
  EXPECT_EQ(ep[0].at("trigger"), "level");
  auto pl = threads_named(p, "poll-loop");
  ASSERT_EQ(pl.size(), 1u);
  EXPECT_EQ(pl[0].at("role"), "event-loop");
  EXPECT_EQ(pl[0].at("model"), "poll");
  auto conns = threads_named(p, "conn");
  ASSERT_EQ(conns.size(), 4u);
  for (const auto& t : conns) {
    EXPECT_EQ(t.at("role"), "blocking-io");
    EXPECT_EQ(t.at("model"), "blocking");
    EXPECT_EQ(ev(t, "blocking_socket_calls"), 601);
  }
}

TEST_F(ModelTest, PreforkServerIsOneBlockingServiceWithFollowChildren) {
  REQUIRE_BPF();
  json r = trace("wl_prefork", {}, {"--follow-children"});
  const auto& procs = r.at("processes");
  ASSERT_EQ(procs.size(), 5u) << "master and 4 workers (2 forked before attach, 2 after)";
  const auto& master = root(r);
  std::string master_model = master.at("model").at("model");
  EXPECT_TRUE(master_model == "unknown" || master_model == "idle") << master.at("model").dump();
  int workers = 0;
  for (const auto& p : procs) {
    if (!p.at("followed").get<bool>()) continue;
    ++workers;
    EXPECT_EQ(p.at("model").at("model"), "blocking") << p.at("model").dump();
    EXPECT_EQ(p.at("threads").at(0).at("role"), "blocking-io");
    // 400 reads, 400 writes, the EOF read, and the accept for workers forked after attach
    double calls = ev(p.at("threads").at(0), "blocking_socket_calls");
    EXPECT_TRUE(calls == 801 || calls == 802) << calls;
  }
  EXPECT_EQ(workers, 4);
  const auto& s = r.at("service");
  ASSERT_TRUE(s.is_object()) << r.dump();
  EXPECT_EQ(s.at("model"), "blocking");
  EXPECT_EQ(s.at("root_pid"), master.at("pid"));
  EXPECT_EQ(ev(s, "blocking_processes"), 4);
  EXPECT_NE(s.at("sentence").get<std::string>().find("process-per-connection"), std::string::npos);
}

TEST_F(ModelTest, NoServiceVerdictWithoutFollowChildren) {
  REQUIRE_BPF();
  json r = trace("wl_prefork");
  EXPECT_EQ(r.at("processes").size(), 1u);
  EXPECT_TRUE(r.at("service").is_null());
}

// select with no descriptors is a sleep (Python's select.select([], [], [], t) makes
// select(0, NULL, NULL, NULL, t)): a process that only sleeps that way has no event loop,
// and an asyncio loop that calls it in a handler gets a blocking call on the loop, on select.
TEST_F(ModelTest, ASelectWithNoDescriptorsIsASleepNotAWait) {
  REQUIRE_BPF();
  TraceResult sleeper = run_iotrace({"run", "--json", "--", "/usr/bin/python3.11", "-c",
                                     "import select\nfor _ in range(20): select.select([], [], [], 0.02)"});
  ASSERT_EQ(sleeper.exit_code, 0) << sleeper.err;
  const auto& p = sleeper.report.at("processes").at(0);
  EXPECT_NE(p.at("model").at("model"), "select") << p.at("model").dump();
  for (const auto& t : p.at("threads")) EXPECT_NE(t.at("role"), "event-loop") << t.dump();

  const char* loop =
      "import asyncio, select\n"
      "async def main():\n"
      "    loop = asyncio.get_running_loop()\n"
      "    for _ in range(12):\n"
      "        fut = loop.create_future()\n"
      "        loop.call_soon(lambda f=fut: (select.select([], [], [], 0.03), f.set_result(1)))\n"
      "        await fut\n"
      "        await asyncio.sleep(0.005)\n"
      "asyncio.run(main())\n";
  TraceResult looped = run_iotrace({"run", "--json", "--", "/usr/bin/python3.11", "-c", loop});
  ASSERT_EQ(looped.exit_code, 0) << looped.err;
  const auto& q = looped.report.at("processes").at(0);
  bool found = false;
  for (const auto& f : q.at("findings"))
    // glibc's select() makes the pselect6 system call on current kernels
    found = found || (f.at("id") == "blocking-call-on-loop" &&
                      (f.at("syscall") == "select" || f.at("syscall") == "pselect6") &&
                      f.at("count").get<int>() == 12);
  EXPECT_TRUE(found) << q.at("findings").dump(1);
}
