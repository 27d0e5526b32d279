// The policy options shared by 'attach' and 'run' (--fail-on, --max-stall,
// --max-syscalls-per-op, --policy, --junit), turned into one Policy.
#pragma once
#include <CLI/CLI.hpp>

#include <string>
#include <vector>

#include "src/findings/policy.hpp"

namespace iotrace::cli {

struct PolicyArgs {
  std::vector<std::string> fail_on;  // each may be a comma list
  std::string max_stall;
  std::string max_syscalls_per_op;
  std::string policy_file;
  std::string junit;
  bool require_success = false;  // run only
};

void add_policy_options(CLI::App* cmd, PolicyArgs& args);
// --fail-on, --policy and --junit alone: what 'diff' shares with attach and run.
void add_finding_policy_options(CLI::App* cmd, PolicyArgs& args, const char* group);

// The policy file first, then the options on top. Throws UsageError naming the option or
// the file and line.
Policy build_policy(const PolicyArgs& args);

// With --max-stall below the stall threshold the kernel must time shorter iterations, or a
// stall between the two would go unseen: the threshold to trace with.
uint64_t stall_threshold_for(const Policy& policy, uint64_t stall_threshold_ns);

}  // namespace iotrace::cli
