#include "cli/render/junit.hpp"

#include <fmt/format.h>

#include "src/util/duration.hpp"

namespace iotrace::cli {
namespace {

// Code point of the valid UTF-8 sequence at s[i] (its length in n), or -1 when invalid.
long decode_utf8(std::string_view s, size_t i, size_t& n) {
  auto c = static_cast<unsigned char>(s[i]);
  n = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xe ? 3 : (c >> 3) == 0x1e ? 4 : 0;
  if (n == 0 || i + n > s.size()) return -1;
  long cp = n == 1 ? c : n == 2 ? (c & 0x1f) : n == 3 ? (c & 0x0f) : (c & 0x07);
  for (size_t k = 1; k < n; ++k) {
    auto b = static_cast<unsigned char>(s[i + k]);
    if ((b >> 6) != 0x2) return -1;
    cp = (cp << 6) | (b & 0x3f);
  }
  static constexpr long k_min[] = {0, 0, 0x80, 0x800, 0x10000};
  if (cp < k_min[n] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return -1;
  return cp;
}

bool xml_char(long cp) {
  return cp == 0x9 || cp == 0xa || cp == 0xd || (cp >= 0x20 && cp <= 0xd7ff) ||
         (cp >= 0xe000 && cp <= 0xfffd) || (cp >= 0x10000 && cp <= 0x10ffff);
}

// attr: newlines and tabs become character references, so attribute values keep them.
std::string escape(std::string_view s, bool attr) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size();) {
    size_t n = 0;
    long cp = decode_utf8(s, i, n);
    if (cp < 0) {
      out += "\xef\xbf\xbd";  // U+FFFD for each invalid byte
      ++i;
      continue;
    }
    if (!xml_char(cp)) out += "\xef\xbf\xbd";
    else if (cp == '&') out += "&amp;";
    else if (cp == '<') out += "&lt;";
    else if (cp == '>') out += "&gt;";
    else if (cp == '"') out += "&quot;";
    else if (cp == '\'') out += "&apos;";
    else if (cp == '\r' || (attr && (cp == '\n' || cp == '\t'))) out += fmt::format("&#{};", cp);
    else out.append(s.substr(i, n));
    i += n;
  }
  return out;
}

std::string frame_line(const Frame& f) {
  if (f.kind == FrameKind::interpreted) return fmt::format("{} ({}:{})", f.symbol, f.file, f.line);
  if (f.symbol.empty()) return fmt::format("{}+{:#x}", f.module, f.offset);
  return fmt::format("{}+{:#x} ({})", f.symbol, f.sym_offset, f.module);
}

// The failure body: what a CI system shows when the test case is opened.
std::string failure_text(const Violation& v) {
  std::string o = v.message + "\n";
  if (!v.finding) return o;
  const Finding& f = *v.finding;
  o += fmt::format("  finding: {} [{}] {}\n", f.id, severity_name(f.severity), f.title);
  if (f.tid) o += fmt::format("  thread: {} ({})\n", f.tid, f.thread);
  if (!f.syscall.empty()) o += fmt::format("  syscall: {}\n", f.syscall);
  if (f.count)
    o += fmt::format("  count: {}, max {}, p99 {}\n", f.count, format_duration(f.max_ns),
                     format_duration(f.p99_ns));
  o += fmt::format("  evidence: {}\n", f.evidence);
  o += fmt::format("  advice: {}\n", f.advice);
  if (f.stack.lost) {
    o += "  stack: not recorded (the stack map was full or collided)\n";
  } else if (!f.stack.frames.empty()) {
    o += "  stack:\n";
    for (const auto& fr : f.stack.frames) o += fmt::format("    {}\n", frame_line(fr));
    if (f.stack.truncated)
      o += fmt::format("    (cut short: {})\n", f.stack.cut_reason.empty()
                                                   ? "probably built without frame pointers"
                                                   : f.stack.cut_reason);
  }
  return o;
}

std::string failure_message(const RuleResult& r) {
  if (r.violations.size() == 1) return r.violations[0].message;
  return fmt::format("{}; first: {}", r.message, r.violations[0].message);
}

std::string failure_type(const RuleResult& r) {
  const auto& v = r.violations[0];
  return v.finding ? v.finding->id : r.name.substr(0, r.name.find(' '));
}

}  // namespace

std::string xml_escape(std::string_view s) { return escape(s, true); }

std::string render_junit(const JunitSuite& suite, const std::vector<RuleResult>& results) {
  size_t failures = 0;
  for (const auto& r : results) failures += r.passed ? 0 : 1;
  std::string o = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  o += fmt::format("<testsuites name=\"iotrace\" tests=\"{}\" failures=\"{}\" errors=\"0\" "
                   "time=\"{:.3f}\">\n",
                   results.size(), failures, suite.time_s);
  o += fmt::format("  <testsuite name=\"{}\" tests=\"{}\" failures=\"{}\" errors=\"0\" "
                   "skipped=\"0\" time=\"{:.3f}\"",
                   xml_escape(suite.name), results.size(), failures, suite.time_s);
  if (!suite.timestamp.empty()) o += fmt::format(" timestamp=\"{}\"", xml_escape(suite.timestamp));
  if (!suite.hostname.empty()) o += fmt::format(" hostname=\"{}\"", xml_escape(suite.hostname));
  o += ">\n";
  if (!suite.properties.empty()) {
    o += "    <properties>\n";
    for (const auto& [k, v] : suite.properties)
      o += fmt::format("      <property name=\"{}\" value=\"{}\"/>\n", xml_escape(k), xml_escape(v));
    o += "    </properties>\n";
  }
  for (const auto& r : results) {
    o += fmt::format("    <testcase name=\"{}\" classname=\"iotrace.policy\" time=\"0\"",
                     xml_escape(r.name));
    o += ">\n";
    if (!r.passed) {
      std::string body;
      for (const auto& v : r.violations) body += failure_text(v);
      o += fmt::format("      <failure message=\"{}\" type=\"{}\">{}</failure>\n",
                       xml_escape(failure_message(r)), xml_escape(failure_type(r)),
                       escape(body, false));
    }
    o += fmt::format("      <system-out>{}</system-out>\n", escape(r.message, false));
    o += "    </testcase>\n";
  }
  o += fmt::format("    <system-out>{}</system-out>\n", escape(suite.system_out, false));
  o += "  </testsuite>\n</testsuites>\n";
  return o;
}

}  // namespace iotrace::cli
