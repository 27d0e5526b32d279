// /proc/PID/stat text into parse_stat().
#include <string_view>

#include "src/capture/proc_parse.hpp"
#include "tests/fuzz/fuzz_check.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  if (auto st = iotrace::parse_stat(text)) {
    // the comm lies between the first '(' and the last ')'
    FUZZ_CHECK(st->comm.size() + 2 <= text.size());
    FUZZ_CHECK(text.find(st->comm) != std::string_view::npos);
  }
  return 0;
}
