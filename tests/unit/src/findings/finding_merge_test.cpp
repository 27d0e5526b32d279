// Findings merged across the threads of a process: on a capture whose eight worker threads
// block at one call site, and on findings built by hand for the key and the ranking.
#include "src/findings/finding_merge.hpp"

#include <gtest/gtest.h>

#include "capture_builder.hpp"
#include "src/output/report.hpp"

namespace iotrace {
namespace {

using test::CaptureBuilder;
using test::k_ms;

Stack stack_of(std::vector<std::string> symbols) {
  Stack s;
  for (auto& sym : symbols) {
    Frame f;
    f.module = "apache2";
    f.symbol = std::move(sym);
    f.sym_offset = 0x10;
    f.addr = 0x400000 + s.frames.size();
    s.frames.push_back(std::move(f));
  }
  return s;
}

// Eight threads of apache2 (501..508) each call fsync from ap_log on their loop, thread i
// i times for i * 10 ms asleep; thread 509 calls it from another site.
CaptureBuilder apache_workers() {
  CaptureBuilder b;
  b.process(500, "apache2");
  for (uint32_t i = 1; i <= 9; ++i) {
    b.thread(500, 500 + i, "apache2").loop = true;
    b.row(500 + i, "epoll_wait", 100, FdKind::epoll, 100000).ret_sum = 100;
    b.row(500 + i, "read", 100, FdKind::tcp).nonblock = true;
  }
  for (uint32_t i = 1; i <= 9; ++i) {
    auto& f = b.flagged(500 + i, "fsync", FdKind::regular, FlagKind::slow);
    f.count = i == 9 ? 1 : i;
    f.total_ns = f.sleep_ns = f.count * 10 * k_ms;
    f.max_ns = 10 * k_ms;
    f.hist.slots[log2_slot(10 * k_ms)] = f.count;
    f.stack = stack_of(i == 9 ? std::vector<std::string>{"ap_rotate", "main"}
                              : std::vector<std::string>{"ap_log", "main"});
    f.stack.frames[0].addr += i;  // the addresses may differ; the symbols decide
  }
  return b;
}

std::vector<const Finding*> with_id(const ProcessReport& p, std::string_view id) {
  std::vector<const Finding*> out;
  for (const auto& f : p.findings)
    if (f.id == id) out.push_back(&f);
  return out;
}

TEST(FindingMerge, OneFindingForEightThreadsAtOneCallSite) {
  Report rep = apache_workers().report();
  const auto& p = rep.processes[0];
  auto blocking = with_id(p, "blocking-call-on-loop");
  ASSERT_EQ(blocking.size(), 2u);
  const Finding& f = *blocking[0];  // 360 ms lost: ranked before the 10 ms one
  EXPECT_EQ(f.tid, 508u);
  EXPECT_EQ(f.thread, "apache2");
  EXPECT_EQ(f.count, 36u);
  EXPECT_EQ(f.total_ns, 360 * k_ms);
  EXPECT_EQ(f.sleep_ns, 360 * k_ms);
  EXPECT_EQ(f.max_ns, 10 * k_ms);
  EXPECT_EQ(f.tids, (std::vector<uint32_t>{501, 502, 503, 504, 505, 506, 507, 508}));
  EXPECT_EQ(f.thread_names, std::vector<std::string>{"apache2"});
  EXPECT_EQ(f.stack.frames.at(0).symbol, "ap_log");
  EXPECT_EQ(f.evidence.rfind("8 threads (apache2): count 36 in all, 360ms in total; the worst, "
                             "thread 508: fsync on a regular fd ran 8 times on event-loop thread "
                             "508 (apache2): 80.0ms in total",
                             0),
            0u)
      << f.evidence;

  const Finding& other = *blocking[1];
  EXPECT_EQ(other.tid, 509u);
  EXPECT_EQ(other.tids, std::vector<uint32_t>{509});
  EXPECT_EQ(other.count, 1u);
  EXPECT_EQ(other.evidence.rfind("fsync on a regular fd ran 1 times on event-loop thread 509", 0), 0u)
      << other.evidence;
}

Finding make(std::string id, Severity sev, uint32_t tid, std::string thread, uint64_t count,
             uint64_t total_ns) {
  Finding f;
  f.id = std::move(id);
  f.severity = sev;
  f.tid = tid;
  f.thread = std::move(thread);
  f.count = count;
  f.total_ns = total_ns;
  f.evidence = "evidence of " + std::to_string(tid);
  return f;
}

TEST(FindingMerge, KeyIsIdSyscallFdKindAndSite) {
  std::vector<Finding> in;
  in.push_back(make("tiny-reads", Severity::low, 11, "w", 2000, 0));
  in.push_back(make("tiny-reads", Severity::low, 12, "w", 3000, 0));
  auto other_call = make("tiny-reads", Severity::low, 13, "w", 1000, 0);
  other_call.syscall = "recvfrom";
  in.push_back(other_call);
  auto other_kind = make("tiny-reads", Severity::low, 14, "w", 1000, 0);
  other_kind.fd_kind = FdKind::unix_socket;
  in.push_back(other_kind);
  auto other_site = make("tiny-reads", Severity::low, 15, "w", 1000, 0);
  other_site.stack = stack_of({"reader"});
  in.push_back(other_site);
  in.push_back(make("eagain-waste", Severity::low, 16, "w", 1000, 0));
  auto out = merge_findings(in);
  ASSERT_EQ(out.size(), 5u);
  EXPECT_EQ(out[0].tids, (std::vector<uint32_t>{11, 12}));
  EXPECT_EQ(out[0].tid, 12u);  // the larger count: the worst
  EXPECT_EQ(out[0].count, 5000u);
  EXPECT_EQ(out[0].evidence, "2 threads (w): count 5000 in all; the worst, thread 12: evidence of 12");
  for (size_t i = 1; i < out.size(); ++i) EXPECT_EQ(out[i].tids.size(), 1u) << out[i].tid;
}

TEST(FindingMerge, NamesMostCommonFirstAndCutAfterThree) {
  std::vector<Finding> in;
  const char* names[] = {"pool-3", "pool-1", "pool-1", "pool-2", "pool-4", "pool-5"};
  for (uint32_t i = 0; i < 6; ++i) in.push_back(make("busy-poll", Severity::high, 20 + i, names[i], 100 + i, 0));
  auto out = merge_findings(in);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].thread_names,
            (std::vector<std::string>{"pool-1", "pool-2", "pool-3", "pool-4", "pool-5"}));
  EXPECT_EQ(out[0].tid, 25u);
  EXPECT_EQ(out[0].thread, "pool-5");
  EXPECT_EQ(out[0].evidence,
            "6 threads (pool-1, pool-2 and 3 other names): count 615 in all; the worst, thread 25: "
            "evidence of 25");
}

