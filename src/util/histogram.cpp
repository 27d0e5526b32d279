#include "src/util/histogram.hpp"

#include <algorithm>
#include <cmath>

namespace iotrace {

int log2_slot(uint64_t v) {
  int r = 0;
  while (v >>= 1) ++r;
  return std::min(r, k_hist_slots - 1);
}

uint64_t Histogram::count() const {
  uint64_t n = 0;
  for (auto s : slots) n += s;
  return n;
}

void Histogram::merge(const Histogram& other) {
  for (int i = 0; i < k_hist_slots; ++i) slots[i] += other.slots[i];
}

uint64_t Histogram::percentile(double q, uint64_t max_ns) const {
  uint64_t total = count();
  if (total == 0) return 0;
  q = std::clamp(q, 0.0, 1.0);
  // rank of the wanted value, 1-based: the ceil(q*n)-th smallest
  auto rank = static_cast<uint64_t>(std::ceil(q * static_cast<double>(total)));
  rank = std::clamp<uint64_t>(rank, 1, total);
  uint64_t seen = 0;
  for (int i = 0; i < k_hist_slots; ++i) {
    if (slots[i] == 0) continue;
    if (seen + slots[i] >= rank) {
      double lo = i == 0 ? 0.0 : std::ldexp(1.0, i);
      double hi = std::ldexp(1.0, i + 1);
      double frac = static_cast<double>(rank - seen) / static_cast<double>(slots[i]);
      auto v = static_cast<uint64_t>(lo + (hi - lo) * frac);
      if (max_ns && v > max_ns) v = max_ns;
      return v;
    }
    seen += slots[i];
  }
  return max_ns;
}

}  // namespace iotrace
