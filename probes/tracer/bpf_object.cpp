// The BPF object: opened with the run's settings (read-only globals, map sizes), the programs
// this kernel can run chosen, then loaded, falling back from tp_btf to raw tracepoints and
// then without io_uring's tracepoints.
#include <unistd.h>

#include <fmt/format.h>

#include <cerrno>
#include <cstdarg>
#include <cstring>

#include "bpf/iotrace_nokfunc.skel.h"
#include "probes/trace_error.hpp"
#include "probes/tracer/tracer_impl.hpp"
#include "src/capture/syscall_table.hpp"

namespace iotrace::probes {

// The ABI and the model types must agree on these; a drift fails the build here.
static_assert(sizeof(iot_stats_key) == 8);
static_assert(IOT_HIST_SLOTS == k_hist_slots);
static_assert(IOT_FD_KINDS == k_fd_kind_count);
static_assert(IOT_URING_OPS == k_uring_ops);
static_assert(IOT_FD_EPOLL == static_cast<int>(FdKind::epoll));
static_assert(IOT_FD_OTHER == static_cast<int>(FdKind::other));
static_assert(IOT_MAX_SYSCALLS == k_max_syscalls);

namespace {

bool g_verbose = false;

int libbpf_log(enum libbpf_print_level level, const char* fmt, va_list args) {
  if (!g_verbose && level != LIBBPF_WARN) return 0;
  if (!g_verbose) return 0;
  return vfprintf(stderr, fmt, args);
}

void set_bits(volatile __u64* bits, uint32_t flag) {
  for (const auto& s : all_syscalls(k_native_arch))
    if ((s.flags & flag) && s.nr >= 0 && s.nr < k_max_syscalls) bits[s.nr / 64] = bits[s.nr / 64] | (1ull << (s.nr % 64));
}

// The running kernel's numbers are this build's architecture's; -1 for a call it lacks
// (arm64 has no select or poll: only pselect6 and ppoll).
int nr_of(const char* name) { return syscall_nr(k_native_arch, name).value_or(-1); }

// The twin built without kfuncs must have the skeleton's shape: its bytes are opened through
// iotrace_bpf's skeleton, whose pointers into the globals assume this layout.
static_assert(sizeof(iotrace_bpf::iotrace_bpf__rodata) ==
              sizeof(iotrace_nokfunc_bpf::iotrace_nokfunc_bpf__rodata));
static_assert(sizeof(iotrace_bpf::iotrace_bpf__bss) == sizeof(iotrace_nokfunc_bpf::iotrace_nokfunc_bpf__bss));
static_assert(sizeof(iotrace_bpf::maps) == sizeof(iotrace_nokfunc_bpf::maps));
static_assert(sizeof(iotrace_bpf::progs) == sizeof(iotrace_nokfunc_bpf::progs));

// Opens iotrace_bpf's skeleton on the object with kfuncs or on its twin without: libbpf
// opens maps and programs by name, so the one skeleton serves both.
iotrace_bpf* open_object(bool kfuncs) {
  auto* obj = static_cast<iotrace_bpf*>(calloc(1, sizeof(iotrace_bpf)));
  if (!obj) return nullptr;
  int err = iotrace_bpf__create_skeleton(obj);
  if (!err && !kfuncs) obj->skeleton->data = iotrace_nokfunc_bpf__elf_bytes(&obj->skeleton->data_sz);
  if (!err) err = bpf_object__open_skeleton(obj->skeleton, nullptr);
  if (err) {
    iotrace_bpf__destroy(obj);
    errno = err < 0 ? -err : err;
    return nullptr;
  }
  return obj;
}

}  // namespace

bool is_uring_prog(const bpf_program* p) {
  return std::strncmp(bpf_program__name(p), "iot_ur_", 7) == 0;
}

bool is_loop_watch_prog(const bpf_program* p) {
  return std::strncmp(bpf_program__name(p), "iot_lw_", 7) == 0;
}

void install_libbpf_log() { libbpf_set_print(libbpf_log); }

uint64_t mono_ns() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1000000000ull + static_cast<uint64_t>(ts.tv_nsec);
}

std::string errno_text(int err) {
  err = err < 0 ? -err : err;
  const char* name = strerrorname_np(err);
  return fmt::format("{} ({})", name ? name : "E?", strerror(err));
}

void set_verbose(bool verbose) { g_verbose = verbose; }
bool verbose() { return g_verbose; }

