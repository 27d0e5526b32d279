// src/policy: --fail-on tokens, the policy file, suppressions and rule evaluation on reports
// built in code.
#include "src/findings/policy.hpp"

#include <gtest/gtest.h>
#include <signal.h>

#include "src/output/report.hpp"

using namespace iotrace;

namespace {

constexpr uint64_t k_ms = 1000000;

Finding finding(std::string id, uint32_t tid, std::string thread, uint64_t max_ns = 0,
                std::vector<std::string> symbols = {}) {
  const FindingDef* d = finding_def(id);
  EXPECT_NE(d, nullptr) << id;
  Finding f;
  f.id = std::move(id);
  f.severity = d ? d->severity : Severity::info;
  f.title = d ? std::string(d->title) : "";
  f.tid = tid;
  f.thread = std::move(thread);
  f.max_ns = max_ns;
  f.evidence = "evidence of " + f.id;
  for (auto& s : symbols) {
    Frame fr;
    fr.symbol = s;
    fr.module = "wl_ci_blocking";
    f.stack.frames.push_back(fr);
  }
  return f;
}

// Process 100 (server): a blocking nanosleep and a 31 ms stall on its loop, tiny reads;
// process 200 (helper): a low-severity risk finding. Metrics: 2.5 and 7 syscalls per op.
Report sample() {
  Report r;
  r.settings.stall_ns = 20 * k_ms;
  ProcessReport a;
  a.process.pid = 100;
  a.process.comm = "server";
  a.findings.push_back(finding("blocking-call-on-loop", 101, "ci-loop", 30 * k_ms,
                               {"clock_nanosleep", "handle_request_blocking", "main"}));
  a.findings.push_back(finding("loop-stall", 101, "ci-loop", 31 * k_ms, {"handle_request_blocking"}));
  a.findings.push_back(finding("tiny-reads", 102, "reader"));
  a.metrics.values.push_back({"syscalls_per_op", 2.5, 0});
  ProcessReport b;
  b.process.pid = 200;
  b.process.comm = "helper";
  b.findings.push_back(finding("blocking-risk-on-loop", 201, "helper-loop"));
  b.findings.back().severity = Severity::low;  // fast calls, a small share of the loop
  b.metrics.values.push_back({"syscalls_per_op", 7.0, 0});
  r.processes = {a, b};
  return r;
}

Policy parse_ok(std::string_view text) {
  auto p = parse_policy(text, "test.policy");
  EXPECT_TRUE(p.ok()) << (p.ok() ? "" : p.error());
  return p.ok() ? p.value() : Policy{};
}

std::string parse_err(std::string_view text) {
  auto p = parse_policy(text, "test.policy");
  EXPECT_FALSE(p.ok());
  return p.ok() ? "" : p.error();
}

Suppression sup(std::string id, std::string frame, std::string thread, std::string origin) {
  return Suppression{std::move(id), std::move(frame), std::move(thread), std::move(origin)};
}

}  // namespace

TEST(FailOn, ParsesIdsSeveritiesAndPlus) {
  auto id = parse_fail_on("blocking-call-on-loop");
  ASSERT_TRUE(id.ok());
  EXPECT_EQ(id.value().kind, FailOn::Kind::id);
  auto high = parse_fail_on("high");
  ASSERT_TRUE(high.ok());
  EXPECT_EQ(high.value().kind, FailOn::Kind::severity);
  EXPECT_EQ(high.value().severity, Severity::high);
  auto medium_up = parse_fail_on(" medium+ ");
  ASSERT_TRUE(medium_up.ok());
  EXPECT_EQ(medium_up.value().kind, FailOn::Kind::severity_or_higher);
  EXPECT_EQ(medium_up.value().text, "medium+");
}

TEST(FailOn, RejectsUnknownValuesWithTheAcceptedOnes) {
  auto bad = parse_fail_on("blocking-call");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error(),
            "invalid --fail-on value 'blocking-call': expected a finding id (e.g. "
            "blocking-call-on-loop), a severity (info, low, medium, high) or a severity with '+' "
            "for it and above (e.g. medium+)");
  EXPECT_FALSE(parse_fail_on("loop-stall+").ok());
  EXPECT_FALSE(parse_fail_on("").ok());
}

TEST(FailOn, SplitsCommaLists) {
  auto l = parse_fail_on_list("loop-stall,high,,low+");
  ASSERT_TRUE(l.ok());
  ASSERT_EQ(l.value().size(), 3u);
  EXPECT_EQ(l.value()[2].text, "low+");
  EXPECT_FALSE(parse_fail_on_list(",").ok());
  EXPECT_FALSE(parse_fail_on_list("high,nope").ok());
}

