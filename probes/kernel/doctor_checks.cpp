#include "probes/kernel/doctor_checks.hpp"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>

#include <cerrno>
#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <functional>
#include <memory>

#include "bpf/probe.skel.h"
#include "probes/kernel/features.hpp"
#include "probes/proc_reader.hpp"
#include "probes/tracer/tracer.hpp"

// The uprobe check attaches here: a function of the doctor's own binary, kept out of line and
// in the symbol table so libbpf can find it by name.
extern "C" __attribute__((noinline, used, visibility("default"))) int
iotrace_doctor_uprobe_target(int x) {
  asm volatile("" : "+r"(x) : : "memory");
  return x + 1;
}

namespace iotrace::probes {
namespace {

// Slots of iot_pr_hits, as in bpf/probe.bpf.c.
enum Slot { k_sys_btf = 0, k_sys_raw, k_sch_btf, k_sch_raw, k_uring, k_uprobe, k_uret, k_fentry };
constexpr uint64_t k_uprobe_cookie = 0x10;

bool g_verbose = false;

int libbpf_log(enum libbpf_print_level, const char* fmt, va_list args) {
  return g_verbose ? vfprintf(stderr, fmt, args) : 0;
}

std::string errno_text(int err) {
  err = err < 0 ? -err : err;
  const char* name = strerrorname_np(err);
  return fmt::format("{} ({})", name ? name : "E?", strerror(err));
}

struct SkelDeleter {
  void operator()(probe_bpf* s) const { probe_bpf::destroy(s); }
};
using SkelPtr = std::unique_ptr<probe_bpf, SkelDeleter>;

struct Attempt {
  int load_err = 0;    // negative errno when loading failed
  int attach_err = 0;  // negative errno when attaching failed
  uint64_t hits[2] = {};
  bool works() const { return !load_err && !attach_err; }
  std::string text() const {
    if (load_err) return fmt::format("load refused: {}", errno_text(load_err));
    if (attach_err) return fmt::format("loads; attach failed: {}", errno_text(attach_err));
    return hits[0] ? "loads, attaches, fires" : "loads and attaches";
  }
};

using AttachFn = std::function<std::vector<bpf_link*>(probe_bpf&)>;

// Loads only the named programs, attaches them (attach, or each named program by its section),
// runs trigger, and reads the hit counters of the given slots. Everything is freed on return.
Attempt try_programs(const std::vector<const char*>& names, const std::vector<int>& slots,
                     const std::function<void()>& trigger, const AttachFn& attach = {}) {
  Attempt a;
  SkelPtr s(probe_bpf::open());
  if (!s) {
    a.load_err = -errno;
    return a;
  }
  s->rodata->cfg_self_tgid = static_cast<__u32>(getpid());
  std::vector<bpf_program*> progs;
  bpf_program* p = nullptr;
  bpf_object__for_each_program(p, s->obj) {
    bool wanted = false;
    for (const char* n : names) wanted = wanted || std::strcmp(bpf_program__name(p), n) == 0;
    bpf_program__set_autoload(p, wanted);
    if (wanted) progs.push_back(p);
  }
  if (int err = probe_bpf::load(s.get())) {
    a.load_err = err < 0 ? err : -err;
    return a;
  }
  std::vector<bpf_link*> links;
  if (attach) {
    links = attach(*s);
  } else {
    for (auto* prog : progs) links.push_back(bpf_program__attach(prog));
  }
  for (auto* l : links)
    if (!l && !a.attach_err) a.attach_err = errno ? -errno : -EINVAL;
  if (!a.attach_err && trigger) trigger();
  for (size_t i = 0; i < slots.size() && i < 2; ++i) a.hits[i] = s->bss->iot_pr_hits[slots[i]];
  for (auto* l : links)
    if (l) bpf_link__destroy(l);
  return a;
}

void make_syscalls() {
  for (int i = 0; i < 5; ++i) (void)getppid();
}

void sleep_a_little() {
  for (int i = 0; i < 3; ++i) usleep(2000);
}

void read_a_file() {
  char buf[256];
  if (FILE* f = fopen("/proc/self/stat", "r")) {
    (void)!fread(buf, 1, sizeof(buf), f);
    fclose(f);
  }
}

bool exists(const char* path) {
  struct stat st {};
  return stat(path, &st) == 0;
}

std::string trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

DoctorCheck check(const char* id, const char* name, CheckState st, std::string result,
                  std::string meaning) {
  return {id, name, st, std::move(result), std::move(meaning)};
}

DoctorCheck privileges_check(const Features& f) {
  std::vector<std::string> caps;
  if (f.cap_bpf) caps.push_back("CAP_BPF");
  if (f.cap_perfmon) caps.push_back("CAP_PERFMON");
  std::string who = f.root ? "root" : fmt::format("uid {}", geteuid());
  std::string result = caps.empty() ? who + ", no CAP_BPF or CAP_PERFMON"
                                    : fmt::format("{}, {}", who, fmt::join(caps, " and "));
  if (f.root || (f.cap_bpf && f.cap_perfmon))
    return check("privileges", "privileges", CheckState::ok, result,
                 "iotrace may load and attach its programs");
  return check("privileges", "privileges", CheckState::fatal, result,
               "iotrace cannot load its programs: run as root, or grant CAP_BPF and CAP_PERFMON");
}

DoctorCheck kernel_check() {
  std::string rel = kernel_release();
  int major = 0, minor = 0;
  std::sscanf(rel.c_str(), "%d.%d", &major, &minor);
  if (major > 5 || (major == 5 && minor >= 8))
    return check("kernel", "kernel", CheckState::ok, rel,
                 "5.8 or newer: ring buffer and BTF tracepoints exist (the checks below confirm)");
  return check("kernel", "kernel", CheckState::fallback, rel,
               "older than 5.8: expect the ring buffer check below to fail");
}

DoctorCheck btf_check(const Features& f) {
  if (f.btf)
    return check("btf", "BTF", CheckState::ok, "/sys/kernel/btf/vmlinux present",
                 "iotrace's programs relocate to this kernel's types (CO-RE)");
  return check("btf", "BTF", CheckState::fatal, "/sys/kernel/btf/vmlinux missing",
               "iotrace's programs cannot be relocated: use a kernel with CONFIG_DEBUG_INFO_BTF=y");
}

void tracepoint_checks(DoctorReport& r) {
  bool btf_off = feature_disabled("tp_btf");
  Attempt sys_btf, sch_btf;
  if (btf_off) {
    r.checks.push_back(check("tp_btf", "tp_btf sys_enter", CheckState::fallback,
                             "disabled with --no-feature tp_btf",
                             "syscalls are accounted with raw tracepoints instead"));
  } else {
    sys_btf = try_programs({"iot_pr_sys_btf"}, {k_sys_btf}, make_syscalls);
    r.checks.push_back(check("tp_btf", "tp_btf sys_enter",
                             sys_btf.works() ? CheckState::ok : CheckState::fallback, sys_btf.text(),
                             sys_btf.works() ? "syscalls are accounted with BTF tracepoints"
                                             : "iotrace falls back to raw tracepoints"));
  }
  Attempt sys_raw = try_programs({"iot_pr_sys_raw"}, {k_sys_raw}, make_syscalls);
  bool any_sys = sys_raw.works() || (!btf_off && sys_btf.works());
  r.checks.push_back(check(
      "raw_tp", "raw_tp sys_enter",
      sys_raw.works() ? CheckState::ok : (any_sys ? CheckState::fallback : CheckState::fatal),
      sys_raw.text(),
      sys_raw.works() ? "the fallback for syscall accounting works (no tracefs needed)"
                      : any_sys ? "no fallback if BTF tracepoints fail"
                                : "no way to account syscalls: attach cannot work"));

  std::string btf_part = btf_off ? "tp_btf disabled" : "tp_btf " + (sch_btf = try_programs(
      {"iot_pr_sch_btf"}, {k_sch_btf}, sleep_a_little)).text();
  Attempt sch_raw = try_programs({"iot_pr_sch_raw"}, {k_sch_raw}, sleep_a_little);
  bool any_sch = sch_raw.works() || (!btf_off && sch_btf.works());
  r.checks.push_back(check(
      "sched_switch", "sched_switch", any_sch ? CheckState::ok : CheckState::fatal,
      fmt::format("{}; raw_tp {}", btf_part, sch_raw.text()),
      any_sch ? "loop stalls, on-CPU and run-queue time are measured"
              : "scheduler events cannot be traced: attach cannot work"));
}

DoctorCheck sched_info_check(const Features& f) {
  const char* wakeup = "CPU and run-queue time are timed with sched_switch and sched_wakeup "
                       "programs, which every context switch and wakeup on the host runs";
  if (feature_disabled("sched_info"))
    return check("sched_info", "run-queue delay", CheckState::fallback,
                 "disabled with --no-feature sched_info", wakeup);
  if (!f.sched_info)
    return check("sched_info", "run-queue delay", CheckState::fallback,
                 "task_struct.sched_info absent (CONFIG_SCHED_INFO off)", wakeup);
  return check("sched_info", "run-queue delay", CheckState::ok, "task_struct.sched_info in BTF",
               "CPU and run-queue time read from the scheduler's own per-task counters: no "
               "program on context switches and wakeups");
}

DoctorCheck uring_check(const Features& f) {
  if (feature_disabled("io_uring"))
    return check("io_uring", "io_uring tracepoints", CheckState::fallback,
                 "disabled with --no-feature io_uring",
                 "SQE, CQE and io-wq counts are missing; io_uring_enter calls are still counted");
  std::vector<std::string> on, off;
  for (const auto& k : f.kernel)
    if (k.name.rfind("io_uring", 0) == 0)
      (k.state == KernelFeature::State::on ? on : off).push_back(k.name.substr(9));
  std::string found = fmt::format("{} of {} present in the form iotrace knows", on.size(),
                                  on.size() + off.size());
  if (on.empty())
    return check("io_uring", "io_uring tracepoints", CheckState::fallback, found,
                 "SQE, CQE and io-wq counts are missing; io_uring_enter calls are still counted");
  if (!off.empty())
    return check("io_uring", "io_uring tracepoints", CheckState::fallback,
                 fmt::format("{}; not counted: {}", found, fmt::join(off, ", ")),
                 "those counts are absent from reports, and no finding is computed from them");
  return check("io_uring", "io_uring tracepoints", CheckState::ok,
               fmt::format("{} (submissions: {}, completions: {})", found, f.uring_submit_prog,
                           f.uring_complete_prog),
               "SQE, CQE, io-wq punt and CQ overflow counts are collected");
}

// The programs attach loads, loaded and attached the same way here: the one check whose
// success means attach loads on this kernel.
DoctorCheck tracer_check(DoctorReport& r) {
  LoadCheck lc = Tracer::check_load();
  r.kernel = lc.features;
  r.unavailable = lc.unavailable;
  if (lc.works)
    return check("tracer", "iotrace's programs", CheckState::ok, lc.result,
                 "attach loads these same programs on this kernel");
  return check("tracer", "iotrace's programs", CheckState::fatal, lc.result,
               lc.hint.empty() ? "attach cannot load its programs here" : lc.hint);
}

DoctorCheck uprobe_check() {
  if (!exists("/sys/bus/event_source/devices/uprobe"))
    return check("uprobes", "uprobes", CheckState::fallback,
                 "no uprobe PMU (/sys/bus/event_source/devices/uprobe)",
                 "synchronous DNS calls on event loops are not detected");
  char exe[4096];
  ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
  std::string path = n > 0 ? std::string(exe, static_cast<size_t>(n)) : "/proc/self/exe";
  Attempt a = try_programs(
      {"iot_pr_uprobe", "iot_pr_uret"}, {k_uprobe, k_uret},
      [] {
        volatile int v = 1;
        v = iotrace_doctor_uprobe_target(v);
      },
      [&](probe_bpf& s) {
        LIBBPF_OPTS(bpf_uprobe_opts, entry, .bpf_cookie = k_uprobe_cookie,
                    .func_name = "iotrace_doctor_uprobe_target");
        LIBBPF_OPTS(bpf_uprobe_opts, ret, .retprobe = true,
                    .func_name = "iotrace_doctor_uprobe_target");
        return std::vector<bpf_link*>{
            bpf_program__attach_uprobe_opts(s.progs.iot_pr_uprobe, getpid(), path.c_str(), 0, &entry),
            bpf_program__attach_uprobe_opts(s.progs.iot_pr_uret, getpid(), path.c_str(), 0, &ret)};
      });
  if (!a.works())
    return check("uprobes", "uprobes", CheckState::fallback, a.text(),
                 "synchronous DNS calls on event loops are not detected");
  bool fired = a.hits[0] && a.hits[1];
  return check("uprobes", "uprobes", CheckState::ok,
               fired ? "uprobe with cookie and uretprobe attach and fire" : "attach (did not fire)",
               "synchronous DNS calls (getaddrinfo) on event loops are detected");
}

DoctorCheck fentry_check() {
  Attempt a = try_programs({"iot_pr_fentry"}, {k_fentry}, read_a_file);
  return check("fentry", "fentry", CheckState::info, a.text(),
               "not used; iotrace does not need it");
}

DoctorCheck kprobe_check() {
  bool have = exists("/sys/bus/event_source/devices/kprobe");
  return check("kprobes", "kprobes", CheckState::info, have ? "kprobe PMU present" : "absent",
               "not used; iotrace does not need them");
}

DoctorCheck ringbuf_check() {
  int fd = bpf_map_create(BPF_MAP_TYPE_RINGBUF, "iot_pr_rb", 0, 0, 256 * 1024, nullptr);
  if (fd < 0) {
    int err = errno;
    return check("ringbuf", "ring buffer", CheckState::fatal,
                 fmt::format("creation failed: {}", errno_text(err)),
                 "stall events cannot be delivered: attach cannot work");
  }
  close(fd);
  return check("ringbuf", "ring buffer", CheckState::ok, "a 256 KiB ring buffer map was created",
               "stall events reach iotrace without per-syscall traffic");
}

DoctorCheck tracefs_check() {
  auto mounts = read_file("/proc/self/mounts").value_or("");
  bool mounted = mounts.find(" tracefs ") != std::string::npos;
  return check("tracefs", "tracefs", CheckState::info, mounted ? "mounted" : "not mounted",
               "not needed: iotrace uses BTF and raw tracepoints, which need no tracefs");
}

DoctorCheck io_uring_disabled_check() {
  auto text = read_file("/proc/sys/kernel/io_uring_disabled");
  if (!text)
    return check("io_uring_disabled", "io_uring_disabled", CheckState::info,
                 "not present (kernel before 6.6)", "processes here may use io_uring");
  std::string v = trim(*text);
  const char* meaning = v == "0"   ? "processes here may use io_uring; iotrace classifies them"
                        : v == "1" ? "only io_uring_group members and CAP_SYS_ADMIN may use io_uring"
                                   : "io_uring is disabled: no process here uses it";
  return check("io_uring_disabled", "io_uring_disabled", CheckState::info, v, meaning);
}

DoctorCheck paranoid_check(const Features& f) {
  std::string v = trim(read_file("/proc/sys/kernel/perf_event_paranoid").value_or("?"));
  bool priv = f.root || f.cap_perfmon;
  return check("perf_event_paranoid", "perf_event_paranoid", CheckState::info, v,
               priv ? "no effect: iotrace runs with CAP_PERFMON (or as root)"
                    : "without CAP_PERFMON iotrace cannot attach, whatever this value");
}

DoctorCheck lockdown_check() {
  auto text = read_file("/sys/kernel/security/lockdown");
  if (!text)
    return check("lockdown", "lockdown", CheckState::info,
                 exists("/sys/kernel/security/lsm") ? "no lockdown LSM"
                                                    : "unknown (securityfs not mounted)",
                 "the loads above are what count");
  std::string v = trim(*text);
  std::string mode = "none";
  auto lb = v.find('['), rb = v.find(']');
  if (lb != std::string::npos && rb != std::string::npos && rb > lb) mode = v.substr(lb + 1, rb - lb - 1);
  if (mode == "confidentiality")
    return check("lockdown", "lockdown", CheckState::fallback, mode,
                 "BPF may not read kernel memory: some counters read as zero");
  return check("lockdown", "lockdown", CheckState::info, mode,
               mode == "none" ? "no restriction on BPF" : "BPF tracing is allowed in this mode");
}

DoctorCheck memlock_check() {
  rlimit rl{};
  getrlimit(RLIMIT_MEMLOCK, &rl);
  std::string v = rl.rlim_cur == RLIM_INFINITY ? "unlimited"
                                               : fmt::format("{} KiB", rl.rlim_cur / 1024);
  std::string rel = kernel_release();
  int major = 0, minor = 0;
  std::sscanf(rel.c_str(), "%d.%d", &major, &minor);
  bool memcg = major > 5 || (major == 5 && minor >= 11);
  return check("memlock", "RLIMIT_MEMLOCK", CheckState::info, v,
               memcg ? "not a limit here: BPF memory is charged to the cgroup (5.11+)"
                     : "libbpf raises it when needed (needs CAP_SYS_RESOURCE or root)");
}

const DoctorCheck* find(const DoctorReport& r, const char* id) {
  for (const auto& c : r.checks)
    if (c.id == id) return &c;
  return nullptr;
}

bool ok(const DoctorReport& r, const char* id) {
  const auto* c = find(r, id);
  return c && c->state == CheckState::ok;
}

}  // namespace

const char* check_state_name(CheckState s) {
  switch (s) {
    case CheckState::ok: return "ok";
    case CheckState::fallback: return "fallback";
    case CheckState::fatal: return "fatal";
    case CheckState::info: return "info";
  }
  return "info";
}

void summarize(DoctorReport& r) {
  r.features.clear();
  bool base = ok(r, "privileges") && ok(r, "btf");
  bool sys_btf = ok(r, "tp_btf"), sys_raw = ok(r, "raw_tp");
  const auto* sch = find(r, "sched_switch");
  bool sched = sch && sch->state == CheckState::ok;
  auto add = [&](const char* feature, CheckState st, std::string how) {
    r.features.push_back({feature, st, std::move(how)});
  };
  if (sys_btf) add("syscall accounting", CheckState::ok, "BTF tracepoints (tp_btf)");
  else if (sys_raw) add("syscall accounting", CheckState::fallback, "raw tracepoints (raw_tp), same events");
  else add("syscall accounting", CheckState::fatal, "unavailable");
  bool runq = ok(r, "sched_info");
  // With tp_btf and sched_info, CPU and run-queue time come from the task: no sched_switch.
  bool from_task = sys_btf && runq;
  bool sched_time = from_task || sched;
  add("loop stalls and scheduler time", sched_time ? CheckState::ok : CheckState::fatal,
      from_task ? "the scheduler's per-task counters (no sched_switch program)"
      : sched   ? (sys_btf ? "sched_switch via tp_btf" : "sched_switch via raw_tp")
                : "unavailable");
  if (sched_time)
    add("blocked/preempted split", runq ? CheckState::ok : CheckState::fallback,
        runq ? "scheduler's run-queue delay per task" : "sched_wakeup timing (costs every wakeup)");
  const auto* uring = find(r, "io_uring");
  bool uring_ok = uring && uring->state == CheckState::ok;
  add("io_uring SQE/CQE/io-wq counts", uring_ok ? CheckState::ok : CheckState::fallback,
      uring_ok ? "io_uring tracepoints" : "missing; io_uring_enter calls are still counted");
  bool uprobes = ok(r, "uprobes");
  add("synchronous DNS on loops", uprobes ? CheckState::ok : CheckState::fallback,
      uprobes ? "uprobes on the resolver" : "not detected (no uprobes)");
  bool rb = ok(r, "ringbuf");
  add("stall events and stacks", rb ? CheckState::ok : CheckState::fatal,
      rb ? "ring buffer" : "unavailable");
  r.attach_works = base && (sys_btf || sys_raw) && sched_time && rb;
  // Loading the real object is the last word: what the small test programs suggest can be
  // contradicted by what the tracer's own object needs (a kfunc, a tracepoint's form).
  if (const auto* tracer = find(r, "tracer"))
    r.attach_works = base && tracer->state == CheckState::ok;
}

DoctorReport run_doctor(bool verbose) {
  g_verbose = verbose;
  libbpf_set_print(libbpf_log);
  DoctorReport r;
  Features f = probe_features();
  r.checks.push_back(privileges_check(f));
  r.checks.push_back(kernel_check());
  r.checks.push_back(btf_check(f));
  tracepoint_checks(r);
  r.checks.push_back(sched_info_check(f));
  r.checks.push_back(uring_check(f));
  r.checks.push_back(uprobe_check());
  r.checks.push_back(ringbuf_check());
  if (r.checks.front().state != CheckState::fatal && f.btf) r.checks.push_back(tracer_check(r));
  r.checks.push_back(fentry_check());
  r.checks.push_back(kprobe_check());
  r.checks.push_back(tracefs_check());
  r.checks.push_back(io_uring_disabled_check());
  r.checks.push_back(paranoid_check(f));
  r.checks.push_back(lockdown_check());
  r.checks.push_back(memlock_check());
  summarize(r);
  return r;
}

}  // namespace iotrace::probes
