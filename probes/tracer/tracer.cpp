#include "probes/tracer/tracer.hpp"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <time.h>
#include <unistd.h>

#include <fmt/format.h>

#include <fcntl.h>

#include <algorithm>
#include <cerrno>
#include <cstdarg>
#include <cstring>
#include <functional>
#include <map>
#include <set>
#include <vector>

#include "bpf/iotrace.skel.h"
#include "bpf/iotrace_abi.h"
#include "probes/kernel/features.hpp"
#include "probes/proc_reader.hpp"
#include "probes/stacks/stack_samples.hpp"
#include "probes/stacks/symbolizer.hpp"
#include "probes/tracer/timeline_recorder.hpp"
#include "probes/trace_error.hpp"
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

struct SkelDeleter {
  void operator()(iotrace_bpf* s) const { iotrace_bpf::destroy(s); }
};
using SkelPtr = std::unique_ptr<iotrace_bpf, SkelDeleter>;

void set_bits(volatile __u64* bits, uint32_t flag) {
  for (const auto& s : all_syscalls())
    if ((s.flags & flag) && s.nr >= 0 && s.nr < k_max_syscalls) bits[s.nr / 64] |= 1ull << (s.nr % 64);
}

int nr_of(const char* name) { return syscall_nr(name).value_or(-1); }

bool is_uring_prog(const bpf_program* p) {
  return std::strncmp(bpf_program__name(p), "iot_ur_", 7) == 0;
}

bool is_dns_prog(const bpf_program* p) {
  return std::strncmp(bpf_program__name(p), "iot_dns_", 8) == 0;
}

// The resolver functions probed in each target's libc, in IOT_FN_* order.
constexpr const char* k_dns_functions[IOT_FN_COUNT] = {
    "getaddrinfo", "gethostbyname", "gethostbyname2", "gethostbyname_r", "gethostbyname2_r"};

}  // namespace

void set_verbose(bool verbose) { g_verbose = verbose; }

struct Tracer::Impl {
  SkelPtr skel;
  ring_buffer* rb = nullptr;
  TraceOptions opts;
  uint64_t start_ns = 0;
  std::map<uint32_t, ProcessRecord> procs;  // targets known so far, by pid
  std::vector<std::string> notes;
  std::vector<iot_stall_event> stalls;
  Symbolizer symbolizer;
  StackSamples samples{symbolizer};
  std::map<uint32_t, std::string> py_checked;  // the image each target was last checked in
  int ncpus = 1;
  std::vector<bpf_link*> dns_links;
  std::set<std::string> dns_libcs;  // libc files already probed (by path as the kernel sees it)
  bool dns_failed_noted = false;
  uint64_t stopped_ns = 0;  // when stop() detached the programs; 0 while tracing
  std::vector<iot_thread> frozen_rows;  // the thread rows read by stop()
  bool btf_programs = false;  // tp_btf programs loaded: live threads are in task storage
  bpf_link* iter_link = nullptr;  // iot_dump_threads: kept after stop() to read the rows
  std::unique_ptr<TimelineRecorder> timeline;  // --timeline

  ~Impl() {
    for (auto* l : dns_links) bpf_link__destroy(l);
    if (iter_link) bpf_link__destroy(iter_link);
    if (rb) ring_buffer__free(rb);
  }

  void attach_dns(uint32_t pid);
  void prefill_et(const ProcessRecord& p);
  void improve_stack(uint32_t pid, Stack& stack, const std::vector<uint64_t>& addrs,
                     const uint64_t* sp_words);

  static int on_event(void* ctx, void* data, size_t size) {
    auto* self = static_cast<Impl*>(ctx);
    if (size < sizeof(iot_event_hdr)) return 0;
    auto* hdr = static_cast<const iot_event_hdr*>(data);
    if (hdr->type == IOT_EV_STALL && size >= sizeof(iot_stall_event))
      self->stalls.push_back(*static_cast<const iot_stall_event*>(data));
    if (hdr->type == IOT_EV_USTACK && size >= sizeof(iot_ustack_event))
      self->samples.add(*static_cast<const iot_ustack_event*>(data));
    return 0;  // unknown kinds are skipped
  }

  static int on_timeline(void* ctx, void* data, size_t size) {
    auto* self = static_cast<Impl*>(ctx);
    if (self->timeline) self->timeline->add(data, size);
    return 0;
  }

  // The kernel's count of one kind of loss, summed over CPUs.
  uint64_t read_loss(uint32_t kind) {
    std::vector<__u64> per_cpu(static_cast<size_t>(ncpus));
    uint64_t total = 0;
    if (bpf_map_lookup_elem(bpf_map__fd(skel->maps.iot_loss), &kind, per_cpu.data())) return 0;
    for (auto v : per_cpu) total += v;
    return total;
  }

  // Losses are shown on the timeline where they were noticed: at each poll.
  void note_timeline_losses() {
    if (timeline) timeline->note_lost(read_loss(IOT_LOSS_TIMELINE), mono_ns());
  }

