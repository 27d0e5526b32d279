// --hist: log2 latency histograms in the text report, in the layout of bcc's tools (one row
// per power-of-two slot, a bar scaled to the fullest slot), from the kernel's 40 slots.
#include <fmt/format.h>

#include <algorithm>

#include "cli/render/render.hpp"
#include "src/util/duration.hpp"

namespace iotrace::cli {
namespace {

// "1us", "512ns": slot bounds are powers of two, shown in the unit that keeps them short
std::string bound(uint64_t ns) { return ns == 0 ? "0" : format_duration(ns); }

}  // namespace

std::string render_histogram(const Histogram& h, const std::string& indent) {
  int first = -1, last = -1;
  uint64_t top = 0;
  for (int i = 0; i < k_hist_slots; ++i)
    if (h.slots[i]) {
      if (first < 0) first = i;
      last = i;
      top = std::max(top, h.slots[i]);
    }
  if (first < 0) return "";
  constexpr int k_width = 40;
  std::string o = fmt::format("{}{:>21} : {:<9} {}\n", indent, "latency", "count", "distribution");
  for (int i = first; i <= last; ++i) {
    uint64_t lo = i == 0 ? 0 : 1ull << i, hi = (1ull << (i + 1)) - 1;
    int bar = static_cast<int>((h.slots[i] * k_width + top - 1) / top);
    o += fmt::format("{}{:>9} -> {:<8} : {:<9} |{:<40}|\n", indent, bound(lo), bound(hi), h.slots[i],
                     std::string(static_cast<size_t>(bar), '*'));
  }
  return o;
}

}  // namespace iotrace::cli
