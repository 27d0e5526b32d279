// Findings (blocking calls on event loops, stalls, inefficient patterns) and the
// syscall-per-operation metrics they rest on.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "src/capture/capture.hpp"

namespace iotrace {

struct ProcessReport;

enum class Severity : uint8_t { info = 0, low = 1, medium = 2, high = 3 };
std::string_view severity_name(Severity s);

struct FindingDef {
  std::string_view id;
  Severity severity;
  std::string_view title;
  std::string_view advice;
};
// The registry of every finding id: text, JSON, --fail-on, the man page and completions
// are checked against it.
const std::vector<FindingDef>& finding_registry();
const FindingDef* finding_def(std::string_view id);

struct Finding {
  std::string id;
  Severity severity = Severity::info;
  std::string title;
  uint32_t tid = 0;  // 0: the whole process
  std::string thread;
  std::string syscall;
  FdKind fd_kind = FdKind::none;
  std::string evidence;
  std::string advice;
  uint64_t count = 0, total_ns = 0, max_ns = 0, p50_ns = 0, p99_ns = 0;
  uint64_t sleep_ns = 0, runq_ns = 0;
  Stack stack;
  // The threads it was seen on, ascending, and their distinct names, most common first (set
  // by merge_findings): one thread unless merged across threads; empty for the whole process.
  std::vector<uint32_t> tids;
  std::vector<std::string> thread_names;
};

struct Metric {
  std::string id;  // "syscalls_per_op", "events_per_wait", ...
  double value = 0;
  uint32_t tid = 0;  // 0: process-wide
};

struct Metrics {
  std::vector<Metric> values;
  double get(std::string_view id, uint32_t tid = 0, double def = -1) const;
};

Metrics compute_metrics(const Capture& c, const ProcessReport& pr);
std::vector<Finding> find_issues(const Capture& c, const ProcessReport& pr);
std::string recommend(const ProcessReport& pr);

}  // namespace iotrace
