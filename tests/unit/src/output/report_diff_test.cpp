// src/report_diff: comparing two reports built in code, and reading a JSON report back.
#include "src/output/report_diff.hpp"

#include <gtest/gtest.h>

#include "src/output/report.hpp"

using namespace iotrace;

namespace {

Finding finding(std::string id, Severity sev, std::string thread, std::string syscall,
                std::vector<std::pair<std::string, std::string>> frames) {
  Finding f;
  f.id = std::move(id);
  f.severity = sev;
  f.thread = std::move(thread);
  f.syscall = std::move(syscall);
  uint64_t addr = 0x1000;
  for (auto& [symbol, module] : frames) {
    Frame fr;
    fr.symbol = symbol;
    fr.module = module;
    fr.addr = addr;
    fr.offset = addr;
    fr.sym_offset = 0x10;
    addr += 0x100;
    f.stack.frames.push_back(fr);
  }
  return f;
}

Finding sleep_on_loop() {
  return finding("blocking-call-on-loop", Severity::high, "loop-main", "clock_nanosleep",
                 {{"clock_nanosleep", "libc.so.6"}, {"nanosleep", "libc.so.6"},
                  {"handle_sleep", "wl_loop_block"}, {"main", "wl_loop_block"}});
}

ProcessView process(uint32_t pid, std::string comm, uint64_t calls) {
  ProcessView p;
  p.pid = pid;
  p.comm = std::move(comm);
  p.exe = "/usr/bin/" + p.comm;
  p.calls = calls;
  p.model = "epoll";
  p.trigger = "level";
  return p;
}

ReportView view(std::vector<ProcessView> ps) { return ReportView{std::move(ps)}; }

}  // namespace

TEST(ReportDiff, SameReportHasNoChanges) {
  auto p = process(10, "server", 5000);
  p.findings = {sleep_on_loop()};
  p.metrics = {{"syscalls_per_op", 3.0, 0}};
  p.syscalls = {{"read", "socket", 1000, 2000, 9000}};
  Diff d = diff_reports(view({p}), view({p}));
  EXPECT_TRUE(d.empty());
  ASSERT_EQ(d.matched.size(), 1u);
  EXPECT_EQ(d.matched[0].before_pid, 10u);
}

TEST(ReportDiff, ProcessesMatchByNameNotPid) {
  auto b = process(10, "server", 5000);
  b.findings = {sleep_on_loop()};
  auto a = process(77, "server", 4000);
  a.findings = {sleep_on_loop()};
  a.findings[0].stack.frames[2].addr = 0xdead;  // another load address: the same call site
  a.findings[0].stack.frames[2].sym_offset = 0x44;
  Diff d = diff_reports(view({b}), view({a}));
  EXPECT_TRUE(d.empty());
  ASSERT_EQ(d.matched.size(), 1u);
  EXPECT_EQ(d.matched[0].after_pid, 77u);
}

TEST(ReportDiff, BusiestPairsWithBusiest) {
  auto b1 = process(1, "worker", 100);
  auto b2 = process(2, "worker", 9000);
  b2.model = "thread-pool";
  auto a1 = process(11, "worker", 8000);
  a1.model = "thread-pool";
  auto a2 = process(12, "worker", 50);
  Diff d = diff_reports(view({b1, b2}), view({a1, a2}));
  EXPECT_TRUE(d.model_changes.empty());
  ASSERT_EQ(d.matched.size(), 2u);
  EXPECT_EQ(d.matched[0].before_pid, 1u);
  EXPECT_EQ(d.matched[0].after_pid, 12u);
  EXPECT_EQ(d.matched[1].before_pid, 2u);
  EXPECT_EQ(d.matched[1].after_pid, 11u);
}

TEST(ReportDiff, NewGoneAndSeverityChangedFindings) {
  auto b = process(10, "server", 5000);
  auto stall = finding("loop-stall", Severity::medium, "loop-main", "", {});
  b.findings = {sleep_on_loop(), stall};
  auto a = process(20, "server", 5000);
  auto risk = finding("blocking-risk-on-loop", Severity::low, "loop-main", "read",
                      {{"read", "libc.so.6"}, {"handle_request", "server"}});
  stall.severity = Severity::high;
  a.findings = {risk, stall};
  Diff d = diff_reports(view({b}), view({a}));
  ASSERT_EQ(d.gone_findings.size(), 1u);
  EXPECT_EQ(d.gone_findings[0].finding.id, "blocking-call-on-loop");
  EXPECT_EQ(d.gone_findings[0].pid, 10u);
  ASSERT_EQ(d.new_findings.size(), 1u);
  EXPECT_EQ(d.new_findings[0].finding.id, "blocking-risk-on-loop");
  EXPECT_EQ(d.new_findings[0].pid, 20u);
  ASSERT_EQ(d.severity_changes.size(), 1u);
  EXPECT_EQ(d.severity_changes[0].before.severity, Severity::medium);
  EXPECT_EQ(d.severity_changes[0].after.severity, Severity::high);
}

