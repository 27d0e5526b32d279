// What attach, run and report also write beside the report: one set of options, defined once
// (add_picture_options in cli/app.cpp) and written by one function, so no command lacks one.
#pragma once
#include <string>

#include "src/capture/capture.hpp"

namespace iotrace::cli {

struct PictureArgs {
  bool hist = false;   // --hist: latency histograms in the text report
  std::string folded;  // --folded FILE: folded stacks of blocked event-loop time
  std::string pprof;   // --pprof FILE: the same time as a gzipped pprof profile
};

// Writes the --folded and --pprof files the arguments ask for (--hist is the renderer's).
void write_pictures(const Capture& capture, const PictureArgs& pictures);

}  // namespace iotrace::cli
