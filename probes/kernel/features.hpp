// What this kernel and this process can do, probed once at start.
#pragma once
#include <string>
#include <vector>

namespace iotrace::probes {

struct Features {
  bool root = false;
  bool cap_bpf = false;       // CAP_BPF or CAP_SYS_ADMIN
  bool cap_perfmon = false;   // CAP_PERFMON or CAP_SYS_ADMIN
  bool btf = false;           // /sys/kernel/btf/vmlinux
  bool sched_info = false;    // task_struct.sched_info (CONFIG_SCHED_INFO): run-queue delay per task
  std::vector<std::string> io_uring_tracepoints;  // the ones iotrace uses that exist
  std::vector<std::string> missing_io_uring_tracepoints;
  bool has_tracepoint(const std::string& name) const;
};

Features probe_features();

// Developer switch: names of features to treat as absent ("tp_btf", "io_uring", "sched_info").
void disable_feature(const std::string& name);
bool feature_disabled(const std::string& name);

}  // namespace iotrace::probes