TEST(ReportDiff, ThreadNameAndCallSiteAreTheIdentity) {
  auto b = process(10, "server", 5000);
  b.findings = {sleep_on_loop()};
  auto a = process(20, "server", 5000);
  auto other_thread = sleep_on_loop();
  other_thread.thread = "loop-2";
  auto other_site = sleep_on_loop();
  other_site.stack.frames[2].symbol = "handle_timer";
  a.findings = {other_thread, other_site};
  Diff d = diff_reports(view({b}), view({a}));
  EXPECT_EQ(d.gone_findings.size(), 1u);
  EXPECT_EQ(d.new_findings.size(), 2u);
}

TEST(ReportDiff, ModelAndTriggerChanges) {
  auto b = process(10, "server", 5000);
  auto a = process(20, "server", 5000);
  a.trigger = "edge";
  Diff d = diff_reports(view({b}), view({a}));
  ASSERT_EQ(d.model_changes.size(), 1u);
  EXPECT_EQ(d.model_changes[0].before_trigger, "level");
  EXPECT_EQ(d.model_changes[0].after_trigger, "edge");
}

TEST(ReportDiff, UnmatchedProcessesBringTheirFindings) {
  auto b = process(10, "old", 5000);
  b.findings = {sleep_on_loop()};
  auto a = process(20, "new", 5000);
  a.findings = {sleep_on_loop()};
  Diff d = diff_reports(view({b}), view({a}));
  ASSERT_EQ(d.only_before.size(), 1u);
  ASSERT_EQ(d.only_after.size(), 1u);
  EXPECT_EQ(d.gone_findings.size(), 1u);
  EXPECT_EQ(d.new_findings.size(), 1u);
}

TEST(ReportDiff, MetricsBeyondThresholdWithEnoughCalls) {
  auto b = process(10, "server", 5000);
  b.metrics = {{"syscalls_per_op", 2.0, 0}, {"events_per_wait", 10.0, 0},
               {"operations", 100, 0}, {"syscalls_per_op", 9.0, 11}};
  b.syscalls = {{"read", "socket", 1000, 2000, 8000}, {"fsync", "file", 10, 1000, 1000}};
  auto a = process(20, "server", 5000);
  a.metrics = {{"syscalls_per_op", 3.0, 0}, {"events_per_wait", 11.0, 0},
               {"operations", 900, 0}, {"syscalls_per_op", 1.0, 11}};
  a.syscalls = {{"read", "socket", 1200, 2050, 16000}, {"fsync", "file", 10, 9000, 9000}};
  Diff d = diff_reports(view({b}), view({a}));
  // syscalls_per_op +50%; events_per_wait +10% (under 25%); operations is a count; per-thread
  // values are not compared; fsync has too few calls; read's p99 doubled, its p50 did not move.
  ASSERT_EQ(d.metric_changes.size(), 2u);
  EXPECT_EQ(d.metric_changes[0].metric, "syscalls_per_op");
  EXPECT_DOUBLE_EQ(d.metric_changes[0].change, 0.5);
  EXPECT_EQ(d.metric_changes[1].metric, "p99_ns");
  EXPECT_EQ(d.metric_changes[1].syscall, "read");
  EXPECT_EQ(d.metric_changes[1].fd_kind, "socket");
  EXPECT_DOUBLE_EQ(d.metric_changes[1].change, 1.0);

  DiffOptions strict{0.05, 5};
  EXPECT_EQ(diff_reports(view({b}), view({a}), strict).metric_changes.size(), 5u);
}

TEST(ReportDiff, RatiosOfQuietProcessesAreNotCompared) {
  auto b = process(10, "server", 50);
  b.metrics = {{"syscalls_per_op", 2.0, 0}};
  auto a = process(20, "server", 50);
  a.metrics = {{"syscalls_per_op", 8.0, 0}};
  EXPECT_TRUE(diff_reports(view({b}), view({a})).metric_changes.empty());
}

