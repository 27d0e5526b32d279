// CLOCK_MONOTONIC in nanoseconds: deadlines and durations that wall-clock steps cannot move.
#pragma once
#include <time.h>

#include <cstdint>

namespace iotrace {

inline uint64_t monotonic_ns() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1'000'000'000ull + static_cast<uint64_t>(ts.tv_nsec);
}

}  // namespace iotrace