TEST(FailOn, SeverityMatchingIsExactWithoutPlus) {
  Finding low = finding("tiny-reads", 1, "t");
  Finding high = finding("loop-stall", 1, "t");
  EXPECT_TRUE(parse_fail_on("low").value().matches(low));
  EXPECT_FALSE(parse_fail_on("low").value().matches(high));
  EXPECT_TRUE(parse_fail_on("low+").value().matches(high));
  EXPECT_FALSE(parse_fail_on("high+").value().matches(low));
}

TEST(PolicyFile, ParsesEveryDirective) {
  Policy p = parse_ok(
      "# CI policy for the API server\n"
      "fail-on blocking-call-on-loop, medium+\n"
      "fail-on loop-stall\n"
      "max-stall 50ms   # one frame at 20 fps\n"
      "max-syscalls-per-op 4.5\n"
      "require-success\n"
      "\n"
      "suppress tiny-reads\n"
      "suppress * frame=\"log rotate\" thread=ci-*\n"
      "suppress blocking-risk-on-loop thread=helper-loop\n");
  ASSERT_EQ(p.fail_on.size(), 3u);
  EXPECT_EQ(p.fail_on[0].text, "blocking-call-on-loop");
  EXPECT_EQ(p.fail_on[1].text, "medium+");
  EXPECT_EQ(p.fail_on[2].text, "loop-stall");
  EXPECT_EQ(p.max_stall_ns, 50 * k_ms);
  EXPECT_EQ(p.max_syscalls_per_op, 4.5);
  EXPECT_TRUE(p.require_success);
  ASSERT_EQ(p.suppressions.size(), 3u);
  EXPECT_EQ(p.suppressions[0].id, "tiny-reads");
  EXPECT_EQ(p.suppressions[0].origin, "test.policy:8");
  EXPECT_EQ(p.suppressions[1].id, "*");
  EXPECT_EQ(p.suppressions[1].frame, "log rotate");
  EXPECT_EQ(p.suppressions[1].thread, "ci-*");
}

TEST(PolicyFile, EmptyAndCommentOnlyFilesHaveNoRules) {
  EXPECT_FALSE(parse_ok("").has_rules());
  EXPECT_FALSE(parse_ok("# nothing\n\n   \r\n").has_rules());
  EXPECT_FALSE(parse_ok("require-success no\n").has_rules());
}

TEST(PolicyFile, ErrorsNameTheLineAndTheAcceptedValues) {
  EXPECT_EQ(parse_err("fail-on high\nmax-stall 5x\n"),
            "test.policy:2: invalid duration '5x': unknown unit 'x': use ns, us, ms, s, m or h");
  EXPECT_EQ(parse_err("maxstall 5ms"),
            "test.policy:1: unknown directive 'maxstall': expected fail-on, max-stall, "
            "max-syscalls-per-op, require-success or suppress");
  EXPECT_EQ(parse_err("max-syscalls-per-op -1"),
            "test.policy:1: invalid number '-1': expected a positive number such as 4 or 2.5");
  EXPECT_EQ(parse_err("max-stall 5ms 6ms"), "test.policy:1: 'max-stall' takes exactly one value");
  EXPECT_EQ(parse_err("suppress no-such-finding"),
            "test.policy:1: unknown finding id 'no-such-finding' (the finding ids are listed in "
            "iotrace(8))");
  EXPECT_EQ(parse_err("suppress * stack=foo"),
            "test.policy:1: unexpected 'stack=foo' after 'suppress *': expected frame=SUBSTRING or "
            "thread=GLOB");
  EXPECT_EQ(parse_err("suppress * frame=\"open"), "test.policy:1: unterminated quote");
  EXPECT_EQ(parse_err("require-success maybe"),
            "test.policy:1: invalid value 'maybe' for require-success: expected yes or no");
  EXPECT_EQ(parse_err(std::string_view("fail-on high\0", 13)), "test.policy:1: NUL byte in line");
}

TEST(PolicyFile, MergeAddsRulesAndOverridesThresholds) {
  Policy file = parse_ok("fail-on high\nmax-stall 50ms\nsuppress tiny-reads\n");
  Policy cli = parse_ok("fail-on high,loop-stall\nmax-stall 10ms\n");
  file.merge(cli);
  ASSERT_EQ(file.fail_on.size(), 2u);  // "high" once
  EXPECT_EQ(file.fail_on[1].text, "loop-stall");
  EXPECT_EQ(file.max_stall_ns, 10 * k_ms);
  EXPECT_EQ(file.suppressions.size(), 1u);
}

