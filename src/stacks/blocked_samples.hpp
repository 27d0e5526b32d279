// The time event-loop threads were blocked, as samples with stacks: the data behind both
// --folded (src/stacks/folded_stacks.cpp) and --pprof (src/output/pprof_profile.cpp), so the
// two pictures always add up to the same time.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "src/capture/capture.hpp"

namespace iotrace {

struct BlockedSample {
  uint32_t tid = 0;
  std::string thread;              // the thread's name, or tid-N
  const Stack* stack = nullptr;    // the user stack (innermost frame first); null: none
  std::vector<std::string> leaf;   // what ends the path, outermost first: the call, or markers
  uint64_t ns = 0;
  uint64_t count = 0;              // calls, or stalled iterations
  std::string finding;             // the finding id this time is evidence of
};

// A flagged call site counts its whole time; a stall adds its time beyond its longest call
// when that call was flagged (already counted with its stack), else its whole time under
// "[loop_stall]". Calls that left data behind (edge-triggered, not drained) cost no time.
std::vector<BlockedSample> blocked_samples(const Capture& c);

// How a frame is named in both pictures: the symbol (with file:line for interpreted code),
// else module+offset.
std::string frame_label(const Frame& f);

}  // namespace iotrace
