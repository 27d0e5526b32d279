// Captures that load, through build_report() and both renderers: no crash, no undefined
// behaviour, no control byte in the text output, and JSON output that parses back.
#include <string>

#include "cli/render/render.hpp"
#include "src/capture/capture_json.hpp"
#include "src/output/report.hpp"
#include "tests/fuzz/fuzz_check.hpp"

using iotrace::fuzz::no_control;
using iotrace::fuzz::valid_utf8;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  auto r = iotrace::capture_from_text(text);
  if (!r) return 0;
  iotrace::Report rep = iotrace::build_report(r.value());
  FUZZ_CHECK(rep.processes.size() == r.value().processes.size());

  std::string js = iotrace::cli::render_json(rep);
  FUZZ_CHECK(valid_utf8(js));
  auto parsed = nlohmann::json::parse(js, nullptr, false);
  FUZZ_CHECK(!parsed.is_discarded());

  std::string out = iotrace::cli::render_text(rep);
  if (!no_control(out, "\n"))
    std::fprintf(stderr, "control byte in: %s\n", iotrace::fuzz::line_with_control(out, "\n").c_str());
  FUZZ_CHECK(no_control(out, "\n"));
  FUZZ_CHECK(valid_utf8(out));

  iotrace::cli::TextOptions small;
  small.max_threads = 1;
  small.max_syscalls = 1;
  small.max_findings = 1;
  small.max_frames = 1;
  FUZZ_CHECK(no_control(iotrace::cli::render_text(rep, small), "\n"));
  return 0;
}
