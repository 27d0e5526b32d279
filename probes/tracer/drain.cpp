// Draining exited threads: their thread and syscall rows leave the kernel's maps for the
// reader's memory every few hundred milliseconds, so a trace of a thread-per-request server
// (ten thousand threads in ten seconds) keeps every count: the maps only hold live threads.
#include <cerrno>
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
  // the syscall rows: read in batches and deleted in one call (a few system calls, not two per
  // row); a kernel without batch operations on hash maps is walked key by key
  int fd = bpf_map__fd(skel->maps.iot_stats);
  std::vector<iot_stats_key> doomed;
  if (!drain_stats_batched(fd, gone, doomed)) {
    iot_stats v{};
    for (const auto& key : map_keys<iot_stats_key>(fd))
      if (gone.count(key.tid) && !bpf_map_lookup_elem(fd, &key, &v)) {
        add_stats(drained_stats[key], v);
        doomed.push_back(key);
      }
  }
  auto n = static_cast<__u32>(doomed.size());
  if (!doomed.empty() && bpf_map_delete_batch(fd, doomed.data(), &n, nullptr) != 0)
    for (const auto& key : doomed) bpf_map_delete_elem(fd, &key);
}

bool Tracer::Impl::drain_stats_batched(int fd, const std::set<uint32_t>& gone,
                                       std::vector<iot_stats_key>& doomed) {
  constexpr __u32 k_chunk = 4096;
  std::vector<iot_stats_key> keys(k_chunk);
  std::vector<iot_stats> values(k_chunk);
  StatsRows got;
  __u32 token = 0;
  bool first = true;
  while (true) {
    __u32 count = k_chunk;
    int err = bpf_map_lookup_batch(fd, first ? nullptr : &token, &token, keys.data(), values.data(),
                                   &count, nullptr);
    first = false;
    if (err && errno != ENOENT) return false;  // not supported here: the caller walks the keys
    for (__u32 i = 0; i < count; ++i)
      if (gone.count(keys[i].tid)) got[keys[i]] = values[i];
    if (err) break;  // ENOENT: that was the last batch
  }
  for (const auto& [key, v] : got) {
    add_stats(drained_stats[key], v);
    doomed.push_back(key);
  }
  return true;
}

}  // namespace iotrace::probes
