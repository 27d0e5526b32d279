// One finding per problem, not per thread: findings of a process that differ only in the
// thread they were seen on are merged into one that names every thread.
#pragma once
#include <vector>

#include "src/findings/findings.hpp"

namespace iotrace {

// Merges the findings of one process that share the id, the syscall, the fd kind and the call
// site (the same symbolized stack, or no stack). The merged finding keeps the worst thread's
// tid, name, evidence and stack (the worst: most time lost, then most counted, then the longest
// single case, then the lowest tid), with the thread count put before its evidence; counts,
// totals, sleep and run-queue time are summed, maxima and percentiles are the largest of the
// threads'. Every finding of a thread gets tids and thread_names, merged or not; findings of
// the whole process (tid 0) are left as they are. The result is ranked by rank_findings().
std::vector<Finding> merge_findings(std::vector<Finding> findings);

// Most severe first, then most time lost (total_ns), then the largest count; id and tid break
// ties so the order never depends on the input's.
void rank_findings(std::vector<Finding>& findings);

}  // namespace iotrace
