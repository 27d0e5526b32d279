// Durations as users type them into parse_duration_ns(); its results through format_duration().
#include <string_view>

#include "src/util/duration.hpp"
#include "tests/fuzz/fuzz_check.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const bool allow_zero = data[0] & 1;
  std::string_view text(reinterpret_cast<const char*>(data + 1), size - 1);
  auto r = iotrace::parse_duration_ns(text, allow_zero);
  if (r) {
    constexpr uint64_t k_30_days_ns = 30ull * 86400 * 1000000000;
    FUZZ_CHECK(r.value() <= k_30_days_ns);
    FUZZ_CHECK(allow_zero || r.value() > 0);
    FUZZ_CHECK(!iotrace::format_duration(r.value()).empty());
  } else {
    FUZZ_CHECK(!r.error().empty());
  }
  // the formatters on any value
  if (size >= 9) {
    uint64_t v = 0;
    for (int i = 1; i <= 8; ++i) v = (v << 8) | data[i];
    FUZZ_CHECK(!iotrace::format_duration(v).empty());
    FUZZ_CHECK(!iotrace::format_bytes(v).empty());
    FUZZ_CHECK(!iotrace::format_count(static_cast<double>(v)).empty());
    FUZZ_CHECK(!iotrace::format_count(static_cast<double>(v) / 1000.0).empty());
  }
  return 0;
}
