#include "cli/commands/ci_report.hpp"

#include <unistd.h>

#include <fmt/format.h>

#include <ctime>

#include "cli/errors.hpp"
#include "cli/render/junit.hpp"
#include "cli/output.hpp"
#include "cli/render/render.hpp"
#include "src/util/duration.hpp"
#include "src/util/text_escape.hpp"

namespace iotrace::cli {
namespace {

std::string join_argv(const std::vector<std::string>& argv) {
  std::string s;
  for (const auto& a : argv) {
    if (!s.empty()) s += ' ';
    s += a;
  }
  return s;
}

// The text report's closing sections; every target-controlled string is escaped.
std::string text_sections(const std::optional<CommandStatus>& cmd, const Policy& policy,
                          const std::vector<RuleResult>& results) {
  std::string o;
  if (cmd)
    o += fmt::format("\ncommand: {} (pid {}) {}\n", escape_text(join_argv(cmd->argv)), cmd->pid,
                     describe_outcome(*cmd));
  return o + policy_text(policy, results);
}

void print_summary(const std::optional<CommandStatus>& cmd, const Policy& policy,
                   const std::vector<RuleResult>& results) {
  if (cmd)
    print_info(fmt::format("command {} {}", escape_text(cmd->argv.empty() ? "" : cmd->argv[0]),
                           describe_outcome(*cmd)));
  print_policy_summary(policy, results);
}

std::string hostname() {
  char buf[256] = {};
  if (gethostname(buf, sizeof(buf) - 1) != 0) return {};
  return buf;
}

}  // namespace

std::string policy_text(const Policy& policy, const std::vector<RuleResult>& results) {
  std::string o;
  if (!policy.has_rules()) return o;
  size_t failed = 0;
  for (const auto& r : results) failed += r.passed ? 0 : 1;
  o += failed ? fmt::format("\npolicy: FAILED ({} of {} rules)\n", failed, results.size())
              : fmt::format("\npolicy: passed ({} rules)\n", results.size());
  for (const auto& r : results) {
    o += fmt::format("  {} {}: {}\n", r.passed ? "pass" : "FAIL", r.name, escape_text(r.message));
    for (const auto& v : r.violations) o += fmt::format("       {}\n", escape_text(v.message));
  }
  return o;
}

void print_policy_summary(const Policy& policy, const std::vector<RuleResult>& results) {
  if (!policy.has_rules()) return;
  size_t failed = 0;
  for (const auto& r : results) failed += r.passed ? 0 : 1;
  if (!failed) {
    print_info(fmt::format("policy passed: {} of {} rules", results.size(), results.size()));
    return;
  }
  print_info(fmt::format("policy failed: {} of {} rules", failed, results.size()));
  for (const auto& r : results) {
    if (r.passed) continue;
    print_info(fmt::format("  FAIL {}: {}", r.name, escape_text(r.message)));
    size_t shown = 0;
    for (const auto& v : r.violations) {
      if (++shown > 3) {
        print_info(fmt::format("       ... and {} more", r.violations.size() - 3));
        break;
      }
      print_info(fmt::format("       {}", escape_text(v.message)));
    }
  }
}

std::string describe_outcome(const CommandStatus& c) {
  const auto& o = c.outcome;
  std::string how = o.exited ? fmt::format("exited with code {}", o.exit_code)
                             : fmt::format("was killed by {}{}", signal_name(o.signal),
                                           c.core_dumped ? " (core dumped)" : "");
  if (!o.stopped_by_iotrace) return how;
  std::string why = c.stop_reason == "interrupted" ? "iotrace was interrupted" : "the duration elapsed";
  return fmt::format("was stopped by iotrace ({}) and {}{}", why, how,
                     c.killed_after_grace ? " after the grace period" : "");
}

nlohmann::json command_json(const CommandStatus& c) {
  nlohmann::json argv = nlohmann::json::array();
  for (const auto& a : c.argv) argv.push_back(to_valid_utf8(a));
  const auto& o = c.outcome;
  return {{"argv", argv},
          {"pid", c.pid},
          {"user", c.user.empty() ? nlohmann::json(nullptr) : nlohmann::json(to_valid_utf8(c.user))},
          {"exited", o.exited},
          {"exit_code", o.exited ? nlohmann::json(o.exit_code) : nlohmann::json(nullptr)},
          {"signal", o.exited ? nlohmann::json(nullptr) : nlohmann::json(signal_name(o.signal))},
          {"core_dumped", c.core_dumped},
          {"stopped_by_iotrace", o.stopped_by_iotrace},
          {"stop_reason", c.stop_reason.empty() ? nlohmann::json(nullptr) : nlohmann::json(c.stop_reason)},
          {"killed_after_grace", c.killed_after_grace}};
}

nlohmann::json policy_json(const Policy& policy, const std::vector<RuleResult>& results) {
  nlohmann::json rules = nlohmann::json::array();
  for (const auto& r : results) {
    nlohmann::json v = nlohmann::json::array();
    for (const auto& x : r.violations)
      v.push_back({{"pid", x.pid},
                   {"comm", to_valid_utf8(x.comm)},
                   {"message", to_valid_utf8(x.message)},
                   {"finding", x.finding ? nlohmann::json(x.finding->id) : nlohmann::json(nullptr)},
                   {"tid", x.finding ? x.finding->tid : 0}});
    rules.push_back({{"rule", r.name},
                     {"passed", r.passed},
                     {"message", to_valid_utf8(r.message)},
                     {"suppressed", r.suppressed},
                     {"violations", v}});
  }
  nlohmann::json sup = nlohmann::json::array();
  for (const auto& s : policy.suppressions)
    sup.push_back({{"id", s.id},
                   {"frame", s.frame.empty() ? nlohmann::json(nullptr) : nlohmann::json(to_valid_utf8(s.frame))},
                   {"thread", s.thread.empty() ? nlohmann::json(nullptr) : nlohmann::json(to_valid_utf8(s.thread))},
                   {"origin", to_valid_utf8(s.origin)}});
  return {{"passed", policy_passed(results)}, {"rules", rules}, {"suppressions", sup}};
}

int finish_ci_run(const Report& report, const OutputOptions& out, const Policy& policy,
                  const std::string& junit_path, const CiRun& run) {
  const CommandOutcome* outcome = run.command ? &run.command->outcome : nullptr;
  auto results = evaluate_policy(report, policy, outcome);
  std::string text;
  if (out.json) {
    // Added at the top level, after the report's own keys: readers of attach's JSON are unaffected.
    auto j = report_to_json(report);
    if (run.command) j["command"] = command_json(*run.command);
    if (policy.has_rules()) j["policy"] = policy_json(policy, results);
    text = j.dump(2) + "\n";
  } else {
    TextOptions text_opts;
    text_opts.hist = out.pictures.hist;
    text = render_text(report, text_opts) + text_sections(run.command, policy, results);
  }
  if (out.output.empty()) write_stdout(text);
  else write_output(out.output, text);
  if (!junit_path.empty()) {
    JunitSuite suite;
    suite.name = run.suite_name;
    suite.timestamp = run.timestamp;
    suite.hostname = hostname();
    suite.time_s = run.time_s;
    if (run.command) {
      suite.properties.push_back({"command", join_argv(run.command->argv)});
      suite.properties.push_back({"command_status", describe_outcome(*run.command)});
    }
    suite.properties.push_back({"iotrace_version", report.iotrace_version});
    suite.properties.push_back({"kernel", report.kernel});
    suite.system_out = text_sections(run.command, policy, results);
    write_output(junit_path, render_junit(suite, results));
  }
  print_summary(run.command, policy, results);
  return policy_passed(results) ? k_exit_ok : k_exit_policy;
}

std::string utc_timestamp_now() {
  std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm);
  return buf;
}

}  // namespace iotrace::cli