  SkelPtr open_configured(bool use_btf, const Features& f) {
    SkelPtr s(iotrace_bpf::open());
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
    for (const auto& sc : all_syscalls())
      if (sc.nr >= 0 && sc.nr < k_max_syscalls) ro->cfg_size_arg[sc.nr] = sc.size_arg;
    ro->cfg_follow_children = opts.follow_children;
    ro->cfg_trace_all = opts.all_processes;
    ro->cfg_self_tgid = static_cast<__u32>(getpid());
    if (opts.pids.size() == 1 && !opts.follow_children && !opts.all_processes)
      ro->cfg_one_tgid = static_cast<__u32>(opts.pids[0]);
    ro->cfg_runq_from_task = f.sched_info;
    ro->cfg_sched_from_task = use_btf && f.sched_info;
    ro->cfg_tls = use_btf;
    ro->cfg_ustack = !feature_disabled("unwind");
    ro->cfg_stall_ns = opts.stall_ns;
    ro->cfg_block_ns = opts.block_ns;
    ro->cfg_timeline = opts.timeline;
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
        bpf_program__set_autoload(prog, f.has_tracepoint(tp));
      }
    }
    return s;
  }

  void load(const Features& f) {
    bool use_btf = !feature_disabled("tp_btf");
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
        if (!use_btf) notes.push_back("BTF tracepoints (tp_btf) unavailable: using raw tracepoints");
        if (attempt == 2)
          notes.push_back("io_uring tracepoints could not be loaded: SQE, CQE and io-wq counts are missing");
        return;
      }
      if (err == -EPERM || (err == -EACCES && geteuid() != 0))
        throw TraceError(TraceError::Kind::environment,
                         fmt::format("loading BPF programs was refused: {}", errno_text(err)),
                         "run as root, or grant CAP_BPF and CAP_PERFMON (and CAP_SYS_RESOURCE for "
                         "memory limits); run with -v to see libbpf's log");
      if (g_verbose)
        fmt::print(stderr, "iotrace: loading with {} failed: {}\n", use_btf ? "tp_btf" : "raw_tp",
                   errno_text(err));
      if (attempt == 0) use_btf = false;  // raw tracepoints next
      skel.reset();
      if (attempt == 2)
        throw TraceError(TraceError::Kind::environment,
                         fmt::format("loading BPF programs failed: {}", errno_text(err)),
                         "run 'iotrace doctor' to see which kernel features are missing; -v shows "
                         "the verifier log");
    }
  }

  void attach() {
    bpf_program* prog = nullptr;
    bpf_object__for_each_program(prog, skel->obj) {
      if (!bpf_program__autoload(prog) || is_dns_prog(prog)) continue;
      bpf_link* link = bpf_program__attach(prog);
      if (prog == skel->progs.iot_dump_threads && !libbpf_get_error(link)) {
        iter_link = link;  // not a hook: outlives detach so the rows stay readable
        continue;
      }
      int err = libbpf_get_error(link);
      if (err) {
        if (is_uring_prog(prog)) {
          notes.push_back(fmt::format("io_uring tracepoint of {} could not be attached: {}",
                                      bpf_program__name(prog), errno_text(err)));
          continue;
        }
        throw TraceError(TraceError::Kind::environment,
                         fmt::format("attaching {} ({}) failed: {}", bpf_program__name(prog),
                                     bpf_program__section_name(prog), errno_text(err)),
                         "run 'iotrace doctor'; -v shows libbpf's log");
      }
      // The skeleton owns links it created; store ours the same way so destroy() frees them.
      for (int i = 0; i < skel->skeleton->prog_cnt; ++i)
        if (*skel->skeleton->progs[i].prog == prog) *skel->skeleton->progs[i].link = link;
    }
    rb = ring_buffer__new(bpf_map__fd(skel->maps.iot_events), on_event, this, nullptr);
    if (!rb || ring_buffer__add(rb, bpf_map__fd(skel->maps.iot_ustacks), on_event, this) ||
        (opts.timeline && ring_buffer__add(rb, bpf_map__fd(skel->maps.iot_timeline), on_timeline, this)))
      throw TraceError(TraceError::Kind::environment,
                       fmt::format("creating the ring buffer failed: {}", errno_text(errno)));
  }

  // in_kernel false: the kernel side already knows it (a child added at fork, maybe gone since)
  void add_target(uint32_t pid, bool followed, bool in_kernel = true) {
    __u8 one = 1;  // IOT_TARGET_LIVE
    if (in_kernel && bpf_map_update_elem(bpf_map__fd(skel->maps.iot_targets), &pid, &one, BPF_ANY))
      throw TraceError(TraceError::Kind::internal,
                       fmt::format("registering pid {} failed: {}", pid, errno_text(errno)));
    if (procs.count(pid)) return;
    ProcessRecord p;
    p.pid = pid;
    p.followed = followed;
    fill_process(p);
    procs[pid] = p;
    symbolizer.refresh(pid);
    if (stopped_ns) return;  // found while collecting after the trace ended: nothing to attach
    prefill_et(p);
    attach_dns(pid);
    attach_python(pid);
  }

  // CPython 3.11 targets: the kernel reads their Python frames at flagged calls.
  void attach_python(uint32_t pid) {
    py_checked[pid] = procs[pid].exe;
    std::string note;
    auto layout = samples.python().detect(symbolizer, pid, note);
    if (!note.empty()) notes.push_back(note);
    if (layout && bpf_map_update_elem(bpf_map__fd(skel->maps.iot_py), &pid, &*layout, BPF_ANY))
      notes.push_back(fmt::format("Python frames of process {} are not read: {}", pid, errno_text(errno)));
  }

  std::vector<uint32_t> map_targets() {
    std::vector<uint32_t> out;
    int fd = bpf_map__fd(skel->maps.iot_targets);
    uint32_t key = 0, next = 0;
    uint32_t* prev = nullptr;
    while (bpf_map_get_next_key(fd, prev, &next) == 0) {
      out.push_back(next);
      key = next;
      prev = &key;
    }
    return out;
  }

  Capture collect();
  void read_threads(Capture& c, uint64_t now);
  std::vector<iot_thread> read_rows();
  void for_each_thread(const std::function<void(const iot_thread&)>& fn);
  void read_stats(Capture& c);
  void read_flagged(Capture& c);
  void read_losses(Capture& c);
  std::vector<uint64_t> stack_addrs(int32_t id);
  Stack site_stack(uint32_t pid, std::optional<Stack> unwound, int32_t stack_id, const uint64_t* sp_words);
};

