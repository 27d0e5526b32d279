// The map reader: the kernel's maps and /proc into a capture (threads, syscall rows, flagged
// calls with their stacks, stalls, losses).
#include <unistd.h>

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "probes/proc_reader.hpp"
#include "probes/trace_error.hpp"
#include "probes/tracer/tracer_impl.hpp"

namespace iotrace::probes {

uint64_t Tracer::Impl::read_loss(uint32_t kind) {
  std::vector<__u64> per_cpu(static_cast<size_t>(ncpus));
  uint64_t total = 0;
  if (bpf_map_lookup_elem(bpf_map__fd(skel->maps.iot_loss), &kind, per_cpu.data())) return 0;
  for (auto v : per_cpu) total += v;
  return total;
}

void Tracer::Impl::note_timeline_losses() {
  if (timeline) timeline->note_lost(read_loss(IOT_LOSS_TIMELINE), mono_ns());
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
    for (const auto& d : drained_threads)
      if (!live.count({d.tid, d.first_ns})) rows.push_back(d);
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
  rows.insert(rows.end(), drained_threads.begin(), drained_threads.end());
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
    r.iterations = t->iters;
    for (int i = 0; i < k_hist_slots; ++i) r.iteration_hist.slots[i] = t->iter_hist[i];
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
  StatsRows all = drained_stats;
  iot_stats v{};
  for (const auto& key : map_keys<iot_stats_key>(fd))
    if (!bpf_map_lookup_elem(fd, &key, &v)) add_stats(all[key], v);
  for (const auto& [key, v] : all) {
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
  if (verbose() && samples.unwound)
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

Capture Tracer::Impl::collect() {
  uint64_t now = stopped_ns ? stopped_ns : mono_ns();
  Capture c;
  c.iotrace_version = IOTRACE_VERSION;
  c.kernel = kernel_release();
  c.arch = k_native_arch;  // the kernel's syscall numbers are this build's
  c.duration_ns = now - start_ns;
  c.settings = {opts.stall_ns, opts.block_ns, opts.follow_children,
                opts.loop_watch ? TraceTier::loop_watch : TraceTier::full};
  c.notes = notes;
  c.unavailable = unavailable;
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
  if (!opts.light_collect) binary_dwarf.resolve(c);
  read_losses(c);
  return c;
}

}  // namespace iotrace::probes
