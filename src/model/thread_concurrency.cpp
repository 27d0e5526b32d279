#include "src/model/thread_concurrency.hpp"

#include <algorithm>
#include <utility>
#include <vector>

namespace iotrace {

uint32_t peak_threads(const Capture& c, uint32_t pid) {
  enum Edge : int { start = 0, end = 1 };  // at one instant starts sort first: touching overlaps
  std::vector<std::pair<uint64_t, Edge>> edges;
  for (const auto& t : c.threads) {
    if (t.pid != pid) continue;
    uint64_t last = t.exited ? t.last_ns : std::max(c.duration_ns, t.last_ns);
    edges.push_back({t.first_ns, start});
    edges.push_back({std::max(last, t.first_ns), end});
  }
  std::sort(edges.begin(), edges.end());
  uint32_t alive = 0, peak = 0;
  for (auto [at, edge] : edges) {
    if (edge == start) peak = std::max(peak, ++alive);
    else --alive;
  }
  for (const auto& p : c.processes)
    if (p.pid == pid) peak = std::max(peak, p.threads_now);
  return peak;
}

}  // namespace iotrace
