#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "cli/render/render.hpp"
#include "cli/render/text_table.hpp"
#include "src/util/duration.hpp"
#include "src/capture/losses.hpp"
#include "src/util/text_escape.hpp"

namespace iotrace::cli {
namespace {

constexpr size_t k_width = 80;

// Columns taken by escaped text: escape_text leaves printable ASCII and valid UTF-8 only.
size_t columns(std::string_view s) { return display_columns(s); }

// Bytes of the first `cols` characters of s.
size_t bytes_of_columns(std::string_view s, size_t cols) {
  size_t i = 0;
  for (size_t seen = 0; i < s.size(); ++i) {
    if ((static_cast<unsigned char>(s[i]) & 0xc0) != 0x80 && seen++ == cols) break;
  }
  return i;
}

// Text in lines of at most 80 columns, broken at spaces: the first line starts with `first`,
// the others with `rest`. A word longer than a line is split.
std::string wrap(std::string_view text, std::string_view first, std::string_view rest) {
  std::string out, line(first);
  size_t cols = columns(first);
  bool empty = true;
  auto flush = [&] {
    out += line + "\n";
    line = std::string(rest);
    cols = columns(rest);
    empty = true;
  };
  for (size_t i = 0; i < text.size();) {
    size_t gap = i;  // spaces before the word: kept inside a line, dropped at a break
    while (i < text.size() && text[i] == ' ') ++i;
    gap = i - gap;
    if (i == text.size()) break;
    size_t end = std::min(text.find(' ', i), text.size());
    std::string_view word = text.substr(i, end - i);
    i = end;
    size_t wc = columns(word);
    if (!empty && cols + gap + wc > k_width) flush();
    if (!empty) {
      line.append(gap, ' ');
      cols += gap;
    }
    while (cols + wc > k_width && cols < k_width) {
      size_t take = k_width - cols;
      size_t b = bytes_of_columns(word, take);
      line.append(word.substr(0, b));
      flush();
      word.remove_prefix(b);
      wc -= take;
    }
    line.append(word);
    cols += wc;
    empty = false;
  }
  return out + line + "\n";
}

// The escaped name cut to at most max_cols columns, never inside an escape or a character.
std::string short_name(const std::string& raw, size_t max_cols) {
  std::string full = escape_text(raw);
  if (columns(full) <= max_cols) return full;
  for (size_t k = raw.size(); k > 0; --k) {
    std::string p = escape_text(std::string_view(raw).substr(0, k));
    if (columns(p) <= max_cols && full.compare(0, p.size(), p) == 0) return p;
  }
  return {};
}

std::string rate(uint64_t calls, uint64_t ns) {
  if (ns == 0) return "-";
  return format_count(static_cast<double>(calls) * 1e9 / static_cast<double>(ns));
}

std::string dur_or_dash(uint64_t ns, uint64_t calls) { return calls ? format_duration(ns) : "-"; }

// name(kind): "read(tcp)", "epoll_pwait(epoll)"
std::string call_label(Arch arch, int nr, FdKind k) {
  std::string n = syscall_name(arch, nr);
  if (k == FdKind::none) return n;
  return fmt::format("{}({})", n, fd_kind_name(k));
}

std::string frame_text(const Frame& f) {
  if (f.kind == FrameKind::interpreted) {
    // a Python frame: function, then where it is (file:line)
    std::string where = f.line ? fmt::format("{}:{}", f.file, f.line) : f.file;
    return fmt::format("{} ({})", escape_text(f.symbol), escape_text(where));
  }
  // JIT code with no perf-map entry: only its address (the report's notes say how to get names)
  if (f.kind == FrameKind::jit && f.symbol.empty()) return fmt::format("[jit] {:#x}", f.addr);
  std::string sym = f.symbol.empty() ? fmt::format("{}+{:#x}", escape_text(f.module), f.offset)
                                     : fmt::format("{}+{:#x}", escape_text(f.symbol), f.sym_offset);
  if (f.symbol.empty() && !f.build_id.empty())
    sym += fmt::format(" [build-id {}]", f.build_id.substr(0, 16));  // enough to find the file
  if (f.symbol.empty()) return sym;
  if (f.inlined)  // no address of its own: the function, where it was, and that it was inlined
    return fmt::format("{} ({}:{}, inlined)", escape_text(f.symbol), escape_text(f.file), f.line);
  if (!f.file.empty()) return fmt::format("{} ({}:{})", sym, escape_text(f.file), f.line);
  return fmt::format("{} ({})", sym, escape_text(f.module));
}

void render_stack(std::string& o, const Stack& s, size_t max_frames) {
  if (s.lost) {
    o += "        (stack not recorded: the stack map was full or collided)\n";
    return;
  }
  size_t n = std::min(s.frames.size(), max_frames);
  for (size_t i = 0; i < n; ++i) o += wrap(frame_text(s.frames[i]), "        ", "          ");
  if (s.frames.size() > n) o += fmt::format("        ... {} more frames\n", s.frames.size() - n);
  if (s.truncated) {
    if (!s.cut_reason.empty())
      o += wrap(fmt::format("(stack cut short: {})", s.cut_reason), "        ", "         ");
    else
      o += "        (stack cut short: the code was probably built without frame pointers)\n";
  }
}

void render_model(std::string& o, const ProcessReport& p) {
  const auto& m = p.model;
  std::string model = m.model;
  if (m.model == "mixed") model += fmt::format(" ({})", fmt::join(m.parts, " + "));
  o += fmt::format("  I/O model: {}", model);
  if (!m.trigger.empty()) o += fmt::format(", {}-triggered", m.trigger);
  o += fmt::format("  [confidence {:.0f}%]\n", m.confidence * 100);
  o += wrap(m.sentence + ".", "    ", "    ");
  if (!m.interest_kinds.empty())
    o += wrap(fmt::format("epoll interest sets hold: {}.", fmt::join(m.interest_kinds, ", ")),
              "    ", "    ");
  if (!m.runtime.empty())
    o += wrap(fmt::format("runtime: {} ({}).", m.runtime, escape_text(m.runtime_evidence)), "    ",
              "    ");
}

void render_categories(std::string& o, const ProcessReport& p) {
  TextTable t({{"CATEGORY", 18, true}, {"CALLS", 7}, {"RATE/s", 6}, {"ERRS", 5}, {"EAGAIN", 6},
               {"P50", 6}, {"P99", 6}, {"MAX", 6}, {"BYTES", 9}});
  auto line = [&](std::string_view name, const CallStats& s) {
    t.add_row({std::string(name), format_count(static_cast<double>(s.calls)),
               rate(s.calls, p.process.traced_ns), format_count(static_cast<double>(s.errors)),
               format_count(static_cast<double>(s.eagain)), dur_or_dash(s.p50_ns(), s.calls),
               dur_or_dash(s.p99_ns(), s.calls), dur_or_dash(s.max_ns, s.calls),
               s.bytes ? format_bytes(s.bytes) : "-"});
  };
  for (const auto& c : p.categories) line(category_title(c.category), c.stats);
  line("total", p.total);
  o += "\n";
  for (const auto& l : t.lines("  ")) o += l + "\n";
}

void render_syscalls(std::string& o, const ProcessReport& p, const TextOptions& opts) {
  if (p.syscalls.empty()) return;
  TextTable t({{"SYSCALL(FD KIND)", 25, true}, {"CALLS", 7}, {"ERRS", 5}, {"EAGAIN", 6}, {"P50", 6},
               {"P99", 6}, {"MAX", 6}, {"BYTES", 9}});
  size_t n = std::min(p.syscalls.size(), opts.max_syscalls);
  for (size_t i = 0; i < n; ++i) {
    const auto& s = p.syscalls[i];
    t.add_row({call_label(p.arch, s.nr, s.fd_kind), format_count(static_cast<double>(s.stats.calls)),
               format_count(static_cast<double>(s.stats.errors)),
               format_count(static_cast<double>(s.stats.eagain)),
               dur_or_dash(s.stats.p50_ns(), s.stats.calls),
               dur_or_dash(s.stats.p99_ns(), s.stats.calls),
               dur_or_dash(s.stats.max_ns, s.stats.calls),
               s.stats.bytes ? format_bytes(s.stats.bytes) : "-"});
  }
  o += "\n";
  for (const auto& l : t.lines("  ")) o += l + "\n";
  if (p.syscalls.size() > n) o += fmt::format("  ... {} more\n", p.syscalls.size() - n);
  if (!opts.hist) return;
  // every row, not only the ones the table shows: the histograms are what was asked for
  for (const auto& s : p.syscalls) {
    std::string h = render_histogram(s.stats.hist, "    ");
    if (h.empty()) continue;
    o += fmt::format("\n  {}: {} calls, p50 {}, p99 {}, max {}\n", call_label(p.arch, s.nr, s.fd_kind),
                     format_count(static_cast<double>(s.stats.calls)), format_duration(s.stats.p50_ns()),
                     format_duration(s.stats.p99_ns()), format_duration(s.stats.max_ns));
    o += h;
  }
}

void render_thread_groups(std::string& o, const ProcessReport& p, const TextOptions& opts) {
  if (p.thread_groups.empty()) return;
  o += "  short-lived threads, folded by role and name (--all-threads lists each):\n";
  size_t n = std::min(p.thread_groups.size(), opts.max_threads);
  for (size_t i = 0; i < n; ++i) {
    const auto& g = p.thread_groups[i];
    std::string exited = g.exited == g.threads ? "all exited"
                         : g.exited           ? fmt::format("{} exited", g.exited)
                                              : "none exited";
    std::string top = g.syscalls.empty() ? "-" : syscall_name(p.arch, g.syscalls[0].nr);
    o += wrap(fmt::format("{} threads {} ({}, {}): {} calls, {} in syscalls, {} asleep, {} on CPU; "
                          "each lived {} to {} (median {}); top {}",
                          g.threads, escape_text(g.comm), g.role, exited,
                          format_count(static_cast<double>(g.total.calls)),
                          format_duration(g.total.total_ns), format_duration(g.sleep_ns),
                          format_duration(g.oncpu_ns), format_duration(g.lifetime_min_ns),
                          format_duration(g.lifetime_max_ns), format_duration(g.lifetime_median_ns),
                          top),
              "    ", "      ");
  }
  if (p.thread_groups.size() > n) {
    uint64_t threads = 0;
    for (size_t i = n; i < p.thread_groups.size(); ++i) threads += p.thread_groups[i].threads;
    o += fmt::format("    ... {} more groups, {} threads\n", p.thread_groups.size() - n, threads);
  }
}

void render_threads(std::string& o, const ProcessReport& p, const TextOptions& opts) {
  TextTable table({{"TID", 7, true}, {"NAME", 15, true}, {"ROLE", 11, true}, {"CALLS", 6},
                   {"SYSCALL", 7}, {"ASLEEP", 7}, {"ON-CPU", 7}});
  size_t n = std::min(p.threads.size(), opts.max_threads);
  std::vector<std::string> tops = {"TOP"};
  for (size_t i = 0; i < n; ++i) {
    const auto& t = p.threads[i];
    std::string top = t.syscalls.empty() ? "-" : syscall_name(p.arch, t.syscalls[0].nr);
    if (t.thread.exited) top += " (exited)";
    tops.push_back(top);
    table.add_row({std::to_string(t.thread.tid), short_name(t.thread.comm, 15), t.model.role,
                   format_count(static_cast<double>(t.total.calls)),
                   format_duration(t.total.total_ns), format_duration(t.thread.sleep_ns),
                   format_duration(t.thread.oncpu_ns)});
  }
  o += "\n";
  auto rows = table.lines("  ");
  for (size_t i = 0; i < rows.size(); ++i) {
    // TOP gets what is left of 80 columns; when that is too little it goes on a line of its own
    const std::string& row = rows[i];
    if (columns(row) + 1 + columns(tops[i]) <= k_width) o += row + " " + tops[i] + "\n";
    else o += row + "\n" + std::string(10, ' ') + tops[i] + "\n";
  }
  if (p.threads.size() > n) {
    uint64_t calls = 0;
    for (size_t i = n; i < p.threads.size(); ++i) calls += p.threads[i].total.calls;
    o += fmt::format("  ... {} more threads, {} calls\n", p.threads.size() - n,
                     format_count(static_cast<double>(calls)));
  }
  for (size_t i = 0; i < n; ++i) {
    const auto& t = p.threads[i];
    if (t.model.role == "idle" || t.model.sentence.empty()) continue;
    o += wrap(fmt::format("{} {}: {}: {}", t.thread.tid, escape_text(t.thread.comm), t.model.model,
                          t.model.sentence),
              "    ", "      ");
  }
  render_thread_groups(o, p, opts);
}

// Whole numbers print without decimals; the range check keeps the cast defined.
std::string metric_value(double v) {
  if (v >= 0 && v < 1.8e19 && v == std::floor(v)) return fmt::format("{}", static_cast<uint64_t>(v));
  return fmt::format("{:.2f}", v);
}

void render_metrics(std::string& o, const ProcessReport& p) {
  std::string line;
  for (const auto& m : p.metrics.values) {
    if (m.tid != 0) continue;
    if (m.id == "operations" || m.id == "io_syscalls") continue;
    line += fmt::format("{}{}={}", line.empty() ? "" : "  ", m.id, metric_value(m.value));
  }
  if (line.empty()) return;
  o += fmt::format("\n  ratios: operations={} io_syscalls={}\n",
                   metric_value(p.metrics.get("operations", 0, 0)),
                   metric_value(p.metrics.get("io_syscalls", 0, 0)));
  // wrap at 78 columns
  std::string cur = "   ";
  size_t start = 0;
  while (start < line.size()) {
    size_t end = line.find("  ", start);
    std::string word = line.substr(start, end == std::string::npos ? std::string::npos : end - start);
    if (cur.size() + word.size() + 1 > 78) {
      o += cur + "\n";
      cur = "   ";
    }
    cur += " " + word;
    if (end == std::string::npos) break;
    start = end + 2;
  }
  o += cur + "\n";
}

void render_findings(std::string& o, const ProcessReport& p, const TextOptions& opts) {
  if (p.findings.empty()) {
    o += "\n  findings: none\n";
    return;
  }
  o += fmt::format("\n  findings ({}):\n", p.findings.size());
  size_t n = std::min(p.findings.size(), opts.max_findings);
  for (size_t i = 0; i < n; ++i) {
    const auto& f = p.findings[i];
    o += wrap(fmt::format("[{}] {}: {}", severity_name(f.severity), f.id, f.title), "  ", "      ");
    o += wrap(escape_text(f.evidence), "      ", "      ");
    if (f.count && f.total_ns)
      o += fmt::format("      count {}  total {}  p50 {}  p99 {}  max {}\n", f.count,
                       format_duration(f.total_ns), format_duration(f.p50_ns),
                       format_duration(f.p99_ns), format_duration(f.max_ns));
    if (!f.stack.frames.empty() || f.stack.lost) {
      o += "      stack:\n";
      render_stack(o, f.stack, opts.max_frames);
    }
    o += wrap("fix: " + f.advice, "      ", "      ");
  }
  if (p.findings.size() > n) o += fmt::format("  ... {} more findings (see --json)\n", p.findings.size() - n);
}

}  // namespace

std::string render_text(const Report& r, const TextOptions& opts) {
  std::string o;
  o += fmt::format("iotrace {}: traced {} on Linux {}\n", escape_text(r.iotrace_version),
                   format_duration(r.duration_ns), escape_text(r.kernel));
  if (r.service) {
    // --follow-children: the process tree judged as one service
    std::string model = r.service->model;
    if (r.service->parts.size() > 1) model += fmt::format(" ({})", fmt::join(r.service->parts, " + "));
    o += "\n" + wrap(fmt::format("service rooted at {}: {}", r.service->root_pid, model), "", "  ");
    o += wrap(escape_text(r.service->sentence) + ".", "    ", "    ");
  }
  for (const auto& p : r.processes) {
    o += "\n" + wrap(fmt::format("process {} ({}){}: traced {}, {} thread{} seen{}", p.process.pid,
                                 escape_text(p.process.comm) + (p.process.ns_pid ? fmt::format(", pid {} in its namespace", p.process.ns_pid) : std::string()), p.process.followed ? " [child]" : "",
                                 format_duration(p.process.traced_ns), p.threads_seen,
                                 p.threads_seen == 1 ? "" : "s",
                                 p.process.exited ? ", exited during the trace" : ""),
                     "", "  ");
    if (!p.process.exe.empty()) o += wrap(escape_text(p.process.exe), "  exe: ", "       ");
    render_model(o, p);
    if (p.total.calls == 0) {
      o += "  no syscalls were seen from this process while it was traced.\n";
      continue;
    }
    render_categories(o, p);
    render_syscalls(o, p, opts);
    render_threads(o, p, opts);
    render_metrics(o, p);
    render_findings(o, p, opts);
    if (!p.recommendation.empty()) o += "\n" + wrap("recommendation: " + p.recommendation, "  ", "    ");
  }
  const auto& l = r.losses;
  if (l.total())
    o += "\n" + wrap(fmt::format("losses: {}: {}", l.total(), describe_losses(l)), "", "  ");
  else
    o += "\nlosses: none\n";
  for (const auto& n : r.notes) o += wrap("note: " + escape_text(n), "", "  ");
  return o;
}

}  // namespace iotrace::cli
