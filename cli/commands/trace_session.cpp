#include "cli/commands/trace_session.hpp"

#include <fmt/format.h>

#include "cli/app.hpp"
#include "cli/errors.hpp"
#include "cli/output.hpp"
#include "cli/render/render.hpp"
#include "cli/signals.hpp"
#include "probes/proc_reader.hpp"
#include "src/capture/capture_json.hpp"
#include "src/util/duration.hpp"
#include "src/stacks/folded_stacks.hpp"
#include "src/capture/losses.hpp"
#include "src/util/text_escape.hpp"
#include "src/output/timeline.hpp"

#include <sstream>

namespace iotrace::cli {

void set_timeline(SessionOptions& s, const TimelineArgs& t) {
  s.out.timeline = t.file;
  s.trace.timeline = !t.file.empty();
  s.trace.timeline_limit = t.limit;
}

namespace {

// Written before the tracer goes: the stacks are symbolized from its maps and symbol tables.
void write_timeline_file(probes::Tracer& tracer, const Capture& capture, const std::string& path,
                         bool quiet) {
  const TimelineLog* log = tracer.timeline();
  if (!log) return;
  std::ostringstream out;
  write_timeline(out, *log, capture, tracer.timeline_stacks());
  write_output(path, out.str());
  std::string what = fmt::format("timeline: {} events written to {}", log->events(), path);
  if (log->over_limit())
    print_warning(fmt::format("{}; {} more past --timeline-limit {} were counted, not written", what,
                              log->over_limit(), log->limit()),
                  "raise --timeline-limit, or shorten the trace with -d");
  else if (!quiet)
    print_info(what);
}

}  // namespace

Report run_session(const SessionOptions& opts,
                   const std::function<void(probes::Tracer&)>& on_attached) {
  install_signal_handlers();
  auto tracer = probes::Tracer::start(opts.trace);
  if (!opts.quiet) {
    std::vector<std::string> names;
    for (uint32_t pid : opts.trace.pids) {
      auto st = probes::read_status(pid);
      names.push_back(fmt::format("{} ({})", pid, escape_text(st ? st->name : "?")));
    }
    print_info(fmt::format("attached to {}; {}", fmt::join(names, ", "),
                           opts.duration_ns ? "tracing for " + format_duration(opts.duration_ns)
                                            : std::string("Ctrl-C to stop and report")));
  }
  if (on_attached) on_attached(*tracer);
  bool exited = false;
  while (!stop_requested() && (!opts.duration_ns || tracer->elapsed_ns() < opts.duration_ns)) {
    uint64_t left_ms = opts.duration_ns ? (opts.duration_ns - tracer->elapsed_ns()) / 1000000 : 100;
    tracer->poll(static_cast<int>(std::min<uint64_t>(100, left_ms + 1)));
    if (opts.on_tick) opts.on_tick(*tracer, false);
    if (tracer->all_exited()) {
      exited = true;
      break;
    }
  }
  // Detach and drain before reading: every stall the kernel counted is then either in the
  // capture or counted as lost, even when the targets are still running.
  tracer->stop();
  if (opts.on_tick) opts.on_tick(*tracer, true);
  Capture capture = tracer->collect();
  if (!opts.out.timeline.empty()) write_timeline_file(*tracer, capture, opts.out.timeline, opts.quiet);
  tracer.reset();  // detach before rendering
  if (exited && !opts.quiet) print_info("every target exited: reporting what was traced");
  if (!opts.out.save_capture.empty())
    write_output(opts.out.save_capture, capture_to_json(capture).dump(1) + "\n");
  write_pictures(capture, opts.out.pictures);
  Report report = build_report(capture, opts.report);
  if (report.losses.total())
    print_warning(fmt::format("{} events lost: {}", report.losses.total(), describe_losses(report.losses)),
                  "narrow the targets, or shorten the trace");
  return report;
}

void emit_report(const Report& report, const OutputOptions& out) {
  TextOptions text_opts;
  text_opts.hist = out.pictures.hist;
  std::string text = out.json ? render_json(report) : render_text(report, text_opts);
  if (out.output.empty()) write_stdout(text);
  else write_output(out.output, text);
}

}  // namespace iotrace::cli
