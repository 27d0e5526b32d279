// log2 latency histogram: slot i counts values in [2^i, 2^(i+1)) ns, slot 0 also counts 0.
#pragma once
#include <array>
#include <cstdint>

namespace iotrace {

inline constexpr int k_hist_slots = 40;

struct Histogram {
  std::array<uint64_t, k_hist_slots> slots{};

  uint64_t count() const;
  void merge(const Histogram& other);
  // Estimated value at quantile q in [0,1]: linear interpolation inside the slot holding the
  // q-th value, clamped to max_ns when given (the true maximum is known exactly).
  uint64_t percentile(double q, uint64_t max_ns = 0) const;
};

int log2_slot(uint64_t v);

}  // namespace iotrace
