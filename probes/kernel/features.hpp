// What this kernel and this process can do, probed once at start from the running kernel's
// BTF, /proc and the process's capabilities. Every kernel-dependent choice of the tracer is
// made here, by name, never assumed from a version number.
#pragma once
#include <string>
#include <vector>

namespace iotrace::probes {

// The io_uring tracepoints that carry counts, and what each gives.
struct UringTracepoint {
  const char* tracepoint;  // "io_uring_queue_async_work"
  const char* counts;      // the capture's count it gives: "uring_punts"
  const char* what;        // "io-wq punts"
};
const std::vector<UringTracepoint>& uring_tracepoints();
// The capture's counts an io_uring tracepoint gives (submit_sqe/submit_req and complete too).
std::vector<std::string> uring_counts_of(const std::string& tracepoint);
// Every count io_uring's tracepoints give.
std::vector<std::string> all_uring_counts();

// One kernel-dependent piece of the tracer, as the running kernel allows it.
struct KernelFeature {
  enum class State { on, fallback, off };
  std::string name;    // stable: "kfunc bpf_rdonly_cast", "io_uring submissions", ...
  State state = State::on;
  std::string detail;  // on: what is used; fallback/off: what is missing and what is lost
};
const char* kernel_feature_state_name(KernelFeature::State s);  // "on", "fallback", "off"

struct Features {
  bool root = false;
  bool cap_bpf = false;       // CAP_BPF or CAP_SYS_ADMIN
  bool cap_perfmon = false;   // CAP_PERFMON or CAP_SYS_ADMIN
  bool btf = false;           // /sys/kernel/btf/vmlinux
  bool sched_info = false;    // task_struct.sched_info (CONFIG_SCHED_INFO): run-queue delay per task
  // kfunc bpf_rdonly_cast (6.2+): file and socket fields are read with plain loads; without it
  // the object built without kfuncs is loaded (one probe read per hop instead).
  bool kfunc_rdonly_cast = false;
  std::vector<std::string> io_uring_tracepoints;  // those of uring_tracepoints() that exist
  // The program of each changed tracepoint that matches this kernel's prototype; empty when
  // the tracepoint is missing or its prototype is one iotrace does not know.
  std::string uring_submit_prog;    // iot_ur_submit, iot_ur_submit_sqe, iot_ur_submit_sqe_ctx
  std::string uring_complete_prog;  // iot_ur_complete, iot_ur_complete_req_res, iot_ur_complete_res
  std::vector<KernelFeature> kernel;  // every piece above, for doctor and the report's notes

  bool has_tracepoint(const std::string& name) const;
  // Whether the io_uring program with this name is to be loaded on this kernel.
  bool uring_prog_wanted(const std::string& prog, const std::string& tracepoint) const;
  // Names of the capture's counts this kernel cannot give ("uring_sqes", ...).
  std::vector<std::string> unavailable_counts() const;
};

Features probe_features();

// Developer switch: names of features to treat as absent ("tp_btf", "io_uring", "sched_info",
// "unwind", "kfuncs").
void disable_feature(const std::string& name);
bool feature_disabled(const std::string& name);

}  // namespace iotrace::probes
