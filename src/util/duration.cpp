#include "src/util/duration.hpp"

#include <fmt/format.h>

#include <charconv>
#include <cmath>

namespace iotrace {

Result<uint64_t> parse_duration_ns(std::string_view text, bool allow_zero) {
  const std::string quoted = fmt::format("'{}'", text);
  const auto bad = [&](std::string_view why) {
    return Error{fmt::format("invalid duration {}: {}", quoted, why)};
  };
  if (text.empty()) return bad("empty");
  size_t unit_at = 0;
  while (unit_at < text.size() &&
         ((text[unit_at] >= '0' && text[unit_at] <= '9') || text[unit_at] == '.'))
    ++unit_at;
  if (unit_at == 0)
    return bad(text[0] == '-' ? "must not be negative"
                              : "expected a number with ns, us, ms, s, m or h (e.g. 500ms, 2m)");
  std::string number(text.substr(0, unit_at));
  std::string_view unit = text.substr(unit_at);
  double value = 0;
  auto [ptr, ec] = std::from_chars(number.data(), number.data() + number.size(), value);
  if (ec != std::errc() || ptr != number.data() + number.size())
    return bad("expected a number with ns, us, ms, s, m or h (e.g. 500ms, 2m)");
  double scale = 0;
  if (unit.empty() || unit == "s") scale = 1e9;
  else if (unit == "ms") scale = 1e6;
  else if (unit == "us") scale = 1e3;
  else if (unit == "ns") scale = 1;
  else if (unit == "m") scale = 60e9;
  else if (unit == "h") scale = 3600e9;
  else return bad(fmt::format("unknown unit '{}': use ns, us, ms, s, m or h", unit));
  double ns = value * scale;
  if (!std::isfinite(ns) || ns > 30.0 * 86400e9) return bad("longer than 30 days");
  auto out = static_cast<uint64_t>(std::llround(ns));
  if (out == 0 && !allow_zero) return bad("must be greater than zero");
  return out;
}

namespace {

// v in [1, 999.5): three significant digits. The thresholds are those of the rounded value,
// so 9999ns is "10.0us", not "10.00us".
std::string three_digits(double v, const char* unit) {
  return fmt::format("{:.{}f}{}", v, v < 9.995 ? 2 : v < 99.95 ? 1 : 0, unit);
}

}  // namespace

std::string format_duration(uint64_t ns) {
  auto d = static_cast<double>(ns);
  if (ns < 1000) return fmt::format("{}ns", ns);
  // choose the unit after rounding: 999999ns is "1.00ms", not "1000us"
  if (d < 999.5e3) return three_digits(d / 1e3, "us");
  if (d < 999.5e6) return three_digits(d / 1e6, "ms");
  if (ns < 60000000000ull) return fmt::format("{:.2f}s", d / 1e9);
  uint64_t s = ns / 1000000000ull;
  return fmt::format("{}m{:02}s", s / 60, s % 60);
}

std::string format_bytes(uint64_t bytes) {
  if (bytes < 1024) return fmt::format("{}B", bytes);
  static constexpr const char* units[] = {"KiB", "MiB", "GiB", "TiB"};
  double v = static_cast<double>(bytes) / 1024;
  int u = 0;
  while (v >= 1024 && u < 3) {
    v /= 1024;
    ++u;
  }
  return fmt::format("{:.1f}{}", v, units[u]);
}

std::string format_count(double n) {
  if (n < 10) return n == std::floor(n) ? fmt::format("{}", static_cast<uint64_t>(n))
                                        : fmt::format("{:.1f}", n);
  if (n < 10000) return fmt::format("{:.0f}", n);
  if (n < 1e6) return fmt::format("{:.1f}k", n / 1e3);
  if (n < 1e9) return fmt::format("{:.1f}M", n / 1e6);
  return fmt::format("{:.1f}G", n / 1e9);
}

}  // namespace iotrace
