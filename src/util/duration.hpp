// Durations as users type them ("10", "500ms", "1.5s", "2m") and as iotrace prints them.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>

#include "src/util/result.hpp"

namespace iotrace {

// A bare number is seconds. Accepts ns, us, ms, s, m, h. Rejects negatives, zero when
// allow_zero is false, and anything above 30 days.
Result<uint64_t> parse_duration_ns(std::string_view text, bool allow_zero = false);

// "850ns", "12.3us", "4.56ms", "1.20s", "2m05s": three significant digits.
std::string format_duration(uint64_t ns);
// "512B", "1.5KiB", "20.0MiB"
std::string format_bytes(uint64_t bytes);
// "12", "1.2k", "3.4M"
std::string format_count(double n);

}  // namespace iotrace
