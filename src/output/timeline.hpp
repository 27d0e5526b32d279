// The timeline of a trace (--timeline): the kernel's records of each loop iteration, wait,
// flagged call and per-thread tick, kept up to a budget of trace events, and their rendering
// as Trace Event JSON, the format chrome://tracing and ui.perfetto.dev open.
#pragma once
#include <cstdint>
#include <map>
#include <ostream>
#include <tuple>
#include <vector>

#include "src/capture/capture.hpp"

namespace iotrace {

enum class TimelineKind : uint8_t { iteration, wait, flagged, tick };

// One kernel record; times relative to the trace's start. What each kind uses:
//   iteration  start, dur, nr (its longest call, -1: none), max_sys_ns, stack_id (of that call,
//              when it was flagged), ret (what the wait that began it returned), stall,
//              sys/cpu/sleep/runq split
//   wait       start, dur, nr, ret (events, or -errno)
//   flagged    start, dur, nr, stack_id, flag, fd_kind, sleep_ns, runq_ns
//   tick       start, dur, calls, waits, events (the waits' positive returns), runq_ns
struct TimelineRecord {
  TimelineKind kind = TimelineKind::iteration;
  FlagKind flag = FlagKind::slow;
  FdKind fd_kind = FdKind::none;
  bool stall = false;
  uint32_t tid = 0, pid = 0;
  int32_t nr = -1;
  int32_t stack_id = -1;
  uint64_t start_ns = 0, dur_ns = 0;
  int64_t ret = 0;
  uint64_t sys_ns = 0, cpu_ns = 0, sleep_ns = 0, runq_ns = 0, max_sys_ns = 0;
  uint64_t calls = 0, waits = 0, events = 0;
};

// Records the kernel could not send (its ring buffer was full), as user space noticed them.
struct TimelineLoss {
  uint64_t at_ns = 0;  // relative to the trace's start
  uint64_t count = 0;
};

// How many trace events a record becomes: one slice, or a tick's counters.
uint64_t trace_events_of(const TimelineRecord& r);

// The records of a trace, the first `limit` trace events' worth: memory stays bounded by the
// limit however long the trace. Records past it are counted, never kept.
class TimelineLog {
 public:
  explicit TimelineLog(uint64_t limit) : limit_(limit) {}
  void add(const TimelineRecord& r);
  void add_loss(uint64_t at_ns, uint64_t count);

  const std::vector<TimelineRecord>& records() const { return records_; }
  const std::vector<TimelineLoss>& losses() const { return losses_; }
  uint64_t limit() const { return limit_; }
  uint64_t events() const { return events_; }          // trace events of the kept records
  uint64_t over_limit() const { return over_limit_; }  // trace events past the limit
  uint64_t lost() const;                               // records the kernel could not send

 private:
  uint64_t limit_;
  uint64_t events_ = 0, over_limit_ = 0;
  std::vector<TimelineRecord> records_;
  std::vector<TimelineLoss> losses_;
};

// The symbolized stack of a flagged call or an iteration's longest call, by the thread, the
// kernel's stack id and the call (a stack id names the same frames for every call of a thread,
// but an unwound copy is per call).
struct TimelineStackKey {
  uint32_t tid = 0;
  int32_t stack_id = -1;
  int32_t nr = -1;
  bool operator<(const TimelineStackKey& o) const {
    return std::tie(tid, stack_id, nr) < std::tie(o.tid, o.stack_id, o.nr);
  }
};
using TimelineStacks = std::map<TimelineStackKey, Stack>;

// Every key the records of log need a stack for.
std::vector<TimelineStackKey> stack_keys(const TimelineLog& log);

// Writes {"traceEvents":[...],"displayTimeUnit":"ms","otherData":{...}}: names of processes and
// threads from c (metadata events), one track per thread, slices of waits, iterations (stalls
// as "loop stall", colored) and flagged calls (their stack in args), counters per thread from
// the ticks, and an instant event where records were lost. Events are in time order.
void write_timeline(std::ostream& out, const TimelineLog& log, const Capture& c,
                    const TimelineStacks& stacks);

}  // namespace iotrace
