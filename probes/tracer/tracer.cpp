// The tracer's public calls: start (checks, load, attach, targets), poll, stop, collect and the
// housekeeping of long sessions.
#include "probes/tracer/tracer.hpp"

#include <unistd.h>

#include <fmt/format.h>

#include <cerrno>
#include <set>

#include "probes/proc_reader.hpp"
#include "probes/trace_error.hpp"
#include "probes/tracer/tracer_impl.hpp"

namespace iotrace::probes {

// Loads and attaches as this kernel allows: what start() and check_load() share. Every piece
// the kernel lacks is said once in the report's notes, and the counts it would have given are
// marked unavailable so no finding is computed from them.
void Tracer::Impl::bring_up(const Features& f) {
  ncpus = libbpf_num_possible_cpus();
  for (const auto& u : f.unavailable_counts()) mark_unavailable(u);
  load(f);
  auto note_missing = [&](const std::vector<KernelFeature>& pieces) {
    for (const auto& k : pieces)
      if (k.state != KernelFeature::State::on)
        notes.push_back(fmt::format("kernel feature {} {}: {}", k.name,
                                    kernel_feature_state_name(k.state), k.detail));
  };
  note_missing(f.kernel);
  note_missing(outcome);
  attach();
}

Tracer::Tracer() : impl_(std::make_unique<Impl>()) {}
Tracer::~Tracer() = default;

std::unique_ptr<Tracer> Tracer::start(const TraceOptions& opts) {
  install_libbpf_log();
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
  // The floor: stall events and stack copies need the BPF ring buffer (Linux 5.8).
  if (libbpf_probe_bpf_map_type(BPF_MAP_TYPE_RINGBUF, nullptr) != 1)
    throw TraceError(TraceError::Kind::environment,
                     fmt::format("this kernel ({}) has no BPF ring buffer, which iotrace needs "
                                 "(Linux 5.8 and later have it)", kernel_release()),
                     "run iotrace on Linux 5.8 or newer with BTF; 'iotrace doctor' and "
                     "REQUIREMENTS in iotrace(8) list what each feature needs");
  if (!opts.all_processes)
    for (uint32_t pid : opts.pids) validate_target(pid);

  std::unique_ptr<Tracer> t(new Tracer());
  auto& im = *t->impl_;
  im.opts = opts;
  im.bring_up(f);
  im.start_ns = mono_ns();
  if (opts.timeline) im.timeline = std::make_unique<TimelineRecorder>(opts.timeline_limit, im.start_ns);
  for (uint32_t pid : opts.pids) {
    im.add_target(pid, false);
    if (opts.follow_children)
      for (uint32_t child : descendants(pid)) im.add_target(child, true);
  }
  return t;
}

LoadCheck Tracer::check_load() {
  install_libbpf_log();
  LoadCheck out;
  Features f = probe_features();
  out.features = f.kernel;
  Impl im;
  try {
    im.bring_up(f);
    size_t progs = 0;
    bpf_program* prog = nullptr;
    bpf_object__for_each_program(prog, im.skel->obj) progs += bpf_program__autoload(prog) ? 1 : 0;
    out.works = true;
    out.result = fmt::format("loaded and attached {} programs ({}, object {} kfuncs)", progs,
                             im.btf_programs ? "tp_btf" : "raw_tp",
                             f.kfunc_rdonly_cast ? "with" : "without");
  } catch (const TraceError& e) {
    out.result = e.what();
    out.hint = e.hint();
  }
  out.features.insert(out.features.end(), im.outcome.begin(), im.outcome.end());
  out.unavailable = im.unavailable;
  // The loop watch (attach --loop-watch, the exporter between its windows) is another set of
  // programs, with needs of its own: loaded and attached the same way, then detached.
  if (out.works) {
    Impl lw;
    lw.opts.loop_watch = true;
    try {
      lw.bring_up(f);
      for (const auto& k : lw.outcome)
        if (k.name == "loop watch") out.features.push_back(k);
    } catch (const TraceError& e) {
      out.features.push_back({"loop watch", KernelFeature::State::off,
                              std::string(e.what()) + ": attach --loop-watch fails, and the exporter's "
                              "loop health comes from its sampled windows"});
    }
  }
  return out;  // im's and lw's destructors detach and free everything
}

void Tracer::add_target(uint32_t pid) { impl_->add_target(pid, false); }

void Tracer::poll(int timeout_ms) {
  int err = ring_buffer__poll(impl_->rb, timeout_ms);
  // Stack copies do not wake the reader (see bpf/ustack.bpf.h): take them at every poll, while
  // the process whose Python code objects they name still runs.
  if (err >= 0 || err == -EINTR) err = ring_buffer__consume(impl_->rb);
  impl_->note_timeline_losses();
  constexpr uint64_t k_drain_every_ns = 200'000'000;
  if (!impl_->stopped_ns && mono_ns() - impl_->drained_ns >= k_drain_every_ns) impl_->drain_exited();
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
  for (const auto& k : map_keys<Key>(fd))
    if (drop(k)) bpf_map_delete_elem(fd, &k);
}

}  // namespace

