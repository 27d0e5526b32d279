// Frames in code compiled at run time (V8, the JVM) are named only through the perf map the
// runtime writes, /tmp/perf-PID.map. When stacks hold JIT frames without a name, the report
// carries one note that says which processes and how to make their runtime write the map.
#pragma once
#include <optional>
#include <string>

#include "src/capture/capture.hpp"

namespace iotrace {

// The note, or nullopt when every JIT frame of every stack has a name (or there are none).
std::optional<std::string> unnamed_jit_note(const Capture& c);

}  // namespace iotrace
