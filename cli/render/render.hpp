// Rendering a report: text for people (80 columns), JSON for programs (schema_version 1).
#pragma once
#include <string>

#include <nlohmann/json.hpp>

#include "src/output/report.hpp"

namespace iotrace::cli {

struct TextOptions {
  size_t max_threads = 10;   // per process; the rest are summarised in one line
  size_t max_syscalls = 8;   // per process
  size_t max_findings = 20;
  size_t max_frames = 12;
  bool hist = false;  // --hist: a latency histogram per syscall and fd kind
};

std::string render_text(const Report& r, const TextOptions& opts = {});
// A log2 histogram as bcc's tools print one; empty when it counted nothing.
std::string render_histogram(const Histogram& h, const std::string& indent);
nlohmann::json report_to_json(const Report& r);
std::string render_json(const Report& r);

}  // namespace iotrace::cli
