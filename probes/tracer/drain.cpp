// Draining exited threads: their thread and syscall rows leave the kernel's maps for the
// reader's memory every few hundred milliseconds, so a trace of a thread-per-request server
// (ten thousand threads in ten seconds) keeps every count: the maps only hold live threads.
#include <set>

#include "probes/tracer/tracer_impl.hpp"

namespace iotrace::probes {

void add_stats(iot_stats& a, const iot_stats& b) {
  a.calls += b.calls;
  a.err_eagain += b.err_eagain;
  a.err_eintr += b.err_eintr;
  a.err_other += b.err_other;
  a.total_ns += b.total_ns;
  a.max_ns = std::max(a.max_ns, b.max_ns);
  a.bytes += b.bytes;
  a.zero_ret += b.zero_ret;
  a.ret_sum += b.ret_sum;
  a.arg_sum += b.arg_sum;
  a.arg_max = std::max(a.arg_max, b.arg_max);
  for (int i = 0; i < IOT_HIST_SLOTS; ++i) a.hist[i] += b.hist[i];
}

void Tracer::Impl::drain_exited() {
  drained_ns = mono_ns();
  std::set<uint32_t> gone;
  auto t = std::make_unique<iot_thread>();
  if (btf_programs) {
    // tp_btf: the exit hook moved the thread's row from task storage to iot_exited
    int fd = bpf_map__fd(skel->maps.iot_exited);
    for (const auto& key : map_keys<iot_exited_key>(fd)) {
      if (bpf_map_lookup_elem(fd, &key, t.get())) continue;
      drained_threads.push_back(*t);
      gone.insert(key.tid);
      bpf_map_delete_elem(fd, &key);
    }
  } else {
    int fd = bpf_map__fd(skel->maps.iot_threads);
    for (uint32_t tid : map_keys<uint32_t>(fd)) {
      if (bpf_map_lookup_elem(fd, &tid, t.get()) || !(t->flags & IOT_THR_EXITED)) continue;
      t->tid = tid;
      drained_threads.push_back(*t);
      gone.insert(tid);
      bpf_map_delete_elem(fd, &tid);
    }
  }
  if (gone.empty()) return;
  int fd = bpf_map__fd(skel->maps.iot_stats);
  iot_stats v{};
  for (const auto& key : map_keys<iot_stats_key>(fd)) {
    if (!gone.count(key.tid) || bpf_map_lookup_elem(fd, &key, &v)) continue;
    add_stats(drained_stats[key], v);
    bpf_map_delete_elem(fd, &key);
  }
}

}  // namespace iotrace::probes