std::vector<uint64_t> Tracer::Impl::stack_addrs(int32_t id) {
  std::vector<uint64_t> out;
  if (id < 0) return out;
  __u64 ips[IOT_MAX_STACK] = {};
  if (bpf_map_lookup_elem(bpf_map__fd(skel->maps.iot_stacks), &id, ips)) return out;
  for (auto ip : ips) {
    if (!ip) break;
    out.push_back(ip);
  }
  return out;
}

// Interest lists read earlier keep registrations closed since: the union is what the
// process had while traced.
static void merge_epoll(std::vector<EpollInstance>& now, const std::vector<EpollInstance>& before) {
  for (const auto& b : before) {
    auto it = std::find_if(now.begin(), now.end(), [&](const auto& e) { return e.epfd == b.epfd; });
    if (it == now.end()) {
      now.push_back(b);
      continue;
    }
    for (const auto& entry : b.entries)
      if (std::none_of(it->entries.begin(), it->entries.end(),
                       [&](const auto& e) { return e.tfd == entry.tfd; }))
        it->entries.push_back(entry);
  }
}

// Every thread row. tp_btf: live threads from task storage (through the iterator), then the
// exited ones in iot_exited; a row in both (an exited leader whose task lingers) is the same
// thread when the first-seen times match. raw_tp: every thread is in iot_threads.
std::vector<iot_thread> Tracer::Impl::read_rows() {
  std::vector<iot_thread> rows;
  if (btf_programs) {
    if (!iter_link)
      throw TraceError(TraceError::Kind::internal, "the live-thread iterator is not attached");
    int it = bpf_iter_create(bpf_link__fd(iter_link));
    if (it < 0)
      throw TraceError(TraceError::Kind::internal,
                       fmt::format("reading live threads failed: {}", errno_text(errno)));
    std::vector<char> buf;
    char chunk[1 << 16];
    ssize_t n;
    while ((n = read(it, chunk, sizeof(chunk))) > 0 || (n < 0 && errno == EINTR))
      if (n > 0) buf.insert(buf.end(), chunk, chunk + n);
    int err = n < 0 ? errno : 0;
    close(it);
    if (err)
      throw TraceError(TraceError::Kind::internal,
                       fmt::format("reading live threads failed: {}", errno_text(err)));
    std::set<std::pair<uint32_t, uint64_t>> live;
    for (size_t off = 0; off + sizeof(iot_thread) <= buf.size(); off += sizeof(iot_thread)) {
      rows.emplace_back();
      std::memcpy(&rows.back(), buf.data() + off, sizeof(iot_thread));
      live.insert({rows.back().tid, rows.back().first_ns});
    }
    int fd = bpf_map__fd(skel->maps.iot_exited);
    iot_exited_key key{}, next{};
    iot_exited_key* prev = nullptr;
    auto t = std::make_unique<iot_thread>();
    while (bpf_map_get_next_key(fd, prev, &next) == 0) {
      key = next;
      prev = &key;
      if (live.count({key.tid, key.first_ns}) || bpf_map_lookup_elem(fd, &key, t.get())) continue;
      rows.push_back(*t);
    }
    return rows;
  }
  int fd = bpf_map__fd(skel->maps.iot_threads);
  uint32_t key = 0, next = 0;
  uint32_t* prev = nullptr;
  auto t = std::make_unique<iot_thread>();
  while (bpf_map_get_next_key(fd, prev, &next) == 0) {
    key = next;
    prev = &key;
    if (bpf_map_lookup_elem(fd, &key, t.get())) continue;
    t->tid = key;
    rows.push_back(*t);
  }
  return rows;
}

