#include "cli/exporter/privileges.hpp"

#include <linux/capability.h>
#include <sys/capability.h>
#include <sys/prctl.h>

#include <vector>

namespace iotrace::cli {
namespace {

std::vector<cap_value_t> wanted() {
  std::vector<cap_value_t> caps = {CAP_BPF, CAP_PERFMON, CAP_SYS_RESOURCE, CAP_SYS_PTRACE, CAP_DAC_READ_SEARCH};
  // CAP_BPF is the newest of them: a kernel that does not know it wants CAP_SYS_ADMIN for BPF.
  if (!CAP_IS_SUPPORTED(CAP_BPF)) caps.push_back(CAP_SYS_ADMIN);
  return caps;
}

}  // namespace

std::string keep_only_tracing_capabilities() {
  const std::vector<cap_value_t> keep = wanted();
  auto kept = [&](cap_value_t c) {
    for (cap_value_t k : keep)
      if (k == c) return true;
    return false;
  };
  // The bounding set first: dropping from it needs CAP_SETPCAP, which goes next.
  for (cap_value_t c = 0; c <= CAP_LAST_CAP; ++c)
    if (!kept(c) && CAP_IS_SUPPORTED(c)) cap_drop_bound(c);
  cap_t now = cap_get_proc();
  cap_t next = cap_init();
  std::string out;
  for (cap_value_t c : keep) {
    cap_flag_value_t have = CAP_CLEAR;
    cap_get_flag(now, c, CAP_PERMITTED, &have);
    if (have != CAP_SET) continue;  // never add one
    cap_set_flag(next, CAP_PERMITTED, 1, &c, CAP_SET);
    cap_set_flag(next, CAP_EFFECTIVE, 1, &c, CAP_SET);
    char* name = cap_to_name(c);
    out += (out.empty() ? "" : ", ") + std::string(name);
    cap_free(name);
  }
  cap_set_proc(next);
  cap_reset_ambient();
  cap_free(next);
  cap_free(now);
  prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
  return out.empty() ? "none" : out;
}

void drop_all_capabilities_of_this_thread() {
  cap_t none = cap_init();
  cap_set_proc(none);
  cap_free(none);
}

}  // namespace iotrace::cli
