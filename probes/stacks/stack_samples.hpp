// The user stacks copied by the kernel at flagged calls (iot_ustacks), unwound with DWARF CFI,
// named, with CPython frames placed among the native ones, and kept per call site. A site's
// stack is the one its copies showed most often.
#pragma once
#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <tuple>

#include "bpf/iotrace_abi.h"
#include "probes/stacks/dwarf_unwinder.hpp"
#include "probes/stacks/python_frames.hpp"
#include "src/capture/capture.hpp"

namespace iotrace::probes {

class Symbolizer;

class StackSamples {
 public:
  explicit StackSamples(Symbolizer& sym) : sym_(sym) {}
  void add(const iot_ustack_event& e);
  // The stack of a flagged call site, when a copy of it was unwound.
  std::optional<Stack> for_site(const iot_flag_key& k) const;
  // The stack of a stall's longest call: a copy taken at the same thread, call and kernel stack.
  std::optional<Stack> for_call(uint32_t tid, int32_t stack_id, int nr) const;
  PythonFrames& python() { return python_; }
  // Keeps only the copies of threads in tids and what was read of processes in pids: a long
  // session (top, the exporter's loop watch) sees thousands come and go, and their ids come
  // back. Copies taken at a freed stack id are dropped too: the id may name another stack next.
  void retain(const std::set<uint32_t>& tids, const std::set<uint32_t>& pids);
  void forget_stacks(const std::set<int32_t>& ids);

  // What unwinding cost, for -v and bench/: copies unwound and the time it took.
  uint64_t unwound = 0;
  std::chrono::nanoseconds unwind_time{0};

 private:
  using Site = std::tuple<uint32_t, int32_t, uint16_t, uint8_t, uint8_t>;
  struct Seen {
    Stack stack;
    uint64_t copies = 0;
  };
  Symbolizer& sym_;
  DwarfUnwinder unwinder_;
  PythonFrames python_;
  std::map<Site, std::map<std::string, Seen>> sites_;  // by the frames' text
  std::map<uint32_t, bool> refreshed_;  // pids whose mappings were re-read for a stray frame
  static Site site_of(const iot_flag_key& k) { return {k.tid, k.stack_id, k.nr, k.fd_kind, k.kind}; }
  Stack unwind(const iot_ustack_event& e);
};

}  // namespace iotrace::probes
