#include "src/thread_concurrency.hpp"

#include <algorithm>
#include <utility>
#include <vector>

namespace iotrace {

uint32_t peak_threads(const Capture& c, uint32_t pid) {
  // +1 at a thread's first sight, -1 after its last; starts sort before ends at one instant
  std::vector<std::pair<uint64_t, int>> edges;
  for (const auto& t : c.threads) {
    if (t.pid != pid || t.io_worker) continue;
    const uint64_t end = t.exited ? std::max(t.last_ns, t.first_ns) : std::max(c.duration_ns, t.last_ns);
    edges.push_back({t.first_ns, -1});
    edges.push_back({end, +1});
  }
  std::sort(edges.begin(), edges.end());
  int alive = 0, peak = 0;
  for (const auto& [when, step] : edges) {
    alive -= step;  // a start is stored as -1 so that it sorts first
    peak = std::max(peak, alive);
  }
  uint32_t now = 0;
  for (const auto& p : c.processes)
    if (p.pid == pid) now = p.threads_now;
  return std::max(static_cast<uint32_t>(peak), now);
}

}  // namespace iotrace