TEST(FindingMerge, SumsTimesAndTakesTheLargestMaxima) {
  auto a = make("loop-stall", Severity::high, 31, "loop", 3, 90 * k_ms);
  a.max_ns = 40 * k_ms;
  a.p50_ns = 25 * k_ms;
  a.p99_ns = 40 * k_ms;
  a.sleep_ns = 60 * k_ms;
  a.runq_ns = 5 * k_ms;
  auto b = make("loop-stall", Severity::high, 32, "loop", 2, 100 * k_ms);
  b.max_ns = 70 * k_ms;
  b.p50_ns = 30 * k_ms;
  b.p99_ns = 70 * k_ms;
  b.sleep_ns = 20 * k_ms;
  b.runq_ns = 1 * k_ms;
  b.stack.truncated = true;
  auto out = merge_findings({a, b});
  ASSERT_EQ(out.size(), 1u);
  const Finding& f = out[0];
  EXPECT_EQ(f.tid, 32u);
  EXPECT_EQ(f.count, 5u);
  EXPECT_EQ(f.total_ns, 190 * k_ms);
  EXPECT_EQ(f.max_ns, 70 * k_ms);
  EXPECT_EQ(f.p50_ns, 30 * k_ms);
  EXPECT_EQ(f.p99_ns, 70 * k_ms);
  EXPECT_EQ(f.sleep_ns, 80 * k_ms);
  EXPECT_EQ(f.runq_ns, 6 * k_ms);
  EXPECT_TRUE(f.stack.truncated);
  EXPECT_EQ(f.evidence,
            "2 threads (loop): count 5 in all, 190ms in total; the worst, thread 32: evidence of 32");
}

TEST(FindingMerge, ProcessFindingsStayAsTheyAre) {
  auto a = make("uring-cq-overflow", Severity::medium, 0, "", 4, 0);
  auto out = merge_findings({a, a});
  ASSERT_EQ(out.size(), 2u);
  EXPECT_TRUE(out[0].tids.empty());
  EXPECT_EQ(out[0].evidence, "evidence of 0");
}

TEST(FindingMerge, RankedBySeverityThenTimeLostThenCount) {
  std::vector<Finding> in;
  in.push_back(make("tiny-reads", Severity::low, 41, "a", 9000, 0));
  in.push_back(make("slow-call-on-loop", Severity::medium, 42, "a", 10, 50 * k_ms));
  in.push_back(make("eagain-waste", Severity::low, 43, "a", 200, 0));
  in.push_back(make("preempted-on-loop", Severity::medium, 44, "a", 400, 20 * k_ms));
  in.push_back(make("busy-poll", Severity::high, 45, "a", 100, 0));
  in.push_back(make("epoll-ctl-churn", Severity::low, 46, "a", 9000, 0));
  auto out = merge_findings(in);
  std::vector<uint32_t> order;
  for (const auto& f : out) order.push_back(f.tid);
  // 41 and 46 tie on severity, time and count: the id decides
  EXPECT_EQ(order, (std::vector<uint32_t>{45, 42, 44, 46, 41, 43}));
}

}  // namespace
}  // namespace iotrace