SkelPtr Tracer::Impl::open_configured(bool use_btf, const Features& f) {
  SkelPtr s(open_object(f.kfunc_rdonly_cast));
  if (!s)
    throw TraceError(TraceError::Kind::internal,
                     fmt::format("opening the BPF object failed: {}", errno_text(errno)));
  auto* ro = s->rodata;
  set_bits(ro->cfg_fd_arg0, k_fd_arg0);
  set_bits(ro->cfg_data_sys, k_data);
  set_bits(ro->cfg_wait_sys, k_wait);
  set_bits(ro->cfg_risk_sys, k_risk);
  set_bits(ro->cfg_conn_sys, k_conn);
  set_bits(ro->cfg_exec_sys, k_exec);
  set_bits(ro->cfg_read_sys, k_read);
  ro->cfg_nr_connect = nr_of("connect");
  ro->cfg_nr_sendto = nr_of("sendto");
  for (const auto& sc : all_syscalls(k_native_arch))
    if (sc.nr >= 0 && sc.nr < k_max_syscalls) ro->cfg_size_arg[sc.nr] = sc.size_arg;
  ro->cfg_follow_children = opts.follow_children;
  ro->cfg_trace_all = opts.all_processes;
  ro->cfg_self_tgid = static_cast<__u32>(getpid());
  if (opts.pids.size() == 1 && !opts.follow_children && !opts.all_processes && !opts.targets_change)
    ro->cfg_one_tgid = static_cast<__u32>(opts.pids[0]);
  ro->cfg_runq_from_task = f.sched_info;
  ro->cfg_sched_from_task = use_btf && f.sched_info;
  ro->cfg_tls = use_btf;
  ro->cfg_ustack = !feature_disabled("unwind");
  ro->cfg_stall_ns = opts.stall_ns;
  ro->cfg_block_ns = opts.block_ns;
  ro->cfg_timeline = opts.timeline;
  ro->cfg_loop_watch = opts.loop_watch;
  // without --timeline the ring buffer is never written: one page instead of megabytes
  bpf_map__set_max_entries(s->maps.iot_timeline, opts.timeline ? IOT_TL_BYTES : getpagesize());
  ro->cfg_nr_epoll_ctl = nr_of("epoll_ctl");
  ro->cfg_nr_select = nr_of("select");
  ro->cfg_nr_pselect6 = nr_of("pselect6");
  ro->cfg_nr_poll = nr_of("poll");
  ro->cfg_nr_ppoll = nr_of("ppoll");
  ro->cfg_nr_io_uring_enter = nr_of("io_uring_enter");
  ro->cfg_nr_prctl = nr_of("prctl");
  ro->cfg_nr_futex = nr_of("futex");
  ro->cfg_nr_uretprobe = nr_of("uretprobe");

  // raw_tp programs keep threads in iot_threads only (kernels without task storage)
  bpf_map__set_autocreate(s->maps.iot_tls, use_btf);
  // tp_btf and raw_tp twins share one handler; keep one of each pair.
  bpf_program* prog = nullptr;
  bpf_object__for_each_program(prog, s->obj) {
    std::string name = bpf_program__name(prog);
    bool is_btf = name.size() > 4 && name.compare(name.size() - 4, 4, "_btf") == 0;
    bool is_raw = name.size() > 4 && name.compare(name.size() - 4, 4, "_raw") == 0;
    if (is_btf) bpf_program__set_autoload(prog, use_btf);
    if (is_raw) bpf_program__set_autoload(prog, !use_btf);
    if (prog == s->progs.iot_dump_threads) bpf_program__set_autoload(prog, use_btf);
    // with the task's own run-queue delay, wakeups need not be timed
    if (f.sched_info && name.rfind("iot_wakeup_", 0) == 0) bpf_program__set_autoload(prog, false);
    // and with tp_btf, the task's own CPU time: no program on every context switch either
    if (use_btf && f.sched_info && name.rfind("iot_switch_", 0) == 0)
      bpf_program__set_autoload(prog, false);
    if (is_uring_prog(prog)) {
      std::string tp = std::string(bpf_program__section_name(prog)).substr(7);  // tp_btf/
      bpf_program__set_autoload(prog, f.uring_prog_wanted(name, tp) && !opts.loop_watch);
    }
    // the loop watch's programs replace the syscall programs (bpf/loop_watch.bpf.h)
    bool lw = is_loop_watch_prog(prog);
    bool sys = name.rfind("iot_enter_", 0) == 0 || name.rfind("iot_exit_btf", 0) == 0 ||
               name.rfind("iot_exit_raw", 0) == 0;
    // its waits on trampolines or on syscall tracepoints, never both
    bool tramp = name.rfind("iot_lw_fentry_", 0) == 0 || name.rfind("iot_lw_fexit_", 0) == 0;
    bool tp = name.rfind("iot_lw_enter_", 0) == 0 || name.rfind("iot_lw_exit_", 0) == 0;
    if (lw) bpf_program__set_autoload(prog, opts.loop_watch && use_btf && (tramp ? lw_trampolines : !tp || !lw_trampolines));
    // with the task's own run-queue delay the loop watch needs no program on wakeups either
    if (lw && f.sched_info && name == "iot_lw_wakeup_btf") bpf_program__set_autoload(prog, false);
    if (sys && opts.loop_watch) bpf_program__set_autoload(prog, false);
  }
  return s;
}

