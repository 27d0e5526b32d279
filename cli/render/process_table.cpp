#include "cli/render/process_table.hpp"

#include <fmt/format.h>

#include "cli/render/terminal.hpp"
#include "src/util/duration.hpp"
#include "src/util/text_escape.hpp"

namespace iotrace::cli {
namespace {

constexpr size_t k_fixed = 59;  // columns before FINDING, spaces included

std::string cut(const std::string& s, size_t width) {
  if (s.size() <= width) return s;
  if (width == 0) return {};
  return s.substr(0, width - 1) + "~";
}

std::string stalls_text(const ProcessSummary& s) {
  if (!s.stalls) return "-";
  return s.worst_stall_ns ? fmt::format("{}/{}", s.stalls, format_duration(s.worst_stall_ns))
                          : fmt::format("{}", s.stalls);
}

const char* severity_colour(Severity s) {
  switch (s) {
    case Severity::high: return "1;31";
    case Severity::medium: return "33";
    case Severity::low: return "36";
    case Severity::info: return "";
  }
  return "";
}

}  // namespace

std::string render_process_header(const TableOptions& opts) {
  std::string h = fmt::format("{:>7} {:<9} {:<10} {:>5} {:>6} {:>6} {:>9} {}", "PID", "COMMAND",
                              "MODEL", "LOOPS", opts.loop_watch ? "ITER/s" : "SYSC/s",
                              opts.loop_watch ? "BLOCKS" : "SYS/OP", "STALLS", "FINDING");
  return paint(h, "7", opts.colour) + "\n";
}

std::string render_process_rows(const std::vector<ProcessSummary>& rows, const TableOptions& opts) {
  std::string o;
  size_t room = opts.width > k_fixed ? opts.width - k_fixed : 0;
  for (const auto& s : rows) {
    if (!opts.idle && !s.syscalls && !s.stalls) continue;
    std::string finding = s.finding.empty() ? "-" : s.finding;
    if (opts.cut_last) finding = cut(finding, room);
    std::string rate = format_count(opts.loop_watch ? s.iterations_per_s : s.syscalls_per_s);
    std::string fifth = "-";  // SYS/OP, or BLOCKS under the loop watch
    if (opts.loop_watch) {
      if (s.blocking_calls) fifth = format_count(static_cast<double>(s.blocking_calls));
    } else if (s.syscalls_per_op >= 100) {
      fifth = format_count(s.syscalls_per_op);
    } else if (s.syscalls_per_op >= 0) {
      fifth = fmt::format("{:.2f}", s.syscalls_per_op);
    }
    o += fmt::format("{:>7} {:<9} {:<10} {:>5} {:>6} {:>6} {:>9} {}\n", s.pid,
                     cut(escape_text(s.comm), 9), cut(s.model, 10), s.loops, rate, fifth, stalls_text(s),
                     paint(finding, s.finding.empty() ? "" : severity_colour(s.severity), opts.colour));
  }
  return o;
}

}  // namespace iotrace::cli
