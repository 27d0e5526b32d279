#include "probes/kernel/features.hpp"

#include <bpf/btf.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <set>
#include <string_view>

#include <fmt/format.h>

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

// The type behind typedefs and qualifiers.
const struct btf_type* resolve(const struct btf* btf, __u32 id, __u32* out_id = nullptr) {
  const struct btf_type* t = btf__type_by_id(btf, id);
  while (t && (btf_is_typedef(t) || btf_is_const(t) || btf_is_volatile(t) || btf_is_restrict(t))) {
    id = t->type;
    t = btf__type_by_id(btf, id);
  }
  if (out_id) *out_id = id;
  return t;
}

// The prototype of a tracepoint as BTF-enabled programs see it (typedef btf_trace_NAME, a
// pointer to a function whose first parameter is the tracepoint's data pointer).
const struct btf_type* tracepoint_proto(const struct btf* btf, const std::string& tp) {
  int id = btf__find_by_name_kind(btf, ("btf_trace_" + tp).c_str(), BTF_KIND_TYPEDEF);
  if (id < 0) return nullptr;
  const struct btf_type* t = resolve(btf, static_cast<__u32>(id));
  if (!t || !btf_is_ptr(t)) return nullptr;
  t = resolve(btf, t->type);
  return t && btf_is_func_proto(t) ? t : nullptr;
}

// Whether parameter i of the prototype points to the struct named name.
bool param_points_to(const struct btf* btf, const struct btf_type* proto, unsigned i, const char* name) {
  if (i >= btf_vlen(proto)) return false;
  const struct btf_type* t = resolve(btf, btf_params(proto)[i].type);
  if (!t || !btf_is_ptr(t)) return false;
  t = resolve(btf, t->type);
  return t && btf_is_struct(t) && std::string_view(btf__name_by_offset(btf, t->name_off)) == name;
}

// The submission tracepoint's form: io_uring_submit_req(req) from 6.3, io_uring_submit_sqe(req,
// force_nonblock) in 6.0-6.2, io_uring_submit_sqe(ctx, req, ...) in 5.15-5.19. Older forms
// carry no request pointer: none.
std::string submit_program(const struct btf* btf, std::string& form) {
  if (const auto* p = tracepoint_proto(btf, "io_uring_submit_req")) {
    form = "io_uring_submit_req(req)";
    return param_points_to(btf, p, 1, "io_kiocb") ? "iot_ur_submit" : "";
  }
  const auto* p = tracepoint_proto(btf, "io_uring_submit_sqe");
  if (!p) return "";
  if (param_points_to(btf, p, 1, "io_kiocb")) {
    form = "io_uring_submit_sqe(req, ...)";
    return "iot_ur_submit_sqe";
  }
  form = fmt::format("io_uring_submit_sqe with {} arguments", btf_vlen(p) - 1);
  return btf_vlen(p) >= 8 ? "iot_ur_submit_sqe_ctx" : "";
}

// The completion tracepoint's form: (ctx, req, cqe) from 6.10, (ctx, req, user_data, res, ...)
// in 5.19-6.9, (ctx, user_data, res[, cflags]) before.
std::string complete_program(const struct btf* btf, std::string& form) {
  const auto* p = tracepoint_proto(btf, "io_uring_complete");
  if (!p) return "";
  unsigned n = btf_vlen(p);
  if (n == 4 && param_points_to(btf, p, 3, "io_uring_cqe")) {
    form = "io_uring_complete(ctx, req, cqe)";
    return "iot_ur_complete";
  }
  if (n == 8) {
    form = "io_uring_complete(ctx, req, user_data, res, ...)";
    return "iot_ur_complete_req_res";
  }
  if (n == 4 || n == 5) {
    form = "io_uring_complete(ctx, user_data, res, ...)";
    return "iot_ur_complete_res";
  }
  form = fmt::format("io_uring_complete with {} arguments", n - 1);
  return "";
}

bool has_kfunc(const struct btf* btf, const char* name) {
  return btf && btf__find_by_name_kind(btf, name, BTF_KIND_FUNC) >= 0;
}

}  // namespace

const std::vector<UringTracepoint>& uring_tracepoints() {
  static const std::vector<UringTracepoint> k = {
      {"io_uring_queue_async_work", "uring_punts", "io-wq punts"},
      {"io_uring_cqe_overflow", "uring_overflows", "CQ overflows"},
      {"io_uring_link", "uring_links", "linked requests"},
      {"io_uring_create", "uring_rings", "rings"},
  };
  return k;
}

std::vector<std::string> uring_counts_of(const std::string& tracepoint) {
  if (tracepoint == "io_uring_submit_req" || tracepoint == "io_uring_submit_sqe") return {"uring_sqes"};
  if (tracepoint == "io_uring_complete") return {"uring_cqes", "uring_failed"};
  for (const auto& u : uring_tracepoints())
    if (tracepoint == u.tracepoint) return {u.counts};
  return {};
}

std::vector<std::string> all_uring_counts() {
  std::vector<std::string> out = uring_counts_of("io_uring_submit_req");
  for (const auto& c : uring_counts_of("io_uring_complete")) out.push_back(c);
  for (const auto& u : uring_tracepoints()) out.push_back(u.counts);
  return out;
}

