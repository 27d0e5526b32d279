// cli/diff_render: the text and JSON of a comparison built in code, asserted whole.
#include "cli/render/diff_render.hpp"

#include <gtest/gtest.h>

namespace iotrace::cli {
namespace {

Finding sleep_finding(Severity sev) {
  Finding f;
  f.id = "blocking-call-on-loop";
  f.severity = sev;
  f.thread = "loop-main";
  f.syscall = "clock_nanosleep";
  for (auto [sym, mod] : {std::pair{"clock_nanosleep", "libc.so.6"},
                          std::pair{"handle_sleep", "wl_loop_block"}}) {
    Frame fr;
    fr.symbol = sym;
    fr.module = mod;
    f.stack.frames.push_back(fr);
  }
  return f;
}

Diff sample() {
  Diff d;
  ProcessPair p{"server", 10, 20};
  d.matched = {p};
  d.only_after = {{"helper", 0, 21}};
  d.model_changes = {{p, "epoll", "epoll", "level", "edge"}};
  d.gone_findings = {{"server", 10, sleep_finding(Severity::high)}};
  Finding stall;
  stall.id = "loop-stall";
  stall.severity = Severity::medium;
  stall.thread = "loop-main";
  d.new_findings = {{"helper", 21, stall}};
  Finding risk = sleep_finding(Severity::low);
  risk.id = "blocking-risk-on-loop";
  Finding risk_after = risk;
  risk_after.severity = Severity::medium;
  d.severity_changes = {{p, risk, risk_after}};
  MetricChange ratio;
  ratio.process = p;
  ratio.metric = "syscalls_per_op";
  ratio.before = 2;
  ratio.after = 3;
  ratio.change = 0.5;
  MetricChange p99 = ratio;
  p99.metric = "p99_ns";
  p99.syscall = "read";
  p99.fd_kind = "socket";
  p99.before = 10000;
  p99.after = 5000;
  p99.change = -0.5;
  d.metric_changes = {ratio, p99};
  return d;
}

TEST(DiffRender, Text) {
  DiffHeader h{"before.json", "after.json", {}};
  EXPECT_EQ(render_diff_text(h, sample()),
            "iotrace diff: before.json -> after.json\n"
            "\n"
            "server (pid 10 -> 20)\n"
            "  model: epoll (trigger level) -> epoll (trigger edge)\n"
            "  gone: [high] blocking-call-on-loop clock_nanosleep on loop-main (handle_sleep)\n"
            "  severity: [low -> medium] blocking-risk-on-loop clock_nanosleep on loop-main "
            "(handle_sleep)\n"
            "  changed: syscalls_per_op 2.00 -> 3.00 (+50%)\n"
            "  changed: p99 of read (socket) 10.0us -> 5.00us (-50%)\n"
            "\n"
            "helper (pid 21, only in after)\n"
            "  new: [medium] loop-stall on loop-main\n"
            "\n"
            "summary: 1 new, 1 gone, 1 severity changed, 1 model changed, 2 moved more than 25%\n");
}

TEST(DiffRender, NoChanges) {
  Diff d;
  d.matched = {{"server", 10, 20}};
  EXPECT_EQ(render_diff_text({"a", "b", {}}, d),
            "iotrace diff: a -> b\n\nno changes (1 process compared)\n");
}

TEST(DiffRender, Json) {
  auto j = diff_to_json({"before.json", "after.json", {}}, sample());
  EXPECT_EQ(j.at("schema_version"), 1);
  EXPECT_EQ(j.at("threshold_pct"), 25.0);
  EXPECT_EQ(j.at("changed"), true);
  EXPECT_EQ(j.at("processes").at("only_after").at(0).at("before_pid"), nullptr);
  EXPECT_EQ(j.at("model_changes").at(0).at("after").at("trigger"), "edge");
  const auto& gone = j.at("gone_findings").at(0);
  EXPECT_EQ(gone.at("id"), "blocking-call-on-loop");
  EXPECT_EQ(gone.at("site"), "handle_sleep");
  EXPECT_EQ(gone.at("call_site"), "clock_nanosleep < handle_sleep");
  EXPECT_EQ(gone.at("pid"), 10);
  EXPECT_EQ(j.at("new_findings").at(0).at("syscall"), nullptr);
  const auto& sev = j.at("severity_changes").at(0);
  EXPECT_EQ(sev.at("before_severity"), "low");
  EXPECT_EQ(sev.at("after_severity"), "medium");
  EXPECT_FALSE(sev.contains("severity"));
  EXPECT_EQ(j.at("metric_changes").at(1).at("change_pct"), -50.0);
  EXPECT_EQ(j.at("metric_changes").at(0).at("fd_kind"), nullptr);
}

}  // namespace
}  // namespace iotrace::cli
