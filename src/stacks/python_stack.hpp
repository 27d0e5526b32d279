// Python frames in a stack: CPython 3.11's location table (co_linetable, Objects/locations.md
// in CPython), which gives the source line of an instruction, and the placing of Python frames
// among the native ones. Pure, so both are tested on data CPython itself produced.
#pragma once
#include <cstdint>
#include <string_view>
#include <vector>

#include "src/capture/capture.hpp"

namespace iotrace {

// The line of the instruction at index (in code units) of a code object whose first line is
// first_line; 0 when the table gives none (or ends before the instruction).
int python311_line(std::string_view table, int first_line, uint64_t index);

// The native frame of CPython's eval loop; each one runs a chain of Python frames.
inline constexpr std::string_view k_python_eval_frame = "_PyEval_EvalFrameDefault";

// Puts each run of Python frames above the native eval-loop frame that ran it. python is
// innermost first; a run ends at a frame that entered the loop (entry[i]), and the runs go,
// innermost first, above the native eval frames in order. Runs left over (the native unwind
// stopped early) go after the native frames.
void interleave_python(std::vector<Frame>& native, const std::vector<Frame>& python,
                       const std::vector<bool>& entry);

}  // namespace iotrace
