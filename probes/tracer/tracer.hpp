// Loads iotrace's BPF programs, attaches them, registers targets and reads a capture back.
// Everything attached belongs to the Tracer: destroying it detaches all, on every exit path.
#pragma once
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "probes/kernel/features.hpp"
#include "src/capture/capture.hpp"
#include "src/output/timeline.hpp"

namespace iotrace::probes {

struct TraceOptions {
  std::vector<uint32_t> pids;
  bool follow_children = false;
  bool all_processes = false;  // trace every process but iotrace (pids ignored)
  uint64_t stall_ns = 0;  // 0: off
  uint64_t block_ns = 0;  // 0: off
  // iotrace top: collect() reads /proc once per process (then only checks it is alive), keeps
  // the kernel's thread names and leaves stacks unsymbolized, so a host-wide collect is cheap.
  bool light_collect = false;
  // --timeline: record every loop iteration, wait and flagged call, and per-thread ticks, up to
  // timeline_limit trace events.
  bool timeline = false;
  uint64_t timeline_limit = 0;
  // The loop watch: only the multiplexers' waits and loop threads' context switches are
  // hooked (bpf/loop_watch.bpf.h); no syscall table beyond the waits. Needs tp_btf.
  bool loop_watch = false;
  // add_target() will be called while tracing (the exporter follows its selection): the
  // targets are looked up in the kernel's map, never compiled in as the one target.
  bool targets_change = false;
};

struct LiveCounts {
  uint64_t threads = 0;
  uint64_t syscalls = 0;
  uint64_t stalls = 0;
};

// What `iotrace doctor` learns by loading and attaching exactly what attach would, with no
// target: whether it works, and each kernel-dependent piece as it was chosen.
struct LoadCheck {
  bool works = false;
  std::string result;  // "loaded and attached 31 programs (tp_btf, object with kfuncs)", or what failed
  std::string hint;    // when it failed: what to do
  std::vector<KernelFeature> features;   // every kernel-dependent piece: on, fallback or off
  std::vector<std::string> unavailable;  // the capture's counts this kernel cannot give
};

class Tracer {
 public:
  // Loads and attaches the programs attach would load on this kernel, then detaches them.
  static LoadCheck check_load();
  // Opens, configures, loads and attaches; registers the targets. Throws TraceError.
  static std::unique_ptr<Tracer> start(const TraceOptions& opts);
  ~Tracer();

  // Adds a process to trace (iotrace run adds its child before exec).
  void add_target(uint32_t pid);
  // Waits up to timeout_ms for rare events and consumes them.
  void poll(int timeout_ms);
  // True when every target process has exited.
  bool all_exited();
  LiveCounts live_counts();
  // Ends the trace: the programs stop counting at once, the events left in the ring buffer are
  // consumed, the thread rows are read, then every program is detached. A collect() after it
  // is one consistent moment: every event the kernel counted was either delivered or counted
  // lost, and no figure covers more than the trace's duration. collect() still works.
  void stop();
  // Reads the maps and /proc into a capture; may be called more than once (interval reports
  // diff consecutive captures). With all_processes, every process seen becomes a target.
  Capture collect();
  // For long host-wide sessions (top), where exited threads would fill the maps: forgets what
  // capture c reported about threads that had exited (their thread, syscall and flagged-call
  // rows, and exited processes) and the stall events delivered so far. Later captures then
  // lack them, so only differences of captures (capture_delta) stay meaningful. Returns the
  // number of threads forgotten.
  size_t forget_exited(const Capture& c);
  uint64_t elapsed_ns() const;
  // With opts.timeline: the records kept so far (null without it), and the stacks they name,
  // symbolized now (while the tracer and, for live targets, the processes exist).
  const TimelineLog* timeline() const;
  TimelineStacks timeline_stacks();

 private:
  Tracer();
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// libbpf's log goes to stderr only when verbose.
void set_verbose(bool verbose);

}  // namespace iotrace::probes