void Tracer::Impl::for_each_thread(const std::function<void(const iot_thread&)>& fn) {
  if (stopped_ns) {
    for (const auto& r : frozen_rows) fn(r);
    return;
  }
  for (const auto& r : read_rows()) fn(r);
}

void Tracer::Impl::read_threads(Capture& c, uint64_t now) {
  for_each_thread([&](const iot_thread& row) {
    const iot_thread* t = &row;
    ThreadRecord r;
    r.tid = t->tid;
    r.pid = t->tgid;
    r.comm = std::string(t->comm, strnlen(t->comm, sizeof(t->comm)));
    r.exited = t->flags & IOT_THR_EXITED;
    r.loop = t->flags & IOT_THR_LOOP;
    r.io_worker = t->flags & IOT_THR_IO_WORKER;
    auto rel = [&](uint64_t ns) { return ns > start_ns ? ns - start_ns : 0; };
    r.first_ns = rel(t->first_ns);
    r.last_ns = rel(t->last_ns);
    r.oncpu_ns = t->oncpu_ns + (t->oncpu_since_ns && now > t->oncpu_since_ns ? now - t->oncpu_since_ns : 0);
    r.sleep_ns = t->sleep_ns;
    r.runq_ns = t->runq_ns;
    r.vol_switches = t->vol_switches;
    r.invol_switches = t->invol_switches;
    r.stalls = t->stalls;
    r.select_max_nfds = t->select_max_fd;
    r.dns_udp53 = t->dns_udp53;
    r.et_undrained = t->et_undrained;
    r.epoll.ctl_add = t->ctl_add;
    r.epoll.ctl_mod = t->ctl_mod;
    r.epoll.ctl_del = t->ctl_del;
    r.epoll.edge = t->reg_edge;
    r.epoll.level = t->reg_level;
    r.epoll.oneshot = t->reg_oneshot;
    r.epoll.exclusive = t->reg_exclusive;
    for (int i = 0; i < IOT_FD_KINDS; ++i) r.epoll.fd_kinds[i] = t->reg_fd_kind[i];
    auto& u = r.uring;
    u.sqes = t->uring_sqes;
    u.cqes = t->uring_cqes;
    u.failed = t->uring_failed;
    u.punts = t->uring_punts;
    u.overflows = t->uring_overflows;
    u.links = t->uring_links;
    u.enter_getevents = t->uring_enter_getevents;
    u.enter_sqwakeup = t->uring_enter_sqwakeup;
    u.rings = t->uring_rings;
    u.rings_sqpoll = t->uring_rings_sqpoll;
    for (int i = 0; i < IOT_URING_OPS; ++i) u.ops[i] = t->uring_ops[i];
    if (!r.exited && !opts.light_collect) {
      // the kernel's copy is from the thread's first call; names set later show in /proc
      auto name = thread_comm(r.pid, r.tid);
      if (!name.empty()) r.comm = name;
    }
    c.threads.push_back(std::move(r));
  });
}

void Tracer::Impl::read_stats(Capture& c) {
  int fd = bpf_map__fd(skel->maps.iot_stats);
  iot_stats_key key{}, next{};
  iot_stats_key* prev = nullptr;
  iot_stats v{};
  while (bpf_map_get_next_key(fd, prev, &next) == 0) {
    key = next;
    prev = &key;
    if (bpf_map_lookup_elem(fd, &key, &v)) continue;
    SyscallRow r;
    r.tid = key.tid;
    r.nr = key.nr;
    r.fd_kind = static_cast<FdKind>(key.fd_kind < IOT_FD_KINDS ? key.fd_kind : IOT_FD_OTHER);
    r.nonblock = key.nonblock;
    r.calls = v.calls;
    r.err_eagain = v.err_eagain;
    r.err_eintr = v.err_eintr;
    r.err_other = v.err_other;
    r.total_ns = v.total_ns;
    r.max_ns = v.max_ns;
    r.bytes = v.bytes;
    r.zero_ret = v.zero_ret;
    r.ret_sum = v.ret_sum;
    r.arg_sum = v.arg_sum;
    r.arg_max = v.arg_max;
    for (int i = 0; i < IOT_HIST_SLOTS; ++i) r.hist.slots[i] = v.hist[i];
    c.syscalls.push_back(r);
  }
}

