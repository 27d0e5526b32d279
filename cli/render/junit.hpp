// JUnit XML for CI systems: one test suite per trace, one test case per policy rule; a failed
// rule carries each finding with its evidence, advice and user stack.
#pragma once
#include <string>
#include <utility>
#include <vector>

#include "src/findings/policy.hpp"

namespace iotrace::cli {

struct JunitSuite {
  std::string name;       // "iotrace run wl_ci_blocking", "iotrace attach 1234"
  std::string timestamp;  // ISO 8601, UTC, when the trace started; empty: omitted
  std::string hostname;   // empty: omitted
  double time_s = 0;      // how long the trace ran
  std::vector<std::pair<std::string, std::string>> properties;  // command, exit status, ...
  std::string system_out; // the short summary
};

std::string render_junit(const JunitSuite& suite, const std::vector<RuleResult>& results);

// Text safe in XML 1.0 content and attributes: escapes markup, turns invalid UTF-8 and the
// control characters XML forbids into U+FFFD.
std::string xml_escape(std::string_view s);

}  // namespace iotrace::cli
