// iotrace diff BEFORE AFTER: compares two saved captures or JSON reports, prints what changed,
// and with --fail-on fails on findings that are new in AFTER.
#include <fmt/format.h>

#include <cmath>

#include "cli/app.hpp"
#include "cli/commands/ci_report.hpp"
#include "cli/render/diff_render.hpp"
#include "cli/errors.hpp"
#include "cli/render/junit.hpp"
#include "cli/options.hpp"
#include "cli/output.hpp"
#include "src/capture/capture_json.hpp"
#include "src/output/report.hpp"

namespace iotrace::cli {
namespace {

constexpr const char* k_input_hint =
    "give a capture saved with --save-capture or a report written with --json";

// A capture (it has capture_version) is turned into its report; a JSON report is read as is.
ReportView load_view(const std::string& path) {
  auto j = nlohmann::json::parse(read_text_file(path), nullptr, false);
  if (j.is_discarded()) throw UsageError(fmt::format("cannot read '{}': not valid JSON", path), k_input_hint);
  if (j.is_object() && j.contains("capture_version")) {
    auto capture = capture_from_json(j);
    if (!capture)
      throw UsageError(fmt::format("cannot read capture '{}': {}", path, capture.error()), k_input_hint);
    return view_of(build_report(capture.value()));
  }
  auto view = view_from_report_json(j);
  if (!view) throw UsageError(fmt::format("cannot read '{}': {}", path, view.error()), k_input_hint);
  return view.value();
}

// "25", "25%" or "12.5": a percentage above 0.
double parse_threshold(const std::string& text) {
  std::string s = text;
  if (!s.empty() && s.back() == '%') s.pop_back();
  size_t used = 0;
  double v = -1;
  try {
    v = std::stod(s, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (s.empty() || used != s.size() || !std::isfinite(v) || v <= 0)
    throw UsageError(fmt::format("invalid --threshold '{}': expected a percentage above 0, "
                                 "such as 25 or 12.5%",
                                 text));
  return v / 100;
}

Policy diff_policy(const DiffArgs& a) {
  Policy p = build_policy(a.policy);
  if (p.max_stall_ns || p.max_syscalls_per_op || p.require_success)
    print_warning("--policy: diff judges findings only; the file's max-stall, "
                  "max-syscalls-per-op and require-success rules are ignored");
  Policy rules;  // only what can be judged on findings: fail-on and suppress
  rules.fail_on = p.fail_on;
  rules.suppressions = p.suppressions;
  return rules;
}

void write_junit(const DiffArgs& a, const Policy& policy, const std::vector<RuleResult>& results,
                 const std::string& text) {
  JunitSuite suite;
  suite.name = fmt::format("iotrace diff {} {}", a.before, a.after);
  suite.timestamp = utc_timestamp_now();
  suite.properties = {{"before", a.before}, {"after", a.after}};
  suite.system_out = text + policy_text(policy, results);
  write_output(a.policy.junit, render_junit(suite, results));
}

}  // namespace

CLI::App* add_diff_command(CLI::App& app, DiffArgs& a) {
  auto* cmd = app.add_subcommand(
      "diff", "Compare two runs (captures or JSON reports): models, new and gone findings, "
              "moved ratios and latencies");
  cmd->add_option("before", a.before, "The earlier run: a capture or a JSON report")
      ->required()
      ->type_name("BEFORE");
  cmd->add_option("after", a.after, "The later run: a capture or a JSON report")
      ->required()
      ->type_name("AFTER");
  add_output_options(cmd, a.json, a.output);
  cmd->add_option("--threshold", a.threshold,
                  "Report ratios and p50/p99 latencies that moved by more than PCT percent "
                  "(default 25)")
      ->type_name("PCT");
  cmd->add_option("--min-calls", a.min_calls,
                  "Compare only syscall rows, and ratios of processes, with at least N calls in "
                  "both runs (default 100)")
      ->type_name("N");
  add_finding_policy_options(cmd, a.policy,
                             "Policy (exit status 1 when a finding new in AFTER matches)");
  return cmd;
}

int run_diff(const AppArgs& args) {
  const auto& a = args.diff;
  DiffHeader h{a.before, a.after, {}};
  h.options.threshold = parse_threshold(a.threshold);
  h.options.min_calls = a.min_calls;
  Policy policy = diff_policy(a);
  Diff d = diff_reports(load_view(a.before), load_view(a.after), h.options);
  auto results = evaluate_new_findings(d, policy);
  std::string text = render_diff_text(h, d);
  std::string out;
  if (a.json) {
    auto j = diff_to_json(h, d);
    if (policy.has_rules()) j["policy"] = policy_json(policy, results);
    out = j.dump(2) + "\n";
  } else {
    out = text + policy_text(policy, results);
  }
  if (a.output.empty()) write_stdout(out);
  else write_output(a.output, out);
  if (!a.policy.junit.empty()) write_junit(a, policy, results, text);
  print_policy_summary(policy, results);
  return policy_passed(results) ? k_exit_ok : k_exit_policy;
}

}  // namespace iotrace::cli
