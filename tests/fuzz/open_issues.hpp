// Known open bugs in code outside the parsers' own files, each with an open-* regression input
// in regressions/<target>/. While fuzzing, the targets step around them so they can go on to
// find new bugs; the regression tests set IOTRACE_FUZZ_OPEN_ISSUES=1 to run straight into them.
// Delete a check here, and the open- prefix of its input, once the bug is fixed.
#pragma once
#include <cstdlib>

#include "src/report.hpp"
#include "tests/fuzz/fuzz_check.hpp"

namespace iotrace::fuzz {

inline bool step_around_open_issues() {
  static const bool step = std::getenv("IOTRACE_FUZZ_OPEN_ISSUES") == nullptr;
  return step;
}

// cli/render_text.cpp, render_metrics(): metric values are cast to uint64_t unchecked, and a
// value of 2^64 or more (sums of large counters), negative or NaN is undefined behaviour.
// Input: regressions/report/open-render-text-metric-above-2e64.
inline bool text_would_hit_metric_cast(const Report& rep) {
  if (!step_around_open_issues()) return false;
  for (const auto& p : rep.processes)
    for (const auto& m : p.metrics.values)
      if (!(m.value >= 0 && m.value < 18446744073709551616.0)) return true;
  return false;
}

// cli/render_text.cpp, the header line: the capture's kernel and iotrace_version strings are
// printed unescaped, so a capture file can send escape sequences to the terminal.
// Input: regressions/report/open-render-text-kernel-unescaped.
inline bool text_would_print_raw_header(const Report& rep) {
  return step_around_open_issues() && !(no_control(rep.kernel) && no_control(rep.iotrace_version));
}

}  // namespace iotrace::fuzz
