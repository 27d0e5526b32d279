// The report: a capture summarised per process and thread, ready to render. Built by
// build_report() from a capture alone, with no clock, environment or file access.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "src/capture/capture.hpp"
#include "src/model/classify.hpp"
#include "src/findings/findings.hpp"
#include "src/capture/syscall_table.hpp"

namespace iotrace {

inline constexpr int k_schema_version = 1;

struct CallStats {
  uint64_t calls = 0, errors = 0, eagain = 0, eintr = 0, bytes = 0, total_ns = 0, max_ns = 0;
  Histogram hist;
  void add(const SyscallRow& r);
  void add(const CallStats& o);
  uint64_t p50_ns() const { return hist.percentile(0.50, max_ns); }
  uint64_t p99_ns() const { return hist.percentile(0.99, max_ns); }
};

struct CategoryLine {
  Category category = Category::other;
  CallStats stats;
};

struct SyscallLine {
  int nr = 0;
  FdKind fd_kind = FdKind::none;
  CallStats stats;
};

struct ThreadLine {
  ThreadRecord thread;
  CallStats total;
  std::vector<SyscallLine> syscalls;  // by calls, descending
  ThreadModel model;
};

// Short-lived threads of one process with the same role and name, folded into one entry
// (see fold_threads in src/model/thread_fold.hpp).
struct ThreadGroup {
  std::string comm;   // their name; with digits as '*' when the names differ only in digits
  std::string role;
  std::string model;  // the thread model most of them had
  uint32_t threads = 0, exited = 0;
  CallStats total;
  std::vector<SyscallLine> syscalls;  // by calls, descending
  uint64_t lifetime_min_ns = 0, lifetime_median_ns = 0, lifetime_max_ns = 0;
  uint64_t oncpu_ns = 0, sleep_ns = 0, runq_ns = 0;
  uint64_t vol_switches = 0, invol_switches = 0, stalls = 0;
};

struct ProcessReport {
  Arch arch = Arch::x86_64;  // whose syscall numbers the nr fields hold (the capture's)
  ProcessRecord process;
  uint32_t threads_seen = 0;
  CallStats total;
  std::vector<CategoryLine> categories;  // categories with calls, in enum order
  std::vector<SyscallLine> syscalls;     // by calls, descending
  std::vector<ThreadLine> threads;       // busiest first
  std::vector<ThreadGroup> thread_groups;  // threads folded out of `threads`, busiest first
  ProcessModel model;
  Metrics metrics;
  std::vector<Finding> findings;          // most severe, then largest impact, first
  std::string recommendation;
};

struct ReportOptions {
  bool all_threads = false;  // every thread in its own entry: nothing folded (--all-threads)
};

struct Report {
  int schema_version = k_schema_version;
  std::string iotrace_version;
  std::string kernel;
  Arch arch = Arch::x86_64;  // whose syscall numbers the nr fields hold (the capture's)
  uint64_t duration_ns = 0;
  CaptureSettings settings;
  bool all_threads = false;  // built with ReportOptions::all_threads
  std::vector<ProcessReport> processes;
  std::optional<ServiceModel> service;  // the process tree as one service (--follow-children)
  Losses losses;
  std::vector<std::string> notes;
};

Report build_report(const Capture& capture, const ReportOptions& opts = {});

}  // namespace iotrace
