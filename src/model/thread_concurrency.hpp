// How many threads of a process were alive at once: what the process reserved in stacks and
// scheduler entries at its peak, as opposed to how many threads it ever had.
#pragma once
#include <cstdint>

#include "src/capture/capture.hpp"

namespace iotrace {

// The largest number of threads of process pid alive at the same instant. A thread lives from
// first_ns to last_ns when it exited during the trace, and to the end of the capture
// (duration_ns) when it did not; a thread seen at the very instant another ended counts as alive
// with it. Never less than the threads /proc showed at the end of the trace (threads_now), which
// holds threads that made no traced call. 0 for a pid the capture does not hold.
uint32_t peak_threads(const Capture& c, uint32_t pid);

}  // namespace iotrace
