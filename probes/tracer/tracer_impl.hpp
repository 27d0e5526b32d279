// The tracer's state, shared by the files that implement it: the BPF object and how it was
// loaded (bpf_object.cpp), attachment to targets and uprobes (attach.cpp), the map reader that
// makes a capture (map_reader.cpp), stack plumbing (stacks.cpp) and the public calls (tracer.cpp).
// Only probes/tracer/ includes it.
#pragma once
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include <algorithm>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "bpf/iotrace.skel.h"
#include "bpf/iotrace_abi.h"
#include "probes/kernel/features.hpp"
#include "probes/stacks/debug_resolver.hpp"
#include "probes/stacks/stack_samples.hpp"
#include "probes/stacks/symbolizer.hpp"
#include "probes/tracer/timeline_recorder.hpp"
#include "probes/tracer/tracer.hpp"

namespace iotrace::probes {

uint64_t mono_ns();
// "ENOENT (No such file or directory)"; err may be negative (libbpf's convention).
std::string errno_text(int err);
// -v: libbpf's log and the tracer's own progress go to stderr.
bool verbose();
// libbpf's messages go through verbose() (set once, before anything is opened).
void install_libbpf_log();
// io_uring's programs (iot_ur_*): loaded only where their tracepoints exist.
bool is_uring_prog(const bpf_program* p);
bool is_loop_watch_prog(const bpf_program* p);

struct SkelDeleter {
  void operator()(iotrace_bpf* s) const { iotrace_bpf::destroy(s); }
};
using SkelPtr = std::unique_ptr<iotrace_bpf, SkelDeleter>;

// Every key of a BPF hash map, read before any is deleted (deleting while walking with
// get_next_key would restart the walk).
template <typename Key>
std::vector<Key> map_keys(int fd) {
  std::vector<Key> keys;
  Key key{}, next{};
  Key* prev = nullptr;
  while (bpf_map_get_next_key(fd, prev, &next) == 0) {
    key = next;
    prev = &key;
    keys.push_back(key);
  }
  return keys;
}

struct StatsKeyLess {
  bool operator()(const iot_stats_key& a, const iot_stats_key& b) const {
    return std::tie(a.tid, a.nr, a.fd_kind, a.nonblock) < std::tie(b.tid, b.nr, b.fd_kind, b.nonblock);
  }
};
using StatsRows = std::map<iot_stats_key, iot_stats, StatsKeyLess>;
// Adds b's counts to a (a tid reused after its first thread's rows were drained).
void add_stats(iot_stats& a, const iot_stats& b);

struct Tracer::Impl {
  SkelPtr skel;
  ring_buffer* rb = nullptr;
  TraceOptions opts;
  // the loop watch's waits on trampolines (fentry/fexit) rather than syscall tracepoints
  bool lw_trampolines = false;
  uint64_t start_ns = 0;
  std::map<uint32_t, ProcessRecord> procs;  // targets known so far, by pid
  std::vector<std::string> notes;
  std::vector<iot_stall_event> stalls;
  Symbolizer symbolizer;
  StackSamples samples{symbolizer};
  // source lines and inlined functions from the DWARF of binaries built with it
  DebugResolver binary_dwarf{{}, true};
  std::map<uint32_t, std::string> py_checked;  // the image each target was last checked in
  int ncpus = 1;
  std::vector<bpf_link*> dns_links;
  std::set<std::string> dns_libcs;  // libc files already probed (by path as the kernel sees it)
  bool dns_failed_noted = false;
  uint64_t stopped_ns = 0;  // when stop() detached the programs; 0 while tracing
  std::vector<iot_thread> frozen_rows;  // the thread rows read by stop()
  // Rows of threads that exited, moved out of the kernel's maps while the trace runs, so the
  // maps hold live threads only and thread churn cannot fill them; read_rows() and
  // read_stats() add them back. A dead thread's rows can no longer grow.
  std::vector<iot_thread> drained_threads;
  StatsRows drained_stats;
  uint64_t drained_ns = 0;  // when drain_exited() last ran
  bool btf_programs = false;  // tp_btf programs loaded: live threads are in task storage
  bpf_link* iter_link = nullptr;  // iot_dump_threads: kept after stop() to read the rows
  std::unique_ptr<TimelineRecorder> timeline;  // --timeline

  ~Impl() {
    for (auto* l : dns_links) bpf_link__destroy(l);
    if (iter_link) bpf_link__destroy(iter_link);
    if (rb) ring_buffer__free(rb);
  }

  // What load() chose beyond probe_features()'s choices (tp_btf or raw_tp, io_uring dropped),
  // and the capture's counts this kernel cannot give.
  std::vector<KernelFeature> outcome;
  std::vector<std::string> unavailable;
  void mark_unavailable(const std::string& count) {
    if (std::find(unavailable.begin(), unavailable.end(), count) == unavailable.end())
      unavailable.push_back(count);
  }

  // tracer.cpp: load(), the notes of what this kernel lacks, then attach()
  void bring_up(const Features& f);

  // bpf_object.cpp: open with the run's settings, choose programs, load (with fallbacks)
  SkelPtr open_configured(bool use_btf, const Features& f);
  void load(const Features& f);
  bool trampolines_work(const Features& f);

  // attach.cpp
  void attach();
  // in_kernel false: the kernel side already knows it (a child added at fork, maybe gone since)
  void add_target(uint32_t pid, bool followed, bool in_kernel = true);
  void attach_python(uint32_t pid);
  void attach_dns(uint32_t pid);
  void prefill_et(const ProcessRecord& p);
  std::vector<uint32_t> map_targets();
  static int on_event(void* ctx, void* data, size_t size);
  static int on_timeline(void* ctx, void* data, size_t size);

  // map_reader.cpp
  Capture collect();
  void read_threads(Capture& c, uint64_t now);
  std::vector<iot_thread> read_rows();
  void drain_exited();
  // tracer.cpp: the flagged rows of exited threads, and the stacks nothing held at two passes
  std::set<int32_t> forget_stacks(const std::vector<int32_t>& ids, const std::vector<iot_thread>& rows,
                                  const std::set<uint32_t>& gone);
  std::set<int32_t> unheld_stacks;  // stack ids nothing held at the last pass
  // Reads iot_stats in batches, keeping the rows of the gone threads; false when the kernel
  // has no batch operations for it.
  bool drain_stats_batched(int fd, const std::set<uint32_t>& gone, std::vector<iot_stats_key>& doomed);
  void for_each_thread(const std::function<void(const iot_thread&)>& fn);
  void read_stats(Capture& c);
  void read_flagged(Capture& c);
  void read_losses(Capture& c);
  // The kernel's count of one kind of loss, summed over CPUs.
  uint64_t read_loss(uint32_t kind);
  // Losses are shown on the timeline where they were noticed: at each poll.
  void note_timeline_losses();

  // stacks.cpp
  std::vector<uint64_t> stack_addrs(int32_t id);
  Stack site_stack(uint32_t pid, std::optional<Stack> unwound, int32_t stack_id, const uint64_t* sp_words);
  void improve_stack(uint32_t pid, Stack& stack, const std::vector<uint64_t>& addrs,
                     const uint64_t* sp_words);
};

}  // namespace iotrace::probes
