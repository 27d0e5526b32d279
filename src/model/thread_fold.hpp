// Reports that stay small when a process churns through threads: short-lived threads of one
// process with the same role and name are folded into one aggregate entry.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>

#include "src/output/report.hpp"

namespace iotrace {

struct FoldRule {
  size_t keep_busiest = 16;        // the busiest threads always keep their entry
  double short_lived_share = 0.5;  // lived less than this share of the process's traced time
};

// How long the trace saw the thread: first seen to exit, or to the end of the capture
// (capture_ns) when it did not exit.
uint64_t thread_lifetime_ns(const ThreadRecord& t, uint64_t capture_ns);

// The name threads are grouped by: each run of decimal digits becomes '*', so "Thread-12 (pr"
// and "Thread-7 (pr" share "Thread-* (pr".
std::string fold_name(std::string_view comm);

// Folds the threads of a classified process (roles, findings and metrics set). A thread keeps
// its own entry when any of these holds: its role is event-loop; a finding names it (the
// finding's tid); it is among the rule's busiest threads by calls; it lived at least the rule's
// share of the time its process was traced (traced_ns, or capture_ns when that is 0). The others
// are grouped by role and fold_name(); a group of two or more becomes one ThreadGroup in
// pr.thread_groups, a thread alone in its group keeps its entry. The folded threads leave
// pr.threads and their per-thread metrics leave pr.metrics; every total of the process stays.
void fold_threads(ProcessReport& pr, uint64_t capture_ns, const FoldRule& rule = {});

}  // namespace iotrace
