// Comparing two reports (iotrace diff): what changed between a run before a change and one
// after it. Pure: two report views in, a Diff out; rendering and the command live in cli/.
//
// A view keeps what the comparison reads from a report, so it can be built from a Report
// (a saved capture) or from a JSON report alike. Processes are matched by name, not pid:
// by comm and exe, then by comm alone; among processes sharing a name, the busiest is paired
// with the busiest. A finding's identity is its id, thread name, syscall and call site (the
// names of its stack's frames, without addresses or offsets).
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "src/findings/findings.hpp"
#include "src/findings/policy.hpp"
#include "src/util/result.hpp"

namespace iotrace {

struct Report;

struct LatencyRow {
  std::string syscall;
  std::string fd_kind;
  uint64_t calls = 0, p50_ns = 0, p99_ns = 0;
};

struct ProcessView {
  uint32_t pid = 0;
  std::string comm, exe;
  uint64_t calls = 0;
  std::string model, trigger;
  std::vector<Finding> findings;
  std::vector<Metric> metrics;     // process-wide
  std::vector<LatencyRow> syscalls;
};

struct ReportView {
  std::vector<ProcessView> processes;
};

ReportView view_of(const Report& r);
// A report as written by --json (attach, run, report); errors name the missing field.
Result<ReportView> view_from_report_json(const nlohmann::json& j);

struct DiffOptions {
  double threshold = 0.25;   // a ratio or percentile moved by more than this share
  uint64_t min_calls = 100;  // rows (and processes, for ratios) with fewer calls in either run are not compared
};

// A matched pair of processes: one in each run.
struct ProcessPair {
  std::string comm;
  uint32_t before_pid = 0, after_pid = 0;
};

struct ModelChange {
  ProcessPair process;
  std::string before_model, after_model, before_trigger, after_trigger;
};

struct FindingChange {
  std::string comm;
  uint32_t pid = 0;  // in the run the finding is in
  Finding finding;
};

struct SeverityChange {
  ProcessPair process;
  Finding before, after;
};

struct MetricChange {
  ProcessPair process;
  std::string metric;            // a ratio id, or "p50_ns" / "p99_ns" of a syscall row
  std::string syscall, fd_kind;  // the row, for latencies; empty for ratios
  double before = 0, after = 0;
  double change = 0;             // (after - before) / before
};

struct Diff {
  std::vector<ProcessPair> matched;
  std::vector<ProcessPair> only_before, only_after;  // the other pid is 0
  std::vector<ModelChange> model_changes;
  std::vector<FindingChange> new_findings, gone_findings;
  std::vector<SeverityChange> severity_changes;
  std::vector<MetricChange> metric_changes;

  bool empty() const {
    return only_before.empty() && only_after.empty() && model_changes.empty() &&
           new_findings.empty() && gone_findings.empty() && severity_changes.empty() &&
           metric_changes.empty();
  }
};

Diff diff_reports(const ReportView& before, const ReportView& after, const DiffOptions& opts = {});

// The names of a finding's frames, innermost first, joined by " < ": its call site.
std::string call_site(const Finding& f);
// The frame to name in one line: the innermost one outside the C and C++ runtime libraries.
std::string site_label(const Finding& f);

// --fail-on for a diff: the policy's fail-on rules (and suppressions) judged on the new
// findings only, so what BEFORE already had does not fail.
std::vector<RuleResult> evaluate_new_findings(const Diff& d, const Policy& policy);

}  // namespace iotrace