// Whether this kernel runs the loop watch's trampolines: the object with them loads and one
// attaches (some kernels refuse fentry at attach, EPERM here; a kernel without a syscall
// function the programs name refuses the load).
bool Tracer::Impl::trampolines_work(const Features& f) {
  lw_trampolines = true;
  SkelPtr s = open_configured(true, f);
  bool ok = iotrace_bpf::load(s.get()) == 0;
  if (ok) {
    bpf_link* link = bpf_program__attach(s->progs.iot_lw_fentry_ppoll);
    ok = !libbpf_get_error(link);
    if (ok) bpf_link__destroy(link);
  }
  if (verbose()) fmt::print(stderr, "iotrace: loop watch on trampolines: {}\n", ok ? "yes" : "refused");
  lw_trampolines = false;
  return ok;
}

void Tracer::Impl::load(const Features& f) {
  bool use_btf = !feature_disabled("tp_btf");
  if (opts.loop_watch && !use_btf)
    throw TraceError(TraceError::Kind::environment,
                     "the loop watch needs BTF tracepoints (tp_btf), disabled with --no-feature tp_btf",
                     "drop --no-feature tp_btf, or trace with the full tracer (without --loop-watch)");
  if (opts.loop_watch) lw_trampolines = trampolines_work(f);
  for (int attempt = 0; attempt < 3; ++attempt) {
    skel = open_configured(use_btf, f);
    if (attempt == 2) {
      bpf_program* prog = nullptr;
      bpf_object__for_each_program(prog, skel->obj) if (is_uring_prog(prog))
          bpf_program__set_autoload(prog, false);
    }
    int err = iotrace_bpf::load(skel.get());
    if (!err) {
      btf_programs = use_btf;
      using State = KernelFeature::State;
      if (opts.loop_watch) {
        std::string how = lw_trampolines
                              ? "multiplexer waits on trampolines (fentry/fexit on their syscall functions)"
                              : "multiplexer waits on their own syscall tracepoints (trampolines refused)";
        outcome.push_back({"loop watch", State::on, how + ", loop threads' sleeps at sched_switch"});
        notes.push_back("loop watch hooks: " + how);
      }
      if (use_btf)
        outcome.push_back({"tp_btf", State::on, "syscall and scheduler programs are BTF tracepoints"});
      else
        outcome.push_back({"tp_btf", State::fallback,
                           feature_disabled("tp_btf")
                               ? "disabled with --no-feature tp_btf: raw tracepoints are used"
                               : "BTF tracepoints (tp_btf) could not be loaded: raw tracepoints are used"});
      if (attempt == 2) {
        outcome.push_back({"io_uring tracepoints", State::off,
                           "io_uring's programs could not be loaded: SQE, CQE and io-wq counts are missing"});
        for (const auto& c : all_uring_counts()) mark_unavailable(c);
      }
      return;
    }
    if (err == -EPERM || (err == -EACCES && geteuid() != 0))
      throw TraceError(TraceError::Kind::environment,
                       fmt::format("loading BPF programs was refused: {}", errno_text(err)),
                       "run as root, or grant CAP_BPF and CAP_PERFMON (and CAP_SYS_RESOURCE for "
                       "memory limits); run with -v to see libbpf's log");
    if (verbose())
      fmt::print(stderr, "iotrace: loading with {} failed: {}\n", use_btf ? "tp_btf" : "raw_tp",
                 errno_text(err));
    if (opts.loop_watch)
      throw TraceError(TraceError::Kind::environment,
                       fmt::format("loading the loop watch's programs failed: {}", errno_text(err)),
                       "it needs BTF tracepoints, task storage and bpf_task_pt_regs (Linux 5.15 "
                       "or later); run 'iotrace doctor', or trace without --loop-watch; -v shows "
                       "the verifier log");
    if (attempt == 0) use_btf = false;  // raw tracepoints next
    skel.reset();
    if (attempt == 2)
      throw TraceError(TraceError::Kind::environment,
                       fmt::format("loading BPF programs failed: {}", errno_text(err)),
                       "run 'iotrace doctor' to see which kernel features are missing; -v shows "
                       "the verifier log");
  }
}

}  // namespace iotrace::probes
