// Policy files and --fail-on values as users write them: parse_policy() and
// parse_fail_on_list(), then the parsed policy evaluated against an empty report.
#include <string_view>

#include "src/findings/policy.hpp"
#include "src/output/report.hpp"
#include "tests/fuzz/fuzz_check.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto p = iotrace::parse_policy(text, "fuzz.policy");
  if (p) {
    const auto& pol = p.value();
    for (const auto& f : pol.fail_on) FUZZ_CHECK(!f.text.empty());
    for (const auto& s : pol.suppressions) FUZZ_CHECK(!s.id.empty() && !s.origin.empty());
    if (pol.max_syscalls_per_op) FUZZ_CHECK(*pol.max_syscalls_per_op > 0);
    iotrace::Report empty;
    auto results = iotrace::evaluate_policy(empty, pol);
    FUZZ_CHECK(results.size() <= pol.fail_on.size() + 2);
    for (const auto& r : results) FUZZ_CHECK(r.passed && !r.name.empty() && !r.message.empty());
  } else {
    FUZZ_CHECK(p.error().rfind("fuzz.policy:", 0) == 0);
  }
  auto list = iotrace::parse_fail_on_list(text);
  FUZZ_CHECK(list ? !list.value().empty() : !list.error().empty());
  return 0;
}