TEST(Suppression, MatchesIdFrameSubstringAndThreadGlob) {
  Finding f = finding("blocking-call-on-loop", 7, "ci-loop", 0, {"handle_request_blocking"});
  EXPECT_TRUE(sup("*", "", "", "").matches(f));
  EXPECT_TRUE(sup("blocking-call-on-loop", "", "", "").matches(f));
  EXPECT_FALSE(sup("loop-stall", "", "", "").matches(f));
  EXPECT_TRUE(sup("*", "request_block", "", "").matches(f));
  EXPECT_TRUE(sup("*", "wl_ci_block", "", "").matches(f));  // the module
  EXPECT_FALSE(sup("*", "other_function", "", "").matches(f));
  EXPECT_TRUE(sup("*", "", "ci-*", "").matches(f));
  EXPECT_TRUE(sup("*", "", "ci-loop", "").matches(f));
  EXPECT_FALSE(sup("*", "", "ci", "").matches(f));  // a glob, not a substring
  EXPECT_FALSE(sup("*", "handle", "worker*", "").matches(f));  // every condition must hold
}

TEST(Evaluate, NoRulesNoResults) {
  EXPECT_TRUE(evaluate_policy(sample(), Policy{}).empty());
  EXPECT_TRUE(policy_passed({}));
}

TEST(Evaluate, FailOnIdCarriesTheFindingAndItsProcess) {
  Policy p = parse_ok("fail-on blocking-call-on-loop\n");
  auto res = evaluate_policy(sample(), p);
  ASSERT_EQ(res.size(), 1u);
  EXPECT_EQ(res[0].name, "fail-on blocking-call-on-loop");
  EXPECT_FALSE(res[0].passed);
  EXPECT_EQ(res[0].message, "1 matching finding");
  ASSERT_EQ(res[0].violations.size(), 1u);
  const auto& v = res[0].violations[0];
  EXPECT_EQ(v.pid, 100u);
  EXPECT_EQ(v.message,
            "blocking-call-on-loop [high] in process 100 (server): evidence of blocking-call-on-loop");
  ASSERT_TRUE(v.finding.has_value());
  EXPECT_EQ(v.finding->stack.frames.size(), 3u);
  EXPECT_FALSE(policy_passed(res));
}

TEST(Evaluate, SeverityRulesCountAcrossProcesses) {
  auto res = evaluate_policy(sample(), parse_ok("fail-on low\nfail-on medium\nfail-on high+\n"));
  ASSERT_EQ(res.size(), 3u);
  EXPECT_EQ(res[0].violations.size(), 2u);  // tiny-reads, blocking-risk-on-loop
  EXPECT_TRUE(res[1].passed);
  EXPECT_EQ(res[1].message, "no matching finding");
  EXPECT_EQ(res[2].violations.size(), 2u);  // blocking-call-on-loop, loop-stall
}

TEST(Evaluate, SuppressionsWaiveFindingsAndAreCounted) {
  Policy p = parse_ok(
      "fail-on low+\n"
      "suppress * frame=handle_request_blocking\n"
      "suppress tiny-reads\n"
      "suppress * thread=helper-*\n");
  auto res = evaluate_policy(sample(), p);
  ASSERT_EQ(res.size(), 1u);
  EXPECT_TRUE(res[0].passed);
  EXPECT_EQ(res[0].suppressed, 4u);
  EXPECT_EQ(res[0].message, "no matching finding (4 suppressed)");
}

TEST(Evaluate, AFindingMergedAcrossThreadsIsWaivedOnlyWhenAllItsThreadsMatch) {
  Policy p = parse_ok("fail-on low+\nsuppress tiny-reads thread=worker-*\n");
  Report r;
  ProcessReport a;
  a.process.pid = 100;
  Finding workers = finding("tiny-reads", 101, "worker-1");
  workers.tids = {101, 102};
  workers.thread_names = {"worker-1", "worker-2"};
  a.findings.push_back(workers);
  Finding mixed = finding("tiny-reads", 103, "worker-3");
  mixed.tids = {103, 104};
  mixed.thread_names = {"worker-3", "main"};
  a.findings.push_back(mixed);
  r.processes = {a};
  auto res = evaluate_policy(r, p);
  ASSERT_EQ(res.size(), 1u);
  EXPECT_EQ(res[0].suppressed, 1u);
  ASSERT_EQ(res[0].violations.size(), 1u);
  EXPECT_EQ(res[0].violations[0].finding->tid, 103u);
}