const char* kernel_feature_state_name(KernelFeature::State s) {
  switch (s) {
    case KernelFeature::State::on: return "on";
    case KernelFeature::State::fallback: return "fallback";
    case KernelFeature::State::off: return "off";
  }
  return "off";
}

bool Features::has_tracepoint(const std::string& name) const {
  return std::find(io_uring_tracepoints.begin(), io_uring_tracepoints.end(), name) !=
         io_uring_tracepoints.end();
}

bool Features::uring_prog_wanted(const std::string& prog, const std::string& tracepoint) const {
  if (tracepoint == "io_uring_submit_req" || tracepoint == "io_uring_submit_sqe")
    return prog == uring_submit_prog;
  if (tracepoint == "io_uring_complete") return prog == uring_complete_prog;
  return has_tracepoint(tracepoint);
}

std::vector<std::string> Features::unavailable_counts() const {
  std::vector<std::string> out;
  if (uring_submit_prog.empty()) out = uring_counts_of("io_uring_submit_req");
  if (uring_complete_prog.empty())
    for (const auto& c : uring_counts_of("io_uring_complete")) out.push_back(c);
  for (const auto& u : uring_tracepoints())
    if (!has_tracepoint(u.tracepoint)) out.push_back(u.counts);
  return out;
}

Features probe_features() {
  using State = KernelFeature::State;
  Features f;
  f.root = geteuid() == 0;
  auto caps = effective_caps();
  constexpr int k_cap_sys_admin = 21, k_cap_perfmon = 38, k_cap_bpf = 39;
  f.cap_bpf = cap_set(caps, k_cap_bpf) || cap_set(caps, k_cap_sys_admin);
  f.cap_perfmon = cap_set(caps, k_cap_perfmon) || cap_set(caps, k_cap_sys_admin);
  f.btf = access("/sys/kernel/btf/vmlinux", R_OK) == 0;
  struct btf* btf = f.btf ? btf__load_vmlinux_btf() : nullptr;
  auto add = [&](std::string name, State st, std::string detail) {
    f.kernel.push_back({std::move(name), st, std::move(detail)});
  };

  if (feature_disabled("kfuncs")) {
    add("kfunc bpf_rdonly_cast", State::fallback,
        "disabled with --no-feature kfuncs: file and socket fields are read with probe reads");
  } else if ((f.kfunc_rdonly_cast = has_kfunc(btf, "bpf_rdonly_cast"))) {
    add("kfunc bpf_rdonly_cast", State::on, "file and socket fields read with plain loads");
  } else {
    add("kfunc bpf_rdonly_cast", State::fallback,
        "not in this kernel's BTF (it exists from 6.2): the object built without kfuncs is "
        "loaded; file and socket fields are read with probe reads (same counts, more cost per call)");
  }

  if (feature_disabled("sched_info")) {
    add("sched_info", State::fallback, "disabled with --no-feature sched_info: CPU and run-queue "
        "time are timed with sched_switch and sched_wakeup programs");
  } else {
    f.sched_info = btf && has_member(btf, "task_struct", "sched_info") && sched_info_counts();
    add("sched_info", f.sched_info ? State::on : State::fallback,
        f.sched_info ? "run-queue delay read from task_struct.sched_info"
                     : "task_struct.sched_info absent or not counting (CONFIG_SCHED_INFO, "
                       "schedstats): CPU and run-queue time are timed with sched_switch and "
                       "sched_wakeup programs");
  }

  if (btf && !feature_disabled("io_uring")) {
    for (const auto& u : uring_tracepoints())
      if (tracepoint_proto(btf, u.tracepoint)) f.io_uring_tracepoints.push_back(u.tracepoint);
    std::string form;
    f.uring_submit_prog = submit_program(btf, form);
    add("io_uring submissions", f.uring_submit_prog.empty() ? State::off : State::on,
        f.uring_submit_prog.empty()
            ? (form.empty() ? std::string("no io_uring_submit_req or io_uring_submit_sqe tracepoint")
                            : form + " carries no request") +
                  ": SQEs and their opcodes are not counted"
            : "tracepoint " + form);
    form.clear();
    f.uring_complete_prog = complete_program(btf, form);
    add("io_uring completions", f.uring_complete_prog.empty() ? State::off : State::on,
        f.uring_complete_prog.empty()
            ? (form.empty() ? std::string("no io_uring_complete tracepoint") : form + " is not known") +
                  ": CQEs and failed requests are not counted"
            : "tracepoint " + form);
    for (const auto& u : uring_tracepoints()) {
      bool have = f.has_tracepoint(u.tracepoint);
      add(std::string("io_uring ") + u.what, have ? State::on : State::off,
          have ? std::string("tracepoint ") + u.tracepoint
               : std::string("no tracepoint ") + u.tracepoint + " in this kernel's BTF: not counted");
    }
  } else {
    add("io_uring tracepoints", State::off,
        btf ? "disabled with --no-feature io_uring: SQE, CQE and io-wq counts are missing"
            : "no BTF: SQE, CQE and io-wq counts are missing");
  }
  btf__free(btf);
  return f;
}

void disable_feature(const std::string& name) { disabled().insert(name); }
bool feature_disabled(const std::string& name) { return disabled().count(name) > 0; }

}  // namespace iotrace::probes