// Stack ids are hash buckets that stay taken until deleted (a new stack that hashes to a taken
// bucket is lost), so a long session under process churn (every new process has its own
// addresses) would fill iot_stacks and then lose the stacks of the threads it still watches;
// the loop watch also takes a stack at every sleep of a loop, kept only when the sleep was long
// enough to flag. A stack is freed once no flagged row, no live thread's call in progress and
// no stall event held it at two passes in a row: a reference moves from a thread's row to a
// flagged row or to a stall event in the ring buffer, and a stall event is read, its stack
// with it, at the collect() before the next pass. ids were listed before rows were read, and
// the flagged rows are read last, so a reference that moved meanwhile is still seen. Returns
// the ids freed.
std::set<int32_t> Tracer::Impl::forget_stacks(const std::vector<int32_t>& ids,
                                              const std::vector<iot_thread>& rows,
                                              const std::set<uint32_t>& gone) {
  std::set<int32_t> held;
  for (const iot_thread& t : rows) held.insert({t.iter_max_stack, t.lw_call_stack, t.dns_stack});
  for (const auto& e : stalls) held.insert(e.max_stack);
  int fd = bpf_map__fd(skel->maps.iot_flagged);
  for (const auto& k : map_keys<iot_flag_key>(fd)) {
    if (gone.count(k.tid))
      bpf_map_delete_elem(fd, &k);
    else
      held.insert(k.stack_id);
  }
  int stacks = bpf_map__fd(skel->maps.iot_stacks);
  std::set<int32_t> freed, unheld;
  for (int32_t id : ids) {
    if (held.count(id)) continue;
    if (unheld_stacks.count(id) && bpf_map_delete_elem(stacks, &id) == 0)
      freed.insert(id);
    else
      unheld.insert(id);
  }
  unheld_stacks = std::move(unheld);
  return freed;
}

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
  }
  std::erase_if(im.drained_threads, [&](const iot_thread& t) { return gone.count(t.tid) > 0; });
  std::erase_if(im.drained_stats, [&](const auto& row) { return gone.count(row.first.tid) > 0; });
  // Exited processes: their pids leave the kernel's targets too (kept there as gone so a child
  // that came and went is still learned of; it was), or collect() would add them back.
  int targets = bpf_map__fd(im.skel->maps.iot_targets);
  std::set<uint32_t> pids;
  for (auto it = im.procs.begin(); it != im.procs.end();) {
    if (!it->second.exited) {
      pids.insert(it->first);
      ++it;
      continue;
    }
    uint32_t key = it->first;
    bpf_map_delete_elem(targets, &key);
    im.py_checked.erase(key);
    it = im.procs.erase(it);
  }
  std::vector<int32_t> ids = map_keys<int32_t>(bpf_map__fd(im.skel->maps.iot_stacks));
  // every thread whose figures may still be reported: live ones, and exited ones not yet gone
  std::vector<iot_thread> rows = im.read_rows();
  std::set<uint32_t> tids;
  for (const iot_thread& t : rows) tids.insert(t.tid);
  im.samples.forget_stacks(im.forget_stacks(ids, rows, gone));
  // what events that came after collect() brought back of gone threads goes at the next pass
  im.samples.retain(tids, pids);
  im.symbolizer.retain(pids);
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
