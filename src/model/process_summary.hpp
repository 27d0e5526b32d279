// One line per process of a report: what `iotrace top` and interval reports show. Built from a
// report of one interval (see capture_delta), so rates and stalls are those of the interval.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "src/findings/findings.hpp"
#include "src/output/report.hpp"

namespace iotrace {

struct ProcessSummary {
  uint32_t pid = 0;
  std::string comm;
  std::string model;           // classify's model id; "epoll-et" for edge-triggered epoll
  uint32_t loops = 0;          // event-loop threads
  uint64_t syscalls = 0;
  double syscalls_per_s = 0;
  double syscalls_per_op = -1; // -1: no operations
  double iterations_per_s = 0;  // loop iterations of every thread that waits
  uint64_t blocking_calls = 0;  // calls that blocked an event loop (blocking-call-on-loop)
  uint64_t stalls = 0;
  uint64_t worst_stall_ns = 0;
  std::string finding;         // the most severe finding's id, or empty
  Severity severity = Severity::info;
};

std::vector<ProcessSummary> summarize_processes(const Report& r);

enum class SummarySort { syscalls, iterations, pid, stalls, sysc_per_op, model, command };
// Stable: ties keep pid order.
void sort_summaries(std::vector<ProcessSummary>& rows, SummarySort by);

}  // namespace iotrace
