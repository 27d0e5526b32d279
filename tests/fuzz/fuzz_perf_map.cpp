// /tmp/perf-PID.map text (written by JITs, so target-controlled) into parse_perf_map().
#include <string_view>

#include "src/capture/proc_parse.hpp"
#include "tests/fuzz/fuzz_check.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto entries = iotrace::parse_perf_map(text);
  size_t lines = 1;
  for (char c : text) lines += c == '\n';
  FUZZ_CHECK(entries.size() <= lines);
  for (const auto& e : entries) {
    FUZZ_CHECK(!e.name.empty());
    FUZZ_CHECK(e.name.find('\n') == std::string::npos);
  }
  return 0;
}
