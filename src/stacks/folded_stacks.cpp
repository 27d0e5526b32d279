#include "src/stacks/folded_stacks.hpp"

#include <fmt/format.h>

#include <map>

#include "src/capture/syscall_table.hpp"

namespace iotrace {
namespace {

// ';' separates frames and the last space separates the value: neither may appear in a frame.
std::string clean(std::string s) {
  for (char& ch : s)
    if (ch == ';' || ch == '\n' || ch == '\r') ch = ':';
    else if (ch == ' ' || ch == '\t') ch = '_';
  return s.empty() ? "?" : s;
}

std::string frame_name(const Frame& f) {
  if (f.kind == FrameKind::interpreted)
    return clean(f.line ? fmt::format("{}({}:{})", f.symbol, f.file, f.line) : f.symbol);
  if (!f.symbol.empty()) return clean(f.symbol);
  return clean(fmt::format("{}+{:#x}", f.module, f.offset));
}

std::string call_name(Arch arch, int nr, FdKind k) {
  std::string n = syscall_name(arch, nr);
  return clean(k == FdKind::none ? n : fmt::format("{}({})", n, fd_kind_name(k)));
}

std::string path_of(const std::string& thread, const Stack& s, const std::string& leaf) {
  std::string out = clean(thread);
  for (auto it = s.frames.rbegin(); it != s.frames.rend(); ++it) out += ";" + frame_name(*it);
  return out + ";" + leaf;
}

}  // namespace

std::string folded_stacks(const Capture& c) {
  std::map<uint32_t, std::string> comm;
  for (const auto& t : c.threads) comm[t.tid] = t.comm;
  auto thread = [&](uint32_t tid) {
    auto it = comm.find(tid);
    return it == comm.end() || it->second.empty() ? fmt::format("tid-{}", tid) : it->second;
  };
  std::map<std::string, uint64_t> ns;
  for (const auto& f : c.flagged) {
    if (f.kind == FlagKind::et_undrained || !f.total_ns) continue;  // data left behind: no time
    ns[path_of(thread(f.tid), f.stack, call_name(c.arch, f.nr, f.fd_kind))] += f.total_ns;
  }
  for (const auto& s : c.stalls) {
    if (!s.stack.frames.empty()) {
      uint64_t rest = s.dur_ns > s.max_sys_ns ? s.dur_ns - s.max_sys_ns : 0;
      if (rest) ns[path_of(thread(s.tid), s.stack, "[rest_of_the_stalled_iteration]")] += rest;
    } else {
      std::string leaf = s.max_nr >= 0 ? "[loop_stall];longest:" + call_name(c.arch, s.max_nr, FdKind::none)
                                       : "[loop_stall]";
      ns[clean(thread(s.tid)) + ";" + leaf] += s.dur_ns;
    }
  }
  std::string out;
  for (const auto& [path, v] : ns)
    if (v >= 1000) out += fmt::format("{} {}\n", path, v / 1000);
  return out;
}

}  // namespace iotrace
