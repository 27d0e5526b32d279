// The per-process table shared by `iotrace top` and `attach --interval`: 80 columns, the last
// column (the worst finding) cut to the width only when asked.
#pragma once
#include <string>
#include <vector>

#include "src/model/process_summary.hpp"

namespace iotrace::cli {

struct TableOptions {
  size_t width = 80;
  bool cut_last = true;  // false: batch mode keeps whole finding ids, even past the width
  bool colour = false;
  bool idle = false;     // also list processes without calls in the interval
  // The loop watch counts waits, not every call: ITER/s and BLOCKS take the places of SYSC/s
  // and SYS/OP, which it cannot give.
  bool loop_watch = false;
};

std::string render_process_header(const TableOptions& opts);
std::string render_process_rows(const std::vector<ProcessSummary>& rows, const TableOptions& opts);

}  // namespace iotrace::cli