void Tracer::Impl::read_flagged(Capture& c) {
  std::map<uint32_t, uint32_t> pid_of;
  for (const auto& t : c.threads) pid_of[t.tid] = t.pid;
  int fd = bpf_map__fd(skel->maps.iot_flagged);
  iot_flag_key key{}, next{};
  iot_flag_key* prev = nullptr;
  iot_flag_val v{};
  while (bpf_map_get_next_key(fd, prev, &next) == 0) {
    key = next;
    prev = &key;
    if (bpf_map_lookup_elem(fd, &key, &v)) continue;
    FlaggedCall f;
    f.tid = key.tid;
    f.nr = key.nr;
    f.fd_kind = static_cast<FdKind>(key.fd_kind < IOT_FD_KINDS ? key.fd_kind : IOT_FD_OTHER);
    switch (key.kind) {
      case IOT_FLAG_RISK: f.kind = FlagKind::risk; break;
      case IOT_FLAG_ET: f.kind = FlagKind::et_undrained; break;
      case IOT_FLAG_DNS: f.kind = FlagKind::dns; break;
      default: f.kind = FlagKind::slow; break;
    }
    f.queued_bytes = v.queued_bytes;
    f.count = v.count;
    f.total_ns = v.total_ns;
    f.max_ns = v.max_ns;
    f.sleep_ns = v.sleep_ns;
    f.runq_ns = v.runq_ns;
    for (int i = 0; i < IOT_HIST_SLOTS; ++i) f.hist.slots[i] = v.hist[i];
    f.stack = site_stack(pid_of[key.tid], samples.for_site(key), key.stack_id,
                         reinterpret_cast<const uint64_t*>(v.sp_words));
    c.flagged.push_back(std::move(f));
  }
  if (g_verbose && samples.unwound)
    fmt::print(stderr, "iotrace: {} user stack copies unwound in {:.1f} ms ({:.1f} us each)\n",
               samples.unwound, samples.unwind_time.count() / 1e6,
               samples.unwind_time.count() / 1e3 / static_cast<double>(samples.unwound));
  for (const auto& e : stalls) {
    Stall s;
    s.tid = e.tid;
    s.start_ns = e.start_ns > start_ns ? e.start_ns - start_ns : 0;
    s.dur_ns = e.dur_ns;
    s.sys_ns = e.sys_ns;
    s.sleep_ns = e.sleep_ns;
    s.runq_ns = e.runq_ns;
    s.cpu_ns = e.cpu_ns;
    s.max_sys_ns = e.max_sys_ns;
    s.max_nr = e.max_nr;
    if (e.max_stack >= 0)
      s.stack = site_stack(e.tgid, samples.for_call(e.tid, e.max_stack, e.max_nr), e.max_stack, nullptr);
    c.stalls.push_back(std::move(s));
  }
}

// The unwound copy when there is one, else the kernel's frame-pointer walk; also the walk when
// the copy was cut short and the walk got further (code with frame pointers but no CFI).
Stack Tracer::Impl::site_stack(uint32_t pid, std::optional<Stack> unwound, int32_t stack_id,
                               const uint64_t* sp_words) {
  if (stack_id < 0) unwound.reset();  // calls of many stacks share that site: no copy speaks for them
  if (unwound && !unwound->truncated) return std::move(*unwound);
  auto addrs = stack_addrs(stack_id);
  Stack fp = symbolizer.symbolize(pid, addrs);
  if (sp_words) improve_stack(pid, fp, addrs, sp_words);
  fp.unwinder = "frame-pointer";
  fp.lost = stack_id < 0;
  if (unwound && (fp.truncated || fp.lost || fp.frames.size() <= unwound->frames.size()))
    return std::move(*unwound);
  return fp;
}

void Tracer::Impl::read_losses(Capture& c) {
  uint64_t totals[IOT_LOSS_KINDS] = {};
  for (uint32_t k = 0; k < IOT_LOSS_KINDS; ++k) totals[k] = read_loss(k);
  c.losses.stats_full = totals[IOT_LOSS_STATS_FULL];
  c.losses.threads_full = totals[IOT_LOSS_THREADS_FULL];
  c.losses.ringbuf = totals[IOT_LOSS_RINGBUF];
  c.losses.stack = totals[IOT_LOSS_STACK];
  c.losses.flagged_full = totals[IOT_LOSS_FLAGGED_FULL];
  c.losses.stack_copy = totals[IOT_LOSS_USTACK];
  c.losses.timeline = totals[IOT_LOSS_TIMELINE];
  for (const auto& [pid, p] : procs)
    if (samples.python().mismatched(pid))
      c.notes.push_back(fmt::format("Python frames of process {} were dropped: its interpreter's "
                                    "objects do not match CPython 3.11's layout", pid));
}

// Registrations made before the trace started are only in fdinfo: seed the ET-fd map so the
// drain check covers them too.
void Tracer::Impl::prefill_et(const ProcessRecord& p) {
  constexpr uint32_t k_epollet = 1u << 31;
  int fd = bpf_map__fd(skel->maps.iot_etfds);
  __u8 one = 1;
  for (const auto& inst : p.epoll)
    for (const auto& e : inst.entries)
      if (e.events & k_epollet) {
        iot_etfd_key key{p.pid, e.tfd};
        skel->bss->et_seen = 1;  // first: an EPOLL_CTL_DEL from now on deletes the key
        bpf_map_update_elem(fd, &key, &one, BPF_ANY);
      }
}

