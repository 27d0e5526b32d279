// Folded stacks ("frame;frame;frame value", the input of flamegraph.pl, inferno and
// speedscope) of the time event-loop threads were blocked: in flagged calls and in stalls.
#pragma once
#include <string>

#include "src/capture/capture.hpp"

namespace iotrace {

// One line per call site and per stall path, root first: the thread's name, the frames from
// the outermost to the call, then the call. Values are microseconds. A flagged call counts its
// whole time; a stall adds its time beyond its longest call when that call was flagged (already
// counted with its stack), else its whole time under "[loop stall]". Lines with equal frames
// are summed; the output is sorted, so equal captures give equal files.
std::string folded_stacks(const Capture& c);

}  // namespace iotrace
