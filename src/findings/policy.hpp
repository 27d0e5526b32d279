// CI policy: which findings and measurements fail a trace, and which findings are waived.
// Parsing (of --fail-on tokens and policy files) and evaluation are pure: a report and a
// policy in, one result per rule out. The command line and the JUnit writer live in cli/.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "src/findings/findings.hpp"
#include "src/util/result.hpp"

namespace iotrace {

struct ProcessReport;
struct Report;

// One --fail-on value: a finding id, a severity ("high": exactly high), or a severity and
// everything above it ("medium+").
struct FailOn {
  enum class Kind : uint8_t { id, severity, severity_or_higher };
  std::string text;  // as the user wrote it, for rule names
  Kind kind = Kind::id;
  std::string id;
  Severity severity = Severity::info;
  bool matches(const Finding& f) const;
};
Result<FailOn> parse_fail_on(std::string_view token);
// Splits a comma list ("blocking-call-on-loop,high") and parses each part.
Result<std::vector<FailOn>> parse_fail_on_list(std::string_view list);

// Waives the findings that match every condition given: an id ("*": any), a substring of a
// stack frame's symbol or module, and a glob (fnmatch) on the thread name.
struct Suppression {
  std::string id = "*";
  std::string frame;   // empty: any
  std::string thread;  // empty: any
  std::string origin;  // where it was written ("ci.policy:7"), for reports
  bool matches(const Finding& f) const;
};

struct Policy {
  std::vector<FailOn> fail_on;
  std::optional<uint64_t> max_stall_ns;
  std::optional<double> max_syscalls_per_op;
  bool require_success = false;  // iotrace run: CMD must exit 0 on its own
  std::vector<Suppression> suppressions;

  bool has_rules() const {
    return !fail_on.empty() || max_stall_ns || max_syscalls_per_op || require_success;
  }
  // Adds other's rules and suppressions; other's thresholds replace ours when set.
  void merge(const Policy& other);
};

// The policy file: one directive per line, '#' starts a comment, values may be double-quoted.
//   fail-on ID|SEVERITY|SEVERITY+[,...]
//   max-stall DURATION
//   max-syscalls-per-op NUMBER
//   require-success [yes|no]
//   suppress ID|* [frame=SUBSTRING] [thread=GLOB]
// Errors name the source and line ("ci.policy:3: ...").
Result<Policy> parse_policy(std::string_view text, std::string_view source = "policy");

// How CMD ended, for the require-success rule (iotrace run only).
struct CommandOutcome {
  bool exited = false;        // exited on its own with exit_code
  int exit_code = 0;
  int signal = 0;             // killed by this signal (when not exited)
  bool stopped_by_iotrace = false;  // -d elapsed or iotrace was interrupted: not CMD's fault
};

struct Violation {
  uint32_t pid = 0;
  std::string comm;           // of the process
  std::string message;        // one line
  std::optional<Finding> finding;
};

struct RuleResult {
  std::string name;           // "fail-on medium+", "max-stall 50ms", ...
  bool passed = true;
  std::string message;        // one line: why it passed or failed
  std::vector<Violation> violations;
  uint64_t suppressed = 0;    // findings this rule would have counted but a suppression waived
};

// Evaluates every rule of the policy in a fixed order (fail-on in the order given, then
// max-stall, max-syscalls-per-op, require-success). require-success is skipped without cmd.
std::vector<RuleResult> evaluate_policy(const Report& report, const Policy& policy,
                                        const CommandOutcome* cmd = nullptr);
bool policy_passed(const std::vector<RuleResult>& results);

// The worst event-loop stall of the report (loop-stall and cpu-stall findings that no
// suppression waives), or 0 when no iteration passed the stall threshold.
uint64_t worst_stall_ns(const Report& report, const Policy& policy);

// "SIGABRT" for 6; "signal 70" for numbers without a name.
std::string signal_name(int sig);

}  // namespace iotrace
