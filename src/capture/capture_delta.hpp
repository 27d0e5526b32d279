// The difference between two captures of one trace: what happened between them. Interval
// reports and `iotrace top` turn each difference into a report of its own.
#pragma once
#include "src/capture/capture.hpp"

namespace iotrace {

// prev and cur come from one tracer, prev collected first. The result covers (prev, cur]:
// counters, histograms and losses are subtracted; stalls are those in cur and not in prev.
// A maximum can only be recovered when it grew in the interval; otherwise the result holds
// the upper bound of the highest histogram slot that grew, clamped to the earlier maximum.
// A thread or row whose counters went backwards was evicted and recreated: it counts whole.
// Processes are cur's, with traced_ns cut to the interval; threads and rows with no activity
// in the interval are dropped.
Capture capture_delta(const Capture& prev, const Capture& cur);

}  // namespace iotrace
