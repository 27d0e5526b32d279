#include "cli/commands/policy_options.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "cli/errors.hpp"
#include "cli/options.hpp"

namespace iotrace::cli {

void add_finding_policy_options(CLI::App* cmd, PolicyArgs& a, const char* group) {
  cmd->add_option("--fail-on", a.fail_on,
                  "Fail on these findings: ids, severities (high) or a severity and above "
                  "(medium+); comma list or repeated")
      ->type_name("ID|SEVERITY[+]")
      ->expected(1)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll)
      ->group(group);
  cmd->add_option("--policy", a.policy_file,
                  "Read rules and suppressions from FILE (format in iotrace(8))")
      ->type_name("FILE")
      ->group(group);
  cmd->add_option("--junit", a.junit,
                  "Also write the policy results as JUnit XML to FILE (one test case per rule)")
      ->type_name("FILE")
      ->group(group);
}

void add_policy_options(CLI::App* cmd, PolicyArgs& a) {
  const char* group = "Policy (exit status 1 when a rule fails)";
  add_finding_policy_options(cmd, a, group);
  cmd->add_option("--max-stall", a.max_stall,
                  "Fail when an event-loop iteration takes longer than this (e.g. 50ms)")
      ->type_name("DURATION")
      ->group(group);
  cmd->add_option("--max-syscalls-per-op", a.max_syscalls_per_op,
                  "Fail when a process makes more I/O syscalls per operation than N")
      ->type_name("N")
      ->group(group);
}

Policy build_policy(const PolicyArgs& a) {
  Policy p;
  if (!a.policy_file.empty()) {
    auto parsed = parse_policy(read_text_file(a.policy_file), a.policy_file);
    if (!parsed)
      throw UsageError(fmt::format("--policy: {}", parsed.error()),
                       "the policy file format is described in iotrace(8), section POLICY FILE");
    p = parsed.value();
  }
  Policy opts;
  for (const auto& v : a.fail_on) {
    auto list = parse_fail_on_list(v);
    if (!list)
      throw UsageError(list.error(), "the finding ids are listed in iotrace(8), section FINDINGS");
    for (const auto& f : list.value()) opts.fail_on.push_back(f);
  }
  if (!a.max_stall.empty()) opts.max_stall_ns = parse_duration_option("--max-stall", a.max_stall);
  if (!a.max_syscalls_per_op.empty()) {
    auto parsed = parse_policy("max-syscalls-per-op " + a.max_syscalls_per_op, "--max-syscalls-per-op");
    if (!parsed || !parsed.value().max_syscalls_per_op)
      throw UsageError(fmt::format("invalid --max-syscalls-per-op '{}': expected a positive number "
                                   "such as 4 or 2.5",
                                   a.max_syscalls_per_op));
    opts.max_syscalls_per_op = parsed.value().max_syscalls_per_op;
  }
  opts.require_success = a.require_success;
  p.merge(opts);
  return p;
}

uint64_t stall_threshold_for(const Policy& policy, uint64_t stall_threshold_ns) {
  if (!policy.max_stall_ns) return stall_threshold_ns;
  return std::min(stall_threshold_ns, *policy.max_stall_ns);
}

}  // namespace iotrace::cli
