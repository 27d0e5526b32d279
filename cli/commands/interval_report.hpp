// What `iotrace attach` shows while it traces: a status line on a terminal's stderr, and with
// --interval a compact table every interval (the full report still comes at the end).
#pragma once
#include <string>

#include "cli/commands/trace_session.hpp"

namespace iotrace::cli {

// Hooks the status line and, when interval is not empty, interval reports into the session.
// Interval tables go to stdout, or to stderr when stdout carries the JSON report.
void add_progress(SessionOptions& s, const std::string& interval);

}  // namespace iotrace::cli
