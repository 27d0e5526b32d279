#include "src/capture/losses.hpp"

#include <fmt/format.h>

#include <vector>

namespace iotrace {

std::string describe_losses(const Losses& l) {
  std::vector<std::string> parts;
  // Only map-full losses make counts lower bounds; the others lose details of exact counts.
  if (l.stats_full)
    parts.push_back(fmt::format("stats map full {} (syscall counts are lower bounds)", l.stats_full));
  if (l.threads_full)
    parts.push_back(fmt::format("threads map full {} (those threads are missing)", l.threads_full));
  if (l.flagged_full)
    parts.push_back(
        fmt::format("flagged map full {} (flagged-call counts are lower bounds)", l.flagged_full));
  if (l.ringbuf)
    parts.push_back(fmt::format("ring buffer {} (stall details; stall counts stay exact)", l.ringbuf));
  if (l.stack)
    parts.push_back(fmt::format("stacks {} (calls kept without their stack)", l.stack));
  if (l.stack_copy)
    parts.push_back(fmt::format("stack copies {} (those call sites keep the frame-pointer stack)",
                                l.stack_copy));
  if (l.timeline)
    parts.push_back(fmt::format("timeline {} (missing from the --timeline file, marked where noticed)",
                                l.timeline));
  return fmt::format("{}", fmt::join(parts, ", "));
}

}  // namespace iotrace