TEST(Evaluate, MaxStallFlipsAtTheMeasuredStall) {
  // The worst stall is 31 ms: a limit of exactly 31 ms passes, one nanosecond less fails.
  Report r = sample();
  Policy at;
  at.max_stall_ns = 31 * k_ms;
  auto pass = evaluate_policy(r, at);
  ASSERT_EQ(pass.size(), 1u);
  EXPECT_TRUE(pass[0].passed);
  EXPECT_EQ(pass[0].name, "max-stall 31.0ms");
  EXPECT_EQ(pass[0].message, "worst loop stall 31.0ms <= 31.0ms");
  Policy below;
  below.max_stall_ns = 31 * k_ms - 1;
  auto fail = evaluate_policy(r, below);
  EXPECT_FALSE(fail[0].passed);
  ASSERT_EQ(fail[0].violations.size(), 1u);
  EXPECT_EQ(fail[0].violations[0].message,
            "loop iteration of 31.0ms on thread 101 (ci-loop) in process 100 (server) > 31.0ms");
  EXPECT_EQ(worst_stall_ns(r, below), 31 * k_ms);
}

TEST(Evaluate, MaxStallWithoutStallsSaysWhatWasMeasured) {
  Report r = sample();
  r.processes[0].findings.erase(r.processes[0].findings.begin() + 1);
  Policy p;
  p.max_stall_ns = 50 * k_ms;
  auto res = evaluate_policy(r, p);
  EXPECT_TRUE(res[0].passed);
  EXPECT_EQ(res[0].message, "no loop iteration took longer than 20.0ms");
}

TEST(Evaluate, SuppressedStallsDoNotCount) {
  Policy p = parse_ok("max-stall 10ms\nsuppress loop-stall thread=ci-loop\n");
  auto res = evaluate_policy(sample(), p);
  EXPECT_TRUE(res[0].passed);
  EXPECT_EQ(res[0].suppressed, 1u);
  EXPECT_EQ(worst_stall_ns(sample(), p), 0u);
}

TEST(Evaluate, MaxSyscallsPerOpChecksEveryProcess) {
  auto res = evaluate_policy(sample(), parse_ok("max-syscalls-per-op 5\n"));
  ASSERT_EQ(res.size(), 1u);
  EXPECT_FALSE(res[0].passed);
  EXPECT_EQ(res[0].name, "max-syscalls-per-op 5");
  EXPECT_EQ(res[0].message, "worst 7.00 syscalls per operation, in process 200 (helper) > 5");
  ASSERT_EQ(res[0].violations.size(), 1u);
  EXPECT_EQ(res[0].violations[0].pid, 200u);
  EXPECT_TRUE(evaluate_policy(sample(), parse_ok("max-syscalls-per-op 7\n"))[0].passed);
  Report none;
  EXPECT_EQ(evaluate_policy(none, parse_ok("max-syscalls-per-op 1\n"))[0].message,
            "no I/O operations were traced");
}

TEST(Evaluate, RequireSuccessJudgesTheCommand) {
  Policy p = parse_ok("require-success yes\n");
  Report r;
  EXPECT_TRUE(evaluate_policy(r, p).empty());  // attach: no command, no rule
  CommandOutcome ok{true, 0, 0, false};
  EXPECT_TRUE(evaluate_policy(r, p, &ok)[0].passed);
  CommandOutcome code{true, 3, 0, false};
  auto res = evaluate_policy(r, p, &code);
  EXPECT_FALSE(res[0].passed);
  EXPECT_EQ(res[0].message, "the command exited with code 3");
  CommandOutcome crash{false, 0, SIGABRT, false};
  EXPECT_EQ(evaluate_policy(r, p, &crash)[0].message, "the command was killed by SIGABRT");
  CommandOutcome stopped{false, 0, SIGTERM, true};
  EXPECT_TRUE(evaluate_policy(r, p, &stopped)[0].passed);
}

TEST(Evaluate, RulesComeInAFixedOrder) {
  Policy p = parse_ok("require-success\nmax-syscalls-per-op 100\nmax-stall 1s\nfail-on info\n");
  CommandOutcome ok{true, 0, 0, false};
  auto res = evaluate_policy(sample(), p, &ok);
  ASSERT_EQ(res.size(), 4u);
  EXPECT_EQ(res[0].name, "fail-on info");
  EXPECT_EQ(res[1].name, "max-stall 1.00s");
  EXPECT_EQ(res[2].name, "max-syscalls-per-op 100");
  EXPECT_EQ(res[3].name, "require-success");
}

TEST(SignalName, NamesAndNumbers) {
  EXPECT_EQ(signal_name(SIGABRT), "SIGABRT");
  EXPECT_EQ(signal_name(SIGKILL), "SIGKILL");
  EXPECT_EQ(signal_name(0), "signal 0");
}
