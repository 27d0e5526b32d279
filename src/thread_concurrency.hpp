// How many threads of a process were alive at once: the number whose stacks are reserved
// together, not the number seen over the whole trace (short-lived threads come and go).
#pragma once
#include <cstdint>

#include "src/capture.hpp"

namespace iotrace {

// The most threads of process pid alive at one time, from each thread's first and last sight
// (a thread that did not exit is alive to the end of the capture); never less than the threads
// /proc counted at the end.
uint32_t peak_threads(const Capture& c, uint32_t pid);

}  // namespace iotrace
