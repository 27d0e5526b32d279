#include "src/output/exporter_metrics.hpp"

#include <gtest/gtest.h>
#include <prometheus/text_serializer.h>

#include <set>

#include "capture_builder.hpp"

namespace iotrace {
namespace {

using test::CaptureBuilder;
using test::k_ms;

// A loop (pid 100) that stalled `stalls` times in 30 ms sleeps, flagged as slow calls.
Capture blocking_loop(uint32_t pid, uint64_t stalls, uint64_t start_ticks = 1) {
  CaptureBuilder b;
  b.process(pid, "server").start_time_ticks = start_ticks;
  test::epoll_loop(b, pid, pid, 1000, 2);
  for (auto& t : b.capture().threads)
    if (t.tid == pid) t.stalls = stalls;
  auto& f = b.flagged(pid, "clock_nanosleep", FdKind::none, FlagKind::slow);
  f.count = stalls;
  f.total_ns = stalls * 30 * k_ms;
  f.sleep_ns = f.total_ns;  // asleep in the call: it blocked
  for (uint64_t i = 0; i < stalls; ++i) {
    Stall s;
    s.tid = pid;
    s.dur_ns = 31 * k_ms;
    s.sys_ns = s.sleep_ns = s.max_sys_ns = 30 * k_ms;
    s.max_nr = test::nr_of("clock_nanosleep");
    b.capture().stalls.push_back(s);
  }
  b.row(pid, "clock_nanosleep", stalls, FdKind::none, 30 * k_ms);
  return b.capture();
}

const prometheus::MetricFamily* family(const std::vector<prometheus::MetricFamily>& fs,
                                       const std::string& name) {
  for (const auto& f : fs)
    if (f.name == name) return &f;
  return nullptr;
}

std::string label(const prometheus::ClientMetric& m, const std::string& name) {
  for (const auto& l : m.label)
    if (l.name == name) return l.value;
  return "<none>";
}

const prometheus::ClientMetric* series(const std::vector<prometheus::MetricFamily>& fs,
                                       const std::string& name, const std::string& pid) {
  const auto* f = family(fs, name);
  if (!f) return nullptr;
  for (const auto& m : f->metric)
    if (label(m, "pid") == pid) return &m;
  return nullptr;
}

TEST(ExporterMetrics, CountsStallsAndBlockingCallsOfALoopScaledToThePeriod) {
  ExporterMetrics m;
  m.add_window(blocking_loop(100, 12), 12.0, {{100, "/system.slice/app.service"}});
  auto fs = m.families({});
  const auto* stalls = series(fs, "iotrace_loop_stalls_total", "100");
  ASSERT_NE(stalls, nullptr);
  EXPECT_DOUBLE_EQ(stalls->counter.value, 144.0);  // 12 seen, 5 s of every 60 s traced
  EXPECT_EQ(label(*stalls, "thread"), "loop");
  EXPECT_EQ(label(*stalls, "cgroup"), "/system.slice/app.service");
  EXPECT_EQ(label(*stalls, "comm"), "server");
  const auto* secs = series(fs, "iotrace_loop_stall_seconds_total", "100");
  ASSERT_NE(secs, nullptr);
  EXPECT_NEAR(secs->counter.value, 144 * 0.031, 1e-9);
  const auto* calls = series(fs, "iotrace_loop_blocking_calls_total", "100");
  ASSERT_NE(calls, nullptr);
  EXPECT_EQ(label(*calls, "syscall"), "clock_nanosleep");
  EXPECT_EQ(label(*calls, "fd_kind"), "none");
  EXPECT_EQ(label(*calls, "kind"), "slow");
  EXPECT_DOUBLE_EQ(calls->counter.value, 144.0);
  const auto* model = series(fs, "iotrace_process_io_model", "100");
  ASSERT_NE(model, nullptr);
  EXPECT_EQ(label(*model, "model"), "epoll");
  EXPECT_DOUBLE_EQ(model->gauge.value, 1.0);
  std::set<std::string> findings;
  for (const auto& f : family(fs, "iotrace_process_finding")->metric) findings.insert(label(f, "finding"));
  EXPECT_TRUE(findings.count("blocking-call-on-loop")) << "the last window's findings are published";
}

TEST(ExporterMetrics, CountersAddUpAcrossWindowsOfTheSameProcess) {
  ExporterMetrics m;
  m.add_window(blocking_loop(100, 3), 1.0, {});
  m.add_window(blocking_loop(100, 4), 1.0, {});
  auto fs = m.families({});
  EXPECT_DOUBLE_EQ(series(fs, "iotrace_loop_stalls_total", "100")->counter.value, 7.0);
  // the same pid with another start time is another process (pid reuse)
  m.add_window(blocking_loop(100, 5, 99), 1.0, {});
  fs = m.families({});
  int n = 0;
  for (const auto& s : family(fs, "iotrace_loop_stalls_total")->metric) n += label(s, "pid") == "100";
  EXPECT_EQ(n, 2);
}

TEST(ExporterMetrics, AnOffloadedLoopHasNoStallSeries) {
  CaptureBuilder b;
  b.process(200, "offloaded");
  test::epoll_loop(b, 200, 200, 1000, 2);
  ExporterMetrics m;
  m.add_window(b.capture(), 1.0, {});
  auto fs = m.families({});
  EXPECT_EQ(series(fs, "iotrace_loop_stalls_total", "200"), nullptr);
  EXPECT_EQ(series(fs, "iotrace_loop_blocking_calls_total", "200"), nullptr);
  ASSERT_NE(series(fs, "iotrace_syscalls_total", "200"), nullptr);
  EXPECT_DOUBLE_EQ(series(fs, "iotrace_process_events_per_wait", "200")->gauge.value, 2.0);
}

TEST(ExporterMetrics, ProcessesPastTheLimitShareTheOtherSeriesAndAreCounted) {
  ExporterLimits lim;
  lim.max_processes = 2;
  ExporterMetrics m(lim);
  CaptureBuilder b;
  for (uint32_t pid : {10u, 11u, 12u, 13u}) {
    b.process(pid, "p" + std::to_string(pid)).start_time_ticks = pid;
    test::epoll_loop(b, pid, pid, 100 * pid, 1);  // 13 is the busiest
  }
  m.add_window(b.capture(), 1.0, {});
  EXPECT_EQ(m.processes(), 2u);
  auto fs = m.families({});
  std::set<std::string> pids;
  for (const auto& s : family(fs, "iotrace_syscalls_total")->metric) pids.insert(label(s, "pid"));
  EXPECT_EQ(pids, (std::set<std::string>{"13", "12", "other"})) << "the busiest keep their own series";
  double folded = -1;
  for (const auto& s : family(fs, "iotrace_exporter_folded_total")->metric)
    if (label(s, "what") == "process") folded = s.counter.value;
  EXPECT_DOUBLE_EQ(folded, 2.0);
}

TEST(ExporterMetrics, ThreadNamesPastTheLimitShareTheOtherThreadSeries) {
  ExporterLimits lim;
  lim.max_threads = 1;
  ExporterMetrics m(lim);
  CaptureBuilder b;
  b.process(300, "pool");
  for (uint32_t tid : {300u, 301u, 302u}) {
    test::epoll_loop(b, 300, tid, 1000, 2);
    auto& t = b.thread(300, tid, "loop-" + std::to_string(tid));
    t.comm = "loop-" + std::to_string(tid);
    t.stalls = 2;
  }
  m.add_window(b.capture(), 1.0, {});
  auto fs = m.families({});
  std::map<std::string, double> by_thread;
  for (const auto& s : family(fs, "iotrace_loop_stalls_total")->metric)
    by_thread[label(s, "thread")] = s.counter.value;
  EXPECT_EQ(by_thread.size(), 2u);
  EXPECT_DOUBLE_EQ(by_thread["other"], 4.0);
}

// With the loop watch on, loop health comes from it alone, unscaled: a window's stalls would
// count what the watch already counted.
TEST(ExporterMetrics, WithTheLoopWatchLoopHealthComesFromItAloneUnscaled) {
  ExporterMetrics m;
  m.set_loop_watch(true);
  m.add_window(blocking_loop(100, 12), 12.0, {});
  auto fs = m.families({});
  EXPECT_EQ(series(fs, "iotrace_loop_stalls_total", "100"), nullptr);
  ASSERT_NE(series(fs, "iotrace_process_io_model", "100"), nullptr) << "models still come from windows";
  Capture watched = blocking_loop(100, 3);
  watched.settings.tier = TraceTier::loop_watch;
  for (auto& t : watched.threads) t.iterations = 500;
  Frame libc, prog;
  libc.symbol = "clock_nanosleep";
  libc.module = "libc.so.6";
  prog.symbol = "handle_sleep";
  prog.module = "server";
  watched.flagged.at(0).stack.frames = {libc, prog};
  m.add_loop_watch(watched, {});
  m.add_loop_watch(watched, {});
  fs = m.families({});
  ASSERT_NE(series(fs, "iotrace_loop_stalls_total", "100"), nullptr);
  EXPECT_DOUBLE_EQ(series(fs, "iotrace_loop_stalls_total", "100")->counter.value, 6.0);
  EXPECT_DOUBLE_EQ(series(fs, "iotrace_loop_iterations_total", "100")->counter.value, 1000.0);
  const auto* calls = series(fs, "iotrace_loop_blocking_calls_total", "100");
  ASSERT_NE(calls, nullptr);
  EXPECT_DOUBLE_EQ(calls->counter.value, 6.0);
  EXPECT_EQ(label(*calls, "frame"), "handle_sleep");
}

// A thread the report does not call a loop (one connection, no listener) gets no loop series,
// whatever the kernel marked.
TEST(ExporterMetrics, LoopHealthIsKeptForEventLoopThreadsOnly) {
  ExporterMetrics m;
  CaptureBuilder b;
  auto& proc = b.process(400, "backend");
  EpollInstance inst;
  EpollEntry conn;
  conn.tfd = 9;
  conn.kind = FdKind::tcp;
  inst.entries = {conn};
  proc.epoll = {inst};
  auto& t = b.thread(400, 400, "backend");
  t.loop = true;
  t.stalls = 5;
  b.row(400, "epoll_wait", 100, FdKind::epoll, 1000000);
  b.row(400, "recvfrom", 100, FdKind::tcp, 1000);
  b.row(400, "fdatasync", 100, FdKind::regular, 1000000);
  m.add_window(b.capture(), 1.0, {});
  EXPECT_EQ(series(m.families({}), "iotrace_loop_stalls_total", "400"), nullptr);
  // the loop watch sees its waits only: the interest list is the evidence
  Capture watched = b.capture();
  watched.settings.tier = TraceTier::loop_watch;
  std::erase_if(watched.syscalls, [](const SyscallRow& r) { return r.nr != test::nr_of("epoll_wait"); });
  m.add_loop_watch(watched, {});
  EXPECT_EQ(series(m.families({}), "iotrace_loop_stalls_total", "400"), nullptr);
}

TEST(ExporterMetrics, ExitedProcessesArePublishedOnceMoreThenForgotten) {
  ExporterMetrics m;
  m.add_window(blocking_loop(100, 1), 1.0, {});
  m.add_window(blocking_loop(101, 1, 7), 1.0, {});
  auto only_101 = [](uint32_t pid, uint64_t) { return pid == 101; };
  EXPECT_EQ(m.expire(only_101), 0u) << "marked, still published";
  EXPECT_NE(series(m.families({}), "iotrace_loop_stalls_total", "100"), nullptr);
  EXPECT_EQ(m.expire(only_101), 1u);
  EXPECT_EQ(series(m.families({}), "iotrace_loop_stalls_total", "100"), nullptr);
  EXPECT_EQ(m.processes(), 1u);
}

TEST(ExporterMetrics, HistogramBucketsAreCumulativeSumsOfTheKernelSlots) {
  ExporterMetrics m;
  m.add_window(blocking_loop(100, 12), 1.0, {});
  auto fs = m.families({});
  const auto* f = family(fs, "iotrace_syscall_duration_seconds");
  ASSERT_NE(f, nullptr);
  const prometheus::ClientMetric* sleep = nullptr;
  for (const auto& s : f->metric)
    if (label(s, "syscall") == "clock_nanosleep") sleep = &s;
  ASSERT_NE(sleep, nullptr);
  EXPECT_EQ(sleep->histogram.sample_count, 12u);
  EXPECT_NEAR(sleep->histogram.sample_sum, 0.360, 1e-9);
  const auto& b = sleep->histogram.bucket;
  ASSERT_EQ(b.size(), exporter_bucket_bounds().size() + 1);
  for (size_t i = 0; i + 1 < b.size(); ++i) {
    EXPECT_LE(b[i].cumulative_count, b[i + 1].cumulative_count);
    // 30 ms lies in [2^24, 2^25) ns: counted from the bucket ending at 2^26 ns
    EXPECT_EQ(b[i].cumulative_count, b[i].upper_bound >= 0.067 ? 12u : 0u) << b[i].upper_bound;
  }
  EXPECT_EQ(b.back().cumulative_count, 12u);
}

TEST(ExporterMetrics, TheTextFormatNamesEveryFamilyOnce) {
  ExporterMetrics m;
  m.add_window(blocking_loop(100, 2), 1.0, {});
  ExporterSelf self;
  self.sampling_ratio = 5.0 / 60.0;
  std::string text = prometheus::TextSerializer().Serialize(m.families(self));
  EXPECT_NE(text.find("# TYPE iotrace_loop_stalls_total counter\n"), std::string::npos);
  EXPECT_NE(text.find("iotrace_exporter_sampling_ratio 0.08333"), std::string::npos) << text;
  EXPECT_NE(text.find("le=\"+Inf\""), std::string::npos);
  EXPECT_EQ(text.find("# TYPE iotrace_loop_stalls_total counter", text.find("iotrace_loop_stalls_total counter") + 1),
            std::string::npos);
}

}  // namespace
}  // namespace iotrace
