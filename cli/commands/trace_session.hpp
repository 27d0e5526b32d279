// One trace from attach to report, shared by attach, demo and run.
#pragma once
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "cli/commands/pictures.hpp"
#include "probes/tracer/tracer.hpp"
#include "src/output/report.hpp"

namespace iotrace::cli {

struct TimelineArgs;  // cli/app.hpp

struct OutputOptions {
  bool json = false;
  std::string output{};        // file, or empty for stdout
  std::string save_capture{};  // developer: also write the raw capture here
  PictureArgs pictures{};      // --hist, --folded, --pprof
  std::string timeline{};      // --timeline: the Trace Event JSON goes here
};

struct SessionOptions {
  probes::TraceOptions trace;
  uint64_t duration_ns = 0;  // 0: until Ctrl-C or every target exits
  OutputOptions out;
  ReportOptions report;
  bool quiet = false;        // no "attached" line
  // Called after each poll (about every 100 ms), and once with final=true before the capture
  // is collected: the status line and interval reports hook in here.
  std::function<void(probes::Tracer&, bool final)> on_tick;
};

// --timeline and --timeline-limit into the session's trace and output options.
void set_timeline(SessionOptions& s, const TimelineArgs& t);

// Runs the trace; on_attached runs once the probes are live (demo and run start work there).
// Returns the report; throws TraceError/UsageError.
Report run_session(const SessionOptions& opts,
                   const std::function<void(probes::Tracer&)>& on_attached = {});
// Renders to stdout or the output file.
void emit_report(const Report& report, const OutputOptions& out);

}  // namespace iotrace::cli
