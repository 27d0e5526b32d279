#include "src/capture/capture_split.hpp"

#include <map>

namespace iotrace {

std::vector<Capture> split_by_process(Capture d) {
  std::map<uint32_t, size_t> slot_of_pid;
  std::map<uint32_t, size_t> slot_of_tid;
  std::vector<Capture> out;
  for (auto& t : d.threads) {
    auto [it, added] = slot_of_pid.emplace(t.pid, out.size());
    if (added) {
      Capture c;
      c.capture_version = d.capture_version;
      c.iotrace_version = d.iotrace_version;
      c.kernel = d.kernel;
      c.arch = d.arch;
      c.duration_ns = d.duration_ns;
      c.settings = d.settings;
      c.unavailable = d.unavailable;  // the kernel's gaps hold for every process
      out.push_back(std::move(c));
    }
    slot_of_tid[t.tid] = it->second;
    out[it->second].threads.push_back(std::move(t));
  }
  for (auto& p : d.processes)
    if (auto it = slot_of_pid.find(p.pid); it != slot_of_pid.end())
      out[it->second].processes.push_back(std::move(p));
  auto route = [&](auto& items, auto member) {
    for (auto& x : items)
      if (auto it = slot_of_tid.find(x.tid); it != slot_of_tid.end())
        (out[it->second].*member).push_back(std::move(x));
  };
  route(d.syscalls, &Capture::syscalls);
  route(d.flagged, &Capture::flagged);
  route(d.stalls, &Capture::stalls);
  return out;
}

}  // namespace iotrace
