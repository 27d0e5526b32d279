#include <fmt/format.h>

#include <sys/stat.h>

#include <charconv>
#include <nlohmann/json.hpp>

#include "cli/app.hpp"
#include "cli/commands/ci_report.hpp"
#include "cli/errors.hpp"
#include "cli/commands/interval_report.hpp"
#include "cli/options.hpp"
#include "cli/output.hpp"
#include "cli/commands/trace_session.hpp"
#include "probes/stacks/debug_resolver.hpp"
#include "src/capture/capture_json.hpp"
#include "src/stacks/folded_stacks.hpp"

namespace iotrace::cli {

uint32_t parse_pid(const std::string& text) {
  uint32_t pid = 0;
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), pid);
  if (ec != std::errc() || p != text.data() + text.size() || pid == 0 || pid > (1u << 22))
    throw UsageError(fmt::format("invalid pid '{}': expected a positive process id", text),
                     "find it with 'pgrep NAME' or 'ps -e'");
  return pid;
}

uint64_t parse_duration_option(const std::string& flag, const std::string& text) {
  auto d = parse_duration_ns(text);
  if (!d) throw UsageError(fmt::format("{}: {}", flag, d.error()),
                           "expected a number with ns, us, ms, s, m or h, e.g. 500ms, 10, 2m");
  return d.value();
}

int run_attach(const AppArgs& args) {
  const auto& a = args.attach;
  SessionOptions s;
  for (const auto& p : a.pids) {
    uint32_t pid = parse_pid(p);
    if (std::find(s.trace.pids.begin(), s.trace.pids.end(), pid) == s.trace.pids.end())
      s.trace.pids.push_back(pid);
  }
  if (!a.duration.empty()) s.duration_ns = parse_duration_option("--duration", a.duration);
  s.trace.follow_children = a.follow_children;
  s.trace.loop_watch = a.loop_watch;
  Policy policy = build_policy(a.policy);
  s.trace.stall_ns =
      stall_threshold_for(policy, parse_duration_option("--stall-threshold", a.stall_threshold));
  s.trace.block_ns = parse_duration_option("--block-threshold", a.block_threshold);
  s.out = {a.json, a.output, a.save_capture, a.pictures};
  set_timeline(s, a.timeline);
  s.report.all_threads = a.all_threads;
  CiRun ci;
  ci.suite_name = "iotrace attach " + fmt::format("{}", fmt::join(a.pids, " "));
  ci.timestamp = utc_timestamp_now();
  add_progress(s, a.interval);
  Report report = run_session(s);
  if (!policy.has_rules() && a.policy.junit.empty()) {
    emit_report(report, s.out);
    return k_exit_ok;
  }
  ci.time_s = static_cast<double>(report.duration_ns) / 1e9;
  return finish_ci_run(report, s.out, policy, a.policy.junit, ci);
}

namespace {

// --debug-dir: names what the trace could not, and says on stderr how much that was.
void resolve_from_debug_dirs(Capture& capture, const std::vector<std::string>& dirs) {
  for (const auto& d : dirs) {
    struct stat st {};
    if (stat(d.c_str(), &st) != 0 || !S_ISDIR(st.st_mode))
      throw UsageError(fmt::format("--debug-dir: '{}' is not a directory", d),
                       "give the directory that holds .build-id/ or the .debug files, e.g. "
                       "/usr/lib/debug");
  }
  probes::DebugResolver resolver(dirs, true);
  auto st = resolver.resolve(capture);
  std::vector<std::string> done;
  if (st.unnamed) done.push_back(fmt::format("named {} of {} frames without a symbol", st.named, st.unnamed));
  if (st.renamed) done.push_back(fmt::format("renamed {} to a closer function", st.renamed));
  done.push_back(fmt::format("gave {} a source line", st.lines));
  if (st.inlined) done.push_back(fmt::format("added {} inlined frames", st.inlined));
  print_info(fmt::format("--debug-dir: {}", fmt::join(done, ", ")));
  if (st.unnamed > st.named && !st.not_found.empty())
    print_warning(fmt::format("--debug-dir: no debug file for {} binar{} (e.g. build-id {})",
                              st.not_found.size(), st.not_found.size() == 1 ? "y" : "ies",
                              st.not_found.front()),
                  "split ones are looked up as DIR/.build-id/xx/rest.debug and by their "
                  ".gnu_debuglink name; 'file BINARY' shows the build-id");
}

}  // namespace

int run_report(const AppArgs& args) {
  const auto& a = args.report;
  auto text = read_text_file(a.capture);
  // A JSON report (attach --json) is what report writes, not what it reads: say so, and where
  // each file goes, instead of naming the capture key the report lacks.
  auto doc = nlohmann::json::parse(text, nullptr, false);
  if (doc.is_object() && doc.contains("schema_version") && doc.contains("processes") &&
      !doc.contains("capture_version"))
    throw UsageError(fmt::format("'{}' is a JSON report, not a capture: report renders captures", a.capture),
                     "compare two JSON reports with 'iotrace diff OLD NEW'; to render a trace again later, "
                     "save it with --save-capture FILE (attach, run)");
  auto capture = capture_from_text(text);
  if (!capture)
    throw UsageError(fmt::format("cannot read capture '{}': {}", a.capture, capture.error()),
                     "give a file written by 'iotrace attach --save-capture'");
  if (!a.debug_dirs.empty()) resolve_from_debug_dirs(capture.value(), a.debug_dirs);
  ReportOptions opts;
  opts.all_threads = a.all_threads;
  Policy policy = build_policy(a.policy);
  write_pictures(capture.value(), a.pictures);
  Report report = build_report(capture.value(), opts);
  OutputOptions out{a.json, a.output, {}, a.pictures};
  if (!policy.has_rules() && a.policy.junit.empty()) {
    emit_report(report, out);
    return k_exit_ok;
  }
  // The capture judged as attach would have judged the trace (--max-stall judges the stalls
  // the capture recorded, at the threshold it was traced with).
  CiRun ci;
  ci.suite_name = "iotrace report " + a.capture;
  ci.timestamp = utc_timestamp_now();
  ci.time_s = static_cast<double>(report.duration_ns) / 1e9;
  return finish_ci_run(report, out, policy, a.policy.junit, ci);
}

}  // namespace iotrace::cli
