#include "src/stacks/jit_frames.hpp"

#include <fmt/format.h>

#include <map>

#include "src/model/classify.hpp"

namespace iotrace {
namespace {

struct JitCount {
  size_t unnamed = 0, named = 0;
};

void count_stack(const Stack& s, JitCount& n) {
  for (const auto& f : s.frames) {
    if (f.kind != FrameKind::jit) continue;
    if (f.symbol.empty()) ++n.unnamed;
    else ++n.named;
  }
}

}  // namespace

std::optional<std::string> unnamed_jit_note(const Capture& c) {
  std::map<uint32_t, uint32_t> pid_of;
  for (const auto& t : c.threads) pid_of[t.tid] = t.pid;
  std::map<uint32_t, JitCount> by_pid;
  for (const auto& f : c.flagged) count_stack(f.stack, by_pid[pid_of[f.tid]]);
  for (const auto& s : c.stalls) count_stack(s.stack, by_pid[pid_of[s.tid]]);

  std::vector<std::string> who;
  bool node = false, java = false;
  size_t unnamed = 0, with_map = 0;
  uint32_t pid_shown = 0;
  for (const auto& [pid, n] : by_pid) {
    if (!n.unnamed) continue;
    unnamed += n.unnamed;
    with_map += n.named ? 1 : 0;  // some JIT frames named: the map exists, but is stale
    pid_shown = pid;
    std::string name = "?", runtime;
    for (const auto& p : c.processes)
      if (p.pid == pid) {
        name = p.comm;
        runtime = detect_runtime(p, nullptr);
      }
    who.push_back(fmt::format("{} ({})", pid, name));
    bool is_node = runtime == "libuv/Node.js", is_java = runtime.rfind("java", 0) == 0;
    node = node || is_node || !is_java;
    java = java || is_java || !is_node;
  }
  if (!unnamed) return std::nullopt;
  const bool one = who.size() == 1;
  const std::string pid = one ? std::to_string(pid_shown) : "PID";
  const char* why = with_map == who.size() ? "did not list them (code compiled after it was written)"
                    : with_map == 0        ? "was missing"
                                           : "was missing or did not list them";
  std::string out = fmt::format(
      "{} stack frame{} of {} {} {} in JIT-compiled code with no name: iotrace names such code "
      "from /tmp/perf-{}.map, which {}.",
      unnamed, unnamed == 1 ? "" : "s", one ? "process" : "processes", fmt::join(who, ", "),
      unnamed == 1 ? "is" : "are", pid, why);
  if (node)
    out += " Node.js: start node with --perf-basic-prof (or --perf-basic-prof-only-functions, a "
           "smaller map), which keeps the map up to date, then trace again.";
  if (java)
    out += fmt::format(
        " Java (JDK 17+): run 'jcmd {} Compiler.perfmap' just before tracing, or start java with "
        "-XX:+UnlockDiagnosticVMOptions -XX:+DumpPerfMapAtExit (written when it exits, e.g. "
        "under 'iotrace run').",
        pid);
  return out;
}

}  // namespace iotrace
