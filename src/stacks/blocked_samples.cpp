#include "src/stacks/blocked_samples.hpp"

#include <fmt/format.h>

#include <map>

#include "src/capture/syscall_table.hpp"
#include "src/findings/finding_common.hpp"

namespace iotrace {
namespace {

std::string call_name(Arch arch, int nr, FdKind k) {
  std::string n = syscall_name(arch, nr);
  return k == FdKind::none ? n : fmt::format("{}({})", n, fd_kind_name(k));
}

}  // namespace

std::string frame_label(const Frame& f) {
  if (f.kind == FrameKind::interpreted) return f.line ? fmt::format("{}({}:{})", f.symbol, f.file, f.line) : f.symbol;
  if (!f.symbol.empty()) return f.symbol;
  return fmt::format("{}+{:#x}", f.module, f.offset);
}

std::vector<BlockedSample> blocked_samples(const Capture& c) {
  std::map<uint32_t, std::string> comm;
  for (const auto& t : c.threads) comm[t.tid] = t.comm;
  auto thread = [&](uint32_t tid) {
    auto it = comm.find(tid);
    return it == comm.end() || it->second.empty() ? fmt::format("tid-{}", tid) : it->second;
  };
  std::vector<BlockedSample> out;
  for (const auto& f : c.flagged) {
    if (f.kind == FlagKind::et_undrained || !f.total_ns) continue;  // data left behind: no time
    out.push_back({f.tid, thread(f.tid), &f.stack, {call_name(c.arch, f.nr, f.fd_kind)}, f.total_ns, f.count,
                   flagged_finding_id(c.arch, f)});
  }
  for (const auto& s : c.stalls) {
    if (!s.stack.frames.empty()) {
      uint64_t rest = s.dur_ns > s.max_sys_ns ? s.dur_ns - s.max_sys_ns : 0;
      if (rest) out.push_back({s.tid, thread(s.tid), &s.stack, {"[rest_of_the_stalled_iteration]"}, rest, 1, "loop-stall"});
    } else {
      std::vector<std::string> leaf = {"[loop_stall]"};
      if (s.max_nr >= 0) leaf.push_back("longest:" + call_name(c.arch, s.max_nr, FdKind::none));
      out.push_back({s.tid, thread(s.tid), nullptr, leaf, s.dur_ns, 1, "loop-stall"});
    }
  }
  return out;
}

}  // namespace iotrace
