// /proc/PID/fdinfo/<epfd> text into parse_epoll_fdinfo().
#include <string_view>

#include "src/capture/proc_parse.hpp"
#include "tests/fuzz/fuzz_check.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto entries = iotrace::parse_epoll_fdinfo(text);
  size_t lines = 1;
  for (char c : text) lines += c == '\n';
  FUZZ_CHECK(entries.size() <= lines);
  for (const auto& e : entries) FUZZ_CHECK(e.tfd >= 0);
  return 0;
}
