#include "probes/kernel/features.hpp"

#include <bpf/btf.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <set>
#include <string_view>

#include "probes/proc_reader.hpp"

namespace iotrace::probes {
namespace {

std::set<std::string>& disabled() {
  static std::set<std::string> s;
  return s;
}

bool cap_set(unsigned long long mask, int cap) { return (mask >> cap) & 1ull; }

unsigned long long effective_caps() {
  auto text = read_file("/proc/self/status");
  if (!text) return 0;
  auto at = text->find("CapEff:");
  if (at == std::string::npos) return 0;
  return std::stoull(text->substr(at + 7), nullptr, 16);
}

bool has_member(const struct btf* btf, const char* type, const char* member) {
  int id = btf__find_by_name_kind(btf, type, BTF_KIND_STRUCT);
  if (id < 0) return false;
  const struct btf_type* t = btf__type_by_id(btf, id);
  const struct btf_member* m = btf_members(t);
  for (unsigned short i = 0; i < btf_vlen(t); ++i, ++m)
    if (std::string_view(btf__name_by_offset(btf, m->name_off)) == member) return true;
  return false;
}

// Kernels before 5.14 keep sched_info only with schedstats or delay accounting on: the field
// exists but stays 0. init has waited for a CPU and run many times by now if it counts.
bool sched_info_counts() {
  auto text = read_file("/proc/1/schedstat");
  if (!text) return false;
  unsigned long long cpu = 0, delay = 0, runs = 0;
  return std::sscanf(text->c_str(), "%llu %llu %llu", &cpu, &delay, &runs) == 3 && (delay || runs);
}

}  // namespace

const char* const k_uring_tracepoints[] = {
    "io_uring_submit_req", "io_uring_complete", "io_uring_queue_async_work",
    "io_uring_cqe_overflow", "io_uring_link", "io_uring_create",
};

bool Features::has_tracepoint(const std::string& name) const {
  return std::find(io_uring_tracepoints.begin(), io_uring_tracepoints.end(), name) !=
         io_uring_tracepoints.end();
}

Features probe_features() {
  Features f;
  f.root = geteuid() == 0;
  auto caps = effective_caps();
  constexpr int k_cap_sys_admin = 21, k_cap_perfmon = 38, k_cap_bpf = 39;
  f.cap_bpf = cap_set(caps, k_cap_bpf) || cap_set(caps, k_cap_sys_admin);
  f.cap_perfmon = cap_set(caps, k_cap_perfmon) || cap_set(caps, k_cap_sys_admin);
  f.btf = access("/sys/kernel/btf/vmlinux", R_OK) == 0;
  if (f.btf && !feature_disabled("sched_info")) {
    struct btf* btf = btf__load_vmlinux_btf();
    f.sched_info = btf && has_member(btf, "task_struct", "sched_info") && sched_info_counts();
    btf__free(btf);
  }
  if (f.btf && !feature_disabled("io_uring")) {
    struct btf* btf = btf__load_vmlinux_btf();
    for (const char* tp : k_uring_tracepoints) {
      std::string type = std::string("btf_trace_") + tp;
      bool found = btf && btf__find_by_name_kind(btf, type.c_str(), BTF_KIND_TYPEDEF) >= 0;
      (found ? f.io_uring_tracepoints : f.missing_io_uring_tracepoints).push_back(tp);
    }
    btf__free(btf);
  } else {
    for (const char* tp : k_uring_tracepoints) f.missing_io_uring_tracepoints.push_back(tp);
  }
  return f;
}

void disable_feature(const std::string& name) { disabled().insert(name); }
bool feature_disabled(const std::string& name) { return disabled().count(name) > 0; }

}  // namespace iotrace::probes
