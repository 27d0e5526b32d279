#include "probes/tracer/timeline_recorder.hpp"

#include "bpf/iotrace_abi.h"

namespace iotrace::probes {
namespace {

FlagKind flag_kind_of(uint8_t k) {
  switch (k) {
    case IOT_FLAG_RISK: return FlagKind::risk;
    case IOT_FLAG_ET: return FlagKind::et_undrained;
    case IOT_FLAG_DNS: return FlagKind::dns;
    default: return FlagKind::slow;
  }
}

}  // namespace

void TimelineRecorder::add(const void* data, size_t size) {
  if (size < sizeof(iot_event_hdr)) return;
  const auto* hdr = static_cast<const iot_event_hdr*>(data);
  TimelineRecord r;
  // every kind starts with the thread, its process and an interval
  auto span = [&](TimelineKind kind, uint32_t tid, uint32_t tgid, uint64_t start, uint64_t dur) {
    r.kind = kind;
    r.tid = tid;
    r.pid = tgid;
    r.start_ns = rel(start);
    r.dur_ns = dur;
  };
  if (hdr->type == IOT_TL_ITER && size >= sizeof(iot_tl_iter)) {
    const auto& e = *static_cast<const iot_tl_iter*>(data);
    span(TimelineKind::iteration, e.it.tid, e.it.tgid, e.it.start_ns, e.it.dur_ns);
    r.nr = e.it.max_nr;
    r.stack_id = e.it.max_stack;
    r.max_sys_ns = e.it.max_sys_ns;
    r.sys_ns = e.it.sys_ns;
    r.cpu_ns = e.it.cpu_ns;
    r.sleep_ns = e.it.sleep_ns;
    r.runq_ns = e.it.runq_ns;
    r.ret = e.wait_ret;
    r.stall = e.stall;
  } else if ((hdr->type == IOT_TL_WAIT || hdr->type == IOT_TL_FLAG) && size >= sizeof(iot_tl_call)) {
    const auto& e = *static_cast<const iot_tl_call*>(data);
    span(hdr->type == IOT_TL_WAIT ? TimelineKind::wait : TimelineKind::flagged, e.tid, e.tgid, e.start_ns,
         e.dur_ns);
    r.nr = e.nr;
    r.ret = e.ret;
    r.stack_id = e.stack;
    r.flag = flag_kind_of(e.kind);
    r.fd_kind = static_cast<FdKind>(e.fd_kind < IOT_FD_KINDS ? e.fd_kind : IOT_FD_OTHER);
    r.sleep_ns = e.sleep_ns;
    r.runq_ns = e.runq_ns;
  } else if (hdr->type == IOT_TL_TICK && size >= sizeof(iot_tl_tick)) {
    const auto& e = *static_cast<const iot_tl_tick*>(data);
    span(TimelineKind::tick, e.tid, e.tgid, e.start_ns, e.dur_ns);
    r.calls = e.calls;
    r.waits = e.waits;
    r.events = e.events;
    r.runq_ns = e.runq_ns;
  } else {
    return;
  }
  log_.add(r);
}

void TimelineRecorder::note_lost(uint64_t lost_total, uint64_t now_ns) {
  if (lost_total <= lost_seen_) return;
  log_.add_loss(rel(now_ns), lost_total - lost_seen_);
  lost_seen_ = lost_total;
}

}  // namespace iotrace::probes