// Uprobes on the resolver functions of the libc this process maps. Every process mapping the
// same file shares the probes (pid -1); the BPF side filters on targets.
void Tracer::Impl::attach_dns(uint32_t pid) {
  auto maps = read_file(fmt::format("/proc/{}/maps", pid));
  if (!maps) return;
  std::string libc;
  for (const auto& m : parse_maps(*maps)) {
    auto slash = m.path.rfind('/');
    std::string base = slash == std::string::npos ? m.path : m.path.substr(slash + 1);
    if (m.exec && base.rfind("libc.so", 0) == 0) libc = m.path;
  }
  if (libc.empty() || dns_libcs.count(libc)) return;
  dns_libcs.insert(libc);
  // through the target's root, so a containerised target's own libc is the one probed
  std::string path = fmt::format("/proc/{}/root{}", pid, libc);
  for (int fn = 0; fn < IOT_FN_COUNT; ++fn) {
    for (bool ret : {false, true}) {
      LIBBPF_OPTS(bpf_uprobe_opts, uo);
      uo.func_name = k_dns_functions[fn];
      uo.retprobe = ret;
      uo.bpf_cookie = static_cast<__u64>(fn);
      bpf_program* prog = btf_programs
                              ? (ret ? skel->progs.iot_dns_exit_btf : skel->progs.iot_dns_enter_btf)
                              : (ret ? skel->progs.iot_dns_exit_raw : skel->progs.iot_dns_enter_raw);
      bpf_link* link = bpf_program__attach_uprobe_opts(prog, -1, path.c_str(), 0, &uo);
      if (libbpf_get_error(link)) {
        if (!dns_failed_noted)
          notes.push_back(fmt::format("uprobe on {} in {} failed ({}): synchronous DNS is "
                                      "detected from UDP port 53 traffic only",
                                      k_dns_functions[fn], libc, errno_text(errno)));
        dns_failed_noted = true;
        continue;
      }
      dns_links.push_back(link);
    }
  }
}

namespace {

// Whether the bytes before addr in the process end with a call instruction: then addr is a
// return address. e8 rel32 (5 bytes), ff /2 with the usual ModRM forms (2, 3 or 6 bytes).
bool follows_call(Symbolizer& sym, uint32_t pid, uint64_t addr) {
  unsigned char code[8] = {};
  int fd = open(fmt::format("/proc/{}/mem", pid).c_str(), O_RDONLY | O_CLOEXEC);
  ssize_t n = fd < 0 ? -1 : pread(fd, code, sizeof(code), static_cast<off_t>(addr - sizeof(code)));
  if (fd >= 0) close(fd);
  // an exited process: read the code from the mapped file instead
  if (n != static_cast<ssize_t>(sizeof(code)) && !sym.read_code(pid, addr - sizeof(code), code, sizeof(code)))
    return false;
  auto is_ff2 = [](unsigned char op, unsigned char modrm) {
    return op == 0xff && ((modrm >> 3) & 7) == 2;
  };
  return code[3] == 0xe8 || is_ff2(code[6], code[7]) || is_ff2(code[5], code[6]) ||
         is_ff2(code[2], code[3]);
}

}  // namespace

// The kernel's frame-pointer walk starts at the syscall instruction inside libc, whose
// wrappers keep no frame: the wrapper's caller is skipped. Its return address usually sits
// in the top words at sp; insert it when it checks out as a return address.
void Tracer::Impl::improve_stack(uint32_t pid, Stack& stack, const std::vector<uint64_t>& addrs,
                                 const uint64_t* sp_words) {
  if (addrs.empty() || stack.frames.empty()) return;
  // Walk up through libc's own frames to the first frame outside the module of the syscall.
  size_t at = 1;
  for (int i = 0; i < IOT_SP_WORDS; ++i) {
    uint64_t w = sp_words[i];
    if (w < 4096 || std::find(addrs.begin(), addrs.end(), w) != addrs.end()) continue;
    if (!follows_call(symbolizer, pid, w)) continue;
    Stack one = symbolizer.symbolize(pid, {addrs[0], w});
    if (one.frames.size() < 2 || one.frames[1].module == "[unknown]") continue;
    stack.frames.insert(stack.frames.begin() + static_cast<long>(at++), one.frames[1]);
    if (one.frames[1].module != stack.frames[0].module) return;
  }
}

