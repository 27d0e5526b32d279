// Folding short-lived threads: the rule on processes built by hand, and a thread-per-request
// server end to end through build_report.
#include "src/model/thread_fold.hpp"

#include <gtest/gtest.h>

#include <algorithm>

#include "capture_builder.hpp"

namespace iotrace {
namespace {

using test::CaptureBuilder;
using test::k_ms;
using test::k_s;

// A thread of process 1 (traced 10 s) that lived from first to last and made `calls` reads.
ThreadLine line(uint32_t tid, std::string comm, std::string role, uint64_t calls, uint64_t first,
                uint64_t last, bool exited = true) {
  ThreadLine t;
  t.thread.tid = tid;
  t.thread.pid = 1;
  t.thread.comm = std::move(comm);
  t.thread.first_ns = first;
  t.thread.last_ns = last;
  t.thread.exited = exited;
  t.thread.oncpu_ns = 1 * k_ms;
  t.thread.sleep_ns = 2 * k_ms;
  t.thread.runq_ns = 3 * k_ms;
  t.thread.vol_switches = 4;
  t.thread.invol_switches = 5;
  t.thread.stalls = 0;
  t.model.tid = tid;
  t.model.role = std::move(role);
  t.model.model = "blocking";
  SyscallLine s;
  s.nr = test::nr_of("read");
  s.fd_kind = FdKind::tcp;
  s.stats.calls = calls;
  s.stats.total_ns = calls * 1000;
  t.total = s.stats;
  t.syscalls.push_back(s);
  return t;
}

ProcessReport process(std::vector<ThreadLine> threads) {
  ProcessReport pr;
  pr.process.pid = 1;
  pr.process.traced_ns = 10 * k_s;
  std::stable_sort(threads.begin(), threads.end(), [](const auto& a, const auto& b) {
    return std::tie(b.total.calls, a.thread.tid) < std::tie(a.total.calls, b.thread.tid);
  });
  pr.threads = std::move(threads);
  pr.threads_seen = static_cast<uint32_t>(pr.threads.size());
  return pr;
}

std::vector<uint32_t> tids(const ProcessReport& pr) {
  std::vector<uint32_t> out;
  for (const auto& t : pr.threads) out.push_back(t.thread.tid);
  std::sort(out.begin(), out.end());
  return out;
}

const FoldRule k_keep_two{2, 0.5};

TEST(ThreadFold, Lifetime) {
  ThreadRecord t;
  t.first_ns = 2 * k_s;
  t.last_ns = 3 * k_s;
  t.exited = true;
  EXPECT_EQ(thread_lifetime_ns(t, 10 * k_s), 1 * k_s);
  t.exited = false;  // alive: to the end of the capture
  EXPECT_EQ(thread_lifetime_ns(t, 10 * k_s), 8 * k_s);
  t.exited = true;
  t.last_ns = 1 * k_s;  // an end before the start lived no time
  EXPECT_EQ(thread_lifetime_ns(t, 10 * k_s), 0u);
}

TEST(ThreadFold, NamesAreComparedWithoutTheirDigits) {
  EXPECT_EQ(fold_name("python3"), "python*");
  EXPECT_EQ(fold_name("Thread-12 (proc"), "Thread-* (proc");
  EXPECT_EQ(fold_name("pool-1-thread-42"), "pool-*-thread-*");
  EXPECT_EQ(fold_name("worker"), "worker");
  EXPECT_EQ(fold_name(""), "");
}

TEST(ThreadFold, ShortLivedThreadsOfOneRoleAndNameBecomeOneEntry) {
  std::vector<ThreadLine> ts;
  ts.push_back(line(100, "python3", "event-loop", 5000, 0, 10 * k_s, false));
  for (uint32_t i = 0; i < 20; ++i)
    ts.push_back(line(200 + i, "python3", "blocking-io", 30 + i, i * 100 * k_ms,
                      i * 100 * k_ms + (i + 1) * k_ms));
  ProcessReport pr = process(std::move(ts));
  pr.metrics.values = {{"syscalls_per_op", 2, 0}, {"syscalls_per_op", 1, 100}, {"syscalls_per_op", 3, 205}};
  fold_threads(pr, 10 * k_s, k_keep_two);
  // kept: the event loop (also the busiest) and the next busiest, 219
  EXPECT_EQ(tids(pr), (std::vector<uint32_t>{100, 219}));
  ASSERT_EQ(pr.thread_groups.size(), 1u);
  const ThreadGroup& g = pr.thread_groups[0];
  EXPECT_EQ(g.comm, "python3");
  EXPECT_EQ(g.role, "blocking-io");
  EXPECT_EQ(g.model, "blocking");
  EXPECT_EQ(g.threads, 19u);
  EXPECT_EQ(g.exited, 19u);
  EXPECT_EQ(g.total.calls, 19u * 30 + 18 * 19 / 2);  // 30..48
  ASSERT_EQ(g.syscalls.size(), 1u);
  EXPECT_EQ(g.syscalls[0].stats.calls, g.total.calls);
  EXPECT_EQ(g.lifetime_min_ns, 1 * k_ms);
  EXPECT_EQ(g.lifetime_median_ns, 10 * k_ms);  // lifetimes 1..19 ms
  EXPECT_EQ(g.lifetime_max_ns, 19 * k_ms);
  EXPECT_EQ(g.oncpu_ns, 19 * k_ms);
  EXPECT_EQ(g.sleep_ns, 38 * k_ms);
  EXPECT_EQ(g.runq_ns, 57 * k_ms);
  EXPECT_EQ(g.vol_switches, 76u);
  EXPECT_EQ(g.invol_switches, 95u);
  EXPECT_EQ(pr.threads_seen, 21u);
  // the folded thread's metrics go; the process's and the kept loop's stay
  ASSERT_EQ(pr.metrics.values.size(), 2u);
  EXPECT_EQ(pr.metrics.values[1].tid, 100u);
}

TEST(ThreadFold, LoopsNamedThreadsLongLivedAndLoneThreadsKeepTheirEntry) {
  std::vector<ThreadLine> ts;
  ts.push_back(line(1, "srv", "compute", 900, 0, 10 * k_s, false));
  ts.push_back(line(2, "srv", "compute", 800, 0, 10 * k_s, false));
  // short-lived event loops are never folded
  ts.push_back(line(10, "loop", "event-loop", 5, 0, 1 * k_ms));
  ts.push_back(line(11, "loop", "event-loop", 5, 0, 1 * k_ms));
  // named by a finding
  ts.push_back(line(20, "w", "blocking-io", 5, 0, 1 * k_ms));
  ts.push_back(line(21, "w", "blocking-io", 5, 0, 1 * k_ms));
  ts.push_back(line(22, "w", "blocking-io", 5, 0, 1 * k_ms));
  // lived half the trace: not short-lived; just under half: folded with 20..22's group
  ts.push_back(line(30, "w", "blocking-io", 5, 1 * k_s, 6 * k_s));
  ts.push_back(line(31, "w", "blocking-io", 5, 1 * k_s, 6 * k_s - 1));
  // alone in its role and name
  ts.push_back(line(40, "gc", "compute", 5, 0, 1 * k_ms));
  ts.push_back(line(41, "w", "idle", 5, 0, 1 * k_ms));
  ProcessReport pr = process(std::move(ts));
  Finding f;
  f.id = "tiny-reads";
  f.tid = 20;
  f.tids = {20, 21};
  pr.findings.push_back(f);
  fold_threads(pr, 10 * k_s, k_keep_two);
  EXPECT_EQ(tids(pr), (std::vector<uint32_t>{1, 2, 10, 11, 20, 30, 40, 41}));
  ASSERT_EQ(pr.thread_groups.size(), 1u);
  EXPECT_EQ(pr.thread_groups[0].threads, 3u);  // 21, 22, 31
  EXPECT_EQ(pr.thread_groups[0].comm, "w");
  EXPECT_EQ(pr.thread_groups[0].lifetime_max_ns, 5 * k_s - 1);
}

TEST(ThreadFold, GroupsByRoleAndByNameUpToDigits) {
  std::vector<ThreadLine> ts;
  ts.push_back(line(1, "main", "compute", 900, 0, 10 * k_s, false));
  ts.push_back(line(2, "main", "compute", 800, 0, 10 * k_s, false));
  ts.push_back(line(10, "Thread-10 (proc", "blocking-io", 9, 0, 1 * k_ms));
  ts.push_back(line(11, "Thread-11 (proc", "blocking-io", 8, 0, 1 * k_ms));
  ts.push_back(line(12, "Thread-9 (proce", "blocking-io", 7, 0, 1 * k_ms));  // another pattern
  ts.push_back(line(13, "Thread-13 (proc", "compute", 6, 0, 1 * k_ms));
  ts.push_back(line(14, "Thread-14 (proc", "compute", 5, 10 * k_s - 1 * k_ms, 10 * k_s, false));
  ts.push_back(line(15, "x", "compute", 1, 0, 1 * k_ms));
  ts.push_back(line(16, "x", "compute", 1, 0, 1 * k_ms));
  ProcessReport pr = process(std::move(ts));
  fold_threads(pr, 10 * k_s + 1 * k_ms, k_keep_two);
  EXPECT_EQ(tids(pr), (std::vector<uint32_t>{1, 2, 12}));
  ASSERT_EQ(pr.thread_groups.size(), 3u);
  // busiest first
  EXPECT_EQ(pr.thread_groups[0].comm, "Thread-* (proc");
  EXPECT_EQ(pr.thread_groups[0].role, "blocking-io");
  EXPECT_EQ(pr.thread_groups[0].threads, 2u);
  EXPECT_EQ(pr.thread_groups[1].comm, "Thread-* (proc");
  EXPECT_EQ(pr.thread_groups[1].role, "compute");
  EXPECT_EQ(pr.thread_groups[1].exited, 1u);
  EXPECT_EQ(pr.thread_groups[1].lifetime_max_ns, 2 * k_ms);  // alive: to the capture's end
  EXPECT_EQ(pr.thread_groups[2].comm, "x");
}

TEST(ThreadFold, NothingToFoldLeavesTheProcessAsItWas) {
  ProcessReport pr = process({line(1, "a", "compute", 9, 0, 1 * k_ms), line(2, "b", "compute", 8, 0, 1 * k_ms)});
  fold_threads(pr, 10 * k_s);
  EXPECT_EQ(tids(pr), (std::vector<uint32_t>{1, 2}));
  EXPECT_TRUE(pr.thread_groups.empty());
}

// A ThreadingHTTPServer: one accept loop and 300 request threads that each live a few
// milliseconds and make 30 calls.
CaptureBuilder thread_per_request() {
  CaptureBuilder b;
  b.process(900, "python3");
  test::epoll_loop(b, 900, 900, 300, 1);
  for (uint32_t i = 0; i < 300; ++i) {
    uint32_t tid = 1000 + i;
    auto& t = b.thread(900, tid, "python3");
    t.first_ns = i * 30 * k_ms;
    t.last_ns = t.first_ns + 4 * k_ms;
    t.exited = true;
    b.row(tid, "recvfrom", 10, FdKind::tcp).bytes = 10 * 600;
    b.row(tid, "sendto", 10, FdKind::tcp).bytes = 10 * 2000;
    b.row(tid, "close", 10, FdKind::tcp);
  }
  return b;
}

TEST(ThreadFold, ThreadPerRequestServerReportStaysSmall) {
  CaptureBuilder b = thread_per_request();
  Report folded = build_report(b.capture());
  const ProcessReport& p = folded.processes[0];
  EXPECT_EQ(p.threads_seen, 301u);
  EXPECT_LE(p.threads.size(), 20u);
  uint32_t in_groups = 0;
  for (const auto& g : p.thread_groups) in_groups += g.threads;
  EXPECT_EQ(p.threads.size() + in_groups, 301u);
  EXPECT_GE(in_groups, 280u);
  for (const auto& m : p.metrics.values) {
    if (!m.tid) continue;
    EXPECT_TRUE(std::any_of(p.threads.begin(), p.threads.end(),
                            [&](const ThreadLine& t) { return t.thread.tid == m.tid; }))
        << m.id << " of folded thread " << m.tid;
  }

  Report all = build_report(b.capture(), ReportOptions{true});
  EXPECT_TRUE(all.all_threads);
  EXPECT_EQ(all.processes[0].threads.size(), 301u);
  EXPECT_TRUE(all.processes[0].thread_groups.empty());
  // the process's own numbers do not depend on folding
  EXPECT_EQ(all.processes[0].total.calls, p.total.calls);
  EXPECT_EQ(all.processes[0].metrics.get("syscalls_per_op"), p.metrics.get("syscalls_per_op"));
  EXPECT_EQ(all.processes[0].findings.size(), p.findings.size());
}

}  // namespace
}  // namespace iotrace
