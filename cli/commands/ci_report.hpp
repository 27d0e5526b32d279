// The end of a trace run in CI: the report with the command's status and the policy results
// added, the JUnit file, a short summary on stderr, and the exit status.
#pragma once
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "cli/commands/trace_session.hpp"
#include "src/findings/policy.hpp"
#include "src/output/report.hpp"

namespace iotrace::cli {

// How the command of 'iotrace run' went.
struct CommandStatus {
  std::vector<std::string> argv;
  uint32_t pid = 0;
  std::string user;           // empty: iotrace's own user
  CommandOutcome outcome;
  std::string stop_reason;    // "duration", "interrupted", or empty when CMD ended by itself
  bool killed_after_grace = false;  // SIGTERM was not enough: SIGKILL followed
  bool core_dumped = false;
};

struct CiRun {
  std::string suite_name;     // "iotrace run wl_ci_blocking"
  std::string timestamp;      // ISO 8601 UTC of the trace start, for JUnit
  double time_s = 0;
  std::optional<CommandStatus> command;
};

nlohmann::json command_json(const CommandStatus& c);
nlohmann::json policy_json(const Policy& policy, const std::vector<RuleResult>& results);
// "exited with code 0", "was killed by SIGABRT (core dumped)", "was stopped by iotrace ..."
std::string describe_outcome(const CommandStatus& c);

// Evaluates the policy, writes the report (stdout or -o), then the JUnit file when asked,
// prints the summary on stderr and returns k_exit_ok or k_exit_policy.
int finish_ci_run(const Report& report, const OutputOptions& out, const Policy& policy,
                  const std::string& junit_path, const CiRun& run);

// The policy section of a text report ("policy: FAILED (1 of 2 rules)" and a line per rule),
// and the summary of the results on stderr; both empty when the policy has no rules.
std::string policy_text(const Policy& policy, const std::vector<RuleResult>& results);
void print_policy_summary(const Policy& policy, const std::vector<RuleResult>& results);

// The current time as ISO 8601 UTC ("2026-11-26T12:00:00"), for JUnit timestamps.
std::string utc_timestamp_now();

}  // namespace iotrace::cli