Capture Tracer::Impl::collect() {
  uint64_t now = stopped_ns ? stopped_ns : mono_ns();
  Capture c;
  c.iotrace_version = IOTRACE_VERSION;
  c.kernel = kernel_release();
  c.duration_ns = now - start_ns;
  c.settings = {opts.stall_ns, opts.block_ns, opts.follow_children};
  c.notes = notes;
  for (uint32_t pid : map_targets())
    if (!procs.count(pid)) add_target(pid, true, false);  // a child added in the kernel at fork
  if (opts.all_processes) {
    // every process that made a call is a target; learn them from the thread rows
    std::set<uint32_t> seen;
    for_each_thread([&](const iot_thread& t) { seen.insert(t.tgid); });
    for (uint32_t tgid : seen) {
      if (procs.count(tgid)) continue;
      ProcessRecord p;
      p.pid = tgid;
      fill_process(p);
      procs[tgid] = p;
    }
  }
  for (auto& [pid, p] : procs) {
    auto before = p.epoll;
    // light: /proc facts were read when the process was first seen; only check it lives
    bool alive = !p.exited && (opts.light_collect ? process_alive(pid, p.start_time_ticks)
                                                  : fill_process(p));
    merge_epoll(p.epoll, before);
    if (alive) {
      if (!opts.light_collect) symbolizer.refresh(pid);
      // a process started by run is added before its exec: look for Python in the new image
      if (!opts.light_collect && !stopped_ns && py_checked[pid] != p.exe) attach_python(pid);
    } else {
      p.exited = true;
    }
  }
  read_threads(c, now);
  if (!opts.light_collect)
    for (auto& [pid, p] : procs) {
      if (p.exited) continue;
      for (auto& [tid, comm] : io_worker_tasks(pid)) {
        bool known = false;
        for (const auto& t : c.threads) known = known || t.tid == tid;
        if (known) continue;
        ThreadRecord r;
        r.tid = tid;
        r.pid = pid;
        r.comm = comm;
        r.io_worker = true;
        c.threads.push_back(std::move(r));
      }
    }
  for (auto& [pid, p] : procs) {
    ProcessRecord r = p;
    r.traced_ns = c.duration_ns;
    if (r.comm.empty())  // exited before /proc could be read: the kernel saw its name
      for (const auto& t : c.threads)
        if (t.tid == pid) r.comm = t.comm;
    if (p.exited) {
      uint64_t last = 0;
      for (const auto& t : c.threads)
        if (t.pid == pid) last = std::max(last, t.last_ns);
      r.traced_ns = last;
    }
    c.processes.push_back(std::move(r));
  }
  read_stats(c);
  read_flagged(c);
  read_losses(c);
  return c;
}

Tracer::Tracer() : impl_(std::make_unique<Impl>()) {}
Tracer::~Tracer() = default;

std::unique_ptr<Tracer> Tracer::start(const TraceOptions& opts) {
  libbpf_set_print(libbpf_log);
  Features f = probe_features();
  if (!f.root && !(f.cap_bpf && f.cap_perfmon))
    throw TraceError(TraceError::Kind::environment,
                     "tracing needs privileges this process lacks: not root, no CAP_BPF and CAP_PERFMON",
                     "run as root (sudo iotrace ...), or grant the capabilities: "
                     "setcap cap_bpf,cap_perfmon,cap_sys_resource+ep $(command -v iotrace)");
  if (!f.btf)
    throw TraceError(TraceError::Kind::environment,
                     "this kernel has no BTF type information (/sys/kernel/btf/vmlinux is missing)",
                     "iotrace's probes relocate to the running kernel with BTF; use a kernel built "
                     "with CONFIG_DEBUG_INFO_BTF=y (the default on Debian 11+, Ubuntu 20.10+, RHEL 8.2+)");
  if (!opts.all_processes)
    for (uint32_t pid : opts.pids) validate_target(pid);

  std::unique_ptr<Tracer> t(new Tracer());
  auto& im = *t->impl_;
  im.opts = opts;
  im.ncpus = libbpf_num_possible_cpus();
  if (!f.missing_io_uring_tracepoints.empty() && !feature_disabled("io_uring")) {
    std::string missing;
    for (const auto& m : f.missing_io_uring_tracepoints) missing += (missing.empty() ? "" : ", ") + m;
    im.notes.push_back("this kernel lacks io_uring tracepoints " + missing + ": their counts are missing");
  } else if (feature_disabled("io_uring")) {
    im.notes.push_back("io_uring tracepoints disabled: SQE, CQE and io-wq counts are missing");
  }
  im.load(f);
  im.attach();
  im.start_ns = mono_ns();
  if (opts.timeline) im.timeline = std::make_unique<TimelineRecorder>(opts.timeline_limit, im.start_ns);
  for (uint32_t pid : opts.pids) {
    im.add_target(pid, false);
    if (opts.follow_children)
      for (uint32_t child : descendants(pid)) im.add_target(child, true);
  }
  return t;
}

void Tracer::add_target(uint32_t pid) { impl_->add_target(pid, false); }

void Tracer::poll(int timeout_ms) {
  int err = ring_buffer__poll(impl_->rb, timeout_ms);
  // Stack copies do not wake the reader (see bpf/ustack.bpf.h): take them at every poll, while
  // the process whose Python code objects they name still runs.
  if (err >= 0 || err == -EINTR) err = ring_buffer__consume(impl_->rb);
  impl_->note_timeline_losses();
  if (err < 0 && err != -EINTR)
    throw TraceError(TraceError::Kind::internal,
                     fmt::format("reading the ring buffer failed: {}", errno_text(err)));
}

