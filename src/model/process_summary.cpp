#include "src/model/process_summary.hpp"

#include <algorithm>
#include <tuple>

namespace iotrace {

std::vector<ProcessSummary> summarize_processes(const Report& r) {
  std::vector<ProcessSummary> out;
  for (const auto& p : r.processes) {
    ProcessSummary s;
    s.pid = p.process.pid;
    s.comm = p.process.comm;
    // a process gone before /proc could be read: the kernel's name for its busiest thread
    if (s.comm.empty() && !p.threads.empty()) s.comm = p.threads.front().thread.comm;
    s.model = p.model.model;
    if (s.model == "epoll" && p.model.trigger == "edge") s.model = "epoll-et";
    for (const auto& t : p.model.threads)
      if (t.role == "event-loop") ++s.loops;
    s.syscalls = p.total.calls;
    uint64_t ns = p.process.traced_ns ? p.process.traced_ns : r.duration_ns;
    uint64_t iterations = 0;
    for (const auto& t : p.threads) {
      iterations += t.thread.iterations;
      s.stalls += t.thread.stalls;
    }
    if (ns) {
      s.syscalls_per_s = static_cast<double>(s.syscalls) * 1e9 / static_cast<double>(ns);
      s.iterations_per_s = static_cast<double>(iterations) * 1e9 / static_cast<double>(ns);
    }
    s.syscalls_per_op = p.metrics.get("syscalls_per_op", 0, -1);
    for (const auto& g : p.thread_groups) s.stalls += g.stalls;
    for (const auto& f : p.findings) {
      if (f.id == "loop-stall" || f.id == "cpu-stall") s.worst_stall_ns = std::max(s.worst_stall_ns, f.max_ns);
      if (f.id == "blocking-call-on-loop") s.blocking_calls += f.count;
    }
    if (!p.findings.empty()) {
      s.finding = p.findings.front().id;
      s.severity = p.findings.front().severity;
    }
    out.push_back(std::move(s));
  }
  std::stable_sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.pid < b.pid; });
  return out;
}

void sort_summaries(std::vector<ProcessSummary>& rows, SummarySort by) {
  auto key = [by](const ProcessSummary& s) {
    switch (by) {
      case SummarySort::syscalls: return -s.syscalls_per_s;
      case SummarySort::iterations: return -s.iterations_per_s;
      case SummarySort::stalls:
        return -(static_cast<double>(s.stalls) * 1e12 + static_cast<double>(s.worst_stall_ns));
      case SummarySort::sysc_per_op: return -s.syscalls_per_op;
      default: return 0.0;
    }
  };
  std::stable_sort(rows.begin(), rows.end(), [&](const auto& a, const auto& b) {
    switch (by) {
      case SummarySort::pid: return a.pid < b.pid;
      case SummarySort::model: return std::tie(a.model, a.pid) < std::tie(b.model, b.pid);
      case SummarySort::command: return std::tie(a.comm, a.pid) < std::tie(b.comm, b.pid);
      default: return std::make_tuple(key(a), a.pid) < std::make_tuple(key(b), b.pid);
    }
  });
}

}  // namespace iotrace
