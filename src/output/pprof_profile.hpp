// The time event-loop threads were blocked, as a pprof profile: the gzipped profile.proto that
// go tool pprof, Pyroscope, Parca and Grafana read. The same samples as --folded
// (src/stacks/blocked_samples.hpp): a flagged call site's or a stall's user stack, innermost
// first, under the call (or [loop_stall]); values are nanoseconds blocked and calls (or
// stalled iterations); labels are the thread's name and id and the finding.
#pragma once
#include <string>

#include "src/capture/capture.hpp"

namespace iotrace {

// The gzipped profile.proto bytes.
std::string pprof_profile(const Capture& c);

}  // namespace iotrace
