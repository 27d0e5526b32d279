// --timeline: takes the kernel's timeline records (iot_timeline) into a TimelineLog, and notes
// when the kernel counted records it could not send.
#pragma once
#include <cstddef>
#include <cstdint>

#include "src/output/timeline.hpp"

namespace iotrace::probes {

class TimelineRecorder {
 public:
  // start_ns: the trace's start (CLOCK_MONOTONIC, the kernel's bpf_ktime_get_ns clock).
  TimelineRecorder(uint64_t limit, uint64_t start_ns) : log_(limit), start_ns_(start_ns) {}

  // One ring-buffer record; kinds it does not know are skipped.
  void add(const void* data, size_t size);
  // lost_total: the kernel's count of records it could not send, read at now_ns.
  void note_lost(uint64_t lost_total, uint64_t now_ns);
  const TimelineLog& log() const { return log_; }

 private:
  uint64_t rel(uint64_t ns) const { return ns > start_ns_ ? ns - start_ns_ : 0; }
  TimelineLog log_;
  uint64_t start_ns_;
  uint64_t lost_seen_ = 0;
};

}  // namespace iotrace::probes