void Tracer::stop() {
  auto& im = *impl_;
  if (im.stopped_ns) return;
  // Every figure stops here: the programs return at once from now on (detaching them takes a
  // grace period per tracepoint, about a second in all, during which rates would drift).
  im.skel->bss->trace_stopped = 1;
  im.stopped_ns = mono_ns();
  // A program already running still finishes (they run for microseconds, with preemption
  // off): let those end, then take what is left in the ring buffer, then read the thread rows
  // (their CPU and sleep totals are computed as they are read). The exit hook is still
  // attached: a thread exiting meanwhile keeps its row.
  usleep(2000);
  int err = ring_buffer__consume(im.rb);
  if (err < 0 && err != -EINTR)
    throw TraceError(TraceError::Kind::internal,
                     fmt::format("reading the ring buffer failed: {}", errno_text(err)));
  im.note_timeline_losses();
  im.frozen_rows = im.read_rows();
  iotrace_bpf::detach(im.skel.get());
  for (auto* l : im.dns_links) bpf_link__destroy(l);
  im.dns_links.clear();
}

namespace {

// Deletes the keys of a hash map for which drop(key) holds (collected first: deleting while
// walking with get_next_key would restart the walk).
template <typename Key, typename Drop>
void delete_keys(int fd, Drop drop) {
  std::vector<Key> doomed;
  Key key{}, next{};
  Key* prev = nullptr;
  while (bpf_map_get_next_key(fd, prev, &next) == 0) {
    key = next;
    prev = &key;
    if (drop(key)) doomed.push_back(key);
  }
  for (const auto& k : doomed) bpf_map_delete_elem(fd, &k);
}

}  // namespace

size_t Tracer::forget_exited(const Capture& c) {
  auto& im = *impl_;
  std::set<uint32_t> gone;
  for (const auto& t : c.threads)
    if (t.exited) gone.insert(t.tid);
  int threads = bpf_map__fd(im.skel->maps.iot_threads);
  for (uint32_t tid : gone) bpf_map_delete_elem(threads, &tid);
  if (!gone.empty()) {
    delete_keys<iot_exited_key>(bpf_map__fd(im.skel->maps.iot_exited),
                                [&](const iot_exited_key& k) { return gone.count(k.tid) > 0; });
    delete_keys<iot_stats_key>(bpf_map__fd(im.skel->maps.iot_stats),
                               [&](const iot_stats_key& k) { return gone.count(k.tid) > 0; });
    delete_keys<iot_flag_key>(bpf_map__fd(im.skel->maps.iot_flagged),
                              [&](const iot_flag_key& k) { return gone.count(k.tid) > 0; });
  }
  for (auto it = im.procs.begin(); it != im.procs.end();)
    it = it->second.exited ? im.procs.erase(it) : std::next(it);
  im.stalls.clear();
  return gone.size();
}

bool Tracer::all_exited() {
  bool all = true;
  for (auto& [pid, p] : impl_->procs) {
    if (p.exited) continue;
    if (process_alive(pid, p.start_time_ticks)) {
      all = false;
      continue;
    }
    // Gone, or its pid now names another process (start times differ): stop tracing the
    // pid so a process that reuses it is never counted as the old one.
    p.exited = true;
    uint32_t key = pid;
    bpf_map_delete_elem(bpf_map__fd(impl_->skel->maps.iot_targets), &key);
  }
  if (!all) return false;
  // children created in the kernel since the last look are targets too
  for (uint32_t pid : impl_->map_targets())
    if (!impl_->procs.count(pid) && process_alive(pid, 0)) return false;
  return true;
}

LiveCounts Tracer::live_counts() {
  LiveCounts lc;
  impl_->for_each_thread([&](const iot_thread&) { ++lc.threads; });
  lc.stalls = impl_->stalls.size();
  return lc;
}

Capture Tracer::collect() { return impl_->collect(); }

uint64_t Tracer::elapsed_ns() const { return mono_ns() - impl_->start_ns; }

const TimelineLog* Tracer::timeline() const { return impl_->timeline ? &impl_->timeline->log() : nullptr; }

TimelineStacks Tracer::timeline_stacks() {
  auto& im = *impl_;
  TimelineStacks out;
  if (!im.timeline) return out;
  std::map<uint32_t, uint32_t> pid_of;
  for (const auto& r : im.timeline->log().records()) pid_of.emplace(r.tid, r.pid);
  // the same choice of unwound copy or frame-pointer walk as the capture's stalls make
  for (const auto& k : stack_keys(im.timeline->log()))
    out[k] = im.site_stack(pid_of[k.tid], im.samples.for_call(k.tid, k.stack_id, k.nr), k.stack_id, nullptr);
  return out;
}

}  // namespace iotrace::probes