TEST(ReportDiff, CallSiteAndLabel) {
  auto f = sleep_on_loop();
  EXPECT_EQ(call_site(f), "clock_nanosleep < nanosleep < handle_sleep < main");
  EXPECT_EQ(site_label(f), "handle_sleep");
  f.stack.frames[2].symbol.clear();
  EXPECT_EQ(call_site(f), "clock_nanosleep < nanosleep < wl_loop_block < main");
  EXPECT_EQ(site_label(finding("loop-stall", Severity::high, "t", "", {})), "");
}

TEST(ReportDiff, FailOnJudgesNewFindingsOnly) {
  auto b = process(10, "server", 5000);
  b.findings = {sleep_on_loop()};
  auto a = process(20, "server", 5000);
  auto risk = finding("blocking-risk-on-loop", Severity::low, "loop-main", "read", {});
  a.findings = {sleep_on_loop(), risk};
  Diff d = diff_reports(view({b}), view({a}));
  Policy p;
  p.fail_on = parse_fail_on_list("blocking-call-on-loop,low+").value();
  auto results = evaluate_new_findings(d, p);
  ASSERT_EQ(results.size(), 2u);
  EXPECT_TRUE(results[0].passed);   // blocking-call-on-loop was already there
  EXPECT_FALSE(results[1].passed);  // the risk is new
  ASSERT_EQ(results[1].violations.size(), 1u);
  EXPECT_EQ(results[1].violations[0].pid, 20u);
  EXPECT_EQ(results[1].violations[0].finding->id, "blocking-risk-on-loop");

  Diff reverse = diff_reports(view({a}), view({b}));
  EXPECT_TRUE(policy_passed(evaluate_new_findings(reverse, p)));
}

TEST(ReportDiff, ViewOfReport) {
  Report r;
  ProcessReport p;
  p.process.pid = 5;
  p.process.comm = "server";
  p.total.calls = 42;
  p.model.model = "epoll";
  p.findings = {sleep_on_loop()};
  p.metrics.values = {{"syscalls_per_op", 2, 0}, {"syscalls_per_op", 4, 6}};
  r.processes = {p};
  auto v = view_of(r);
  ASSERT_EQ(v.processes.size(), 1u);
  EXPECT_EQ(v.processes[0].calls, 42u);
  EXPECT_EQ(v.processes[0].metrics.size(), 1u);
  EXPECT_EQ(v.processes[0].findings.size(), 1u);
}

TEST(ReportViewJson, ReadsAJsonReport) {
  auto j = nlohmann::json::parse(R"({
    "schema_version": 1,
    "processes": [{
      "pid": 7, "comm": "server", "exe": "/srv/server", "total": {"calls": 900},
      "model": {"model": "epoll", "trigger": null},
      "metrics": {"syscalls_per_op": 2.5},
      "syscalls": [{"syscall": "read", "fd_kind": "socket", "calls": 500, "p50_ns": 1000,
                    "p99_ns": 5000}],
      "findings": [{"id": "blocking-call-on-loop", "severity": "high", "thread": "loop-main",
                    "syscall": "clock_nanosleep", "tid": 8,
                    "stack": {"frames": [{"symbol": "handle_sleep", "module": "server",
                                          "offset": 4096, "kind": "native"}]}}]
    }]})");
  auto v = view_from_report_json(j);
  ASSERT_TRUE(v) << v.error();
  const auto& p = v.value().processes.at(0);
  EXPECT_EQ(p.comm, "server");
  EXPECT_EQ(p.calls, 900u);
  EXPECT_EQ(p.trigger, "");
  EXPECT_EQ(p.metrics.at(0).value, 2.5);
  EXPECT_EQ(p.syscalls.at(0).p99_ns, 5000u);
  EXPECT_EQ(p.findings.at(0).severity, Severity::high);
  EXPECT_EQ(site_label(p.findings.at(0)), "handle_sleep");
}

TEST(ReportViewJson, RejectsWhatIsNotAReport) {
  EXPECT_FALSE(view_from_report_json(nlohmann::json::parse(R"({"a": 1})")));
  auto bad = view_from_report_json(nlohmann::json::parse(
      R"({"schema_version": 1, "processes": [{"pid": "x"}]})"));
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().find("malformed report"), std::string::npos);
  EXPECT_FALSE(view_from_report_json(nlohmann::json::parse(
      R"({"schema_version": 9, "processes": []})")));
}
